// Partitioned (reconfigurable) systolic array timing, SARA-style: "Self-Adaptive Reconfigurable
// Arrays (SARA): Using ML to Assist Scaling GEMM Acceleration", Samajdar, Pellauer, Krishna,
// arXiv 2101.04799. Its SAGAR array is a grid of small systolic sub-arrays joined by bypass links
// that runs, per layer, as one monolithic array or as several independent arrays of other shapes.
//
// Model (pure functions; the SystemC unit and the compiler's mapper call them):
// - The array is rows x cols PEs made of sub_rows x sub_cols sub-arrays. A partition groups them
//   into pr x pc independent arrays of (rows/pr) x (cols/pc) PEs (pr divides rows/sub_rows, pc
//   divides cols/sub_cols), each running the same dataflow.
// - The GEMM {m, k, n, groups} is split over the pr*pc arrays as pm x pn x pk = pr*pc: M into pm
//   parts, N (or, for grouped GEMMs, the groups) into pn parts, K into pk parts. Every array runs
//   its sub-GEMM {ceil(m/pm), ceil(k/pk), ceil(n/pn), groups} (grouped: {.., .., n,
//   ceil(groups/pn)}, and pk = 1) with the dataflow's own closed form; the arrays run in
//   parallel, so the slowest (largest) sub-GEMM decides.
// - A K split leaves pk partial sums per output; they are added pairwise over the bypass links in
//   ceil(log2 pk) levels, each level moving one array's output tile at (cols/pc) values per cycle:
//   ceil(log2 pk) * ceil(outputs / (cols/pc)) cycles. This reduction cost is our estimate; the
//   paper does not give one. A K split changes the order of accumulation, so it is only exact
//   for wrapping accumulators (the mapper does not offer it for saturating ones).
// - Operand feed (the fidelity limit of many small arrays): the unit's buffers reach the grid
//   through its edges, row_feed values per cycle at the left edge (the rows' operand), col_feed at
//   the top (the columns' operand, and partial sums read from the accumulator) and drain_feed at
//   the bottom (results into the accumulator); by default the monolithic array's own edge: rows,
//   cols and cols lanes (SAGAR's buffers sit at the array's edges and reach inner sub-arrays over
//   the bypass links; the paper's abstract gives no bandwidth figures, so these are our
//   assumption, set per arch). Every independent array needs its own stream of rows/pr values
//   per cycle at its left edge and cols/pc at its top and bottom, except that arrays needing the
//   same values share one stream (multicast over the bypass links): the pn arrays of an M or K
//   part share its inputs (not for grouped GEMMs, whose N parts hold other channels), the pm
//   arrays of an N and K part share its weights, partial sums are every array's own. The arrays
//   run in lockstep under one sequencer (the largest sub-GEMM's schedule; a smaller slice of an
//   uneven split, or an empty one, idles through the padding, its streams reserved); a step of a
//   dataflow phase (FeedPhase) that asks an edge for more values than it delivers stalls the
//   whole unit: stall = max over the phase's edges of ceil(streams * lanes / feed), and the phase
//   takes steps * stall cycles. No prefetch across steps, so a fractional ratio rounds up (with
//   the default feeds and power-of-two partitions the ratios are whole numbers). With the default
//   feeds a monolithic array never stalls (its demand is its edge). unlimited_feed gives every
//   array its own buffers (a distributed system of small arrays): stall 1, the model before this
//   limit existed. Checked against stepped arrays under a feed gate (partition_stepped_test.cpp).
// - Changing the partition between instructions costs the arch's reconfiguration cycles (charged
//   by the unit, not here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/timing/dataflow_timing.h"

namespace npusim::models::timing {

struct ArrayGeometry {
  int rows = 1, cols = 1;          // PEs
  int sub_rows = 1, sub_cols = 1;  // PEs per sub-array (rows % sub_rows == 0, cols % sub_cols == 0)
  // Values per cycle the buffers deliver at the grid's left, top and bottom edges (0: rows, cols,
  // cols, the monolithic array's edges); unlimited_feed: every array has its own feed.
  int64_t row_feed = 0, col_feed = 0, drain_feed = 0;
  bool unlimited_feed = false;
};

struct Partition {
  int pr = 1, pc = 1;              // independent arrays: pr x pc of (rows/pr) x (cols/pc)
  int64_t pm = 1, pn = 1, pk = 1;  // GEMM split: pm * pn * pk == pr * pc
  bool monolithic() const { return pr == 1 && pc == 1; }
  std::string ToString() const;  // "2x1 arrays of 64x128, split m2 n1 k1"
};

// True when `p` is a partition of `geo` (divisibility, split product) that can run `shape`
// (a grouped GEMM has pk == 1).
bool ValidPartition(const ArrayGeometry& geo, const Partition& p, const GemmShape& shape);

// The sub-GEMM each array runs (the largest, which decides the time).
GemmShape SubGemm(const Partition& p, const GemmShape& shape);

// Streams of `data` the arrays of `p` need at the same time (arrays needing the same values share
// one); 0 for EdgeData::kNone.
int64_t DistinctStreams(const Partition& p, const GemmShape& shape, EdgeData data);

// Cycles per schedule step of `phase` on partition `p`: 1 when the feeds keep up.
int64_t FeedStall(const ArrayGeometry& geo, const Partition& p, const GemmShape& shape,
                  const FeedPhase& phase);

// Cycles of the arrays' lockstep schedule (the largest sub-GEMM in dataflow `df`), feed stalls
// included, without the K-split reduction.
int64_t ArrayCycles(const ArrayGeometry& geo, const Partition& p, const DataflowTiming& df,
                    const GemmShape& shape);

int64_t ReductionCycles(const ArrayGeometry& geo, const Partition& p, const GemmShape& shape);

// Cycles of `shape` on partition `p` with dataflow `df`: the arrays (feed stalls included) plus
// the reduction.
int64_t PartitionedCycles(const ArrayGeometry& geo, const Partition& p, const DataflowTiming& df,
                          const GemmShape& shape);

// Every partition of the grid of `geo` with a consistent split (pm * pn * pk == pr * pc), whatever
// the work, in the order EnumeratePartitions keeps (pr, pc, pm, pn ascending): for forced mappings.
std::vector<Partition> GridPartitions(const ArrayGeometry& geo);

// Every valid partition of `geo` for `shape` (all (pr, pc) and all splits), monolithic first.
// allow_k_split = false leaves out pk > 1.
std::vector<Partition> EnumeratePartitions(const ArrayGeometry& geo, const GemmShape& shape,
                                           bool allow_k_split);

struct PartitionChoice {
  Partition partition;
  const DataflowTiming* dataflow = nullptr;
  int64_t cycles = 0;
};

// The fastest (partition, dataflow) for `shape` among `dataflows` (ties: fewer arrays, then the
// order of `dataflows`), and the runner-up (a different partition or dataflow; cycles 0 if none).
struct BestChoices {
  PartitionChoice best, runner_up;
};
BestChoices ChoosePartition(const ArrayGeometry& geo, const GemmShape& shape,
                            const std::vector<const DataflowTiming*>& dataflows, bool allow_k_split);

// What one instruction on partition `p` does, for energy (counted by the ReconfigurableArray and
// estimated by the compiler's mapper from the same function):
// - macs: useful multiply-accumulates; pe_cycles: cycles * all PEs of the grid (every sub-array is
//   clocked whether its array has work or not); idle_pe_cycles = pe_cycles - macs.
// - bypass_hops: operand and partial-sum moves that cross a sub-array boundary inside one of the
//   independent arrays (through a bypass link). In an array of R x C PEs built from sr x sc
//   sub-arrays a value moving along a row makes C - 1 PE-to-PE hops, C/sc - 1 of them across
//   boundaries; each useful MAC moves one value along its row and one along its column, so
//   hops = macs * ((C/sc - 1)/C + (R/sr - 1)/R). An estimate: it ignores fill and drain moves.
// - reduce_adds: partial-sum additions of a K split, (pk - 1) per output (each also moves one value
//   over the bypass links).
// - input_reads, weight_reads, acc_writes: how many times the instruction's input tile, weight
//   tile and accumulator tile are read / written in the unit's buffers. As for the monolithic
//   SystolicArray (WS-style, for every dataflow): inputs once per column fold of an array's
//   sub-GEMM, times pn arrays that need the same inputs (an M split shares weights: weight tile
//   read once per M part, pm); accumulators once per row fold of the sub-GEMM (after reduction).
// - feed_stall_cycles: cycles the operand feed added (ArrayCycles minus the unthrottled schedule).
struct PartitionActions {
  int64_t feed_stall_cycles = 0;
  int64_t cycles = 0, macs = 0, pe_cycles = 0, idle_pe_cycles = 0;
  int64_t bypass_hops = 0, reduce_adds = 0;
  int64_t input_reads = 0, weight_reads = 0, acc_writes = 0;
};
PartitionActions CountPartitionActions(const ArrayGeometry& geo, const Partition& p, const DataflowTiming& df,
                                       const GemmShape& shape);

}  // namespace npusim::models::timing

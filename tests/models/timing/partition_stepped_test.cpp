// Partitioned (SARA-style) array timing against cycle-stepped models: every independent array of
// a partition is a register-level stepped systolic array (systolic_stepped.h, os_stepped.h,
// is_stepped.h) running its own slice of the operands; the K-split partial sums are then added by
// a stepped reduction that moves (cols / pc) values per cycle per pair, level by level. The whole
// must finish exactly at PartitionedCycles (not done a cycle earlier) and produce the GEMM.
//
// The operand feed: the arrays step in lockstep under one clock enable. Before each step a gate
// looks at every unfinished array's state (preloading, streaming, draining), collects the
// distinct streams each grid edge must carry (an array's inputs are named by its M, K part and,
// for grouped GEMMs, its group part; weights by its N and K part; partial sums by the array),
// and holds the step for ceil(streams * lanes / feed) cycles on the busiest edge. An array with a
// smaller slice (uneven split) runs the largest slice's schedule on zero-padded operands: one
// sequencer drives the lockstep arrays.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "models/timing/partition_timing.h"
#include "tests/models/timing/is_stepped.h"
#include "tests/models/timing/os_stepped.h"
#include "tests/models/timing/systolic_stepped.h"

namespace npusim::models::timing::testing {
namespace {

GemmShape Gemm(int64_t m, int64_t k, int64_t n, int64_t groups = 1) {
  GemmShape g;
  g.m = m, g.k = k, g.n = n, g.groups = groups;
  return g;
}

struct Range {
  int64_t lo = 0, hi = 0;
};
// Part `i` of `parts` equal (ceil) slices of [0, n): the last ones may be shorter or empty.
Range Slice(int64_t n, int64_t parts, int64_t i) {
  const int64_t size = (n + parts - 1) / parts;
  return {std::min(n, i * size), std::min(n, (i + 1) * size)};
}

// The operands array (im, in, ik) of split p works on. Layouts as in systolic_stepped.h.
GemmOperands SliceOperands(const GemmOperands& all, const Partition& p, int64_t im, int64_t in, int64_t ik,
                           Range* mr, Range* nr, Range* gr, Range* kr) {
  const GemmShape& s = all.shape;
  const bool grouped = s.groups > 1;
  *mr = Slice(s.m, p.pm, im);
  *kr = Slice(s.k, p.pk, ik);
  *nr = grouped ? Range{0, s.n} : Slice(s.n, p.pn, in);
  *gr = grouped ? Slice(s.groups, p.pn, in) : Range{0, 1};
  GemmOperands o;
  o.shape = Gemm(mr->hi - mr->lo, kr->hi - kr->lo, nr->hi - nr->lo, gr->hi - gr->lo);
  for (int64_t x = mr->lo; x < mr->hi; ++x)
    for (int64_t g = gr->lo; g < gr->hi; ++g)
      for (int64_t k = kr->lo; k < kr->hi; ++k) o.x.push_back(all.x[x * s.groups * s.k + g * s.k + k]);
  for (int64_t g = gr->lo; g < gr->hi; ++g)
    for (int64_t k = kr->lo; k < kr->hi; ++k)
      for (int64_t j = nr->lo; j < nr->hi; ++j) o.w.push_back(all.w[(g * s.k + k) * s.n + j]);
  return o;
}

// A stepped pairwise reduction of `parts` partial-sum tiles of `values` each over the bypass
// links: per level, the odd survivors send their tile to their left neighbour at `lanes` values
// per cycle; returns the cycles taken and leaves the sum in parts[0].
int64_t SteppedReduction(std::vector<std::vector<int64_t>>& parts, int64_t lanes) {
  int64_t cycles = 0;
  for (size_t stride = 1; stride < parts.size(); stride *= 2) {
    size_t sent = 0;
    const size_t values = parts[0].size();
    // Every sending pair moves in parallel; a level ends when the last value arrived.
    while (sent < values) {
      for (size_t v = sent; v < std::min(values, sent + static_cast<size_t>(lanes)); ++v) {
        for (size_t dst = 0; dst + stride < parts.size(); dst += 2 * stride) {
          parts[dst][v] += parts[dst + stride][v];
        }
      }
      sent += static_cast<size_t>(lanes);
      ++cycles;
    }
  }
  return cycles;
}

struct Edges {
  EdgeData row, col, drain;
};
// What crosses each edge of an array this cycle, read from the stepped model's own state.
Edges EdgesNow(const SystolicWsStepped& s) {
  if (s.preloading()) return {EdgeData::kNone, EdgeData::kWeights, EdgeData::kNone};
  return {EdgeData::kInputs, EdgeData::kPartialSums, EdgeData::kPartialSums};
}
Edges EdgesNow(const SystolicOsStepped& s) {
  if (s.draining()) return {EdgeData::kNone, EdgeData::kNone, EdgeData::kPartialSums};
  return {EdgeData::kInputs, EdgeData::kWeights, EdgeData::kNone};
}
Edges EdgesNow(const SystolicIsStepped& s) {
  if (s.preloading()) return {EdgeData::kNone, EdgeData::kInputs, EdgeData::kNone};
  return {EdgeData::kWeights, EdgeData::kPartialSums, EdgeData::kPartialSums};
}

template <typename Stepped>
struct SteppedArray {
  int64_t im = 0, in = 0, ik = 0, index = 0;
  Range mr, nr, gr, kr;
  std::unique_ptr<GemmOperands> ops;
  std::unique_ptr<Stepped> sim;
};

// Which stream of `data` array `a` needs (arrays with equal names share one stream).
template <typename Stepped>
int64_t StreamName(const SteppedArray<Stepped>& a, EdgeData data, const Partition& p, bool grouped) {
  if (data == EdgeData::kInputs) return (a.im * p.pk + a.ik) * p.pn + (grouped ? a.in : 0);
  if (data == EdgeData::kWeights) return a.in * p.pk + a.ik;
  return a.index;
}

// Cycles the gate holds the next lockstep step: the busiest edge's ceil(demand / feed).
template <typename Stepped>
int64_t GateCycles(const ArrayGeometry& geo, const Partition& p, bool grouped,
                   const std::vector<SteppedArray<Stepped>>& arrays) {
  if (geo.unlimited_feed) return 1;
  std::set<std::pair<int, int64_t>> row, col, drain;
  for (const SteppedArray<Stepped>& a : arrays) {
    if (a.sim == nullptr || a.sim->done()) continue;
    const Edges e = EdgesNow(*a.sim);
    const auto add = [&](std::set<std::pair<int, int64_t>>& edge, EdgeData d) {
      if (d != EdgeData::kNone) edge.insert({static_cast<int>(d), StreamName(a, d, p, grouped)});
    };
    add(row, e.row);
    add(col, e.col);
    add(drain, e.drain);
  }
  const auto need = [](size_t streams, int64_t lanes, int64_t feed) {
    return (static_cast<int64_t>(streams) * lanes + feed - 1) / feed;
  };
  const int64_t rl = geo.rows / p.pr, cl = geo.cols / p.pc;
  return std::max({int64_t{1}, need(row.size(), rl, geo.row_feed > 0 ? geo.row_feed : geo.rows),
                   need(col.size(), cl, geo.col_feed > 0 ? geo.col_feed : geo.cols),
                   need(drain.size(), cl, geo.drain_feed > 0 ? geo.drain_feed : geo.cols)});
}

// `o` zero-padded to `shape` (>= o.shape in every field): a smaller slice runs the largest
// slice's schedule, as the lockstep arrays share one sequencer.
GemmOperands Padded(const GemmOperands& o, const GemmShape& shape) {
  GemmOperands p;
  p.shape = shape;
  p.x.assign(shape.m * shape.groups * shape.k, 0);
  p.w.assign(shape.groups * shape.k * shape.n, 0);
  const GemmShape& s = o.shape;
  for (int64_t x = 0; x < s.m; ++x)
    for (int64_t g = 0; g < s.groups; ++g)
      for (int64_t k = 0; k < s.k; ++k)
        p.x[(x * shape.groups + g) * shape.k + k] = o.x[(x * s.groups + g) * s.k + k];
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t k = 0; k < s.k; ++k)
      for (int64_t j = 0; j < s.n; ++j) p.w[(g * shape.k + k) * shape.n + j] = o.w[(g * s.k + k) * s.n + j];
  return p;
}

// One stepped array per part (im, in, ik) of p, each on its own slice of `all`, padded to the
// largest slice; slices gets each array's own slice shape.
template <typename Stepped>
std::vector<SteppedArray<Stepped>> MakeArrays(const ArrayGeometry& geo, const Partition& p,
                                              const GemmOperands& all, std::vector<GemmShape>* slices) {
  const int rows = geo.rows / p.pr, cols = geo.cols / p.pc;
  std::vector<SteppedArray<Stepped>> arrays;
  for (int64_t im = 0; im < p.pm; ++im) {
    for (int64_t in = 0; in < p.pn; ++in) {
      for (int64_t ik = 0; ik < p.pk; ++ik) {
        SteppedArray<Stepped> a;
        a.im = im;
        a.in = in;
        a.ik = ik;
        a.index = static_cast<int64_t>(arrays.size());
        const GemmOperands slice = SliceOperands(all, p, im, in, ik, &a.mr, &a.nr, &a.gr, &a.kr);
        slices->push_back(slice.shape);
        a.ops = std::make_unique<GemmOperands>(Padded(slice, SubGemm(p, all.shape)));
        // An empty slice (ceil-sized parts leave the last ones short) idles through the padding
        // too: its array is configured, and its streams are reserved, like the others'.
        a.sim = std::make_unique<Stepped>(rows, cols, *a.ops);
        arrays.push_back(std::move(a));
      }
    }
  }
  return arrays;
}

// Steps the arrays in lockstep under the feed gate until all are done, counting the cycles.
template <typename Stepped>
void StepLockstep(const ArrayGeometry& geo, const Partition& p, bool grouped,
                  std::vector<SteppedArray<Stepped>>& arrays, int64_t* cycles) {
  const auto running = [&] {
    return std::any_of(arrays.begin(), arrays.end(),
                       [](const SteppedArray<Stepped>& a) { return a.sim != nullptr && !a.sim->done(); });
  };
  while (running()) {
    *cycles += GateCycles(geo, p, grouped, arrays);
    for (SteppedArray<Stepped>& a : arrays) {
      if (a.sim != nullptr) a.sim->Step();
    }
    ASSERT_LT(*cycles, int64_t{1} << 40);
  }
}

// The arrays' outputs: K part ik lands in its own partial-sum tile partial[ik] ([m][groups * n]).
template <typename Stepped>
std::vector<std::vector<int64_t>> PartialSums(const Partition& p, const GemmShape& shape,
                                              const std::vector<SteppedArray<Stepped>>& arrays,
                                              const std::vector<GemmShape>& slices) {
  const int64_t out_cols = shape.groups * shape.n;
  std::vector<std::vector<int64_t>> partial(p.pk, std::vector<int64_t>(shape.m * out_cols, 0));
  for (const SteppedArray<Stepped>& a : arrays) {
    if (a.sim == nullptr) continue;
    const GemmShape& o = slices[a.index];
    const GemmShape& padded = a.ops->shape;
    for (int64_t x = 0; x < o.m; ++x)
      for (int64_t g = 0; g < o.groups; ++g)
        for (int64_t j = 0; j < o.n; ++j)
          partial[a.ik][(a.mr.lo + x) * out_cols + (a.gr.lo + g) * shape.n + a.nr.lo + j] =
              a.sim->acc()[x * padded.groups * padded.n + g * padded.n + j];
  }
  return partial;
}

// The K parts' partial sums added.
std::vector<int64_t> SumOfParts(std::vector<std::vector<int64_t>> partial) {
  for (size_t ik = 1; ik < partial.size(); ++ik)
    for (size_t i = 0; i < partial[0].size(); ++i) partial[0][i] += partial[ik][i];
  return partial[0];
}

// The reduction after `cycles` of lockstep: the stepped model moves whole partial tiles of the
// largest array's outputs.
void ExpectReduction(const ArrayGeometry& geo, const Partition& p, const GemmShape& shape,
                     const DataflowTiming& timing, int64_t cycles) {
  const GemmShape sub = SubGemm(p, shape);
  std::vector<std::vector<int64_t>> tiles(p.pk, std::vector<int64_t>(sub.m * sub.n * sub.groups, 0));
  const int64_t reduction = p.pk > 1 ? SteppedReduction(tiles, geo.cols / p.pc) : 0;
  EXPECT_EQ(reduction, ReductionCycles(geo, p, shape));
  EXPECT_EQ(cycles + reduction, PartitionedCycles(geo, p, timing, shape));
}

template <typename Stepped>
void ExpectPartitionMatchesStepped(const ArrayGeometry& geo, const Partition& p, const GemmShape& shape,
                                   const char* df, uint32_t seed) {
  SCOPED_TRACE(p.ToString() + " " + df + " m=" + std::to_string(shape.m) + " k=" + std::to_string(shape.k) +
               " n=" + std::to_string(shape.n) + " g=" + std::to_string(shape.groups) +
               (geo.unlimited_feed ? " unlimited feed" : " edge feed"));
  ASSERT_TRUE(ValidPartition(geo, p, shape));
  const GemmOperands all = RandomOperands(shape, seed);
  std::vector<GemmShape> slices;  // each array's own slice (its operands are padded)
  std::vector<SteppedArray<Stepped>> arrays = MakeArrays<Stepped>(geo, p, all, &slices);
  int64_t cycles = 0;
  ASSERT_NO_FATAL_FAILURE(StepLockstep(geo, p, shape.groups > 1, arrays, &cycles));
  const DataflowTiming& timing = *FindDataflow(df);
  EXPECT_EQ(cycles, ArrayCycles(geo, p, timing, shape));
  ExpectReduction(geo, p, shape, timing, cycles);
  // And the arrays together compute the GEMM.
  EXPECT_EQ(SumOfParts(PartialSums(p, shape, arrays, slices)), ReferenceGemm(all));
}

// An 8x8 array of 2x2 sub-arrays (a 4x4 grid): small enough to step every partition.
// Every case runs with the edge feed (the default), a narrower one, and unlimited feed.
ArrayGeometry Geo(int size, int sub, int feed) {
  ArrayGeometry g{size, size, sub, sub};
  if (feed < 0) g.unlimited_feed = true;
  g.row_feed = g.col_feed = g.drain_feed = std::max(feed, 0);
  return g;
}
const int kFeeds[] = {0, 3, -1};

// Uneven splits (prime sizes: smaller slices run padded), and shapes every split divides evenly.
const GemmShape kShapes[] = {Gemm(5, 3, 2),    Gemm(13, 11, 9), Gemm(20, 17, 6),  Gemm(7, 4, 1, 6),
                             Gemm(3, 9, 2, 4), Gemm(1, 1, 1),   Gemm(16, 16, 16), Gemm(16, 4, 2, 16)};

template <typename Stepped>
void SweepAllPartitions(const char* df) {
  uint32_t seed = 1;
  int64_t checked = 0, stalled = 0;
  for (int feed : kFeeds) {
    const ArrayGeometry geo = Geo(8, 2, feed);
    for (const GemmShape& g : kShapes) {
      for (const Partition& p : EnumeratePartitions(geo, g, true)) {
        ExpectPartitionMatchesStepped<Stepped>(geo, p, g, df, seed++);
        ++checked;
        const int rows = geo.rows / p.pr, cols = geo.cols / p.pc;
        if (ArrayCycles(geo, p, *FindDataflow(df), g) > FindDataflow(df)->Cycles(rows, cols, SubGemm(p, g))) {
          ++stalled;
        }
      }
    }
  }
  EXPECT_GT(checked, 300);  // every partition of every shape and feed, K splits included
  EXPECT_GT(stalled, 50);   // and the feed really binds on many of them
}

TEST(PartitionStepped, WsEveryPartitionFinishesAtTheClosedForm) {
  SweepAllPartitions<SystolicWsStepped>("ws");
}
TEST(PartitionStepped, OsEveryPartitionFinishesAtTheClosedForm) {
  SweepAllPartitions<SystolicOsStepped>("os");
}
TEST(PartitionStepped, IsEveryPartitionFinishesAtTheClosedForm) {
  SweepAllPartitions<SystolicIsStepped>("is");
}

// SAGAR's geometry (4x4 sub-arrays) on shapes around one sub-array and beyond a 16x16 array.
TEST(PartitionStepped, FourByFourSubArraysSmallerAndLargerThanTheArray) {
  uint32_t seed = 100;
  for (int feed : {0, -1}) {
    const ArrayGeometry geo = Geo(16, 4, feed);
    for (const GemmShape& g : {Gemm(2, 3, 2), Gemm(40, 37, 35), Gemm(32, 32, 32)}) {
      for (const Partition& p : EnumeratePartitions(geo, g, true)) {
        ExpectPartitionMatchesStepped<SystolicWsStepped>(geo, p, g, "ws", seed++);
        ExpectPartitionMatchesStepped<SystolicOsStepped>(geo, p, g, "os", seed++);
        ExpectPartitionMatchesStepped<SystolicIsStepped>(geo, p, g, "is", seed++);
      }
    }
  }
}

// CountPartitionActions: hops vanish when every array is one sub-array, reductions follow pk.
TEST(PartitionActions, BypassHopsAndReductionsFollowThePartition) {
  const ArrayGeometry geo{16, 16, 4, 4};
  const GemmShape g = Gemm(64, 64, 64);
  const DataflowTiming& ws = *FindDataflow("ws");
  const PartitionActions mono = CountPartitionActions(geo, Partition{}, ws, g);
  // 16x16 of 4x4: per MAC (3*16 + 3*16) / 256 = 0.375 boundary hops.
  EXPECT_EQ(mono.bypass_hops, GemmMacs(g) * 3 / 8);
  EXPECT_EQ(mono.macs, 64 * 64 * 64);
  EXPECT_EQ(mono.idle_pe_cycles, mono.cycles * 256 - mono.macs);
  const PartitionActions tiny = CountPartitionActions(geo, Partition{4, 4, 4, 4, 1}, ws, g);
  EXPECT_EQ(tiny.bypass_hops, 0);
  EXPECT_EQ(tiny.reduce_adds, 0);
  EXPECT_EQ(tiny.input_reads, 4 * 4);  // 4 N parts, each 16 columns over 4-wide arrays: 4 folds
  EXPECT_EQ(tiny.weight_reads, 4);
  const PartitionActions ksplit = CountPartitionActions(geo, Partition{2, 2, 1, 1, 4}, ws, g);
  EXPECT_EQ(ksplit.reduce_adds, 3 * 64 * 64);
}

}  // namespace
}  // namespace npusim::models::timing::testing

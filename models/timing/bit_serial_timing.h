// Bit-serial array timing (UNPU-style lookup-table-based bit-serial PEs): the exact cycle count and
// action counts of one GEMM instruction, in closed form. Used by the BitSerialArray module and by
// the compiler's cost model; tests/models/timing/bit_serial_stepped.h simulates one LBPE and one
// core cycle by cycle and must agree to the cycle.
//
//   {"name": "lbpe", "type": "bit_serial_array", "cores": 4, "pes_per_core": 6, "tables_per_pe": 12,
//    "lut_group": 3, "outputs_per_pe": 16, "serial_operand": "weights", ...}
//
// THE MACHINE (core::BitSerialConfig; UNPU, Lee et al., JSSC 54(1) 2019, as far as its public
// descriptions go; what is npusim's own reading is marked so in docs/models.md):
//  - `cores` cores split the reduction K: the K inputs are cut into chunks of
//    kpe = tables_per_pe * Gk (Gk inputs per table); chunk j runs on core j mod cores.
//  - Each core has `pes_per_core` LBPEs, each on its own output pixel (M rows of the GEMM), all in
//    lockstep, fed by the aligned feature loader (inputs shared between neighbouring windows are
//    read once).
//  - An LBPE holds tables_per_pe tables. A table for Gk inputs holds the partial sums of every
//    subset of them (2^Gk entries; entries of one input are the inputs themselves, the empty sum
//    is 0), so one lookup indexed by one bit of each of the Gk weights adds the Gk products of
//    that bit-plane. Building a table takes E entries / table_adders cycles:
//    E = 2^G - G - 1 (G = lut_group; every subset of two or more inputs is one add).
//  - Binary weights (1 bit, +-1, one_bit_mode): entry(~idx) = -entry(idx), so a table of 2^G
//    entries serves Gk = G + 1 inputs (the first input's sign is fixed, its bit selects negation);
//    E = 2^G entries, each one add or subtract. This is why UNPU's 1-bit peak is 21.3x its 16-bit
//    peak rather than 16x: (G + 1) / G * 16 = 21.33 for G = 3.
//  - Every cycle each of the outputs_per_pe weight streams (output channels, N) looks up every
//    table with one bit-plane and shift-accumulates: passes P per chunk and N-fold = weight bits
//    (serial_operand "weights"), activation bits ("activations", Stripes-style), their product
//    ("both", Loom-style), or 1 ("none": a bit-parallel MAC array of the same geometry, no tables,
//    one MAC per lane and cycle, Gk = G).
//
// GROUPED AND DEPTHWISE: when one group's k fits one chunk (k <= kpe) and n <= outputs_per_pe,
// gp = min(groups, floor(tables_per_pe / ceil(k / Gk)), floor(outputs_per_pe / n)) groups share a
// pass, each on its own tables and weight streams (block-diagonal, like a systolic array's
// packing): ceil(groups / gp) group passes, each with n * gp outputs. Otherwise gp = 1.
//
// WORK SPLIT: with more than one K chunk (C = ceil(k / kpe) > 1), every core runs every (group
// pass, M-fold) on its share of the chunks: I = passes * ceil(m / pes_per_core) * ceil(C / cores)
// items per core, and the aggregation core adds the cores' partial sums. With one chunk there is
// nothing to aggregate, and the cores take (group pass, M-fold) items round-robin instead:
// I = ceil(passes * ceil(m / pes_per_core) / cores).
//
// ONE CORE, items i = 0..I-1 in order (group pass, M-fold, K-step). Item i builds its tables (B = ceil(E /
// table_adders) cycles, 0 for "none") into one of two table buffers, then looks up for L = ceil(n * gp /
// outputs_per_pe) * P cycles. A build may start when the previous build has finished and its buffer's
// previous lookups (item i-2) are done; lookups start when their tables are built and item i-1's lookups are
// done. The cores run the same items in lockstep. The last partial sums then pass the pipeline
// (pipeline_cycles) and, when more than one core holds a part of K, the aggregation core's adder tree
// (aggregation_cycles):
//    cycles = B + L + (I - 1) * max(B, L) + pipeline_cycles + [C > 1 and cores used > 1] * aggregation_cycles
// An empty GEMM takes 0 cycles.
//
// PEAK: cores * pes_per_core * tables_per_pe * Gk * outputs_per_pe / P MACs per cycle; UNPU's
// geometry (4 x 6 x 12 x 3 x 16) gives 864 at 16-bit weights and 18,432 at 1 bit (345.6 and
// 7372.8 GOPS at 200 MHz, the paper's figures).
#pragma once

#include <cstdint>

#include "config/unit_kind_bit_serial.h"
#include "models/timing/dataflow_timing.h"

namespace npusim::models::timing {

// The per-instruction quantities of the closed form above.
struct BitSerialPlan {
  int64_t passes = 0;           // P
  int64_t group_inputs = 0;     // Gk
  int64_t table_entries = 0;    // E (0 for "none")
  int64_t build_cycles = 0;     // B
  int64_t lookup_cycles = 0;    // L
  int64_t items = 0;            // I
  int64_t chunks = 0;           // ceil(k / kpe)
  int64_t groups_per_pass = 1;  // groups packed side by side in one pass (grouped/depthwise)
  int64_t cores_used = 0;       // cores that get work
  int64_t cycles = 0;
};

// True when the layer's weights are binary and the unit uses its 1-bit mode.
bool BitSerialBinaryMode(const core::BitSerialConfig& b, int weight_bits);

// Plan and cycles of one GEMM at the given operand widths. weight_bits, input_bits in 1..16.
BitSerialPlan PlanBitSerial(const core::BitSerialConfig& b, const GemmShape& shape, int weight_bits,
                            int input_bits);
int64_t BitSerialCycles(const core::BitSerialConfig& b, const GemmShape& shape, int weight_bits,
                        int input_bits);

// Peak useful MACs per cycle at the given widths (see PEAK).
double BitSerialPeakMacsPerCycle(const core::BitSerialConfig& b, int weight_bits, int input_bits);

// Action counts of one GEMM (what dynamic energy is charged for).
struct BitSerialActions {
  int64_t lookups = 0;  // table lookup + shift-accumulate, one per stream, table and pass
  // Accumulator growth: over the lookups, the sum of each one's shift (its bit-plane's position;
  // the partial sum it adds into is that many bits wider than the table entry), so an energy per
  // bit of it charges the wider adds of later planes (docs/models.md, "Bit-serial array").
  int64_t accumulate_bits = 0;
  int64_t table_entries = 0;   // table entries built (one add each)
  int64_t aggregate_adds = 0;  // partial sums added by the aggregation core
  int64_t macs = 0;            // "none": bit-parallel MACs issued (lanes x cycles of real work)
};
BitSerialActions CountBitSerialActions(const core::BitSerialConfig& b, const GemmShape& shape,
                                       int weight_bits, int input_bits);
// The same from the GEMM's plan (PlanBitSerial of the same arguments), not planned again.
BitSerialActions CountBitSerialActions(const core::BitSerialConfig& b, const GemmShape& shape,
                                       int weight_bits, int input_bits, const BitSerialPlan& p);

}  // namespace npusim::models::timing

// The "bit_serial_array" kind's own block (UNPU-style lookup-table-based bit-serial PEs, LBPEs);
// its parsing, checks and echo are in unit_kind_bit_serial.cpp.
//
//   {"name": "lbpe", "type": "bit_serial_array", "cores": 4, "pes_per_core": 6, "tables_per_pe": 12,
//    "lut_group": 3, "outputs_per_pe": 16, "serial_operand": "weights", ...}      arch/unpu.json
//
// rows and cols are derived: rows = the K inputs one pass of all cores covers,
// cores * tables_per_pe * lut_group; cols = outputs_per_pe; dataflow "bit_serial".
#pragma once

#include <string>

namespace npusim::core {

// Each of `cores` cores has `pes_per_core` LBPEs working on different output pixels (M); each LBPE
// holds `tables_per_pe` tables, one per group of `lut_group` input features (its 2^lut_group
// entries are the partial sums of every subset of the group), and drives `outputs_per_pe` weight
// streams (output channels, N): per cycle every stream looks up every table with one bit-plane of
// its weights and shift-accumulates. The cores split the reduction (K) and an aggregation core sums
// their partial sums. docs/models.md, "Bit-serial array", has the closed form.
struct BitSerialConfig {
  int cores = 4;
  int pes_per_core = 6;
  int tables_per_pe = 12;
  int lut_group = 3;
  int outputs_per_pe = 16;
  int table_adders = 1;  // adders building each table (entries per cycle)
  // Which operand is fed one bit per cycle: "weights" (UNPU), "activations" (Stripes-style),
  // "both" (Loom-style) or "none" (a bit-parallel fixed-point MAC array of the same geometry, the
  // baseline the UNPU paper compares against: no tables, one pass per MAC).
  std::string serial_operand = "weights";
  // Binary (+-1) weights: a table entry and its complement are negatives of each other, so a
  // table of 2^lut_group entries serves lut_group + 1 inputs (docs/models.md).
  bool one_bit_mode = true;
  int aggregation_cycles = 4;  // latency of the aggregation core's adder tree
  int pipeline_cycles = 3;     // feature loader -> lookup -> accumulate pipeline depth
};

}  // namespace npusim::core

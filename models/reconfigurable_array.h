// ReconfigurableArray: the SARA/SAGAR-style matrix unit ("Self-Adaptive Reconfigurable Arrays
// (SARA)", Samajdar, Pellauer, Krishna, arXiv 2101.04799). A grid of grid_rows x grid_cols
// systolic sub-arrays of sub_rows x sub_cols PEs, joined by bypass links, that runs each CONV
// instruction either as one monolithic array or as part_rows x part_cols independent arrays, each
// computing its slice of the GEMM (split along M, N / groups or K with a reduction), in the
// instruction's dataflow (ws, os or is). The compiler picks the mapping per layer
// (compiler/passes/map_reconfig.cpp) and writes it into every CONV instruction (isa::ConvArgs).
//
// Timing: models/timing/partition_timing.h (the slowest array's dataflow closed form plus the
// K-split reduction), plus reconfig_cycles whenever an instruction's partition (part_rows,
// part_cols, split) differs from the previous instruction's; the array starts monolithic.
//
// Exact outputs: the same integers as every matrix unit (models/conv_datapath.h), read from and
// written to the unit's buffers. A partition changes which PEs compute which MACs and, with a K
// split, the order of the final additions; with wrapping accumulators that order cannot change
// the result, and the compiler never offers a K split to a saturating unit.
//
// Example unit config (arch/sagar_128x128.json):
//   {"name": "sagar", "type": "reconfigurable_array", "sub_rows": 4, "sub_cols": 4,
//    "grid_rows": 32, "grid_cols": 32, "dataflows": ["ws", "os", "is"], "reconfig_cycles": 32,
//    "objective": "cycles", "input_bits": [8], "weight_bits": [8], "acc_bits": 32, ...}
// Counts (energy): <name>.mac_<b>b, <name>.idle_pe_cycle, <name>.bypass_hop (a value crossing a
// sub-array boundary), <name>.reduce_add (one partial-sum addition of a K split, with its move),
// <name>.reconfigure (one partition change), <name>.leak_per_cycle; buffer reads/writes as in
// partition_timing.h (CountPartitionActions).
#pragma once

#include "models/matrix_unit.h"
#include "models/timing/unit_timing.h"
#include "models/timing/unit_timing_reconfig.h"

namespace npusim::models {

class ReconfigurableArray : public MatrixUnit {
 public:
  ReconfigurableArray(sc_core::sc_module_name name, const MatrixUnitArgs& a);

  // Cycles of one CONV instruction in its own mapping, without reconfiguration (pure).
  static int64_t CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c);
  // Cycles of a whole CONV instruction stream in program order, reconfiguration included, as the
  // unit runs it (pure: for tests and the compiler's check).
  static int64_t StreamCycles(const core::UnitConfig& cfg, const isa::Program& program);
  // True when `c`'s partition differs from `prev`'s (a monolithic default when prev is null).
  static bool Reconfigures(const isa::ConvArgs* prev, const isa::ConvArgs& c);

  int64_t reconfigurations() const { return reconfigurations_; }

 private:
  int64_t Begin(const isa::Instruction& in) override;
  void Count(const isa::ConvArgs& c, int layer, const timing::PartitionActions& a);

  core::Counter& macs_;
  core::Counter& idle_;
  core::Counter& hops_;
  core::Counter& reduce_;
  core::Counter& reconfig_;
  int64_t reconfigurations_ = 0;
  const isa::ConvArgs* prev_ = nullptr;  // the previous instruction's (the array starts monolithic)
};

}  // namespace npusim::models

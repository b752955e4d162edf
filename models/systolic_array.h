// SystolicArray: the dense matrix unit (rows x cols PEs; dataflow ws, os or is). Its SystemC thread
// takes a CONV instruction, asks the dataflow's timing kernel (models/timing/) for the cycles,
// computes the exact accumulators from the bytes in its buffers, waits, and signals completion.
//
// Example unit config:
//   {"name": "array", "type": "systolic_array", "rows": 16, "cols": 16, "dataflow": "ws",
//    "input_bits": [8], "weight_bits": [8], "acc_bits": 32, "overflow": "wrap", ...}
// Counts: <name>.mac_<b>b (useful MACs at operand width b), <name>.idle_pe_cycle (PE-cycles
// without a useful MAC: fill, drain, folds that use part of the array), <name>.leak_per_cycle,
// and reads/writes of its input, weight and accumulator buffers.
//
// Arithmetic: models/conv_datapath.h (the same integers as the reference executor).
#pragma once

#include "models/matrix_unit.h"

namespace npusim::models {

class SystolicArray : public MatrixUnit {
 public:
  SystolicArray(sc_core::sc_module_name name, const MatrixUnitArgs& a);

  // Cycles of one CONV instruction (pure: used by tests without a simulation).
  static int64_t CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c);

 private:
  int64_t Begin(const isa::Instruction& in) override;
  void Count(const isa::ConvArgs& c, int layer, int64_t cycles);

  core::Counter& macs_;
  core::Counter& idle_;
};

}  // namespace npusim::models

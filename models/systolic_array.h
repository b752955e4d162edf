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
// Arithmetic (the hardware's, and the reference executor's): accumulators start at the bias (or
// at their stored value for a later input-channel tile) and add (x - x_zp) * (w - w_zp) one term
// at a time at acc_bits with the arch's overflow rule, in ic-major order (ic, ky, kx), padding
// taps included as zero terms. In wrap mode the order cannot matter, so the fast path sums modulo
// 2^32 and reduces once.
#pragma once

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/arch.h"
#include "core/stats.h"
#include "models/buffer_access.h"
#include "models/controller.h"
#include "models/timing/dataflow_timing.h"

namespace npusim::models {

class SystolicArray : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<SystolicArray> sram_isock;

  SystolicArray(sc_core::sc_module_name name, const core::UnitConfig& cfg, Controller& ctrl,
                const std::vector<Sram*>& srams, core::StatRegistry& stats);

  // Cycles of one CONV instruction (pure: used by tests without a simulation).
  static int64_t CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c);

 private:
  void Thread();
  void Compute(const isa::ConvArgs& c, int layer);
  void Count(const isa::ConvArgs& c, int layer, int64_t cycles);

  core::UnitConfig cfg_;
  Controller& ctrl_;
  BufferAccess mem_;
  core::Counter& macs_;
  core::Counter& idle_;
  std::vector<int32_t> x_, w_;  // scratch: zero-point-corrected, padded input tile and weights
};

}  // namespace npusim::models

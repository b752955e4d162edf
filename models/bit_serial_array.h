// BitSerialArray: the UNPU-style matrix unit (lookup-table-based bit-serial PEs, LBPEs; weights,
// activations or both fed one bit-plane per cycle, or none for the bit-parallel baseline). Its
// SystemC thread takes a CONV instruction, asks models/timing/bit_serial_timing.h for the cycles
// at the instruction's operand widths, computes the exact accumulators from the bytes in its
// buffers (models/conv_datapath.h: the bit-plane sums equal the integer products), waits, and
// signals completion.
//
// Example unit config (arch/unpu.json):
//   {"name": "lbpe", "type": "bit_serial_array", "cores": 4, "pes_per_core": 6,
//    "tables_per_pe": 12, "lut_group": 3, "outputs_per_pe": 16, "serial_operand": "weights",
//    "input_bits": [8, 16], "weight_bits": [1, 2, ..., 16], "acc_bits": 32, ...}
// Counts (energy): <name>.lookup_add (one table lookup and shift-accumulate of one bit-plane),
// <name>.accumulate_bit (per lookup, its plane's shift: how much wider than a table entry the
// partial sum it adds into is),
// <name>.table_entry (one table entry built), <name>.aggregate_add (one partial sum added by the
// aggregation core), for serial_operand "none" <name>.mac_w<b> per weight width b in
// weight_bits, <name>.leak_per_cycle; reads/writes of its input, weight and accumulator buffers:
// inputs once per instruction (the aligned feature loader reuses overlapping windows), weights
// once per instruction (copied into each core's weight memory; UNPU has one per core, and the
// per-cycle bit-plane reads from it are part of lookup_add), accumulators written once (the
// aggregation core's sums) and read once when adding to an earlier input-channel tile.
#pragma once

#include <map>

#include "models/matrix_unit.h"
#include "models/timing/bit_serial_timing.h"

namespace npusim::models {

class BitSerialArray : public MatrixUnit {
 public:
  BitSerialArray(sc_core::sc_module_name name, const MatrixUnitArgs& a);

  // Cycles of one CONV instruction (pure: used by tests without a simulation).
  static int64_t CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c);

 private:
  int64_t Begin(const isa::Instruction& in) override;
  void Count(const isa::ConvArgs& c, int layer, const timing::BitSerialPlan& plan);

  const core::BitSerialConfig& bits_;  // cfg_'s
  core::Counter* lookups_ = nullptr;
  core::Counter* entries_ = nullptr;
  core::Counter* accumulate_ = nullptr;
  core::Counter* aggregate_ = nullptr;
  std::map<int, core::Counter*> macs_;  // "none": per weight width
};

}  // namespace npusim::models

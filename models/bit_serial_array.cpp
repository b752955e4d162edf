#include "models/bit_serial_array.h"

#include "models/timing/bit_serial_timing.h"

namespace npusim::models {

BitSerialArray::BitSerialArray(sc_core::sc_module_name name, const core::UnitConfig& cfg,
                               Controller& ctrl, const std::vector<Sram*>& srams,
                               core::StatRegistry& stats, ExecMode mode)
    : sc_module(name),
      sram_isock("sram_isock"),
      cfg_(cfg),
      ctrl_(ctrl),
      mem_(sram_isock, srams, this->name()),
      datapath_(cfg.acc_bits, cfg.overflow, mode) {
  if (cfg.bit_serial.serial_operand == "none") {
    for (int b : cfg.weight_bits) {
      macs_[b] = &stats.Register(cfg.name, "mac_w" + std::to_string(b), "actions",
                                 "bit-parallel multiply-accumulates with " + std::to_string(b) + "-bit weights");
    }
  } else {
    lookups_ = &stats.Register(cfg.name, "lookup_add", "actions",
                               "table lookups with one bit-plane, shift-accumulated");
    entries_ = &stats.Register(cfg.name, "table_entry", "actions", "lookup table entries built");
    accumulate_ = &stats.Register(cfg.name, "accumulate_bit", "bits",
                                  "accumulator growth: over the lookups, the sum of their bit-plane shifts");
  }
  aggregate_ = &stats.Register(cfg.name, "aggregate_add", "actions",
                               "per-core partial sums added by the aggregation core");
  SC_HAS_PROCESS(BitSerialArray);
  SC_THREAD(Thread);
}

int64_t BitSerialArray::CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  return timing::BitSerialCycles(cfg.bit_serial, ConvGemm(c), c.w_type.bits, c.in_type.bits);
}

void BitSerialArray::Thread() {
  while (const isa::Instruction* in = ctrl_.Next(isa::Queue::kCompute)) {
    const isa::ConvArgs& c = in->conv();
    const timing::BitSerialPlan plan = timing::PlanBitSerial(cfg_.bit_serial, ConvGemm(c), c.w_type.bits, c.in_type.bits);
    // Compute at the start: the inputs are final (dependencies), and no one may read the
    // accumulators or overwrite the inputs before Done (the schedule's WAR/RAW tokens).
    datapath_.Run(c, mem_);
    Count(c, in->layer, plan);
    wait(Cycles(plan.cycles));
    ctrl_.Done(*in);
  }
}

void BitSerialArray::Count(const isa::ConvArgs& c, int layer, const timing::BitSerialPlan& plan) {
  const timing::BitSerialActions a =
      timing::CountBitSerialActions(cfg_.bit_serial, ConvGemm(c), c.w_type.bits, c.in_type.bits, plan);
  if (lookups_ != nullptr) {
    lookups_->Add(layer, static_cast<uint64_t>(a.lookups));
    entries_->Add(layer, static_cast<uint64_t>(a.table_entries));
    accumulate_->Add(layer, static_cast<uint64_t>(a.accumulate_bits));
  } else {
    macs_.at(c.w_type.bits)->Add(layer, static_cast<uint64_t>(a.macs));
  }
  aggregate_->Add(layer, static_cast<uint64_t>(a.aggregate_adds));
  const int64_t in_bytes = c.in_h * c.in_w * c.in_c * c.in_type.bytes();
  const int64_t acc_bytes = c.out_h * c.out_w * c.out_c * 4;
  mem_.Count(c.in_addr, layer, false, in_bytes);
  mem_.Count(c.w_addr, layer, false, WeightTileBytes(c));
  mem_.Count(c.acc_addr, layer, true, acc_bytes);
  if (!c.first) mem_.Count(c.acc_addr, layer, false, acc_bytes);
}

}  // namespace npusim::models

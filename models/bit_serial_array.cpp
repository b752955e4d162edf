#include "models/bit_serial_array.h"

#include "models/timing/bit_serial_timing.h"

namespace npusim::models {

BitSerialArray::BitSerialArray(sc_core::sc_module_name name, const MatrixUnitArgs& a)
    : MatrixUnit(name, a), bits_(cfg_.params<core::BitSerialConfig>()) {
  const core::UnitConfig& cfg = cfg_;
  core::StatRegistry& stats = a.stats;
  if (bits_.serial_operand == "none") {
    for (int b : cfg.weight_bits) {
      macs_[b] =
          &stats.Register(cfg.name, "mac_w" + std::to_string(b), "actions",
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
}

int64_t BitSerialArray::CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  return timing::BitSerialCycles(cfg.params<core::BitSerialConfig>(), ConvGemm(c), c.w_type.bits,
                                 c.in_type.bits);
}

int64_t BitSerialArray::Begin(const isa::Instruction& in) {
  const isa::ConvArgs& c = in.conv();
  const timing::BitSerialPlan plan = timing::PlanBitSerial(bits_, ConvGemm(c), c.w_type.bits, c.in_type.bits);
  datapath_.Run(c, mem_);
  Count(c, in.layer, plan);
  return plan.cycles;
}

void BitSerialArray::Count(const isa::ConvArgs& c, int layer, const timing::BitSerialPlan& plan) {
  const timing::BitSerialActions a =
      timing::CountBitSerialActions(bits_, ConvGemm(c), c.w_type.bits, c.in_type.bits, plan);
  if (lookups_ != nullptr) {
    lookups_->Add(layer, static_cast<uint64_t>(a.lookups));
    entries_->Add(layer, static_cast<uint64_t>(a.table_entries));
    accumulate_->Add(layer, static_cast<uint64_t>(a.accumulate_bits));
  } else {
    macs_.at(c.w_type.bits)->Add(layer, static_cast<uint64_t>(a.macs));
  }
  aggregate_->Add(layer, static_cast<uint64_t>(a.aggregate_adds));
  CountTraffic(c, layer, {1, WeightTileBytes(c), 1, 1});
}

std::unique_ptr<MatrixUnit> MakeBitSerialModule(const MatrixUnitArgs& a) {
  return MakeUnitModule<BitSerialArray>(a);
}

}  // namespace npusim::models

// The "bit_serial_array" kind's timing facet (bit_serial_timing.h): cycles and peak throughput
// follow the serial operand's width.
#include "config/unit_kind_bit_serial.h"
#include "models/timing/bit_serial_timing.h"
#include "models/timing/unit_timing.h"

namespace npusim::models::timing {
namespace {

class BitSerialTiming final : public UnitTiming {
 public:
  int64_t Cycles(const core::UnitConfig& unit, const GemmShape& shape, int weight_bits, int input_bits,
                 const ArrayMapping*) const override {
    return BitSerialCycles(unit.params<core::BitSerialConfig>(), shape, weight_bits, input_bits);
  }
  double PeakMacsPerCycle(const core::UnitConfig& unit, int weight_bits, int input_bits) const override {
    return BitSerialPeakMacsPerCycle(unit.params<core::BitSerialConfig>(), weight_bits, input_bits);
  }
  // The bit-parallel baseline ("none") counts MACs per weight width; the serial modes count table
  // lookups and builds instead.
  // The actions the module counts (BitSerialArray::Count) at their table energies.
  double ConvEnergyPj(const core::UnitConfig& unit, const core::EnergyTable& table, const GemmShape& shape,
                      int weight_bits, int input_bits) const override {
    const BitSerialActions a =
        CountBitSerialActions(unit.params<core::BitSerialConfig>(), shape, weight_bits, input_bits);
    auto e = [&](const std::string& action) { return table.EnergyOr0(unit.name, action); };
    const double per = unit.params<core::BitSerialConfig>().serial_operand == "none"
                           ? e("mac_w" + std::to_string(weight_bits)) * static_cast<double>(a.macs)
                           : e("lookup_add") * static_cast<double>(a.lookups) +
                                 e("table_entry") * static_cast<double>(a.table_entries) +
                                 e("accumulate_bit") * static_cast<double>(a.accumulate_bits);
    return per + e("aggregate_add") * static_cast<double>(a.aggregate_adds);
  }
  std::vector<std::string> EnergyActions(const core::UnitConfig& unit) const override {
    std::vector<std::string> actions;
    if (unit.params<core::BitSerialConfig>().serial_operand == "none") {
      for (int b : unit.weight_bits) actions.push_back("mac_w" + std::to_string(b));
    } else {
      actions = {"lookup_add", "table_entry", "accumulate_bit"};
    }
    actions.push_back("aggregate_add");
    return actions;
  }
  // Weights fed as their two's complement bit-planes have no zero point to subtract.
  std::string SymmetricWeightsOnly(const core::UnitConfig& unit) const override {
    const std::string& serial = unit.params<core::BitSerialConfig>().serial_operand;
    return serial == "activations" || serial == "none" ? "" : "bit-serial";
  }
};

}  // namespace

std::unique_ptr<const UnitTiming> MakeBitSerialUnitTiming() { return std::make_unique<BitSerialTiming>(); }

}  // namespace npusim::models::timing

#include "models/timing/unit_timing.h"

#include <algorithm>
#include <stdexcept>

#include "config/unit_kind_registry.h"

namespace npusim::models::timing {
namespace {

using Registry = core::UnitKindRegistry<std::unique_ptr<const UnitTiming>>;

void AddBuiltIns(Registry& r) {
#define NPUSIM_UNIT_KIND(name, Id) r.Add(name, Make##Id##UnitTiming());
#include "config/unit_kinds.def"
#undef NPUSIM_UNIT_KIND
}

Registry& TheRegistry() { return core::TheUnitKindRegistry("unit timing", AddBuiltIns); }

}  // namespace

UnitTiming::~UnitTiming() = default;

double UnitTiming::PeakMacsPerCycle(const core::UnitConfig& unit, int, int) const {
  return static_cast<double>(unit.rows) * unit.cols;
}

double UnitTiming::ConvEnergyPj(const core::UnitConfig& unit, const core::EnergyTable& table,
                                const GemmShape& shape, int, int) const {
  return static_cast<double>(GemmMacs(shape)) * table.EnergyOr0(unit.name, MacActionName(unit));
}

OperandPasses UnitTiming::Passes(const core::UnitConfig&, const GemmShape&) const { return {}; }

OperandPasses MatrixUnitPasses(const core::UnitConfig& unit, const GemmShape& shape) {
  return UnitTimingOf(unit).Passes(unit, shape);
}

std::string UnitTiming::SymmetricWeightsOnly(const core::UnitConfig&) const { return ""; }

bool RegisterUnitTiming(const std::string& kind, std::unique_ptr<const UnitTiming> timing) {
  return TheRegistry().Add(kind, std::move(timing));
}

const UnitTiming* FindUnitTiming(const std::string& kind) {
  const auto* timing = TheRegistry().Find(kind);
  return timing == nullptr ? nullptr : timing->get();
}

const UnitTiming& UnitTimingOf(const core::UnitConfig& unit) { return *TheRegistry().Get(unit.type); }

int64_t MatrixUnitCycles(const core::UnitConfig& unit, const GemmShape& shape, int weight_bits,
                         int input_bits, const ArrayMapping* mapping) {
  return UnitTimingOf(unit).Cycles(unit, shape, weight_bits, input_bits, mapping);
}

double MatrixUnitConvEnergyPj(const core::UnitConfig& unit, const core::EnergyTable& table,
                              const GemmShape& shape, int weight_bits, int input_bits) {
  return UnitTimingOf(unit).ConvEnergyPj(unit, table, shape, weight_bits, input_bits);
}

double MatrixUnitPeakMacsPerCycle(const core::UnitConfig& unit, int weight_bits, int input_bits) {
  return UnitTimingOf(unit).PeakMacsPerCycle(unit, weight_bits, input_bits);
}

std::string MacActionName(const core::UnitConfig& unit) {
  const int b = std::max(*std::max_element(unit.input_bits.begin(), unit.input_bits.end()),
                         *std::max_element(unit.weight_bits.begin(), unit.weight_bits.end()));
  return "mac_" + std::to_string(b) + "b";
}

const DataflowTiming& RequireDataflow(const std::string& name) {
  const DataflowTiming* df = FindDataflow(name);
  if (df == nullptr) throw std::logic_error("no timing registered for dataflow \"" + name + "\"");
  return *df;
}

ArrayMapping MappingOf(const core::UnitConfig& unit, const isa::ConvArgs& c) {
  ArrayMapping m;
  m.partition = Partition{c.part_rows, c.part_cols, c.split_m, c.split_n, c.split_k};
  m.dataflow =
      &RequireDataflow(c.dataflow == isa::Dataflow::kUnit ? unit.dataflow : isa::DataflowName(c.dataflow));
  return m;
}

void SetMapping(const ArrayMapping& m, isa::ConvArgs* c) {
  c->part_rows = m.partition.pr;
  c->part_cols = m.partition.pc;
  c->split_m = static_cast<int32_t>(m.partition.pm);
  c->split_n = static_cast<int32_t>(m.partition.pn);
  c->split_k = static_cast<int32_t>(m.partition.pk);
  c->dataflow = m.dataflow != nullptr ? isa::DataflowFromName(m.dataflow->name()) : isa::Dataflow::kUnit;
}

}  // namespace npusim::models::timing

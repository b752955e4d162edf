#include "compiler/passes/objective.h"

#include <stdexcept>

namespace npusim::compiler {

Objective::Objective(const std::string& name) : name_(name) {
  if (name == "cycles") {
    kind_ = Kind::kCycles;
  } else if (name == "energy") {
    kind_ = Kind::kEnergy;
  } else if (name == "edp") {
    kind_ = Kind::kEdp;
  } else {
    throw std::logic_error("unknown objective \"" + name + "\"");
  }
}

void Objective::SetReference(const PlanCost& reference) {
  linear_ = true;
  per_cycle_ = reference.cycles > 0 ? 1.0 / static_cast<double>(reference.cycles) : 0;
  per_pj_ = reference.energy_pj > 0 ? 1.0 / reference.energy_pj : 0;
}

bool Objective::Better(const PlanCost& a, const PlanCost& b) const {
  switch (kind_) {
    case Kind::kEnergy:
      if (a.energy_pj != b.energy_pj) return a.energy_pj < b.energy_pj;
      break;
    case Kind::kEdp: {
      const double ca = static_cast<double>(a.cycles), cb = static_cast<double>(b.cycles);
      const double sa = linear_ ? per_cycle_ * ca + per_pj_ * a.energy_pj : ca * a.energy_pj;
      const double sb = linear_ ? per_cycle_ * cb + per_pj_ * b.energy_pj : cb * b.energy_pj;
      if (sa != sb) return sa < sb;
      break;
    }
    case Kind::kCycles:
      if (a.cycles != b.cycles) return a.cycles < b.cycles;
      return a.dram_bytes < b.dram_bytes;
  }
  if (a.cycles != b.cycles) return a.cycles < b.cycles;
  return a.dram_bytes < b.dram_bytes;
}

namespace {

// Per byte of the DRAM itself: a timed DRAM's commands (a read or a write access per access_bytes,
// half each, and one activate with its precharge per row streamed), the pipe's per-byte entries.
double DramPerByte(const core::ArchConfig& arch) {
  const core::EnergyTable& e = arch.energy;
  if (!arch.dram.timed()) return (e.EnergyOr0("dram", "read_byte") + e.EnergyOr0("dram", "write_byte")) / 2;
  const core::DramSpec& s = arch.dram.spec;
  const double access = s.access_bytes();
  const double row = access * static_cast<double>(s.columns);
  return (e.EnergyOr0("dram", "read") + e.EnergyOr0("dram", "write")) / 2 / access +
         (row > 0 ? e.EnergyOr0("dram", "activate") / row : 0);
}

// A timed DRAM's background per NPU cycle (open page: a bank stays open; closed page: all closed).
double DramBackgroundPerCycle(const core::ArchConfig& arch) {
  if (!arch.dram.timed()) return 0;
  const core::DramSpec& s = arch.dram.spec;
  const char* state = s.page == core::PagePolicy::kOpen ? "active_cycle" : "precharged_cycle";
  const double dram_cycles_per_npu_cycle = arch.clock_mhz > 0 ? s.clock_mhz / arch.clock_mhz : 0;
  return arch.energy.EnergyOr0("dram", state) * s.ranks * s.channels * dram_cycles_per_npu_cycle;
}

double PerByte(const core::ArchConfig& arch, const std::string& buffer, const char* action) {
  const core::BufferConfig* b = arch.FindBuffer(buffer);
  return b == nullptr || b->word_bytes <= 0 ? 0 : arch.energy.EnergyOr0(buffer, action) / b->word_bytes;
}

}  // namespace

PlanEnergy PlanEnergyOf(const core::ArchConfig& arch, const core::UnitConfig& unit) {
  const core::EnergyTable& e = arch.energy;
  const double burst = static_cast<double>(arch.dram.burst_bytes);
  const double staged =
      (PerByte(arch, arch.post.output_buffer, "read") + PerByte(arch, unit.input_buffer, "write")) / 2;
  PlanEnergy p;
  p.per_access_byte = DramPerByte(arch) * arch.dynamic_energy_scale();
  p.per_byte = ((burst > 0 ? e.EnergyOr0("dma", "burst") / burst : 0) + staged) * arch.dynamic_energy_scale();
  double leak = 0;
  for (const auto& [component, actions] : e.components) leak += e.EnergyOr0(component, "leak_per_cycle");
  p.per_cycle =
      leak * arch.leakage_energy_scale() + DramBackgroundPerCycle(arch) * arch.dynamic_energy_scale();
  p.in_read = PerByte(arch, unit.input_buffer, "read");
  p.w_read = PerByte(arch, unit.weight_buffer, "read");
  p.acc_read = PerByte(arch, unit.acc_buffer, "read");
  p.acc_write = PerByte(arch, unit.acc_buffer, "write");
  return p;
}

}  // namespace npusim::compiler

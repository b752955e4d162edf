// What a compile ranks plans by (CompileOptions::objective), and the energy that tells two plans of
// the same layers apart (internal to compiler/). The fusion planner compares a chain of layers run
// alone with the same chain fused; both do the same layers' work, so the estimate charges only
// what differs between them:
//   - DRAM traffic: per byte as the DRAM moves it (a run rounded up to whole accesses on a timed
//     DRAM: its read/write commands per access and one activate per row streamed; the pipe's
//     read_byte/write_byte), plus per byte moved the DMA's energy per burst and the on-chip
//     buffer the byte is staged in (the output buffer a STORE reads, the input buffer a LOAD
//     writes);
//   - time: every component's leakage and the timed DRAM's background, per NPU cycle;
//   - each CONV instruction (tilings differ in how many and how large; a fused group recomputes
//     rows): the unit's ConvEnergyPj and its operand buffers' reads and writes (the kind's
//     OperandPasses x the tile's bytes x the buffer's energy per byte).
// Energies are the table's, scaled to the operating point as the run's report scales them.
#pragma once

#include <cstdint>
#include <string>

#include "config/arch.h"

namespace npusim::compiler {

// A plan's estimated figures (a layer alone, a group, or sums of them).
struct PlanCost {
  int64_t cycles = 0, dram_bytes = 0;
  double energy_pj = 0;
  PlanCost operator+(const PlanCost& o) const {
    return {cycles + o.cycles, dram_bytes + o.dram_bytes, energy_pj + o.energy_pj};
  }
};

class Objective {
 public:
  enum class Kind { kCycles, kEnergy, kEdp };
  // "cycles", "energy" or "edp" (anything else: std::logic_error; the CLI validates).
  explicit Objective(const std::string& name);
  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }
  // EDP is a product of totals, which a sum over choices cannot rank exactly: once a reference is
  // set, plans are ranked by its first-order change around `reference` (cycles / C0 + energy / E0,
  // the log of C x E to first order; e.g. with every layer alone). Without one, by C x E itself
  // (the choice for one layer).
  void SetReference(const PlanCost& reference);
  // a before b: "cycles" by cycles, then DRAM bytes (the ranking before objectives applied to
  // fusion); "energy" by energy, then cycles; "edp" by the weighted sum, then cycles.
  bool Better(const PlanCost& a, const PlanCost& b) const;

 private:
  std::string name_;
  Kind kind_;
  bool linear_ = false;
  double per_cycle_ = 0, per_pj_ = 0;  // "edp" with a reference: 1 / C0 and 1 / E0
};

// In pJ, per byte as the DRAM moves it, per byte moved, and per cycle of run time (see the file
// comment).
struct PlanEnergy {
  double per_access_byte = 0, per_byte = 0, per_cycle = 0;
  // The unit's operand buffers, per byte (their word energy / word bytes, at the table's voltage).
  double in_read = 0, w_read = 0, acc_read = 0, acc_write = 0;
  double Of(int64_t cycles, int64_t dram_bytes, int64_t access_bytes) const {
    return per_access_byte * static_cast<double>(access_bytes) + per_byte * static_cast<double>(dram_bytes) +
           per_cycle * static_cast<double>(cycles);
  }
};
PlanEnergy PlanEnergyOf(const core::ArchConfig& arch, const core::UnitConfig& unit);

}  // namespace npusim::compiler

// Energy = action counts x per-action energy (Accelergy-style), computed once after the run.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/arch.h"
#include "support/stats.h"

namespace npusim::core {

struct EnergyReport {
  double total_pj = 0;
  std::map<std::string, double> by_component_pj;
  std::vector<double> by_layer_pj;  // one per network layer (leakage split by layer cycles)
  double unattributed_pj = 0;       // work of no layer
};

// Throws ConfigError (naming the energy file and /components/<c>/<a>) for every counted action
// that has no entry: a missing entry is never taken as zero.
void CheckEnergyCoverage(const StatRegistry& stats, const EnergyTable& table);

// "leak_per_cycle" counters are expected to count cycles of the whole run; their energy is split
// across layers in proportion to layer_cycles. Table energies are stated at the arch's nominal
// operating point; dynamic_scale multiplies every other action's energy (ArchConfig::
// dynamic_energy_scale, (V/Vnom)^2) and leakage_scale the leakage (leakage_energy_scale).
EnergyReport ComputeEnergy(const StatRegistry& stats, const EnergyTable& table, int num_layers,
                           const std::vector<uint64_t>& layer_cycles, double dynamic_scale = 1.0,
                           double leakage_scale = 1.0);

}  // namespace npusim::core

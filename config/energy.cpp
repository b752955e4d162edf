#include "config/energy.h"

#include "support/error.h"

namespace npusim::core {

void CheckEnergyCoverage(const StatRegistry& stats, const EnergyTable& table) {
  ProblemList problems(table.file);
  for (const Counter& c : stats.counters()) {
    auto comp = table.components.find(c.component);
    if (comp != table.components.end() && comp->second.count(c.action)) continue;
    problems.Add("/components/" + c.component + "/" + c.action,
                 "missing energy entry: the simulator counts \"" + c.action + "\" (" + c.unit +
                     ") of component \"" + c.component + "\"; add {\"energy_pj\": ..., \"source\": ...}");
  }
  problems.ThrowIfAny();
}

EnergyReport ComputeEnergy(const StatRegistry& stats, const EnergyTable& table, int num_layers,
                           const std::vector<uint64_t>& layer_cycles, double dynamic_scale,
                           double leakage_scale) {
  EnergyReport r;
  r.by_layer_pj.assign(num_layers, 0.0);
  uint64_t all_cycles = 0;
  for (uint64_t c : layer_cycles) all_cycles += c;
  for (const Counter& c : stats.counters()) {
    const double per_action = table.components.at(c.component).at(c.action).energy_pj *
                              (c.action == "leak_per_cycle" ? leakage_scale : dynamic_scale);
    const double e = per_action * static_cast<double>(c.total);
    r.total_pj += e;
    r.by_component_pj[c.component] += e;
    if (c.action == "leak_per_cycle") {
      for (int l = 0; l < num_layers && all_cycles > 0; ++l) {
        r.by_layer_pj[l] += e * static_cast<double>(layer_cycles[l]) / static_cast<double>(all_cycles);
      }
      continue;
    }
    r.unattributed_pj += per_action * static_cast<double>(c.layer(-1));
    for (int l = 0; l < num_layers; ++l) r.by_layer_pj[l] += per_action * static_cast<double>(c.layer(l));
  }
  return r;
}

}  // namespace npusim::core

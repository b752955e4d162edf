// app/serve_sim.h: a simulation in a forked child, figures as `npusim run` computes them.
#include "app/serve_sim.h"

#include "app/app.h"
#include "compiler/compiler.h"
#include "core/energy.h"
#include "core/stats.h"
#include "models/npu.h"
#include "sim/child.h"

namespace npusim::app::serve {
using nlohmann::json;

RunReport SimulateCompiled(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file,
                           const isa::Program& prog, models::ExecMode mode) {
  ConfigureSystemCReports();
  core::StatRegistry stats;
  models::Npu npu("npu", arch, prog, stats, mode);
  core::CheckEnergyCoverage(stats, arch.energy);
  std::map<std::string, std::vector<int32_t>> inputs;
  for (const std::string& name : g.inputs) {
    const core::TensorInfo& t = g.tensor(name);
    inputs[name] = t.data ? *t.data : std::vector<int32_t>(static_cast<size_t>(t.elements()), 0);
  }
  npu.WriteInputs(inputs);
  const models::RunResult rr = npu.Run();
  return BuildReport(arch, g, net_file, prog, stats, rr);
}

json Simulate(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file, bool layers,
              models::ExecMode mode) {
  // The figures `npusim run` reports for the same network (tests/app/serve_test.cpp).
  const RunReport r = SimulateCompiled(arch, g, net_file, compiler::Compile(g, arch, net_file), mode);
  json j;
  j["cycles"] = r.cycles;
  j["seconds"] = r.seconds;
  j["energy_pj"] = r.energy.total_pj;
  j["macs"] = r.macs;
  j["dram_read_bytes"] = r.counters.at("dram.read_byte");
  j["dram_write_bytes"] = r.counters.at("dram.write_byte");
  if (layers) {
    json ls = json::array();
    for (const LayerReport& L : r.layers) {
      ls.push_back({{"name", L.name}, {"op", L.op}, {"cycles", L.cycles}, {"energy_pj", L.energy_pj},
                    {"macs", L.macs}, {"dram_read_bytes", L.dram_read_bytes},
                    {"dram_write_bytes", L.dram_write_bytes}});
    }
    j["layers"] = ls;
  }
  return j;
}

json SimulateInChild(const core::ArchConfig& arch, core::Graph& g, const std::string& net_file, bool layers,
                     models::ExecMode mode, const Prepare& prepare) {
  sim::ChildOutcome o;
  try {
    o = sim::RunInChild([&] {
      json out;
      try {
        if (prepare) prepare(g);
        out = Simulate(arch, g, net_file, layers, mode);
      } catch (const std::exception& e) {
        out = {{"error", e.what()}};
      }
      return out.dump(-1, ' ', false, json::error_handler_t::replace);  // messages may quote bytes
    });
  } catch (const std::exception& e) {
    return {{"error", e.what()}};
  }
  if (!o.exited) return {{"error", "simulation died (signal " + std::to_string(o.signal) + ")"}};
  try {
    return json::parse(o.output);
  } catch (const json::exception&) {
    return {{"error", "simulation ended without an answer"}};
  }
}

}  // namespace npusim::app::serve

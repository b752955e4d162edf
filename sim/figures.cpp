// sim/figures.h: a simulation in a forked child, figures as `npusim run` computes them.
#include "sim/figures.h"

#include "sim/report.h"

namespace npusim::sim {
using nlohmann::json;

json Figures(const core::ArchConfig& arch, const Result& r, bool layers) {
  // The figures `npusim run` reports for the same network (tests/app/serve_test.cpp).
  json j;
  j["cycles"] = r.run.cycles;
  j["seconds"] = r.seconds;
  j["energy_pj"] = r.energy.total_pj;
  j["energy_breakdown_pj"] = r.energy.by_component_pj;
  j["macs"] = r.macs;
  j["dram_read_bytes"] = r.counters.at("dram.read_byte");
  j["dram_write_bytes"] = r.counters.at("dram.write_byte");
  AddEfficiency(arch, r, j);
  if (layers) {
    json ls = json::array();
    for (const LayerStats& L : r.layers) {
      ls.push_back({{"name", L.name},
                    {"op", L.op},
                    {"cycles", L.cycles},
                    {"energy_pj", L.energy_pj},
                    {"macs", L.macs},
                    {"dram_read_bytes", L.dram_read_bytes},
                    {"dram_write_bytes", L.dram_write_bytes}});
    }
    j["layers"] = ls;
  }
  return j;
}

namespace {

// {"error": message}, with bytes that are not UTF-8 (a message may quote a request) replaced.
json Error(const std::string& message) {
  return {{"error", json::parse(json(message).dump(-1, ' ', false, json::error_handler_t::replace))}};
}

}  // namespace

json OutcomeError(const ChildOutcome& o) {
  if (!o.exited) return {{"error", "simulation died (signal " + std::to_string(o.signal) + ")"}};
  if (o.exit_code == 0) return json::object();
  json e = Error(o.output);
  if (o.exit_code == 2) e["invalid_input"] = true;
  return e;
}

json FiguresInChild(const core::ArchConfig& arch, core::Graph& g, const std::string& net_file, bool layers,
                    models::ExecMode mode, const Prepare& prepare) {
  Options opt;
  opt.mode = mode;
  opt.net_file = net_file;
  return FiguresInChild(arch, g, opt, layers, prepare);
}

json FiguresInChild(const core::ArchConfig& arch, core::Graph& g, const Options& options, bool layers,
                    const Prepare& prepare) {
  const Answer answer = [&arch, layers](const sim::Result& r) {
    return Figures(arch, r, layers)
        .dump(-1, ' ', false, json::error_handler_t::replace);  // names may quote bytes
  };
  ChildOutcome o;
  try {
    o = SimulateInChild(arch, g, options, answer, prepare);
  } catch (const std::exception& e) {
    return Error(e.what());
  }
  if (json e = OutcomeError(o); !e.empty()) return e;
  try {
    return json::parse(o.output);
  } catch (const json::exception&) {
    return {{"error", "simulation ended without an answer"}};
  }
}

}  // namespace npusim::sim

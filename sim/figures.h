// One simulation in a child process, from a network and arch already loaded in the parent (for
// `npusim serve`, `npusim lut` and the tests), its figures as one JSON object. The child and the
// pipeline are SimulateInChild's (sim/simulate.h); this file only chooses the figures.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "config/arch.h"
#include "ir/graph.h"
#include "models/exec_mode.h"
#include "sim/simulate.h"  // Result, Prepare

namespace npusim::sim {

// The figures `npusim run` puts in report.json of simulation `r` on `arch`: cycles, seconds,
// energy_pj, energy_breakdown_pj (per component), macs, dram_read_bytes, dram_write_bytes, the area
// and throughput figures (tops_per_w, peak_tops and, when the arch has an area, area_mm2, area per
// component, tops_per_mm2, peak_tops_per_mm2) and, when `layers`, a "layers" list (name, op, cycles,
// energy_pj, macs, dram_read_bytes, dram_write_bytes).
nlohmann::json Figures(const core::ArchConfig& arch, const Result& r, bool layers);

// Figures() of a simulation in a forked child, after `prepare` (if given) has changed the child's
// copy-on-write image of `g` (re-quantization, pruning): the parent's `g` never changes. Both
// modes give the same figures; timing mode skips the output arithmetic. Returns {"error":
// message} when `prepare` throws, the network does not compile for the arch, the simulation
// fails or the child dies, with "invalid_input": true when the input was wrong (core::ConfigError:
// an unknown layer, a width out of range, a network that does not fit the arch).
nlohmann::json FiguresInChild(const core::ArchConfig& arch, core::Graph& g, const std::string& net_file,
                              bool layers, models::ExecMode mode, const Prepare& prepare = nullptr);
// The same with every option of the simulation (mode, net_file, compile options).
nlohmann::json FiguresInChild(const core::ArchConfig& arch, core::Graph& g, const Options& options,
                              bool layers, const Prepare& prepare = nullptr);

// An outcome of SimulateInChild as FiguresInChild reports a failure: {"error": message} (plus
// "invalid_input": true for exit 2), or an empty object when it ended well.
nlohmann::json OutcomeError(const ChildOutcome& o);

}  // namespace npusim::sim

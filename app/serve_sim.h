// One simulation in a child process, from a network and arch already loaded in the parent (for
// `npusim serve` and `npusim lut`). SystemC elaborates once per process, so each simulation forks:
// the child inherits the loaded graph copy-on-write, compiles, elaborates, simulates, writes its
// figures as one JSON object to a pipe and exits; the parent never elaborates anything.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/app.h"
#include "core/arch.h"
#include "core/graph.h"
#include "isa/instruction.h"
#include "models/exec_mode.h"

namespace npusim::app::serve {

// The figures `npusim run` puts in report.json, computed the same way: cycles, seconds,
// energy_pj, macs, dram_read_bytes, dram_write_bytes and, when `layers`, a "layers" list (name,
// op, cycles, energy_pj, macs, dram_read_bytes, dram_write_bytes). In this process: call at most
// once per process. Both modes give the same figures; timing mode skips the output arithmetic.
nlohmann::json Simulate(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file, bool layers,
                        models::ExecMode mode);

// The report of `prog` (compiled from `g` for `arch`) simulated in this process, the network's
// inputs its data or zeros: what Simulate reports, for a caller that has the program already.
// At most once per process.
RunReport SimulateCompiled(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file,
                           const isa::Program& prog, models::ExecMode mode);

// Simulate() in a forked child, after `prepare` (if given) has changed the child's copy-on-write
// image of `g` (re-quantization, pruning): the parent's `g` never changes. Returns the figures, or
// {"error": message} when `prepare` throws, the network does not compile for the arch, the
// simulation fails or the child dies.
using Prepare = std::function<void(core::Graph&)>;
nlohmann::json SimulateInChild(const core::ArchConfig& arch, core::Graph& g, const std::string& net_file,
                               bool layers, models::ExecMode mode, const Prepare& prepare = nullptr);

}  // namespace npusim::app::serve

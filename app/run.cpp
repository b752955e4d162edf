// `npusim run` and `npusim compile`.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "app/app.h"
#include "app/commands.h"
#include "compiler/transforms/precision.h"
#include "config/arch_json.h"
#include "frontends/load.h"
#include "ir/net_loader.h"
#include "reference/executor.h"
#include "sim/dram_trace.h"
#include "sim/inputs.h"
#include "sim/simulate.h"
#include "sim/trace.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/json_util.h"
#include "support/result_dir.h"

namespace npusim::app {
namespace {

using TensorMap = std::map<std::string, std::vector<int32_t>>;

// The network with the command line's precision overrides applied (before compiling, and before
// the reference executor sees it, so both run the same re-quantized weights).
core::Graph LoadNet(const CommandOptions& o) {
  core::Graph g = frontends::LoadNetworkFile(o.net);
  if (!o.weight_bits.empty()) {
    core::ApplyWeightBits(g, core::ParseWeightBits(o.weight_bits, "--weight-bits"), "--weight-bits");
  }
  if (!o.activation_bits.empty()) {
    core::ApplyActivationBits(g, core::ParseWeightBits(o.activation_bits, "--activation-bits"),
                              "--activation-bits");
  }
  return g;
}

compiler::CompileOptions CompileOptionsOf(const CommandOptions& o) {
  compiler::CompileOptions c;
  c.fusion = compiler::FusionNamed(o.fusion);
  c.objective = o.objective;
  c.max_instructions = o.max_instructions;
  return c;
}

// The arch with the command line's --objective applied to its units that take one (a
// reconfigurable array's mappings; the compile's other choices take it through CompileOptionsOf),
// so that the report's resolved arch says what ranked them.
core::ArchConfig LoadArch(const CommandOptions& o) {
  core::ArchConfig arch = core::LoadArch(o.arch);
  core::ApplyObjective(&arch, o.objective);
  return arch;
}

sim::CheckResult Check(const core::Graph& g, const core::ArchConfig& arch, const TensorMap& inputs,
                       const TensorMap& outputs) {
  const core::UnitConfig* unit = arch.MatrixUnit();
  reference::Options opt{arch.requant_mode, unit->acc_bits, unit->overflow};
  return sim::CompareOutputs(g, outputs, reference::Run(g, inputs, opt));
}

// On a terminal, a progress line on stderr (at most every 0.2 s); nothing when piped.
constexpr uint64_t kProgressCycles = 100000;
models::Npu::Progress ProgressLine() {
  if (!isatty(STDERR_FILENO)) return nullptr;
  auto last = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  return [last](size_t done, size_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - *last < std::chrono::milliseconds(200)) return;
    *last = now;
    std::fprintf(stderr, "\rsimulating: %zu/%zu instructions (%.0f%%), %.2f Mcycles%s", done, total,
                 100.0 * done / std::max<size_t>(total, 1), models::NowCycles() / 1e6,
                 done == total ? "\n" : "");
  };
}

}  // namespace

namespace {

// --trace FILE: refused before any work when it cannot be written (a directory, or a parent that is
// not a writable directory).
void CheckTraceFile(const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path parent = fs::path(file).parent_path().empty() ? fs::path(".") : fs::path(file).parent_path();
  if (fs::is_directory(file, ec))
    throw core::ConfigError(file, "", "--trace: expected a file name, got a directory");
  if (!fs::is_directory(parent, ec) || ::access(parent.c_str(), W_OK) != 0) {
    throw core::ConfigError(file, "",
                            "--trace: its directory " + parent.string() + " is not a writable directory");
  }
}

}  // namespace

int RunCommand(const CommandOptions& o) {
  sim::PhaseClock clock;
  sim::Options opt;
  opt.mode = ParseExecMode(o.mode, "--mode");
  const core::ArchConfig arch = LoadArch(o);
  const core::Graph g = LoadNet(o);
  const TensorMap inputs = sim::ResolveInputs(g, o.net, o.inputs);
  const std::string dir = o.out.empty() ? "results/" + core::ShortFileStem(arch.name + "-" + g.name) : o.out;
  core::ResultDir::Check(dir);  // at once, not after compiling; it is created once the inputs are valid
  if (!o.trace.empty()) CheckTraceFile(o.trace);
  clock.Lap("load");
  const sim::Compiled compiled = sim::Compile(arch, g, o.net, CompileOptionsOf(o));
  clock.Lap("compile");
  opt.progress = ProgressLine();
  opt.progress_cycles = kProgressCycles;
  std::optional<core::ResultDir> results;
  opt.before_simulate = [&] {
    // Every input is valid by now. Fail on an unusable output directory before simulating, not
    // after; the set is written beside it and swapped in whole (support/result_dir.h).
    results.emplace(dir);
    clock.Lap("elaborate");
  };
  opt.after_simulate = [&] { clock.Lap("simulate"); };
  sim::RunReport report = sim::BuildReport(arch, g, o.net, sim::Run(compiled, inputs, opt));
  if (o.check) {
    report.check = Check(g, arch, inputs, report.run.outputs);
    clock.Lap("check");
  }
  const double sim_s = clock.Seconds("simulate");
  report.simulated_cycles_per_second = sim_s > 0 ? static_cast<double>(report.run.cycles) / sim_s : 0;
  clock.Lap("report");  // building it; writing the files comes after and is not counted
  report.wall_breakdown_s = clock.laps();
  report.wall_seconds = clock.Total();
  sim::WriteReportFiles(*results, report, g, report.run.outputs);
  results->Commit();
  if (!o.trace.empty()) core::WriteFileAtomically(o.trace, sim::TraceJson(compiled, report));
  std::cout << sim::SummaryTable(report);
  std::cout << "report: " << dir << "/report.json\n";
  if (report.check.requested) {
    std::cout << "check: " << report.check.message << "\n";
    if (!report.check.passed) return kExitMismatch;
  }
  return kExitOk;
}

namespace {

// The estimate's error in percent of the simulated cycles ("-" when nothing was simulated).
std::string ErrorPercent(int64_t estimate, uint64_t simulated) {
  if (simulated == 0) return "-";
  char s[32];
  std::snprintf(s, sizeof s, "%+.1f%%",
                100.0 * (static_cast<double>(estimate) - static_cast<double>(simulated)) /
                    static_cast<double>(simulated));
  return s;
}

// `compile --estimate-check`: simulates the program in timing mode (the cycles of exact mode,
// without the output arithmetic) and sets each layer's estimate beside its simulated cycles: the
// report's per-layer cycles, the cycles by which the layer moves the run's finish line. (Its span,
// first instruction start to last end, would also count the time its first loads wait beside the
// previous layer's last tiles, which the per-layer estimate rightly leaves out.) Layers the
// compiler does not estimate (pools, adds, concats, reshapes: estimate 0) are listed without one.
std::string EstimateCheck(const sim::Compiled& c) {
  sim::Options timing;
  timing.mode = models::ExecMode::kTiming;
  const sim::Result r = sim::Run(c, sim::GraphInputs(c.graph), timing);
  const isa::Program& prog = c.program;
  std::ostringstream s;
  char line[256];
  std::snprintf(line, sizeof line, ";   %3s %-22s %-16s %-10s %12s %12s %8s\n", "#", "layer", "op", "unit",
                "estimate", "simulated", "error");
  s << "; estimate check: the cost model's cycles per layer against the simulated cycles (timing mode)\n"
    << line;
  int64_t estimated = 0;
  uint64_t simulated = 0;
  for (size_t l = 0; l < prog.layers.size(); ++l) {
    const isa::LayerMapping& m = prog.layers[l];
    const uint64_t sim = r.layers[l].cycles;
    const bool has = m.estimated_cycles > 0;
    std::snprintf(line, sizeof line, ";   %3zu %-22.22s %-16s %-10s %12s %12llu %8s\n", l, m.name.c_str(),
                  m.op.c_str(), m.unit.c_str(), has ? std::to_string(m.estimated_cycles).c_str() : "-",
                  static_cast<unsigned long long>(sim),
                  has ? ErrorPercent(m.estimated_cycles, sim).c_str() : "-");
    s << line;
    if (!has) continue;
    estimated += m.estimated_cycles;
    simulated += sim;
  }
  s << "; estimated layers: " << estimated << " cycles estimated, " << simulated << " simulated ("
    << ErrorPercent(estimated, simulated) << "); the whole run takes " << r.run.cycles << " cycles\n";
  return s.str();
}

// The fusion groups of a program: layers, the cost model's cycles and DRAM bytes against the same
// layers run alone, and the DRAM bytes the group's instructions move.
std::string FusionSummary(const isa::Program& prog, const std::vector<sim::LayerDramPattern>& dram) {
  // Energies: the terms that tell a group from its layers alone (compiler/passes/objective.h).
  std::ostringstream s;
  s << std::fixed << std::setprecision(3);
  int groups = 0;
  for (size_t l = 0; l < prog.layers.size();) {
    const isa::LayerMapping& m = prog.layers[l];
    size_t e = l + 1;
    while (m.group >= 0 && e < prog.layers.size() && prog.layers[e].group == m.group) ++e;
    if (m.group >= 0) {
      int64_t moved = 0;
      for (size_t i = l; i < e; ++i) moved += dram[i].read_bytes + dram[i].write_bytes;
      s << ";   " << m.name << ".." << prog.layers[e - 1].name << " (" << e - l << " layers): est "
        << m.group_estimated_cycles << " cycles, " << m.group_estimated_dram_bytes << " DRAM bytes, "
        << m.group_estimated_energy_pj / 1e6 << " uJ; unfused est " << m.group_unfused_cycles << " cycles, "
        << m.group_unfused_dram_bytes << " DRAM bytes, " << m.group_unfused_energy_pj / 1e6
        << " uJ; its instructions move " << moved << " DRAM bytes\n";
      ++groups;
    }
    l = e;
  }
  std::string head = "; fusion groups: " + std::to_string(groups);
  head += groups ? " (energies: the terms that differ, DRAM traffic, leakage and CONVs)\n"
                 : " (every layer runs alone)\n";
  return head + s.str();
}

}  // namespace

int CompileCommand(const CommandOptions& o) {
  const core::ArchConfig arch = LoadArch(o);
  const core::Graph g = LoadNet(o);
  const sim::Compiled c = sim::Compile(arch, g, o.net, CompileOptionsOf(o));
  const isa::Program& prog = c.program;
  std::cout << "; npusim program for " << g.name << " on " << arch.name << ": " << prog.instructions.size()
            << " instructions, " << prog.dram_bytes_used << " DRAM bytes\n; mapping:\n";
  const std::vector<sim::LayerDramPattern> dram = sim::LayerDramPatterns(prog, arch.dram);
  for (size_t l = 0; l < prog.layers.size(); ++l) {
    const isa::LayerMapping& m = prog.layers[l];
    std::cout << ";   " << l << " " << m.name << " (" << m.op << ") on " << m.unit << ": " << m.tiling << ", "
              << m.tiles << " tiles\n;     dram: " << dram[l].read_bytes << " bytes read, "
              << dram[l].write_bytes << " written";
    if (arch.dram.timed()) {
      std::cout << ", row hit rate " << std::fixed << std::setprecision(3) << dram[l].row_hit_rate()
                << std::defaultfloat << " (its bursts alone)";
    }
    std::cout << "\n";
    if (!m.fusion_note.empty()) std::cout << ";     " << m.fusion_note << "\n";
    if (!m.mapping.empty()) {
      std::cout << ";     chosen: " << m.mapping << " (" << m.mapping_reason << "; est " << m.mapping_cycles
                << " compute cycles, " << m.mapping_energy_pj / 1e6
                << " uJ)\n;     runner-up: " << (m.runner_up.empty() ? "none" : m.runner_up) << " (est "
                << m.runner_up_cycles << " cycles, " << m.runner_up_energy_pj / 1e6
                << " uJ)\n;     best monolithic: " << m.monolithic << " (est " << m.monolithic_cycles
                << " cycles); " << m.candidates << " configurations evaluated\n";
    }
  }
  std::cout << FusionSummary(prog, dram);
  if (o.estimate_check) std::cout << EstimateCheck(c);
  std::cout << isa::Listing(prog);
  return kExitOk;
}

}  // namespace npusim::app

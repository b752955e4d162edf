// app/serve_sim.h: a simulation in a forked child, figures as `npusim run` computes them.
#include "app/serve_sim.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "compiler/compiler.h"
#include "core/energy.h"
#include "core/stats.h"
#include "models/npu.h"

namespace npusim::app::serve {
namespace {

using nlohmann::json;

// As `npusim run`: a broken invariant inside the simulation becomes an exception, not an abort.
void ThrowOnSystemCErrors() {
  using sc_core::sc_report_handler;
  sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_DISPLAY | sc_core::SC_THROW);
  sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
}

// Each layer is charged the cycles by which it pushes the finish line (as run's report does).
std::vector<uint64_t> LayerCycles(const models::RunResult& rr, size_t n) {
  std::vector<uint64_t> out(n, 0);
  uint64_t done = 0;
  for (size_t l = 0; l < n; ++l) {
    out[l] = rr.layer_end[l] > done ? rr.layer_end[l] - done : 0;
    done = std::max(done, rr.layer_end[l]);
  }
  return out;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

json Simulate(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file, bool layers) {
  const isa::Program prog = compiler::Compile(g, arch, net_file);
  ThrowOnSystemCErrors();
  core::StatRegistry stats;
  models::Npu npu("npu", arch, prog, stats);
  core::CheckEnergyCoverage(stats, arch.energy);
  std::map<std::string, std::vector<int32_t>> inputs;
  for (const std::string& name : g.inputs) {
    const core::TensorInfo& t = g.tensor(name);
    inputs[name] = t.data ? *t.data : std::vector<int32_t>(static_cast<size_t>(t.elements()), 0);
  }
  npu.WriteInputs(inputs);
  const models::RunResult rr = npu.Run();
  const size_t n = g.ops.size();
  const std::vector<uint64_t> layer_cycles = LayerCycles(rr, n);
  const core::EnergyReport energy = core::ComputeEnergy(stats, arch.energy, static_cast<int>(n), layer_cycles,
                                                        arch.dynamic_energy_scale(), arch.leakage_energy_scale());
  const core::Counter* rd = stats.Find("dram", "read_byte");
  const core::Counter* wr = stats.Find("dram", "write_byte");
  json j;
  j["cycles"] = rr.cycles;
  j["seconds"] = static_cast<double>(rr.cycles) / (arch.clock_mhz * 1e6);
  j["energy_pj"] = energy.total_pj;
  int64_t macs = 0;
  json ls = json::array();
  for (size_t l = 0; l < n; ++l) {
    const core::Op& op = g.ops[l];
    macs += core::OpMacs(g, op);
    if (!layers) continue;
    ls.push_back({{"name", op.name}, {"op", core::OpTypeName(op.type)}, {"cycles", layer_cycles[l]},
                  {"energy_pj", energy.by_layer_pj[l]}, {"macs", core::OpMacs(g, op)},
                  {"dram_read_bytes", rd ? rd->layer(static_cast<int>(l)) : 0},
                  {"dram_write_bytes", wr ? wr->layer(static_cast<int>(l)) : 0}});
  }
  j["macs"] = macs;
  j["dram_read_bytes"] = rd ? rd->total : 0;
  j["dram_write_bytes"] = wr ? wr->total : 0;
  if (layers) j["layers"] = ls;
  return j;
}

json SimulateInChild(const core::ArchConfig& arch, core::Graph& g, const std::string& net_file, bool layers,
                     const Prepare& prepare) {
  int fds[2];
  if (pipe(fds) != 0) return {{"error", "pipe failed"}};
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return {{"error", "fork failed"}};
  }
  if (pid == 0) {
    close(fds[0]);
    json out;
    try {
      if (prepare) prepare(g);
      out = Simulate(arch, g, net_file, layers);
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
    }
    WriteAll(fds[1], out.dump());
    // No destructors, no atexit handlers: the parent owns every resource this child inherited.
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return {{"error", "simulation died (signal " + std::to_string(WTERMSIG(status)) + ")"}};
  try {
    return json::parse(text);
  } catch (const json::exception&) {
    return {{"error", "simulation ended without an answer"}};
  }
}

}  // namespace npusim::app::serve

// Property (docs/design-decisions.md): an arch and network the validators accept either simulate to
// completion, bit-exact against the reference executor, or fail with a clear error (a ConfigError
// naming the arch or network file) before the simulation starts; never an assert, abort, crash,
// hang or SystemC error from inside the model. Checked on random files (random_configs.h), each
// case in a forked child (SystemC elaborates once per process) watched by this process for death
// by a signal and for a time limit.
//
//   NPUSIM_PROPERTY_CASES=5000 NPUSIM_PROPERTY_SEED=1000 build/integration_test --gtest_filter='Property*'
//
// The default (ctest) runs 300 cases from seed 1 (about 3 s in Release). A failing case leaves its arch.json
// and net.json under $TMPDIR/npusim_property/<seed>/ with the command that reproduces it.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "app/app.h"
#include "compiler/compiler.h"
#include "config/arch.h"
#include "config/energy.h"
#include "ir/net_loader.h"
#include "models/npu.h"
#include "reference/executor.h"
#include "support/error.h"
#include "support/stats.h"
#include "tests/integration/random_configs.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// How a case ended, as the child reports it on a pipe (one JSON object).
enum class Stage { kArch, kNet, kCompile, kElaborate, kSimulate, kCompare };
const char* StageName(int s) {
  static const char* const kNames[] = {"arch validator", "net validator", "compiler",
                                       "elaboration",    "simulation",    "comparison"};
  return s >= 0 && s < 6 ? kNames[s] : "unknown: the child gave no result";
}

json Result(Stage stage, const std::string& outcome, const std::string& message) {
  return {{"stage", static_cast<int>(stage)}, {"outcome", outcome}, {"message", message}};
}

std::string FirstMismatch(const core::Graph& g, const models::RunResult& run,
                          const reference::TensorMap& ref) {
  for (const std::string& name : g.outputs) {
    const std::vector<int32_t>& sim = run.outputs.at(name);
    const std::vector<int32_t>& want = ref.at(name);
    if (sim.size() != want.size())
      return name + ": " + std::to_string(sim.size()) + " values, expected " + std::to_string(want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      if (sim[i] != want[i]) {
        return name + "[" + std::to_string(i) + "]: simulated " + std::to_string(sim[i]) + ", reference " +
               std::to_string(want[i]);
      }
    }
  }
  return "";
}

// The whole case, in the child. A ConfigError before the simulation starts is a clear refusal;
// any other exception, or any exception once it has started, is a failure.
json RunCase(const std::string& arch_file, const std::string& net_file) {
  Stage stage = Stage::kArch;
  try {
    const core::ArchConfig arch = core::LoadArch(arch_file);
    stage = Stage::kNet;
    const core::Graph g = core::LoadNetwork(net_file);
    stage = Stage::kCompile;
    const isa::Program prog = compiler::Compile(g, arch, net_file);
    stage = Stage::kElaborate;
    sim::ConfigureSystemCReports();
    core::StatRegistry stats;
    models::Npu npu("npu", arch, prog, stats);
    core::CheckEnergyCoverage(stats, arch.energy);
    std::map<std::string, std::vector<int32_t>> inputs;
    for (const std::string& n : g.inputs) inputs[n] = *g.tensor(n).data;
    npu.WriteInputs(inputs);
    stage = Stage::kSimulate;
    const models::RunResult run = npu.Run();
    stage = Stage::kCompare;
    const core::UnitConfig& u = *arch.MatrixUnit();
    const reference::TensorMap ref =
        reference::Run(g, inputs, reference::Options{arch.requant_mode, u.acc_bits, u.overflow});
    const std::string mismatch = FirstMismatch(g, run, ref);
    if (!mismatch.empty()) return Result(stage, "failure", "not bit-exact: " + mismatch);
    if (run.cycles == 0) return Result(stage, "failure", "0 cycles");
    return Result(stage, "simulated", std::to_string(run.cycles) + " cycles");
  } catch (const core::ConfigError& e) {
    if (stage <= Stage::kNet) return Result(stage, "rejected", e.what());
    if (stage >= Stage::kSimulate)
      return Result(stage, "failure", std::string("ConfigError once running: ") + e.what());
    // Clear: names the arch or the network file (and so where to look).
    bool names_file = !e.problems().empty();
    for (const core::Problem& p : e.problems())
      names_file = names_file && (p.file == arch_file || p.file == net_file);
    // A buffer too small for any tile says which buffer and how much it would need.
    const std::string what = e.what();
    const bool names_buffer = what.find("cannot be tiled") == std::string::npos ||
                              what.find("buf needs at least") != std::string::npos;
    return Result(stage, names_file && names_buffer ? "refused" : "failure", what);
  } catch (const std::exception& e) {
    return Result(stage, "failure", std::string("exception: ") + e.what());
  }
}

struct Outcome {
  std::string outcome;  // simulated | rejected | refused | failure
  int stage = -1;
  std::string message;
};

// Runs RunCase in a child; kills it after `limit`. Death by a signal and a hang are failures.
Outcome RunInChild(const std::string& arch_file, const std::string& net_file, std::chrono::seconds limit) {
  int fds[2];
  if (pipe(fds) != 0) return {"failure", -1, "pipe failed"};
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string text =
        RunCase(arch_file, net_file).dump(-1, ' ', false, json::error_handler_t::replace);
    size_t off = 0;
    while (off < text.size()) {
      const ssize_t n = write(fds[1], text.data() + off, text.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) return {"failure", -1, "hang: no result within " + std::to_string(limit.count()) + " s"};
  if (WIFSIGNALED(status)) return {"failure", -1, "died by signal " + std::to_string(WTERMSIG(status))};
  try {
    const json r = json::parse(text);
    return {r["outcome"], r["stage"], r["message"]};
  } catch (const json::exception&) {
    return {"failure", -1, "no result (exit " + std::to_string(WEXITSTATUS(status)) + ")"};
  }
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoll(v) : fallback;
}

TEST(Property, AcceptedConfigsSimulateBitExactOrAreRefusedBeforeSimulation) {
  const int64_t cases = EnvInt("NPUSIM_PROPERTY_CASES", 300), first = EnvInt("NPUSIM_PROPERTY_SEED", 1);
  const std::chrono::seconds limit(EnvInt("NPUSIM_PROPERTY_TIMEOUT_S", 120));
  const fs::path root = fs::temp_directory_path() / "npusim_property";
  std::map<std::string, int> counts;
  std::map<std::string, int> by_stage;  // refusals and rejections, by stage
  for (int64_t seed = first; seed < first + cases; ++seed) {
    const fs::path dir = root / std::to_string(seed);
    fs::create_directories(dir);
    RandomConfig rc(static_cast<uint64_t>(seed));
    const json arch = rc.Arch();
    const json net = rc.Net();
    const std::string arch_file = (dir / "arch.json").string(), net_file = (dir / "net.json").string();
    std::ofstream(arch_file) << arch.dump(1) << "\n";
    std::ofstream(net_file) << net.dump(1) << "\n";
    const Outcome o = RunInChild(arch_file, net_file, limit);
    ++counts[o.outcome];
    if (o.outcome == "rejected" || o.outcome == "refused")
      ++by_stage[o.outcome + " by " + StageName(o.stage)];
    if (std::getenv("NPUSIM_PROPERTY_VERBOSE"))
      std::cout << seed << " " << o.outcome << ": " << o.message << "\n";
    if (o.outcome == "failure") {
      ADD_FAILURE() << "seed " << seed << ": " << o.message << " (stage " << StageName(o.stage)
                    << ")\n  reproduce: " << NPUSIM_BINARY << " run --arch " << arch_file << " --net "
                    << net_file << " --check";
      continue;  // keep the files
    }
    fs::remove_all(dir);
  }
  std::cout << "property: " << cases << " random configurations from seed " << first << ": "
            << counts["simulated"] << " simulated bit-exact end to end, " << counts["refused"]
            << " refused before simulation, " << counts["rejected"] << " rejected by the validators, "
            << counts["failure"] << " failures\n";
  for (const auto& [k, n] : by_stage) std::cout << "  " << k << ": " << n << "\n";
  // The generator must mostly produce files the validators accept, and many must run end to end:
  // a property checked on refusals only would prove little.
  EXPECT_LE(counts["rejected"], cases / 10);
  EXPECT_GE(counts["simulated"], cases * 2 / 5);
}

}  // namespace
}  // namespace npusim::testing

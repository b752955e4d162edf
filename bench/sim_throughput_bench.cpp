// Simulator throughput: how many simulated cycles npusim covers per wall-clock second, and how
// much memory a run needs, for each arch file on the bundled networks.
//
// One simulation per process (docs/design-decisions.md): each iteration of a simulation case runs
// the real `npusim` binary (NPUSIM_BINARY) in a child process, as a sweep would: posix_spawn,
// stdout and stderr to a log file in a fresh temporary directory, wait4 for the exit status and
// the child's rusage. The time reported is the child's wall time (UseManualTime), so process
// start-up, file loading, compilation, simulation and report writing are all included.
//
// Counters (one row per case in --benchmark_out JSON):
//   cycles        simulated cycles, read from the child's report.json
//   wall_s        minimum child wall time over the iterations (the least-disturbed run; the
//                 machine is shared, so the mean in real_time is noisier)
//   cycles_per_s  cycles / wall_s
//   peak_rss_KiB  largest ru_maxrss of the child over the iterations
//
// BM_Compile times compiler::Compile alone, in process (no SystemC), on a loaded network.
//
//   build/sim_throughput_bench --benchmark_out=results/bench.json --benchmark_out_format=json
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "ir/net_loader.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;

const std::string kSource = NPUSIM_SOURCE_DIR;

struct SimCase {
  std::string arch;  // file stem under arch/
  std::string net;   // file stem under workloads/
  bool check = false;
};

// What one child run produced.
struct ChildRun {
  bool ok = false;
  std::string error;  // when !ok: exit status and the tail of the child's output
  double wall_s = 0;
  long peak_rss_kib = 0;
  uint64_t cycles = 0;
};

std::string Tail(const fs::path& file, size_t max_chars) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  return text.size() <= max_chars ? text : text.substr(text.size() - max_chars);
}

fs::path MakeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "npusim-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

// Runs npusim on `c` with its output (report, stdout, stderr) in `dir`.
ChildRun RunChild(const SimCase& c, const fs::path& dir) {
  ChildRun r;
  const fs::path log = dir / "log.txt";
  std::vector<std::string> args = {NPUSIM_BINARY,
                                   "--arch",
                                   kSource + "/arch/" + c.arch + ".json",
                                   "--net",
                                   kSource + "/workloads/" + c.net + ".json",
                                   "--out",
                                   (dir / "out").string()};
  if (c.check) args.push_back("--check");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int err = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) {
    r.error = std::string("posix_spawn ") + NPUSIM_BINARY + ": " + std::strerror(err);
    return r;
  }
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      r.error = std::string("wait4: ") + std::strerror(errno);
      return r;
    }
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.peak_rss_kib = ru.ru_maxrss;  // Linux: kibibytes
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r.error = "npusim exited with status " +
              std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ": " +
              Tail(log, 600);
    return r;
  }
  try {
    std::ifstream in(dir / "out" / "report.json");
    r.cycles = nlohmann::json::parse(in).at("cycles").get<uint64_t>();
  } catch (const std::exception& e) {
    r.error = std::string("reading report.json: ") + e.what();
    return r;
  }
  r.ok = true;
  return r;
}

void BM_Simulate(benchmark::State& state, const SimCase& c) {
  double min_wall_s = 0;
  long peak_rss_kib = 0;
  uint64_t cycles = 0;
  for (auto _ : state) {
    const fs::path dir = MakeTempDir();
    if (dir.empty()) {
      state.SkipWithError("mkdtemp failed");
      break;
    }
    const ChildRun r = RunChild(c, dir);
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (!r.ok) {
      state.SkipWithError(r.error.c_str());
      break;
    }
    state.SetIterationTime(r.wall_s);
    min_wall_s = min_wall_s == 0 ? r.wall_s : std::min(min_wall_s, r.wall_s);
    peak_rss_kib = std::max(peak_rss_kib, r.peak_rss_kib);
    cycles = r.cycles;
  }
  if (min_wall_s <= 0) return;
  state.counters["cycles"] = static_cast<double>(cycles);
  state.counters["wall_s"] = min_wall_s;
  state.counters["cycles_per_s"] = static_cast<double>(cycles) / min_wall_s;
  state.counters["peak_rss_KiB"] = static_cast<double>(peak_rss_kib);
}

// Compiler alone, in process: the question a NAS/AMC search asks thousands of times.
void BM_Compile(benchmark::State& state, const std::string& arch_stem, const std::string& net_stem) {
  const std::string net_file = kSource + "/workloads/" + net_stem + ".json";
  const npusim::core::ArchConfig arch = npusim::core::LoadArch(kSource + "/arch/" + arch_stem + ".json");
  const npusim::core::Graph graph = npusim::core::LoadNetwork(net_file);
  size_t instructions = 0;
  for (auto _ : state) {
    const npusim::isa::Program p = npusim::compiler::Compile(graph, arch, net_file);
    instructions = p.instructions.size();
    benchmark::DoNotOptimize(instructions);
  }
  state.counters["instructions"] = static_cast<double>(instructions);
  state.counters["instructions_per_s"] =
      benchmark::Counter(static_cast<double>(instructions), benchmark::Counter::kIsIterationInvariantRate);
}

void RegisterAll() {
  const std::vector<SimCase> cases = {
      {"unpu", "mobilenet_q4", false},           {"unpu", "mobilenet_q4", true},
      {"dense_16x16", "mobilenet_v1_q8", false}, {"tiny_4x4", "mobilenet_v1_q8", false},
      {"dense_16x16", "mobilenet_v1_q8", true},  {"dense_16x16", "small_resnet", false},
      {"tiny_4x4", "small_resnet", false},
  };
  for (const SimCase& c : cases) {
    const std::string name = "BM_Simulate/" + c.arch + "/" + c.net + (c.check ? "/check" : "");
    benchmark::RegisterBenchmark(name.c_str(), BM_Simulate, c)
        ->UseManualTime()
        ->Iterations(3)
        ->Unit(benchmark::kSecond);
  }
  for (const char* arch : {"dense_16x16", "tiny_4x4"}) {
    const std::string name = std::string("BM_Compile/") + arch + "/mobilenet_v1_q8";
    benchmark::RegisterBenchmark(name.c_str(), BM_Compile, std::string(arch), std::string("mobilenet_v1_q8"))
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

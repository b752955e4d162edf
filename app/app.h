// The npusim command, thin over the libraries: parses the command line, loads and validates the
// inputs, compiles, simulates, checks and reports. Exit codes: 0 success; 1 output mismatch under
// --check or an internal error; 2 bad usage or invalid input.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/arch.h"
#include "config/energy.h"
#include "ir/graph.h"
#include "support/stats.h"
#include "isa/instruction.h"
#include "sim/simulate.h"

namespace npusim::app {

constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;

int Main(int argc, char** argv);

// " (input files: a.json, b.onnx)" for the arguments (after the program name) that name existing
// regular files, as an option's value or a NAME=FILE input; "" when there are none. Main adds it
// to an internal error so that the user can report the bug with the files it happened on.
std::string InputFilesNote(const std::vector<std::string>& args);

// One layer's figures (sim/simulate.h), as the report writers format them.
using LayerReport = sim::LayerStats;

struct CheckResult {
  bool requested = false;
  bool passed = false;
  int64_t values = 0;
  std::string message;  // "bit-exact (N values)" or the first mismatch
};

// What one run produced (sim::Result: cycles, energy, layers, counters, outputs ...) with what
// names it, for the report writers.
struct RunReport : sim::Result {
  RunReport() = default;
  explicit RunReport(sim::Result r) : sim::Result(std::move(r)) {}
  std::string arch_name, arch_file, net_name, net_file;
  double clock_mhz = 0;
  CheckResult check;
  std::string arch_resolved_json;  // the validated arch, defaults filled (echo)
  double wall_seconds = 0;
  // Where the wall time went, in order: load (arch, net, inputs), compile, elaborate (SystemC
  // modules, DRAM image), simulate (sc_start to the last instruction), check (reference
  // executor), report. Start-up is everything before "simulate".
  std::vector<std::pair<std::string, double>> wall_breakdown_s;
  double simulated_cycles_per_second = 0;  // cycles / the "simulate" phase's wall seconds
};

// Wall-clock phases of a command, for RunReport::wall_breakdown_s.
class PhaseClock {
 public:
  PhaseClock();
  // Ends the current phase under `name` and starts the next one.
  void Lap(const std::string& name);
  double Seconds(const std::string& name) const;  // 0 for a phase not lapped
  double Total() const;                            // since construction
  const std::vector<std::pair<std::string, double>>& laps() const { return laps_; }

 private:
  double start_, last_;
  std::vector<std::pair<std::string, double>> laps_;
};

// Compares every network output of `sim` with `ref`: "bit-exact (N values)" or the first
// mismatch with its index.
CheckResult CompareOutputs(const core::Graph& g, const std::map<std::string, std::vector<int32_t>>& sim,
                           const std::map<std::string, std::vector<int32_t>>& ref);

// Creates DIR, or throws ConfigError naming DIR.
void PrepareOutputDir(const std::string& dir);
// The report of simulation `r` of `g` (from `net_file`) on `arch`: `r` with the names and the
// resolved arch echo (app/run.cpp). Used by `npusim run` and `npusim scalesim` (full model).
RunReport BuildReport(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file,
                      sim::Result r);
// SystemC errors become exceptions (sim/simulate.h); kept here for the tests that call it.
using sim::ConfigureSystemCReports;

// Report writers (app/report.cpp). Files appear complete or not at all.
std::string SummaryTable(const RunReport& r);

// Writes report.json (with an "outputs" list: name, tensor, file, shape and dtype of each output
// file written; none in timing mode), layers.csv and the output files.
void WriteReportFiles(const std::string& dir, const RunReport& r, const core::Graph& g,
                      const std::map<std::string, std::vector<int32_t>>& outputs);

}  // namespace npusim::app

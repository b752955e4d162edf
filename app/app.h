// The npusim command, thin over the libraries: parses the command line, loads and validates the
// inputs, compiles, simulates, checks and reports. Exit codes: 0 success; 1 output mismatch under
// --check or an internal error; 2 bad usage or invalid input.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/arch.h"
#include "core/energy.h"
#include "core/graph.h"
#include "core/stats.h"
#include "isa/instruction.h"
#include "models/npu.h"

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

// What one run produced, for the report writers.
struct LayerReport {
  std::string name, op, unit, tiling, shape;
  int64_t macs = 0;
  uint64_t cycles = 0;       // this layer's share of the total (sums to the run's cycles)
  uint64_t start_cycle = 0, end_cycle = 0;
  double utilization = 0;    // macs / ((end - start) * PEs of its unit)
  uint64_t compute_busy_cycles = 0;  // matrix unit busy on this layer
  uint64_t load_busy_cycles = 0;     // DMA load channel busy on this layer (transfers in flight)
  std::string bound;                 // "compute", "memory" or "post": the busiest unit
  double energy_pj = 0;
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  // Reconfigurable arrays (empty / 0 otherwise; isa::LayerMapping): chosen configuration,
  // runner-up, fastest monolithic single-dataflow configuration, their compute-cycle estimates,
  // mapping efficiency (MACs / (chosen compute cycles * PEs)) and speedup (monolithic / chosen).
  std::string mapping, runner_up, monolithic;
  int64_t mapping_cycles = 0, monolithic_cycles = 0;
  double mapping_efficiency = 0, speedup_vs_monolithic = 0;
  // Conv/FC layers: the format the weights are stored in and their DRAM bytes (isa::LayerMapping).
  std::string weight_format;
  int64_t weight_bytes = 0;
};

struct CheckResult {
  bool requested = false;
  bool passed = false;
  int64_t values = 0;
  std::string message;  // "bit-exact (N values)" or the first mismatch
};

struct RunReport {
  std::string arch_name, arch_file, net_name, net_file;
  double clock_mhz = 0;
  uint64_t cycles = 0;
  double seconds = 0;
  int64_t macs = 0;
  int64_t weight_bytes = 0;  // conv/FC weights as stored in DRAM (compressed on a sparse array)
  core::EnergyReport energy;
  std::vector<LayerReport> layers;
  CheckResult check;
  std::map<std::string, uint64_t> counters;  // "component.action" -> total
  std::string arch_resolved_json;            // the validated arch, defaults filled (echo)
  std::vector<models::RunResult::BankCounts> banks;
  std::string mode = "exact";  // models::ExecModeName
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
// Report writers (app/report.cpp). Files appear complete or not at all.
// The report of one simulation, as `npusim run` writes it (app/run.cpp); also used by
// `npusim scalesim` (full model) and `npusim serve`.
RunReport BuildReport(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file,
                      const isa::Program& prog, const core::StatRegistry& stats,
                      const models::RunResult& rr);
// SystemC fatal errors and errors become exceptions (exit 1), not aborts. Call before simulating.
void ConfigureSystemCReports();

std::string SummaryTable(const RunReport& r);

// Writes report.json (with an "outputs" list: name, tensor, file, shape and dtype of each output
// file written; none in timing mode), layers.csv and the output files.
void WriteReportFiles(const std::string& dir, const RunReport& r, const core::Graph& g,
                      const std::map<std::string, std::vector<int32_t>>& outputs);

}  // namespace npusim::app

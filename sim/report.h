// What a run reports, for `npusim run`, `npusim scalesim` and `npusim sweep`'s points: the
// simulation's Result with the names of what ran, the output check, the phases' wall time, and the
// writers of the terminal summary, report.json, layers.csv and the output files (a result set
// appears complete or not at all: support/result_dir.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/arch.h"
#include "config/area.h"
#include "ir/graph.h"
#include "sim/simulate.h"
#include "support/result_dir.h"

namespace npusim::sim {

// One layer's figures (sim/simulate.h), as the report writers format them.
using LayerReport = LayerStats;

struct CheckResult {
  bool requested = false;
  bool passed = false;
  int64_t values = 0;
  std::string message;  // "bit-exact (N values)" or the first mismatch
};

// What one run produced (Result: cycles, energy, layers, counters, outputs ...) with what
// names it, for the report writers.
struct RunReport : Result {
  RunReport() = default;
  explicit RunReport(Result r) : Result(std::move(r)) {}
  std::string arch_name, arch_file, net_name, net_file;
  double clock_mhz = 0;
  bool dram_timed = false;  // a JEDEC-timed DRAM: per-layer row hits are reported
  CheckResult check;
  std::string arch_resolved_json;  // the validated arch, defaults filled (echo)
  double wall_seconds = 0;
  // Where the wall time went, in order: load (arch, net, inputs), compile, elaborate (SystemC
  // modules, DRAM image), simulate (sc_start to the last instruction), check (reference
  // executor), report. Start-up is everything before "simulate".
  std::vector<std::pair<std::string, double>> wall_breakdown_s;
  double simulated_cycles_per_second = 0;  // cycles / the "simulate" phase's wall seconds
  // The arch's area (config/area.h), when its energy file has an "area" section.
  std::optional<core::AreaReport> area;
  // The matrix unit's peak MACs per cycle at its narrowest operand widths, its best case
  // (models/timing/unit_timing.h), for peak TOPS and TOPS/mm^2.
  double peak_macs_per_cycle = 0;
};

// Throughput figures of a run (docs/models.md, "Area"): one MAC is two operations.
struct Efficiency {
  double tops_per_w = 0;         // achieved: 2 macs / the run's energy (DRAM included)
  double peak_tops = 0;          // 2 x peak MACs per cycle x the clock
  double tops_per_mm2 = 0;       // achieved: 2 macs / seconds / area (0 without an area)
  double peak_tops_per_mm2 = 0;  // peak_tops / area (0 without an area)
};
Efficiency EfficiencyOf(const RunReport& r);

// Wall-clock phases of a command, for RunReport::wall_breakdown_s.
class PhaseClock {
 public:
  PhaseClock();
  // Ends the current phase under `name` and starts the next one.
  void Lap(const std::string& name);
  double Seconds(const std::string& name) const;  // 0 for a phase not lapped
  double Total() const;                           // since construction
  const std::vector<std::pair<std::string, double>>& laps() const { return laps_; }

 private:
  double start_, last_;
  std::vector<std::pair<std::string, double>> laps_;
};

// Compares every network output of `sim` with `ref`: "bit-exact (N values)" or the first
// mismatch with its index.
CheckResult CompareOutputs(const core::Graph& g, const std::map<std::string, std::vector<int32_t>>& sim,
                           const std::map<std::string, std::vector<int32_t>>& ref);

// Creates DIR, or throws ConfigError naming DIR (core::CreateOutputDir). Commands that write a
// result set use core::ResultDir instead.
void PrepareOutputDir(const std::string& dir);
// The report of simulation `r` of `g` (from `net_file`) on `arch`: `r` with the names and the
// resolved arch echo. Used by `npusim run` and `npusim scalesim` (full model).
RunReport BuildReport(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file,
                      Result r);

// report.json's area and throughput fields (area_mm2, area, tops_per_w, peak_tops, tops_per_mm2,
// peak_tops_per_mm2; docs/models.md "Area") of simulation `r` on `arch`, added to `j`: for the
// answers of `npusim serve` and the Python module, which carry no report.
void AddEfficiency(const core::ArchConfig& arch, const Result& r, nlohmann::json& j);

// Report writers. Files appear complete or not at all.
std::string SummaryTable(const RunReport& r);

// A network output as a run writes it: its name (the model's output name, else the IR tensor's),
// its file name under outputs/ ("y.npy") and the file's .npy bytes (the model's layout and type).
struct OutputNpy {
  std::string name, file, bytes;
};
// The outputs a run computed (`outputs`: IR tensor -> values; none in timing mode) as the .npy
// files WriteReportFiles writes, in the network's output order.
std::vector<OutputNpy> EncodeOutputs(const core::Graph& g,
                                     const std::map<std::string, std::vector<int32_t>>& outputs);

// Writes report.json (with an "outputs" list: name, tensor, file, shape and dtype of each output
// file written; none in timing mode), layers.csv and the output files into result set `set`
// (the caller commits it). An output's file is outputs/<name>.npy, a name above 200 bytes
// shortened with a hash (core::ShortFileStem); report.json's "outputs" names each file.
void WriteReportFiles(core::ResultDir& set, const RunReport& r, const core::Graph& g,
                      const std::map<std::string, std::vector<int32_t>>& outputs);

}  // namespace npusim::sim

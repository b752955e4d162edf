// sim/report.h: building a run's report, and its formatting: the terminal summary, report.json, layers.csv
// and the output files (outputs/<tensor>.npy, or outputs/<model output name>.npy: OutputFiles). Collection
// happened elsewhere (support/stats.h); this only formats.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/report.h"

#include "config/arch_json.h"
#include "ir/model_io.h"
#include "models/timing/unit_timing.h"
#include "support/atomic_file.h"
#include "support/csv.h"
#include "support/error.h"
#include "support/npy.h"
#include "support/result_dir.h"

namespace npusim::sim {
namespace {

namespace fs = std::filesystem;

std::string Fixed(double v, int digits) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

// area_mm2, area (per component), and the throughput figures (docs/models.md, "Area").
void AddEfficiency(const RunReport& r, nlohmann::json& j) {
  const Efficiency e = EfficiencyOf(r);
  j["tops_per_w"] = e.tops_per_w;
  j["peak_tops"] = e.peak_tops;
  if (!r.area) return;
  j["area_mm2"] = r.area->total_mm2;
  j["area"] = r.area->by_component_mm2;
  j["tops_per_mm2"] = e.tops_per_mm2;
  j["peak_tops_per_mm2"] = e.peak_tops_per_mm2;
}

nlohmann::json ToJson(const RunReport& r) {
  nlohmann::json j;
  j["arch"] = {{"name", r.arch_name}, {"file", r.arch_file}, {"clock_mhz", r.clock_mhz}};
  if (!r.arch_resolved_json.empty()) j["arch"]["resolved"] = nlohmann::json::parse(r.arch_resolved_json);
  j["net"] = {{"name", r.net_name}, {"file", r.net_file}};
  j["cycles"] = r.run.cycles;
  j["seconds"] = r.seconds;
  j["energy_pj"] = r.energy.total_pj;
  j["energy_breakdown_pj"] = r.energy.by_component_pj;
  j["macs"] = r.macs;
  j["mode"] = models::ExecModeName(r.mode);
  j["compile"] = {{"fusion", r.fusion}, {"objective", r.objective}};
  j["weight_bytes"] = r.weight_bytes;
  j["wall_seconds"] = r.wall_seconds;
  j["wall_breakdown_s"] = nlohmann::json::object();
  for (const auto& [phase, sec] : r.wall_breakdown_s) j["wall_breakdown_s"][phase] = sec;
  j["simulated_cycles_per_second"] = r.simulated_cycles_per_second;
  j["layers"] = nlohmann::json::array();
  for (const LayerReport& L : r.layers) {
    j["layers"].push_back({{"name", L.name},
                           {"op", L.op},
                           {"unit", L.unit},
                           {"output_shape", L.shape},
                           {"tiling", L.tiling},
                           {"cycles", L.cycles},
                           {"start_cycle", L.start_cycle},
                           {"end_cycle", L.end_cycle},
                           {"energy_pj", L.energy_pj},
                           {"macs", L.macs},
                           {"utilization", L.utilization},
                           {"compute_busy_cycles", L.compute_busy_cycles},
                           {"load_busy_cycles", L.load_busy_cycles},
                           {"bound", L.bound},
                           {"dram_read_bytes", L.dram_read_bytes},
                           {"dram_write_bytes", L.dram_write_bytes}});
    if (r.dram_timed) {
      j["layers"].back()["dram_rows"] = {{"hits", L.dram_row_hits},
                                         {"misses", L.dram_row_misses},
                                         {"conflicts", L.dram_row_conflicts},
                                         {"hit_rate", L.dram_row_hit_rate()}};
    }
    if (!L.fusion_group.empty()) j["layers"].back()["fusion_group"] = L.fusion_group;
    if (!L.fusion_note.empty()) j["layers"].back()["fusion_note"] = L.fusion_note;
    if (!L.weight_format.empty()) {
      j["layers"].back()["weight_format"] = L.weight_format;
      j["layers"].back()["weight_bytes"] = L.weight_bytes;
    }
    if (!L.mapping.empty()) {
      j["layers"].back()["mapping"] = {{"chosen", L.mapping},
                                       {"runner_up", L.runner_up},
                                       {"best_monolithic", L.monolithic},
                                       {"compute_cycles_estimate", L.mapping_cycles},
                                       {"monolithic_compute_cycles_estimate", L.monolithic_cycles},
                                       {"mapping_efficiency", L.mapping_efficiency},
                                       {"speedup_vs_monolithic", L.speedup_vs_monolithic}};
    }
  }
  AddEfficiency(r, j);
  j["counters"] = r.counters;
  for (const auto& b : r.run.banks) {
    j["buffers"][b.buffer] = {{"bank_read_words", b.reads}, {"bank_write_words", b.writes}};
  }
  if (r.check.requested) {
    j["check"] = {{"passed", r.check.passed}, {"values", r.check.values}, {"message", r.check.message}};
  }
  return j;
}

std::string LayersCsv(const RunReport& r) {
  std::ostringstream s;
  s << "name,op,output_shape,macs,cycles,start_cycle,end_cycle,utilization,compute_busy_cycles,"
       "load_busy_cycles,bound,energy_pj,dram_read_bytes,dram_write_bytes,mapping,"
       "mapping_efficiency,speedup_vs_monolithic,best_monolithic,weight_format,weight_bytes,dram_row_hit_"
       "rate,fusion_group\n";
  for (const LayerReport& L : r.layers) {
    s << L.name << "," << L.op << "," << L.shape << "," << L.macs << "," << L.cycles << "," << L.start_cycle
      << "," << L.end_cycle << "," << Fixed(L.utilization, 4) << "," << L.compute_busy_cycles << ","
      << L.load_busy_cycles << "," << L.bound << "," << Fixed(L.energy_pj, 1) << "," << L.dram_read_bytes
      << "," << L.dram_write_bytes << "," << core::CsvField(L.mapping) << ","
      << Fixed(L.mapping_efficiency, 4) << "," << Fixed(L.speedup_vs_monolithic, 4) << ","
      << core::CsvField(L.monolithic) << "," << L.weight_format << "," << L.weight_bytes << ","
      << (r.dram_timed ? Fixed(L.dram_row_hit_rate(), 4) : "") << "," << core::CsvField(L.fusion_group)
      << "\n";
  }
  return s.str();
}

}  // namespace

std::string SummaryTable(const RunReport& r) {
  std::ostringstream s;
  char line[256];
  std::snprintf(line, sizeof line, "%-22s %-16s %-14s %12s %11s %6s %-8s %12s %10s %10s\n", "layer", "op",
                "output", "MACs", "cycles", "util", "bound", "energy_uJ", "dram_rd_KB", "dram_wr_KB");
  s << "npusim: " << r.net_name << " on " << r.arch_name << "\n" << line;
  for (const LayerReport& L : r.layers) {
    std::snprintf(line, sizeof line, "%-22.22s %-16s %-14s %12lld %11llu %5.1f%% %-8s %12.3f %10.1f %10.1f\n",
                  L.name.c_str(), L.op.c_str(), L.shape.c_str(), static_cast<long long>(L.macs),
                  static_cast<unsigned long long>(L.cycles), 100.0 * L.utilization, L.bound.c_str(),
                  L.energy_pj / 1e6, L.dram_read_bytes / 1024.0, L.dram_write_bytes / 1024.0);
    s << line;
  }
  s << "total: " << r.run.cycles << " cycles = " << Fixed(r.seconds * 1e3, 3) << " ms at " << r.clock_mhz
    << " MHz, " << r.macs << " MACs, energy " << Fixed(r.energy.total_pj / 1e6, 3) << " uJ\n";
  s << "energy by component (uJ):";
  for (const auto& [c, e] : r.energy.by_component_pj) s << " " << c << "=" << Fixed(e / 1e6, 3);
  s << "\n";
  if (r.area) {
    const Efficiency e = EfficiencyOf(r);
    s << "area " << Fixed(r.area->total_mm2, 3) << " mm^2 (modelled, docs/models.md \"Area\"):";
    for (const auto& [c, a] : r.area->by_component_mm2) s << " " << c << "=" << Fixed(a, 3);
    s << "; " << Fixed(e.tops_per_mm2, 4) << " TOPS/mm^2 achieved (" << Fixed(e.peak_tops_per_mm2, 4)
      << " peak), " << Fixed(e.tops_per_w, 3) << " TOPS/W achieved\n";
  }
  if (!r.wall_breakdown_s.empty()) {
    s << "wall " << Fixed(r.wall_seconds, 3) << " s (" << models::ExecModeName(r.mode) << " mode):";
    for (const auto& [phase, sec] : r.wall_breakdown_s) s << " " << phase << "=" << Fixed(sec, 3);
    s << "; " << Fixed(r.simulated_cycles_per_second / 1e6, 1) << " M simulated cycles per second\n";
  }
  return s.str();
}

namespace {
double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

PhaseClock::PhaseClock() : start_(NowSeconds()), last_(start_) {}

void PhaseClock::Lap(const std::string& name) {
  const double now = NowSeconds();
  laps_.emplace_back(name, now - last_);
  last_ = now;
}

double PhaseClock::Seconds(const std::string& name) const {
  double s = 0;
  for (const auto& [n, sec] : laps_) {
    if (n == name) s += sec;
  }
  return s;
}

double PhaseClock::Total() const { return NowSeconds() - start_; }

void PrepareOutputDir(const std::string& dir) { core::CreateOutputDir(dir); }

namespace {

// One file a run writes under DIR/outputs/: for each network output (a network in the IR's terms),
// or for each output the model lists (core::ModelIo: the model's name, layout and type).
struct OutputFile {
  std::string name;       // the model's output name, or the IR tensor's
  std::string tensor;     // the IR tensor the values come from
  std::string file;       // "y.npy"
  int model_output = -1;  // index into g.model_io->outputs, or -1
};

std::vector<OutputFile> OutputFiles(const core::Graph& g) {
  std::vector<OutputFile> out;
  if (!g.model_io) {
    for (const std::string& t : g.outputs) out.push_back({t, t, core::ShortFileStem(t) + ".npy"});
    return out;
  }
  const std::vector<core::ModelTensor>& model = g.model_io->outputs;
  const std::vector<std::string> files = core::ModelOutputFiles(model);
  for (size_t k = 0; k < model.size(); ++k) {
    out.push_back({model[k].name, model[k].tensor, files[k], static_cast<int>(k)});
  }
  return out;
}

// The shape and dtype output file `f` has.
std::pair<std::vector<int64_t>, std::string> FileType(const core::Graph& g, const OutputFile& f) {
  if (f.model_output >= 0) {
    const core::ModelTensor& m = g.model_io->outputs[f.model_output];
    return {m.shape, m.dtype};
  }
  const core::TensorInfo& t = g.tensor(f.tensor);
  return {t.shape, core::NpyDtypeFor(t.bits, t.is_signed)};
}

nlohmann::json OutputsJson(const core::Graph& g, const std::vector<OutputFile>& files) {
  nlohmann::json j = nlohmann::json::array();
  for (const OutputFile& f : files) {
    const auto [shape, dtype] = FileType(g, f);
    j.push_back({{"name", f.name},
                 {"tensor", f.tensor},
                 {"file", "outputs/" + f.file},
                 {"shape", shape},
                 {"dtype", dtype}});
  }
  return j;
}

// The .npy bytes of output file `f` from its IR tensor's values.
std::string EncodeOutput(const core::Graph& g, const OutputFile& f, const std::string& path,
                         const std::vector<int32_t>& values) {
  const core::TensorInfo& t = g.tensor(f.tensor);
  if (f.model_output < 0) return core::EncodeNpy(path, t.shape, values, t.bits, t.is_signed);
  return core::EncodeModelOutput(path, g.model_io->outputs[f.model_output], t, values);
}

// The output files of `outputs` (those a run computed), each with its .npy bytes; `dir` only
// names the files in messages.
std::vector<std::pair<OutputFile, std::string>> Encoded(
    const core::Graph& g, const std::string& dir,
    const std::map<std::string, std::vector<int32_t>>& outputs) {
  std::vector<std::pair<OutputFile, std::string>> out;
  for (const OutputFile& f : OutputFiles(g)) {
    const auto it = outputs.find(f.tensor);
    if (it == outputs.end()) continue;
    out.emplace_back(f, EncodeOutput(g, f, (fs::path(dir) / "outputs" / f.file).string(), it->second));
  }
  return out;
}

}  // namespace

std::vector<OutputNpy> EncodeOutputs(const core::Graph& g,
                                     const std::map<std::string, std::vector<int32_t>>& outputs) {
  std::vector<OutputNpy> out;
  for (auto& [f, bytes] : Encoded(g, ".", outputs)) out.push_back({f.name, f.file, std::move(bytes)});
  return out;
}

void WriteReportFiles(core::ResultDir& set, const RunReport& r, const core::Graph& g,
                      const std::map<std::string, std::vector<int32_t>>& outputs) {
  set.AddDirectory("outputs");  // empty in timing mode, which computes no values
  std::vector<OutputFile> written;
  for (const auto& [f, bytes] : Encoded(g, set.dir(), outputs)) {
    set.Write("outputs/" + f.file, bytes);
    written.push_back(f);
  }
  nlohmann::json report = ToJson(r);
  report["outputs"] = OutputsJson(g, written);
  set.Write("layers.csv", LayersCsv(r));
  set.Write("report.json", report.dump(2) + "\n");
}

Efficiency EfficiencyOf(const RunReport& r) {
  Efficiency e;
  const double ops = 2.0 * static_cast<double>(r.macs);
  if (r.energy.total_pj > 0) e.tops_per_w = ops / r.energy.total_pj;  // ops per pJ = 10^12 ops per J
  e.peak_tops = 2.0 * r.peak_macs_per_cycle * r.clock_mhz * 1e6 / 1e12;
  if (!r.area || r.area->total_mm2 <= 0) return e;
  if (r.seconds > 0) e.tops_per_mm2 = ops / r.seconds / 1e12 / r.area->total_mm2;
  e.peak_tops_per_mm2 = e.peak_tops / r.area->total_mm2;
  return e;
}

namespace {

// What EfficiencyOf and AddEfficiency read of the arch: its clock, area and peak MACs per cycle.
void SetArchFigures(const core::ArchConfig& arch, RunReport* report) {
  report->clock_mhz = arch.clock_mhz;
  if (arch.energy.area.present) report->area = core::ComputeArea(arch);
  if (const core::UnitConfig* u = arch.MatrixUnit()) {
    // The best case: the narrowest widths the unit runs (a bit-serial unit is fastest there).
    report->peak_macs_per_cycle = models::timing::MatrixUnitPeakMacsPerCycle(
        *u, *std::min_element(u->weight_bits.begin(), u->weight_bits.end()),
        *std::min_element(u->input_bits.begin(), u->input_bits.end()));
  }
}

}  // namespace

void AddEfficiency(const core::ArchConfig& arch, const Result& r, nlohmann::json& j) {
  RunReport report;  // the totals EfficiencyOf reads, not the per-instruction and per-layer lists
  report.macs = r.macs;
  report.seconds = r.seconds;
  report.energy.total_pj = r.energy.total_pj;
  SetArchFigures(arch, &report);
  AddEfficiency(report, j);
}

RunReport BuildReport(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file,
                      Result r) {
  RunReport report(std::move(r));
  report.arch_name = arch.name;
  report.arch_file = arch.file;
  report.net_name = g.name;
  report.net_file = net_file;
  report.dram_timed = arch.dram.timed();
  report.arch_resolved_json = core::ArchToJson(arch).dump();  // loads back as an arch file
  SetArchFigures(arch, &report);
  return report;
}

CheckResult CompareOutputs(const core::Graph& g, const std::map<std::string, std::vector<int32_t>>& sim,
                           const std::map<std::string, std::vector<int32_t>>& ref) {
  CheckResult c;
  c.requested = true;
  for (const std::string& name : g.outputs) {
    const std::vector<int32_t>& got = sim.at(name);
    const std::vector<int32_t>& want = ref.at(name);
    for (size_t i = 0; i < want.size(); ++i) {
      if (got[i] == want[i]) continue;
      // The index both flat and per dimension (NHWC), which is how people look for it.
      const std::vector<int64_t>& shape = g.tensor(name).shape;
      std::string at;
      int64_t rest = static_cast<int64_t>(i);
      for (size_t d = shape.size(); d-- > 0;) {
        at = std::to_string(rest % shape[d]) + (at.empty() ? "" : ",") + at;
        rest /= shape[d];
      }
      c.message = "mismatch in output \"" + name + "\" at [" + at + "] (flat index " + std::to_string(i) +
                  "): simulated " + std::to_string(got[i]) + ", reference " + std::to_string(want[i]);
      return c;
    }
    c.values += static_cast<int64_t>(want.size());
  }
  c.passed = true;
  c.message = "bit-exact (" + std::to_string(c.values) + " values)";
  return c;
}

}  // namespace npusim::sim

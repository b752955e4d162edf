// `npusim scalesim` output formatting: SCALE-Sim's COMPUTE_REPORT.csv, npusim's report.json and
// the terminal table. The numbers come from scalesim_compat.cpp; this only formats.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "frontends/scalesim/scalesim_compat.h"

namespace npusim::core {
namespace {

using Json = nlohmann::ordered_json;
namespace timing = models::timing;

const char kCyclesMeaning[] = "folds x cycles per fold, summed over every SCALE-Sim layer: a count of cycles";
const char kScaleSimCyclesMeaning[] =
    "SCALE-Sim v2's 'Total Cycles' summed over its layers: each is the index, counted from 0, of the "
    "layer's last cycle, i.e. its cycle count - 1";

Json ConfigJson(const ScaleSimConfig& c) {
  Json j;
  j["file"] = c.file;
  j["run_name"] = c.run_name;
  j["array_height"] = c.array_height;
  j["array_width"] = c.array_width;
  j["ifmap_sram_kb"] = c.ifmap_sram_kb;
  j["filter_sram_kb"] = c.filter_sram_kb;
  j["ofmap_sram_kb"] = c.ofmap_sram_kb;
  j["ifmap_offset"] = c.ifmap_offset;
  j["filter_offset"] = c.filter_offset;
  j["ofmap_offset"] = c.ofmap_offset;
  j["dataflow"] = c.dataflow;
  j["interface_bandwidth"] = c.interface_bandwidth;
  j["bandwidth"] = c.bandwidth;
  j["memory_banks"] = c.memory_banks ? Json(*c.memory_banks) : Json(nullptr);
  j["ignored_keys"] = c.ignored_keys;
  return j;
}

Json LayerJson(const ScaleSimCompatLayer& L) {
  const ScaleSimLayer& r = *L.row;
  const timing::ScaleSimLayerStats& s = L.stats;
  Json j;
  j["name"] = r.name;
  j["line"] = r.line;
  j["first_layer_id"] = L.first_layer_id;
  j["runs"] = L.runs;
  j["depthwise"] = r.depthwise;
  j["ifmap"] = {r.ifmap_h, r.ifmap_w, r.ChannelsPerRun()};
  j["filter"] = {r.filter_h, r.filter_w};
  j["num_filters"] = r.num_filters;
  j["strides"] = {r.stride_h, r.stride_w};
  j["ofmap"] = {L.ofmap_h, L.ofmap_w};
  j["gemm"] = {{"ofmap_px", L.gemm.ofmap_px}, {"window", L.gemm.window}, {"filters", L.gemm.filters}};
  j["sr"] = s.sr;
  j["sc"] = s.sc;
  j["t"] = s.t;
  j["row_folds"] = s.row_folds;
  j["col_folds"] = s.col_folds;
  j["folds"] = s.folds;
  j["cycles_per_fold"] = s.cycles_per_fold;
  j["cycles"] = L.cycles;
  j["cycles_per_run"] = s.cycles;
  j["scalesim_total_cycles_per_run"] = s.reported_total_cycles;
  j["stall_cycles"] = 0;
  j["macs"] = L.macs;
  j["overall_util_pct"] = s.overall_util_pct;
  j["mapping_efficiency_pct"] = s.mapping_efficiency_pct;
  j["compute_util_pct"] = s.compute_util_pct;
  j["ifmap_sram_reads"] = L.ifmap_sram_reads;
  j["filter_sram_reads"] = L.filter_sram_reads;
  j["ofmap_sram_writes"] = L.ofmap_sram_writes;
  return j;
}

}  // namespace

std::string PythonFloatRepr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  // The shortest digits that read back as v (what Python's repr picks), as d.ddde+XX.
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp10 = std::atoi(sci.c_str() + e + 1);
  // Python: scientific below 1e-4 and from 1e16 up, fixed (with at least ".0") in between.
  if (exp10 < -4 || exp10 >= 16) {
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    return sign + digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") + tail;
  }
  if (exp10 < 0) return sign + "0." + std::string(-exp10 - 1, '0') + digits;
  const size_t int_digits = static_cast<size_t>(exp10) + 1;
  if (digits.size() <= int_digits) return sign + digits + std::string(int_digits - digits.size(), '0') + ".0";
  return sign + digits.substr(0, int_digits) + "." + digits.substr(int_digits);
}

// SCALE-Sim v2's COMPUTE_REPORT.csv, byte for byte in form: its header, ", " separators, a
// trailing comma, Python's float formatting; one row per SCALE-Sim layer (a DP row's runs each).
std::string ScaleSimComputeReportCsv(const ScaleSimCompatRun& run) {
  std::string out =
      "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n";
  for (const ScaleSimCompatLayer& L : run.layers) {
    const timing::ScaleSimLayerStats& s = L.stats;
    const std::string rest =
        ", " + std::to_string(s.reported_total_cycles) + ", 0, " + PythonFloatRepr(s.overall_util_pct) +
        ", " + PythonFloatRepr(s.mapping_efficiency_pct) + ", " + PythonFloatRepr(s.compute_util_pct) + ",\n";
    for (int64_t i = 0; i < L.runs; ++i) out += std::to_string(L.first_layer_id + i) + rest;
  }
  return out;
}

namespace {

// One line per SCALE-Sim layer (a DP row's runs each): "<id>, <fields>,\n".
std::string PerLayerCsv(const ScaleSimCompatRun& run, const std::string& header,
                        std::string (*fields)(const ScaleSimCompatLayer&)) {
  std::string out = header;
  for (const ScaleSimCompatLayer& L : run.layers) {
    const std::string rest = ", " + fields(L) + ",\n";
    for (int64_t i = 0; i < L.runs; ++i) out += std::to_string(L.first_layer_id + i) + rest;
  }
  return out;
}

// SCALE-Sim's average SRAM bandwidth: accesses / its Total Cycles (words per cycle); empty where
// that total is 0 (SCALE-Sim divides by zero there).
std::string SramBandwidth(int64_t accesses, int64_t total_cycles) {
  if (total_cycles == 0) return "";
  return PythonFloatRepr(static_cast<double>(accesses) / static_cast<double>(total_cycles));
}

std::string BandwidthFields(const ScaleSimCompatLayer& L) {
  const timing::ScaleSimLayerStats& s = L.stats;
  // The DRAM columns come from SCALE-Sim's prefetch-buffer simulation, not reproduced: empty.
  return SramBandwidth(s.ifmap_sram_reads, s.reported_total_cycles) + ", " +
         SramBandwidth(s.filter_sram_reads, s.reported_total_cycles) + ", " +
         SramBandwidth(s.ofmap_sram_writes, s.reported_total_cycles) + ", , , ";
}

std::string DetailedAccessFields(const ScaleSimCompatLayer& L) {
  const timing::ScaleSimLayerStats& s = L.stats;
  const auto sram = [](int64_t start, int64_t stop, int64_t count) {
    return std::to_string(start) + ", " + std::to_string(stop) + ", " + std::to_string(count);
  };
  // The DRAM columns come from SCALE-Sim's prefetch-buffer simulation, not reproduced: empty.
  return sram(s.ifmap_sram_start, s.ifmap_sram_stop, s.ifmap_sram_reads) + ", " +
         sram(s.filter_sram_start, s.filter_sram_stop, s.filter_sram_reads) + ", " +
         sram(s.ofmap_sram_start, s.ofmap_sram_stop, s.ofmap_sram_writes) + ", , , , , , , , , ";
}

}  // namespace

std::string ScaleSimBandwidthReportCsv(const ScaleSimCompatRun& run) {
  return PerLayerCsv(run,
                     "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
                     "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n",
                     BandwidthFields);
}

std::string ScaleSimDetailedAccessReportCsv(const ScaleSimCompatRun& run) {
  return PerLayerCsv(run,
                     "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
                     "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
                     "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
                     "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
                     "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
                     "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n",
                     DetailedAccessFields);
}

std::string ScaleSimReportJson(const ScaleSimCompatRun& run) {
  const ScaleSimInputs& in = *run.inputs;
  Json j;
  j["command"] = "scalesim";
  j["compat"] = "scalesim";
  j["config"] = ConfigJson(in.config);
  j["topology"] = {{"file", in.topology.file},
                   {"form", in.topology.form == ScaleSimTopologyForm::kGemm ? "gemm" : "conv"}};
  j["scalesim_layers"] = run.scalesim_layers;
  j["cycles"] = run.cycles;
  j["scalesim_total_cycles"] = run.scalesim_total_cycles;
  j["cycle_conventions"] = {{"cycles", kCyclesMeaning}, {"scalesim_total_cycles", kScaleSimCyclesMeaning}};
  j["stall_cycles"] = 0;
  j["macs"] = run.macs;
  j["layers"] = Json::array();
  for (const ScaleSimCompatLayer& L : run.layers) j["layers"].push_back(LayerJson(L));
  j["notes"] = run.notes;
  return j.dump(2) + "\n";
}

std::string ScaleSimSummaryTable(const ScaleSimCompatRun& run) {
  const ScaleSimConfig& c = run.inputs->config;
  std::ostringstream s;
  char line[320];
  s << "npusim scalesim --compat scalesim: run \"" << c.run_name << "\", " << c.array_height << "x"
    << c.array_width << " array, " << c.dataflow << " dataflow, InterfaceBandwidth " << c.interface_bandwidth
    << "\n";
  std::snprintf(line, sizeof line, "%-20s %5s %8s %8s %8s %8s %8s %14s %14s %7s %8s %8s\n", "layer", "runs",
                "Sr", "Sc", "T", "folds", "fold_cyc", "SS_total/run", "cycles", "util%", "map_eff%", "comp%");
  s << line;
  for (const ScaleSimCompatLayer& L : run.layers) {
    const timing::ScaleSimLayerStats& t = L.stats;
    std::snprintf(
        line, sizeof line, "%-20.20s %5lld %8lld %8lld %8lld %8lld %8lld %14lld %14lld %7.2f %8.2f %8.2f\n",
        L.row->name.c_str(), static_cast<long long>(L.runs), static_cast<long long>(t.sr),
        static_cast<long long>(t.sc), static_cast<long long>(t.t), static_cast<long long>(t.folds),
        static_cast<long long>(t.cycles_per_fold), static_cast<long long>(t.reported_total_cycles),
        static_cast<long long>(L.cycles), t.overall_util_pct, t.mapping_efficiency_pct, t.compute_util_pct);
    s << line;
  }
  s << "total: " << run.scalesim_layers << " SCALE-Sim layers, " << run.macs << " MACs, " << run.cycles
    << " cycles (counts); SCALE-Sim Total Cycles summed: " << run.scalesim_total_cycles
    << " (each layer's last cycle counted from 0, i.e. count - 1)\n";
  return s.str();
}

}  // namespace npusim::core

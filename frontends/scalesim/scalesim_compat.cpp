// frontends/scalesim/scalesim_compat.h: SCALE-Sim's compute model over a topology.
#include "frontends/scalesim/scalesim_compat.h"

#include <stdexcept>

#include "ir/int_math.h"
#include "support/error.h"

namespace npusim::core {
namespace {

namespace timing = models::timing;

// A topology row as SCALE-Sim runs it: the figures of one run (a DP row's run has one channel)
// and their totals over the row's runs.
ScaleSimCompatLayer CompatLayer(const ScaleSimConfig& cfg, timing::ScaleSimDataflow df,
                                const ScaleSimLayer& row) {
  ScaleSimCompatLayer L;
  L.row = &row;
  L.runs = row.Runs();
  const timing::ScaleSimConv conv{row.ifmap_h,          row.ifmap_w,     row.filter_h, row.filter_w,
                                  row.ChannelsPerRun(), row.num_filters, row.stride_h, row.stride_w};
  L.ofmap_h = timing::ScaleSimOfmapDim(conv.ifmap_h, conv.filter_h, conv.stride_h);
  L.ofmap_w = timing::ScaleSimOfmapDim(conv.ifmap_w, conv.filter_w, conv.stride_w);
  L.gemm = timing::ScaleSimConvToGemm(conv);
  L.stats = timing::ScaleSimLayer(cfg.array_height, cfg.array_width, df, L.gemm);
  const timing::ScaleSimLayerStats& s = L.stats;
  L.cycles = CheckedMul(L.runs, s.cycles);
  L.macs = CheckedMul(L.runs, s.macs);
  L.ifmap_sram_reads = CheckedMul(L.runs, s.ifmap_sram_reads);
  L.filter_sram_reads = CheckedMul(L.runs, s.filter_sram_reads);
  L.ofmap_sram_writes = CheckedMul(L.runs, s.ofmap_sram_writes);
  return L;
}

void AddToTotals(const ScaleSimCompatLayer& L, ScaleSimCompatRun& run) {
  run.scalesim_layers = CheckedAdd(run.scalesim_layers, L.runs);
  run.cycles = CheckedAdd(run.cycles, L.cycles);
  run.scalesim_total_cycles = CheckedAdd(run.scalesim_total_cycles, L.cycles - L.runs);
  run.macs = CheckedAdd(run.macs, L.macs);
}

std::vector<std::string> CompatNotes(const ScaleSimConfig& cfg) {
  std::vector<std::string> notes;
  if (cfg.interface_bandwidth == "USER") {
    notes.push_back("InterfaceBandwidth is USER: SCALE-Sim would add the stall cycles of its DRAM and SRAM "
                    "buffer simulation; --compat scalesim reproduces CALC mode only, so these cycles are "
                    "stall-free (Stall Cycles 0)");
  }
  notes.push_back("BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv: the SRAM access counts, average SRAM "
                  "bandwidths and SRAM start/stop cycles are SCALE-Sim's (stall-free, CALC mode); the DRAM "
                  "columns come from its prefetch buffer simulation, which --compat scalesim does not "
                  "reproduce, and are left empty");
  if (!cfg.ignored_keys.empty()) {
    std::string keys;
    for (const std::string& k : cfg.ignored_keys) keys += (keys.empty() ? "" : ", ") + k;
    notes.push_back(cfg.file + ": not used by SCALE-Sim's compute model: " + keys);
  }
  return notes;
}

}  // namespace

ScaleSimInputs LoadScaleSimInputs(const std::string& config_file, const std::string& topology_file,
                                  ScaleSimTopologyForm form) {
  ScaleSimInputs in;
  std::vector<Problem> problems;
  try {
    in.config = LoadScaleSimConfig(config_file);
  } catch (const ConfigError& e) {
    problems = e.problems();
  }
  try {
    in.topology = LoadScaleSimTopology(topology_file, form);
  } catch (const ConfigError& e) {
    problems.insert(problems.end(), e.problems().begin(), e.problems().end());
  }
  if (!problems.empty()) throw ConfigError(problems);
  return in;
}

ScaleSimCompatRun RunScaleSimCompat(const ScaleSimInputs& in) {
  ScaleSimCompatRun run;
  run.inputs = &in;
  run.dataflow = *timing::ParseScaleSimDataflow(in.config.dataflow);  // validated by the loader
  for (const ScaleSimLayer& row : in.topology.layers) {
    try {
      ScaleSimCompatLayer L = CompatLayer(in.config, run.dataflow, row);
      L.first_layer_id = run.scalesim_layers;
      AddToTotals(L, run);
      run.layers.push_back(L);
    } catch (const std::overflow_error&) {
      throw ConfigError(in.topology.file, "line " + std::to_string(row.line),
                        "layer \"" + row.name + "\": its cycle or access counts overflow 64 bits on a " +
                            std::to_string(in.config.array_height) + "x" +
                            std::to_string(in.config.array_width) + " array: expected smaller sizes");
    }
  }
  run.notes = CompatNotes(in.config);
  return run;
}

}  // namespace npusim::core

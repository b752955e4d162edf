// SCALE-Sim v2 compatibility (`npusim scalesim --compat scalesim`, docs/scalesim.md): its input
// files read together (scalesim_input.h), its compute model run over the topology row by row
// (the closed forms of models/timing/scalesim_compat.h), and its report files written in its own
// formats (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv) beside npusim's
// report.json and terminal table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontends/scalesim/scalesim_input.h"
#include "models/timing/scalesim_compat.h"

namespace npusim::core {

struct ScaleSimInputs {
  ScaleSimConfig config;
  ScaleSimTopology topology;
};

// One topology row under --compat scalesim. SCALE-Sim runs a row `runs` times (a depthwise "DP"
// row once per channel), each run a layer of its own in its reports.
struct ScaleSimCompatLayer {
  const ScaleSimLayer* row = nullptr;
  int64_t first_layer_id = 0;  // SCALE-Sim's LayerID of the first run
  int64_t runs = 1;
  int64_t ofmap_h = 0, ofmap_w = 0;
  models::timing::ScaleSimGemm gemm;
  models::timing::ScaleSimLayerStats stats;  // one run
  // Over all runs.
  int64_t cycles = 0, macs = 0, ifmap_sram_reads = 0, filter_sram_reads = 0, ofmap_sram_writes = 0;
};

struct ScaleSimCompatRun {
  const ScaleSimInputs* inputs = nullptr;
  models::timing::ScaleSimDataflow dataflow = models::timing::ScaleSimDataflow::kOs;
  std::vector<ScaleSimCompatLayer> layers;
  int64_t scalesim_layers = 0;        // rows of COMPUTE_REPORT.csv
  int64_t cycles = 0;                 // sum over runs of folds * cycles per fold (counts)
  int64_t scalesim_total_cycles = 0;  // sum over runs of SCALE-Sim's "Total Cycles" (count - 1)
  int64_t macs = 0;
  std::vector<std::string> notes;  // caveats echoed on stderr and in report.json
};

// Both files, every problem of both reported at once (ConfigError).
ScaleSimInputs LoadScaleSimInputs(const std::string& config_file, const std::string& topology_file,
                                  ScaleSimTopologyForm form);

// The SCALE-Sim v2 compute model over the topology. A layer whose counts overflow 64 bits is a
// ConfigError naming its line.
ScaleSimCompatRun RunScaleSimCompat(const ScaleSimInputs& inputs);

// ---- Report formatting (frontends/scalesim/scalesim_report.cpp) ----------------------------

std::string PythonFloatRepr(double v);  // as Python's str(float): 100.0, 85.71428571428571, 1e-05
std::string ScaleSimComputeReportCsv(const ScaleSimCompatRun& run);
// SCALE-Sim v2's BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv (its header, its row form):
// the SRAM columns (access counts, average SRAM bandwidth = accesses / Total Cycles) from the
// closed forms; the SRAM start/stop cycles and every DRAM column come from SCALE-Sim's prefetch
// buffer simulation, which npusim does not reproduce, and are left empty (docs/scalesim.md).
std::string ScaleSimBandwidthReportCsv(const ScaleSimCompatRun& run);
std::string ScaleSimDetailedAccessReportCsv(const ScaleSimCompatRun& run);
std::string ScaleSimReportJson(const ScaleSimCompatRun& run);
std::string ScaleSimSummaryTable(const ScaleSimCompatRun& run);

}  // namespace npusim::core

// `npusim scalesim` internals (app/scalesim.cpp, app/scalesim_report.cpp): SCALE-Sim v2 inputs
// read unchanged (frontends/scalesim/scalesim_input.h) and run through SCALE-Sim's own compute model
// (--compat scalesim: models/timing/scalesim_compat.h) or, later, through npusim's models.
// docs/scalesim.md is the user's description.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "frontends/scalesim/scalesim_graph.h"
#include "frontends/scalesim/scalesim_input.h"
#include "models/timing/dataflow_timing.h"
#include "models/timing/scalesim_compat.h"

namespace npusim::app {

struct ScaleSimInputs {
  core::ScaleSimConfig config;
  core::ScaleSimTopology topology;
};

// One topology row under --compat scalesim. SCALE-Sim runs a row `runs` times (a depthwise "DP"
// row once per channel), each run a layer of its own in its reports.
struct ScaleSimCompatLayer {
  const core::ScaleSimLayer* row = nullptr;
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
                                  core::ScaleSimTopologyForm form);

// The SCALE-Sim v2 compute model over the topology. A layer whose counts overflow 64 bits is a
// ConfigError naming its line.
ScaleSimCompatRun RunScaleSimCompat(const ScaleSimInputs& inputs);

// ---- The full model (app/scalesim_full.cpp) ----------------------------------------------------

// One topology row run through npusim's compiler and SystemC models, set against SCALE-Sim. The
// difference span - scalesim splits into four parts that add up:
//   padding    = SCALE-Sim's model on the GEMM npusim runs - on the row as given (padding, and
//                SCALE-Sim's ceil-sized ofmap where the stride does not divide H - Fh);
//   fold_model = npusim's array closed form for that GEMM as one instruction - SCALE-Sim's model on
//                it (fill/drain per fold, partial folds, depthwise packing);
//   tiling     = cycles the array was busy on the layer - that closed form (the tiles the buffers
//                force: each tile pays its own fill and drain);
//   memory     = the layer's span (first instruction start to last end) - array busy: DRAM
//                stalls, loads and stores not hidden by double buffering, post-processing.
struct ScaleSimFullLayer : core::ScaleSimRow {  // the row as the graph made it, then the figures
  int64_t compat_cycles = 0;                    // SCALE-Sim (--compat), count convention, all runs
  int64_t compat_cycles_own_gemm = 0;           // SCALE-Sim's model on npusim's GEMM
  int64_t model_cycles = 0;                     // npusim's dataflow closed form, whole GEMM, no memory
  int64_t compute_busy_cycles = 0;              // simulated: array busy on this layer
  int64_t span_cycles = 0;                      // simulated: layer end - layer start
  int64_t cycles = 0;                           // simulated: share of the total (layers overlap)
  int64_t dram_bytes = 0;
  std::string bound;
  int64_t PaddingDelta() const { return compat_cycles_own_gemm - compat_cycles; }
  int64_t FoldModelDelta() const { return model_cycles - compat_cycles_own_gemm; }
  int64_t TilingDelta() const { return compute_busy_cycles - model_cycles; }
  int64_t MemoryDelta() const { return span_cycles - compute_busy_cycles; }
};

struct ScaleSimFullRun {
  std::vector<ScaleSimFullLayer> layers;
  int64_t cycles = 0;  // npusim, the whole run
  int64_t sum_spans = 0;
  int64_t compat_cycles = 0;        // SCALE-Sim, counts
  int64_t compat_total_cycles = 0;  // SCALE-Sim's summed "Total Cycles" (count - 1 per layer)
};

// Runs the full model, writes npusim's normal report plus arch.json and scalesim_comparison.csv into
// `dir`, prints the summary and the comparison. Throws ConfigError for input npusim cannot run
// (a layer no tile of which fits the SRAMs, a topology too big for DRAM).
int RunScaleSimFullModel(const ScaleSimInputs& inputs, const std::string& dir);

// Report formatting (app/scalesim_report.cpp).
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

}  // namespace npusim::app

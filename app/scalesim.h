// `npusim scalesim` without --compat: SCALE-Sim v2 inputs run through npusim's own models and set
// against SCALE-Sim's compute model (frontends/scalesim/scalesim_compat.h). docs/scalesim.md is the
// user's description.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "frontends/scalesim/scalesim_compat.h"
#include "frontends/scalesim/scalesim_graph.h"
#include "models/timing/dataflow_timing.h"

namespace npusim::app {

using core::ScaleSimCompatRun;
using core::ScaleSimInputs;

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

}  // namespace npusim::app

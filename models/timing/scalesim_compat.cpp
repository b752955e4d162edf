#include "models/timing/scalesim_compat.h"

#include <algorithm>
#include <stdexcept>

#include "ir/int_math.h"

namespace npusim::models::timing {
namespace {

using core::CheckedAdd;
using core::CheckedMul;

// ceil(a / b) without forming a + b - 1 (a may be near the int64 limit).
int64_t CeilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

void RequirePositive(const char* what, int64_t v) {
  if (v < 1)
    throw std::invalid_argument(std::string("ScaleSim: expected ") + what + " >= 1, got " +
                                std::to_string(v));
}

// (Sr, Sc, T) for the dataflow: which GEMM dimensions lie on the rows, the columns and in time
// (SCALE-Sim v2 topology_utils.py calc_spatio_temporal_params; ISPASS 2020 Table I).
void Map(ScaleSimDataflow df, const ScaleSimGemm& g, ScaleSimLayerStats& s) {
  switch (df) {
    case ScaleSimDataflow::kOs: s.sr = g.ofmap_px, s.sc = g.filters, s.t = g.window; return;
    case ScaleSimDataflow::kWs: s.sr = g.window, s.sc = g.filters, s.t = g.ofmap_px; return;
    case ScaleSimDataflow::kIs: s.sr = g.window, s.sc = g.ofmap_px, s.t = g.filters; return;
  }
}

// Fold lengths. OS: the stationary outputs need no preload; T operand wavefronts, R - 1 cycles of
// skew across the rows, C - 1 to drain across the columns. WS/IS: R cycles of preload first.
void FoldCycles(int64_t R, int64_t C, ScaleSimDataflow df, ScaleSimLayerStats& s) {
  if (df == ScaleSimDataflow::kOs) {
    s.cycles_per_fold = CheckedAdd(s.t, CheckedAdd(R, C) - 2);
    s.util_fold_cycles = s.cycles_per_fold;
    return;
  }
  s.cycles_per_fold = CheckedAdd(s.t, CheckedAdd(CheckedMul(2, R), C) - 2);
  s.util_fold_cycles = CheckedAdd(s.cycles_per_fold, C - 1);
}

void AccessCounts(int64_t R, int64_t C, ScaleSimDataflow df, ScaleSimLayerStats& s) {
  const int64_t plane = CheckedMul(s.sr, s.sc);  // each entry of the stationary plane, once
  switch (df) {
    case ScaleSimDataflow::kOs:
      s.ifmap_sram_reads = CheckedMul(s.col_folds, CheckedMul(s.sr, s.t));
      s.filter_sram_reads = CheckedMul(s.row_folds, CheckedMul(s.sc, s.t));
      s.ofmap_sram_writes = CheckedAdd(plane, CheckedMul(s.folds, CheckedAdd(R, C)));
      return;
    case ScaleSimDataflow::kWs:
      s.ifmap_sram_reads = CheckedMul(s.col_folds, CheckedMul(s.sr, s.t));
      s.filter_sram_reads = plane;
      s.ofmap_sram_writes = CheckedMul(s.row_folds, CheckedMul(s.sc, s.t));
      return;
    case ScaleSimDataflow::kIs:
      s.ifmap_sram_reads = plane;
      s.filter_sram_reads = CheckedMul(s.col_folds, CheckedMul(s.sr, s.t));
      s.ofmap_sram_writes = CheckedMul(s.row_folds, CheckedMul(s.sc, s.t));
      return;
  }
}

}  // namespace

std::optional<ScaleSimDataflow> ParseScaleSimDataflow(const std::string& name) {
  if (name == "os") return ScaleSimDataflow::kOs;
  if (name == "ws") return ScaleSimDataflow::kWs;
  if (name == "is") return ScaleSimDataflow::kIs;
  return std::nullopt;
}

const char* ScaleSimDataflowName(ScaleSimDataflow dataflow) {
  switch (dataflow) {
    case ScaleSimDataflow::kOs: return "os";
    case ScaleSimDataflow::kWs: return "ws";
    case ScaleSimDataflow::kIs: return "is";
  }
  return "?";
}

int64_t ScaleSimOfmapDim(int64_t in, int64_t filter, int64_t stride) {
  RequirePositive("ifmap size", in);
  RequirePositive("filter size", filter);
  RequirePositive("stride", stride);
  if (filter > in) {
    throw std::invalid_argument("ScaleSim: filter " + std::to_string(filter) + " larger than ifmap " +
                                std::to_string(in));
  }
  return CeilDiv(in - filter, stride) + 1;  // = ceil((in - filter + stride) / stride)
}

ScaleSimGemm ScaleSimConvToGemm(const ScaleSimConv& c) {
  RequirePositive("channels", c.channels);
  RequirePositive("num_filters", c.num_filters);
  const int64_t e = ScaleSimOfmapDim(c.ifmap_h, c.filter_h, c.stride_h);
  const int64_t f = ScaleSimOfmapDim(c.ifmap_w, c.filter_w, c.stride_w);
  return {CheckedMul(e, f), CheckedMul(CheckedMul(c.filter_h, c.filter_w), c.channels), c.num_filters};
}

namespace {

// First and last demand line of each operand (scalesim_compat.h, "SRAM ... Start/Stop Cycle").
void SramWindows(int64_t R, int64_t C, ScaleSimDataflow df, ScaleSimLayerStats& s) {
  const int64_t T = s.t, first_r = std::min(R, s.sr);
  const int64_t last_r = s.sr - (s.row_folds - 1) * R, last_c = s.sc - (s.col_folds - 1) * C;
  const int64_t base = (s.folds - 1) * s.cycles_per_fold;
  struct Window {
    int64_t start, stop;
  };
  Window streamed, top, ofmap;
  if (df == ScaleSimDataflow::kOs) {
    streamed = {0, base + T + last_r - 2};
    top = {0, base + T + last_c - 2};
    ofmap = {T + R - first_r - 1, base + T + R + last_c - 3};
  } else {
    streamed = {R, base + R + T + last_r - 2};
    top = {R - first_r, base + R - 1};
    ofmap = {2 * R - 1, base + 2 * R + T + last_c - 3};
  }
  const Window& ifmap = df == ScaleSimDataflow::kIs ? top : streamed;
  const Window& filter = df == ScaleSimDataflow::kIs ? streamed : top;
  s.ifmap_sram_start = ifmap.start, s.ifmap_sram_stop = ifmap.stop;
  s.filter_sram_start = filter.start, s.filter_sram_stop = filter.stop;
  s.ofmap_sram_start = ofmap.start, s.ofmap_sram_stop = ofmap.stop;
}

}  // namespace

ScaleSimLayerStats ScaleSimLayer(int64_t rows, int64_t cols, ScaleSimDataflow dataflow,
                                 const ScaleSimGemm& gemm) {
  RequirePositive("rows", rows);
  RequirePositive("cols", cols);
  RequirePositive("ofmap_px", gemm.ofmap_px);
  RequirePositive("window", gemm.window);
  RequirePositive("filters", gemm.filters);
  ScaleSimLayerStats s;
  Map(dataflow, gemm, s);
  s.row_folds = CeilDiv(s.sr, rows);
  s.col_folds = CeilDiv(s.sc, cols);
  s.folds = CheckedMul(s.row_folds, s.col_folds);
  FoldCycles(rows, cols, dataflow, s);
  s.cycles = CheckedMul(s.folds, s.cycles_per_fold);
  s.reported_total_cycles = s.cycles - 1;
  s.macs = CheckedMul(CheckedMul(gemm.ofmap_px, gemm.window), gemm.filters);
  const int64_t pes = CheckedMul(rows, cols);
  if (s.reported_total_cycles > 0) {
    s.overall_util_pct = 100.0 * static_cast<double>(s.macs) /
                         (static_cast<double>(s.reported_total_cycles) * static_cast<double>(pes));
  }
  // Mean of per-fold used/(R*C): the row sizes sum to Sr and the column sizes to Sc, so the sum
  // over the fold grid of r*c is Sr*Sc.
  const double mapping = static_cast<double>(s.sr) * static_cast<double>(s.sc) /
                         (static_cast<double>(s.folds) * static_cast<double>(pes));
  s.mapping_efficiency_pct = 100.0 * mapping;
  s.compute_util_pct = 100.0 * mapping * static_cast<double>(s.t) / static_cast<double>(s.util_fold_cycles);
  AccessCounts(rows, cols, dataflow, s);
  SramWindows(rows, cols, dataflow, s);
  return s;
}

}  // namespace npusim::models::timing

// Checks the SCALE-Sim v2 closed forms of models/timing/scalesim_compat.h three ways:
//  - docs/scalesim.md's example (ifmap 10x10x4, 3x3 filters, 20 filters, stride 1, 4x4 array:
//    3359 / 3329 / 4319 reported total cycles for OS / WS / IS), and small cases whose
//    arithmetic is written out in the comments;
//  - a sweep in which a demand-matrix model (below) must agree with every field. The model
//    builds, fold by fold, the per-cycle request matrices the way SCALE-Sim v2 describes its
//    compute model (operand slices padded to the array, a preload prefix, a drain suffix, a
//    diagonal skew), counts their lines and requests, and takes the total as the index of the
//    last ofmap line (the cycle its write is served, with no stalls). It shares no arithmetic
//    with the closed forms.
#include "models/timing/scalesim_compat.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace npusim::models::timing {
namespace {

constexpr ScaleSimDataflow kOs = ScaleSimDataflow::kOs;
constexpr ScaleSimDataflow kWs = ScaleSimDataflow::kWs;
constexpr ScaleSimDataflow kIs = ScaleSimDataflow::kIs;

// ---------------------------------------------------------------------------------------------
// Worked and hand-derived cases

TEST(ScaleSimCompat, WorkedCaseConvBecomesGemm) {
  // E = F = ceil((10 - 3 + 1) / 1) = 8: Npx = 64; Win = 3*3*4 = 36; K = 20.
  const ScaleSimGemm g = ScaleSimConvToGemm({10, 10, 3, 3, 4, 20, 1, 1});
  EXPECT_EQ(g.ofmap_px, 64);
  EXPECT_EQ(g.window, 36);
  EXPECT_EQ(g.filters, 20);
}

TEST(ScaleSimCompat, WorkedCaseOsReports3359) {
  // (Sr, Sc, T) = (64, 20, 36); folds = ceil(64/4) * ceil(20/4) = 16 * 5 = 80;
  // per fold 36 + 4 + 4 - 2 = 42; 80 * 42 = 3360 cycles; SCALE-Sim reports 3359.
  const ScaleSimLayerStats s = ScaleSimLayer(4, 4, kOs, {64, 36, 20});
  EXPECT_EQ(s.sr, 64);
  EXPECT_EQ(s.sc, 20);
  EXPECT_EQ(s.t, 36);
  EXPECT_EQ(s.folds, 80);
  EXPECT_EQ(s.cycles_per_fold, 42);
  EXPECT_EQ(s.cycles, 3360);
  EXPECT_EQ(s.reported_total_cycles, 3359);
  EXPECT_EQ(s.macs, 46080);
  EXPECT_DOUBLE_EQ(s.overall_util_pct, 100.0 * 46080 / (3359.0 * 16));  // 85.7398...
  EXPECT_DOUBLE_EQ(s.mapping_efficiency_pct, 100.0);                    // every fold full
  EXPECT_DOUBLE_EQ(s.compute_util_pct, 100.0 * 36 / 42);                // 85.714...
  EXPECT_EQ(s.ifmap_sram_reads, 5 * 64 * 36);                           // col folds * Sr * T = 11520
  EXPECT_EQ(s.filter_sram_reads, 16 * 20 * 36);                         // row folds * Sc * T = 11520
  EXPECT_EQ(s.ofmap_sram_writes, 64 * 20 + 80 * (4 + 4));               // 1280 + 640 = 1920
}

TEST(ScaleSimCompat, WorkedCaseWsReports3329) {
  // (Sr, Sc, T) = (36, 20, 64); folds = 9 * 5 = 45; per fold 2*4 + 4 + 64 - 2 = 74;
  // 45 * 74 = 3330; reported 3329.
  const ScaleSimLayerStats s = ScaleSimLayer(4, 4, kWs, {64, 36, 20});
  EXPECT_EQ(s.folds, 45);
  EXPECT_EQ(s.cycles_per_fold, 74);
  EXPECT_EQ(s.reported_total_cycles, 3329);
  EXPECT_DOUBLE_EQ(s.compute_util_pct, 100.0 * 64 / 77);  // L = 74 + 4 - 1 = 77
  EXPECT_EQ(s.ifmap_sram_reads, 5 * 36 * 64);             // 11520
  EXPECT_EQ(s.filter_sram_reads, 36 * 20);                // each weight once: 720
  EXPECT_EQ(s.ofmap_sram_writes, 9 * 20 * 64);            // partial sums per row fold: 11520
}

TEST(ScaleSimCompat, WorkedCaseIsReports4319) {
  // (Sr, Sc, T) = (36, 64, 20); folds = 9 * 16 = 144; per fold 8 + 4 + 20 - 2 = 30;
  // 144 * 30 = 4320; reported 4319.
  const ScaleSimLayerStats s = ScaleSimLayer(4, 4, kIs, {64, 36, 20});
  EXPECT_EQ(s.folds, 144);
  EXPECT_EQ(s.cycles_per_fold, 30);
  EXPECT_EQ(s.reported_total_cycles, 4319);
  EXPECT_DOUBLE_EQ(s.compute_util_pct, 100.0 * 20 / 33);  // L = 30 + 3 = 33
  EXPECT_EQ(s.ifmap_sram_reads, 36 * 64);                 // 2304
  EXPECT_EQ(s.filter_sram_reads, 16 * 36 * 20);           // 11520
  EXPECT_EQ(s.ofmap_sram_writes, 9 * 64 * 20);            // 11520
}

TEST(ScaleSimCompat, SinglePeSingleMacOs) {
  // 1x1 array, 1x1x1 GEMM: one fold of 1 + 1 + 1 - 2 = 1 cycle; reported 0. SCALE-Sim would divide
  // by zero for the overall utilization; we report 0.
  const ScaleSimLayerStats s = ScaleSimLayer(1, 1, kOs, {1, 1, 1});
  EXPECT_EQ(s.cycles, 1);
  EXPECT_EQ(s.reported_total_cycles, 0);
  EXPECT_EQ(s.overall_util_pct, 0.0);
  EXPECT_DOUBLE_EQ(s.mapping_efficiency_pct, 100.0);
}

TEST(ScaleSimCompat, SinglePeSingleMacWsAndIs) {
  // 2*1 + 1 + 1 - 2 = 2 cycles: reported 1; overall util 100 * 1 / (1 * 1) = 100.
  for (ScaleSimDataflow df : {kWs, kIs}) {
    const ScaleSimLayerStats s = ScaleSimLayer(1, 1, df, {1, 1, 1});
    EXPECT_EQ(s.reported_total_cycles, 1) << ScaleSimDataflowName(df);
    EXPECT_DOUBLE_EQ(s.overall_util_pct, 100.0) << ScaleSimDataflowName(df);
  }
}

// GEMM Npx = 10, Win = 6, K = 7 on a 4-row, 3-column array: folds partial in both directions.
TEST(ScaleSimCompat, PartialFoldsOs) {
  // (Sr, Sc, T) = (10, 7, 6): row folds 4,4,2 (3); column folds 3,3,1 (3); 9 folds of
  // 6 + 4 + 3 - 2 = 11 cycles: 99, reported 98. Mapping: 10*7 / (9 * 12) = 70/108.
  const ScaleSimLayerStats s = ScaleSimLayer(4, 3, kOs, {10, 6, 7});
  EXPECT_EQ(s.row_folds, 3);
  EXPECT_EQ(s.col_folds, 3);
  EXPECT_EQ(s.cycles, 99);
  EXPECT_EQ(s.reported_total_cycles, 98);
  EXPECT_EQ(s.macs, 420);
  EXPECT_DOUBLE_EQ(s.overall_util_pct, 100.0 * 420 / (98.0 * 12));
  EXPECT_DOUBLE_EQ(s.mapping_efficiency_pct, 100.0 * 70 / 108);
  EXPECT_DOUBLE_EQ(s.compute_util_pct, 100.0 * 70 / 108 * 6 / 11);
  EXPECT_EQ(s.ifmap_sram_reads, 180);   // 3 column folds * 10 * 6
  EXPECT_EQ(s.filter_sram_reads, 126);  // 3 row folds * 7 * 6
  EXPECT_EQ(s.ofmap_sram_writes, 133);  // 70 + 9 * (4 + 3)
}

TEST(ScaleSimCompat, PartialFoldsWs) {
  // (Sr, Sc, T) = (6, 7, 10): row folds 4,2 (2); column folds 3,3,1 (3); 6 folds of
  // 2*4 + 3 + 10 - 2 = 19: 114, reported 113. Mapping 42 / (6 * 12); L = 19 + 2 = 21.
  const ScaleSimLayerStats s = ScaleSimLayer(4, 3, kWs, {10, 6, 7});
  EXPECT_EQ(s.folds, 6);
  EXPECT_EQ(s.reported_total_cycles, 113);
  EXPECT_DOUBLE_EQ(s.mapping_efficiency_pct, 100.0 * 42 / 72);
  EXPECT_DOUBLE_EQ(s.compute_util_pct, 100.0 * 42 / 72 * 10 / 21);
  EXPECT_EQ(s.ifmap_sram_reads, 180);   // 3 * 6 * 10
  EXPECT_EQ(s.filter_sram_reads, 42);   // 6 * 7
  EXPECT_EQ(s.ofmap_sram_writes, 140);  // 2 row folds * 7 * 10
}

TEST(ScaleSimCompat, PartialFoldsIs) {
  // (Sr, Sc, T) = (6, 10, 7): row folds 2; column folds 3,3,3,1 (4); 8 folds of
  // 8 + 3 + 7 - 2 = 16: 128, reported 127.
  const ScaleSimLayerStats s = ScaleSimLayer(4, 3, kIs, {10, 6, 7});
  EXPECT_EQ(s.folds, 8);
  EXPECT_EQ(s.reported_total_cycles, 127);
  EXPECT_EQ(s.ifmap_sram_reads, 60);    // 6 * 10
  EXPECT_EQ(s.filter_sram_reads, 168);  // 4 * 6 * 7
  EXPECT_EQ(s.ofmap_sram_writes, 140);  // 2 * 10 * 7
}

TEST(ScaleSimCompat, OfmapSideUsesScaleSimsCeiling) {
  // ceil((H - Fh + s) / s): 10, 3, 2 -> ceil(9/2) = 5, where floor((10-3)/2) + 1 = 4.
  EXPECT_EQ(ScaleSimOfmapDim(10, 3, 2), 5);
  // 11, 3, 2 -> ceil(10/2) = 5 = floor(8/2) + 1: the two agree when s divides H - Fh.
  EXPECT_EQ(ScaleSimOfmapDim(11, 3, 2), 5);
  EXPECT_EQ(ScaleSimOfmapDim(225, 3, 2), 112);
  EXPECT_EQ(ScaleSimOfmapDim(3, 3, 1), 1);
  EXPECT_EQ(ScaleSimOfmapDim(3, 3, 5), 1);  // ceil(5/5)
  // Rectangular, different strides: E = ceil((9-3+1)/1) = 7, F = ceil((12-5+3)/3) = 4.
  const ScaleSimGemm g = ScaleSimConvToGemm({9, 12, 3, 5, 2, 6, 1, 3});
  EXPECT_EQ(g.ofmap_px, 28);
  EXPECT_EQ(g.window, 30);
  EXPECT_EQ(g.filters, 6);
}

TEST(ScaleSimCompat, DataflowNamesRoundTrip) {
  for (ScaleSimDataflow df : {kOs, kWs, kIs}) EXPECT_EQ(ParseScaleSimDataflow(ScaleSimDataflowName(df)), df);
  EXPECT_FALSE(ParseScaleSimDataflow("OS"));
  EXPECT_FALSE(ParseScaleSimDataflow("rs"));
}

TEST(ScaleSimCompat, BadArgumentsThrow) {
  EXPECT_THROW(ScaleSimLayer(0, 4, kOs, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(ScaleSimLayer(4, 4, kOs, {1, 0, 1}), std::invalid_argument);
  EXPECT_THROW(ScaleSimOfmapDim(2, 3, 1), std::invalid_argument);
  EXPECT_THROW(ScaleSimOfmapDim(4, 3, 0), std::invalid_argument);
  EXPECT_THROW(ScaleSimLayer(1, 1, kOs, {int64_t{1} << 40, int64_t{1} << 40, 1}), std::overflow_error);
}

// ---------------------------------------------------------------------------------------------
// The demand-matrix model

using Mat = std::vector<std::vector<int64_t>>;  // rows = cycles, columns = array ports; -1 idle
constexpr int64_t kIdle = -1;

Mat Idle(int64_t rows, int64_t cols) { return Mat(rows, std::vector<int64_t>(cols, kIdle)); }

void Append(Mat& a, const Mat& b) { a.insert(a.end(), b.begin(), b.end()); }

// Rows [r0, r1) and columns [c0, c1) of m, padded with idle entries to `rows` x `cols`.
Mat Slice(const Mat& m, int64_t r0, int64_t r1, int64_t c0, int64_t c1, int64_t rows, int64_t cols) {
  Mat out = Idle(rows, cols);
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t c = c0; c < c1; ++c) out[r - r0][c - c0] = m[r][c];
  }
  return out;
}

Mat Transposed(const Mat& m) {
  Mat t = Idle(m.empty() ? 0 : m[0].size(), m.size());
  for (size_t r = 0; r < m.size(); ++r) {
    for (size_t c = 0; c < m[r].size(); ++c) t[c][r] = m[r][c];
  }
  return t;
}

// Column c delayed by c cycles: the wavefront entering a systolic edge.
Mat Skewed(const Mat& m) {
  const int64_t rows = m.size(), cols = m[0].size();
  Mat out = Idle(rows + cols - 1, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[r + c][c] = m[r][c];
  }
  return out;
}

int64_t Requests(const Mat& m) {
  int64_t n = 0;
  for (const auto& row : m) {
    for (int64_t v : row) n += v != kIdle;
  }
  return n;
}

// Operand matrices with distinct addresses: ifmap Npx x Win, filter Win x K, ofmap Npx x K.
struct Operands {
  Mat ifmap, filter, ofmap;
};

Operands MakeOperands(const ScaleSimGemm& g) {
  Operands o{Idle(g.ofmap_px, g.window), Idle(g.window, g.filters), Idle(g.ofmap_px, g.filters)};
  int64_t next = 0;
  for (auto* m : {&o.ifmap, &o.filter, &o.ofmap}) {
    for (auto& row : *m) {
      for (int64_t& v : row) v = next++;
    }
  }
  return o;
}

// First and last line of `m` that requests anything ({-1, -1} if none): SCALE-Sim's SRAM
// start/stop cycles when line i is served in cycle i.
std::pair<int64_t, int64_t> FirstLastActive(const Mat& m) {
  int64_t first = -1, last = -1;
  for (size_t r = 0; r < m.size(); ++r) {
    for (int64_t v : m[r]) {
      if (v == kIdle) continue;
      if (first < 0) first = static_cast<int64_t>(r);
      last = static_cast<int64_t>(r);
      break;
    }
  }
  return {first, last};
}

struct ModelResult {
  std::pair<int64_t, int64_t> ifmap_window, filter_window, ofmap_window;
  int64_t lines = 0;  // cycles of the demand stream
  int64_t ifmap_reads = 0, filter_reads = 0, ofmap_writes = 0;
  double mapping_sum = 0, util_sum = 0;
  int64_t folds = 0;
};

// One fold's demands, per dataflow. `in` streams across the rows edge (R wide), `top` is the
// operand loaded or streamed along the columns (C wide), `out` the results leaving (C wide).
struct Fold {
  Mat in, top, out;
  int64_t util_cycles = 0;  // the length SCALE-Sim divides by for this fold's compute util
};

// OS: outputs stay; ifmap rows stream in from the left (R wide, T long), filters from the top
// (C wide, T long), each followed by idle cycles while the last products drain; the results
// leave after T - 1 cycles, bottom row first.
Fold OsFold(const Operands& op, int64_t R, int64_t C, int64_t T, int64_t r0, int64_t r1, int64_t c0,
            int64_t c1) {
  Fold f;
  f.in = Transposed(Slice(op.ifmap, r0, r1, 0, T, R, T));  // T x R
  Append(f.in, Idle(C - 1, R));
  f.in = Skewed(f.in);
  f.top = Slice(op.filter, 0, T, c0, c1, T, C);
  Append(f.top, Idle(R - 1, C));
  f.top = Skewed(f.top);
  Mat res = Slice(op.ofmap, r0, r1, c0, c1, R, C);
  std::reverse(res.begin(), res.end());
  f.out = Idle(T - 1, C);
  Append(f.out, res);
  f.util_cycles = static_cast<int64_t>(f.out.size()) + C - 1;
  f.out = Skewed(f.out);
  return f;
}

// WS/IS: the stationary operand (filters for WS, ifmap for IS: `stat`, Sr x Sc) is loaded from
// the top in R cycles, bottom row first, then idle while the streamed operand (`stream`, T x Sr)
// enters from the left after an R-cycle gap; outputs (`result`, T x Sc) leave after 2R - 1.
Fold StationaryFold(const Mat& stat, const Mat& stream, const Mat& result, int64_t R, int64_t C, int64_t T,
                    int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  Fold f;
  f.top = Slice(stat, r0, r1, c0, c1, R, C);
  std::reverse(f.top.begin(), f.top.end());
  Append(f.top, Idle(R + C + T - 2, C));
  f.util_cycles = static_cast<int64_t>(f.top.size()) + C - 1;
  f.in = Idle(R, R);
  Append(f.in, Slice(stream, 0, T, r0, r1, T, R));
  Append(f.in, Idle(C - 1, R));
  f.in = Skewed(f.in);
  f.out = Idle(2 * R - 1, C);
  Append(f.out, Slice(result, 0, T, c0, c1, T, C));
  f.out = Skewed(f.out);
  return f;
}

ModelResult DemandModel(int64_t R, int64_t C, ScaleSimDataflow df, const ScaleSimGemm& g) {
  const Operands op = MakeOperands(g);
  // (Sr x Sc) plane and streams, per dataflow, as matrices.
  int64_t Sr = g.ofmap_px, Sc = g.filters, T = g.window;
  Mat stat, stream, result;
  if (df == kWs) {
    Sr = g.window, Sc = g.filters, T = g.ofmap_px;
    stat = op.filter, stream = op.ifmap, result = op.ofmap;
  } else if (df == kIs) {
    Sr = g.window, Sc = g.ofmap_px, T = g.filters;
    stat = Transposed(op.ifmap), stream = Transposed(op.filter), result = Transposed(op.ofmap);
  }
  ModelResult m;
  Mat in_all, top_all, out_all;
  for (int64_t c0 = 0; c0 < Sc; c0 += C) {
    for (int64_t r0 = 0; r0 < Sr; r0 += R) {
      const int64_t r1 = std::min(r0 + R, Sr), c1 = std::min(c0 + C, Sc);
      const Fold f = df == kOs ? OsFold(op, R, C, T, r0, r1, c0, c1)
                               : StationaryFold(stat, stream, result, R, C, T, r0, r1, c0, c1);
      Append(in_all, f.in);
      Append(top_all, f.top);
      Append(out_all, f.out);
      const double used = static_cast<double>((r1 - r0) * (c1 - c0));
      m.mapping_sum += used / (R * C);
      m.util_sum += used * T / (static_cast<double>(R * C) * f.util_cycles);
      ++m.folds;
      if (df == kOs) m.ofmap_writes += R + C;  // SCALE-Sim's extra count per OS fold
    }
  }
  EXPECT_EQ(in_all.size(), top_all.size());
  EXPECT_EQ(out_all.size(), top_all.size());
  m.lines = out_all.size();
  // Which matrix is which operand: OS/WS stream the ifmap from the left; IS holds it on top.
  m.ifmap_reads = Requests(df == kIs ? top_all : in_all);
  m.filter_reads = Requests(df == kIs ? in_all : top_all);
  m.ofmap_writes += Requests(out_all);
  m.ifmap_window = FirstLastActive(df == kIs ? top_all : in_all);
  m.filter_window = FirstLastActive(df == kIs ? in_all : top_all);
  m.ofmap_window = FirstLastActive(out_all);
  return m;
}

struct SweepCase {
  int64_t rows, cols;
  ScaleSimDataflow df;
  ScaleSimGemm gemm;
};

std::string Describe(const SweepCase& c) {
  std::ostringstream os;
  os << ScaleSimDataflowName(c.df) << " " << c.rows << "x" << c.cols << " Npx=" << c.gemm.ofmap_px
     << " Win=" << c.gemm.window << " K=" << c.gemm.filters;
  return os.str();
}

std::vector<SweepCase> Sweep() {
  std::vector<SweepCase> cases;
  const int64_t sides[] = {1, 2, 3, 5};
  const int64_t sizes[] = {1, 2, 4, 7};
  for (ScaleSimDataflow df : {kOs, kWs, kIs}) {
    for (int64_t R : sides) {
      for (int64_t C : sides) {
        for (int64_t npx : sizes) {
          for (int64_t win : sizes) {
            for (int64_t k : sizes) cases.push_back({R, C, df, {npx, win, k}});
          }
        }
      }
    }
  }
  return cases;
}

TEST(ScaleSimCompat, ClosedFormsMatchDemandMatrixModel) {
  for (const SweepCase& c : Sweep()) {
    SCOPED_TRACE(Describe(c));
    const ScaleSimLayerStats s = ScaleSimLayer(c.rows, c.cols, c.df, c.gemm);
    const ModelResult m = DemandModel(c.rows, c.cols, c.df, c.gemm);
    EXPECT_EQ(s.cycles, m.lines);
    EXPECT_EQ(s.reported_total_cycles, m.lines - 1);  // index of the last line, from 0
    EXPECT_EQ(s.folds, m.folds);
    EXPECT_EQ(s.ifmap_sram_reads, m.ifmap_reads);
    EXPECT_EQ(s.filter_sram_reads, m.filter_reads);
    EXPECT_EQ(s.ofmap_sram_writes, m.ofmap_writes);
    EXPECT_NEAR(s.mapping_efficiency_pct, 100.0 * m.mapping_sum / m.folds, 1e-9);
    EXPECT_NEAR(s.compute_util_pct, 100.0 * m.util_sum / m.folds, 1e-9);
    EXPECT_EQ(s.macs, c.gemm.ofmap_px * c.gemm.window * c.gemm.filters);
    EXPECT_EQ(std::make_pair(s.ifmap_sram_start, s.ifmap_sram_stop), m.ifmap_window);
    EXPECT_EQ(std::make_pair(s.filter_sram_start, s.filter_sram_stop), m.filter_window);
    EXPECT_EQ(std::make_pair(s.ofmap_sram_start, s.ofmap_sram_stop), m.ofmap_window);
  }
}

// Conv layers through the whole chain, totals from the model: includes stride > 1, a filter as
// large as the ifmap, and the ceiling case (H - Fh not a multiple of the stride).
TEST(ScaleSimCompat, ConvLayersMatchDemandMatrixModel) {
  const ScaleSimConv convs[] = {{5, 5, 3, 3, 2, 3, 1, 1},
                                {7, 6, 3, 2, 1, 4, 2, 1},
                                {4, 4, 4, 4, 1, 2, 1, 1},
                                {6, 6, 3, 3, 1, 1, 2, 2},
                                {8, 5, 1, 1, 3, 5, 3, 2}};
  for (const ScaleSimConv& conv : convs) {
    for (ScaleSimDataflow df : {kOs, kWs, kIs}) {
      const ScaleSimGemm g = ScaleSimConvToGemm(conv);
      const ScaleSimLayerStats s = ScaleSimLayer(3, 2, df, g);
      EXPECT_EQ(s.reported_total_cycles, DemandModel(3, 2, df, g).lines - 1)
          << ScaleSimDataflowName(df) << " " << conv.ifmap_h << "x" << conv.ifmap_w;
    }
  }
}

}  // namespace
}  // namespace npusim::models::timing

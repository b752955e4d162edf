#include "models/timing/systolic_timing.h"
#include "ir/int_math.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

namespace npusim::models::timing {
namespace {
using core::CeilDiv;

// The fold plan reduced to the three sums the closed forms need (systolic_timing.h, CLOSED FORMS).
struct FoldSums {
  int64_t folds = 0;
  int64_t rows_used = 0;  // sum of r over folds
  int64_t cols_used = 0;  // sum of c over folds
};

FoldSums SumFolds(int rows, int cols, const GemmShape& shape) {
  const int64_t g = SystolicWsGroupsPerFold(rows, cols, shape);
  if (g >= 1) {
    // Block-diagonal: every group contributes its k rows and n columns to exactly one fold.
    return {CeilDiv(shape.groups, g), shape.groups * shape.k, shape.groups * shape.n};
  }
  // Each group folded alone: every column fold sweeps all k rows, every row fold all n columns.
  const int64_t row_folds = CeilDiv(shape.k, rows);
  const int64_t col_folds = CeilDiv(shape.n, cols);
  return {shape.groups * row_folds * col_folds, shape.groups * col_folds * shape.k,
          shape.groups * row_folds * shape.n};
}

class WsDataflow final : public DataflowTiming {
 public:
  int64_t Cycles(int rows, int cols, const GemmShape& shape) const override {
    return SystolicWsCycles(rows, cols, shape);
  }
  std::vector<FeedPhase> Phases(int rows, int cols, const GemmShape& shape) const override {
    if (IsEmptyGemm(shape)) return {};
    // Preload: weight rows enter at the top. Streaming (and the last write): inputs enter the
    // rows, row 0 reads partial sums from the accumulator, the last used row writes them back.
    const int64_t preload = SystolicWsPreloadCycles(rows, cols, shape);
    return {{preload, EdgeData::kNone, EdgeData::kWeights, EdgeData::kNone},
            {SystolicWsCycles(rows, cols, shape) - preload, EdgeData::kInputs, EdgeData::kPartialSums,
             EdgeData::kPartialSums}};
  }
  const char* name() const override { return "ws"; }
};

[[maybe_unused]] const bool kWsRegistered = RegisterDataflow(std::make_unique<WsDataflow>());

}  // namespace

int64_t SystolicWsFoldCycles(int64_t m, int64_t r, int64_t c) {
  // Preload r, skewed stream m + r + c - 2, final accumulator write 1 (systolic_timing.h).
  return r + (m + r + c - 2) + 1;
}

int64_t SystolicWsGroupsPerFold(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicWsGroupsPerFold", rows, cols, shape);
  if (shape.k == 0 || shape.n == 0) {
    throw std::invalid_argument("SystolicWsGroupsPerFold: k and n must be >= 1");
  }
  return std::min(rows / shape.k, cols / shape.n);
}

int64_t SystolicWsCycles(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicWsCycles", rows, cols, shape);
  if (IsEmptyGemm(shape)) return 0;
  const FoldSums sums = SumFolds(rows, cols, shape);
  // Sum over folds of m + 2r + c - 1.
  return sums.folds * (shape.m - 1) + 2 * sums.rows_used + sums.cols_used;
}

int64_t SystolicWsPreloadCycles(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicWsPreloadCycles", rows, cols, shape);
  if (IsEmptyGemm(shape)) return 0;
  return SumFolds(rows, cols, shape).rows_used;
}

int64_t SystolicWsFolds(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicWsFolds", rows, cols, shape);
  if (IsEmptyGemm(shape)) return 0;
  return SumFolds(rows, cols, shape).folds;
}

int64_t SystolicWsIssuedMacs(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicWsIssuedMacs", rows, cols, shape);
  if (IsEmptyGemm(shape)) return 0;
  const int64_t g = SystolicWsGroupsPerFold(rows, cols, shape);
  if (g == 0) return GemmMacs(shape);  // folds tile each group's k x n exactly
  // A fold of g' groups fires m * (g'k) * (g'n) times: g' diagonal blocks plus g'(g'-1) blocks of
  // zero weights. Full folds have g' = g, the last one groups mod g.
  const int64_t full = shape.groups / g;
  const int64_t rest = shape.groups % g;
  return shape.m * shape.k * shape.n * (full * g * g + rest * rest);
}

int64_t SystolicWsPeCycles(int rows, int cols, const GemmShape& shape) {
  return int64_t{rows} * cols * SystolicWsCycles(rows, cols, shape);
}

}  // namespace npusim::models::timing

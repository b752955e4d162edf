#include "models/timing/os_timing.h"

#include <memory>
#include <stdexcept>

#include "ir/int_math.h"

namespace npusim::models::timing {
namespace {
using core::CeilDiv;

// The column-fold plan reduced to the sums the closed form needs (os_timing.h, CLOSED FORM).
struct ColumnFoldSums {
  int64_t folds = 0;   // Fc
  int64_t steps = 0;   // Kt: sum of kt over column folds
  int64_t cols = 0;    // Ct: sum of c over column folds
  int64_t issued = 0;  // sum of c * kt over column folds (PE fires per row of a row fold)
};

ColumnFoldSums SumColumnFolds(int rows, int cols, const GemmShape& shape) {
  const int64_t g = SystolicOsGroupsPerFold(rows, cols, shape);
  if (g >= 1) {
    // Column folds of g groups and a last one of G mod g: a fold of g' groups streams g'k steps
    // on g'n columns.
    const int64_t full = shape.groups / g;
    const int64_t rest = shape.groups % g;
    return {CeilDiv(shape.groups, g), shape.groups * shape.k, shape.groups * shape.n,
            shape.k * shape.n * (full * g * g + rest * rest)};
  }
  // Each group alone: its n columns cut into ceil(n/C) folds, each streaming k steps.
  const int64_t folds = shape.groups * CeilDiv(shape.n, cols);
  return {folds, folds * shape.k, shape.groups * shape.n, shape.groups * shape.n * shape.k};
}

class OsDataflow final : public DataflowTiming {
 public:
  int64_t Cycles(int rows, int cols, const GemmShape& shape) const override {
    return SystolicOsCycles(rows, cols, shape);
  }
  std::vector<FeedPhase> Phases(int rows, int cols, const GemmShape& shape) const override {
    if (IsEmptyGemm(shape)) return {};
    // Compute: inputs enter the rows, weights the columns. Drain: sums leave the last used row.
    const int64_t drain = SystolicOsDrainCycles(rows, cols, shape);
    return {
        {SystolicOsCycles(rows, cols, shape) - drain, EdgeData::kInputs, EdgeData::kWeights, EdgeData::kNone},
        {drain, EdgeData::kNone, EdgeData::kNone, EdgeData::kPartialSums}};
  }
  const char* name() const override { return "os"; }
};

[[maybe_unused]] const bool kOsRegistered = RegisterDataflow(std::make_unique<OsDataflow>());

}  // namespace

int64_t SystolicOsFoldCycles(int64_t kt, int64_t r, int64_t c) {
  // Skewed compute kt + r + c - 2, then r drain cycles (os_timing.h, ONE FOLD).
  return (kt + r + c - 2) + r;
}

int64_t SystolicOsGroupsPerFold(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicOsGroupsPerFold", rows, cols, shape);
  if (shape.n == 0) throw std::invalid_argument("SystolicOsGroupsPerFold: n must be >= 1");
  return cols / shape.n;
}

int64_t SystolicOsCycles(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicOsCycles", rows, cols, shape);
  if (IsEmptyGemm(shape)) return 0;
  const ColumnFoldSums col = SumColumnFolds(rows, cols, shape);
  const int64_t row_folds = CeilDiv(shape.m, rows);
  // Sum over row folds x column folds of kt + 2r + c - 2; the row folds' r sum to m.
  return row_folds * (col.steps + col.cols) + 2 * col.folds * (shape.m - row_folds);
}

int64_t SystolicOsDrainCycles(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicOsDrainCycles", rows, cols, shape);
  if (IsEmptyGemm(shape)) return 0;
  // Every column fold drains each row fold's r rows once; the row folds' r sum to m.
  return SumColumnFolds(rows, cols, shape).folds * shape.m;
}

int64_t SystolicOsFolds(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicOsFolds", rows, cols, shape);
  if (IsEmptyGemm(shape)) return 0;
  return CeilDiv(shape.m, rows) * SumColumnFolds(rows, cols, shape).folds;
}

int64_t SystolicOsIssuedMacs(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicOsIssuedMacs", rows, cols, shape);
  if (IsEmptyGemm(shape)) return 0;
  // Every used row of every row fold fires c * kt times per column fold; the rows sum to m.
  return shape.m * SumColumnFolds(rows, cols, shape).issued;
}

int64_t SystolicOsPeCycles(int rows, int cols, const GemmShape& shape) {
  return int64_t{rows} * cols * SystolicOsCycles(rows, cols, shape);
}

}  // namespace npusim::models::timing

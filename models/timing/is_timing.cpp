#include "models/timing/is_timing.h"

#include <memory>
#include <stdexcept>

#include "models/timing/systolic_timing.h"

namespace npusim::models::timing {
namespace {

// The IS array is the WS array with the stationary and streamed operands exchanged
// (is_timing.h): the input tile plays the weight tile (its m in the place of WS's n) and the n
// streamed weight vectors play WS's m input vectors. Fold plan, timeline and sums are therefore
// the WS ones on the exchanged shape; the arithmetic lives once, in systolic_timing.cpp.
GemmShape AsWsShape(const GemmShape& shape) { return {shape.n, shape.k, shape.m, shape.groups}; }

class IsDataflow final : public DataflowTiming {
 public:
  int64_t Cycles(int rows, int cols, const GemmShape& shape) const override {
    return SystolicIsCycles(rows, cols, shape);
  }
  std::vector<FeedPhase> Phases(int rows, int cols, const GemmShape& shape) const override {
    if (IsEmptyGemm(shape)) return {};
    // WS's phases with the operands exchanged: the input tile preloads from the top, weight
    // vectors stream into the rows.
    const int64_t preload = SystolicWsPreloadCycles(rows, cols, AsWsShape(shape));
    return {{preload, EdgeData::kNone, EdgeData::kInputs, EdgeData::kNone},
            {SystolicIsCycles(rows, cols, shape) - preload, EdgeData::kWeights, EdgeData::kPartialSums,
             EdgeData::kPartialSums}};
  }
  const char* name() const override { return "is"; }
};

[[maybe_unused]] const bool kIsRegistered = RegisterDataflow(std::make_unique<IsDataflow>());

}  // namespace

int64_t SystolicIsFoldCycles(int64_t n, int64_t r, int64_t c) { return SystolicWsFoldCycles(n, r, c); }

int64_t SystolicIsGroupsPerFold(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicIsGroupsPerFold", rows, cols, shape);
  if (shape.k == 0 || shape.m == 0) {
    throw std::invalid_argument("SystolicIsGroupsPerFold: k and m must be >= 1");
  }
  return SystolicWsGroupsPerFold(rows, cols, AsWsShape(shape));
}

int64_t SystolicIsCycles(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicIsCycles", rows, cols, shape);
  return SystolicWsCycles(rows, cols, AsWsShape(shape));
}

int64_t SystolicIsFolds(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicIsFolds", rows, cols, shape);
  return SystolicWsFolds(rows, cols, AsWsShape(shape));
}

int64_t SystolicIsIssuedMacs(int rows, int cols, const GemmShape& shape) {
  CheckGemmArguments("SystolicIsIssuedMacs", rows, cols, shape);
  return SystolicWsIssuedMacs(rows, cols, AsWsShape(shape));
}

int64_t SystolicIsPeCycles(int rows, int cols, const GemmShape& shape) {
  return int64_t{rows} * cols * SystolicIsCycles(rows, cols, shape);
}

}  // namespace npusim::models::timing

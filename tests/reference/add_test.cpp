// Residual add in the reference executor; hand-derived expectations.
#include <vector>

#include <gtest/gtest.h>

#include "tests/reference/test_graphs.h"

namespace npusim::reference {
namespace {

using core::Activation;
using core::OpType;
using testing::Act;
using testing::FixedMode;
using testing::FloatMode;
using testing::GraphBuilder;
using testing::RunToOutput;

// a scale 0.5 zp 1, b scale 0.25 zp -2, y scale 1 zp 3.
// a = [6, 6, -4, 100] -> corrected [5, 5, -5, 99] -> real [2.5, 2.5, -2.5, 49.5]
// b = [4, -2, -2, -2] -> corrected [6, 0, 0, 0]   -> real [1.5, 0, 0, 0]
// sums [4, 2.5, -2.5, 49.5].
core::Graph Residual(Activation act) {
  GraphBuilder b;
  b.Input(Act("a", {1, 1, 1, 4}, 0.5f, 1, {6, 6, -4, 100}))
      .Input(Act("b", {1, 1, 1, 4}, 0.25f, -2, {4, -2, -2, -2}))
      .Tensor(Act("y", {1, 1, 1, 4}, 1.0f, 3));
  b.Op(OpType::kAdd, {"a", "b"}, "y").activation = act;
  return b.graph();
}

TEST(ReferenceAdd, FloatRoundsHalfToEvenAfterTheZeroPoint) {
  // ONNX Runtime's QLinearAdd: the output zero point is added before rounding (ir/quant.h).
  // 4 + 3 = 7; 2.5 + 3 = 5.5 -> 6; -2.5 + 3 = 0.5 -> 0; 49.5 + 3 = 52.5 -> 52 (even).
  EXPECT_EQ(RunToOutput(Residual(Activation::kNone), FloatMode()), (std::vector<int32_t>{7, 6, 0, 52}));
}

TEST(ReferenceAdd, FixedPointRoundsHalfAwayFromZero) {
  // TFLite add: inputs << 20, input multipliers 0.5 and 0.25 (exact here), output multiplier
  // 2^-20 as {2^30, -19}: the last step divides by 2^19 rounding half away from zero.
  // 4 -> 7; 2.5 -> 3 -> 6; -2.5 -> -3 -> 0; 49.5 -> 50 -> 53.
  EXPECT_EQ(RunToOutput(Residual(Activation::kNone), FixedMode()), (std::vector<int32_t>{7, 6, 0, 53}));
}

TEST(ReferenceAdd, ReluClampsAtTheOutputZeroPoint) {
  // Float results [7, 6, 0, 52] with lower bound zp 3: [7, 6, 3, 52].
  EXPECT_EQ(RunToOutput(Residual(Activation::kRelu), FloatMode()), (std::vector<int32_t>{7, 6, 3, 52}));
}

}  // namespace
}  // namespace npusim::reference

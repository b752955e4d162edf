// fully_connected in the reference executor; expected values derived by hand in the comments.
#include <vector>

#include <gtest/gtest.h>

#include "tests/reference/test_graphs.h"

namespace npusim::reference {
namespace {

using core::OpType;
using core::Overflow;
using testing::Act;
using testing::Bias;
using testing::FixedMode;
using testing::FloatMode;
using testing::GraphBuilder;
using testing::RunToOutput;
using testing::Weights;

// x [2,3] zp 1: rows corrected [1, 2, 3] and [0, -1, 5] (raw [2, 3, 4], [1, 0, 6]).
// w [2,3] with per-channel zero points [0, 1]: n0 raw [1, 1, 1] -> [1, 1, 1];
// n1 raw [3, 1, 0] -> [2, 0, -1]. bias [10, -1]; all scales 1.
// row0: n0 10 + 1 + 2 + 3 = 16; n1 -1 + 2 + 0 - 3 = -2.
// row1: n0 10 + 0 - 1 + 5 = 14; n1 -1 + 0 + 0 - 5 = -6.
core::Graph TwoRowFc(std::vector<int64_t> x_shape, std::vector<int32_t> x_raw, std::vector<int64_t> y_shape) {
  GraphBuilder b;
  b.Input(Act("x", std::move(x_shape), 1.0f, 1, std::move(x_raw)))
      .Tensor(Weights("w", {2, 3}, {1, 1, 1, 3, 1, 0}, {1.0f}, {0, 1}))
      .Tensor(Bias("b", {10, -1}))
      .Tensor(Act("y", std::move(y_shape)));
  b.Op(OpType::kFullyConnected, {"x", "w", "b"}, "y");
  return b.graph();
}

TEST(ReferenceFullyConnected, RowsAndPerChannelWeightZeroPoints) {
  EXPECT_EQ(RunToOutput(TwoRowFc({2, 3}, {2, 3, 4, 1, 0, 6}, {2, 2}), FloatMode()),
            (std::vector<int32_t>{16, -2, 14, -6}));
}

TEST(ReferenceFullyConnected, Rank4InputIsOneRow) {
  // [1,1,1,3] holding row0 only: [16, -2].
  EXPECT_EQ(RunToOutput(TwoRowFc({1, 1, 1, 3}, {2, 3, 4}, {1, 2}), FloatMode()),
            (std::vector<int32_t>{16, -2}));
}

// x [1,4] = [127, 127, 127, -127], w [1,4] all 127, y scale 512: terms a, a, a, -a with
// a = 16129, in order k = 0..3.
core::Graph OverflowFc() {
  GraphBuilder b;
  b.Input(Act("x", {1, 4}, 1.0f, 0, {127, 127, 127, -127}))
      .Tensor(Weights("w", {1, 4}, {127, 127, 127, 127}))
      .Tensor(Act("y", {1, 1}, 512.0f, 0));
  b.Op(OpType::kFullyConnected, {"x", "w"}, "y");
  return b.graph();
}

TEST(ReferenceFullyConnected, SixteenBitWrapRecoversTheExactSum) {
  // a, 2a = 32258, 3a = 48387 -> -17149, -17149 - a = -33278 -> 32258 = 2a exactly.
  // 32258 / 512 = 63.004 -> 63.
  EXPECT_EQ(RunToOutput(OverflowFc(), FloatMode(16, Overflow::kWrap)), (std::vector<int32_t>{63}));
}

TEST(ReferenceFullyConnected, SixteenBitSaturateLosesTheOverflow) {
  // a, 2a, 3a -> 32767, 32767 - a = 16638; 16638 / 512 = 32.496 -> 32.
  EXPECT_EQ(RunToOutput(OverflowFc(), FloatMode(16, Overflow::kSaturate)), (std::vector<int32_t>{32}));
  // Fixed point: 1/512 = 0.5 * 2^-8 = {2^30, -8}; high-mul 16638 * 2^30 / 2^31 = 8319;
  // 8319 / 256 = 32.496 -> 32.
  EXPECT_EQ(RunToOutput(OverflowFc(), FixedMode(16, Overflow::kSaturate)), (std::vector<int32_t>{32}));
}

TEST(ReferenceFullyConnected, BiasIsFittedToTheAccumulator) {
  // bias 40000 does not fit 16 bits: saturate -> 32767, + 0 * ... = 32767 / 512 = 63.998 -> 64;
  // wrap -> 40000 - 65536 = -25536 / 512 = -49.875 -> -50.
  GraphBuilder b;
  b.Input(Act("x", {1, 1}, 1.0f, 0, {0}))
      .Tensor(Weights("w", {1, 1}, {1}))
      .Tensor(Bias("b", {40000}))
      .Tensor(Act("y", {1, 1}, 512.0f, 0));
  b.Op(OpType::kFullyConnected, {"x", "w", "b"}, "y");
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode(16, Overflow::kSaturate)), (std::vector<int32_t>{64}));
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode(16, Overflow::kWrap)), (std::vector<int32_t>{-50}));
}

}  // namespace
}  // namespace npusim::reference

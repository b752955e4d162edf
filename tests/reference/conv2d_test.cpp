// conv2d in the reference executor, on cases small enough to compute by hand. Real values are
// scale * (q - zero_point); every expected output is derived in the comment beside it.
#include <vector>

#include <gtest/gtest.h>

#include "tests/reference/test_graphs.h"

namespace npusim::reference {
namespace {

using core::Activation;
using core::OpType;
using core::Overflow;
using testing::Act;
using testing::Bias;
using testing::FixedMode;
using testing::FloatMode;
using testing::GraphBuilder;
using testing::RunToOutput;
using testing::Weights;

// x [1,1,2,2] scale 0.5 zp 1: pixel0 [3, -1] -> corrected [2, -2]; pixel1 [1, 5] -> [0, 4].
// w [2,1,1,2] per-channel scales [0.25, 0.5]: oc0 [2, 1], oc1 [-1, 3]; bias [4, -2]; y scale 1.
// Multipliers: oc0 0.5 * 0.25 / 1 = 0.125, oc1 0.5 * 0.5 / 1 = 0.25.
// Accumulators: pixel0 oc0 4 + 2*2 - 2*1 = 6, oc1 -2 - 2 - 6 = -10;
//               pixel1 oc0 4 + 0 + 4 = 8,   oc1 -2 + 0 + 12 = 10.
core::Graph PointwiseConv() {
  GraphBuilder b;
  b.Input(Act("x", {1, 1, 2, 2}, 0.5f, 1, {3, -1, 1, 5}))
      .Tensor(Weights("w", {2, 1, 1, 2}, {2, 1, -1, 3}, {0.25f, 0.5f}))
      .Tensor(Bias("b", {4, -2}))
      .Tensor(Act("y", {1, 1, 2, 2}, 1.0f, 0));
  b.Op(OpType::kConv2d, {"x", "w", "b"}, "y");
  return b.graph();
}

TEST(ReferenceConv2d, PointwisePerChannelScalesFloatRoundsHalfToEven) {
  // 6 * 0.125 = 0.75 -> 1; -10 * 0.25 = -2.5 -> -2; 8 * 0.125 = 1; 10 * 0.25 = 2.5 -> 2.
  EXPECT_EQ(RunToOutput(PointwiseConv(), FloatMode()), (std::vector<int32_t>{1, -2, 1, 2}));
}

TEST(ReferenceConv2d, PointwisePerChannelScalesFixedPoint) {
  // oc0 0.125 = {2^30, -2}: 6 -> high-mul 3 -> 3 / 4 = 0.75 -> 1; 8 -> 4 -> 1.
  // oc1 0.25 = {2^30, -1}: -10 -> high-mul floor(-4.5) = -5 -> -5 / 2 = -2.5 -> -3 (away from 0);
  //                         10 -> 5 -> 2.5 -> 3.
  EXPECT_EQ(RunToOutput(PointwiseConv(), FixedMode()), (std::vector<int32_t>{1, -3, 1, 3}));
}

// x [1,3,3,1] scale 1 zp 5, corrected values 1..9 row-major (raw 6..14):
//   1 2 3
//   4 5 6
//   7 8 9
// w 3x3 all 1 except the top-left tap (ky=0, kx=0) = 3; pads [top 1, left 0, bottom 0, right 1].
// Output (3 + 1 + 0 - 3) + 1 = 2 rows, (3 + 0 + 1 - 3) + 1 = 2 columns; window of (oy, ox) covers
// rows oy-1..oy+1 and columns ox..ox+2; its top-left tap is (oy-1, ox).
TEST(ReferenceConv2d, AsymmetricPaddingContributesTheInputZeroPoint) {
  GraphBuilder b;
  b.Input(Act("x", {1, 3, 3, 1}, 1.0f, 5, {6, 7, 8, 9, 10, 11, 12, 13, 14}))
      .Tensor(Weights("w", {1, 3, 3, 1}, {3, 1, 1, 1, 1, 1, 1, 1, 1}))
      .Tensor(Act("y", {1, 2, 2, 1}));
  core::Op& op = b.Op(OpType::kConv2d, {"x", "w"}, "y");
  op.pads = {1, 0, 0, 1};
  // (0,0): rows 0-1, cols 0-2: 1+2+3+4+5+6 = 21; top-left tap (-1,0) is padding (adds 0).
  // (0,1): rows 0-1, cols 1-2: 2+3+5+6 = 16; top-left tap (-1,1) padding.
  // (1,0): rows 0-2, cols 0-2: 45, plus 2 * x(0,0) = 2 for the weight 3: 47.
  // (1,1): rows 0-2, cols 1-2: 2+3+5+6+8+9 = 33, plus 2 * x(0,1) = 4: 37.
  // (Had padding contributed raw 0, each padding tap would add (0 - 5) * w.)
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode()), (std::vector<int32_t>{21, 16, 47, 37}));
}

// x [1,4,4,1] zp -3, corrected values v = 0..15 row-major (raw v - 3); w 3x3 all 1, stride 2,
// TF 'SAME' pads [0, 0, 1, 1]: output (4 + 1 - 3) / 2 + 1 = 2; window (oy, ox) starts at
// (2*oy, 2*ox).
TEST(ReferenceConv2d, StrideTwoWithSamePadding) {
  std::vector<int32_t> raw;
  for (int v = 0; v < 16; ++v) raw.push_back(v - 3);
  GraphBuilder b;
  b.Input(Act("x", {1, 4, 4, 1}, 1.0f, -3, raw))
      .Tensor(Weights("w", {1, 3, 3, 1}, std::vector<int32_t>(9, 1)))
      .Tensor(Act("y", {1, 2, 2, 1}));
  core::Op& op = b.Op(OpType::kConv2d, {"x", "w"}, "y");
  op.stride = {2, 2};
  op.pads = {0, 0, 1, 1};
  // (0,0): rows 0-2, cols 0-2: 0+1+2 + 4+5+6 + 8+9+10 = 45.
  // (0,1): rows 0-2, cols 2-3 (col 4 padding): 2+3 + 6+7 + 10+11 = 39.
  // (1,0): rows 2-3 (row 4 padding), cols 0-2: 8+9+10 + 12+13+14 = 66.
  // (1,1): rows 2-3, cols 2-3: 10+11+14+15 = 50.
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode()), (std::vector<int32_t>{45, 39, 66, 50}));
}

// x [1,5,5,1] zp 0, values v = 0..24; w 2x2 all 1 with dilation 2 (taps 2 apart, effective
// extent 3): output (5 - 3) + 1 = 3. y(oy,ox) = x(oy,ox) + x(oy,ox+2) + x(oy+2,ox) + x(oy+2,ox+2)
// = v + (v + 2) + (v + 10) + (v + 12) = 4v + 24 with v = 5*oy + ox.
TEST(ReferenceConv2d, DilationTwo) {
  std::vector<int32_t> raw;
  for (int v = 0; v < 25; ++v) raw.push_back(v);
  GraphBuilder b;
  b.Input(Act("x", {1, 5, 5, 1}, 1.0f, 0, raw))
      .Tensor(Weights("w", {1, 2, 2, 1}, {1, 1, 1, 1}))
      .Tensor(Act("y", {1, 3, 3, 1}));
  b.Op(OpType::kConv2d, {"x", "w"}, "y").dilation = {2, 2};
  // v = 0,1,2 -> 24,28,32; v = 5,6,7 -> 44,48,52; v = 10,11,12 -> 64,68,72.
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode()), (std::vector<int32_t>{24, 28, 32, 44, 48, 52, 64, 68, 72}));
}

// x [1,1,1,4] = [1, 2, 3, 4]; groups 2: oc 0,1 read ic 0,1 and oc 2,3 read ic 2,3.
// w [4,1,1,2]: oc0 [1, 1], oc1 [1, -1], oc2 [1, 1], oc3 [2, 0].
TEST(ReferenceConv2d, GroupsReadTheirOwnInputChannels) {
  GraphBuilder b;
  b.Input(Act("x", {1, 1, 1, 4}, 1.0f, 0, {1, 2, 3, 4}))
      .Tensor(Weights("w", {4, 1, 1, 2}, {1, 1, 1, -1, 1, 1, 2, 0}))
      .Tensor(Act("y", {1, 1, 1, 4}));
  b.Op(OpType::kConv2d, {"x", "w"}, "y").groups = 2;
  // oc0 1+2 = 3; oc1 1-2 = -1; oc2 3+4 = 7; oc3 2*3 = 6 (with groups ignored oc2 would be 3).
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode()), (std::vector<int32_t>{3, -1, 7, 6}));
}

// Depthwise (groups = C = 2), 3x3, stride 2, pads 1: output (3 + 2 - 3) / 2 + 1 = 2; window
// (oy, ox) is centred on input (2*oy, 2*ox). x [1,3,3,2] zp 10: channel 0 corrected 1..9, channel
// 1 corrected -1..-9 (raw 11..19 and 9..1). w: channel 0 all 1 (box sum), channel 1 only the centre
// tap 1 (identity).
TEST(ReferenceConv2d, DepthwiseWithPadding) {
  std::vector<int32_t> raw;
  for (int v = 1; v <= 9; ++v) {
    raw.push_back(10 + v);
    raw.push_back(10 - v);
  }
  std::vector<int32_t> w(9, 1);
  for (int t = 0; t < 9; ++t) w.push_back(t == 4 ? 1 : 0);
  GraphBuilder b;
  b.Input(Act("x", {1, 3, 3, 2}, 1.0f, 10, raw))
      .Tensor(Weights("w", {2, 3, 3, 1}, w))
      .Tensor(Act("y", {1, 2, 2, 2}));
  core::Op& op = b.Op(OpType::kConv2d, {"x", "w"}, "y");
  op.groups = 2;
  op.stride = {2, 2};
  op.pads = {1, 1, 1, 1};
  // Channel 0, grid 1 2 3 / 4 5 6 / 7 8 9, padding adds 0:
  //   centre (0,0): 1+2+4+5 = 12; (0,2): 2+3+5+6 = 16; (2,0): 4+5+7+8 = 24; (2,2): 5+6+8+9 = 28.
  // Channel 1 copies the centre: -1, -3, -7, -9. NHWC interleaves the channels.
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode()), (std::vector<int32_t>{12, -1, 16, -3, 24, -7, 28, -9}));
}

// A 1x2 kernel over 2 input channels; x all 127, w (OHWI) [kx0: ic0 127, ic1 -127;
// kx1: ic0 127, ic1 -127], bias a = 16129 = 127 * 127. Terms a, a (ic0) then -a, -a (ic1).
// 16-bit accumulator, y scale 128 (multiplier 1/128).
core::Graph OverflowConv() {
  GraphBuilder b;
  b.Input(Act("x", {1, 1, 2, 2}, 1.0f, 0, {127, 127, 127, 127}))
      .Tensor(Weights("w", {1, 1, 2, 2}, {127, -127, 127, -127}))
      .Tensor(Bias("b", {16129}))
      .Tensor(Act("y", {1, 1, 1, 1}, 128.0f, 0));
  b.Op(OpType::kConv2d, {"x", "w", "b"}, "y");
  return b.graph();
}

TEST(ReferenceConv2d, SaturatingAccumulatorFollowsTheCanonicalOrder) {
  // ic-major: a, 2a = 32258, 3a = 48387 -> 32767, 32767 - a = 16638, 16638 - a = 509.
  // 509 / 128 = 3.98 -> 4. (Tap-major order ic0kx0, ic1kx0, ic0kx1, ic1kx1 would give the sums
  // 2a, a, 2a, a without clipping, 16129 -> 126: the order is observable.)
  EXPECT_EQ(RunToOutput(OverflowConv(), FloatMode(16, Overflow::kSaturate)), (std::vector<int32_t>{4}));
}

TEST(ReferenceConv2d, WrappingAccumulatorGivesTheExactSumWhenItFits) {
  // 16-bit wrap: 2a, 3a = 48387 -> -17149, -17149 - a = -33278 -> 32258, 32258 - a = 16129 (the
  // exact sum a + 2a - 2a). 16129 / 128 = 126.008 -> 126.
  EXPECT_EQ(RunToOutput(OverflowConv(), FloatMode(16, Overflow::kWrap)), (std::vector<int32_t>{126}));
}

TEST(ReferenceConv2d, WrappingAccumulatorWrapsTheFinalSum) {
  // x = 127 everywhere except ic1 set to 0, so the ic1 terms vanish: bias a + a + a = 48387,
  // wrapped at 16 bits to 48387 - 65536 = -17149; y scale 256: -17149 / 256 = -66.99 -> -67.
  // Saturating instead: 32767 / 256 = 127.996 -> 128 -> clamped to 127.
  GraphBuilder b;
  b.Input(Act("x", {1, 1, 2, 2}, 1.0f, 0, {127, 0, 127, 0}))
      .Tensor(Weights("w", {1, 1, 2, 2}, {127, -127, 127, -127}))
      .Tensor(Bias("b", {16129}))
      .Tensor(Act("y", {1, 1, 1, 1}, 256.0f, 0));
  b.Op(OpType::kConv2d, {"x", "w", "b"}, "y");
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode(16, Overflow::kWrap)), (std::vector<int32_t>{-67}));
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode(16, Overflow::kSaturate)), (std::vector<int32_t>{127}));
}

TEST(ReferenceConv2d, OutputSaturatesAtBothEnds) {
  // x [1,1,1,2] = [100, 100]; oc0 w [100, 100] -> 20000 -> 127; oc1 [-100, -100] -> -128.
  GraphBuilder b;
  b.Input(Act("x", {1, 1, 1, 2}, 1.0f, 0, {100, 100}))
      .Tensor(Weights("w", {2, 1, 1, 2}, {100, 100, -100, -100}))
      .Tensor(Act("y", {1, 1, 1, 2}));
  b.Op(OpType::kConv2d, {"x", "w"}, "y");
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode()), (std::vector<int32_t>{127, -128}));
  EXPECT_EQ(RunToOutput(b.graph(), FixedMode()), (std::vector<int32_t>{127, -128}));
}

// x [1,1,1,1] = 1 (scale 0.5); w [3,1,1,1] = [-20, 5, 100]; y scale 0.5 zp -10: multiplier 1,
// so y = acc - 10 before the clamp: [-30, -5, 90].
core::Graph ActivationConv(Activation act) {
  GraphBuilder b;
  b.Input(Act("x", {1, 1, 1, 1}, 0.5f, 0, {1}))
      .Tensor(Weights("w", {3, 1, 1, 1}, {-20, 5, 100}))
      .Tensor(Act("y", {1, 1, 1, 3}, 0.5f, -10));
  b.Op(OpType::kConv2d, {"x", "w"}, "y").activation = act;
  return b.graph();
}

TEST(ReferenceConv2d, ReluAndRelu6Clamp) {
  EXPECT_EQ(RunToOutput(ActivationConv(Activation::kNone), FloatMode()), (std::vector<int32_t>{-30, -5, 90}));
  // relu: lower bound the zero point -10.
  EXPECT_EQ(RunToOutput(ActivationConv(Activation::kRelu), FloatMode()), (std::vector<int32_t>{-10, -5, 90}));
  // relu6: upper bound -10 + 6 / 0.5 = 2.
  EXPECT_EQ(RunToOutput(ActivationConv(Activation::kRelu6), FloatMode()), (std::vector<int32_t>{-10, -5, 2}));
  EXPECT_EQ(RunToOutput(ActivationConv(Activation::kRelu6), FixedMode()), (std::vector<int32_t>{-10, -5, 2}));
}

}  // namespace
}  // namespace npusim::reference

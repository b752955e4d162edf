// max_pool, avg_pool and global_avg_pool in the reference executor; hand-derived expectations.
#include <vector>

#include <gtest/gtest.h>

#include "tests/reference/test_graphs.h"

namespace npusim::reference {
namespace {

using core::OpType;
using testing::Act;
using testing::FixedMode;
using testing::FloatMode;
using testing::GraphBuilder;
using testing::RunToOutput;

// x [1,3,3,1] zp -5 (raw values):
//   -10 -20    3
//     4 -50   -6
//     7   8 -128
// kernel 2x2, stride 2, pads [1, 1, 0, 0]: output (3 + 1 - 2) / 2 + 1 = 2; window (oy, ox) covers
// rows 2oy-1..2oy, columns 2ox-1..2ox.
TEST(ReferenceMaxPool, PaddingIsIgnored) {
  GraphBuilder b;
  b.Input(Act("x", {1, 3, 3, 1}, 1.0f, -5, {-10, -20, 3, 4, -50, -6, 7, 8, -128}))
      .Tensor(Act("y", {1, 2, 2, 1}, 1.0f, -5));
  core::Op& op = b.Op(OpType::kMaxPool, {"x"}, "y");
  op.kernel = {2, 2};
  op.stride = {2, 2};
  op.pads = {1, 1, 0, 0};
  // (0,0): only (0,0) in bounds: -10 (a padding value of zp -5 would win wrongly).
  // (0,1): (0,1), (0,2): max(-20, 3) = 3.  (1,0): (1,0), (2,0): 7.
  // (1,1): -50, -6, 8, -128: 8.
  EXPECT_EQ(RunToOutput(b.graph(), FloatMode()), (std::vector<int32_t>{-10, 3, 7, 8}));
}

// x [1,3,3,1] zp 2, corrected values
//   1 0  5
//   2 7 11
//   0 0  0
// (raw: 3 2 7 / 4 9 13 / 2 2 2). Kernel 3x3, stride 2, pads 1: output 2x2; window (oy, ox) covers
// rows 2oy-1..2oy+1, columns 2ox-1..2ox+1. In-bounds sums and counts:
//   (0,0): 1+0+2+7 = 10 / 4;  (0,1): 0+5+7+11 = 23 / 4;  (1,0): 2+7 = 9 / 4;  (1,1): 7+11 = 18 / 4.
core::Graph AvgPool(bool count_include_pad) {
  GraphBuilder b;
  b.Input(Act("x", {1, 3, 3, 1}, 1.0f, 2, {3, 2, 7, 4, 9, 13, 2, 2, 2})).Tensor(Act("y", {1, 2, 2, 1}));
  core::Op& op = b.Op(OpType::kAvgPool, {"x"}, "y");
  op.kernel = {3, 3};
  op.stride = {2, 2};
  op.pads = {1, 1, 1, 1};
  op.count_include_pad = count_include_pad;
  return b.graph();
}

TEST(ReferenceAvgPool, CountsInBoundsTapsFloat) {
  // 2.5 -> 2 (even); 5.75 -> 6; 2.25 -> 2; 4.5 -> 4 (even).
  EXPECT_EQ(RunToOutput(AvgPool(false), FloatMode()), (std::vector<int32_t>{2, 6, 2, 4}));
}

TEST(ReferenceAvgPool, CountsInBoundsTapsFixedPoint) {
  // 0.25 = {2^30, -1}: high-mul rounds sum / 2 half up, then / 2 rounds half away from zero:
  // 10 -> 5 -> 2.5 -> 3; 23 -> 11.5 -> 12 -> 6; 9 -> 4.5 -> 5 -> 2.5 -> 3; 18 -> 9 -> 4.5 -> 5.
  EXPECT_EQ(RunToOutput(AvgPool(false), FixedMode()), (std::vector<int32_t>{3, 6, 3, 5}));
}

TEST(ReferenceAvgPool, CountIncludePadDividesByTheKernelArea) {
  // float32(1/9) = 0.1111111119: 10 -> 1.11 -> 1; 23 -> 2.56 -> 3; 9 -> 1.0000000075 rounds to
  // the float 1.0 -> 1; 18 -> 2.0 -> 2.
  EXPECT_EQ(RunToOutput(AvgPool(true), FloatMode()), (std::vector<int32_t>{1, 3, 1, 2}));
}

// x [1,2,2,2] scale 0.5 zp -1; y scale 0.25 zp 3: multiplier 0.5 / (0.25 * 4) = 0.5.
// Channel 0 raw [0, 1, 2, 3] -> corrected sum 1+2+3+4 = 10; channel 1 raw [-1, -1, -1, 0] -> 1.
core::Graph GlobalPool() {
  GraphBuilder b;
  b.Input(Act("x", {1, 2, 2, 2}, 0.5f, -1, {0, -1, 1, -1, 2, -1, 3, 0}))
      .Tensor(Act("y", {1, 1, 1, 2}, 0.25f, 3));
  b.Op(OpType::kGlobalAvgPool, {"x"}, "y");
  return b.graph();
}

TEST(ReferenceGlobalAvgPool, AveragesThePlane) {
  // Float: 10 * 0.5 = 5 -> 8; 1 * 0.5 = 0.5 -> 0 (even) -> 3.
  EXPECT_EQ(RunToOutput(GlobalPool(), FloatMode()), (std::vector<int32_t>{8, 3}));
  // Fixed {2^30, 0}: 10 -> 5 -> 8; 1 -> 0.5 rounds up -> 1 -> 4.
  EXPECT_EQ(RunToOutput(GlobalPool(), FixedMode()), (std::vector<int32_t>{8, 4}));
}

}  // namespace
}  // namespace npusim::reference

// Hand-derived checks of the quantization arithmetic (ir/quant.h). Every expected value is
// worked out in the comment next to it; none is obtained by calling the code under test.
#include "ir/quant.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace npusim::core {
namespace {

constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t k2To30 = int32_t{1} << 30;

// --- rounding ----------------------------------------------------------------------------------

TEST(RoundHalfEven, TiesGoToTheEvenNeighbour) {
  EXPECT_EQ(RoundHalfEven(2.5f), 2.0f);    // 2 and 3 equally near: 2 is even
  EXPECT_EQ(RoundHalfEven(3.5f), 4.0f);    // 3 and 4: 4 is even
  EXPECT_EQ(RoundHalfEven(-2.5f), -2.0f);  // -3 and -2: -2 is even
  EXPECT_EQ(RoundHalfEven(-3.5f), -4.0f);  // -4 and -3: -4 is even
  EXPECT_EQ(RoundHalfEven(0.5f), 0.0f);    // 0 and 1: 0 is even
  EXPECT_EQ(RoundHalfEven(1.5f), 2.0f);
}

TEST(RoundHalfEven, NonTiesGoToTheNearest) {
  EXPECT_EQ(RoundHalfEven(2.4999f), 2.0f);
  EXPECT_EQ(RoundHalfEven(2.5001f), 3.0f);
  EXPECT_EQ(RoundHalfEven(-2.5001f), -3.0f);
  EXPECT_EQ(RoundHalfEven(1e10f), 1e10f);  // beyond 2^23 every float is already an integer
}

// Every float with |v| < 2^13 on a grid of 1/64 (ties, near-ties and integers among them), and
// the floats next to each half-integer up to 2^23: the same as std::nearbyint in the default
// rounding mode (round to nearest, ties to even), which the program never changes.
TEST(RoundHalfEven, EqualsNearbyintInTheDefaultMode) {
  for (int64_t i = -(int64_t{1} << 19); i <= (int64_t{1} << 19); ++i) {
    const float v = static_cast<float>(i) / 64.0f;
    ASSERT_EQ(RoundHalfEven(v), std::nearbyint(v)) << v;
  }
  for (float h = 0.5f; h < 8388608.0f; h = h * 1.37f + 0.5f) {
    for (float v : {h, std::nextafter(h, 0.0f), std::nextafter(h, 1e30f), -h}) {
      ASSERT_EQ(RoundHalfEven(v), std::nearbyint(v)) << v;
    }
  }
}

// --- accumulator -------------------------------------------------------------------------------

TEST(AccFit, WrapsModulo2To16) {
  EXPECT_EQ(AccFit(32767 + 1, 16, Overflow::kWrap), -32768);  // 0x8000 read as signed
  EXPECT_EQ(AccFit(65536, 16, Overflow::kWrap), 0);           // 0x10000: low 16 bits are 0
  EXPECT_EQ(AccFit(-32769, 16, Overflow::kWrap), 32767);      // -32769 + 65536
  EXPECT_EQ(AccFit(100000, 16, Overflow::kWrap), -31072);     // 100000 - 65536 = 34464 >= 2^15,
                                                              // so 34464 - 65536
  EXPECT_EQ(AccFit(-5, 16, Overflow::kWrap), -5);             // in range: unchanged
  EXPECT_EQ(AccFit(200, 8, Overflow::kWrap), -56);            // 200 - 256
}

TEST(AccFit, WrapsModulo2To32) {
  const int64_t two_31 = int64_t{1} << 31;
  EXPECT_EQ(AccFit(two_31, 32, Overflow::kWrap), -two_31);            // 0x80000000 as signed
  EXPECT_EQ(AccFit((int64_t{1} << 32) + 5, 32, Overflow::kWrap), 5);  // 2^32 + 5 - 2^32
  EXPECT_EQ(AccFit(-two_31 - 1, 32, Overflow::kWrap), two_31 - 1);    // + 2^32
}

TEST(AccFit, SaturatesAtBothEnds) {
  EXPECT_EQ(AccFit(40000, 16, Overflow::kSaturate), 32767);
  EXPECT_EQ(AccFit(-40000, 16, Overflow::kSaturate), -32768);
  EXPECT_EQ(AccFit(int64_t{1} << 40, 32, Overflow::kSaturate), kI32Max);
  EXPECT_EQ(AccFit(-(int64_t{1} << 40), 32, Overflow::kSaturate), kI32Min);
  EXPECT_EQ(AccFit(123, 16, Overflow::kSaturate), 123);
}

TEST(AccAdd, SaturationMakesTheOrderMatterWrapDoesNot) {
  // 16 bits. Saturate: 30000 + 5000 = 35000 clamps to 32767; then - 5000 gives 27767.
  int64_t sat = AccAdd(30000, 5000, 16, Overflow::kSaturate);
  EXPECT_EQ(sat, 32767);
  EXPECT_EQ(AccAdd(sat, -5000, 16, Overflow::kSaturate), 27767);
  // Wrap: 35000 - 65536 = -30536; then -30536 - 5000 = -35536 + 65536 = 30000, the exact sum.
  int64_t wrap = AccAdd(30000, 5000, 16, Overflow::kWrap);
  EXPECT_EQ(wrap, -30536);
  EXPECT_EQ(AccAdd(wrap, -5000, 16, Overflow::kWrap), 30000);
}

// --- multipliers -------------------------------------------------------------------------------

TEST(OnnxMultiplier, ExactCases) {
  EXPECT_EQ(OnnxMultiplier(0.5f, 0.25f, 0.125f), 1.0f);  // 0.125 / 0.125
  EXPECT_EQ(OnnxMultiplier(3.0f, 5.0f, 2.0f), 7.5f);     // 15 / 2
}

TEST(QuantizeMultiplier, PowersOfTwo) {
  // 0.5 = 0.5 * 2^0: fraction 0.5 -> 0.5 * 2^31 = 2^30, shift 0.
  EXPECT_EQ(QuantizeMultiplier(0.5).multiplier, k2To30);
  EXPECT_EQ(QuantizeMultiplier(0.5).shift, 0);
  // 0.25 = 0.5 * 2^-1.
  EXPECT_EQ(QuantizeMultiplier(0.25).multiplier, k2To30);
  EXPECT_EQ(QuantizeMultiplier(0.25).shift, -1);
  // 1.0 = 0.5 * 2^1.
  EXPECT_EQ(QuantizeMultiplier(1.0).multiplier, k2To30);
  EXPECT_EQ(QuantizeMultiplier(1.0).shift, 1);
}

TEST(QuantizeMultiplier, GeneralValues) {
  // 0.75 = 0.75 * 2^0: 0.75 * 2147483648 = 1610612736.
  EXPECT_EQ(QuantizeMultiplier(0.75).multiplier, 1610612736);
  EXPECT_EQ(QuantizeMultiplier(0.75).shift, 0);
  // 0.1 = 0.8 * 2^-3: 0.8 * 2147483648 = 1717986918.4 -> 1717986918.
  EXPECT_EQ(QuantizeMultiplier(0.1).multiplier, 1717986918);
  EXPECT_EQ(QuantizeMultiplier(0.1).shift, -3);
}

TEST(QuantizeMultiplier, FractionRoundingUpTo2To31MovesToTheNextExponent) {
  // 1 - 2^-40 = (1 - 2^-40) * 2^0; * 2^31 = 2^31 - 2^-9, which rounds to 2^31 (does not fit):
  // becomes 2^30 with shift 0 + 1.
  const FixedMultiplier m = QuantizeMultiplier(1.0 - 0x1p-40);
  EXPECT_EQ(m.multiplier, k2To30);
  EXPECT_EQ(m.shift, 1);
}

TEST(QuantizeMultiplier, TinyAndZeroGiveZero) {
  // 2^-40 = 0.5 * 2^-39: shift -39 < -31, so multiplier 0.
  EXPECT_EQ(QuantizeMultiplier(0x1p-40).multiplier, 0);
  EXPECT_EQ(QuantizeMultiplier(0x1p-40).shift, 0);
  EXPECT_EQ(QuantizeMultiplier(0.0).multiplier, 0);
}

// --- gemmlowp primitives -----------------------------------------------------------------------

TEST(SaturatingRoundingDoublingHighMul, OverflowCaseSaturates) {
  // INT32_MIN^2 * 2 / 2^32 = 2^62 / 2^31 = 2^31, which does not fit: INT32_MAX.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kI32Min, kI32Min), kI32Max);
}

TEST(SaturatingRoundingDoublingHighMul, RoundsToNearest) {
  // 2^30 * 2^30 / 2^31 = 2^29 exactly.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(k2To30, k2To30), 1 << 29);
  // 1 * 2^30 / 2^31 = 0.5: tie goes up to 1.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1, k2To30), 1);
  // -1 * 2^30 / 2^31 = -0.5: gemmlowp's nudge rounds this tie toward +infinity, to 0.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-1, k2To30), 0);
  // (2^31 - 1)^2 / 2^31 = 2^31 - 2 + 2^-31, rounded: 2^31 - 2.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kI32Max, kI32Max), 2147483646);
  // -2^31 * (2^31 - 1) / 2^31 = -(2^31 - 1) exactly.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kI32Min, kI32Max), -2147483647);
}

TEST(RoundingDivideByPOT, TiesGoAwayFromZero) {
  EXPECT_EQ(RoundingDivideByPOT(5, 1), 3);          // 2.5 -> 3
  EXPECT_EQ(RoundingDivideByPOT(-5, 1), -3);        // -2.5 -> -3
  EXPECT_EQ(RoundingDivideByPOT(6, 2), 2);          // 1.5 -> 2
  EXPECT_EQ(RoundingDivideByPOT(-6, 2), -2);        // -1.5 -> -2
  EXPECT_EQ(RoundingDivideByPOT(7, 2), 2);          // 1.75 -> 2
  EXPECT_EQ(RoundingDivideByPOT(-4, 1), -2);        // exact
  EXPECT_EQ(RoundingDivideByPOT(9, 0), 9);          // no shift
  EXPECT_EQ(RoundingDivideByPOT(kI32Min, 31), -1);  // -2^31 / 2^31 = -1 exactly
  EXPECT_EQ(RoundingDivideByPOT(kI32Max, 31), 1);   // (2^31 - 1) / 2^31 = 0.99999... -> 1
}

TEST(MultiplyByQuantizedMultiplier, LeftShiftThenHighMul) {
  // {2^30, 2} is 0.5 * 4 = 2: 100 << 2 = 400; 400 * 2^30 / 2^31 = 200.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(100, {k2To30, 2}), 200);
  // {2^30, -1} is 0.25: 10 * 2^30 / 2^31 = 5 exactly; 5 / 2 = 2.5 -> 3.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(10, {k2To30, -1}), 3);
}

TEST(MultiplyByQuantizedMultiplier, LeftShiftSaturates) {
  // 2^30 << 2 = 2^32 saturates to 2^31 - 1; (2^31 - 1) * 2^30 / 2^31 = 2^30 - 0.5, tie up: 2^30.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(k2To30, {k2To30, 2}), k2To30);
}

// --- requantization ----------------------------------------------------------------------------

Requant FloatRequant(float m, int32_t zp, int32_t lo = -128, int32_t hi = 127) {
  Requant r;
  r.mode = RequantMode::kOnnxFloat;
  r.float_multiplier = m;
  r.out_zero_point = zp;
  r.out_min = lo;
  r.out_max = hi;
  return r;
}

Requant FixedRequant(FixedMultiplier m, int32_t zp, int32_t lo = -128, int32_t hi = 127) {
  Requant r;
  r.mode = RequantMode::kFixedPoint;
  r.fixed = m;
  r.out_zero_point = zp;
  r.out_min = lo;
  r.out_max = hi;
  return r;
}

TEST(Requantize, FloatRoundsHalfToEven) {
  EXPECT_EQ(Requantize(5, FloatRequant(0.5f, 0)), 2);    // 2.5 -> 2
  EXPECT_EQ(Requantize(7, FloatRequant(0.5f, 0)), 4);    // 3.5 -> 4
  EXPECT_EQ(Requantize(-5, FloatRequant(0.5f, 0)), -2);  // -2.5 -> -2
  EXPECT_EQ(Requantize(5, FloatRequant(0.5f, 10)), 12);  // 2.5 -> 2, + 10
}

TEST(Requantize, FloatSaturatesAtBothEnds) {
  EXPECT_EQ(Requantize(1000, FloatRequant(0.5f, 0)), 127);    // 500 > 127
  EXPECT_EQ(Requantize(-1000, FloatRequant(0.5f, 0)), -128);  // -500 < -128
  // zp -5: the float clamp is [-128 + 5, 127 + 5] = [-123, 132]; -250 * 0.5 = -125 -> -123,
  // + (-5) = -128.
  EXPECT_EQ(Requantize(-250, FloatRequant(0.5f, -5)), -128);
  // Relu-style clamp at the zero point: -3 * 1 = -3 -> clamp at 0 - 2 = -2 -> + 2 = 2.
  EXPECT_EQ(Requantize(-3, FloatRequant(1.0f, 2, 2, 127)), 2);
}

TEST(Requantize, FloatClampsBeforeConvertingHugeValues) {
  // 2^40 * 1e6 ~ 1.1e18 is far outside int32; clamped in float to 127 - 0 first.
  EXPECT_EQ(Requantize(int64_t{1} << 40, FloatRequant(1e6f, 0)), 127);
  EXPECT_EQ(Requantize(-(int64_t{1} << 40), FloatRequant(1e6f, 0)), -128);
}

TEST(Requantize, FixedPointTiesDifferFromFloat) {
  // {2^30, 0} = 0.5. 5 * 2^30 / 2^31 = 2.5: high-mul tie goes up -> 3 (float mode gives 2).
  EXPECT_EQ(Requantize(5, FixedRequant({k2To30, 0}, 0)), 3);
  // -5 * 0.5 = -2.5: tie toward +infinity -> -2.
  EXPECT_EQ(Requantize(-5, FixedRequant({k2To30, 0}, 0)), -2);
  // {2^30, -1} = 0.25. 10: high-mul 10 * 2^30 / 2^31 = 5; 5 / 2 = 2.5 -> 3.
  EXPECT_EQ(Requantize(10, FixedRequant({k2To30, -1}, 0)), 3);
  // -10: high-mul gives -5 exactly; -5 / 2 = -2.5, away from zero -> -3.
  EXPECT_EQ(Requantize(-10, FixedRequant({k2To30, -1}, 0)), -3);
  // zero point and clamp: 3 + 126 = 129 -> 127.
  EXPECT_EQ(Requantize(10, FixedRequant({k2To30, -1}, 126)), 127);
}

TEST(Requantize, FixedPointSaturatesTheAccumulatorToInt32First) {
  // 2^33 saturates to 2^31 - 1 (wrapping would give 0); * 0.5 = 2^30 - 0.5 -> tie up -> 2^30.
  EXPECT_EQ(Requantize(int64_t{1} << 33, FixedRequant({k2To30, 0}, 0, kI32Min, kI32Max)), k2To30);
}

TEST(ActivationRange, ClampsToRealZeroAndSix) {
  using P = std::pair<int32_t, int32_t>;
  EXPECT_EQ(ActivationRange(Activation::kNone, 0.1f, 3, -128, 127), P(-128, 127));
  EXPECT_EQ(ActivationRange(Activation::kRelu, 0.1f, -5, -128, 127), P(-5, 127));
  // 6 / 0.05f: 0.05f is 0.05000000075, the quotient 119.9999982 rounds to the float 120.0f;
  // upper = -5 + 120 = 115.
  EXPECT_EQ(ActivationRange(Activation::kRelu6, 0.05f, -5, -128, 127), P(-5, 115));
  // 6 / 4 = 1.5 -> 2 (half to even); 6 / 12 = 0.5 -> 0.
  EXPECT_EQ(ActivationRange(Activation::kRelu6, 4.0f, 10, -128, 127), P(10, 12));
  EXPECT_EQ(ActivationRange(Activation::kRelu6, 12.0f, 10, -128, 127), P(10, 10));
  // 6 / 0.01 = 600 steps: beyond the type, the type's max stays.
  EXPECT_EQ(ActivationRange(Activation::kRelu6, 0.01f, 0, -128, 127), P(0, 127));
  // Unsigned 8-bit, zp 0, scale 6/255-ish 0.0235: 6 / 0.0235 = 255.3 -> 255.
  EXPECT_EQ(ActivationRange(Activation::kRelu6, 0.0235f, 0, 0, 255), P(0, 255));
}

TEST(MakeRequant, BuildsBothMultipliers) {
  // 0.5 * 0.5 / 0.5 = 0.5 in float and as {2^30, 0}.
  const Requant r = MakeRequant(RequantMode::kFixedPoint, 0.5f, 0.5f, 0.5f, 7, {0, 100});
  EXPECT_EQ(r.float_multiplier, 0.5f);
  EXPECT_EQ(r.fixed.multiplier, k2To30);
  EXPECT_EQ(r.fixed.shift, 0);
  EXPECT_EQ(r.out_zero_point, 7);
  EXPECT_EQ(r.out_min, 0);
  EXPECT_EQ(r.out_max, 100);
}

// --- residual add ------------------------------------------------------------------------------

// sa = 0.5, za = 1; sb = 0.25, zb = -2; sy = 1, zy = 3.
AddParams TestAdd(RequantMode mode, int32_t hi = 127) {
  return MakeAddParams(mode, 0.5f, 1, 0.25f, -2, 1.0f, 3, -128, hi);
}

TEST(QuantizedAdd, FloatModeFoldsTheZeroPointsAsOnnxRuntime) {
  const AddParams p = TestAdd(RequantMode::kOnnxFloat);
  // ra = 0.5 / 1, rb = 0.25 / 1; offset = 3 - fma(0.5, 1, 0.25 * -2) = 3 - 0 = 3.
  EXPECT_TRUE(p.folded_8bit);
  EXPECT_EQ(p.a_ratio, 0.5f);
  EXPECT_EQ(p.b_ratio, 0.25f);
  EXPECT_EQ(p.offset, 3.0f);
  EXPECT_EQ(QuantizedAdd(6, 4, p), 7);  // 3 + 4 * 0.25 + 6 * 0.5 = 7
  // Ties are broken on the final value, zero point included: 2.5 + 3 = 5.5 -> 6 (even), where
  // rounding before adding the zero point would give round(2.5) + 3 = 5.
  EXPECT_EQ(QuantizedAdd(6, -2, p), 6);   // 3 - 0.5 + 3 = 5.5 -> 6
  EXPECT_EQ(QuantizedAdd(8, -2, p), 6);   // 3 - 0.5 + 4 = 6.5 -> 6 (not round(3.5) + 3 = 7)
  EXPECT_EQ(QuantizedAdd(-4, -2, p), 0);  // 3 - 0.5 - 2 = 0.5 -> 0 (not round(-2.5) + 3 = 1)
  // 3 - 0.5 + 50 = 52.5 -> 52, clamped to 10.
  EXPECT_EQ(QuantizedAdd(100, -2, TestAdd(RequantMode::kOnnxFloat, 10)), 10);
  EXPECT_EQ(QuantizedAdd(-128, -128, p), -93);  // 3 - 32 - 64 = -93 exactly
}

TEST(QuantizedAdd, FloatModeInt8TiesAsOnnxRuntime) {
  // The int8 QLinearAdd reported against ONNX Runtime 1.30 (x86-64): x fed to both inputs,
  // sa = sb = 0.0625, za = zb = 47, sy = 0.25, zy = -17. ra = rb = 0.25;
  // offset = -17 - fma(0.25, 47, 0.25 * 47) = -17 - 23.5 = -40.5; t = -40.5 + 0.5 * x.
  const AddParams p = MakeAddParams(RequantMode::kOnnxFloat, 0.0625f, 47, 0.0625f, 47, 0.25f, -17, -128, 127);
  EXPECT_EQ(p.offset, -40.5f);
  // x:   80 (-0.5), 2 (-39.5), 48 (-16.5), 46 (-17.5), 49 (-16), 45 (-18), 47 (-17), 81 (0).
  // ORT: 0, -40, -16, -18, -16, -18, -17, 0 (half to even on t; rounding the real sum first and
  // adding zy after gave -1, -39, -17, -17 for the first four).
  const int32_t x[] = {80, 2, 48, 46, 49, 45, 47, 81};
  const int32_t want[] = {0, -40, -16, -18, -16, -18, -17, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(QuantizedAdd(x[i], x[i], p), want[i]) << "x=" << x[i];
}

TEST(QuantizedAdd, FloatModeUint8TiesLikeInt8) {
  // Same arithmetic for uint8: sa = sb = 0.5, za = zb = 0, sy = 1, zy = 1; offset = 1.
  const AddParams p = MakeAddParams(RequantMode::kOnnxFloat, 0.5f, 0, 0.5f, 0, 1.0f, 1, 0, 255);
  EXPECT_EQ(QuantizedAdd(1, 2, p), 2);        // 1 + 1 + 0.5 = 2.5 -> 2 (real 1.5 -> 2, + 1 = 3)
  EXPECT_EQ(QuantizedAdd(2, 3, p), 4);        // 1 + 1.5 + 1 = 3.5 -> 4
  EXPECT_EQ(QuantizedAdd(255, 255, p), 255);  // 256 saturates
  // Negative zero point terms: za = 200, zb = 100, zy = 7: offset = 7 - (100 + 50) = -143.
  const AddParams q = MakeAddParams(RequantMode::kOnnxFloat, 0.5f, 200, 0.5f, 100, 1.0f, 7, 0, 255);
  EXPECT_EQ(q.offset, -143.0f);
  EXPECT_EQ(QuantizedAdd(201, 100, q), 8);  // -143 + 50 + 100.5 = 7.5 -> 8 (real 0.5 -> 0, + 7 = 7)
}

TEST(QuantizedAdd, FloatModeNearTieFollowsTheOperationOrder) {
  // An int8 add from the ONNX Runtime conformance probe (exact real result -75.49987): ORT 1.30
  // returns -75. sa, sb, sy below are float32 values (hex), za = -92, zb = 15, zy = -92;
  // a = -103, b = 63. Evaluating the offset without the fused multiply-add
  // (zy - (ra * za + rb * zb), three roundings) lands on the other side: -76.
  const AddParams p = MakeAddParams(RequantMode::kOnnxFloat, 0x1.f9c28ep-4f, -92, 0x1.f3f7b4p-6f, 15,
                                    0x1.a70738p-8f, -92, -128, 127);
  EXPECT_EQ(QuantizedAdd(-103, 63, p), -75);
}

TEST(QuantizedAdd, FloatModeOutOfInt32RangeGivesTheMinimum) {
  // ra = 1 / 2^-30 = 2^30; t = 127 * 2^30 >= 2^31: the x86 conversion yields INT32_MIN, which
  // saturates to -128, as ONNX Runtime's kernel does. A large negative t gives -128 as well.
  const AddParams p = MakeAddParams(RequantMode::kOnnxFloat, 1.0f, 0, 1.0f, 0, 0x1p-30f, 0, -128, 127);
  EXPECT_EQ(QuantizedAdd(127, 0, p), -128);
  EXPECT_EQ(QuantizedAdd(-127, 0, p), -128);
  EXPECT_EQ(QuantizedAdd(0, 0, p), 0);
  EXPECT_EQ(QuantizedAdd(1, 0, p), 127);  // 2^30 fits int32, saturates to 127
}

TEST(QuantizedAdd, FloatModeWideInputsUseThePortableKernel) {
  // 16-bit inputs: v = (0.5 * (a - 1) + 0.25 * (b + 2)) / 1, then round(v + 3).
  const AddParams p = MakeAddParams(RequantMode::kOnnxFloat, 0.5f, 1, 0.25f, -2, 1.0f, 3, -32768, 32767, 16);
  EXPECT_FALSE(p.folded_8bit);
  EXPECT_EQ(QuantizedAdd(6, 4, p), 7);              // 2.5 + 1.5 + 3
  EXPECT_EQ(QuantizedAdd(6, -2, p), 6);             // 2.5 + 3 = 5.5 -> 6
  EXPECT_EQ(QuantizedAdd(-4, -2, p), 0);            // -2.5 + 3 = 0.5 -> 0
  EXPECT_EQ(QuantizedAdd(30001, -2, p), 15003);     // 15000 + 3
  EXPECT_EQ(QuantizedAdd(32767, 32767, p), 24578);  // 16383 + 8192.25 = 24575.25; + 3 -> 24578
}

TEST(QuantizedAdd, FixedModeDerivesTfliteParameters) {
  const AddParams p = TestAdd(RequantMode::kFixedPoint);
  // twice_max = 2 * max(0.5, 0.25) = 1. real_a = 0.5 = 0.5 * 2^0; real_b = 0.25 = 0.5 * 2^-1;
  // real_out = 1 / (2^20 * 1) = 0.5 * 2^-19.
  EXPECT_EQ(p.left_shift, 20);
  EXPECT_EQ(p.a_mult.multiplier, k2To30);
  EXPECT_EQ(p.a_mult.shift, 0);
  EXPECT_EQ(p.b_mult.multiplier, k2To30);
  EXPECT_EQ(p.b_mult.shift, -1);
  EXPECT_EQ(p.out_mult.multiplier, k2To30);
  EXPECT_EQ(p.out_mult.shift, -19);
}

TEST(QuantizedAdd, FixedMode) {
  const AddParams p = TestAdd(RequantMode::kFixedPoint);
  // a=6: 5 << 20, * 0.5 = 5 * 2^19. b=4: 6 << 20, high-mul 3 * 2^20, / 2 = 3 * 2^19.
  // sum 8 * 2^19 = 2^22; high-mul 2^21; / 2^19 = 4; + 3 = 7.
  EXPECT_EQ(QuantizedAdd(6, 4, p), 7);
  // a=6, b=-2 (0): sum 5 * 2^19; high-mul 5 * 2^18; / 2^19 = 2.5 -> 3 (away from zero); + 3.
  EXPECT_EQ(QuantizedAdd(6, -2, p), 6);
  // a=-4 (-5): sum -5 * 2^19; high-mul -5 * 2^18 exact; / 2^19 = -2.5 -> -3; + 3 = 0.
  EXPECT_EQ(QuantizedAdd(-4, -2, p), 0);
  // a=100 (99): 99 * 2^19 ... / 2^19 = 49.5 -> 50; + 3 = 53 -> clamped to 10.
  EXPECT_EQ(QuantizedAdd(100, -2, TestAdd(RequantMode::kFixedPoint, 10)), 10);
}

TEST(QuantizedAdd, WideInputsLowerTheLeftShift) {
  // 16-bit inputs: 30 - 16 = 14 < 20, so |a - za| << 14 < 2^30 fits.
  const AddParams p = MakeAddParams(RequantMode::kFixedPoint, 0.5f, 0, 0.5f, 0, 1.0f, 0, -32768, 32767, 16);
  EXPECT_EQ(p.left_shift, 14);
  // 30000 * 0.5 + 30000 * 0.5 = 30000 exactly (no int32 overflow on the way).
  EXPECT_EQ(QuantizedAdd(30000, 30000, p), 30000);
}

// --- average pool ------------------------------------------------------------------------------

TEST(AveragePoolRequant, FloatRoundsHalfToEven) {
  // multiplier 1 / (1 * 4) = 0.25. 10 * 0.25 = 2.5 -> 2; -10 -> -2.5 -> -2; zp 1 -> 3.
  EXPECT_EQ(AveragePoolRequant(10, 4, 1.0f, 1.0f, RequantMode::kOnnxFloat, 0, -128, 127), 2);
  EXPECT_EQ(AveragePoolRequant(-10, 4, 1.0f, 1.0f, RequantMode::kOnnxFloat, 0, -128, 127), -2);
  EXPECT_EQ(AveragePoolRequant(10, 4, 1.0f, 1.0f, RequantMode::kOnnxFloat, 1, -128, 127), 3);
  // 0.5 / (0.5 * 9) = 1/9; 13 / 9 = 1.44 -> 1.
  EXPECT_EQ(AveragePoolRequant(13, 9, 0.5f, 0.5f, RequantMode::kOnnxFloat, 0, -128, 127), 1);
  // 1000 / 1 saturates.
  EXPECT_EQ(AveragePoolRequant(1000, 1, 1.0f, 1.0f, RequantMode::kOnnxFloat, 0, -128, 127), 127);
}

TEST(AveragePoolRequant, FixedPoint) {
  // 0.25 = {2^30, -1}. 10: high-mul 10 * 2^30 / 2^31 = 5; / 2 = 2.5 -> 3.
  EXPECT_EQ(AveragePoolRequant(10, 4, 1.0f, 1.0f, RequantMode::kFixedPoint, 0, -128, 127), 3);
  // -10: high-mul -5; / 2 = -2.5 -> -3.
  EXPECT_EQ(AveragePoolRequant(-10, 4, 1.0f, 1.0f, RequantMode::kFixedPoint, 0, -128, 127), -3);
  // 1 / (0.5 * 2) = 1 = 0.5 * 2^1 = {2^30, 1}: 7 << 1 = 14; * 2^30 / 2^31 = 7; + 1 = 8.
  EXPECT_EQ(AveragePoolRequant(7, 2, 1.0f, 0.5f, RequantMode::kFixedPoint, 1, -128, 127), 8);
}

TEST(AveragePoolRequant, ZeroCountIsAnError) {
  EXPECT_THROW(AveragePoolRequant(1, 0, 1.0f, 1.0f, RequantMode::kOnnxFloat, 0, -128, 127),
               std::invalid_argument);
}

}  // namespace
}  // namespace npusim::core

namespace npusim::core {
namespace {

// ONNX Runtime's SSE2 QLinearMul: t = float32(float32(p) * r) + zy, r = float32(float32(sa * sb) / sy),
// ties broken on t (zero point included).
TEST(QuantizedMul, FloatModeRoundsHalfToEvenAfterTheZeroPoint) {
  // sa = sb = 0.5, sy = 0.5: r = 0.5. a - za = 5, b - zb = 1: p = 5, p * r = 2.5.
  MulParams p = MakeMulParams(RequantMode::kOnnxFloat, 0.5f, 2, 0.5f, -1, 0.5f, 3, -128, 127);
  EXPECT_EQ(QuantizedMul(7, 0, p), 6);  // 2.5 + 3 = 5.5 -> 6 (rounding 2.5 first would give 2 + 3 = 5)
  p = MakeMulParams(RequantMode::kOnnxFloat, 0.5f, 2, 0.5f, -1, 0.5f, 4, -128, 127);
  EXPECT_EQ(QuantizedMul(7, 0, p), 6);          // 2.5 + 4 = 6.5 -> 6
  EXPECT_EQ(QuantizedMul(2, 0, p), 4);          // p = 0: the zero point
  EXPECT_EQ(QuantizedMul(-8, 5, p), -26);       // p = -10 * 6 = -60, -30 + 4
  EXPECT_EQ(QuantizedMul(127, 127, p), 127);    // 125 * 128 * 0.5 + 4: saturates high
  EXPECT_EQ(QuantizedMul(-128, 127, p), -128);  // saturates low
}

TEST(QuantizedMul, FloatModeOutOfInt32SaturatesToTheMinimumAsCvtps) {
  // r = 1e30: p * r is far beyond int32; cvtps2dq gives INT32_MIN, so even a positive product
  // ends at out_min, as in ONNX Runtime.
  const MulParams p = MakeMulParams(RequantMode::kOnnxFloat, 1e15f, 0, 1e15f, 0, 1.0f, 0, 0, 255);
  EXPECT_EQ(QuantizedMul(3, 3, p), 0);
}

TEST(QuantizedMul, WideInputsUseThePortableKernel) {
  // 16-bit inputs: v = (sa * (a - za)) * (sb * (b - zb)) / sy, clamped, then zy added, rounded.
  const MulParams p = MakeMulParams(RequantMode::kOnnxFloat, 0.25f, 0, 0.5f, 0, 0.25f, 1, -32768, 32767, 16);
  EXPECT_EQ(QuantizedMul(1000, 3, p), 1501);  // 250 * 1.5 / 0.25 = 1500, + 1
  EXPECT_EQ(QuantizedMul(1, 1, p), 2);        // 0.125 / 0.25 = 0.5, + 1 = 1.5 -> 2 (half to even)
}

TEST(QuantizedMul, FixedPointFollowsTfliteIntegerMul) {
  // M = sa * sb / sy = 0.5: MultiplyByQuantizedMultiplier(p, M) rounds ties toward +infinity
  // (gemmlowp's SaturatingRoundingDoublingHighMul nudge).
  const MulParams p = MakeMulParams(RequantMode::kFixedPoint, 0.5f, 0, 0.5f, 0, 0.5f, 3, -128, 127);
  EXPECT_EQ(QuantizedMul(5, 1, p), 6);   // 2.5 -> 3, + 3
  EXPECT_EQ(QuantizedMul(-5, 1, p), 1);  // -2.5 -> -2, + 3
  EXPECT_EQ(QuantizedMul(4, 6, p), 15);  // 12 + 3
}

}  // namespace
}  // namespace npusim::core

namespace npusim::core {
namespace {

// ONNX Runtime's QLinearAveragePool: float32 dequantized taps summed in order, / count,
// / y_scale, + y_zp in float, then round half to even.
TEST(FloatAveragePool, AddsTheZeroPointBeforeRounding) {
  FloatAveragePool a(0.5f, 10);
  for (int32_t x : {11, 12, 12, 12}) a.Add(x);  // 0.5 + 1 + 1 + 1 = 3.5; / 4 = 0.875
  EXPECT_EQ(a.Finish(4, 0.25f, 3, 0, 255), 6);  // 3.5 + 3 = 6.5 -> 6 (ties to even after the zero point)
  EXPECT_EQ(a.Finish(4, 0.25f, 4, 0, 255), 8);  // 3.5 + 4 = 7.5 -> 8
  EXPECT_EQ(a.Finish(7, 0.25f, 0, 0, 255), 2);  // count_include_pad: 3.5 / 7 = 0.5, / 0.25 = 2
  EXPECT_EQ(a.Finish(4, 1e-30f, 0, -128, 127), -128);  // beyond int32: INT32_MIN saturates low
}

// The sum is float32, in the order the taps come: 2^24 + 1 + 1 rounds twice, 1 + 1 + 2^24 once.
TEST(FloatAveragePool, SumsInFloat32InTapOrder) {
  FloatAveragePool big_first(1.0f, 0), small_first(1.0f, 0);
  for (int32_t x : {16777216, 1, 1}) big_first.Add(x);
  for (int32_t x : {1, 1, 16777216}) small_first.Add(x);
  EXPECT_EQ(big_first.Finish(1, 1024.0f, 0, INT32_MIN, INT32_MAX), 16384);   // 16777216 / 1024
  EXPECT_EQ(small_first.Finish(1, 2.0f, 0, INT32_MIN, INT32_MAX), 8388609);  // 16777218 / 2
}

}  // namespace
}  // namespace npusim::core

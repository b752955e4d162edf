// Quantization arithmetic shared by the simulated data path (models/) and the reference executor
// (reference/). This is the only arithmetic the two share, by design: if it is wrong both are wrong
// the same way, so it is tested on its own against hand-computed values (tests/ir/quant_test.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "ir/graph.h"

namespace npusim::core {

enum class Overflow { kWrap, kSaturate };
enum class RequantMode { kOnnxFloat, kFixedPoint };

// Accumulator of `bits` (8..32) bits, two's complement.
inline int64_t AccMin(int bits) { return -(int64_t{1} << (bits - 1)); }
inline int64_t AccMax(int bits) { return (int64_t{1} << (bits - 1)) - 1; }
// Brings a wide value into the accumulator's range: modulo 2^bits (wrap) or clamped (saturate).
// Inline because it runs once per MAC. bits outside 8..32 throw std::invalid_argument.
[[noreturn]] void ThrowBadAccBits(int bits);
inline int64_t AccFit(int64_t v, int bits, Overflow ov) {
  if (bits < 8 || bits > 32) ThrowBadAccBits(bits);
  if (ov == Overflow::kSaturate) {
    return v < AccMin(bits) ? AccMin(bits) : v > AccMax(bits) ? AccMax(bits) : v;
  }
  // Two's-complement wrap: keep the low `bits` bits (unsigned arithmetic is modulo 2^64, so this
  // is well defined for negative v), then sign-extend from bit bits-1.
  const uint64_t modulus = uint64_t{1} << bits;
  const uint64_t low = static_cast<uint64_t>(v) & (modulus - 1);
  const bool negative = (low >> (bits - 1)) != 0;
  return negative ? static_cast<int64_t>(low) - static_cast<int64_t>(modulus) : static_cast<int64_t>(low);
}
// One accumulation step as the hardware adder does it: AccFit(acc + addend).
inline int64_t AccAdd(int64_t acc, int64_t addend, int bits, Overflow ov) {
  return AccFit(acc + addend, bits, ov);
}

// ONNX QLinearConv / QLinearMatMul requantization multiplier, computed in float32 as ONNX Runtime
// does: float32(float32(x_scale * w_scale) / y_scale).
float OnnxMultiplier(float x_scale, float w_scale, float y_scale);

// gemmlowp/TFLite fixed-point multiplier: real ~= multiplier * 2^(shift - 31), multiplier in
// [2^30, 2^31) (or 0). shift > 0 is a left shift.
struct FixedMultiplier {
  int32_t multiplier = 0;
  int32_t shift = 0;
};
FixedMultiplier QuantizeMultiplier(double real);

// Requantization parameters of one output channel. `float_multiplier` is used in kOnnxFloat mode,
// `fixed` in kFixedPoint mode. [out_min, out_max] is the output type's range intersected with the
// fused activation's clamp.
struct Requant {
  RequantMode mode = RequantMode::kOnnxFloat;
  float float_multiplier = 1.0f;
  FixedMultiplier fixed;
  int32_t out_zero_point = 0;
  int32_t out_min = -128;
  int32_t out_max = 127;
};

// kOnnxFloat: saturate(round_half_to_even(float32(acc) * m) + zp), clamping in float before the
// conversion as ONNX Runtime's MlasRequantizeOutput does (so no out-of-range float->int).
// kFixedPoint: saturate(RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << l, M), r) + zp).
// Inline (with the helpers below): the post-processor calls it for every output value.
int32_t RequantizeFixedPoint(int64_t acc, const Requant& r);

// Round half to even of a float to the nearest integer (as std::nearbyint in the default mode).
// Written with an integer floor rather than std::nearbyint so the result does not depend on the
// current FP rounding mode. |v| >= 2^23 (or inf/NaN) is already an integer.
inline float RoundHalfEven(float v) {
  if (!(std::fabs(v) < 8388608.0f)) return v;
  int32_t down = static_cast<int32_t>(v);  // toward zero, exact in this range
  if (static_cast<float>(down) > v) --down;
  const float fraction = v - static_cast<float>(down);  // exact: same binade or smaller
  if (fraction > 0.5f || (fraction == 0.5f && (down & 1) != 0)) ++down;
  return static_cast<float>(down);
}

// The tail shared by every float-mode requantization (conv, FC, add, average pool): clamp the
// scaled value to the output range *before* converting, as MlasRequantizeOutput does, so a huge
// accumulator never reaches an out-of-range float->int conversion (undefined behaviour). Clamping
// first and rounding after equals rounding first and clamping after because the bounds are
// integers.
inline int32_t RoundClampToOutput(float v, int32_t zero_point, int32_t out_min, int32_t out_max) {
  const float lo = static_cast<float>(int64_t{out_min} - zero_point);
  const float hi = static_cast<float>(int64_t{out_max} - zero_point);
  v = std::min(std::max(v, lo), hi);
  const int64_t q = static_cast<int64_t>(RoundHalfEven(v)) + zero_point;
  // lo/hi are exact for |bound| < 2^24; the final clamp guards wider outputs against float error.
  return static_cast<int32_t>(std::clamp<int64_t>(q, out_min, out_max));
}

inline int32_t Requantize(int64_t acc, const Requant& r) {
  if (r.mode != RequantMode::kOnnxFloat) return RequantizeFixedPoint(acc, r);
  return RoundClampToOutput(static_cast<float>(acc) * r.float_multiplier, r.out_zero_point, r.out_min,
                            r.out_max);
}

// Requantize in kOnnxFloat mode over a row: out[i] = RoundClampToOutput(float32(acc[i]) * m[i],
// zero_point, out_min, out_max) for i < n, with acc the n little-endian int32 accumulators at
// `acc`, written without branches so that the compiler vectorises it (the post-processor's
// REQUANT calls it; the reference executor keeps to Requantize, so that it checks this row). It equals
// Requantize value for value where RowRequantApplies: every m[i] finite, out_min <= out_max and
// both bounds minus the zero point inside +-2^23 (the clamped value is then in RoundHalfEven's
// integer range and rounds inside the bounds, so the final clamp never acts).
bool RowRequantApplies(const float* m, int64_t n, int32_t zero_point, int32_t out_min, int32_t out_max);
void RequantizeRow(const uint8_t* acc, const float* m, int64_t n, int32_t zero_point, int32_t out_min,
                   int32_t out_max, int32_t* out);

// Quantized output range [min, max] of a tensor of type range [qmin, qmax] after the fused
// activation: relu clamps below at y_zp (real 0); relu6 also clamps above at
// y_zp + round_half_to_even(float32(6.0f / y_scale)) (real 6). Shared by the reference executor and
// the compiler so both clamp identically.
std::pair<int32_t, int32_t> ActivationRange(Activation act, float y_scale, int32_t y_zp, int64_t qmin,
                                            int64_t qmax);

// Requantization of one output channel of conv2d / fully_connected: the float multiplier is
// OnnxMultiplier(x_scale, w_scale, y_scale), the fixed one QuantizeMultiplier of the same ratio in
// double; `range` is the clamp (usually from ActivationRange).
Requant MakeRequant(RequantMode mode, float x_scale, float w_scale, float y_scale, int32_t y_zp,
                    std::pair<int32_t, int32_t> range);

// gemmlowp primitives, exposed for tests.
// round(a * b / 2^31), ties toward +infinity (gemmlowp's nudge); INT32_MIN * INT32_MIN, the one
// product whose result does not fit, saturates to INT32_MAX.
int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b);
// round(x / 2^exponent), ties away from zero; exponent >= 0.
int32_t RoundingDivideByPOT(int32_t x, int exponent);
// RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * 2^max(shift, 0), multiplier),
// max(-shift, 0)). The left-shifted x saturates to int32 (in TFLite that overflow is undefined
// behaviour; a hardware shifter saturates), which only matters for multipliers >= 2.
int32_t MultiplyByQuantizedMultiplier(int32_t x, FixedMultiplier m);

// Residual add with rescaling: y = saturate(round(((a - za) * sa + (b - zb) * sb) / sy) + zy).
//
// kOnnxFloat reproduces ONNX Runtime's com.microsoft QLinearAdd (and the QLinearAdd its graph
// optimizer makes of a QDQ Add) bit for bit on x86-64. The arithmetic depends on the element
// width, not on signedness (int8 and uint8 are computed alike):
//  - 8-bit inputs (`input_bits` <= 8): MLAS's AVX2/FMA kernel (every x86-64 CPU with AVX2 and FMA
//    runs it). In float32, with ra = float32(sa / sy), rb = float32(sb / sy) and the zero points
//    folded into one offset
//        offset = float32(zy) - fma(ra, za, float32(rb * zb))
//        t = fma(a, ra, fma(b, rb, offset))      (each fma rounded once, to float32)
//    and y = clamp(round_half_to_even(t), out_min, out_max). Ties are broken on the final value,
//    output zero point included (2.5 + zp 3 = 5.5 gives 6, not round(2.5) + 3 = 5), and the order
//    of the float operations decides some near-ties. A t outside int32's range converts to
//    INT32_MIN (the x86 conversion's "integer indefinite"), so it saturates to out_min even when
//    positive: ONNX Runtime does the same (only reachable with sa / sy or sb / sy above ~2^23).
//  - wider inputs: ONNX Runtime's portable kernel (its only one for 16-bit QLinearAdd):
//        v = float32(float32(sa * float32(a - za)) + float32(sb * float32(b - zb))) / sy
//    clamped to [out_min - zy, out_max - zy] in float, then round_half_to_even(float32(v + zy)).
// kFixedPoint follows TFLite's integer add (inputs shifted left by 20 bits, per-input and output
// fixed multipliers). `input_bits` (the wider of the two inputs' bit widths) also lowers that left
// shift below 20 for inputs wider than 10 bits, so that (a - za) << left_shift still fits in int32
// (TFLite uses 15 for int16).
// The quantization of a two-input elementwise op's operands and output (add, mul).
struct BinaryQuant {
  RequantMode mode = RequantMode::kOnnxFloat;
  int32_t a_zero_point = 0, b_zero_point = 0;
  float a_scale = 1, b_scale = 1, out_scale = 1;
  int32_t out_zero_point = 0, out_min = -128, out_max = 127;
};

struct AddParams : BinaryQuant {
  // Float mode, 8-bit inputs: ra, rb and the folded offset above, derived by MakeAddParams.
  bool folded_8bit = true;
  float a_ratio = 1, b_ratio = 1, offset = 0;
  // Fixed-point mode only, derived by MakeAddParams.
  int32_t left_shift = 20;
  FixedMultiplier a_mult, b_mult, out_mult;
};
AddParams MakeAddParams(RequantMode mode, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                        float out_scale, int32_t out_zp, int32_t out_min, int32_t out_max,
                        int input_bits = 8);
int32_t QuantizedAdd(int32_t a, int32_t b, const AddParams& p);

// Elementwise product with rescaling: y = saturate(round((a - za) * sa * (b - zb) * sb / sy) + zy).
//
// kOnnxFloat reproduces ONNX Runtime's com.microsoft QLinearMul (and the QLinearMul its graph
// optimizer makes of a QDQ Mul) on x86-64, which has no fused activation:
//  - 8-bit inputs: MLAS's SSE2 kernel. The product p = (a - za) * (b - zb) is exact in int32; in
//    float32, with r = float32(float32(sa * sb) / sy),
//        t = float32(float32(p) * r) + float32(zy)      (two roundings, no fused multiply-add)
//    and y = saturate(round_half_to_even(t)); a t outside int32's range converts to INT32_MIN
//    (cvtps2dq's "integer indefinite"), so it saturates to the type's minimum even when positive.
//  - wider inputs: ONNX Runtime's portable kernel,
//        v = float32(float32(sa * float32(a - za)) * float32(sb * float32(b - zb))) / sy
//    clamped to [out_min - zy, out_max - zy] in float, then round_half_to_even(float32(v + zy)).
// kFixedPoint follows TFLite's integer mul: MultiplyByQuantizedMultiplier(p, M(sa * sb / sy)) + zy,
// p saturated to int32 (it fits for inputs of up to 16 bits with zero points inside the range).
struct MulParams : BinaryQuant {
  bool sse_8bit = true;  // float mode, 8-bit inputs
  float ratio = 1;       // float32(float32(sa * sb) / sy)
  FixedMultiplier mult;  // fixed-point mode
};
MulParams MakeMulParams(RequantMode mode, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                        float out_scale, int32_t out_zp, int32_t out_min, int32_t out_max,
                        int input_bits = 8);
int32_t QuantizedMul(int32_t a, int32_t b, const MulParams& p);

// ONNX Runtime's com.microsoft QLinearAveragePool (and the QDQ AveragePool it fuses into it), float32
// throughout: each tap dequantized, float32(x - x_zp) * x_scale, added to a float32 sum in window
// order (rows, then columns), the sum divided by float32(count), then
// y = saturate(round_half_to_even(float32(float32(avg / y_scale) + y_zp))): the zero point is
// added before rounding. A value outside int32's range converts to INT32_MIN (cvttss2si), so it
// saturates to out_min. Used by avg_pool with "accumulate": "float32".
class FloatAveragePool {
 public:
  FloatAveragePool(float x_scale, int32_t x_zero_point) : x_scale_(x_scale), x_zero_point_(x_zero_point) {}
  void Add(int32_t x) { sum_ += static_cast<float>(x - x_zero_point_) * x_scale_; }
  int32_t Finish(int64_t count, float y_scale, int32_t y_zero_point, int32_t out_min, int32_t out_max) const;

 private:
  float x_scale_;
  int32_t x_zero_point_;
  float sum_ = 0;
};

// Average of `count` values whose zero-point-corrected sum is `sum`, requantized from the input
// scale to the output scale: saturate(round_half_to_even(float32(sum) * float32(in_scale /
// (out_scale * count))) + out_zp). Fixed-point mode: multiplier of in_scale / (out_scale * count).
int32_t AveragePoolRequant(int64_t sum, int64_t count, float in_scale, float out_scale, RequantMode mode,
                           int32_t out_zp, int32_t out_min, int32_t out_max);

}  // namespace npusim::core

#include "ir/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace npusim::core {
namespace {

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

int32_t SaturateToInt32(int64_t v) { return static_cast<int32_t>(std::clamp(v, kInt32Min, kInt32Max)); }

// floor(v / 2^exponent) without relying on the (pre-C++20 implementation-defined) right shift of a
// negative value.
int64_t FloorDivPow2(int64_t v, int exponent) {
  const int64_t d = int64_t{1} << exponent;
  const int64_t q = v / d;  // truncates toward zero
  return (v % d != 0 && v < 0) ? q - 1 : q;
}

// The fixed-point tail: add the zero point in 64 bits (no overflow) and clamp.
int32_t AddZeroPointAndClamp(int32_t scaled, int32_t zero_point, int32_t out_min, int32_t out_max) {
  return static_cast<int32_t>(std::clamp<int64_t>(int64_t{scaled} + zero_point, out_min, out_max));
}

}  // namespace

void ThrowBadAccBits(int bits) {
  throw std::invalid_argument("accumulator bits must be in 8..32, got " + std::to_string(bits));
}

float OnnxMultiplier(float x_scale, float w_scale, float y_scale) {
  // Two float32 roundings, in this order, as ONNX Runtime computes the QLinearConv output scale;
  // a double computation would differ in the last bit for some scale triples.
  const float xw = x_scale * w_scale;
  return xw / y_scale;
}

FixedMultiplier QuantizeMultiplier(double real) {
  if (!(real > 0.0) || !std::isfinite(real)) return {};
  int exponent = 0;
  const double fraction = std::frexp(real, &exponent);  // real = fraction * 2^exponent, [0.5, 1)
  int64_t q = static_cast<int64_t>(std::round(fraction * 2147483648.0));  // * 2^31, half away
  // A fraction just below 1 can round up to 2^31, which does not fit: use 2^30 one exponent up.
  if (q == (int64_t{1} << 31)) {
    q /= 2;
    ++exponent;
  }
  // Below 2^-32 the right shift would exceed 31 bits: every int32 input gives 0 anyway.
  if (exponent < -31) return {};
  // Above 2^30 the left shift saturates every input but 0: cap it, as recent TFLite does.
  if (exponent > 30) return {static_cast<int32_t>(kInt32Max), 30};
  return {static_cast<int32_t>(q), exponent};
}

int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  // High 32 bits of 2*a*b with rounding: floor((a*b + 2^30) / 2^31). Equivalent to gemmlowp's
  // sign-dependent nudge followed by truncating division (ties go toward +infinity in both).
  const int64_t product = int64_t{a} * int64_t{b};
  const int64_t high = FloorDivPow2(product + (int64_t{1} << 30), 31);
  // Only INT32_MIN * INT32_MIN (= 2^62) gives 2^31 here.
  return static_cast<int32_t>(std::min(high, kInt32Max));
}

int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  if (exponent < 0) throw std::invalid_argument("RoundingDivideByPOT: negative exponent");
  if (exponent == 0) return x;
  // For exponent >= 33 every int32 rounds to 0 or -1 alike; capping keeps the shifts defined.
  exponent = std::min(exponent, 62);
  const int64_t half = int64_t{1} << (exponent - 1);
  const int64_t magnitude = x < 0 ? -int64_t{x} : int64_t{x};
  const int64_t rounded = (magnitude + half) >> exponent;  // magnitude >= 0: plain shift is floor
  return static_cast<int32_t>(x < 0 ? -rounded : rounded);
}

int32_t MultiplyByQuantizedMultiplier(int32_t x, FixedMultiplier m) {
  const int left = std::max(m.shift, 0);
  const int right = std::max(-m.shift, 0);
  // left <= 30 after QuantizeMultiplier; cap anyway so the product stays within int64.
  const int32_t shifted = SaturateToInt32(int64_t{x} * (int64_t{1} << std::min(left, 31)));
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted, m.multiplier), right);
}

int32_t RequantizeFixedPoint(int64_t acc, const Requant& r) {
  const int32_t scaled = MultiplyByQuantizedMultiplier(SaturateToInt32(acc), r.fixed);
  return AddZeroPointAndClamp(scaled, r.out_zero_point, r.out_min, r.out_max);
}

std::pair<int32_t, int32_t> ActivationRange(Activation act, float y_scale, int32_t y_zp, int64_t qmin,
                                            int64_t qmax) {
  int64_t lo = qmin;
  int64_t hi = qmax;
  if (act == Activation::kRelu || act == Activation::kRelu6) lo = std::max(lo, int64_t{y_zp});
  if (act == Activation::kRelu6) {
    const float six_steps = RoundHalfEven(6.0f / y_scale);
    // A step count beyond the type's span cannot tighten the clamp (and may not fit an int64);
    // a scale that is not positive and finite has no image of 6 (importers refuse it first).
    if (six_steps >= 0.0f && six_steps < static_cast<float>(qmax - qmin + 1)) {
      hi = std::min(hi, int64_t{y_zp} + static_cast<int64_t>(six_steps));
    }
  }
  return {static_cast<int32_t>(lo), static_cast<int32_t>(hi)};
}

bool RowRequantApplies(const float* m, int64_t n, int32_t zero_point, int32_t out_min, int32_t out_max) {
  constexpr int64_t kExact = int64_t{1} << 23;
  const int64_t lo = int64_t{out_min} - zero_point, hi = int64_t{out_max} - zero_point;
  return lo <= hi && lo > -kExact && hi < kExact &&
         std::all_of(m, m + n, [](float x) { return std::isfinite(x); });
}

// Cloned for AVX2 where the CPU has it (the same integers either way).
__attribute__((target_clones("avx2", "default"))) void RequantizeRow(const uint8_t* acc, const float* m,
                                                                     int64_t n, int32_t zero_point,
                                                                     int32_t out_min, int32_t out_max,
                                                                     int32_t* out) {
  const float lo = static_cast<float>(int64_t{out_min} - zero_point);
  const float hi = static_cast<float>(int64_t{out_max} - zero_point);
  for (int64_t i = 0; i < n; ++i) {
    int32_t a;
    std::memcpy(&a, acc + i * 4, 4);
    // std::min(std::max(x, lo), hi) spelled out on values (the references std::max returns keep
    // the loop from vectorising), then RoundHalfEven's integer floor without branches.
    const float x = static_cast<float>(a) * m[i];
    const float above_lo = x < lo ? lo : x;
    const float v = hi < above_lo ? hi : above_lo;
    int32_t down = static_cast<int32_t>(v);  // toward zero
    down -= static_cast<float>(down) > v ? 1 : 0;
    const float fraction = v - static_cast<float>(down);
    const int32_t up = fraction > 0.5f ? 1 : 0;
    const int32_t tie = fraction == 0.5f ? (down & 1) : 0;  // a tie goes to the even neighbour
    out[i] = down + up + tie + zero_point;
  }
}

Requant MakeRequant(RequantMode mode, float x_scale, float w_scale, float y_scale, int32_t y_zp,
                    std::pair<int32_t, int32_t> range) {
  Requant r;
  r.mode = mode;
  r.float_multiplier = OnnxMultiplier(x_scale, w_scale, y_scale);
  r.fixed = QuantizeMultiplier(double{x_scale} * double{w_scale} / double{y_scale});
  r.out_zero_point = y_zp;
  r.out_min = range.first;
  r.out_max = range.second;
  return r;
}

namespace {

BinaryQuant MakeBinaryQuant(RequantMode mode, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                            float out_scale, int32_t out_zp, int32_t out_min, int32_t out_max) {
  BinaryQuant q;
  q.mode = mode;
  q.a_zero_point = a_zp;
  q.b_zero_point = b_zp;
  q.a_scale = a_scale;
  q.b_scale = b_scale;
  q.out_scale = out_scale;
  q.out_zero_point = out_zp;
  q.out_min = out_min;
  q.out_max = out_max;
  return q;
}

// An x86 float->int32 conversion as ONNX Runtime's kernels use it (cvtps2dq / cvttss2si after
// nearbyint: round half to even; NaN or outside [-2^31, 2^31) gives INT32_MIN), then the clamp
// to [out_min, out_max].
int32_t CvtRoundClamp(float t, int32_t out_min, int32_t out_max) {
  const int64_t q =
      (t >= -2147483648.0f && t < 2147483648.0f) ? static_cast<int64_t>(RoundHalfEven(t)) : kInt32Min;
  return static_cast<int32_t>(std::clamp<int64_t>(q, out_min, out_max));
}

// ONNX Runtime's portable kernels' tail: v clamped to [out_min - zy, out_max - zy] in float, then
// round_half_to_even(float32(v + zy)). NaN (only from absurd scales) becomes 0.
int32_t PortableRoundClamp(float v, const BinaryQuant& p) {
  if (std::isnan(v)) v = 0;
  const float lo = static_cast<float>(int64_t{p.out_min} - p.out_zero_point);
  const float hi = static_cast<float>(int64_t{p.out_max} - p.out_zero_point);
  v = std::min(std::max(v, lo), hi);
  const float shifted = v + static_cast<float>(p.out_zero_point);
  return static_cast<int32_t>(
      std::clamp<int64_t>(static_cast<int64_t>(RoundHalfEven(shifted)), p.out_min, p.out_max));
}

}  // namespace

AddParams MakeAddParams(RequantMode mode, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                        float out_scale, int32_t out_zp, int32_t out_min, int32_t out_max, int input_bits) {
  AddParams p;
  static_cast<BinaryQuant&>(p) =
      MakeBinaryQuant(mode, a_scale, a_zp, b_scale, b_zp, out_scale, out_zp, out_min, out_max);
  // ONNX Runtime's 8-bit kernel: the ratios and the offset in float32, each operation rounded
  // once (std::fma rounds once, as the FMA instruction does; the build must not contract the
  // separate multiply and subtract into further FMAs, hence the explicit steps).
  p.folded_8bit = input_bits <= 8;
  p.a_ratio = a_scale / out_scale;
  p.b_ratio = b_scale / out_scale;
  const float b_zero_term = p.b_ratio * static_cast<float>(b_zp);
  const float zero_terms = std::fma(p.a_ratio, static_cast<float>(a_zp), b_zero_term);
  p.offset = static_cast<float>(out_zp) - zero_terms;
  // |a - za| < 2^input_bits, so a left shift of 30 - input_bits keeps the shifted value below
  // 2^30 and the sum of the two scaled inputs (each at most half of it) within int32.
  p.left_shift = std::min(20, 30 - input_bits);
  // TFLite's choice: both inputs are brought to twice the larger input scale, so each input
  // multiplier is <= 0.5 and the sum cannot overflow; the output multiplier undoes the shift.
  const double twice_max_input_scale = 2.0 * std::max(double{a_scale}, double{b_scale});
  p.a_mult = QuantizeMultiplier(a_scale / twice_max_input_scale);
  p.b_mult = QuantizeMultiplier(b_scale / twice_max_input_scale);
  p.out_mult = QuantizeMultiplier(twice_max_input_scale /
                                  (static_cast<double>(int64_t{1} << p.left_shift) * out_scale));
  return p;
}

int32_t QuantizedAdd(int32_t a, int32_t b, const AddParams& p) {
  if (p.mode == RequantMode::kOnnxFloat && p.folded_8bit) {
    // MLAS's AVX2 QLinearAdd: b's term first, then a's, each one fused multiply-add.
    const float t =
        std::fma(static_cast<float>(a), p.a_ratio, std::fma(static_cast<float>(b), p.b_ratio, p.offset));
    return CvtRoundClamp(t, p.out_min, p.out_max);
  }
  const int64_t da = int64_t{a} - p.a_zero_point;
  const int64_t db = int64_t{b} - p.b_zero_point;
  if (p.mode == RequantMode::kOnnxFloat) {
    // ONNX Runtime's portable kernel: each product and the sum rounded to float32 separately (no
    // fused multiply-add), clamped in float, the zero point added in float before rounding.
    const float fa = p.a_scale * static_cast<float>(da);
    const float fb = p.b_scale * static_cast<float>(db);
    return PortableRoundClamp((fa + fb) / p.out_scale, p);
  }
  const int64_t unit = int64_t{1} << p.left_shift;
  // The input multipliers are < 1 (shift <= 0), so MultiplyByQuantizedMultiplier reduces to
  // TFLite's MultiplyByQuantizedMultiplierSmallerThanOneExp here.
  const int32_t scaled_a = MultiplyByQuantizedMultiplier(SaturateToInt32(da * unit), p.a_mult);
  const int32_t scaled_b = MultiplyByQuantizedMultiplier(SaturateToInt32(db * unit), p.b_mult);
  const int32_t sum = SaturateToInt32(int64_t{scaled_a} + scaled_b);
  const int32_t scaled = MultiplyByQuantizedMultiplier(sum, p.out_mult);
  return AddZeroPointAndClamp(scaled, p.out_zero_point, p.out_min, p.out_max);
}

MulParams MakeMulParams(RequantMode mode, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                        float out_scale, int32_t out_zp, int32_t out_min, int32_t out_max, int input_bits) {
  MulParams p;
  static_cast<BinaryQuant&>(p) =
      MakeBinaryQuant(mode, a_scale, a_zp, b_scale, b_zp, out_scale, out_zp, out_min, out_max);
  p.sse_8bit = input_bits <= 8;
  const float scale_product = a_scale * b_scale;  // rounded to float32 before the division
  p.ratio = scale_product / out_scale;
  p.mult = QuantizeMultiplier(static_cast<double>(a_scale) * b_scale / out_scale);
  return p;
}

int32_t QuantizedMul(int32_t a, int32_t b, const MulParams& p) {
  const int64_t da = int64_t{a} - p.a_zero_point;
  const int64_t db = int64_t{b} - p.b_zero_point;
  if (p.mode == RequantMode::kOnnxFloat && p.sse_8bit) {
    const float scaled = static_cast<float>(da * db) * p.ratio;  // |p| < 2^17: exact in float32
    const float t = scaled + static_cast<float>(p.out_zero_point);
    return CvtRoundClamp(t, p.out_min, p.out_max);
  }
  if (p.mode == RequantMode::kOnnxFloat) {
    const float fa = p.a_scale * static_cast<float>(da);
    const float fb = p.b_scale * static_cast<float>(db);
    const float product = fa * fb;
    return PortableRoundClamp(product / p.out_scale, p);
  }
  const int32_t scaled = MultiplyByQuantizedMultiplier(SaturateToInt32(da * db), p.mult);
  return AddZeroPointAndClamp(scaled, p.out_zero_point, p.out_min, p.out_max);
}

int32_t FloatAveragePool::Finish(int64_t count, float y_scale, int32_t y_zero_point, int32_t out_min,
                                 int32_t out_max) const {
  const float avg = sum_ / static_cast<float>(count);
  const float scaled = avg / y_scale;
  const float t = scaled + static_cast<float>(y_zero_point);
  return CvtRoundClamp(t, out_min, out_max);
}

int32_t AveragePoolRequant(int64_t sum, int64_t count, float in_scale, float out_scale, RequantMode mode,
                           int32_t out_zp, int32_t out_min, int32_t out_max) {
  if (count <= 0) throw std::invalid_argument("AveragePoolRequant: count must be positive");
  // The ratio is formed in double and rounded to float32 once (the header's
  // float32(in_scale / (out_scale * count))); the division by count is folded into the multiplier
  // so the pool is one multiply per output, like a conv requantization.
  const double real = double{in_scale} / (double{out_scale} * static_cast<double>(count));
  Requant r;
  r.mode = mode;
  r.float_multiplier = static_cast<float>(real);
  r.fixed = QuantizeMultiplier(real);
  r.out_zero_point = out_zp;
  r.out_min = out_min;
  r.out_max = out_max;
  return Requantize(sum, r);
}

}  // namespace npusim::core

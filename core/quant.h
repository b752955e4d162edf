// Quantization arithmetic shared by the simulated data path (models/) and the reference executor
// (reference/). This is the only arithmetic the two share, by design: if it is wrong both are wrong
// the same way, so it is tested on its own against hand-computed values (tests/core/quant_test.cpp).
#pragma once

#include <cstdint>

namespace npusim::core {

enum class Overflow { kWrap, kSaturate };
enum class RequantMode { kOnnxFloat, kFixedPoint };

// Accumulator of `bits` (8..32) bits, two's complement.
inline int64_t AccMin(int bits) { return -(int64_t{1} << (bits - 1)); }
inline int64_t AccMax(int bits) { return (int64_t{1} << (bits - 1)) - 1; }
// Brings a wide value into the accumulator's range: modulo 2^bits (wrap) or clamped (saturate).
int64_t AccFit(int64_t v, int bits, Overflow ov);
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
int32_t Requantize(int64_t acc, const Requant& r);

// gemmlowp primitives, exposed for tests.
int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b);
int32_t RoundingDivideByPOT(int32_t x, int exponent);
int32_t MultiplyByQuantizedMultiplier(int32_t x, FixedMultiplier m);

// Residual add with rescaling: y = saturate(round(((a - za) * sa + (b - zb) * sb) / sy) + zy).
// kOnnxFloat computes in float32 in that order (round half to even); kFixedPoint follows TFLite's
// integer add (inputs shifted left by 20 bits, per-input and output fixed multipliers).
struct AddParams {
  RequantMode mode = RequantMode::kOnnxFloat;
  int32_t a_zero_point = 0, b_zero_point = 0;
  float a_scale = 1, b_scale = 1, out_scale = 1;
  // Fixed-point mode only, derived by MakeAddParams.
  int32_t left_shift = 20;
  FixedMultiplier a_mult, b_mult, out_mult;
  int32_t out_zero_point = 0, out_min = -128, out_max = 127;
};
AddParams MakeAddParams(RequantMode mode, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                        float out_scale, int32_t out_zp, int32_t out_min, int32_t out_max);
int32_t QuantizedAdd(int32_t a, int32_t b, const AddParams& p);

// Average of `count` values whose zero-point-corrected sum is `sum`, requantized from the input
// scale to the output scale: saturate(round_half_to_even(float32(sum) * float32(in_scale /
// (out_scale * count))) + out_zp). Fixed-point mode: multiplier of in_scale / (out_scale * count).
int32_t AveragePoolRequant(int64_t sum, int64_t count, float in_scale, float out_scale,
                           RequantMode mode, int32_t out_zp, int32_t out_min, int32_t out_max);

// Round half to even of a float to the nearest integer (as std::nearbyint in the default mode).
float RoundHalfEven(float v);

}  // namespace npusim::core

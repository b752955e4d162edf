#include "models/conv_datapath.h"

namespace npusim::models {
namespace {
// Logical extent of the input the tile's windows cover (padding included).
int64_t Span(int64_t out, int64_t stride, int64_t kernel, int64_t dilation) {
  return (out - 1) * stride + (kernel - 1) * dilation + 1;
}
}  // namespace

void ConvDatapath::Run(const isa::ConvArgs& c, BufferAccess& mem) {
  const int64_t nw = c.out_c * c.kh * c.kw * (c.in_c / c.groups);
  const uint8_t* w = mem.Ptr(c.w_addr, nw * c.w_type.bytes());
  w_.resize(nw);
  for (int64_t i = 0; i < nw; ++i) w_[i] = LoadElem(w + i * c.w_type.bytes(), c.w_type) - c.w_zero_point;
  Accumulate(c, mem);
}

void ConvDatapath::Run(const isa::ConvArgs& c, BufferAccess& mem, const std::vector<int32_t>& weights) {
  w_.resize(weights.size());
  for (size_t i = 0; i < weights.size(); ++i) w_[i] = weights[i] - c.w_zero_point;
  Accumulate(c, mem);
}

void ConvDatapath::Accumulate(const isa::ConvArgs& c, BufferAccess& mem) {
  const int64_t icg = c.in_c / c.groups, ocg = c.out_c / c.groups;
  const int64_t taps = c.kh * c.kw;
  const uint8_t* in = mem.Ptr(c.in_addr, c.in_h * c.in_w * c.in_c * c.in_type.bytes());
  uint8_t* acc = mem.Ptr(c.acc_addr, c.out_h * c.out_w * c.out_c * 4);
  const uint8_t* params = c.init_bias ? mem.Ptr(c.params_addr, 12 * c.out_c) : nullptr;

  // Padded, zero-point-corrected input: padding taps become 0 terms.
  const int64_t ph = Span(c.out_h, c.stride_h, c.kh, c.dilation_h);
  const int64_t pw = Span(c.out_w, c.stride_w, c.kw, c.dilation_w);
  x_.assign(ph * pw * c.in_c, 0);
  const int eb = c.in_type.bytes();
  for (int64_t py = 0; py < ph; ++py) {
    const int64_t y = py - c.pad_top;
    if (y < 0 || y >= c.in_h) continue;
    for (int64_t px = 0; px < pw; ++px) {
      const int64_t x = px - c.pad_left;
      if (x < 0 || x >= c.in_w) continue;
      const uint8_t* src = in + (y * c.in_w + x) * c.in_c * eb;
      int32_t* dst = &x_[(py * pw + px) * c.in_c];
      for (int64_t ic = 0; ic < c.in_c; ++ic) dst[ic] = LoadElem(src + ic * eb, c.in_type) - c.in_zero_point;
    }
  }
  const bool wrap = overflow_ == core::Overflow::kWrap;
  for (int64_t oy = 0; oy < c.out_h; ++oy) {
    for (int64_t ox = 0; ox < c.out_w; ++ox) {
      uint8_t* acc_px = acc + (oy * c.out_w + ox) * c.out_c * 4;
      for (int64_t oc = 0; oc < c.out_c; ++oc) {
        const int64_t g = oc / ocg;
        // The bias enters the accumulator fitted to its width, like any value stored there.
        const int64_t init = !c.first     ? LoadI32(acc_px + oc * 4)
                             : c.init_bias ? core::AccFit(LoadI32(params + 12 * oc), acc_bits_, overflow_)
                                           : 0;
        const int32_t* wp = &w_[oc * taps * icg];
        int64_t result;
        if (wrap) {
          // Modulo 2^32 (unsigned, so overflow is defined), reduced to acc_bits once.
          uint32_t sum = static_cast<uint32_t>(init);
          for (int64_t ky = 0; ky < c.kh; ++ky) {
            for (int64_t kx = 0; kx < c.kw; ++kx) {
              const int32_t* xp = &x_[((oy * c.stride_h + ky * c.dilation_h) * pw + ox * c.stride_w +
                                       kx * c.dilation_w) * c.in_c + g * icg];
              const int32_t* wt = wp + (ky * c.kw + kx) * icg;
              for (int64_t ic = 0; ic < icg; ++ic) sum += static_cast<uint32_t>(xp[ic]) * static_cast<uint32_t>(wt[ic]);
            }
          }
          result = core::AccFit(static_cast<int32_t>(sum), acc_bits_, core::Overflow::kWrap);
        } else {
          // Saturation depends on order: the canonical ic-major sequence, one term at a time.
          result = init;
          for (int64_t ic = 0; ic < icg; ++ic) {
            for (int64_t ky = 0; ky < c.kh; ++ky) {
              for (int64_t kx = 0; kx < c.kw; ++kx) {
                const int32_t xv = x_[((oy * c.stride_h + ky * c.dilation_h) * pw + ox * c.stride_w +
                                       kx * c.dilation_w) * c.in_c + g * icg + ic];
                result = core::AccAdd(result, static_cast<int64_t>(xv) * wp[(ky * c.kw + kx) * icg + ic],
                                      acc_bits_, core::Overflow::kSaturate);
              }
            }
          }
        }
        StoreI32(acc_px + oc * 4, static_cast<int32_t>(result));
      }
    }
  }
}

}  // namespace npusim::models

#include "models/conv_datapath.h"

#include <algorithm>
#include <cstring>

namespace npusim::models {
namespace {

// Logical extent of the input the tile's windows cover (padding included).
int64_t Span(int64_t out, int64_t stride, int64_t kernel, int64_t dilation) {
  return (out - 1) * stride + (kernel - 1) * dilation + 1;
}

// Whether every zero-point-corrected value of an element stored as `t` fits in [-32767, 32767]:
// from the storage width, not the logical bits (binary weights are stored as +-1 in a byte).
// Then products fit in int32 with room for the pairwise sums of the int16 multiply-add
// instructions, and the narrow kernels below are exact.
bool Narrow(const isa::ElemType& t, int32_t zero_point) {
  const int bytes = t.bytes();
  if (bytes > 2) return false;
  const int64_t lo = t.is_signed ? -(int64_t{1} << (8 * bytes - 1)) : 0;
  const int64_t hi = t.is_signed ? (int64_t{1} << (8 * bytes - 1)) - 1 : (int64_t{1} << (8 * bytes)) - 1;
  return std::max(std::abs(lo - zero_point), std::abs(hi - zero_point)) <= 32767;
}

// Four dot products of `x` with the weight rows w, w + ws, w + 2 ws, w + 3 ws (n values each),
// added modulo 2^32 to out[0..3]. Written so the compiler emits int16 multiply-add instructions;
// cloned for AVX2 where the CPU has it (the result is the same integers either way).
__attribute__((target_clones("avx2", "default"))) void Dot4(const int16_t* x, const int16_t* w, int64_t n,
                                                            int64_t ws, uint32_t* out) {
  uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const int16_t *w0 = w, *w1 = w + ws, *w2 = w + 2 * ws, *w3 = w + 3 * ws;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t xv = x[i];
    s0 += static_cast<uint32_t>(xv * w0[i]);
    s1 += static_cast<uint32_t>(xv * w1[i]);
    s2 += static_cast<uint32_t>(xv * w2[i]);
    s3 += static_cast<uint32_t>(xv * w3[i]);
  }
  out[0] += s0;
  out[1] += s1;
  out[2] += s2;
  out[3] += s3;
}

__attribute__((target_clones("avx2", "default"))) void Dot1(const int16_t* x, const int16_t* w, int64_t n,
                                                            uint32_t* out) {
  uint32_t s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<uint32_t>(int32_t{x[i]} * w[i]);
  *out += s;
}

// acc[i] += x[i] * w[i] for i < n (depthwise: one tap over every channel).
__attribute__((target_clones("avx2", "default"))) void MulAdd(const int16_t* x, const int16_t* w, int64_t n,
                                                              uint32_t* acc) {
  for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<uint32_t>(int32_t{x[i]} * w[i]);
}

// dst[i] = element i - zero point, for n little-endian elements of type `t` at src. One typed
// loop per storage type (the compiler vectorizes them), not a type switch per element.
template <class T, class S>
void WidenAs(const uint8_t* src, int64_t n, int32_t zero_point, T* dst) {
  for (int64_t i = 0; i < n; ++i) {
    S v;
    std::memcpy(&v, src + i * sizeof(S), sizeof(S));
    dst[i] = static_cast<T>(int32_t{v} - zero_point);
  }
}

template <class T>
void Widen(const uint8_t* src, int64_t n, const isa::ElemType& t, int32_t zero_point, T* dst) {
  switch (t.bytes()) {
    case 1:
      return t.is_signed ? WidenAs<T, int8_t>(src, n, zero_point, dst)
                         : WidenAs<T, uint8_t>(src, n, zero_point, dst);
    case 2:
      return t.is_signed ? WidenAs<T, int16_t>(src, n, zero_point, dst)
                         : WidenAs<T, uint16_t>(src, n, zero_point, dst);
    default: return WidenAs<T, int32_t>(src, n, zero_point, dst);
  }
}

// The window of output (oy, ox) in group g of the padded input x16 (row width pw), gathered
// (im2col) into dst as [ky][kx][icg].
void Gather(const isa::ConvArgs& c, const int16_t* x16, int64_t pw, int64_t oy, int64_t ox, int64_t g,
            int64_t icg, int16_t* dst) {
  for (int64_t ky = 0; ky < c.kh; ++ky) {
    for (int64_t kx = 0; kx < c.kw; ++kx) {
      const int16_t* src =
          &x16[((oy * c.stride_h + ky * c.dilation_h) * pw + ox * c.stride_w + kx * c.dilation_w) * c.in_c +
               g * icg];
      std::copy(src, src + icg, dst);
      dst += icg;
    }
  }
}

// out[oc] += window . (weight row oc) for oc in [oc0, oc_end), rows of k values: four at a time.
void DotRows(const int16_t* window, const int16_t* w, int64_t k, int64_t oc0, int64_t oc_end, uint32_t* out) {
  int64_t oc = oc0;
  for (; oc + 4 <= oc_end; oc += 4) Dot4(window, &w[oc * k], k, k, out + oc);
  for (; oc < oc_end; ++oc) Dot1(window, &w[oc * k], k, out + oc);
}

// One output's window in the int32 path: its first channel of the output's group at tap (0, 0) in
// the padded input (xw), its weight row (wp), the channels per group (icg), the kernel and the
// steps between taps.
struct ScalarWindow {
  const int32_t* xw;
  const int32_t* wp;
  int64_t icg, kh, kw;
  int64_t row_step, col_step;  // elements from tap (ky, kx) to (ky + 1, kx) and to (ky, kx + 1)
  const int32_t* At(int64_t ky, int64_t kx) const { return xw + ky * row_step + kx * col_step; }
};

// Saturation depends on order: the canonical ic-major sequence, one term at a time.
int32_t SumSaturating(const ScalarWindow& win, int32_t init, int acc_bits) {
  int64_t r = init;
  for (int64_t ic = 0; ic < win.icg; ++ic) {
    for (int64_t ky = 0; ky < win.kh; ++ky) {
      for (int64_t kx = 0; kx < win.kw; ++kx) {
        r = core::AccAdd(r, int64_t{win.At(ky, kx)[ic]} * win.wp[(ky * win.kw + kx) * win.icg + ic], acc_bits,
                         core::Overflow::kSaturate);
      }
    }
  }
  return static_cast<int32_t>(r);
}

// Wrapping: the sum modulo 2^32 in any order, reduced to acc_bits once.
int32_t SumWrapping(const ScalarWindow& win, int32_t init, int acc_bits) {
  uint32_t sum = static_cast<uint32_t>(init);
  for (int64_t ky = 0; ky < win.kh; ++ky) {
    for (int64_t kx = 0; kx < win.kw; ++kx) {
      const int32_t* xp = win.At(ky, kx);
      const int32_t* wt = win.wp + (ky * win.kw + kx) * win.icg;
      for (int64_t ic = 0; ic < win.icg; ++ic) {
        sum += static_cast<uint32_t>(xp[ic]) * static_cast<uint32_t>(wt[ic]);
      }
    }
  }
  return static_cast<int32_t>(core::AccFit(static_cast<int32_t>(sum), acc_bits, core::Overflow::kWrap));
}

}  // namespace

template <class T>
void ConvDatapath::PadInput(const isa::ConvArgs& c, const uint8_t* in, int64_t ph, int64_t pw,
                            std::vector<T>& x) {
  x.assign(ph * pw * c.in_c, 0);
  const int eb = c.in_type.bytes();
  for (int64_t py = 0; py < ph; ++py) {
    const int64_t y = py - c.pad_top;
    if (y < 0 || y >= c.in_h) continue;
    for (int64_t px = 0; px < pw; ++px) {
      const int64_t xx = px - c.pad_left;
      if (xx < 0 || xx >= c.in_w) continue;
      Widen(in + (y * c.in_w + xx) * c.in_c * eb, c.in_c, c.in_type, c.in_zero_point,
            &x[(py * pw + px) * c.in_c]);
    }
  }
}

template <class T>
void ConvDatapath::LoadWeights(const isa::ConvArgs& c, const uint8_t* w, const std::vector<int32_t>* decoded,
                               std::vector<T>& out) {
  const int64_t n = c.out_c * c.kh * c.kw * (c.in_c / c.groups);
  out.resize(n);
  if (decoded == nullptr) {
    Widen(w, n, c.w_type, c.w_zero_point, out.data());
    return;
  }
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>((*decoded)[i] - c.w_zero_point);
}

void ConvDatapath::Run(const isa::ConvArgs& c, BufferAccess& mem) {
  const uint8_t* w = mem.Ptr(c.w_addr, WeightTileBytes(c));
  if (c.w_format != core::WeightFormat::kPacked || mode_ == ExecMode::kTiming) {
    Accumulate(c, mem, w, nullptr);
    return;
  }
  const int64_t nw = c.out_c * c.kh * c.kw * (c.in_c / c.groups);
  if (c.w_bytes != core::PackedBytes(nw, c.w_type.bits)) {
    SC_REPORT_FATAL("ConvDatapath", "packed weight tile size does not match the instruction's shape");
  }
  // Spatial tiles reuse a weight tile: unpack only when the bytes differ from the last tile's.
  const bool same = unpacked_bits_ == c.w_type.bits && unpacked_signed_ == c.w_type.is_signed &&
                    packed_.size() == static_cast<size_t>(c.w_bytes) &&
                    std::memcmp(packed_.data(), w, packed_.size()) == 0;
  if (!same) {
    packed_.assign(w, w + c.w_bytes);
    unpacked_bits_ = c.w_type.bits;
    unpacked_signed_ = c.w_type.is_signed;
    unpacked_.resize(nw);
    core::UnpackValues(w, nw, c.w_type.bits, c.w_type.is_signed, unpacked_.data());
  }
  Accumulate(c, mem, nullptr, &unpacked_);
}

void ConvDatapath::Run(const isa::ConvArgs& c, BufferAccess& mem, const std::vector<int32_t>& weights) {
  if (static_cast<int64_t>(weights.size()) != c.out_c * c.kh * c.kw * (c.in_c / c.groups)) {
    SC_REPORT_FATAL("ConvDatapath", "decoded weights do not match the instruction's shape");
  }
  Accumulate(c, mem, nullptr, &weights);
}

const uint8_t* ConvDatapath::Input(const isa::ConvArgs& c, BufferAccess& mem) {
  const std::vector<std::pair<uint64_t, uint64_t>> ranges = isa::InputTileRanges(c);
  if (ranges.size() == 1) return mem.Ptr(c.in_addr, isa::InputTileBytes(c));
  // A tile that wraps in its ring: the hardware reads its rows in place; the model gathers them.
  ring_.clear();
  for (const auto& [begin, end] : ranges) {
    const uint8_t* p = mem.Ptr(begin, static_cast<int64_t>(end - begin));
    if (mode_ != ExecMode::kTiming) ring_.insert(ring_.end(), p, p + (end - begin));
  }
  return ring_.data();
}

void ConvDatapath::Accumulate(const isa::ConvArgs& c, BufferAccess& mem, const uint8_t* w,
                              const std::vector<int32_t>* decoded) {
  const uint8_t* in = Input(c, mem);
  uint8_t* acc = mem.Ptr(c.acc_addr, c.out_h * c.out_w * c.out_c * 4);
  const uint8_t* params = c.init_bias ? mem.Ptr(c.params_addr, 12 * c.out_c) : nullptr;
  if (mode_ == ExecMode::kTiming) return;

  // Accumulators start at the bias fitted to its width (like any value stored there), at their
  // stored value for a later input-channel tile, or at 0.
  const int64_t pixels = c.out_h * c.out_w;
  init_.resize(c.out_c);
  for (int64_t oc = 0; oc < c.out_c; ++oc) {
    init_[oc] =
        c.init_bias ? static_cast<int32_t>(core::AccFit(LoadI32(params + 12 * oc), acc_bits_, overflow_)) : 0;
  }
  const auto start = [&](int64_t pixel, int64_t oc) -> int32_t {
    return c.first ? init_[oc] : LoadI32(acc + (pixel * c.out_c + oc) * 4);
  };
  if (overflow_ == core::Overflow::kSaturate || !Narrow(c.in_type, c.in_zero_point) ||
      !Narrow(c.w_type, c.w_zero_point)) {
    LoadWeights(c, w, decoded, w_);
    RunScalar(c, in, acc, start);
    return;
  }
  // Wrap mode: sums modulo 2^32 (unsigned, so overflow is defined), reduced to acc_bits once;
  // the order of the terms cannot matter.
  const int64_t ph = Span(c.out_h, c.stride_h, c.kh, c.dilation_h);
  const int64_t pw = Span(c.out_w, c.stride_w, c.kw, c.dilation_w);
  PadInput(c, in, ph, pw, x16_);
  LoadWeights(c, w, decoded, w16_);
  // The starting values row by row (int32 and uint32 share their bytes: the sums are modulo 2^32).
  sums_.resize(pixels * c.out_c);
  for (int64_t p = 0; p < pixels; ++p) {
    const void* row = c.first ? static_cast<const void*>(init_.data()) : acc + p * c.out_c * 4;
    std::memcpy(&sums_[p * c.out_c], row, c.out_c * 4);
  }
  if (c.in_c == c.groups && c.out_c == c.groups) {
    DepthwiseNarrow(c, pw);
  } else {
    GemmNarrow(c, pw);
  }
  // A 32-bit wrapping accumulator is the sum modulo 2^32 itself.
  if (acc_bits_ == 32) {
    std::memcpy(acc, sums_.data(), pixels * c.out_c * 4);
    return;
  }
  for (int64_t i = 0; i < pixels * c.out_c; ++i) {
    StoreI32(acc + i * 4,
             static_cast<int32_t>(core::AccFit(static_cast<int32_t>(sums_[i]), acc_bits_, overflow_)));
  }
}

void ConvDatapath::GemmNarrow(const isa::ConvArgs& c, int64_t pw) {
  const int64_t icg = c.in_c / c.groups, ocg = c.out_c / c.groups;
  const int64_t k = c.kh * c.kw * icg;
  // A 1x1 window over all of a pixel's channels is already contiguous; else gather (im2col).
  const bool direct = c.kh == 1 && c.kw == 1 && c.groups == 1;
  col_.resize(k);
  for (int64_t oy = 0; oy < c.out_h; ++oy) {
    for (int64_t ox = 0; ox < c.out_w; ++ox) {
      uint32_t* out = &sums_[(oy * c.out_w + ox) * c.out_c];
      for (int64_t g = 0; g < c.groups; ++g) {
        const int16_t* window = &x16_[((oy * c.stride_h) * pw + ox * c.stride_w) * c.in_c];
        if (!direct) {
          Gather(c, x16_.data(), pw, oy, ox, g, icg, col_.data());
          window = col_.data();
        }
        DotRows(window, w16_.data(), k, g * ocg, (g + 1) * ocg, out);
      }
    }
  }
}

void ConvDatapath::DepthwiseNarrow(const isa::ConvArgs& c, int64_t pw) {
  // Weights as [tap][channel], so one tap is one contiguous multiply-add over every channel.
  const int64_t taps = c.kh * c.kw;
  col_.resize(taps * c.out_c);
  for (int64_t oc = 0; oc < c.out_c; ++oc) {
    for (int64_t t = 0; t < taps; ++t) col_[t * c.out_c + oc] = w16_[oc * taps + t];
  }
  for (int64_t oy = 0; oy < c.out_h; ++oy) {
    for (int64_t ox = 0; ox < c.out_w; ++ox) {
      uint32_t* out = &sums_[(oy * c.out_w + ox) * c.out_c];
      for (int64_t ky = 0; ky < c.kh; ++ky) {
        for (int64_t kx = 0; kx < c.kw; ++kx) {
          const int16_t* src =
              &x16_[((oy * c.stride_h + ky * c.dilation_h) * pw + ox * c.stride_w + kx * c.dilation_w) *
                    c.in_c];
          MulAdd(src, &col_[(ky * c.kw + kx) * c.out_c], c.out_c, out);
        }
      }
    }
  }
}

template <class Start>
void ConvDatapath::RunScalar(const isa::ConvArgs& c, const uint8_t* in, uint8_t* acc, const Start& start) {
  const int64_t icg = c.in_c / c.groups, ocg = c.out_c / c.groups, taps = c.kh * c.kw;
  const int64_t pw = Span(c.out_w, c.stride_w, c.kw, c.dilation_w);
  PadInput(c, in, Span(c.out_h, c.stride_h, c.kh, c.dilation_h), pw, x_);
  const bool saturate = overflow_ == core::Overflow::kSaturate;
  ScalarWindow win{nullptr, nullptr, icg, c.kh, c.kw, c.dilation_h * pw * c.in_c, c.dilation_w * c.in_c};
  for (int64_t oy = 0; oy < c.out_h; ++oy) {
    for (int64_t ox = 0; ox < c.out_w; ++ox) {
      for (int64_t oc = 0; oc < c.out_c; ++oc) {
        win.xw = &x_[((oy * c.stride_h) * pw + ox * c.stride_w) * c.in_c + (oc / ocg) * icg];
        win.wp = &w_[oc * taps * icg];
        const int32_t init = start(oy * c.out_w + ox, oc);
        const int32_t result =
            saturate ? SumSaturating(win, init, acc_bits_) : SumWrapping(win, init, acc_bits_);
        StoreI32(acc + ((oy * c.out_w + ox) * c.out_c + oc) * 4, result);
      }
    }
  }
}

}  // namespace npusim::models

// conv2d and fully_connected: zero-point-corrected products accumulated one term at a time at the
// accumulator width, then requantized per output channel (or, for a 32-bit output, written as the
// raw accumulator).
#include <cmath>
#include <string>
#include <vector>

#include "ir/quant.h"
#include "reference/kernels.h"

namespace npusim::reference {
namespace {

// The reference's own float-mode requantization of a row of wrapped 32-bit sums (the simulator's
// is core::RequantizeRow, which this executor checks, so it is not used here): the float32 product
// clamped to the output range less the zero point, rounded half to even by std::nearbyint (the
// default rounding mode), plus the zero point. It is core::Requantize where the range bounds less
// the zero point are below 2^23 in magnitude and every multiplier is finite (clamping to integer
// bounds commutes with rounding, and the result needs no further clamp); Accumulation checks that.
__attribute__((target_clones("avx2", "default"))) void RequantRow(const uint32_t* sums, const float* m,
                                                                  int64_t n, float lo, float hi,
                                                                  int32_t zero_point, int32_t* out) {
  for (int64_t i = 0; i < n; ++i) {
    float x = static_cast<float>(static_cast<int32_t>(sums[i])) * m[i];
    x = x < lo ? lo : x;
    x = x > hi ? hi : x;
    out[i] = static_cast<int32_t>(std::nearbyint(x)) + zero_point;
  }
}

// Everything conv2d and fully_connected share: the accumulator's start value, one MAC step and the
// per-channel requantization.
class Accumulation {
 public:
  Accumulation(const core::Graph& g, const core::Op& op, const Values& inputs, const Options& opt)
      : opt_(opt),
        bias_(op.inputs.size() > 2 ? inputs[2] : nullptr),
        raw_(g.tensor(op.outputs[0]).bits == 32) {
    const core::TensorInfo& x = g.tensor(op.inputs[0]);
    const core::TensorInfo& w = g.tensor(op.inputs[1]);
    const core::TensorInfo& y = g.tensor(op.outputs[0]);
    const int64_t channels = w.shape[0];
    x_zero_point_ = x.quant.zero_point(0);
    Require(bias_ == nullptr || static_cast<int64_t>(bias_->size()) == channels, op,
            "bias size differs from the output channel count");
    Require(!raw_ || op.activation == core::Activation::kNone, op,
            "a 32-bit (accumulator) output takes no activation");
    const auto range =
        core::ActivationRange(op.activation, y.quant.scale(0), y.quant.zero_point(0), y.qmin(), y.qmax());
    zero_point_ = y.quant.zero_point(0);
    lo_ = static_cast<float>(int64_t{range.first} - zero_point_);
    hi_ = static_cast<float>(int64_t{range.second} - zero_point_);
    constexpr float kExact = 8388608.0f;  // 2^23
    row_ = !raw_ && opt.mode == core::RequantMode::kOnnxFloat && opt.acc_bits == 32 &&
           opt.overflow == core::Overflow::kWrap && lo_ <= hi_ && lo_ > -kExact && hi_ < kExact;
    for (int64_t c = 0; c < channels; ++c) {
      w_zero_points_.push_back(w.quant.zero_point(c));
      if (raw_) continue;
      requants_.push_back(core::MakeRequant(opt.mode, x.quant.scale(0), w.quant.scale(c), y.quant.scale(0),
                                            y.quant.zero_point(0), range));
      multipliers_.push_back(requants_.back().float_multiplier);
      row_ = row_ && std::isfinite(multipliers_.back());
    }
  }

  // The bias is loaded into the accumulator register, so it is fitted to the accumulator width
  // like every later sum.
  int64_t Start(int64_t channel) const {
    if (bias_ == nullptr) return 0;
    return core::AccFit((*bias_)[channel], opt_.acc_bits, opt_.overflow);
  }

  // acc + (x - x_zp) * (w - w_zp[channel]), as the hardware adder does it.
  int64_t Mac(int64_t acc, int32_t x, int32_t w, int64_t channel) const {
    const int64_t term = (int64_t{x} - x_zero_point_) * (int64_t{w} - w_zero_points_[channel]);
    return core::AccAdd(acc, term, opt_.acc_bits, opt_.overflow);
  }

  // Wrap mode: every step wraps modulo 2^acc_bits, so the result is the exact sum reduced once
  // (WrappedConv and FullyConnected add the terms modulo 2^32 and call Wrapped at the end).
  bool wraps() const { return opt_.overflow == core::Overflow::kWrap; }
  int64_t Wrapped(uint64_t sum) const {
    return core::AccFit(static_cast<int64_t>(sum), opt_.acc_bits, core::Overflow::kWrap);
  }

  int32_t x_zero_point() const { return x_zero_point_; }
  int32_t w_zero_point(int64_t channel) const { return w_zero_points_[channel]; }

  // A padding tap: the input zero point, which contributes 0 after correction. It is still a step
  // of the sequence (in saturate mode the sequence defines the result).
  int64_t PaddingTap(int64_t acc) const { return core::AccAdd(acc, 0, opt_.acc_bits, opt_.overflow); }

  // A 32-bit output is the accumulator itself (acc_bits <= 32, so it fits), not requantized.
  int32_t Finish(int64_t acc, int64_t channel) const {
    if (raw_) return static_cast<int32_t>(acc);
    return core::Requantize(acc, requants_[channel]);
  }

  // Finish(Wrapped(sums[c]), c) for the channels c < n: by RequantRow where it applies.
  void FinishWrapped(const uint32_t* sums, int64_t n, int32_t* out) const {
    if (row_) return RequantRow(sums, multipliers_.data(), n, lo_, hi_, zero_point_, out);
    for (int64_t c = 0; c < n; ++c) out[c] = Finish(Wrapped(sums[c]), c);
  }

 private:
  const Options& opt_;
  const std::vector<int32_t>* bias_;
  bool raw_;  // 32-bit output: the raw accumulator
  int32_t x_zero_point_ = 0;
  std::vector<int32_t> w_zero_points_;  // per output channel
  std::vector<core::Requant> requants_;
  std::vector<float> multipliers_;  // requants_' float multipliers, contiguous for RequantRow
  bool row_ = false;                // FinishWrapped takes RequantRow
  float lo_ = 0, hi_ = 0;           // the output range less the zero point
  int32_t zero_point_ = 0;
};

// A conv2d's dimensions and window, checked against the conv arithmetic.
struct ConvShape {
  int64_t in_h, in_w, in_c, out_c, k_h, k_w, group_c, out_h, out_w;
  int64_t stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
};

ConvShape CheckedConvShape(const core::Graph& g, const core::Op& op) {
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const core::TensorInfo& w = g.tensor(op.inputs[1]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  Require(x.shape.size() == 4 && w.shape.size() == 4 && y.shape.size() == 4, op,
          "conv2d needs rank-4 x, w and y");
  const ConvShape s{x.shape[1],   x.shape[2], x.shape[3], w.shape[0],     w.shape[1],
                    w.shape[2],   w.shape[3], y.shape[1], y.shape[2],     op.stride[0],
                    op.stride[1], op.pads[0], op.pads[1], op.dilation[0], op.dilation[1]};
  Require(op.groups >= 1 && s.in_c == s.group_c * op.groups && s.out_c % op.groups == 0, op,
          "channels do not divide into groups");
  Require(y.shape[3] == s.out_c, op, "output channels differ from the weight's");
  Require(
      s.out_h == core::ConvOutSize(s.in_h, s.k_h, op.stride[0], op.dilation[0], op.pads[0], op.pads[2]) &&
          s.out_w == core::ConvOutSize(s.in_w, s.k_w, op.stride[1], op.dilation[1], op.pads[1], op.pads[3]),
      op, "output size differs from the conv arithmetic");
  return s;
}

// Wrap mode: every step wraps modulo 2^acc_bits (acc_bits <= 32), so the result is the sum of
// the terms modulo 2^32, reduced once. The operands are zero-point corrected once, as uint32 so
// that products and sums are modulo 2^32 (defined overflow) and the loops below vectorise; any
// order gives the same sum, and padding taps (which add 0) are skipped. Cloned for AVX2 where the
// CPU has it (the same integers either way).
__attribute__((target_clones("avx2", "default"))) uint32_t DotWrapped(const uint32_t* x, const uint32_t* w,
                                                                      int64_t n) {
  uint32_t sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * w[i];
  return sum;
}

// sums[i] += x[i] * w[i] (a depthwise tap over every channel).
__attribute__((target_clones("avx2", "default"))) void MulAddWrapped(const uint32_t* x, const uint32_t* w,
                                                                     int64_t n, uint32_t* sums) {
  for (int64_t i = 0; i < n; ++i) sums[i] += x[i] * w[i];
}

std::vector<uint32_t> Corrected(const std::vector<int32_t>& v, int32_t zero_point) {
  std::vector<uint32_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = static_cast<uint32_t>(v[i]) - static_cast<uint32_t>(zero_point);
  }
  return out;
}

// Weight rows of `k` values, each corrected by its own channel's zero point.
std::vector<uint32_t> CorrectedRows(const std::vector<int32_t>& w, int64_t k, const Accumulation& acc) {
  std::vector<uint32_t> out(w.size());
  const int64_t rows = static_cast<int64_t>(w.size()) / k;
  for (int64_t r = 0; r < rows; ++r) {
    const uint32_t zero_point = static_cast<uint32_t>(acc.w_zero_point(r));
    for (int64_t i = r * k; i < (r + 1) * k; ++i) out[i] = static_cast<uint32_t>(w[i]) - zero_point;
  }
  return out;
}

// One output pixel's accumulators in wrap mode, all channels at once.
class WrappedConv {
 public:
  WrappedConv(const ConvShape& s, int64_t groups, const Accumulation& acc, const Values& inputs)
      : s_(s),
        out_per_group_(s.out_c / groups),
        depthwise_(s.group_c == 1 && out_per_group_ == 1),
        x_(Corrected(*inputs[0], acc.x_zero_point())),
        w_(CorrectedRows(*inputs[1], s.k_h * s.k_w * s.group_c, acc)),
        start_(s.out_c) {
    for (int64_t oc = 0; oc < s.out_c; ++oc) start_[oc] = static_cast<uint32_t>(acc.Start(oc));
    if (!depthwise_) return;
    // Depthwise: weights as [tap][channel], so one tap is one loop over every channel.
    const int64_t taps = s.k_h * s.k_w;
    std::vector<uint32_t> by_tap(w_.size());
    for (int64_t oc = 0; oc < s.out_c; ++oc) {
      for (int64_t t = 0; t < taps; ++t) by_tap[t * s.out_c + oc] = w_[oc * taps + t];
    }
    w_.swap(by_tap);
  }

  // sums[oc] = the wrapped sum of output (oy, ox, oc), modulo 2^32.
  void Pixel(int64_t oy, int64_t ox, uint32_t* sums) const {
    std::copy(start_.begin(), start_.end(), sums);
    for (int64_t ky = 0; ky < s_.k_h; ++ky) {
      const int64_t iy = oy * s_.stride_h - s_.pad_top + ky * s_.dilation_h;
      if (iy < 0 || iy >= s_.in_h) continue;
      for (int64_t kx = 0; kx < s_.k_w; ++kx) {
        const int64_t ix = ox * s_.stride_w - s_.pad_left + kx * s_.dilation_w;
        if (ix < 0 || ix >= s_.in_w) continue;
        Tap(&x_[(iy * s_.in_w + ix) * s_.in_c], ky * s_.k_w + kx, sums);
      }
    }
  }

 private:
  void Tap(const uint32_t* xp, int64_t tap, uint32_t* sums) const {
    if (depthwise_) {
      MulAddWrapped(xp, &w_[tap * s_.out_c], s_.out_c, sums);
      return;
    }
    const int64_t row = s_.k_h * s_.k_w * s_.group_c;
    for (int64_t oc = 0; oc < s_.out_c; ++oc) {
      sums[oc] +=
          DotWrapped(xp + (oc / out_per_group_) * s_.group_c, &w_[oc * row + tap * s_.group_c], s_.group_c);
    }
  }

  const ConvShape s_;
  const int64_t out_per_group_;
  const bool depthwise_;
  const std::vector<uint32_t> x_;
  std::vector<uint32_t> w_;
  std::vector<uint32_t> start_;
};

// The accumulator of one conv2d output (oy, ox, oc), before requantization.
class ConvOutputs {
 public:
  ConvOutputs(const ConvShape& s, int64_t groups, const Accumulation& accumulation, const Values& inputs)
      : s_(s),
        out_per_group_(s.out_c / groups),
        acc_(accumulation),
        xv_(inputs[0]->data()),
        wv_(inputs[1]->data()) {}

  int64_t At(int64_t oy, int64_t ox, int64_t oc) const {
    return Canonical(oy, ox, oc, (oc / out_per_group_) * s_.group_c);
  }

 private:
  // Canonical order (defines saturate mode): input channel, then kernel row, then column.
  int64_t Canonical(int64_t oy, int64_t ox, int64_t oc, int64_t first_ic) const {
    int64_t acc = acc_.Start(oc);
    for (int64_t ic = 0; ic < s_.group_c; ++ic) {
      for (int64_t ky = 0; ky < s_.k_h; ++ky) {
        const int64_t iy = oy * s_.stride_h - s_.pad_top + ky * s_.dilation_h;
        for (int64_t kx = 0; kx < s_.k_w; ++kx) {
          const int64_t ix = ox * s_.stride_w - s_.pad_left + kx * s_.dilation_w;
          if (iy < 0 || iy >= s_.in_h || ix < 0 || ix >= s_.in_w) {
            acc = acc_.PaddingTap(acc);
            continue;
          }
          const int32_t xq = xv_[(iy * s_.in_w + ix) * s_.in_c + first_ic + ic];
          const int32_t wq = wv_[((oc * s_.k_h + ky) * s_.k_w + kx) * s_.group_c + ic];
          acc = acc_.Mac(acc, xq, wq, oc);
        }
      }
    }
    return acc;
  }

  const ConvShape s_;
  const int64_t out_per_group_;
  const Accumulation& acc_;
  const int32_t* xv_;
  const int32_t* wv_;
};

}  // namespace

std::vector<int32_t> Conv2d(const core::Graph& g, const core::Op& op, const Values& inputs,
                            const Options& opt) {
  const ConvShape s = CheckedConvShape(g, op);
  const Accumulation accumulation(g, op, inputs, opt);
  std::vector<int32_t> out(g.tensor(op.outputs[0]).elements());
  if (accumulation.wraps()) {
    const WrappedConv conv(s, op.groups, accumulation, inputs);
    std::vector<uint32_t> sums(s.out_c);
    for (int64_t p = 0; p < s.out_h * s.out_w; ++p) {
      conv.Pixel(p / s.out_w, p % s.out_w, sums.data());
      accumulation.FinishWrapped(sums.data(), s.out_c, &out[p * s.out_c]);
    }
    return out;
  }
  const ConvOutputs outputs(s, op.groups, accumulation, inputs);
  for (int64_t oy = 0; oy < s.out_h; ++oy) {
    for (int64_t ox = 0; ox < s.out_w; ++ox) {
      for (int64_t oc = 0; oc < s.out_c; ++oc) {
        out[(oy * s.out_w + ox) * s.out_c + oc] = accumulation.Finish(outputs.At(oy, ox, oc), oc);
      }
    }
  }
  return out;
}

std::vector<int32_t> FullyConnected(const core::Graph& g, const core::Op& op, const Values& inputs,
                                    const Options& opt) {
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const core::TensorInfo& w = g.tensor(op.inputs[1]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  Require(w.shape.size() == 2, op, "fully_connected weights must be [N, K]");
  const int64_t n_out = w.shape[0], k_in = w.shape[1];
  // [M, K] or [1, 1, 1, K]: either way the rows are consecutive runs of K values.
  Require(x.shape.back() == k_in && x.elements() % k_in == 0, op,
          "input's last dimension differs from the weight's K");
  const int64_t rows = x.elements() / k_in;
  Require(y.elements() == rows * n_out, op, "output size is not M * N");

  const Accumulation accumulation(g, op, inputs, opt);
  const std::vector<int32_t>& xv = *inputs[0];
  const std::vector<int32_t>& wv = *inputs[1];
  std::vector<int32_t> out(y.elements());
  if (accumulation.wraps()) {
    const std::vector<uint32_t> xc = Corrected(xv, accumulation.x_zero_point());
    const std::vector<uint32_t> wc = CorrectedRows(wv, k_in, accumulation);
    std::vector<uint32_t> sums(n_out);
    for (int64_t m = 0; m < rows; ++m) {
      for (int64_t n = 0; n < n_out; ++n) {
        sums[n] =
            static_cast<uint32_t>(accumulation.Start(n)) + DotWrapped(&xc[m * k_in], &wc[n * k_in], k_in);
      }
      accumulation.FinishWrapped(sums.data(), n_out, &out[m * n_out]);
    }
    return out;
  }
  for (int64_t m = 0; m < rows; ++m) {
    for (int64_t n = 0; n < n_out; ++n) {
      int64_t acc = accumulation.Start(n);
      for (int64_t k = 0; k < k_in; ++k) acc = accumulation.Mac(acc, xv[m * k_in + k], wv[n * k_in + k], n);
      out[m * n_out + n] = accumulation.Finish(acc, n);
    }
  }
  return out;
}

}  // namespace npusim::reference

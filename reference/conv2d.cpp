// conv2d and fully_connected: zero-point-corrected products accumulated one term at a time at the
// accumulator width, then requantized per output channel (or, for a 32-bit output, written as the
// raw accumulator).
#include <string>
#include <vector>

#include "ir/quant.h"
#include "reference/kernels.h"

namespace npusim::reference {
namespace {

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
    for (int64_t c = 0; c < channels; ++c) {
      w_zero_points_.push_back(w.quant.zero_point(c));
      if (raw_) continue;
      requants_.push_back(core::MakeRequant(opt.mode, x.quant.scale(0), w.quant.scale(c), y.quant.scale(0),
                                            y.quant.zero_point(0), range));
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

  // Wrap mode: every step wraps modulo 2^acc_bits, so the result is the exact sum reduced once.
  // The loops below add raw terms modulo 2^64 (unsigned) and call Wrapped at the end.
  bool wraps() const { return opt_.overflow == core::Overflow::kWrap; }
  int64_t Term(int32_t x, int32_t w, int64_t channel) const {
    return (int64_t{x} - x_zero_point_) * (int64_t{w} - w_zero_points_[channel]);
  }
  int64_t Wrapped(uint64_t sum) const {
    return core::AccFit(static_cast<int64_t>(sum), opt_.acc_bits, core::Overflow::kWrap);
  }

  // A padding tap: the input zero point, which contributes 0 after correction. It is still a step
  // of the sequence (in saturate mode the sequence defines the result).
  int64_t PaddingTap(int64_t acc) const { return core::AccAdd(acc, 0, opt_.acc_bits, opt_.overflow); }

  // A 32-bit output is the accumulator itself (acc_bits <= 32, so it fits), not requantized.
  int32_t Finish(int64_t acc, int64_t channel) const {
    if (raw_) return static_cast<int32_t>(acc);
    return core::Requantize(acc, requants_[channel]);
  }

 private:
  const Options& opt_;
  const std::vector<int32_t>* bias_;
  bool raw_;  // 32-bit output: the raw accumulator
  int32_t x_zero_point_ = 0;
  std::vector<int32_t> w_zero_points_;  // per output channel
  std::vector<core::Requant> requants_;
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
    const int64_t first_ic = (oc / out_per_group_) * s_.group_c;
    return acc_.wraps() ? Wrapped(oy, ox, oc, first_ic) : Canonical(oy, ox, oc, first_ic);
  }

 private:
  // Any order gives the same wrapped sum; padding taps add 0.
  int64_t Wrapped(int64_t oy, int64_t ox, int64_t oc, int64_t first_ic) const {
    uint64_t sum = static_cast<uint64_t>(acc_.Start(oc));
    for (int64_t ky = 0; ky < s_.k_h; ++ky) {
      const int64_t iy = oy * s_.stride_h - s_.pad_top + ky * s_.dilation_h;
      if (iy < 0 || iy >= s_.in_h) continue;
      for (int64_t kx = 0; kx < s_.k_w; ++kx) {
        const int64_t ix = ox * s_.stride_w - s_.pad_left + kx * s_.dilation_w;
        if (ix < 0 || ix >= s_.in_w) continue;
        const int32_t* xp = &xv_[(iy * s_.in_w + ix) * s_.in_c + first_ic];
        const int32_t* wp = &wv_[((oc * s_.k_h + ky) * s_.k_w + kx) * s_.group_c];
        for (int64_t ic = 0; ic < s_.group_c; ++ic) {
          sum += static_cast<uint64_t>(acc_.Term(xp[ic], wp[ic], oc));
        }
      }
    }
    return acc_.Wrapped(sum);
  }

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
  const ConvOutputs outputs(s, op.groups, accumulation, inputs);
  std::vector<int32_t> out(g.tensor(op.outputs[0]).elements());
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
  for (int64_t m = 0; m < rows; ++m) {
    for (int64_t n = 0; n < n_out; ++n) {
      int64_t acc = accumulation.Start(n);
      if (accumulation.wraps()) {
        uint64_t sum = static_cast<uint64_t>(acc);
        for (int64_t k = 0; k < k_in; ++k)
          sum += static_cast<uint64_t>(accumulation.Term(xv[m * k_in + k], wv[n * k_in + k], n));
        acc = accumulation.Wrapped(sum);
      } else {
        for (int64_t k = 0; k < k_in; ++k) {
          acc = accumulation.Mac(acc, xv[m * k_in + k], wv[n * k_in + k], n);
        }
      }
      out[m * n_out + n] = accumulation.Finish(acc, n);
    }
  }
  return out;
}

}  // namespace npusim::reference

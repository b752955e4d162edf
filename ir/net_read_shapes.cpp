// The network loader's shape rules (ir/net_reader.h): per op, the output shape inferred from
// the operands (or checked against the one the file gives) and the rules on operand shapes and
// quantization the compiler and the reference executor rely on.
#include <array>
#include <optional>

#include "ir/net_reader.h"
#include "ir/quant.h"

namespace npusim::core::net {
namespace {

class ShapeChecker {
 public:
  explicit ShapeChecker(NetState& s) : s_(s) {}

  void InferAndCheck(const std::string& p, const std::string& kind, Op* op) {
    const std::string ip = Pointer(p, "inputs");
    switch (op->type) {
      case OpType::kConv2d: return InferConv(p, ip, kind, *op);
      case OpType::kFullyConnected: return InferFc(p, ip, kind, *op);
      case OpType::kAdd: {
        const auto& a = g_.tensor(op->inputs[0]).shape;
        const auto& b = g_.tensor(op->inputs[1]).shape;
        if (a != b) {
          check_.Add(Pointer(ip, 1), "expected the shape of input a, " + ShapeString(a) + ", \"" +
                                         op->inputs[1] + "\" has shape " + ShapeString(b));
          return;
        }
        return SetOutputShape(p, kind, *op, a);
      }
      case OpType::kMul: return InferMul(p, ip, kind, *op);
      case OpType::kLookup: return InferLookup(p, ip, kind, *op);
      case OpType::kMaxPool:
      case OpType::kAvgPool: {
        if (!IsNhwc(op->inputs[0], Pointer(ip, 0))) return;
        const auto& x = g_.tensor(op->inputs[0]).shape;
        auto hw = Window(p, *op, x, op->kernel);
        if (!hw) return;
        SetOutputShape(p, kind, *op, {1, (*hw)[0], (*hw)[1], x[3]});
        if (op->type == OpType::kMaxPool) CheckSameQuant(p, kind, *op);
        return;
      }
      case OpType::kGlobalAvgPool: {
        if (!IsNhwc(op->inputs[0], Pointer(ip, 0))) return;
        return SetOutputShape(p, kind, *op, {1, 1, 1, g_.tensor(op->inputs[0]).shape[3]});
      }
      case OpType::kReshape: return InferReshape(p, kind, *op);
      case OpType::kConcat: return InferConcat(p, ip, kind, *op);
    }
  }

 private:
  // Records the inferred output shape, or checks it against the one the file gives.
  void SetOutputShape(const std::string& p, const std::string& kind, const Op& op,
                      const std::vector<int64_t>& inferred) {
    TensorInfo& y = g_.tensor(op.outputs[0]);
    const TensorState& st = state_[op.outputs[0]];
    int64_t elements = 1;
    for (int64_t d : inferred) {
      // Each factor is at most 2^31 + 2 * 65536, so the product is checked before it overflows.
      elements *= d;
      if (elements <= kMaxElements) continue;
      check_.Add(p, "expected an output of at most " + std::to_string(kMaxElements) +
                        " elements, the output of " + kind + " would have shape " +
                        ShapeString(inferred));
      return;
    }
    if (!st.shape_given) {
      y.shape = inferred;
      return;
    }
    if (y.shape.empty() || y.shape == inferred) return;
    check_.Add(Pointer(st.pointer, "shape"), "expected " + ShapeString(inferred) +
                                                 " (inferred for the output of " + kind + " " +
                                                 p + "), got " + ShapeString(y.shape));
  }

  // "x" has shape [1, H, W, C]?
  bool IsNhwc(const std::string& n, const std::string& ptr) {
    const auto& s = g_.tensor(n).shape;
    if (s.size() == 4 && s[0] == 1) return true;
    check_.Add(ptr, "expected an activation of shape [1, H, W, C], \"" + n + "\" has shape " +
                        ShapeString(s));
    return false;
  }

  // Checks pads against the (effective) kernel and returns the output size, or nullopt.
  std::optional<std::array<int64_t, 2>> Window(const std::string& p, const Op& op,
                                               const std::vector<int64_t>& x,
                                               std::array<int64_t, 2> kernel) {
    static const char* kDims[2] = {"height", "width"};
    std::array<int64_t, 2> out{};
    bool ok = true;
    for (int d = 0; d < 2; ++d) {
      const int64_t eff = op.dilation[d] * (kernel[d] - 1) + 1;
      for (int side : {d, d + 2}) {  // pads are [top, left, bottom, right]
        if (op.pads[side] < eff) continue;
        check_.Add(Pointer(Pointer(p, "pads"), side),
                   "expected " + IntExpectation(0, eff - 1) + " (less than the " +
                       (op.type == OpType::kConv2d ? "effective kernel " : "kernel ") + kDims[d] +
                       " " + std::to_string(eff) + "), got " + std::to_string(op.pads[side]));
        ok = false;
      }
      if (!ok) continue;
      out[d] = ConvOutSize(x[1 + d], kernel[d], op.stride[d], op.dilation[d], op.pads[d],
                           op.pads[d + 2]);
      if (out[d] >= 1) continue;
      check_.Add(p, std::string("expected an output ") + kDims[d] + " >= 1, got " +
                        std::to_string(out[d]) + " (input " + std::to_string(x[1 + d]) +
                        ", pads " + std::to_string(op.pads[d]) + "+" +
                        std::to_string(op.pads[d + 2]) + ", kernel extent " + std::to_string(eff) +
                        ", stride " + std::to_string(op.stride[d]) + ")");
      ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // Inputs of equal rank and equal dimensions but `axis`, all quantized as the output (concat
  // copies values; the ONNX importer rescales an input first with a lookup where they differ).
  void InferConcat(const std::string& p, const std::string& ip, const std::string& kind, const Op& op) {
    std::vector<int64_t> out = g_.tensor(op.inputs[0]).shape;
    if (op.axis >= static_cast<int64_t>(out.size())) {
      check_.Add(Pointer(p, "axis"), "expected an axis in 0.." + std::to_string(out.size() - 1) + " (inputs of rank " +
                                         std::to_string(out.size()) + "), got " + std::to_string(op.axis));
      return;
    }
    for (size_t k = 1; k < op.inputs.size(); ++k) {
      const auto& s = g_.tensor(op.inputs[k]).shape;
      bool fits = s.size() == out.size();
      for (size_t d = 0; fits && d < s.size(); ++d) fits = static_cast<int64_t>(d) == op.axis || s[d] == out[d];
      if (!fits) {
        check_.Add(Pointer(ip, k), "expected the shape of input 0, " + ShapeString(g_.tensor(op.inputs[0]).shape) +
                                       ", but for dimension " + std::to_string(op.axis) + ", \"" + op.inputs[k] +
                                       "\" has shape " + ShapeString(s));
        return;
      }
      out[op.axis] += s[op.axis];
    }
    SetOutputShape(p, kind, op, out);
    const TensorInfo& y = g_.tensor(op.outputs[0]);
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      const TensorInfo& x = g_.tensor(op.inputs[k]);
      if (SameQuant(x, y)) continue;
      check_.Add(Pointer(ip, k), "expected the quantization of the output \"" + y.name + "\" (" + QuantString(y) +
                                     ") since concat does not rescale, \"" + x.name + "\" has " + QuantString(x));
    }
  }

  // b has a's shape, or one factor per channel ([1, 1, 1, C] for a of shape [1, H, W, C]).
  void InferMul(const std::string& p, const std::string& ip, const std::string& kind, const Op& op) {
    const auto& a = g_.tensor(op.inputs[0]).shape;
    const auto& b = g_.tensor(op.inputs[1]).shape;
    const bool per_channel = a.size() == 4 && b == std::vector<int64_t>{1, 1, 1, a[3]};
    if (a != b && !per_channel) {
      check_.Add(Pointer(ip, 1), "expected the shape of input a, " + ShapeString(a) +
                                     (a.size() == 4 ? ", or [1, 1, 1, " + std::to_string(a[3]) + "] (one factor per channel)" : "") +
                                     ", \"" + op.inputs[1] + "\" has shape " + ShapeString(b));
      return;
    }
    SetOutputShape(p, kind, op, a);
  }

  // table[x - qmin(x)] for every value of x: 2^bits(x) entries of the output's type.
  void InferLookup(const std::string& p, const std::string& ip, const std::string& kind, const Op& op) {
    const TensorInfo& x = g_.tensor(op.inputs[0]);
    const TensorInfo& t = g_.tensor(op.inputs[1]);
    const TensorInfo& y = g_.tensor(op.outputs[0]);
    if (x.bits > kMaxLookupInputBits) {
      check_.Add(Pointer(ip, 0), "expected an input of at most " + std::to_string(kMaxLookupInputBits) +
                                     " bits (a lookup table holds at most 256 entries), \"" + x.name + "\" has " +
                                     std::to_string(x.bits));
      return;
    }
    const int64_t entries = int64_t{1} << x.bits;
    if (t.shape != std::vector<int64_t>{entries}) {
      check_.Add(Pointer(ip, 1), "expected a table of shape [" + std::to_string(entries) + "] (one entry per value of the " +
                                     std::to_string(x.bits) + "-bit input \"" + x.name + "\"), \"" + t.name +
                                     "\" has shape " + ShapeString(t.shape));
      return;
    }
    if (state_[op.outputs[0]].type_ok && !SameQuant(t, y)) {  // its entries are output values
      check_.Add(Pointer(ip, 1), "expected a table quantized as the output \"" + y.name + "\" (" + QuantString(y) +
                                     "): its entries are output values, \"" + t.name + "\" has " + QuantString(t));
      return;
    }
    SetOutputShape(p, kind, op, x.shape);
  }

  void InferConv(const std::string& p, const std::string& ip,
                 const std::string& kind, const Op& op) {
    if (!IsNhwc(op.inputs[0], Pointer(ip, 0))) return;
    const auto& x = g_.tensor(op.inputs[0]).shape;
    const auto& w = g_.tensor(op.inputs[1]).shape;
    if (w.size() != 4) {
      check_.Add(Pointer(ip, 1), "expected a weight of shape [O, KH, KW, C/groups] (OHWI), \"" +
                                     op.inputs[1] + "\" has shape " + ShapeString(w));
      return;
    }
    const int64_t c = x[3], out_c = w[0];
    if (c % op.groups != 0 || out_c % op.groups != 0) {
      check_.Add(Pointer(p, "groups"), "expected a divisor of the input channels (" +
                                           std::to_string(c) + ") and the output channels (" +
                                           std::to_string(out_c) + "), got " +
                                           std::to_string(op.groups));
      return;
    }
    if (w[3] != c / op.groups) {
      check_.Add(Pointer(ip, 1),
                 "expected a weight of shape [O, KH, KW, " + std::to_string(c / op.groups) +
                     "] (OHWI; input channels " + std::to_string(c) + " / groups " +
                     std::to_string(op.groups) + "), \"" + op.inputs[1] + "\" has shape " +
                     ShapeString(w));
      return;
    }
    if (!BiasShapeOk(ip, op, out_c)) return;
    auto hw = Window(p, op, x, {w[1], w[2]});
    if (!hw) return;
    SetOutputShape(p, kind, op, {1, (*hw)[0], (*hw)[1], out_c});
  }

  bool BiasShapeOk(const std::string& ip, const Op& op, int64_t out_channels) {
    if (op.inputs.size() < 3) return true;
    const auto& b = g_.tensor(op.inputs[2]).shape;
    if (b == std::vector<int64_t>{out_channels}) return true;
    check_.Add(Pointer(ip, 2), "expected a bias of shape [" + std::to_string(out_channels) +
                                   "] (one per output channel), \"" + op.inputs[2] +
                                   "\" has shape " + ShapeString(b));
    return false;
  }

  void InferFc(const std::string& p, const std::string& ip, const std::string& kind,
               const Op& op) {
    const auto& x = g_.tensor(op.inputs[0]).shape;
    const auto& w = g_.tensor(op.inputs[1]).shape;
    const bool rank2 = x.size() == 2;
    const bool rank4 = x.size() == 4 && x[0] == 1 && x[1] == 1 && x[2] == 1;
    if (!rank2 && !rank4) {
      check_.Add(Pointer(ip, 0), "expected an input of shape [M, K] or [1, 1, 1, K], \"" +
                                     op.inputs[0] + "\" has shape " + ShapeString(x));
      return;
    }
    const int64_t m = rank2 ? x[0] : 1, k = x.back();
    if (w.size() != 2 || w[1] != k) {
      check_.Add(Pointer(ip, 1), "expected a weight of shape [N, " + std::to_string(k) +
                                     "] ([out, in]), \"" + op.inputs[1] + "\" has shape " +
                                     ShapeString(w));
      return;
    }
    if (!BiasShapeOk(ip, op, w[0])) return;
    SetOutputShape(p, kind, op, {m, w[0]});
  }

  void InferReshape(const std::string& p, const std::string& kind, const Op& op) {
    const TensorInfo& x = g_.tensor(op.inputs[0]);
    TensorInfo& y = g_.tensor(op.outputs[0]);
    const TensorState& yst = state_[op.outputs[0]];
    if (!yst.shape_given) {
      // No target shape: flatten to [N, rest] (N is 1 for NHWC activations).
      y.shape = {x.shape[0], x.elements() / x.shape[0]};
    } else if (!y.shape.empty() && y.elements() != x.elements()) {
      check_.Add(Pointer(yst.pointer, "shape"),
                 "expected a shape of " + std::to_string(x.elements()) + " elements (the input " +
                     ShapeString(x.shape) + " of " + kind + " " + p + "), got " +
                     ShapeString(y.shape));
      return;
    }
    CheckSameQuant(p, kind, op);
  }

  // max_pool and reshape move values without rescaling them.
  void CheckSameQuant(const std::string& p, const std::string& kind, const Op& op) {
    const TensorInfo& x = g_.tensor(op.inputs[0]);
    const TensorInfo& y = g_.tensor(op.outputs[0]);
    if (SameQuant(x, y)) return;
    check_.Add(Pointer(Pointer(p, "outputs"), 0),
               "expected the quantization of input \"" + x.name + "\" (" + QuantString(x) +
                   ") since " + kind + " does not rescale, \"" + y.name + "\" has " +
                   QuantString(y));
  }

  NetState& s_;
  JsonChecker& check_ = s_.check;
  Graph& g_ = s_.g;
  std::map<std::string, TensorState>& state_ = s_.state;
};

}  // namespace

void InferAndCheck(NetState& s, const std::string& p, const std::string& kind, Op* op) {
  ShapeChecker(s).InferAndCheck(p, kind, op);
}

}  // namespace npusim::core::net

// The per-op rules (ir/op_rules.h): operand roles, then per op kind the output shape from the
// operands and attributes, with the operand shape and quantization rules the compiler and the
// reference executor rely on.
#include "ir/op_rules.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <type_traits>

#include "support/json_util.h"

namespace npusim::core {
namespace {

using Kind = OpSite::Kind;

OpSite Input(size_t k) { return {Kind::kInput, static_cast<int64_t>(k), ""}; }
OpSite Attribute(const char* name, int64_t index = -1) { return {Kind::kAttribute, index, name}; }
const OpSite kWholeOp{Kind::kOp, -1, ""};
const OpSite kOutput{Kind::kOutput, -1, ""};
const OpSite kOutputShape{Kind::kOutputShape, -1, ""};

bool IsMatrixOp(const Op& op) { return op.type == OpType::kConv2d || op.type == OpType::kFullyConnected; }

class RoleChecker {
 public:
  RoleChecker(const Graph& g, OpRuleReport& r) : g_(g), r_(r) {}

  bool Check(const Op& op) {
    bool ok = true;
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      if (IsMatrixOp(op) && k >= 1) ok = ConstantRole(op.inputs[k], Input(k), /*bias=*/k == 2) && ok;
      else if (op.type == OpType::kLookup && k == 1) ok = TableRole(op.inputs[k], Input(k)) && ok;
      else ok = ActivationRole(op.inputs[k], Input(k)) && ok;
    }
    const TensorInfo& y = g_.tensor(op.outputs[0]);
    if (IsMatrixOp(op) && r_.Facts(op.outputs[0]).type_ok && y.bits == 32) {
      return AccumulatorOutputOk(op) && ok;
    }
    return ActivationRole(op.outputs[0], kOutput) && ok;
  }

 private:
  bool ActivationRole(const std::string& n, const OpSite& where) {
    const TensorInfo& t = g_.tensor(n);
    const OperandFacts f = r_.Facts(n);
    if (!f.type_ok) return false;
    if (t.bits == 32) {
      // A 32-bit network input is reported with the network's inputs.
      if (!f.is_input) {
        r_.Add(where,
               "expected an activation tensor (1..16 bits), \"" + n + "\" has 32 bits " + kThirtyTwoBitRoles);
      }
      return false;
    }
    if (t.binary()) {
      r_.Add(where, "expected an activation tensor, \"" + n +
                        "\" is signed 1-bit (binary -1/+1 values are for weights only; a 1-bit "
                        "activation is unsigned)");
      return false;
    }
    if (f.per_channel) {
      // A per-channel tensor that is not a constant weight is reported with the tensor.
      if (f.constant && !f.is_input) {
        r_.Add(where, "expected a per-tensor quantized activation, \"" + n +
                          "\" is per-channel (only conv2d/fully_connected weights may be)");
      }
      return false;
    }
    return true;
  }

  // The weight (bias == false) or bias (bias == true) operand of conv2d / fully_connected: a
  // constant of 1..16 bits, or of 32 bits for a bias.
  bool ConstantRole(const std::string& n, const OpSite& where, bool bias) {
    const TensorInfo& t = g_.tensor(n);
    const OperandFacts f = r_.Facts(n);
    if (!f.type_ok) return false;
    if (bias && t.bits != 32) {
      r_.Add(where, "expected a 32-bit bias tensor, \"" + n + "\" has " + std::to_string(t.bits) + " bits");
      return false;
    }
    if (!bias && t.bits == 32) {
      r_.Add(where, "expected a weight tensor (1..16 bits), \"" + n + "\" has 32 bits " + kThirtyTwoBitRoles);
      return false;
    }
    if (!f.constant || f.is_input) {
      r_.Add(where, std::string("expected a constant ") + (bias ? "bias" : "weight") +
                        " tensor (with data, not a network input), \"" + n + "\" is not");
      return false;
    }
    return true;
  }

  // A lookup's table: constant data (its shape and type are checked against x and y later).
  bool TableRole(const std::string& n, const OpSite& where) {
    const OperandFacts f = r_.Facts(n);
    if (!f.type_ok) return false;
    if (f.constant && !f.is_input) return true;
    r_.Add(where, "expected a constant lookup table (with data, not a network input), \"" + n + "\" is not");
    return false;
  }

  // A 32-bit output of conv2d / fully_connected is the raw int32 accumulator (plus bias): nothing
  // requantizes it, so there is no fused activation to apply.
  bool AccumulatorOutputOk(const Op& op) {
    if (op.activation == Activation::kNone) return true;
    r_.Add(Attribute("activation"),
           "expected \"none\" (output \"" + op.outputs[0] +
               "\" is a 32-bit accumulator output: written without requantization, so no "
               "activation is fused), got \"" +
               (op.activation == Activation::kRelu ? "relu" : "relu6") + "\"");
    return false;
  }

  const Graph& g_;
  OpRuleReport& r_;
};

class ShapeChecker {
 public:
  ShapeChecker(const Graph& g, const Op& op, const std::string& kind, OpRuleReport& r)
      : g_(g), op_(op), kind_(kind), r_(r) {}

  void Check() {
    switch (op_.type) {
      case OpType::kConv2d: return InferConv();
      case OpType::kFullyConnected: return InferFc();
      case OpType::kAdd: return InferAdd();
      case OpType::kMul: return InferMul();
      case OpType::kLookup: return InferLookup();
      case OpType::kMaxPool:
      case OpType::kAvgPool: return InferPool();
      case OpType::kGlobalAvgPool: {
        if (!IsNhwc(0)) return;
        return SetOutputShape({1, 1, 1, In(0).shape[3]});
      }
      case OpType::kReshape: return InferReshape();
      case OpType::kConcat: return InferConcat();
    }
  }

 private:
  const TensorInfo& In(size_t k) const { return g_.tensor(op_.inputs[k]); }
  const TensorInfo& Out() const { return g_.tensor(op_.outputs[0]); }

  // Records the inferred output shape, or checks it against the one the source gives.
  void SetOutputShape(const std::vector<int64_t>& inferred) {
    int64_t elements = 1;
    for (int64_t d : inferred) {
      // Each factor is at most 2^31 + 2 * 65536, so the product is checked before it overflows.
      elements *= d;
      if (elements <= kMaxTensorElements) continue;
      r_.Add(kWholeOp, "expected an output of at most " + std::to_string(kMaxTensorElements) +
                           " elements, the output of " + kind_ + " would have shape " +
                           ShapeString(inferred));
      return;
    }
    const std::vector<int64_t>* given = r_.GivenOutputShape();
    if (!given) {
      r_.InferredOutputShape(inferred);
      return;
    }
    if (given->empty() || *given == inferred) return;
    r_.Add(kOutputShape, "expected " + ShapeString(inferred) + " (inferred for the output of " + kind_ + " " +
                             r_.OpRef() + "), got " + ShapeString(*given));
  }

  // Input k has shape [1, H, W, C]?
  bool IsNhwc(size_t k) {
    const auto& s = In(k).shape;
    if (s.size() == 4 && s[0] == 1) return true;
    r_.Add(Input(k), "expected an activation of shape [1, H, W, C], \"" + op_.inputs[k] + "\" has shape " +
                         ShapeString(s));
    return false;
  }

  void InferAdd() {
    const auto& a = In(0).shape;
    const auto& b = In(1).shape;
    if (a != b) {
      r_.Add(Input(1), "expected the shape of input a, " + ShapeString(a) + ", \"" + op_.inputs[1] +
                           "\" has shape " + ShapeString(b));
      return;
    }
    SetOutputShape(a);
  }

  void InferPool() {
    if (!IsNhwc(0)) return;
    const auto& x = In(0).shape;
    auto hw = Window(x, op_.kernel);
    if (!hw) return;
    SetOutputShape({1, (*hw)[0], (*hw)[1], x[3]});
    if (op_.type == OpType::kMaxPool) CheckSameQuant();
  }

  // Checks one dimension's pads against the (effective) kernel; false when one is too large.
  bool PadsFit(int d, int64_t eff) {
    static const char* kDims[2] = {"height", "width"};
    bool ok = true;
    for (int side : {d, d + 2}) {  // pads are [top, left, bottom, right]
      if (op_.pads[side] < eff) continue;
      r_.Add(Attribute("pads", side), "expected " + IntExpectation(0, eff - 1) + " (less than the " +
                                          (op_.type == OpType::kConv2d ? "effective kernel " : "kernel ") +
                                          kDims[d] + " " + std::to_string(eff) + "), got " +
                                          std::to_string(op_.pads[side]));
      ok = false;
    }
    return ok;
  }

  // Checks pads against the (effective) kernel and returns the output size, or nullopt.
  std::optional<std::array<int64_t, 2>> Window(const std::vector<int64_t>& x, std::array<int64_t, 2> kernel) {
    static const char* kDims[2] = {"height", "width"};
    std::array<int64_t, 2> out{};
    bool ok = true;
    for (int d = 0; d < 2; ++d) {
      const int64_t eff = op_.dilation[d] * (kernel[d] - 1) + 1;
      ok = PadsFit(d, eff) && ok;
      if (!ok) continue;
      out[d] = ConvOutSize(x[1 + d], kernel[d], op_.stride[d], op_.dilation[d], op_.pads[d], op_.pads[d + 2]);
      if (out[d] >= 1) continue;
      r_.Add(kWholeOp, std::string("expected an output ") + kDims[d] + " >= 1, got " +
                           std::to_string(out[d]) + " (input " + std::to_string(x[1 + d]) + ", pads " +
                           std::to_string(op_.pads[d]) + "+" + std::to_string(op_.pads[d + 2]) +
                           ", kernel extent " + std::to_string(eff) + ", stride " +
                           std::to_string(op_.stride[d]) + ")");
      ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // Inputs of equal rank and equal dimensions but `axis`, all quantized as the output (concat
  // copies values; the ONNX importer rescales an input first with a lookup where they differ).
  void InferConcat() {
    std::vector<int64_t> out = In(0).shape;
    if (op_.axis >= static_cast<int64_t>(out.size())) {
      r_.Add(Attribute("axis"), "expected an axis in 0.." + std::to_string(out.size() - 1) +
                                    " (inputs of rank " + std::to_string(out.size()) + "), got " +
                                    std::to_string(op_.axis));
      return;
    }
    for (size_t k = 1; k < op_.inputs.size(); ++k) {
      const auto& s = In(k).shape;
      bool fits = s.size() == out.size();
      for (size_t d = 0; fits && d < s.size(); ++d)
        fits = static_cast<int64_t>(d) == op_.axis || s[d] == out[d];
      if (!fits) {
        r_.Add(Input(k), "expected the shape of input 0, " + ShapeString(In(0).shape) +
                             ", but for dimension " + std::to_string(op_.axis) + ", \"" + op_.inputs[k] +
                             "\" has shape " + ShapeString(s));
        return;
      }
      out[op_.axis] += s[op_.axis];
    }
    SetOutputShape(out);
    const TensorInfo& y = Out();
    for (size_t k = 0; k < op_.inputs.size(); ++k) {
      const TensorInfo& x = In(k);
      if (SameQuant(x, y)) continue;
      r_.Add(Input(k), "expected the quantization of the output \"" + y.name + "\" (" + QuantString(y) +
                           ") since concat does not rescale, \"" + x.name + "\" has " + QuantString(x));
    }
  }

  // b has a's shape, or one factor per channel ([1, 1, 1, C] for a of shape [1, H, W, C]).
  void InferMul() {
    const auto& a = In(0).shape;
    const auto& b = In(1).shape;
    const bool per_channel = a.size() == 4 && b == std::vector<int64_t>{1, 1, 1, a[3]};
    if (a != b && !per_channel) {
      r_.Add(
          Input(1),
          "expected the shape of input a, " + ShapeString(a) +
              (a.size() == 4 ? ", or [1, 1, 1, " + std::to_string(a[3]) + "] (one factor per channel)" : "") +
              ", \"" + op_.inputs[1] + "\" has shape " + ShapeString(b));
      return;
    }
    SetOutputShape(a);
  }

  // table[x - qmin(x)] for every value of x: 2^bits(x) entries of the output's type.
  void InferLookup() {
    const TensorInfo& x = In(0);
    const TensorInfo& t = In(1);
    const TensorInfo& y = Out();
    if (x.bits > kMaxLookupBits) {
      r_.Add(Input(0), "expected an input of at most " + std::to_string(kMaxLookupBits) +
                           " bits (a lookup table holds at most 256 entries), \"" + x.name + "\" has " +
                           std::to_string(x.bits));
      return;
    }
    const int64_t entries = int64_t{1} << x.bits;
    if (t.shape != std::vector<int64_t>{entries}) {
      r_.Add(Input(1), "expected a table of shape [" + std::to_string(entries) +
                           "] (one entry per value of the " + std::to_string(x.bits) + "-bit input \"" +
                           x.name + "\"), \"" + t.name + "\" has shape " + ShapeString(t.shape));
      return;
    }
    if (r_.Facts(op_.outputs[0]).type_ok && !SameQuant(t, y)) {  // its entries are output values
      r_.Add(Input(1), "expected a table quantized as the output \"" + y.name + "\" (" + QuantString(y) +
                           "): its entries are output values, \"" + t.name + "\" has " + QuantString(t));
      return;
    }
    SetOutputShape(x.shape);
  }

  void InferConv() {
    if (!IsNhwc(0)) return;
    const auto& x = In(0).shape;
    const auto& w = In(1).shape;
    if (w.size() != 4) {
      r_.Add(Input(1), "expected a weight of shape [O, KH, KW, C/groups] (OHWI), \"" + op_.inputs[1] +
                           "\" has shape " + ShapeString(w));
      return;
    }
    const int64_t c = x[3], out_c = w[0];
    if (c % op_.groups != 0 || out_c % op_.groups != 0) {
      r_.Add(Attribute("groups"), "expected a divisor of the input channels (" + std::to_string(c) +
                                      ") and the output channels (" + std::to_string(out_c) + "), got " +
                                      std::to_string(op_.groups));
      return;
    }
    if (w[3] != c / op_.groups) {
      r_.Add(Input(1), "expected a weight of shape [O, KH, KW, " + std::to_string(c / op_.groups) +
                           "] (OHWI; input channels " + std::to_string(c) + " / groups " +
                           std::to_string(op_.groups) + "), \"" + op_.inputs[1] + "\" has shape " +
                           ShapeString(w));
      return;
    }
    if (!BiasShapeOk(out_c)) return;
    auto hw = Window(x, {w[1], w[2]});
    if (!hw) return;
    SetOutputShape({1, (*hw)[0], (*hw)[1], out_c});
  }

  bool BiasShapeOk(int64_t out_channels) {
    if (op_.inputs.size() < 3) return true;
    const auto& b = In(2).shape;
    if (b == std::vector<int64_t>{out_channels}) return true;
    r_.Add(Input(2), "expected a bias of shape [" + std::to_string(out_channels) +
                         "] (one per output channel), \"" + op_.inputs[2] + "\" has shape " + ShapeString(b));
    return false;
  }

  void InferFc() {
    const auto& x = In(0).shape;
    const auto& w = In(1).shape;
    const bool rank2 = x.size() == 2;
    const bool rank4 = x.size() == 4 && x[0] == 1 && x[1] == 1 && x[2] == 1;
    if (!rank2 && !rank4) {
      r_.Add(Input(0), "expected an input of shape [M, K] or [1, 1, 1, K], \"" + op_.inputs[0] +
                           "\" has shape " + ShapeString(x));
      return;
    }
    const int64_t m = rank2 ? x[0] : 1, k = x.back();
    if (w.size() != 2 || w[1] != k) {
      r_.Add(Input(1), "expected a weight of shape [N, " + std::to_string(k) + "] ([out, in]), \"" +
                           op_.inputs[1] + "\" has shape " + ShapeString(w));
      return;
    }
    if (!BiasShapeOk(w[0])) return;
    SetOutputShape({m, w[0]});
  }

  void InferReshape() {
    const TensorInfo& x = In(0);
    const std::vector<int64_t>* given = r_.GivenOutputShape();
    if (!given) {
      // No target shape: flatten to [N, rest] (N is 1 for NHWC activations).
      r_.InferredOutputShape({x.shape[0], x.elements() / x.shape[0]});
    } else if (!given->empty() && Out().elements() != x.elements()) {
      r_.Add(kOutputShape, "expected a shape of " + std::to_string(x.elements()) + " elements (the input " +
                               ShapeString(x.shape) + " of " + kind_ + " " + r_.OpRef() + "), got " +
                               ShapeString(*given));
      return;
    }
    CheckSameQuant();
  }

  // max_pool and reshape move values without rescaling them.
  void CheckSameQuant() {
    const TensorInfo& x = In(0);
    const TensorInfo& y = Out();
    if (SameQuant(x, y)) return;
    r_.Add(kOutput, "expected the quantization of input \"" + x.name + "\" (" + QuantString(x) + ") since " +
                        kind_ + " does not rescale, \"" + y.name + "\" has " + QuantString(y));
  }

  const Graph& g_;
  const Op& op_;
  const std::string& kind_;
  OpRuleReport& r_;
};

std::string RangeString(const TensorInfo& t) {
  return std::to_string(t.qmin()) + ".." + std::to_string(t.qmax());
}

std::string FloatString(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
  return buf;
}

template <typename T>
std::string ListString(const std::vector<T>& v) {
  const auto one = [](T x) {
    if constexpr (std::is_floating_point_v<T>) return FloatString(x);
    else return std::to_string(x);
  };
  if (v.size() == 1) return one(v[0]);
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + one(v[i]);
  return s + "]";
}

}  // namespace

bool CheckOperandRoles(const Graph& g, const Op& op, OpRuleReport& report) {
  return RoleChecker(g, report).Check(op);
}

void CheckOpShape(const Graph& g, const Op& op, const std::string& kind, OpRuleReport& report) {
  ShapeChecker(g, op, kind, report).Check();
}

bool IsTensorName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string TypeString(const TensorInfo& t) {
  return std::string(t.is_signed ? "signed " : "unsigned ") + std::to_string(t.bits) + "-bit";
}

std::string QuantString(const TensorInfo& t) {
  return TypeString(t) + ", scale " + ListString(t.quant.scales) + ", zero_point " +
         ListString(t.quant.zero_points);
}

bool SameQuant(const TensorInfo& a, const TensorInfo& b) {
  return a.bits == b.bits && a.is_signed == b.is_signed && a.quant.scales == b.quant.scales &&
         a.quant.zero_points == b.quant.zero_points;
}

namespace {

// All of `v` lies in t's range? One pass the compiler vectorizes (min, max and, for a binary
// tensor, zeros), so the common case costs a memory sweep; the offenders are located only on failure.
bool ValuesInRange(const std::vector<int32_t>& v, const TensorInfo& t) {
  int32_t lo = 0, hi = 0, zeros = 0;
  if (!v.empty()) lo = hi = v[0];
  for (const int32_t x : v) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    zeros += x == 0;
  }
  return lo >= t.qmin() && hi <= t.qmax() && !(t.binary() && zeros > 0);
}

}  // namespace

std::string RangeViolation(const std::vector<int32_t>& values, const TensorInfo& t) {
  if (ValuesInRange(values, t)) return "";
  int64_t bad = 0;
  size_t first = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (t.representable(values[i])) continue;
    if (bad++ == 0) first = i;
  }
  if (bad == 0) return "";
  return "expected values in the " + TypeString(t) + " range " + RangeString(t) +
         (t.binary() ? " (binary: -1 or +1)" : "") + ", got " + std::to_string(bad) + " value" +
         (bad == 1 ? "" : "s") + " outside it, first at index " + std::to_string(first) + ": " +
         std::to_string(values[first]);
}

}  // namespace npusim::core

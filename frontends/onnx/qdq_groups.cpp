// QDQ groups around one float op -> QOperator nodes (qdq_folds.h): Conv, MatMul, Gemm, Add, Mul,
// the pools, MaxPool / Reshape / Flatten on quantized data, and Concat. In stages: match the
// output side ([Relu | Clip] -> QuantizeLinear), check the inputs' DequantizeLinear nodes by role,
// rewrite (the node with its inputs in QOperator order and its fused activation).
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "frontends/onnx/qdq_fold.h"
#include "frontends/onnx/qdq_folds.h"
#include "ir/quant.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

const std::vector<Pattern>& Patterns() {
  static const std::vector<Pattern> p = {
      {"Conv", "QLinearConv", "", {Role::kAct, Role::kWeight, Role::kBias}, true, false},
      {"MatMul", "QLinearMatMul", "", {Role::kAct, Role::kWeight}, true, false},
      {"Gemm", "QGemm", "com.microsoft", {Role::kAct, Role::kWeight, Role::kBias}, true, false},
      {"Add", "QLinearAdd", "com.microsoft", {Role::kAct, Role::kAct}, true, false},
      {"Mul", "QLinearMul", "com.microsoft", {Role::kAct, Role::kAct}, false, false},
      {"AveragePool", "QLinearAveragePool", "com.microsoft", {Role::kAct}, false, false},
      {"GlobalAveragePool", "QLinearGlobalAveragePool", "com.microsoft", {Role::kAct}, false, false},
      {"MaxPool", "MaxPool", "", {Role::kAct}, false, true},
      {"Reshape", "Reshape", "", {Role::kAct, Role::kKeep}, false, true},
      {"Flatten", "Flatten", "", {Role::kAct}, false, true},
  };
  return p;
}

// ---- match: the output side ----

// The QuantizeLinear that reads the output of `n` (through a Relu / Clip when `activation`):
// its index, and the activation's (-1: none).
std::pair<int, int> OutputSide(const QdqGraph& g, const NodeProto& n, bool activation) {
  int next = g.OnlyConsumer(
      n.output(0), "a QuantizeLinear" + std::string(activation ? " (or a Relu / Clip before it)" : ""));
  int act = -1;
  if (activation && (g.node(next).op_type() == "Relu" || g.node(next).op_type() == "Clip")) {
    act = next;
    next = g.OnlyConsumer(Output0(g.node(act)), "a QuantizeLinear");
  }
  const NodeProto& q = g.node(next);
  if (!IsQuantize(q)) throw NoFold{"its output is read by " + q.op_type() + ", not by a QuantizeLinear"};
  g.CheckConstantParams(q);
  return {next, act};
}

// ---- check: the inputs, by role ----

// Weight input k: per-channel scales must lie along `axis` of the weight.
QTensor Weight(QdqGraph* g, const NodeProto& n, int k, int64_t axis) {
  QTensor w = g->Dequantized(n, k, true);
  const NodeProto* dq = g->Producer(Input(n, k));
  const OnnxTensor& wt = g->Constant(w.value, "weight");
  const OnnxTensor& s = g->Constant(w.scale, "weight scale");
  int64_t dq_axis = IntAttr(*dq, "axis", 1);
  if (dq_axis < 0) dq_axis += static_cast<int64_t>(wt.dims.size());
  if (s.elements() > 1 && dq_axis != axis) {
    throw NoFold{"weight \"" + w.value + "\" is quantized per channel along axis " + std::to_string(dq_axis) +
                 "; expected axis " + std::to_string(axis) + " (the output channels)"};
  }
  return w;
}

// Bias input k: an int32 constant with zero points 0 (its scale is x_scale * w_scale by
// construction; the integer kernels add the int32 values to the accumulator as they are).
QTensor Bias(QdqGraph* g, const NodeProto& n, int k) {
  QTensor b = g->Dequantized(n, k, true);
  if (g->Constant(b.value, "bias").elem_type != TensorProto::INT32) {
    throw NoFold{"bias \"" + b.value + "\" must be an int32 constant"};
  }
  const OnnxTensor& z = g->Constant(b.zero_point, "bias zero point");
  if (std::any_of(z.int_values.begin(), z.int_values.end(), [](int32_t v) { return v != 0; })) {
    throw NoFold{"bias \"" + b.value + "\" must have zero point 0"};
  }
  return b;
}

// The expected per-channel axis of the weight of `n`.
int64_t WeightAxis(const NodeProto& n) {
  if (n.op_type() == "Conv") return 0;
  if (n.op_type() == "Gemm") return IntAttr(n, "transB", 0) != 0 ? 0 : 1;
  return 1;  // MatMul: B [K, N], per column
}

// The inputs of `n` as quantized tensors, by the pattern's roles (an absent optional one: empty).
std::vector<QTensor> GroupInputs(QdqGraph* g, const NodeProto& n, const Pattern& p) {
  std::vector<QTensor> ins;
  for (int k = 0; k < n.input_size() && k < static_cast<int>(p.roles.size()); ++k) {
    if (n.input(k).empty()) {
      ins.push_back({});
      continue;
    }
    switch (p.roles[k]) {
      case Role::kAct: ins.push_back(g->Dequantized(n, k, false)); break;
      case Role::kWeight: ins.push_back(Weight(g, n, k, WeightAxis(n))); break;
      case Role::kBias: ins.push_back(Bias(g, n, k)); break;
      case Role::kKeep: ins.push_back({n.input(k), "", ""}); break;
    }
  }
  if (n.input_size() > static_cast<int>(p.roles.size())) throw NoFold{"too many inputs"};
  // Every role but a trailing bias is required (AddInputs reads them all).
  const int required = static_cast<int>(p.roles.size()) - (p.roles.back() == Role::kBias ? 1 : 0);
  if (n.input_size() < required) {
    throw NoFold{"expected at least " + std::to_string(required) + " inputs, got " +
                 std::to_string(n.input_size())};
  }
  return ins;
}

void CheckGemm(const NodeProto& n) {
  if (IntAttr(n, "transA", 0) != 0) throw NoFold{"transA 1 is not supported"};
  if (FloatAttr(n, "alpha", 1.0f) != 1.0f) throw NoFold{"alpha other than 1 is not supported"};
  if (!Input(n, 2).empty() && FloatAttr(n, "beta", 1.0f) != 1.0f)
    throw NoFold{"beta other than 1 is not supported"};
}

// ---- the fused activation ----

// The per-tensor quantization of a QuantizeLinear's output and its integer range.
struct OutputQuant {
  float scale;
  int32_t zp;
  int64_t qmin, qmax;
};

OutputQuant OutputQuantOf(const QdqGraph& g, const QTensor& y) {
  const OnnxTensor& s = g.Constant(y.scale, "output scale");
  const OnnxTensor& z = g.Constant(y.zero_point, "output zero point");
  if (s.float_values.size() != 1 || z.int_values.size() != 1)
    throw NoFold{"the QuantizeLinear must be per tensor"};
  if (!(s.float_values[0] > 0) || !std::isfinite(s.float_values[0]))
    throw NoFold{"output scale \"" + s.name + "\" must be a positive finite float32"};
  const bool is_signed = z.elem_type == TensorProto::INT8;
  return {s.float_values[0], z.int_values[0], is_signed ? -128 : 0, is_signed ? 127 : 255};
}

float ConstFloat(const QdqGraph& g, const std::string& name, float def) {
  if (name.empty()) return def;
  const std::optional<float> v = g.ScalarConstant(name);
  if (!v) throw NoFold{"Clip bound \"" + name + "\" must be a float32 constant scalar"};
  return *v;
}

// The real range [lo, hi] a Relu or Clip keeps.
std::pair<float, float> ClampRange(const QdqGraph& g, const NodeProto& act) {
  if (act.op_type() != "Clip") return {0.0f, std::numeric_limits<float>::infinity()};
  const float inf = std::numeric_limits<float>::infinity();
  if (g.opset() < 11) return {FloatAttr(act, "min", -inf), FloatAttr(act, "max", inf)};
  const float lo = ConstFloat(g, Input(act, 1), -inf);
  return {lo, ConstFloat(g, Input(act, 2), inf)};
}

// An Add group is folded only when ONNX Runtime would fold it too: its optimizer fuses
// DequantizeLinear -> Add -> QuantizeLinear into QLinearAdd after removing a Relu or Clip that the
// QuantizeLinear's saturation already implies (Relu: y's zero point is qmin; Clip [lo, hi]:
// lo <= scale * (qmin - zp) + eps and hi >= scale * (qmax - zp) - eps, eps = FLT_EPSILON). Any
// other Relu / Clip stays, and ONNX Runtime then adds in float32 and rounds before adding the zero
// point, which npusim's add (QLinearAdd's arithmetic, ir/quant.h) does not reproduce at ties.
void CheckAddFusable(const NodeProto& act, float lo, float hi, const OutputQuant& y) {
  const float eps = std::numeric_limits<float>::epsilon();
  const float lower = y.scale * static_cast<float>(y.qmin - y.zp);
  const float upper = y.scale * static_cast<float>(y.qmax - y.zp);
  const bool removed = act.op_type() == "Relu" ? y.zp == y.qmin : !(eps < lo - lower || eps < upper - hi);
  if (removed) return;
  std::ostringstream m;
  m << act.op_type() << " [" << lo << ", " << hi << "] between Add and QuantizeLinear (scale " << y.scale
    << ", zero point " << y.zp << ", real range [" << lower << ", " << upper
    << "]) is not implied by the QuantizeLinear, so ONNX Runtime keeps it and adds in float32 instead of "
       "fusing a QLinearAdd; npusim's add reproduces QLinearAdd only (docs/onnx.md)";
  throw NoFold{m.str()};
}

// Relu, or Clip [lo, hi], before QuantizeLinear y clamps the quantized output to
// [Q(lo), Q(hi)] (Q is monotonic, so Q(clip(v)) == clamp(Q(v), Q(lo), Q(hi))). The IR can clamp
// below at y's qmin or zero point (relu) and above at qmax or the image of 6 (relu6): "", "relu"
// or "relu6"; any other clamp throws NoFold.
std::string ActivationName(const NodeProto& act, float lo, float hi, const OutputQuant& y) {
  const auto quantize = [&](float v) {
    const double r = static_cast<double>(core::RoundHalfEven(v / y.scale)) + y.zp;
    return static_cast<int64_t>(
        std::clamp<double>(r, static_cast<double>(y.qmin), static_cast<double>(y.qmax)));
  };
  const int64_t qlo = quantize(lo), qhi = quantize(hi);
  const auto relu = core::ActivationRange(core::Activation::kRelu, y.scale, y.zp, y.qmin, y.qmax);
  const auto relu6 = core::ActivationRange(core::Activation::kRelu6, y.scale, y.zp, y.qmin, y.qmax);
  if (qlo == y.qmin && qhi == y.qmax) return "";
  if (qlo == relu.first && qhi == relu.second) return "relu";
  if (qlo == relu6.first && qhi == relu6.second) return "relu6";
  std::ostringstream m;
  m << act.op_type() << " [" << lo << ", " << hi << "] before QuantizeLinear (scale " << y.scale
    << ", zero point " << y.zp << ") clamps the output to [" << qlo << ", " << qhi
    << "]; npusim's fused activations clamp to [" << y.qmin << ", " << y.qmax << "] (none), [" << relu.first
    << ", " << relu.second << "] (relu) or [" << relu6.first << ", " << relu6.second << "] (relu6)";
  throw NoFold{m.str()};
}

// The Relu / Clip `act` as the folded node's kActivationAttr (none when the QuantizeLinear's
// saturation implies it).
void SetActivation(const QdqGraph& g, const NodeProto& act, const QTensor& y, bool add, NodeProto* out) {
  const auto [lo, hi] = ClampRange(g, act);
  const OutputQuant yq = OutputQuantOf(g, y);
  if (add) CheckAddFusable(act, lo, hi, yq);
  const std::string name = ActivationName(act, lo, hi, yq);
  if (name.empty()) return;
  auto* a = out->add_attribute();
  a->set_name(kActivationAttr);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(name);
}

// ---- rewrite ----

void AddTriple(const QTensor& t, NodeProto* out) {
  out->add_input(t.value);
  out->add_input(t.scale);
  out->add_input(t.zero_point);
}

// Inputs of the folded node in the QOperator order.
void AddInputs(const Pattern& p, const std::vector<QTensor>& ins, const QTensor& y, NodeProto* out) {
  if (p.keeps_quant) {  // MaxPool(xq), Reshape(xq, shape), Flatten(xq)
    for (const QTensor& t : ins) out->add_input(t.value);
    return;
  }
  if (p.op == "Gemm") {  // QGemm: A, a_s, a_zp, B, b_s, b_zp, C, y_s, y_zp
    AddTriple(ins[0], out);
    AddTriple(ins[1], out);
    out->add_input(ins.size() > 2 ? ins[2].value : "");
    out->add_input(y.scale);
    out->add_input(y.zero_point);
    return;
  }
  // QLinearConv / QLinearMatMul / QLinearAdd: the inputs' triples, then y's, then the bias;
  // the pools: x's triple, then y's scale and zero point.
  const size_t quantized = p.op == "Conv" ? 2 : ins.size();
  for (size_t k = 0; k < quantized; ++k) AddTriple(ins[k], out);
  out->add_input(y.scale);
  out->add_input(y.zero_point);
  if (p.op == "Conv" && ins.size() > 2 && !ins[2].value.empty()) out->add_input(ins[2].value);
}

// A node named as `n`, of the given type and domain, with n's attributes but those `skip` names.
NodeProto Renamed(const NodeProto& n, const std::string& op, const std::string& domain, const char* skip) {
  NodeProto out;
  out.set_name(n.name());
  out.set_op_type(op);
  out.set_domain(domain);
  for (const auto& a : n.attribute()) {
    if (skip == nullptr || a.name() != skip) *out.add_attribute() = a;
  }
  return out;
}

}  // namespace

const Pattern* FindPattern(const NodeProto& n) {
  if (Domain(n) != "ai.onnx") return nullptr;
  for (const Pattern& p : Patterns()) {
    if (p.op == n.op_type()) return &p;
  }
  return nullptr;
}

NodeProto FoldGroup(QdqGraph* g, int i, const Pattern& p, std::vector<int>* group) {
  const NodeProto& n = g->node(i);
  if (n.output_size() != 1) throw NoFold{"expected exactly one output"};
  if (n.op_type() == "Gemm") CheckGemm(n);
  const auto [next, act] = OutputSide(*g, n, p.activation);
  NodeProto out = Renamed(n, p.q_op, p.q_domain, "beta");
  const std::vector<QTensor> ins = GroupInputs(g, n, p);
  const QTensor y = g->Quantized(g->node(next));
  if (act >= 0) SetActivation(*g, g->node(act), y, p.q_op == "QLinearAdd", &out);
  AddInputs(p, ins, y, &out);
  out.add_output(y.value);
  group->push_back(next);
  if (act >= 0) group->push_back(act);
  return out;
}

NodeProto FoldConcat(QdqGraph* g, int i, std::vector<int>* group) {
  const NodeProto& n = g->node(i);
  if (n.output_size() != 1 || n.input_size() < 1) throw NoFold{"expected one output and at least one input"};
  const int next = OutputSide(*g, n, false).first;
  NodeProto out = Renamed(n, "QLinearConcat", "com.microsoft", nullptr);
  const QTensor y = g->Quantized(g->node(next));
  out.add_input(y.scale);
  out.add_input(y.zero_point);
  for (int k = 0; k < n.input_size(); ++k) AddTriple(g->Dequantized(n, k, false), &out);
  out.add_output(y.value);
  group->push_back(next);
  return out;
}

}  // namespace npusim::importer

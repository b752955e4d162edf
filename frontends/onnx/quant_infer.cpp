// Quantization inference (quant_infer.h).
#include "frontends/onnx/quant_infer.h"

#include <cmath>

#include "frontends/onnx/onnx_tensor.h"
#include "frontends/onnx/op_table.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

// The op moves quantized data as it is (MaxPool, Reshape, Flatten, Identity).
bool KeepsQuant(const NodeProto& n) {
  const OpSpec* spec = FindSpec(n);
  return spec != nullptr && spec->keeps_quant;
}

class QuantInference {
 public:
  QuantInference(const QuantSources& s, core::ProblemList* problems) : s_(s), problems_(problems) {}

  std::map<std::string, Quant> Run() {
    // What folded QDQ groups read and write, as their DequantizeLinear / QuantizeLinear state it
    // (MaxPool, Reshape and Flatten groups have no scale inputs of their own).
    for (const auto& [i, n] : s_.absorbed) {
      if (n.op_type() == "QuantizeLinear") Declare(i, n, {-1, 1, 2});
      if (n.op_type() == "DequantizeLinear" && !s_.constants.count(Input(n, 0))) Declare(i, n, {0, 1, 2});
    }
    for (const auto& [i, n] : s_.nodes) DeclareAll(i, n);
    Propagate();
    // After the nodes that state scales, so that an input they quantize keeps its scale.
    for (const auto& [i, n] : s_.nodes) {
      if (IsIntegerOp(n)) DeclareZeroPoint(i, n, 2);
    }
    Propagate();
    return std::move(quant_);
  }

 private:
  void Problem(int i, const NodeProto& n, const std::string& message) {
    AddNodeProblem(problems_, i, n, message);
  }

  // Every quantization node i states (OpSpec::declares, and QLinearConcat's input triples).
  void DeclareAll(int i, const NodeProto& n) {
    const OpSpec* spec = FindSpec(n);
    if (spec == nullptr) return;
    for (const QuantDecl& d : spec->declares) Declare(i, n, d);
    if (spec->variadic != Variadic::kTriples) return;
    for (int k = 2; k + 2 < n.input_size(); k += 3) Declare(i, n, {k, k + 1, k + 2});
  }

  // The quantization a node states for a value through its scale and zero-point inputs.
  void Declare(int i, const NodeProto& n, const QuantDecl& d) {
    const std::string value = d.value < 0 ? Output0(n) : Input(n, d.value);
    const auto scale_it = s_.constants.find(Input(n, d.scale));
    if (value.empty() || scale_it == s_.constants.end()) {
      Problem(i, n,
              "expected a value and a scale that is a constant initializer (input " +
                  std::to_string(d.scale) + ")");
      return;
    }
    const OnnxTensor& s = scale_it->second;
    Quant q;
    q.source = n.name();
    if (s.elem_type != TensorProto::FLOAT || s.float_values.size() != 1) {
      Problem(i, n,
              "scale \"" + s.name + "\" of \"" + value +
                  "\": expected one float32 value (activations are quantized per tensor)");
      return;
    }
    q.scale = s.float_values[0];
    if (!(q.scale > 0) || !std::isfinite(q.scale)) {
      Problem(i, n, "scale \"" + s.name + "\" must be a positive finite float32");
      return;
    }
    if (ReadZeroPoint(i, n, value, Input(n, d.zero_point), &q)) Merge(value, q, i, n);
  }

  const NodeProto* ProducerOf(const std::string& value) const {
    const NodeProto* p = nullptr;
    for (const auto& [k, node] : s_.nodes) {
      if (node.output_size() > 0 && node.output(0) == value) p = &node;
    }
    return p;
  }

  // The signedness of `value` without a zero point: 0 of the value's own type (uint8 when nothing
  // says otherwise, as in ONNX): as declared, else as the node that quantizes it states, else as
  // its source through MaxPool / Reshape / Flatten / Identity.
  bool DefaultSigned(std::string v) const {
    for (int hops = 0; hops < 1000; ++hops) {
      if (auto t = s_.types.find(v); t != s_.types.end()) return t->second == TensorProto::INT8;
      if (auto known = quant_.find(v); known != quant_.end()) return known->second.is_signed;
      const NodeProto* p = ProducerOf(v);
      if (p == nullptr || p->input_size() == 0) break;
      const std::string& op = p->op_type();
      if (op == "QuantizeLinear" || op == "QLinearConv" || op == "QLinearMatMul") {
        // their output zero point input states the type
        const std::string zp = Input(*p, op == "QuantizeLinear" ? 2 : 7);
        auto z = s_.constants.find(zp);
        return z != s_.constants.end() && z->second.elem_type == TensorProto::INT8;
      }
      if (!KeepsQuant(*p)) break;
      v = p->input(0);
    }
    return false;
  }

  // Zero point (and with it the signedness) of activation `value` from constant `zp_name`; false
  // (reported) if it is not one uint8 or int8 value.
  bool ReadZeroPoint(int i, const NodeProto& n, const std::string& value, const std::string& zp_name,
                     Quant* q) {
    if (zp_name.empty()) {
      q->is_signed = DefaultSigned(value);
      return true;
    }
    const OnnxTensor& z = ConstantNamed(problems_, s_.constants, i, n, zp_name, "zero point");
    if (!IsQuantType(z.elem_type) || z.int_values.size() != 1) {
      Problem(i, n,
              "zero point \"" + zp_name + "\" of \"" + value + "\": expected one uint8 or int8 value " +
                  "(activations are quantized per tensor), got " + std::to_string(z.int_values.size()) +
                  " of " + ElemTypeName(z.elem_type));
      return false;
    }
    q->zero_point = z.int_values[0];
    q->is_signed = z.elem_type == TensorProto::INT8;
    return true;
  }

  // ConvInteger / MatMulInteger state only the zero point of their activation input (input 0,
  // zero point input zp_k). Its scale is whatever another node declares, else 1: the int32
  // output is the same integers whatever the scale (docs/onnx.md).
  void DeclareZeroPoint(int i, const NodeProto& n, int zp_k) {
    const std::string& value = n.input(0);
    Quant q;
    q.source = n.name();
    if (!ReadZeroPoint(i, n, value, Input(n, zp_k), &q)) return;
    auto it = quant_.find(value);
    if (it == quant_.end()) {
      quant_[value] = q;
      return;
    }
    if (it->second.zero_point == q.zero_point && it->second.is_signed == q.is_signed) return;
    Problem(i, n,
            "tensor \"" + value + "\" has zero point " + std::to_string(q.zero_point) + " (" +
                (q.is_signed ? "int8" : "uint8") + ") here but is quantized as " + QuantString(it->second) +
                " by node \"" + it->second.source + "\"");
  }

  void Merge(const std::string& value, const Quant& q, int i, const NodeProto& n) {
    auto it = quant_.find(value);
    if (it == quant_.end()) {
      quant_[value] = q;
      changed_ = true;
      return;
    }
    if (it->second == q) return;
    Problem(i, n,
            "tensor \"" + value + "\" is quantized as " + QuantString(q) + " here but as " +
                QuantString(it->second) + " by node \"" + it->second.source + "\"");
  }

  // MaxPool, Reshape, Flatten, Identity and Concat keep the quantization: propagate both ways
  // until nothing changes.
  void Propagate() {
    changed_ = true;
    while (changed_) {
      changed_ = false;
      for (const auto& [i, n] : s_.nodes) {
        const OpSpec* spec = FindSpec(n);
        if (spec != nullptr && spec->variadic == Variadic::kActivations) PropagateConcat(i, n);
        if (spec != nullptr && spec->keeps_quant) PropagateKept(i, n);
      }
    }
  }

  // Concat: every input and the output alike.
  void PropagateConcat(int i, const NodeProto& n) {
    const Quant* known = nullptr;
    if (auto it = quant_.find(n.output(0)); it != quant_.end()) known = &it->second;
    for (int k = 0; k < n.input_size() && !known; ++k) {
      if (auto it = quant_.find(n.input(k)); it != quant_.end()) known = &it->second;
    }
    if (!known) return;
    const Quant q = *known;
    for (int k = -1; k < n.input_size(); ++k) {
      const std::string& v = k < 0 ? n.output(0) : n.input(k);
      auto it = quant_.find(v);
      if (it == quant_.end()) {
        Merge(v, q, i, n);
      } else if (!(it->second == q)) {
        Problem(i, n,
                "tensor \"" + v + "\" is " + QuantString(it->second) +
                    " but another input or the output is " + QuantString(q) +
                    "; Concat of quantized tensors cannot requantize (QLinearConcat can)");
        quant_[v] = q;  // report once
      }
    }
  }

  // MaxPool, Reshape, Flatten, Identity: input and output alike.
  void PropagateKept(int i, const NodeProto& n) {
    auto in = quant_.find(n.input(0));
    auto out = quant_.find(n.output(0));
    if (in != quant_.end() && out == quant_.end()) {
      Merge(n.output(0), in->second, i, n);
    } else if (in == quant_.end() && out != quant_.end()) {
      Merge(n.input(0), out->second, i, n);
    } else if (in != quant_.end() && !(in->second == out->second)) {
      Problem(i, n,
              "input is " + QuantString(in->second) + " but output is " + QuantString(out->second) + "; " +
                  n.op_type() + " cannot requantize");
      quant_[n.output(0)] = in->second;  // report once
    }
  }

  const QuantSources& s_;
  core::ProblemList* problems_;
  std::map<std::string, Quant> quant_;
  bool changed_ = false;
};

}  // namespace

std::map<std::string, Quant> InferQuant(const QuantSources& sources, core::ProblemList* problems) {
  return QuantInference(sources, problems).Run();
}

}  // namespace npusim::importer

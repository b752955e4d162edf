// The QDQ folder's view of the graph (qdq_graph.h).
#include "frontends/onnx/qdq_graph.h"

#include "frontends/onnx/onnx_tensor.h"

namespace npusim::importer {

using onnx::NodeProto;
using onnx::TensorProto;

bool IsDequantize(const NodeProto& n) { return n.op_type() == "DequantizeLinear" && Domain(n) == "ai.onnx"; }
bool IsQuantize(const NodeProto& n) { return n.op_type() == "QuantizeLinear" && Domain(n) == "ai.onnx"; }

QdqGraph::QdqGraph(const onnx::GraphProto& g, std::map<std::string, OnnxTensor>* constants,
                   const std::map<std::string, int>& types, int64_t opset)
    : g_(g), constants_(*constants), types_(types), opset_(opset) {
  for (int i = 0; i < g_.node_size(); ++i) {
    for (const std::string& o : g_.node(i).output()) producer_[o] = i;
    for (const std::string& in : g_.node(i).input()) {
      if (!in.empty()) consumers_[in].push_back(i);
    }
  }
  for (const auto& o : g_.output()) consumers_[o.name()].push_back(-1);
}

const std::vector<int>& QdqGraph::Consumers(const std::string& value) const {
  static const std::vector<int> kNone;
  auto c = consumers_.find(value);
  return c == consumers_.end() ? kNone : c->second;
}

int QdqGraph::OnlyConsumer(const std::string& value, const std::string& what) const {
  const std::vector<int>& c = Consumers(value);
  if (c.size() != 1 || c[0] < 0) throw NoFold{"its output \"" + value + "\" must be read only by " + what};
  return c[0];
}

const NodeProto* QdqGraph::Producer(const std::string& value) const {
  auto p = producer_.find(value);
  return p == producer_.end() ? nullptr : &g_.node(p->second);
}

const OnnxTensor& QdqGraph::Constant(const std::string& name, const std::string& what) const {
  auto c = constants_.find(name);
  if (c == constants_.end()) throw NoFold{what + " \"" + name + "\" is not a constant"};
  return c->second;
}

std::optional<float> QdqGraph::ScalarConstant(const std::string& name) const {
  auto c = constants_.find(name);
  if (c == constants_.end() || c->second.elem_type != TensorProto::FLOAT ||
      c->second.float_values.size() != 1) {
    return std::nullopt;
  }
  return c->second.float_values[0];
}

std::string QdqGraph::ZeroPoint(const NodeProto& n, int elem) {
  if (!Input(n, 2).empty()) return n.input(2);
  const std::string name = n.name() + "_npusim_zero_point_" + ElemTypeName(elem);
  constants_[name] = OnnxTensor{name, elem, {}, {0}, {}};
  return name;
}

int QdqGraph::TypeOf(const std::string& value) const {
  auto c = constants_.find(value);
  if (c != constants_.end()) return c->second.elem_type;
  auto t = types_.find(value);
  return t == types_.end() ? TensorProto::UINT8 : t->second;
}

int QdqGraph::OutputType(const NodeProto& q) const {
  if (!Input(q, 2).empty()) return TypeOf(q.input(2));
  if (const auto* a = FindAttr(q, "output_dtype"); a && a->i() != 0) return static_cast<int>(a->i());
  return TypeOf(Output0(q));
}

void QdqGraph::CheckConstantParams(const NodeProto& n) const {
  for (int k : {1, 2}) {
    const std::string in = Input(n, k);
    if ((k == 1 || !in.empty()) && (in.empty() || !IsConstant(in))) {
      throw NoFold{"the " + n.op_type() + " \"" + n.name() + "\" has a non-constant " +
                   (k == 1 ? "scale" : "zero point")};
    }
  }
}

QTensor QdqGraph::Quantized(const NodeProto& q) {
  return {Output0(q), Input(q, 1), ZeroPoint(q, OutputType(q))};
}

QTensor QdqGraph::Dequantized(const NodeProto& n, int k, bool constant) {
  const NodeProto* dq = Producer(Input(n, k));
  if (dq == nullptr || !IsDequantize(*dq)) {
    throw NoFold{"input " + std::to_string(k) + " (\"" + Input(n, k) +
                 "\") is not the output of a DequantizeLinear"};
  }
  const std::string q = Input(*dq, 0);
  if (q.empty()) {
    throw NoFold{"the DequantizeLinear \"" + dq->name() + "\" of input " + std::to_string(k) +
                 " has no input"};
  }
  if (IsConstant(q) != constant) {
    throw NoFold{"input " + std::to_string(k) + " must be the DequantizeLinear of " +
                 (constant ? "a constant (weights and biases)"
                           : "a computed tensor (a constant activation is not supported)")};
  }
  CheckConstantParams(*dq);
  if (FindAttr(*dq, "block_size") && IntAttr(*dq, "block_size", 0) != 0) {
    throw NoFold{"blocked quantization (block_size) of input " + std::to_string(k) + " is not supported"};
  }
  return {q, Input(*dq, 1), ZeroPoint(*dq, TypeOf(q))};
}

}  // namespace npusim::importer

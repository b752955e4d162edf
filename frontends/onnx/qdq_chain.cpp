// Elementwise QDQ chains -> lookup tables (qdq_folds.h): DequantizeLinear -> float ops (Add, Sub,
// Mul, Div, Clip, Relu, HardSigmoid, LeakyRelu, with scalar constants) -> QuantizeLinear becomes one
// npusim QLinearLookup node whose 256-entry table ONNX Runtime's float32 arithmetic fills. In
// stages: match (the chain's ops and its QuantizeLinear), check (constant per-tensor parameters),
// rewrite (tabulate, add the table constant, make the node).
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "frontends/onnx/qdq_fold.h"
#include "frontends/onnx/qdq_folds.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

bool IsChainOp(const NodeProto& n) {
  static const char* const ops[] = {"Add", "Sub", "Mul", "Div", "Clip", "Relu", "HardSigmoid", "LeakyRelu"};
  if (Domain(n) != "ai.onnx" || n.output_size() != 1 || n.input_size() < 1 || n.input(0).empty() ||
      std::none_of(std::begin(ops), std::end(ops), [&](const char* o) { return n.op_type() == o; })) {
    return false;
  }
  const bool binary =
      n.op_type() == "Add" || n.op_type() == "Sub" || n.op_type() == "Mul" || n.op_type() == "Div";
  if (binary) return n.input_size() == 2 && !n.input(1).empty();
  return n.op_type() == "Clip" ? n.input_size() <= 3 : n.input_size() == 1;
}

// A matched chain: its ops in graph order, the QuantizeLinear that ends it and the value it reads.
struct Chain {
  std::vector<int> ops;
  std::set<std::string> values;  // the DequantizeLinear's output and every op's
  int q_index = -1;
  std::string end;
};

// The per-tensor 8-bit quantization of the chain's input or output.
struct ChainQuant {
  float scale;
  int32_t zero_point;
  bool is_signed;
};

// One op of a chain on real values, as ONNX Runtime computes it in float32; `in(j, def)` is input
// j's value (def when the optional input is absent).
template <typename In>
float EvalOp(const NodeProto& n, int64_t opset, const In& in) {
  const std::string& op = n.op_type();
  const float a = in(0, 0.0f);
  if (op == "Add") return a + in(1, 0.0f);
  if (op == "Sub") return a - in(1, 0.0f);
  if (op == "Mul") return a * in(1, 0.0f);
  if (op == "Div") return a / in(1, 1.0f);
  if (op == "Relu") return std::max(a, 0.0f);
  if (op == "LeakyRelu") return a >= 0 ? a : FloatAttr(n, "alpha", 0.01f) * a;
  if (op == "HardSigmoid") {
    const float scaled = FloatAttr(n, "alpha", 0.2f) * a;  // rounded before the add: no fma
    return std::max(0.0f, std::min(1.0f, scaled + FloatAttr(n, "beta", 0.5f)));
  }
  // Clip
  const float inf = std::numeric_limits<float>::infinity();
  const float lo = opset < 11 ? FloatAttr(n, "min", -inf) : in(1, -inf);
  const float hi = opset < 11 ? FloatAttr(n, "max", inf) : in(2, inf);
  return std::min(std::max(a, lo), hi);
}

class ChainFolder {
 public:
  ChainFolder(QdqGraph* g, int dq_index) : g_(*g), dq_index_(dq_index), dq_(g->node(dq_index)) {}

  std::optional<NodeProto> Fold(std::vector<int>* members, int* at) {
    if (!Match()) return std::nullopt;
    *members = chain_.ops;
    members->push_back(chain_.q_index);
    *at = chain_.ops.back();
    if (Output0(g_.node(chain_.ops.back())) != chain_.end) {
      throw NoFold{"the chain's last op does not feed the QuantizeLinear"};
    }
    return Rewrite();
  }

 private:
  // ---- match ----

  // From the DequantizeLinear: the float ops whose inputs are all its output, values they make, or
  // scalar constants, up to the one QuantizeLinear that reads the last of them. False: the
  // DequantizeLinear feeds no such op, or a value of the chain escapes to another node.
  bool Match() {
    const std::string v = Output0(dq_);
    if (v.empty() || Input(dq_, 0).empty() || g_.IsConstant(Input(dq_, 0))) return false;
    chain_.values = {v};
    for (int k = dq_index_ + 1; k < g_.graph().node_size(); ++k) {
      if (ExtendsChain(g_.node(k))) {
        chain_.ops.push_back(k);
        chain_.values.insert(Output0(g_.node(k)));
      }
    }
    return !chain_.ops.empty() && MatchEnd();
  }

  // `n` is an elementwise op that reads the chain and nothing but the chain and scalar constants.
  bool ExtendsChain(const NodeProto& n) const {
    if (!IsChainOp(n)) return false;
    bool reads_chain = false;
    for (const std::string& in : n.input()) {
      if (in.empty()) continue;
      if (chain_.values.count(in)) {
        reads_chain = true;
      } else if (!g_.ScalarConstant(in)) {
        return false;
      }
    }
    return reads_chain;
  }

  // Every value but the DequantizeLinear's output is read only by the chain, except the end, read
  // only by a QuantizeLinear.
  bool MatchEnd() {
    const std::set<int> members(chain_.ops.begin(), chain_.ops.end());
    const auto member = [&](int r) { return members.count(r) > 0; };
    for (const std::string& value : chain_.values) {
      const std::vector<int>& readers = g_.Consumers(value);
      if (std::all_of(readers.begin(), readers.end(), member)) continue;
      if (value == Output0(dq_)) {  // the DequantizeLinear may also feed other groups
        const auto other_chain = [&](int r) { return r >= 0 && !member(r) && IsChainOp(g_.node(r)); };
        if (std::any_of(readers.begin(), readers.end(), other_chain)) return false;
        continue;
      }
      if (readers.size() != 1 || readers[0] < 0 || !IsQuantize(g_.node(readers[0])) || chain_.q_index >= 0) {
        return false;
      }
      chain_.q_index = readers[0];
      chain_.end = value;
    }
    return chain_.q_index >= 0;
  }

  // ---- check ----

  ChainQuant PerTensor(const QTensor& t, const char* what) const {
    const std::string prefix = std::string("the chain's ") + what;
    const OnnxTensor& sc = g_.Constant(t.scale, prefix + " scale");
    const OnnxTensor& zp = g_.Constant(t.zero_point, prefix + " zero point");
    if (sc.float_values.size() != 1 || zp.int_values.size() != 1 ||
        !(zp.elem_type == TensorProto::UINT8 || zp.elem_type == TensorProto::INT8)) {
      throw NoFold{prefix + " must be quantized per tensor to uint8 or int8"};
    }
    return {sc.float_values[0], zp.int_values[0], zp.elem_type == TensorProto::INT8};
  }

  // ---- rewrite ----

  // The chain evaluated in graph order on one real input value, in float32.
  float Evaluate(float real) const {
    std::map<std::string, float> val{{Output0(dq_), real}};
    for (int k : chain_.ops) {
      const NodeProto& n = g_.node(k);
      const auto in = [&](int j, float def) {
        if (Input(n, j).empty()) return def;
        auto it = val.find(n.input(j));
        return it != val.end() ? it->second : *g_.ScalarConstant(n.input(j));
      };
      val[Output0(n)] = EvalOp(n, g_.opset(), in);
    }
    return val.at(chain_.end);
  }

  NodeProto Rewrite() {
    const NodeProto& q = g_.node(chain_.q_index);
    g_.CheckConstantParams(dq_);
    g_.CheckConstantParams(q);
    const QTensor x{Input(dq_, 0), Input(dq_, 1), g_.ZeroPoint(dq_, g_.TypeOf(Input(dq_, 0)))};
    const QTensor y = g_.Quantized(q);
    const ChainQuant xq = PerTensor(x, "input"), yq = PerTensor(y, "output");
    std::vector<int32_t> table;
    try {
      table = Tabulate([this](float real) { return Evaluate(real); }, xq.scale, xq.zero_point, xq.is_signed,
                       yq.scale, yq.zero_point, yq.is_signed);
    } catch (const std::domain_error& e) {
      throw NoFold{e.what()};
    }
    const std::string table_name = y.value + "_npusim_table";
    g_.AddConstant(
        OnnxTensor{table_name, yq.is_signed ? TensorProto::INT8 : TensorProto::UINT8, {256}, table, {}});
    NodeProto out;
    const NodeProto& last = g_.node(chain_.ops.back());
    out.set_name(last.name().empty() ? y.value : last.name());
    out.set_op_type(kLookupOp);
    out.set_domain(kLookupDomain);
    for (const std::string& name : {x.value, x.scale, x.zero_point, y.scale, y.zero_point, table_name}) {
      out.add_input(name);
    }
    out.add_output(y.value);
    return out;
  }

  QdqGraph& g_;
  int dq_index_;
  const NodeProto& dq_;
  Chain chain_;
};

}  // namespace

std::optional<NodeProto> FoldChain(QdqGraph* g, int dq_index, std::vector<int>* chain, int* at) {
  return ChainFolder(g, dq_index).Fold(chain, at);
}

}  // namespace npusim::importer

// QDQ groups -> QOperator nodes (see qdq_fold.h): the driver. Stages: fold the elementwise chains
// that start at each DequantizeLinear (qdq_chain.cpp), then the group around each float op
// (qdq_groups.cpp), each becoming one node at the op's place, which keeps the graph in topological
// order (the DequantizeLinear nodes come before the op, the QuantizeLinear's consumers after it);
// then absorb the DequantizeLinear / QuantizeLinear nodes folded away and the graph's float edges,
// and refuse every other one.
#include "frontends/onnx/qdq_fold.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "frontends/onnx/qdq_folds.h"
#include "frontends/onnx/qdq_graph.h"
#include "ir/quant.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

class Folder {
 public:
  Folder(const onnx::GraphProto& g, std::map<std::string, OnnxTensor>* constants,
         const std::map<std::string, int>& types, int64_t opset)
      : g_(g, constants, types, opset),
        folded_(g.node_size()),
        dropped_(g.node_size(), false),
        in_chain_(g.node_size(), false) {}

  QdqFoldResult Run() {
    const int n = g_.graph().node_size();
    for (int i = 0; i < n; ++i) {
      if (IsDequantize(g_.node(i))) FoldChainAt(i);
    }
    for (int i = 0; i < n; ++i) {
      if (in_chain_[i] || result_.refused.count(i)) continue;  // a chain's refusal says more
      FoldGroupAt(i);
    }
    for (int i = 0; i < n; ++i) Collect(i);
    return std::move(result_);
  }

 private:
  // ---- stage 1: elementwise chains ----

  void FoldChainAt(int i) {
    std::vector<int> chain;
    int at = -1;
    try {
      if (auto node = FoldChain(&g_, i, &chain, &at)) {
        folded_[at] = std::move(node);
        for (int k : chain) {
          dropped_[k] = k != at;
          in_chain_[k] = true;
        }
      }
    } catch (const NoFold& e) {
      for (int k : chain) {
        if (k != chain.back()) {
          result_.refused[k] =
              "float op in a DequantizeLinear -> elementwise ops -> QuantizeLinear chain: " + e.why;
        }
      }
    }
  }

  // ---- stage 2: the group around each float op ----

  void FoldGroupAt(int i) {
    const NodeProto& node = g_.node(i);
    if (node.op_type() == "Concat" && Domain(node) == "ai.onnx" && ReadsDequantized(node)) {
      try {
        std::vector<int> group;
        folded_[i] = FoldConcat(&g_, i, &group);
        for (int k : group) dropped_[k] = true;
      } catch (const NoFold& e) {
        result_.refused[i] = "float op not in a DequantizeLinear -> Concat -> QuantizeLinear group: " + e.why;
      }
      return;
    }
    const Pattern* p = FindPattern(node);
    if (p == nullptr || (p->keeps_quant && !ReadsDequantized(node))) return;
    try {
      std::vector<int> group;
      folded_[i] = FoldGroup(&g_, i, *p, &group);
      for (int k : group) dropped_[k] = true;
    } catch (const NoFold& e) {
      result_.refused[i] =
          "float op not in a DequantizeLinear -> " + node.op_type() + " -> QuantizeLinear group: " + e.why;
    }
  }

  // MaxPool, Reshape and Flatten also run on quantized tensors as they are; they are a QDQ group
  // only when they read a DequantizeLinear.
  bool ReadsDequantized(const NodeProto& n) const {
    const NodeProto* p = n.input_size() > 0 ? g_.Producer(n.input(0)) : nullptr;
    return p != nullptr && IsDequantize(*p);
  }

  // ---- stage 3: what is left of the QDQ nodes ----

  // Node i into the result: absorbed (folded away, or a float edge), refused (a DequantizeLinear
  // or QuantizeLinear left over) or kept (as folded).
  void Collect(int i) {
    const NodeProto& node = g_.node(i);
    if (IsDequantize(node) && !dropped_[i]) dropped_[i] = AllConsumersFolded(node);
    if (!dropped_[i]) dropped_[i] = FloatEdge(node);
    if (dropped_[i]) {
      result_.absorbed.push_back({i, node});
      return;
    }
    if (IsDequantize(node) || IsQuantize(node)) {
      result_.refused[i] =
          "not part of a foldable DequantizeLinear -> op -> QuantizeLinear group (npusim runs "
          "quantized tensors only; the ops it folds: Conv, MatMul, Gemm, Add, Mul, Concat, AveragePool, "
          "GlobalAveragePool, MaxPool, Reshape, Flatten, and chains of Add, Sub, Mul, Div, Clip, "
          "Relu, HardSigmoid, LeakyRelu from one DequantizeLinear to one QuantizeLinear)";
    }
    result_.nodes.push_back({i, folded_[i] ? *folded_[i] : node});
  }

  bool AllConsumersFolded(const NodeProto& dq) const {
    const std::vector<int>& c = g_.Consumers(Output0(dq));
    // none: dead, nothing reads it
    return std::all_of(c.begin(), c.end(),
                       [&](int k) { return k >= 0 && (folded_[k].has_value() || in_chain_[k]); });
  }

  // A QuantizeLinear of a float32 graph input read by nothing else, or a DequantizeLinear that
  // makes a graph output from a computed tensor, both with constant per-tensor parameters: the
  // network's float edges (QdqFoldResult), recorded and absorbed.
  bool FloatEdge(const NodeProto& n) {
    if (!IsQuantize(n) && !IsDequantize(n)) return false;
    const std::string in = Input(n, 0), out = Output0(n);
    if (in.empty() || out.empty() || n.output_size() != 1 || g_.IsConstant(in) || !ScalarParams(n))
      return false;
    return IsQuantize(n) ? QuantizedInput(in, out) : DequantizedOutput(in, out);
  }

  // The scale (required) and zero point (optional) of `n` are constants of one value.
  bool ScalarParams(const NodeProto& n) const {
    for (int k : {1, 2}) {
      const std::string p = Input(n, k);
      if (k == 1 && p.empty()) return false;
      if (!p.empty() && (!g_.IsConstant(p) || g_.Constant(p, "").elements() != 1)) return false;
    }
    return true;
  }

  // QuantizeLinear in -> out: `in` a float32 graph input read by nothing else.
  bool QuantizedInput(const std::string& in, const std::string& out) {
    const auto& inputs = g_.graph().input();
    const bool graph_input = std::any_of(inputs.begin(), inputs.end(),
                                         [&](const onnx::ValueInfoProto& v) { return v.name() == in; });
    auto t = g_.types().find(in);
    if (!graph_input || t == g_.types().end() || t->second != TensorProto::FLOAT ||
        g_.Consumers(in).size() != 1 || result_.input_quantized.count(in)) {
      return false;
    }
    result_.input_quantized[in] = out;
    return true;
  }

  // DequantizeLinear in -> out: `out` read by nothing but the graph's outputs (which may list it
  // more than once).
  bool DequantizedOutput(const std::string& in, const std::string& out) {
    const std::vector<int>& c = g_.Consumers(out);
    if (c.empty() || std::any_of(c.begin(), c.end(), [](int k) { return k >= 0; }) ||
        result_.output_quantized.count(out)) {
      return false;
    }
    result_.output_quantized[out] = in;
    return true;
  }

  QdqGraph g_;
  std::vector<std::optional<NodeProto>> folded_;  // node index -> the node its group became
  std::vector<bool> dropped_;                     // folded away
  std::vector<bool> in_chain_;  // ops and QuantizeLinear nodes of a chain folded into a lookup
  QdqFoldResult result_;
};

}  // namespace

std::vector<int32_t> Tabulate(const std::function<float(float)>& f, float x_scale, int32_t x_zp,
                              bool x_signed, float y_scale, int32_t y_zp, bool y_signed) {
  const int32_t x_min = x_signed ? -128 : 0, y_min = y_signed ? -128 : 0;
  std::vector<int32_t> table(256);
  for (int32_t k = 0; k < 256; ++k) {
    const int32_t x = x_min + k;
    const float real = static_cast<float>(x - x_zp) * x_scale;
    const float v = f(real);
    if (std::isnan(v)) {
      throw std::domain_error("the function is not a number (NaN) at input value " + std::to_string(x) +
                              " (real " + std::to_string(real) + ")");
    }
    table[k] = core::RoundClampToOutput(v / y_scale, y_zp, y_min, y_min + 255);
  }
  return table;
}

QdqFoldResult FoldQdq(const onnx::GraphProto& graph, std::map<std::string, OnnxTensor>* constants,
                      const std::map<std::string, int>& types, int64_t opset) {
  return Folder(graph, constants, types, opset).Run();
}

}  // namespace npusim::importer

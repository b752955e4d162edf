// QDQ groups -> QOperator nodes (see qdq_fold.h). One pass over the graph: each float op is
// matched with the DequantizeLinear nodes that produce its inputs and the (activation and)
// QuantizeLinear that consume its output; a match becomes one node at the op's place, which keeps
// the graph in topological order (the DequantizeLinear nodes come before the op, the
// QuantizeLinear's consumers after it).
#include "importer/qdq_fold.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/quant.h"
#include "importer/onnx_tensor.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

enum class Role { kAct, kWeight, kBias, kKeep };

struct Pattern {
  std::string op;          // the float op
  std::string q_op, q_domain;  // what the group becomes
  std::vector<Role> roles;     // of inputs 0, 1, ... (missing trailing inputs are optional)
  bool activation;             // may be followed by Relu / Clip
  bool keeps_quant;            // the op on quantized data: no scale inputs, same quantization in and out
};

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

const Pattern* FindPattern(const NodeProto& n) {
  if (Domain(n) != "ai.onnx") return nullptr;
  for (const Pattern& p : Patterns()) {
    if (p.op == n.op_type()) return &p;
  }
  return nullptr;
}

// A scale/zero-point triple of one dequantized or quantized tensor.
struct QTensor {
  std::string value, scale, zero_point;
};

// Thrown inside one group's match to give the reason it cannot be folded.
struct NoFold {
  std::string why;
};

class Folder {
 public:
  Folder(const onnx::GraphProto& g, std::map<std::string, OnnxTensor>* constants,
         const std::map<std::string, int>& types, int64_t opset)
      : g_(g), constants_(*constants), types_(types), opset_(opset) {}

  QdqFoldResult Run() {
    Index();
    const int n = g_.node_size();
    std::vector<std::optional<NodeProto>> folded(n);
    std::vector<bool> dropped(n, false);
    in_chain_.assign(n, false);
    for (int i = 0; i < n; ++i) {
      if (!IsDequantize(g_.node(i))) continue;
      std::vector<int> chain;
      int at = -1;
      try {
        if (auto node = FoldChain(i, &chain, &at)) {
          folded[at] = std::move(node);
          for (int k : chain) {
            dropped[k] = k != at;
            in_chain_[k] = true;
          }
        }
      } catch (const NoFold& e) {
        for (int k : chain) {
          if (k != chain.back()) result_.refused[k] = "float op in a DequantizeLinear -> elementwise ops -> QuantizeLinear chain: " + e.why;
        }
      }
    }
    for (int i = 0; i < n; ++i) {
      if (in_chain_[i] || result_.refused.count(i)) continue;  // a chain's refusal says more
      if (g_.node(i).op_type() == "Concat" && Domain(g_.node(i)) == "ai.onnx" && ReadsDequantized(g_.node(i))) {
        try {
          std::vector<int> group;
          folded[i] = FoldConcat(i, &group);
          for (int k : group) dropped[k] = true;
        } catch (const NoFold& e) {
          result_.refused[i] = "float op not in a DequantizeLinear -> Concat -> QuantizeLinear group: " + e.why;
        }
        continue;
      }
      const Pattern* p = FindPattern(g_.node(i));
      if (p == nullptr || (p->keeps_quant && !ReadsDequantized(g_.node(i)))) continue;
      try {
        std::vector<int> group;
        folded[i] = Fold(i, *p, &group);
        for (int k : group) dropped[k] = true;
      } catch (const NoFold& e) {
        result_.refused[i] = "float op not in a DequantizeLinear -> " + g_.node(i).op_type() +
                             " -> QuantizeLinear group: " + e.why;
      }
    }
    for (int i = 0; i < n; ++i) {
      const NodeProto& node = g_.node(i);
      if (IsDequantize(node) && !dropped[i]) dropped[i] = AllConsumersFolded(node, folded);
      if (!dropped[i]) dropped[i] = FloatEdge(node);
      if (dropped[i]) {
        result_.absorbed.push_back({i, node});
        continue;
      }
      if (IsDequantize(node) || IsQuantize(node)) {
        result_.refused[i] = "not part of a foldable DequantizeLinear -> op -> QuantizeLinear group (npusim runs "
                             "quantized tensors only; the ops it folds: Conv, MatMul, Gemm, Add, Mul, Concat, AveragePool, "
                             "GlobalAveragePool, MaxPool, Reshape, Flatten, and chains of Add, Sub, Mul, Div, Clip, "
                             "Relu, HardSigmoid, LeakyRelu from one DequantizeLinear to one QuantizeLinear)";
      }
      result_.nodes.push_back({i, folded[i] ? *folded[i] : node});
    }
    return std::move(result_);
  }

 private:
  static bool IsDequantize(const NodeProto& n) { return n.op_type() == "DequantizeLinear" && Domain(n) == "ai.onnx"; }
  static bool IsQuantize(const NodeProto& n) { return n.op_type() == "QuantizeLinear" && Domain(n) == "ai.onnx"; }

  void Index() {
    for (int i = 0; i < g_.node_size(); ++i) {
      for (const std::string& o : g_.node(i).output()) producer_[o] = i;
      for (const std::string& in : g_.node(i).input()) {
        if (!in.empty()) consumers_[in].push_back(i);
      }
    }
    for (const auto& o : g_.output()) consumers_[o.name()].push_back(-1);
  }

  // A QuantizeLinear of a float32 graph input read by nothing else, or a DequantizeLinear that
  // makes a graph output from a computed tensor, both with constant per-tensor parameters: the
  // network's float edges (QdqFoldResult), recorded and absorbed.
  bool FloatEdge(const NodeProto& n) {
    if (!IsQuantize(n) && !IsDequantize(n)) return false;
    const std::string in = Input(n, 0), out = Output0(n);
    if (in.empty() || out.empty() || n.output_size() != 1 || IsConstant(in)) return false;
    for (int k : {1, 2}) {
      const std::string p = Input(n, k);
      if (k == 1 && p.empty()) return false;
      if (!p.empty()) {
        auto c = constants_.find(p);
        if (c == constants_.end() || c->second.elements() != 1) return false;
      }
    }
    if (IsQuantize(n)) {
      auto t = types_.find(in);
      auto c = consumers_.find(in);
      const bool graph_input = std::any_of(g_.input().begin(), g_.input().end(),
                                           [&](const onnx::ValueInfoProto& v) { return v.name() == in; });
      if (!graph_input || t == types_.end() || t->second != TensorProto::FLOAT || c == consumers_.end() ||
          c->second.size() != 1 || result_.input_quantized.count(in)) {
        return false;
      }
      result_.input_quantized[in] = out;
      return true;
    }
    // Read by nothing but the graph's outputs (which may list it more than once).
    auto c = consumers_.find(out);
    if (c == consumers_.end() || std::any_of(c->second.begin(), c->second.end(), [](int k) { return k >= 0; }) ||
        result_.output_quantized.count(out)) {
      return false;
    }
    result_.output_quantized[out] = in;
    return true;
  }

  // MaxPool, Reshape and Flatten also run on quantized tensors as they are; they are a QDQ group
  // only when they read a DequantizeLinear.
  bool ReadsDequantized(const NodeProto& n) const {
    const NodeProto* p = n.input_size() > 0 ? Producer(n.input(0)) : nullptr;
    return p != nullptr && IsDequantize(*p);
  }

  bool AllConsumersFolded(const NodeProto& dq, const std::vector<std::optional<NodeProto>>& folded) const {
    auto c = consumers_.find(Output0(dq));
    if (c == consumers_.end()) return true;  // dead: nothing reads it
    return std::all_of(c->second.begin(), c->second.end(),
                       [&](int k) { return k >= 0 && (folded[k].has_value() || in_chain_[k]); });
  }

  // ---- elementwise chains -> lookup tables ----

  static bool IsChainOp(const NodeProto& n) {
    static const char* const ops[] = {"Add", "Sub", "Mul", "Div", "Clip", "Relu", "HardSigmoid", "LeakyRelu"};
    if (Domain(n) != "ai.onnx" || n.output_size() != 1 || n.input_size() < 1 || n.input(0).empty() ||
        std::none_of(std::begin(ops), std::end(ops), [&](const char* o) { return n.op_type() == o; })) {
      return false;
    }
    const bool binary = n.op_type() == "Add" || n.op_type() == "Sub" || n.op_type() == "Mul" || n.op_type() == "Div";
    if (binary) return n.input_size() == 2 && !n.input(1).empty();
    return n.op_type() == "Clip" ? n.input_size() <= 3 : n.input_size() == 1;
  }

  // A float32 constant of one value, or nullopt.
  std::optional<float> ScalarConstant(const std::string& name) const {
    auto c = constants_.find(name);
    if (c == constants_.end() || c->second.elem_type != TensorProto::FLOAT || c->second.float_values.size() != 1) {
      return std::nullopt;
    }
    return c->second.float_values[0];
  }

  // From DequantizeLinear `dq`: the float ops whose inputs are all its output, values they make,
  // or scalar constants, up to the one QuantizeLinear that reads the last of them. Not a chain
  // (nullopt, nothing recorded): the DequantizeLinear feeds no such op, or a value of the chain
  // escapes to another node. A chain that cannot be tabulated throws NoFold. `chain` receives the
  // ops, then the QuantizeLinear; `at` the index where the lookup node goes (the last op).
  std::optional<NodeProto> FoldChain(int dq_index, std::vector<int>* chain, int* at) {
    const NodeProto& dq = g_.node(dq_index);
    const std::string v = Output0(dq);
    if (v.empty() || Input(dq, 0).empty() || IsConstant(Input(dq, 0))) return std::nullopt;
    std::set<std::string> values{v};
    std::vector<int> ops;
    for (int k = dq_index + 1; k < g_.node_size(); ++k) {
      const NodeProto& n = g_.node(k);
      if (!IsChainOp(n)) continue;
      bool reads_chain = false, only_chain = true;
      for (int j = 0; j < n.input_size(); ++j) {
        const std::string& in = n.input(j);
        if (in.empty()) continue;
        if (values.count(in)) reads_chain = true;
        else if (!ScalarConstant(in)) only_chain = false;
      }
      if (!reads_chain || !only_chain) continue;
      ops.push_back(k);
      values.insert(Output0(n));
    }
    if (ops.empty()) return std::nullopt;
    // Every value but the DequantizeLinear's output is read only by the chain, except the end,
    // read only by a QuantizeLinear.
    const std::set<int> members(ops.begin(), ops.end());
    int q_index = -1;
    std::string end;
    for (const std::string& value : values) {
      auto c = consumers_.find(value);
      const std::vector<int> readers = c == consumers_.end() ? std::vector<int>{} : c->second;
      const bool inside = std::all_of(readers.begin(), readers.end(), [&](int r) { return members.count(r) > 0; });
      if (inside) continue;
      if (value == v) {  // the DequantizeLinear may also feed other groups
        if (std::any_of(readers.begin(), readers.end(), [&](int r) { return r >= 0 && members.count(r) == 0 && IsChainOp(g_.node(r)); })) {
          return std::nullopt;
        }
        continue;
      }
      if (readers.size() != 1 || readers[0] < 0 || !IsQuantize(g_.node(readers[0])) || q_index >= 0) return std::nullopt;
      q_index = readers[0];
      end = value;
    }
    if (q_index < 0) return std::nullopt;
    *chain = ops;
    chain->push_back(q_index);
    *at = ops.back();
    if (Output0(g_.node(ops.back())) != end) throw NoFold{"the chain's last op does not feed the QuantizeLinear"};
    const NodeProto& q = g_.node(q_index);
    CheckConstantParams(dq);
    CheckConstantParams(q);
    const QTensor x{Input(dq, 0), Input(dq, 1), ZeroPoint(dq, TypeOf(Input(dq, 0)))};
    const QTensor y{Output0(q), Input(q, 1), ZeroPoint(q, OutputType(q))};
    const auto per_tensor = [&](const QTensor& t, const char* what) {
      const OnnxTensor& sc = Constant(t.scale, std::string("the chain's ") + what + " scale");
      const OnnxTensor& zp = Constant(t.zero_point, std::string("the chain's ") + what + " zero point");
      if (sc.float_values.size() != 1 || zp.int_values.size() != 1 || !(zp.elem_type == TensorProto::UINT8 || zp.elem_type == TensorProto::INT8)) {
        throw NoFold{std::string("the chain's ") + what + " must be quantized per tensor to uint8 or int8"};
      }
      return std::make_pair(sc.float_values[0], zp.int_values[0]);
    };
    const auto [xs, xz] = per_tensor(x, "input");
    const auto [ys, yz] = per_tensor(y, "output");
    const bool x_signed = Constant(x.zero_point, "the chain's input zero point").elem_type == TensorProto::INT8;
    const bool y_signed = Constant(y.zero_point, "the chain's output zero point").elem_type == TensorProto::INT8;
    // Evaluates the ops in graph order on one real input value, in float32.
    const auto f = [&](float real) {
      std::map<std::string, float> val{{v, real}};
      const auto in = [&](const NodeProto& n, int j, float def) {
        if (Input(n, j).empty()) return def;
        auto it = val.find(n.input(j));
        return it != val.end() ? it->second : *ScalarConstant(n.input(j));
      };
      for (int k : ops) {
        const NodeProto& n = g_.node(k);
        const std::string& op = n.op_type();
        const float a = in(n, 0, 0);
        float r = 0;
        if (op == "Add") r = a + in(n, 1, 0);
        else if (op == "Sub") r = a - in(n, 1, 0);
        else if (op == "Mul") r = a * in(n, 1, 0);
        else if (op == "Div") r = a / in(n, 1, 1);
        else if (op == "Relu") r = std::max(a, 0.0f);
        else if (op == "LeakyRelu") r = a >= 0 ? a : FloatAttr(n, "alpha", 0.01f) * a;
        else if (op == "HardSigmoid") {
          const float scaled = FloatAttr(n, "alpha", 0.2f) * a;  // rounded before the add: no fma
          r = std::max(0.0f, std::min(1.0f, scaled + FloatAttr(n, "beta", 0.5f)));
        } else {  // Clip
          const float inf = std::numeric_limits<float>::infinity();
          const float lo = opset_ < 11 ? FloatAttr(n, "min", -inf) : in(n, 1, -inf);
          const float hi = opset_ < 11 ? FloatAttr(n, "max", inf) : in(n, 2, inf);
          r = std::min(std::max(a, lo), hi);
        }
        val[Output0(n)] = r;
      }
      return val.at(end);
    };
    std::vector<int32_t> table;
    try {
      table = Tabulate(f, xs, xz, x_signed, ys, yz, y_signed);
    } catch (const std::domain_error& e) {
      throw NoFold{e.what()};
    }
    const std::string table_name = y.value + "_npusim_table";
    constants_[table_name] = OnnxTensor{table_name, y_signed ? TensorProto::INT8 : TensorProto::UINT8, {256}, table, {}};
    NodeProto out;
    out.set_name(g_.node(ops.back()).name().empty() ? y.value : g_.node(ops.back()).name());
    out.set_op_type(kLookupOp);
    out.set_domain(kLookupDomain);
    for (const std::string& name : {x.value, x.scale, x.zero_point, y.scale, y.zero_point, table_name}) out.add_input(name);
    out.add_output(y.value);
    return out;
  }

  // The only consumer of `value` (described by `what`); throws otherwise.
  int OnlyConsumer(const std::string& value, const std::string& what) const {
    auto c = consumers_.find(value);
    if (c == consumers_.end() || c->second.size() != 1 || c->second[0] < 0) {
      throw NoFold{"its output \"" + value + "\" must be read only by " + what};
    }
    return c->second[0];
  }

  const NodeProto* Producer(const std::string& value) const {
    auto p = producer_.find(value);
    return p == producer_.end() ? nullptr : &g_.node(p->second);
  }

  bool IsConstant(const std::string& name) const { return constants_.count(name) > 0; }

  // Constant `name` (the group's `what`); a group whose parameter is not a constant cannot be
  // folded (NoFold names it), whatever checks ran before.
  const OnnxTensor& Constant(const std::string& name, const std::string& what) const {
    auto c = constants_.find(name);
    if (c == constants_.end()) throw NoFold{what + " \"" + name + "\" is not a constant"};
    return c->second;
  }

  // The zero point input k of a DequantizeLinear / QuantizeLinear, or (absent) a constant 0 of
  // type `elem`, ONNX's default.
  std::string ZeroPoint(const NodeProto& n, int elem) {
    if (!Input(n, 2).empty()) return n.input(2);
    const std::string name = n.name() + "_npusim_zero_point_" + ElemTypeName(elem);
    constants_[name] = OnnxTensor{name, elem, {}, {0}, {}};
    return name;
  }

  int TypeOf(const std::string& value) const {
    auto c = constants_.find(value);
    if (c != constants_.end()) return c->second.elem_type;
    auto t = types_.find(value);
    return t == types_.end() ? TensorProto::UINT8 : t->second;
  }

  // The scale and zero point of a DequantizeLinear / QuantizeLinear must be constants.
  void CheckConstantParams(const NodeProto& n) const {
    for (int k : {1, 2}) {
      const std::string in = Input(n, k);
      if ((k == 1 || !in.empty()) && (in.empty() || !IsConstant(in))) {
        throw NoFold{"the " + n.op_type() + " \"" + n.name() + "\" has a non-constant " + (k == 1 ? "scale" : "zero point")};
      }
    }
  }

  // Input k of op `n` as the quantized tensor behind its DequantizeLinear.
  QTensor Dequantized(const NodeProto& n, int k, bool constant) {
    const NodeProto* dq = Producer(Input(n, k));
    if (dq == nullptr || !IsDequantize(*dq)) {
      throw NoFold{"input " + std::to_string(k) + " (\"" + Input(n, k) + "\") is not the output of a DequantizeLinear"};
    }
    const std::string q = Input(*dq, 0);
    if (q.empty()) throw NoFold{"the DequantizeLinear \"" + dq->name() + "\" of input " + std::to_string(k) + " has no input"};
    if (IsConstant(q) != constant) {
      throw NoFold{"input " + std::to_string(k) + " must be the DequantizeLinear of " +
                   (constant ? "a constant (weights and biases)" : "a computed tensor (a constant activation is not supported)")};
    }
    CheckConstantParams(*dq);
    if (FindAttr(*dq, "block_size") && IntAttr(*dq, "block_size", 0) != 0) {
      throw NoFold{"blocked quantization (block_size) of input " + std::to_string(k) + " is not supported"};
    }
    return {q, Input(*dq, 1), ZeroPoint(*dq, TypeOf(q))};
  }

  // Weight input k: per-channel scales must lie along `axis` of the (rank-`rank`) weight.
  QTensor Weight(const NodeProto& n, int k, int64_t axis) {
    QTensor w = Dequantized(n, k, true);
    const NodeProto* dq = Producer(Input(n, k));
    const OnnxTensor& wt = Constant(w.value, "weight");
    const OnnxTensor& s = Constant(w.scale, "weight scale");
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
  QTensor Bias(const NodeProto& n, int k) {
    QTensor b = Dequantized(n, k, true);
    if (Constant(b.value, "bias").elem_type != TensorProto::INT32) {
      throw NoFold{"bias \"" + b.value + "\" must be an int32 constant"};
    }
    const OnnxTensor& z = Constant(b.zero_point, "bias zero point");
    if (std::any_of(z.int_values.begin(), z.int_values.end(), [](int32_t v) { return v != 0; })) {
      throw NoFold{"bias \"" + b.value + "\" must have zero point 0"};
    }
    return b;
  }

  // The expected per-channel axis of the weight of `n`.
  static int64_t WeightAxis(const NodeProto& n) {
    if (n.op_type() == "Conv") return 0;
    if (n.op_type() == "Gemm") return IntAttr(n, "transB", 0) != 0 ? 0 : 1;
    return 1;  // MatMul: B [K, N], per column
  }

  NodeProto Fold(int i, const Pattern& p, std::vector<int>* group) {
    const NodeProto& n = g_.node(i);
    if (n.output_size() != 1) throw NoFold{"expected exactly one output"};
    if (n.op_type() == "Gemm") CheckGemm(n);
    // The output chain: [Relu | Clip] -> QuantizeLinear.
    int next = OnlyConsumer(n.output(0), "a QuantizeLinear" + std::string(p.activation ? " (or a Relu / Clip before it)" : ""));
    int act = -1;
    if (p.activation && (g_.node(next).op_type() == "Relu" || g_.node(next).op_type() == "Clip")) {
      act = next;
      next = OnlyConsumer(Output0(g_.node(act)), "a QuantizeLinear");
    }
    const NodeProto& q = g_.node(next);
    if (!IsQuantize(q)) throw NoFold{"its output is read by " + q.op_type() + ", not by a QuantizeLinear"};
    CheckConstantParams(q);

    NodeProto out;
    out.set_name(n.name());
    out.set_op_type(p.q_op);
    out.set_domain(p.q_domain);
    for (const auto& a : n.attribute()) {
      if (a.name() != "beta") *out.add_attribute() = a;
    }
    std::vector<QTensor> ins;
    for (int k = 0; k < n.input_size() && k < static_cast<int>(p.roles.size()); ++k) {
      if (n.input(k).empty()) {
        ins.push_back({});
        continue;
      }
      switch (p.roles[k]) {
        case Role::kAct: ins.push_back(Dequantized(n, k, false)); break;
        case Role::kWeight: ins.push_back(Weight(n, k, WeightAxis(n))); break;
        case Role::kBias: ins.push_back(Bias(n, k)); break;
        case Role::kKeep: ins.push_back({n.input(k), "", ""}); break;
      }
    }
    if (n.input_size() > static_cast<int>(p.roles.size())) throw NoFold{"too many inputs"};
    // Every role but a trailing bias is required (AddInputs reads them all).
    const int required = static_cast<int>(p.roles.size()) - (p.roles.back() == Role::kBias ? 1 : 0);
    if (n.input_size() < required) {
      throw NoFold{"expected at least " + std::to_string(required) + " inputs, got " + std::to_string(n.input_size())};
    }
    const QTensor y{Output0(q), Input(q, 1), ZeroPoint(q, OutputType(q))};
    if (act >= 0) SetActivation(g_.node(act), y, p.q_op == "QLinearAdd", &out);
    AddInputs(p, ins, y, &out);
    out.add_output(y.value);
    group->push_back(next);
    if (act >= 0) group->push_back(act);
    return out;
  }

  // DequantizeLinear of every input -> Concat -> QuantizeLinear => com.microsoft QLinearConcat
  // (Y_scale, Y_zero_point, then each input's triple), as ONNX Runtime's optimizer folds it.
  NodeProto FoldConcat(int i, std::vector<int>* group) {
    const NodeProto& n = g_.node(i);
    if (n.output_size() != 1 || n.input_size() < 1) throw NoFold{"expected one output and at least one input"};
    const int next = OnlyConsumer(n.output(0), "a QuantizeLinear");
    const NodeProto& q = g_.node(next);
    if (!IsQuantize(q)) throw NoFold{"its output is read by " + q.op_type() + ", not by a QuantizeLinear"};
    CheckConstantParams(q);
    NodeProto out;
    out.set_name(n.name());
    out.set_op_type("QLinearConcat");
    out.set_domain("com.microsoft");
    for (const auto& a : n.attribute()) *out.add_attribute() = a;
    const QTensor y{Output0(q), Input(q, 1), ZeroPoint(q, OutputType(q))};
    out.add_input(y.scale);
    out.add_input(y.zero_point);
    for (int k = 0; k < n.input_size(); ++k) {
      const QTensor x = Dequantized(n, k, false);
      out.add_input(x.value);
      out.add_input(x.scale);
      out.add_input(x.zero_point);
    }
    out.add_output(y.value);
    group->push_back(next);
    return out;
  }

  static void CheckGemm(const NodeProto& n) {
    if (IntAttr(n, "transA", 0) != 0) throw NoFold{"transA 1 is not supported"};
    if (FloatAttr(n, "alpha", 1.0f) != 1.0f) throw NoFold{"alpha other than 1 is not supported"};
    if (!Input(n, 2).empty() && FloatAttr(n, "beta", 1.0f) != 1.0f) throw NoFold{"beta other than 1 is not supported"};
  }

  int OutputType(const NodeProto& q) const {
    if (!Input(q, 2).empty()) return TypeOf(q.input(2));
    if (const auto* a = FindAttr(q, "output_dtype"); a && a->i() != 0) return static_cast<int>(a->i());
    return TypeOf(Output0(q));
  }

  // Inputs of the folded node in the QOperator order.
  static void AddInputs(const Pattern& p, const std::vector<QTensor>& ins, const QTensor& y, NodeProto* out) {
    const auto triple = [&](const QTensor& t) {
      out->add_input(t.value);
      out->add_input(t.scale);
      out->add_input(t.zero_point);
    };
    if (p.keeps_quant) {  // MaxPool(xq), Reshape(xq, shape), Flatten(xq)
      for (const QTensor& t : ins) out->add_input(t.value);
      return;
    }
    if (p.op == "Gemm") {  // QGemm: A, a_s, a_zp, B, b_s, b_zp, C, y_s, y_zp
      triple(ins[0]);
      triple(ins[1]);
      out->add_input(ins.size() > 2 ? ins[2].value : "");
      out->add_input(y.scale);
      out->add_input(y.zero_point);
      return;
    }
    // QLinearConv / QLinearMatMul / QLinearAdd: the inputs' triples, then y's, then the bias;
    // the pools: x's triple, then y's scale and zero point.
    const size_t quantized = p.op == "Conv" ? 2 : ins.size();
    for (size_t k = 0; k < quantized; ++k) triple(ins[k]);
    out->add_input(y.scale);
    out->add_input(y.zero_point);
    if (p.op == "Conv" && ins.size() > 2 && !ins[2].value.empty()) out->add_input(ins[2].value);
  }

  float ConstFloat(const std::string& name, float def) const {
    if (name.empty()) return def;
    const std::optional<float> v = ScalarConstant(name);
    if (!v) throw NoFold{"Clip bound \"" + name + "\" must be a float32 constant scalar"};
    return *v;
  }

  // Relu, or Clip [lo, hi], before QuantizeLinear y clamps the quantized output to
  // [Q(lo), Q(hi)] (Q is monotonic, so Q(clip(v)) == clamp(Q(v), Q(lo), Q(hi))). The IR can clamp
  // below at y's qmin or zero point (relu) and above at qmax or the image of 6 (relu6).
  //
  // An Add group is folded only when ONNX Runtime would fold it too: its optimizer fuses
  // DequantizeLinear -> Add -> QuantizeLinear into QLinearAdd after removing a Relu or Clip that the
  // QuantizeLinear's saturation already implies (Relu: y's zero point is qmin; Clip [lo, hi]:
  // lo <= scale * (qmin - zp) + eps and hi >= scale * (qmax - zp) - eps, eps = FLT_EPSILON). Any
  // other Relu / Clip stays, and ONNX Runtime then adds in float32 and rounds before adding the zero
  // point, which npusim's add (QLinearAdd's arithmetic, core/quant.h) does not reproduce at ties.
  void SetActivation(const NodeProto& act, const QTensor& y, bool add, NodeProto* out) const {
    float lo = 0, hi = std::numeric_limits<float>::infinity();
    if (act.op_type() == "Clip") {
      const float inf = std::numeric_limits<float>::infinity();
      if (opset_ < 11) {
        lo = FloatAttr(act, "min", -inf);
        hi = FloatAttr(act, "max", inf);
      } else {
        lo = ConstFloat(Input(act, 1), -inf);
        hi = ConstFloat(Input(act, 2), inf);
      }
    }
    const OnnxTensor& s = Constant(y.scale, "output scale");
    const OnnxTensor& z = Constant(y.zero_point, "output zero point");
    if (s.float_values.size() != 1 || z.int_values.size() != 1) throw NoFold{"the QuantizeLinear must be per tensor"};
    const float scale = s.float_values[0];
    const int32_t zp = z.int_values[0];
    const bool is_signed = z.elem_type == TensorProto::INT8;
    const int64_t qmin = is_signed ? -128 : 0, qmax = is_signed ? 127 : 255;
    const auto quantize = [&](float v) {
      const double r = static_cast<double>(core::RoundHalfEven(v / scale)) + zp;
      return static_cast<int64_t>(std::clamp<double>(r, static_cast<double>(qmin), static_cast<double>(qmax)));
    };
    if (add) {
      const float eps = std::numeric_limits<float>::epsilon();
      const float lower = scale * static_cast<float>(qmin - zp);
      const float upper = scale * static_cast<float>(qmax - zp);
      const bool removed = act.op_type() == "Relu" ? zp == qmin : !(eps < lo - lower || eps < upper - hi);
      if (!removed) {
        std::ostringstream m;
        m << act.op_type() << " [" << lo << ", " << hi << "] between Add and QuantizeLinear (scale " << scale
          << ", zero point " << zp << ", real range [" << lower << ", " << upper
          << "]) is not implied by the QuantizeLinear, so ONNX Runtime keeps it and adds in float32 instead of "
             "fusing a QLinearAdd; npusim's add reproduces QLinearAdd only (docs/onnx.md)";
        throw NoFold{m.str()};
      }
    }
    const int64_t qlo = quantize(lo), qhi = quantize(hi);
    const auto relu = core::ActivationRange(core::Activation::kRelu, scale, zp, qmin, qmax);
    const auto relu6 = core::ActivationRange(core::Activation::kRelu6, scale, zp, qmin, qmax);
    std::string name;
    if (qlo == qmin && qhi == qmax) {
      name = "";
    } else if (qlo == relu.first && qhi == relu.second) {
      name = "relu";
    } else if (qlo == relu6.first && qhi == relu6.second) {
      name = "relu6";
    } else {
      std::ostringstream m;
      m << act.op_type() << " [" << lo << ", " << hi << "] before QuantizeLinear (scale " << scale << ", zero point "
        << zp << ") clamps the output to [" << qlo << ", " << qhi << "]; npusim's fused activations clamp to ["
        << qmin << ", " << qmax << "] (none), [" << relu.first << ", " << relu.second << "] (relu) or ["
        << relu6.first << ", " << relu6.second << "] (relu6)";
      throw NoFold{m.str()};
    }
    if (name.empty()) return;
    auto* a = out->add_attribute();
    a->set_name(kActivationAttr);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(name);
  }

  const onnx::GraphProto& g_;
  std::map<std::string, OnnxTensor>& constants_;
  const std::map<std::string, int>& types_;
  int64_t opset_;
  std::map<std::string, int> producer_;
  std::map<std::string, std::vector<int>> consumers_;
  std::vector<bool> in_chain_;  // ops and QuantizeLinear nodes of a chain folded into a lookup
  QdqFoldResult result_;
};

}  // namespace

std::vector<int32_t> Tabulate(const std::function<float(float)>& f, float x_scale, int32_t x_zp, bool x_signed,
                              float y_scale, int32_t y_zp, bool y_signed) {
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

// Quantized ONNX (QOperator or QDQ form) -> graph IR. Steps, in order: load and check opsets;
// collect constants (initializers, Constant nodes, Transposes of constants, inputs bound by the
// caller); fold QDQ groups into QOperator nodes (qdq_fold.h); check every node against the
// supported table and report all unsupported ones at once; infer each activation's quantization
// from the QLinear nodes that read or write it (propagated through MaxPool/Reshape/Flatten/
// Identity, which keep it); convert node by node, NCHW -> NHWC.
#include "importer/onnx_import.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/json_util.h"
#include "importer/onnx_node.h"
#include "importer/onnx_tensor.h"
#include "importer/qdq_fold.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

constexpr int64_t kMinOpset = 10;
constexpr int64_t kMaxOpset = 21;

// Product of v[from .. to).
int64_t Product(const std::vector<int64_t>& v, int64_t from, int64_t to) {
  int64_t p = 1;
  for (int64_t i = from; i < to; ++i) p *= v.at(i);
  return p;
}
int64_t Product(const std::vector<int64_t>& v) { return Product(v, 0, static_cast<int64_t>(v.size())); }

// IR shape of an ONNX activation shape: rank 4 is NCHW -> NHWC, others keep their order.
std::vector<int64_t> IrShape(const std::vector<int64_t>& s) {
  if (s.size() != 4) return s;
  return {s[0], s[2], s[3], s[1]};
}

// True when NCHW and NHWC order the elements alike (C == 1 or H * W == 1), or rank != 4.
bool OrderTrivial(const std::vector<int64_t>& s) {
  return s.size() != 4 || s[1] == 1 || s[2] * s[3] == 1;
}

bool IsQuantType(int t) { return t == TensorProto::UINT8 || t == TensorProto::INT8; }

// What the importer accepts of one op: input count, which inputs must be constants and which
// must be activations (computed by earlier nodes or network inputs).
struct OpSpec {
  std::string domain, op;
  int min_inputs, max_inputs;
  std::vector<int> const_inputs, act_inputs;
  std::vector<int> optional_inputs;  // may be absent or ""
};

const std::vector<OpSpec>& SupportedOps() {
  static const std::vector<OpSpec> ops = {
      {"ai.onnx", "QLinearConv", 8, 9, {1, 2, 3, 4, 5, 6, 7, 8}, {0}, {8}},
      {"ai.onnx", "QLinearMatMul", 8, 8, {1, 2, 3, 4, 5, 6, 7}, {0}, {}},
      {"com.microsoft", "QLinearAdd", 7, 8, {1, 2, 4, 5, 6, 7}, {0, 3}, {2, 5, 7}},
      {"com.microsoft", "QLinearMul", 7, 8, {1, 2, 4, 5, 6, 7}, {0, 3}, {2, 5, 7}},
      {"com.microsoft", "QLinearLeakyRelu", 4, 5, {1, 2, 3, 4}, {0}, {2, 4}},
      // variadic (VariadicInputs): Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input
      {"com.microsoft", "QLinearConcat", 5, 2 + 3 * 64, {0, 1}, {2}, {}},
      {"ai.onnx", "Concat", 1, 64, {}, {0}, {}},  // of quantized tensors as they are
      // an elementwise QDQ chain folded into a table (qdq_fold.h); never in a model file
      {kLookupDomain, kLookupOp, 6, 6, {1, 2, 3, 4, 5}, {0}, {}},
      {"com.microsoft", "QLinearGlobalAveragePool", 5, 5, {1, 2, 3, 4}, {0}, {}},
      {"com.microsoft", "QLinearAveragePool", 4, 5, {1, 2, 3, 4}, {0}, {2, 4}},
      {"com.microsoft", "QGemm", 9, 9, {1, 2, 3, 4, 5, 6, 7, 8}, {0}, {6}},
      // int32 accumulator outputs (docs/onnx.md, "ConvInteger and MatMulInteger")
      {"ai.onnx", "ConvInteger", 2, 4, {1, 2, 3}, {0}, {2, 3}},
      {"ai.onnx", "MatMulInteger", 2, 4, {1, 2, 3}, {0}, {2, 3}},
      {"ai.onnx", "MaxPool", 1, 1, {}, {0}, {}},
      {"ai.onnx", "Reshape", 2, 2, {1}, {0}, {}},
      {"ai.onnx", "Flatten", 1, 1, {}, {0}, {}},
      {"ai.onnx", "Identity", 1, 1, {}, {0}, {}},
      {"ai.onnx", "Constant", 0, 0, {}, {}, {}},
      {"ai.onnx", "Transpose", 1, 1, {0}, {}, {}},  // of a constant, folded up front
  };
  return ops;
}

// The constant and the activation inputs of `n`: the spec's, with every further input of a
// variadic op (Concat: all activations; QLinearConcat: X activations, their scale and zero point
// constants).
std::pair<std::vector<int>, std::vector<int>> InputRoles(const NodeProto& n, const OpSpec& spec) {
  std::vector<int> consts = spec.const_inputs, acts = spec.act_inputs;
  if (n.op_type() == "Concat") {
    acts.clear();
    for (int k = 0; k < n.input_size(); ++k) acts.push_back(k);
  } else if (n.op_type() == "QLinearConcat") {
    acts.clear();
    for (int k = 2; k < n.input_size(); k += 3) {
      acts.push_back(k);
      consts.push_back(k + 1);
      consts.push_back(k + 2);
    }
  }
  return {consts, acts};
}

const OpSpec* FindSpec(const NodeProto& n) {
  for (const OpSpec& s : SupportedOps()) {
    if (s.domain == Domain(n) && s.op == n.op_type()) return &s;
  }
  return nullptr;
}

struct Quant {
  float scale = 1;
  int32_t zero_point = 0;
  bool is_signed = false;
  std::string source;  // the node that declared it, for conflict messages
  bool operator==(const Quant& o) const {
    return std::memcmp(&scale, &o.scale, sizeof scale) == 0 && zero_point == o.zero_point &&
           is_signed == o.is_signed;
  }
};

std::string QuantString(const Quant& q) {
  std::ostringstream s;
  s.precision(9);
  s << (q.is_signed ? "int8" : "uint8") << " scale " << q.scale << " zero point " << q.zero_point;
  return s.str();
}

// An ONNX value that has an IR tensor.
struct Value {
  std::string ir;
  std::vector<int64_t> shape;  // ONNX shape
};

class Importer {
 public:
  Importer(const std::string& path, const ImportOptions& options)
      : path_(path), options_(options), problems_(path) {}

  OnnxModel Run() {
    Load();
    CheckOpsets();
    CollectConstants();
    problems_.ThrowIfAny();
    types_ = DeclaredTypes();
    FoldQdq();
    CheckNodes();
    problems_.ThrowIfAny();
    InferQuant();
    AddGraphInputs();
    for (const IndexedNode& n : nodes_) ConvertNode(n.index, n.node);
    AddGraphOutputs();
    problems_.ThrowIfAny();
    if (g_.ops.empty()) problems_.Add("/graph", "the graph computes nothing (no node becomes an npusim op)");
    problems_.ThrowIfAny();
    g_.model_io = std::move(io_);
    return OnnxModel{std::move(g_)};
  }

 private:
  // ---- loading and up-front checks ----

  void Load() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw core::ConfigError(path_, "", "cannot open the file");
    std::stringstream buf;
    buf << in.rdbuf();
    if (!model_.ParseFromString(buf.str())) {
      throw core::ConfigError(path_, "", "not an ONNX model (cannot parse it as onnx.ModelProto)");
    }
    g_.name = model_.graph().name();
    if (g_.name.empty()) {
      const size_t slash = path_.find_last_of('/');
      g_.name = path_.substr(slash == std::string::npos ? 0 : slash + 1);
    }
  }

  void CheckOpsets() {
    for (int k = 0; k < model_.opset_import_size(); ++k) {
      const auto& o = model_.opset_import(k);
      if (!o.domain().empty() && o.domain() != "ai.onnx") continue;
      if (o.version() < kMinOpset || o.version() > kMaxOpset) {
        problems_.Add("/opset_import/" + std::to_string(k),
                      "default-domain opset " + std::to_string(o.version()) + " is not supported (expected " +
                          std::to_string(kMinOpset) + ".." + std::to_string(kMaxOpset) + ")");
      }
    }
  }

  void AddConstant(const TensorProto& t, const std::string& name, const std::string& where) {
    if (name.empty()) {
      problems_.Add(where, "a constant without a name (an empty name means an absent input in ONNX)");
      return;
    }
    OnnxTensor v;
    const std::string err = DecodeTensor(t, &v);
    if (!err.empty()) {
      problems_.Add(where, "tensor \"" + name + "\" " + err);
      return;
    }
    v.name = name;
    constants_[name] = std::move(v);
  }

  void CollectConstants() {
    const auto& graph = model_.graph();
    for (int k = 0; k < graph.initializer_size(); ++k) {
      AddConstant(graph.initializer(k), graph.initializer(k).name(), "/graph/initializer/" + std::to_string(k));
    }
    for (const auto& [name, t] : options_.constants) constants_[name] = t;
    for (int i = 0; i < graph.node_size(); ++i) {
      const NodeProto& n = graph.node(i);
      if (Domain(n) != "ai.onnx" || n.output_size() != 1) continue;
      if (n.op_type() == "Transpose" && n.input_size() == 1 && IsConstant(n.input(0))) {
        TransposeConstant(i, n);
        continue;
      }
      if (n.op_type() != "Constant") continue;
      if (const auto* a = FindAttr(n, "value"); a && a->has_t()) {
        AddConstant(a->t(), n.output(0), NodePointer(i));
      } else if (const auto* ints = FindAttr(n, "value_ints"); ints && !n.output(0).empty()) {
        OnnxTensor v{n.output(0), TensorProto::INT64, {ints->ints_size()}, {}, {}};
        for (int64_t x : ints->ints()) v.int_values.push_back(static_cast<int32_t>(x));
        constants_[v.name] = v;
      }
    }
  }

  // A Transpose of a constant (e.g. of a weight exported as [K, N] for a [N, K] use) is folded.
  void TransposeConstant(int i, const NodeProto& n) {
    OnnxTensor t = ConstantInput(i, n, 0);
    const int64_t rank = static_cast<int64_t>(t.dims.size());
    std::vector<int64_t> perm = IntsAttr(n, "perm", {});
    if (perm.empty()) {
      for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
    }
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t d = 0; d < static_cast<int64_t>(sorted.size()); ++d) {
      if (sorted[d] != d || static_cast<int64_t>(sorted.size()) != rank) {
        NodeProblem(i, n, "perm " + core::ShapeString(perm) + " is not a permutation of " + std::to_string(rank) + " dimensions");
        return;
      }
    }
    // Permute the element indices, then gather (works alike for integer and float values).
    std::vector<int32_t> index(static_cast<size_t>(t.elements()));
    for (size_t k = 0; k < index.size(); ++k) index[k] = static_cast<int32_t>(k);
    const std::vector<int> p(perm.begin(), perm.end());
    const std::vector<int32_t> from = Permute(index, t.dims, p);
    OnnxTensor out = t;
    out.name = n.output(0);
    for (int64_t d = 0; d < rank; ++d) out.dims[d] = t.dims[perm[d]];
    for (size_t k = 0; k < from.size(); ++k) {
      if (!t.int_values.empty()) out.int_values[k] = t.int_values[from[k]];
      if (!t.float_values.empty()) out.float_values[k] = t.float_values[from[k]];
    }
    constants_[out.name] = std::move(out);
  }

  // The QDQ form becomes the QOperator form; from here on the importer reads nodes_.
  void FoldQdq() {
    int64_t opset = kMaxOpset;
    for (const auto& o : model_.opset_import()) {
      if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
    }
    QdqFoldResult r = importer::FoldQdq(model_.graph(), &constants_, types_, opset);
    nodes_ = std::move(r.nodes);
    absorbed_ = std::move(r.absorbed);
    refused_ = std::move(r.refused);
    input_quantized_ = std::move(r.input_quantized);
    output_quantized_ = std::move(r.output_quantized);
  }

  std::string NodePointer(int i) const { return "/graph/node/" + std::to_string(i); }

  std::string NodeLabel(const NodeProto& n) const {
    return "node \"" + n.name() + "\" (op " + n.op_type() + ", domain " + Domain(n) + ")";
  }

  void NodeProblem(int i, const NodeProto& n, const std::string& message) {
    problems_.Add(NodePointer(i), NodeLabel(n) + ": " + message);
  }

  bool IsConstant(const std::string& name) const { return constants_.count(name) > 0; }

  // Reports a problem of node i and throws every problem found so far. For lookups that earlier
  // checks should have made safe: a malformed model that slips past them still reaches the user
  // as the importer's own error (node, op type, what is missing), never as std::out_of_range.
  [[noreturn]] void Fail(int i, const NodeProto& n, const std::string& message) {
    NodeProblem(i, n, message);
    problems_.ThrowIfAny();
    throw std::logic_error("ProblemList::ThrowIfAny did not throw");
  }

  // Constant `name`, which node i reads as `what`. Every lookup of a model's name goes through
  // ConstantNamed, ConstantInput or ValueInput.
  const OnnxTensor& ConstantNamed(int i, const NodeProto& n, const std::string& name, const std::string& what) {
    auto it = constants_.find(name);
    if (it != constants_.end()) return it->second;
    Fail(i, n, what + (name.empty() ? " is absent" : " \"" + name + "\" is not a constant") +
                   " (expected an initializer or a Constant node)");
  }
  const OnnxTensor& ConstantInput(int i, const NodeProto& n, int k) {
    return ConstantNamed(i, n, Input(n, k), "input " + std::to_string(k));
  }

  // The activation node i reads as input k (a graph input or an earlier node's output).
  const Value& ValueInput(int i, const NodeProto& n, int k) {
    const std::string name = Input(n, k);
    auto it = values_.find(name);
    if (it != values_.end()) return it->second;
    Fail(i, n, "input " + std::to_string(k) + (name.empty() ? " is absent" : " (\"" + name + "\") is not computed") +
                   " (expected a graph input or an earlier node's output)");
  }

  // Everything that can be decided without shapes, for every node, before any conversion.
  void CheckNodes() {
    for (const auto& [i, n] : nodes_) {
      const OpSpec* spec = FindSpec(n);
      auto refused = refused_.find(i);
      if (spec == nullptr || refused != refused_.end()) {
        NodeProblem(i, n, refused != refused_.end() ? refused->second : UnsupportedReason(n));
        continue;
      }
      for (const std::string& issue : StaticIssues(n, *spec)) NodeProblem(i, n, issue);
    }
  }

  static std::string UnsupportedReason(const NodeProto& n) {
    if (n.op_type() == "QLinearSigmoid" || n.op_type() == "Sigmoid") {
      return "unsupported op (ONNX Runtime computes the logistic with its own approximation, which npusim's "
             "lookup tables would have to reproduce)";
    }
    return "unsupported op";
  }

  std::vector<std::string> StaticIssues(const NodeProto& n, const OpSpec& spec) const {
    std::vector<std::string> issues;
    if (n.input_size() < spec.min_inputs || n.input_size() > spec.max_inputs) {
      issues.push_back("expected " + std::to_string(spec.min_inputs) + ".." + std::to_string(spec.max_inputs) +
                       " inputs, got " + std::to_string(n.input_size()));
      return issues;
    }
    if (n.op_type() == "QLinearConcat" && (n.input_size() - 2) % 3 != 0) {
      issues.push_back("expected Y_scale, Y_zero_point and then (X, X_scale, X_zero_point) triples, got " +
                       std::to_string(n.input_size()) + " inputs");
      return issues;
    }
    const auto [const_inputs, act_inputs] = InputRoles(n, spec);
    int outputs = 0;
    for (const std::string& o : n.output()) outputs += o.empty() ? 0 : 1;
    if (outputs != 1 || n.output(0).empty()) issues.push_back("expected exactly one output (the first)");
    for (int k : const_inputs) {
      const std::string in = Input(n, k);
      const bool optional = std::count(spec.optional_inputs.begin(), spec.optional_inputs.end(), k) > 0;
      if (in.empty() && !optional) issues.push_back("input " + std::to_string(k) + " is required");
      if (!in.empty() && !IsConstant(in)) {
        issues.push_back("input " + std::to_string(k) + " (\"" + in +
                         "\") must be a constant (an initializer or a Constant node)");
      }
    }
    for (int k : act_inputs) {
      if (IsConstant(Input(n, k))) {
        issues.push_back("input " + std::to_string(k) + " (\"" + Input(n, k) +
                         "\") is a constant; constant activations are not supported");
      }
    }
    AttributeIssues(n, &issues);
    return issues;
  }

  static void AttributeIssues(const NodeProto& n, std::vector<std::string>* issues) {
    const std::string& op = n.op_type();
    if (op == "QLinearConv" || op == "ConvInteger" || op == "MaxPool") {
      const std::string ap = StringAttr(n, "auto_pad", "NOTSET");
      if (ap != "NOTSET" && ap != "VALID" && ap != "SAME_UPPER" && ap != "SAME_LOWER") {
        issues->push_back("auto_pad \"" + ap + "\" is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
      }
    }
    if (op == "MaxPool") {
      if (IntAttr(n, "ceil_mode", 0) != 0) issues->push_back("ceil_mode 1 is not supported (floor only)");
      for (int64_t d : IntsAttr(n, "dilations", {})) {
        if (d != 1) issues->push_back("dilations other than 1 are not supported for MaxPool");
      }
    }
    if (op == "QGemm") {
      if (IntAttr(n, "transA", 0) != 0) issues->push_back("transA 1 is not supported");
      if (FloatAttr(n, "alpha", 1.0f) != 1.0f) issues->push_back("alpha other than 1 is not supported");
    }
    if (op == "QLinearAveragePool") {
      if (IntAttr(n, "ceil_mode", 0) != 0) issues->push_back("ceil_mode 1 is not supported (floor only)");
      for (int64_t d : IntsAttr(n, "dilations", {})) {
        if (d != 1) issues->push_back("dilations other than 1 are not supported for AveragePool");
      }
      const std::string ap = StringAttr(n, "auto_pad", "NOTSET");
      if (ap != "NOTSET" && ap != "VALID" && ap != "SAME_UPPER" && ap != "SAME_LOWER") {
        issues->push_back("auto_pad \"" + ap + "\" is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
      }
    }
    if ((op == "QLinearGlobalAveragePool" || op == "QLinearAveragePool") && IntAttr(n, "channels_last", 0) != 0) {
      issues->push_back("channels_last 1 is not supported (NCHW input expected)");
    }
    if (op == "Constant" && !FindAttr(n, "value") && !FindAttr(n, "value_ints")) {
      issues->push_back("only the \"value\" and \"value_ints\" forms of Constant are supported");
    }
  }

  // ---- quantization of activations ----

  // Known ONNX element types of values (graph inputs, outputs, value_info).
  std::map<std::string, int> DeclaredTypes() const {
    std::map<std::string, int> types;
    const auto& g = model_.graph();
    for (const auto* list : {&g.input(), &g.output(), &g.value_info()}) {
      for (const auto& v : *list) {
        if (v.type().has_tensor_type()) types[v.name()] = v.type().tensor_type().elem_type();
      }
    }
    return types;
  }

  // The quantization a node states for `value` through its scale and zero-point inputs.
  void Declare(int i, const NodeProto& n, int value_k, int scale_k, int zp_k) {
    const std::string value = value_k < 0 ? (n.output_size() > 0 ? n.output(0) : "") : Input(n, value_k);
    const auto scale_it = constants_.find(Input(n, scale_k));
    if (value.empty() || scale_it == constants_.end()) {
      NodeProblem(i, n, "expected a value and a scale that is a constant initializer (input " +
                            std::to_string(scale_k) + ")");
      return;
    }
    const OnnxTensor& s = scale_it->second;
    const std::string zp_name = Input(n, zp_k);
    Quant q;
    q.source = n.name();
    if (s.elem_type != TensorProto::FLOAT || s.float_values.size() != 1) {
      NodeProblem(i, n, "scale \"" + s.name + "\" of \"" + value +
                            "\": expected one float32 value (activations are quantized per tensor)");
      return;
    }
    q.scale = s.float_values[0];
    if (!(q.scale > 0) || !std::isfinite(q.scale)) {
      NodeProblem(i, n, "scale \"" + s.name + "\" must be a positive finite float32");
      return;
    }
    if (ReadZeroPoint(i, n, value, zp_name, &q)) Merge(value, q, i, n);
  }

  // Zero point (and with it the signedness) of activation `value` from constant `zp_name`; false
  // (reported) if it is not one uint8 or int8 value.
  bool ReadZeroPoint(int i, const NodeProto& n, const std::string& value, const std::string& zp_name, Quant* q) {
    if (zp_name.empty()) {
      // No zero point: 0, of the value's own type (uint8 when nothing says otherwise, as in ONNX):
      // as declared, else as the node that quantizes it states, else as its source through
      // MaxPool / Reshape / Flatten / Identity.
      std::string v = value;
      for (int hops = 0; hops < 1000; ++hops) {
        if (auto t = types_.find(v); t != types_.end()) {
          q->is_signed = t->second == TensorProto::INT8;
          return true;
        }
        if (auto known = quant_.find(v); known != quant_.end()) {
          q->is_signed = known->second.is_signed;
          return true;
        }
        const NodeProto* p = nullptr;
        for (const auto& [k, node] : nodes_) {
          if (node.output_size() > 0 && node.output(0) == v) p = &node;
        }
        if (p == nullptr || p->input_size() == 0) break;
        const std::string& op = p->op_type();
        if (op == "QuantizeLinear" || op == "QLinearConv" || op == "QLinearMatMul") {
          // their output zero point input states the type
          const std::string zp = Input(*p, op == "QuantizeLinear" ? 2 : 7);
          if (auto z = constants_.find(zp); z != constants_.end()) q->is_signed = z->second.elem_type == TensorProto::INT8;
          return true;
        }
        if (op != "MaxPool" && op != "Reshape" && op != "Flatten" && op != "Identity") break;
        v = p->input(0);
      }
      q->is_signed = false;
      return true;
    }
    const OnnxTensor& z = ConstantNamed(i, n, zp_name, "zero point");
    if (!IsQuantType(z.elem_type) || z.int_values.size() != 1) {
      NodeProblem(i, n, "zero point \"" + zp_name + "\" of \"" + value + "\": expected one uint8 or int8 value " +
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
    NodeProblem(i, n, "tensor \"" + value + "\" has zero point " + std::to_string(q.zero_point) + " (" +
                          (q.is_signed ? "int8" : "uint8") + ") here but is quantized as " +
                          QuantString(it->second) + " by node \"" + it->second.source + "\"");
  }

  void Merge(const std::string& value, const Quant& q, int i, const NodeProto& n) {
    auto it = quant_.find(value);
    if (it == quant_.end()) {
      quant_[value] = q;
      changed_ = true;
      return;
    }
    if (it->second == q) return;
    NodeProblem(i, n, "tensor \"" + value + "\" is quantized as " + QuantString(q) + " here but as " +
                          QuantString(it->second) + " by node \"" + it->second.source + "\"");
  }

  void InferQuant() {
    // What folded QDQ groups read and write, as their DequantizeLinear / QuantizeLinear state it
    // (MaxPool, Reshape and Flatten groups have no scale inputs of their own).
    for (const auto& [i, n] : absorbed_) {
      if (n.op_type() == "QuantizeLinear") Declare(i, n, -1, 1, 2);
      if (n.op_type() == "DequantizeLinear" && !IsConstant(Input(n, 0))) Declare(i, n, 0, 1, 2);
    }
    for (const auto& [i, n] : nodes_) {
      const std::string& op = n.op_type();
      if (op == "QLinearConv" || op == "QLinearMatMul") {
        Declare(i, n, 0, 1, 2);
        Declare(i, n, -1, 6, 7);
      } else if (op == "QLinearConcat") {
        Declare(i, n, -1, 0, 1);
        for (int k = 2; k + 2 < n.input_size(); k += 3) Declare(i, n, k, k + 1, k + 2);
      } else if (op == "QLinearLeakyRelu" || op == kLookupOp) {
        Declare(i, n, 0, 1, 2);
        Declare(i, n, -1, 3, 4);
      } else if (op == "QLinearAdd" || op == "QLinearMul") {
        Declare(i, n, 0, 1, 2);
        Declare(i, n, 3, 4, 5);
        Declare(i, n, -1, 6, 7);
      } else if (op == "QLinearGlobalAveragePool" || op == "QLinearAveragePool") {
        Declare(i, n, 0, 1, 2);
        Declare(i, n, -1, 3, 4);
      } else if (op == "QGemm") {
        Declare(i, n, 0, 1, 2);
        Declare(i, n, -1, 7, 8);
      }
    }
    Propagate();
    // After the nodes that state scales, so that an input they quantize keeps its scale.
    for (const auto& [i, n] : nodes_) {
      if (IsIntegerOp(n)) DeclareZeroPoint(i, n, 2);
    }
    Propagate();
  }

  // MaxPool, Reshape, Flatten and Identity keep the quantization: propagate both ways.
  void Propagate() {
    changed_ = true;
    while (changed_) {
      changed_ = false;
      for (const auto& [i, n] : nodes_) {
        const std::string& op = n.op_type();
        if (op == "Concat") {  // every input and the output alike
          const Quant* known = nullptr;
          if (auto it = quant_.find(n.output(0)); it != quant_.end()) known = &it->second;
          for (int k = 0; k < n.input_size() && !known; ++k) {
            if (auto it = quant_.find(n.input(k)); it != quant_.end()) known = &it->second;
          }
          if (!known) continue;
          const Quant q = *known;
          for (int k = -1; k < n.input_size(); ++k) {
            const std::string& v = k < 0 ? n.output(0) : n.input(k);
            auto it = quant_.find(v);
            if (it == quant_.end()) {
              Merge(v, q, i, n);
            } else if (!(it->second == q)) {
              NodeProblem(i, n, "tensor \"" + v + "\" is " + QuantString(it->second) + " but another input or the output is " +
                                    QuantString(q) + "; Concat of quantized tensors cannot requantize (QLinearConcat can)");
              quant_[v] = q;  // report once
            }
          }
          continue;
        }
        if (op != "MaxPool" && op != "Reshape" && op != "Flatten" && op != "Identity") continue;
        auto in = quant_.find(n.input(0));
        auto out = quant_.find(n.output(0));
        if (in != quant_.end() && out == quant_.end()) {
          Merge(n.output(0), in->second, i, n);
        } else if (in == quant_.end() && out != quant_.end()) {
          Merge(n.input(0), out->second, i, n);
        } else if (in != quant_.end() && !(in->second == out->second)) {
          NodeProblem(i, n, "input is " + QuantString(in->second) + " but output is " + QuantString(out->second) +
                                "; " + op + " cannot requantize");
          quant_[n.output(0)] = in->second;  // report once
        }
      }
    }
  }

  // ---- IR tensors ----

  // An ONNX name with only the characters IR names use (A-Z a-z 0-9 _ . : -), others as '_'.
  static std::string Sanitized(std::string s) {
    for (char& c : s) {
      const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-';
      if (!ok) c = '_';
    }
    return s;
  }

  std::string IrName(const std::string& onnx_name) {
    const std::string s = Sanitized(onnx_name.empty() ? "t" : onnx_name);
    std::string name = s;
    for (int k = 2; g_.tensors.count(name); ++k) name = s + "_" + std::to_string(k);
    return name;
  }

  core::TensorInfo& AddTensor(const std::string& onnx_name, std::vector<int64_t> ir_shape) {
    core::TensorInfo t;
    t.name = IrName(onnx_name);
    t.shape = std::move(ir_shape);
    return g_.tensors[t.name] = t;
  }

  // An activation tensor for ONNX value `name` of ONNX shape `shape`, with its inferred quantization.
  const Value* AddActivation(const std::string& name, const std::vector<int64_t>& shape, const std::string& where,
                             const std::string& who) {
    auto q = quant_.find(name);
    if (q == quant_.end()) {
      problems_.Add(where, who + ": tensor \"" + name + "\" has no quantization (no QLinear node reads or writes it)");
      return nullptr;
    }
    core::TensorInfo& t = AddTensor(name, IrShape(shape));
    t.bits = 8;
    t.is_signed = q->second.is_signed;
    t.quant.scales = {q->second.scale};
    t.quant.zero_points = {q->second.zero_point};
    return &(values_[name] = Value{t.name, shape});
  }

  void AddGraphInputs() {
    const auto& graph = model_.graph();
    for (int k = 0; k < graph.input_size(); ++k) {
      const auto& in = graph.input(k);
      if (IsConstant(in.name())) continue;
      const std::string where = "/graph/input/" + std::to_string(k);
      // A float input's network input is the value its QuantizeLinear makes (qdq_fold.h).
      auto edge = input_quantized_.find(in.name());
      const std::string value = edge != input_quantized_.end() ? edge->second : in.name();
      std::vector<int64_t> shape;
      const Value* v = nullptr;
      if (InputShape(in, where, edge != input_quantized_.end(), &shape)) {
        v = AddActivation(value, shape, where, "graph input \"" + in.name() + "\"");
      }
      if (v == nullptr) {
        broken_.insert(value);
        continue;
      }
      g_.inputs.push_back(v->ir);
      io_.inputs.push_back(Edge(in.name(), *v, edge != input_quantized_.end()));
    }
  }

  // `real`: a float32 input that a QuantizeLinear quantizes (its type was checked then).
  bool InputShape(const onnx::ValueInfoProto& in, const std::string& where, bool real, std::vector<int64_t>* shape) {
    const std::string who = "graph input \"" + in.name() + "\"";
    if (!in.type().has_tensor_type() || (!real && !IsQuantType(in.type().tensor_type().elem_type()))) {
      problems_.Add(where, who + ": expected a uint8 or int8 tensor, got " +
                               ElemTypeName(in.type().tensor_type().elem_type()));
      return false;
    }
    const auto& dims = in.type().tensor_type().shape().dim();
    for (int d = 0; d < dims.size(); ++d) {
      if (dims[d].has_dim_value() && dims[d].dim_value() >= 1) {
        shape->push_back(dims[d].dim_value());
      } else if (d == 0) {
        shape->push_back(1);  // a symbolic batch: npusim runs batch 1
      } else {
        problems_.Add(where, who + ": dimension " + std::to_string(d) + " is not a fixed size >= 1");
        return false;
      }
    }
    if (shape->empty() || shape->size() > 4) {
      problems_.Add(where, who + ": expected rank 1..4, got " + std::to_string(shape->size()));
      return false;
    }
    return true;
  }

  // `real`: a float32 ONNX tensor whose IR tensor holds its quantized values (a float edge).
  core::ModelTensor Edge(const std::string& onnx_name, const Value& v, bool real) const {
    return core::ModelTensor{onnx_name, v.ir, v.shape, core::NchwToNhwcPerm(v.shape.size()),
                             real ? "float32" : core::IntegerDtype(g_.tensor(v.ir))};
  }

  void AddGraphOutputs() {
    const auto& graph = model_.graph();
    for (int k = 0; k < graph.output_size(); ++k) {
      const std::string& name = graph.output(k).name();
      // A float output's network output is the tensor its DequantizeLinear reads (qdq_fold.h).
      auto edge = output_quantized_.find(name);
      const std::string value = edge != output_quantized_.end() ? edge->second : name;
      auto v = values_.find(value);
      if (v == values_.end()) {
        if (!broken_.count(value)) {
          problems_.Add("/graph/output/" + std::to_string(k), "graph output \"" + name + "\" is not computed by any node");
        }
        continue;  // else its producer was refused (already reported)
      }
      if (std::find(g_.inputs.begin(), g_.inputs.end(), v->second.ir) != g_.inputs.end()) {
        problems_.Add("/graph/output/" + std::to_string(k),
                      "graph output \"" + name + "\" is a graph input; no op computes it");
        continue;
      }
      // The same tensor listed again (or a quantized tensor and its DequantizeLinear copy) is one
      // IR output; the host writes each ONNX output from it.
      if (std::find(g_.outputs.begin(), g_.outputs.end(), v->second.ir) == g_.outputs.end()) {
        g_.outputs.push_back(v->second.ir);
      }
      io_.outputs.push_back(Edge(name, v->second, edge != output_quantized_.end()));
    }
  }

  bool IsGraphOutput(const std::string& name) const {
    for (const auto& o : model_.graph().output()) {
      if (o.name() == name) return true;
    }
    return false;
  }

  // ---- conversion ----

  void ConvertNode(int i, const NodeProto& n) {
    const std::string& op = n.op_type();
    if (op == "Constant" || op == "Transpose") return;  // folded into constants up front
    for (int k : InputRoles(n, *FindSpec(n)).second) {
      if (auto v = values_.find(n.input(k)); v != values_.end() && g_.tensor(v->second.ir).bits == 32) {
        NodeProblem(i, n, "input \"" + n.input(k) + "\" is the int32 output of a ConvInteger / MatMulInteger, "
                              "which npusim writes only as a graph output (no npusim op reads a 32-bit tensor)");
        broken_.insert(n.output(0));
        return;
      }
      if (values_.count(n.input(k))) continue;
      // An input whose producer was refused is reported already; any other is dangling.
      if (!broken_.count(n.input(k))) {
        NodeProblem(i, n, "input \"" + n.input(k) + "\" is neither a graph input nor computed by an earlier node");
      }
      broken_.insert(n.output(0));
      return;
    }
    core::Op ir;
    ir.name = OpName(i, n);
    bool ok = false;
    if (op == "QLinearConv" || op == "ConvInteger") ok = ConvertConv(i, n, &ir);
    else if (op == "QLinearMatMul" || op == "QGemm" || op == "MatMulInteger") ok = ConvertMatMul(i, n, &ir);
    else if (op == "QLinearAdd") ok = ConvertAdd(i, n, &ir);
    else if (op == "QLinearMul") ok = ConvertMul(i, n, &ir);
    else if (op == "QLinearLeakyRelu" || op == kLookupOp) ok = ConvertLookup(i, n, &ir);
    else if (op == "Concat" || op == "QLinearConcat") ok = ConvertConcat(i, n, &ir);
    else if (op == "QLinearGlobalAveragePool") ok = ConvertGlobalAvgPool(i, n, &ir);
    else if (op == "QLinearAveragePool") ok = ConvertAvgPool(i, n, &ir);
    else if (op == "MaxPool") ok = ConvertMaxPool(i, n, &ir);
    else if (op == "Identity" && !IsGraphOutput(n.output(0))) {
      values_[n.output(0)] = ValueInput(i, n, 0);  // an alias; no data moves
      return;
    } else {
      ok = ConvertReshape(i, n, &ir);  // Reshape, Flatten, Identity of a graph output
    }
    if (ok && !SetActivation(i, n, &ir)) ok = false;
    if (ok) {
      g_.ops.push_back(std::move(ir));
    } else {
      broken_.insert(n.output(0));
    }
  }

  // The activation a folded QDQ group's Relu / Clip became (qdq_fold.h).
  bool SetActivation(int i, const NodeProto& n, core::Op* ir) {
    const std::string act = StringAttr(n, kActivationAttr, "");
    if (act.empty()) return true;
    if (ir->type != core::OpType::kConv2d && ir->type != core::OpType::kFullyConnected && ir->type != core::OpType::kAdd) {
      NodeProblem(i, n, "a fused " + act + " is only supported after Conv, MatMul, Gemm and Add");
      return false;
    }
    ir->activation = act == "relu6" ? core::Activation::kRelu6 : core::Activation::kRelu;
    return true;
  }

  std::string OpName(int i, const NodeProto& n) {
    std::string name = Sanitized(n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name());
    while (!op_names_.insert(name).second) name += "_" + std::to_string(i);
    return name;
  }

  // Output activation for `ir`; false (reported) if it has no quantization. ConvInteger and
  // MatMulInteger write a 32-bit tensor: the raw int32 accumulator (docs/formats.md).
  bool SetOutput(int i, const NodeProto& n, const std::vector<int64_t>& onnx_shape, core::Op* ir) {
    if (IsIntegerOp(n)) {
      core::TensorInfo& t = AddTensor(n.output(0), IrShape(onnx_shape));
      t.bits = 32;
      t.is_signed = true;
      values_[n.output(0)] = Value{t.name, onnx_shape};
      ir->outputs = {t.name};
      return true;
    }
    const Value* v = AddActivation(n.output(0), onnx_shape, NodePointer(i), NodeLabel(n));
    if (v == nullptr) return false;
    ir->outputs = {v->ir};
    return true;
  }

  static bool IsIntegerOp(const NodeProto& n) {
    return n.op_type() == "ConvInteger" || n.op_type() == "MatMulInteger";
  }

  // Input k as a rank-4 [1, C, H, W] activation, or null (reported).
  const Value* ImageInput(int i, const NodeProto& n, int k) {
    const Value& x = ValueInput(i, n, k);
    if (x.shape.size() != 4 || x.shape[0] != 1) {
      NodeProblem(i, n, "input \"" + n.input(k) + "\" has shape " + core::ShapeString(x.shape) +
                            ": expected [1, C, H, W] (2-D, batch 1)");
      return nullptr;
    }
    return &x;
  }

  // Kernel window attributes (strides, dilations, pads, auto_pad) resolved to IR [top, left,
  // bottom, right] pads; false (reported) if they do not fit the input.
  bool Window(int i, const NodeProto& n, const std::vector<int64_t>& in_hw, const std::vector<int64_t>& kernel,
              core::Op* ir) {
    const std::vector<int64_t> strides = IntsAttr(n, "strides", {1, 1});
    const std::vector<int64_t> dilations = IntsAttr(n, "dilations", {1, 1});
    std::vector<int64_t> pads = IntsAttr(n, "pads", {0, 0, 0, 0});
    if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4 || kernel.size() != 2) {
      NodeProblem(i, n, "expected 2-D strides, dilations, kernel and 4 pads");
      return false;
    }
    const std::string auto_pad = StringAttr(n, "auto_pad", "NOTSET");
    for (int d = 0; d < 2; ++d) {
      if (kernel[d] < 1 || strides[d] < 1 || dilations[d] < 1 || pads[d] < 0 || pads[d + 2] < 0) {
        NodeProblem(i, n, "kernel, strides and dilations must be >= 1 and pads >= 0");
        return false;
      }
      const int64_t eff = dilations[d] * (kernel[d] - 1) + 1;
      if (auto_pad == "VALID") pads[d] = pads[d + 2] = 0;
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        // ONNX: output = ceil(in / stride); the odd pad goes at the end (UPPER) or the start (LOWER).
        const int64_t out = (in_hw[d] + strides[d] - 1) / strides[d];
        const int64_t total = std::max<int64_t>(0, (out - 1) * strides[d] + eff - in_hw[d]);
        pads[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pads[d + 2] = total - pads[d];
      }
      if (pads[d] >= eff || pads[d + 2] >= eff) {
        NodeProblem(i, n, "a pad of " + std::to_string(std::max(pads[d], pads[d + 2])) +
                              " is not smaller than the (dilated) kernel extent " + std::to_string(eff));
        return false;
      }
      if (core::ConvOutSize(in_hw[d], kernel[d], strides[d], dilations[d], pads[d], pads[d + 2]) < 1) {
        NodeProblem(i, n, "the kernel does not fit the padded input");
        return false;
      }
      ir->stride[d] = strides[d];
      ir->dilation[d] = dilations[d];
    }
    // ONNX pads are [x1_begin, x2_begin, x1_end, x2_end]: [top, left, bottom, right], the IR's order.
    ir->pads = {pads[0], pads[1], pads[2], pads[3]};
    return true;
  }

  // Where a conv / matmul node keeps its operands (-1: the node has no such input).
  struct GemmInputs {
    int w, w_scale, w_zero_point, bias;
  };
  static GemmInputs GemmInputsOf(const NodeProto& n) {
    if (IsIntegerOp(n)) return {1, -1, 3, -1};  // ConvInteger, MatMulInteger: x, w, x_zp, w_zp
    if (n.op_type() == "QLinearConv") return {3, 4, 5, 8};
    return {3, 4, 5, n.op_type() == "QGemm" ? 6 : -1};
  }

  // Weight quantization from scale input `sk` and zero-point input `zk`: per tensor, or one per
  // output channel (`channels`). Equal per-channel zero points collapse to one. Without a scale
  // input (ConvInteger, MatMulInteger) the scale is 1; without a zero point, 0.
  bool WeightQuant(int i, const NodeProto& n, int sk, int zk, const OnnxTensor& w, int64_t channels,
                   core::TensorInfo* t) {
    const auto count_ok = [&](size_t c) { return c == 1 || static_cast<int64_t>(c) == channels; };
    t->bits = 8;
    t->is_signed = w.elem_type == TensorProto::INT8;
    if (sk >= 0) {
      const OnnxTensor& s = ConstantInput(i, n, sk);
      if (s.elem_type != TensorProto::FLOAT || !count_ok(s.float_values.size())) {
        NodeProblem(i, n, "weight scale \"" + s.name + "\": expected 1 or " + std::to_string(channels) + " float32 values");
        return false;
      }
      for (float f : s.float_values) {
        if (!(f > 0) || !std::isfinite(f)) {
          NodeProblem(i, n, "weight scale \"" + s.name + "\" must be positive and finite");
          return false;
        }
      }
      t->quant.scales = s.float_values;
    }
    if (Input(n, zk).empty()) return true;
    const OnnxTensor& z = ConstantInput(i, n, zk);
    if (z.elem_type != w.elem_type || !count_ok(z.int_values.size())) {
      NodeProblem(i, n, "weight zero point \"" + z.name + "\": expected 1 or " + std::to_string(channels) +
                            " values of the weight's type " + ElemTypeName(w.elem_type));
      return false;
    }
    t->quant.zero_points = z.int_values;
    if (std::all_of(z.int_values.begin(), z.int_values.end(), [&](int32_t v) { return v == z.int_values[0]; })) {
      t->quant.zero_points.resize(1);
    }
    return true;
  }

  bool IntegerWeight(int i, const NodeProto& n, int k, size_t rank) {
    const OnnxTensor& w = ConstantInput(i, n, k);
    if (!IsQuantType(w.elem_type) || w.dims.size() != rank) {
      NodeProblem(i, n, "weight \"" + w.name + "\": expected a rank-" + std::to_string(rank) +
                            " uint8 or int8 tensor, got " + ElemTypeName(w.elem_type) + " " + core::ShapeString(w.dims));
      return false;
    }
    return true;
  }

  // Bias input k (int32 [channels]) as an IR 32-bit tensor; "" if absent; nullopt on a problem.
  std::optional<std::string> Bias(int i, const NodeProto& n, int k, int64_t channels) {
    if (Input(n, k).empty()) return std::string();
    const OnnxTensor& b = ConstantInput(i, n, k);
    const bool shape_ok = b.dims == std::vector<int64_t>{channels} || b.dims == std::vector<int64_t>{1, channels};
    if (b.elem_type != TensorProto::INT32 || !shape_ok) {
      NodeProblem(i, n, "bias \"" + b.name + "\": expected int32 [" + std::to_string(channels) + "], got " +
                            ElemTypeName(b.elem_type) + " " + core::ShapeString(b.dims));
      return std::nullopt;
    }
    core::TensorInfo& t = AddTensor(b.name, {channels});
    t.bits = 32;
    t.data = b.int_values;
    return t.name;
  }

  bool ConvertConv(int i, const NodeProto& n, core::Op* ir) {
    const GemmInputs in = GemmInputsOf(n);
    const Value* x = ImageInput(i, n, 0);
    if (!x || !IntegerWeight(i, n, in.w, 4)) return false;
    const OnnxTensor& w = ConstantInput(i, n, in.w);
    const int64_t c = x->shape[1], o = w.dims[0], cg = w.dims[1];
    const int64_t groups = IntAttr(n, "group", 1);
    if (groups < 1 || c % groups != 0 || o % groups != 0 || cg * groups != c) {
      NodeProblem(i, n, "weight " + core::ShapeString(w.dims) + " with group " + std::to_string(groups) +
                            " does not fit an input of " + std::to_string(c) + " channels");
      return false;
    }
    const std::vector<int64_t> kernel = {w.dims[2], w.dims[3]};
    if (IntsAttr(n, "kernel_shape", kernel) != kernel) {
      NodeProblem(i, n, "kernel_shape disagrees with the weight's shape " + core::ShapeString(w.dims));
      return false;
    }
    ir->type = core::OpType::kConv2d;
    ir->groups = groups;
    if (!Window(i, n, {x->shape[2], x->shape[3]}, kernel, ir)) return false;
    core::TensorInfo wt;
    if (!WeightQuant(i, n, in.w_scale, in.w_zero_point, w, o, &wt)) return false;
    const std::optional<std::string> bias = in.bias >= 0 ? Bias(i, n, in.bias, o) : std::string();
    if (!bias) return false;
    core::TensorInfo& wi = AddTensor(w.name, {o, kernel[0], kernel[1], cg});
    wt.name = wi.name;
    wt.shape = wi.shape;
    wt.data = Permute(w.int_values, w.dims, {0, 2, 3, 1});  // OIHW -> OHWI
    wi = wt;
    ir->inputs = {x->ir, wi.name};
    if (!bias->empty()) ir->inputs.push_back(*bias);
    const int64_t oh = core::ConvOutSize(x->shape[2], kernel[0], ir->stride[0], ir->dilation[0], ir->pads[0], ir->pads[2]);
    const int64_t ow = core::ConvOutSize(x->shape[3], kernel[1], ir->stride[1], ir->dilation[1], ir->pads[1], ir->pads[3]);
    return SetOutput(i, n, {1, o, oh, ow}, ir);
  }

  bool ConvertMatMul(int i, const NodeProto& n, core::Op* ir) {
    const Value& a = ValueInput(i, n, 0);
    if (a.shape.size() != 2) {
      NodeProblem(i, n, "input \"" + n.input(0) + "\" has shape " + core::ShapeString(a.shape) +
                            ": expected [M, K] (batched matmul is not supported)");
      return false;
    }
    const GemmInputs in = GemmInputsOf(n);
    if (!IntegerWeight(i, n, in.w, 2)) return false;
    const OnnxTensor& b = ConstantInput(i, n, in.w);
    // QLinearMatMul's B is [K, N]; QGemm's is [K, N], or [N, K] (the IR's order) with transB.
    const bool trans_b = n.op_type() == "QGemm" && IntAttr(n, "transB", 0) != 0;
    const int64_t k = b.dims[trans_b ? 1 : 0], cols = b.dims[trans_b ? 0 : 1];
    if (k != a.shape[1]) {
      NodeProblem(i, n, "B " + core::ShapeString(b.dims) + (trans_b ? " (transposed)" : "") + " does not fit A " +
                            core::ShapeString(a.shape));
      return false;
    }
    core::TensorInfo wt;
    if (!WeightQuant(i, n, in.w_scale, in.w_zero_point, b, cols, &wt)) return false;
    const std::optional<std::string> bias = in.bias >= 0 ? Bias(i, n, in.bias, cols) : std::string();
    if (!bias) return false;
    core::TensorInfo& wi = AddTensor(b.name, {cols, k});
    wt.name = wi.name;
    wt.shape = wi.shape;
    wt.data = trans_b ? b.int_values : Permute(b.int_values, b.dims, {1, 0});  // [K, N] -> [N, K]
    wi = wt;
    ir->type = core::OpType::kFullyConnected;
    ir->inputs = {a.ir, wi.name};
    if (!bias->empty()) ir->inputs.push_back(*bias);
    return SetOutput(i, n, {a.shape[0], cols}, ir);
  }

  bool ConvertAdd(int i, const NodeProto& n, core::Op* ir) {
    const Value& a = ValueInput(i, n, 0);
    const Value& b = ValueInput(i, n, 3);
    if (a.shape != b.shape) {
      NodeProblem(i, n, "inputs of shapes " + core::ShapeString(a.shape) + " and " + core::ShapeString(b.shape) +
                            ": broadcasting is not supported (expected equal shapes)");
      return false;
    }
    ir->type = core::OpType::kAdd;
    ir->inputs = {a.ir, b.ir};
    return SetOutput(i, n, a.shape, ir);
  }

  // QLinearMul: b of a's shape, or [1, C, 1, 1] (one factor per channel of a [1, C, H, W]).
  bool ConvertMul(int i, const NodeProto& n, core::Op* ir) {
    const Value& a = ValueInput(i, n, 0);
    const Value& b = ValueInput(i, n, 3);
    const bool per_channel = a.shape.size() == 4 && b.shape == std::vector<int64_t>{1, a.shape[1], 1, 1};
    if (a.shape != b.shape && !per_channel) {
      NodeProblem(i, n, "inputs of shapes " + core::ShapeString(a.shape) + " and " + core::ShapeString(b.shape) +
                            ": expected equal shapes, or a second input of shape [1, C, 1, 1] (one factor per channel)");
      return false;
    }
    ir->type = core::OpType::kMul;
    ir->inputs = {a.ir, b.ir};
    return SetOutput(i, n, a.shape, ir);
  }

  // A lookup's 256-entry table of output values (quantized as the output `y`); returns its IR name.
  std::string AddTable(const std::string& name, const core::TensorInfo& y, std::vector<int32_t> values) {
    core::TensorInfo& t = AddTensor(name, {256});
    t.bits = 8;
    t.is_signed = y.is_signed;
    t.quant = y.quant;
    t.data = std::move(values);
    return t.name;
  }

  // QLinearLeakyRelu (its table built as ONNX Runtime builds it) or a folded chain's table.
  bool ConvertLookup(int i, const NodeProto& n, core::Op* ir) {
    const Value& x = ValueInput(i, n, 0);
    const core::TensorInfo& xi = g_.tensor(x.ir);
    if (!SetOutput(i, n, x.shape, ir)) return false;
    const core::TensorInfo y = g_.tensor(ir->outputs[0]);
    std::vector<int32_t> table;
    if (n.op_type() == kLookupOp) {
      // Made by the QDQ folder; checked all the same, since a model file may name the op too.
      const OnnxTensor& c = ConstantInput(i, n, 5);
      const int64_t lo = y.is_signed ? -128 : 0;
      const bool ok = c.int_values.size() == 256 && c.elem_type == (y.is_signed ? TensorProto::INT8 : TensorProto::UINT8) &&
                      std::all_of(c.int_values.begin(), c.int_values.end(), [lo](int32_t v) { return v >= lo && v <= lo + 255; });
      if (!ok) {
        NodeProblem(i, n, "input 5 (\"" + n.input(5) + "\") must be a table of 256 values of the output's type");
        return false;
      }
      table = c.int_values;
    } else {
      const float alpha = FloatAttr(n, "alpha", 0.01f);
      table = Tabulate([alpha](float v) { return v >= 0 ? v : alpha * v; }, xi.quant.scale(0), xi.quant.zero_point(0),
                       xi.is_signed, y.quant.scale(0), y.quant.zero_point(0), y.is_signed);
    }
    ir->type = core::OpType::kLookup;
    ir->inputs = {x.ir, AddTable(y.name + "_table", y, std::move(table))};
    return true;
  }

  // Concat / QLinearConcat -> concat along the IR axis; a QLinearConcat input quantized unlike the
  // output is first rescaled by a lookup whose table is ONNX Runtime's: QuantizeLinear of the
  // dequantized value (the identity through float32).
  bool ConvertConcat(int i, const NodeProto& n, core::Op* ir) {
    const std::vector<int> acts = InputRoles(n, *FindSpec(n)).second;
    if (acts.empty()) Fail(i, n, "expected at least one input to concatenate");
    const std::vector<int64_t>& first = ValueInput(i, n, acts[0]).shape;
    const int64_t rank = static_cast<int64_t>(first.size());
    int64_t axis = IntAttr(n, "axis", 0);
    if (axis < -rank || axis >= rank) {
      NodeProblem(i, n, "axis " + std::to_string(axis) + " is outside the inputs' rank " + std::to_string(rank));
      return false;
    }
    if (axis < 0) axis += rank;
    std::vector<int64_t> out = first;
    out[axis] = 0;
    for (int k : acts) {
      const std::vector<int64_t>& s = ValueInput(i, n, k).shape;
      bool fits = static_cast<int64_t>(s.size()) == rank;
      for (int64_t d = 0; fits && d < rank; ++d) fits = d == axis || s[d] == first[d];
      if (!fits) {
        NodeProblem(i, n, "input \"" + n.input(k) + "\" has shape " + core::ShapeString(s) + ", expected " +
                              core::ShapeString(first) + " but for dimension " + std::to_string(axis));
        return false;
      }
      out[axis] += s[axis];
    }
    if (!SetOutput(i, n, out, ir)) return false;
    const core::TensorInfo y = g_.tensor(ir->outputs[0]);
    ir->type = core::OpType::kConcat;
    ir->axis = rank == 4 ? std::vector<int64_t>{0, 3, 1, 2}[axis] : axis;  // NCHW -> NHWC
    for (int k : acts) {
      const Value& x = ValueInput(i, n, k);
      const core::TensorInfo& xi = g_.tensor(x.ir);
      if (xi.quant.scales == y.quant.scales && xi.quant.zero_points == y.quant.zero_points && xi.is_signed == y.is_signed) {
        ir->inputs.push_back(x.ir);
        continue;
      }
      const std::string table =
          AddTable(y.name + "_table_" + std::to_string(k), y,
                   Tabulate([](float v) { return v; }, xi.quant.scale(0), xi.quant.zero_point(0), xi.is_signed,
                            y.quant.scale(0), y.quant.zero_point(0), y.is_signed));
      core::TensorInfo& r = AddTensor(y.name + "_in" + std::to_string(k), xi.shape);
      r.bits = 8;
      r.is_signed = y.is_signed;
      r.quant = y.quant;
      core::Op rescale;
      rescale.name = OpName(i, n) + "_rescale" + std::to_string(k);
      rescale.type = core::OpType::kLookup;
      rescale.inputs = {x.ir, table};
      rescale.outputs = {r.name};
      g_.ops.push_back(rescale);
      ir->inputs.push_back(r.name);
    }
    return true;
  }

  bool ConvertGlobalAvgPool(int i, const NodeProto& n, core::Op* ir) {
    const Value* x = ImageInput(i, n, 0);
    if (!x) return false;
    ir->type = core::OpType::kGlobalAvgPool;
    ir->inputs = {x->ir};
    return SetOutput(i, n, {1, x->shape[1], 1, 1}, ir);
  }

  // QLinearAveragePool -> avg_pool with ONNX Runtime's float32 arithmetic (core::FloatAveragePool).
  bool ConvertAvgPool(int i, const NodeProto& n, core::Op* ir) {
    ir->count_include_pad = IntAttr(n, "count_include_pad", 0) != 0;
    ir->float_accumulate = true;
    return ConvertPool(i, n, core::OpType::kAvgPool, ir);
  }

  bool ConvertMaxPool(int i, const NodeProto& n, core::Op* ir) { return ConvertPool(i, n, core::OpType::kMaxPool, ir); }

  // The window of a 2-D pool (kernel_shape, strides, pads / auto_pad) and its output.
  bool ConvertPool(int i, const NodeProto& n, core::OpType type, core::Op* ir) {
    const Value* x = ImageInput(i, n, 0);
    if (!x) return false;
    const std::vector<int64_t> kernel = IntsAttr(n, "kernel_shape", {});
    ir->type = type;
    if (!Window(i, n, {x->shape[2], x->shape[3]}, kernel, ir)) return false;
    ir->kernel = {kernel[0], kernel[1]};
    ir->inputs = {x->ir};
    const int64_t oh = core::ConvOutSize(x->shape[2], kernel[0], ir->stride[0], 1, ir->pads[0], ir->pads[2]);
    const int64_t ow = core::ConvOutSize(x->shape[3], kernel[1], ir->stride[1], 1, ir->pads[1], ir->pads[3]);
    return SetOutput(i, n, {1, x->shape[1], oh, ow}, ir);
  }

  // The output shape of Reshape (constant shape input, 0 and -1 resolved) or Flatten; empty on a
  // problem (reported).
  std::vector<int64_t> ReshapeTarget(int i, const NodeProto& n, const std::vector<int64_t>& in) {
    if (n.op_type() == "Identity") return in;
    const int64_t total = Product(in);
    if (n.op_type() == "Flatten") {
      int64_t axis = IntAttr(n, "axis", 1);
      if (axis < 0) axis += static_cast<int64_t>(in.size());
      if (axis < 0 || axis > static_cast<int64_t>(in.size())) {
        NodeProblem(i, n, "axis out of range for rank " + std::to_string(in.size()));
        return {};
      }
      return {Product(in, 0, axis), Product(in, axis, static_cast<int64_t>(in.size()))};
    }
    const OnnxTensor& s = ConstantInput(i, n, 1);
    std::vector<int64_t> out(s.int_values.begin(), s.int_values.end());
    const bool allow_zero = IntAttr(n, "allowzero", 0) != 0;
    int64_t known = 1, infer = -1;
    for (size_t d = 0; d < out.size(); ++d) {
      if (out[d] == 0 && !allow_zero && d < in.size()) out[d] = in[d];
      if (out[d] == -1 && infer < 0) {
        infer = static_cast<int64_t>(d);
        continue;
      }
      if (out[d] < 1) {
        NodeProblem(i, n, "shape " + core::ShapeString(out) + ": cannot resolve dimension " + std::to_string(d));
        return {};
      }
      known *= out[d];
    }
    if (infer >= 0 && known > 0 && total % known == 0) out[infer] = total / known;
    if (Product(out) != total) {
      NodeProblem(i, n, "shape " + core::ShapeString(out) + " does not hold the input's " + std::to_string(total) + " elements");
      return {};
    }
    return out;
  }

  bool ConvertReshape(int i, const NodeProto& n, core::Op* ir) {
    const Value& x = ValueInput(i, n, 0);
    const std::vector<int64_t> out = ReshapeTarget(i, n, x.shape);
    if (out.empty()) return false;
    if (out.size() > 4) {
      NodeProblem(i, n, "output rank " + std::to_string(out.size()) + " is not supported (at most 4)");
      return false;
    }
    if (!OrderTrivial(x.shape) || !OrderTrivial(out)) {
      NodeProblem(i, n, "reshaping " + core::ShapeString(x.shape) + " to " + core::ShapeString(out) +
                            " reorders elements between ONNX's NCHW and npusim's NHWC (a transpose would be "
                            "needed; not supported yet)");
      return false;
    }
    ir->type = core::OpType::kReshape;
    ir->inputs = {x.ir};
    return SetOutput(i, n, out, ir);
  }

  std::string path_;
  const ImportOptions& options_;
  core::ProblemList problems_;
  onnx::ModelProto model_;
  std::map<std::string, OnnxTensor> constants_;
  std::vector<IndexedNode> nodes_;     // the graph after FoldQdq
  std::vector<IndexedNode> absorbed_;  // QDQ nodes folded into nodes_
  std::map<int, std::string> refused_;  // node index -> why its QDQ group could not be folded
  std::map<std::string, std::string> input_quantized_, output_quantized_;  // float edges (qdq_fold.h)
  std::map<std::string, int> types_;
  std::map<std::string, Quant> quant_;
  bool changed_ = false;
  std::map<std::string, Value> values_;
  std::set<std::string> broken_;  // values not converted because of a problem already reported
  std::set<std::string> op_names_;
  core::Graph g_;
  core::ModelIo io_;  // the graph inputs and outputs as ONNX declares them
};

}  // namespace

OnnxModel ImportOnnxModel(const std::string& path, const ImportOptions& options) {
  return Importer(path, options).Run();
}

core::Graph ImportOnnx(const std::string& path) { return ImportOnnxModel(path, {}).graph; }

}  // namespace npusim::importer

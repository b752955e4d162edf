// Quantized ONNX (QOperator or QDQ form) -> graph IR: the driver. Steps, in order: load and check
// opsets; collect constants (initializers, Constant nodes, Transposes of constants, inputs bound by
// the caller); fold QDQ groups into QOperator nodes (qdq_fold.h); check every node against the op
// table (op_table.h) and report all unsupported ones at once; infer each activation's quantization
// (quant_infer.h); convert node by node through the op table's shape rules and converters
// (ops_*.cpp), NCHW -> NHWC; the graph's inputs and outputs as ONNX declares them.
#include "frontends/onnx/onnx_import.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "frontends/onnx/import_context.h"
#include "frontends/onnx/onnx_node.h"
#include "frontends/onnx/onnx_tensor.h"
#include "frontends/onnx/op_table.h"
#include "frontends/onnx/qdq_fold.h"
#include "frontends/onnx/quant_infer.h"
#include "ir/verify.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

constexpr int64_t kMinOpset = 10;
constexpr int64_t kMaxOpset = 21;

class Importer : public ImportContext {
 public:
  Importer(const std::string& path, const ImportOptions& options)
      : ImportContext(path), path_(path), options_(options) {}

  OnnxModel Run() {
    Load();
    CheckOpsets();
    CollectConstants();
    problems_.ThrowIfAny();
    types_ = DeclaredTypes();
    FoldQdq();
    CheckNodes();
    problems_.ThrowIfAny();
    quant_ = InferQuant({constants_, types_, nodes_, absorbed_}, &problems_);
    AddGraphInputs();
    for (const IndexedNode& n : nodes_) ConvertNode(n.index, n.node);
    AddGraphOutputs();
    problems_.ThrowIfAny();
    if (g_.ops.empty()) problems_.Add("/graph", "the graph computes nothing (no node becomes an npusim op)");
    problems_.ThrowIfAny();
    g_.model_io = std::move(io_);
    core::Verify(g_, path_);  // the converters' graph keeps the IR's invariants
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
      const TensorProto& t = graph.initializer(k);
      AddConstant(t, t.name(), "/graph/initializer/" + std::to_string(k));
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
    if (!IsPermutation(perm, rank)) {
      NodeProblem(i, n,
                  "perm " + core::ShapeString(perm) + " is not a permutation of " + std::to_string(rank) +
                      " dimensions");
      return;
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

  static bool IsPermutation(std::vector<int64_t> perm, int64_t rank) {
    std::sort(perm.begin(), perm.end());
    for (int64_t d = 0; d < static_cast<int64_t>(perm.size()); ++d) {
      if (perm[d] != d || static_cast<int64_t>(perm.size()) != rank) return false;
    }
    return true;
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

  // Everything that can be decided without shapes, for every node, before any conversion.
  void CheckNodes() {
    const auto is_constant = [this](const std::string& name) { return IsConstant(name); };
    for (const auto& [i, n] : nodes_) {
      const OpSpec* spec = FindSpec(n);
      auto refused = refused_.find(i);
      if (spec == nullptr || refused != refused_.end()) {
        NodeProblem(i, n, refused != refused_.end() ? refused->second : UnsupportedReason(n));
        continue;
      }
      for (const std::string& issue : StaticIssues(n, *spec, is_constant)) NodeProblem(i, n, issue);
    }
  }

  static std::string UnsupportedReason(const NodeProto& n) {
    if (n.op_type() == "QLinearSigmoid" || n.op_type() == "Sigmoid") {
      return "unsupported op (ONNX Runtime computes the logistic with its own approximation, which npusim's "
             "lookup tables would have to reproduce)";
    }
    return "unsupported op";
  }

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

  // ---- graph inputs and outputs ----

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
  bool InputShape(const onnx::ValueInfoProto& in, const std::string& where, bool real,
                  std::vector<int64_t>* shape) {
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
          problems_.Add("/graph/output/" + std::to_string(k),
                        "graph output \"" + name + "\" is not computed by any node");
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

  // ---- conversion: a table lookup, then the op's shape rule and converter ----

  void ConvertNode(int i, const NodeProto& n) {
    const OpSpec& spec = *FindSpec(n);
    if (spec.convert == nullptr) return;  // folded into constants up front
    if (!InputsConverted(i, n, spec)) {
      broken_.insert(n.output(0));
      return;
    }
    core::Op ir;
    ir.name = OpName(i, n);
    if (spec.alias_unless_output && !IsGraphOutput(n.output(0))) {
      values_[n.output(0)] = ValueInput(i, n, 0);  // an alias; no data moves
      return;
    }
    const std::optional<std::vector<int64_t>> shape = spec.shape(*this, i, n, &ir);
    if (shape && spec.convert(*this, i, n, *shape, &ir) && SetActivation(i, n, &ir)) {
      g_.ops.push_back(std::move(ir));
    } else {
      broken_.insert(n.output(0));
    }
  }

  // Every activation input of node i is an 8-bit IR tensor already; false (reported unless its
  // producer's refusal was) if not.
  bool InputsConverted(int i, const NodeProto& n, const OpSpec& spec) {
    for (int k : InputRoles(n, spec).second) {
      if (auto v = values_.find(n.input(k)); v != values_.end() && g_.tensor(v->second.ir).bits == 32) {
        NodeProblem(i, n,
                    "input \"" + n.input(k) +
                        "\" is the int32 output of a ConvInteger / MatMulInteger, "
                        "which npusim writes only as a graph output (no npusim op reads a 32-bit tensor)");
        return false;
      }
      if (values_.count(n.input(k))) continue;
      // An input whose producer was refused is reported already; any other is dangling.
      if (!broken_.count(n.input(k))) {
        NodeProblem(i, n,
                    "input \"" + n.input(k) + "\" is neither a graph input nor computed by an earlier node");
      }
      return false;
    }
    return true;
  }

  // The activation a folded QDQ group's Relu / Clip became (qdq_fold.h).
  bool SetActivation(int i, const NodeProto& n, core::Op* ir) {
    const std::string act = StringAttr(n, kActivationAttr, "");
    if (act.empty()) return true;
    if (ir->type != core::OpType::kConv2d && ir->type != core::OpType::kFullyConnected &&
        ir->type != core::OpType::kAdd) {
      NodeProblem(i, n, "a fused " + act + " is only supported after Conv, MatMul, Gemm and Add");
      return false;
    }
    ir->activation = act == "relu6" ? core::Activation::kRelu6 : core::Activation::kRelu;
    return true;
  }

  std::string path_;
  const ImportOptions& options_;
  std::vector<IndexedNode> nodes_;      // the graph after FoldQdq
  std::vector<IndexedNode> absorbed_;   // QDQ nodes folded into nodes_
  std::map<int, std::string> refused_;  // node index -> why its QDQ group could not be folded
  std::map<std::string, std::string> input_quantized_, output_quantized_;  // float edges (qdq_fold.h)
  std::map<std::string, int> types_;
  std::set<std::string> broken_;  // values not converted because of a problem already reported
  core::ModelIo io_;              // the graph inputs and outputs as ONNX declares them
};

}  // namespace

OnnxModel ImportOnnxModel(const std::string& path, const ImportOptions& options) {
  return Importer(path, options).Run();
}

core::Graph ImportOnnx(const std::string& path) { return ImportOnnxModel(path, {}).graph; }

}  // namespace npusim::importer

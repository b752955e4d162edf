// Internal to importer/: what the op converters (importer/ops_*.cpp) see of an import in progress.
//
// The driver (onnx_import.cpp) loads the model, collects its constants, folds the QDQ form and
// infers every activation's quantization (quant_infer.h); then, node by node in topological order,
// it looks the node up in the op table (op_table.h) and calls the op's shape rule and converter
// with an ImportContext. A converter reads the node's inputs through the context (constants,
// activations already converted), adds IR tensors and sets the op's output; every problem it finds
// goes to the context's problem list, addressed to the node (NodeProblem) — never thrown, so that
// the import reports all problems at once.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "frontends/onnx/onnx_import.h"
#include "ir/graph.h"
#include "support/error.h"

namespace npusim::importer {

// The per-tensor quantization of an activation, and the node that declared it.
struct Quant {
  float scale = 1;
  int32_t zero_point = 0;
  bool is_signed = false;
  std::string source;  // the node that declared it, for conflict messages
  bool operator==(const Quant& o) const;
};

// "uint8 scale 0.5 zero point 3" (for conflict messages).
std::string QuantString(const Quant& q);

// An ONNX value that has an IR tensor.
struct Value {
  std::string ir;
  std::vector<int64_t> shape;  // ONNX shape
};

// IR shape of an ONNX activation shape: rank 4 is NCHW -> NHWC, others keep their order.
std::vector<int64_t> IrShape(const std::vector<int64_t>& s);
bool IsQuantType(int elem_type);  // uint8 or int8
// ConvInteger / MatMulInteger: int32 accumulator outputs, no output quantization.
bool IsIntegerOp(const onnx::NodeProto& n);

// Where node i is in the model ("/graph/node/i") and how messages name it.
std::string NodePointer(int i);
std::string NodeLabel(const onnx::NodeProto& n);
void AddNodeProblem(core::ProblemList* problems, int i, const onnx::NodeProto& n, const std::string& message);
// Reports a problem of node i and throws every problem found so far. For lookups that earlier
// checks should have made safe: a malformed model that slips past them still reaches the user
// as the importer's own error (node, op type, what is missing), never as std::out_of_range.
[[noreturn]] void FailNode(core::ProblemList* problems, int i, const onnx::NodeProto& n,
                           const std::string& message);
// Constant `name`, which node i reads as `what`; FailNode when it is not one.
const OnnxTensor& ConstantNamed(core::ProblemList* problems,
                                const std::map<std::string, OnnxTensor>& constants, int i,
                                const onnx::NodeProto& n, const std::string& name, const std::string& what);

class ImportContext {
 public:
  explicit ImportContext(const std::string& path) : problems_(path) {}

  // ---- problems ----
  void NodeProblem(int i, const onnx::NodeProto& n, const std::string& message);
  [[noreturn]] void Fail(int i, const onnx::NodeProto& n, const std::string& message);

  // ---- the model's values: every lookup of a model's name goes through these ----
  bool IsConstant(const std::string& name) const { return constants_.count(name) > 0; }
  const OnnxTensor& ConstantInput(int i, const onnx::NodeProto& n, int k);
  // The activation node i reads as input k (a graph input or an earlier node's output).
  const Value& ValueInput(int i, const onnx::NodeProto& n, int k);
  // Input k as a rank-4 [1, C, H, W] activation, or null (reported).
  const Value* ImageInput(int i, const onnx::NodeProto& n, int k);
  bool IsGraphOutput(const std::string& name) const;

  // ---- the IR graph being built ----
  const core::TensorInfo& Tensor(const std::string& ir_name) const { return g_.tensor(ir_name); }
  // A new IR tensor named after `onnx_name` (sanitized, made unique).
  core::TensorInfo& AddTensor(const std::string& onnx_name, std::vector<int64_t> ir_shape);
  // Output activation for `ir`; false (reported) if it has no quantization. ConvInteger and
  // MatMulInteger write a 32-bit tensor: the raw int32 accumulator (docs/formats.md).
  bool SetOutput(int i, const onnx::NodeProto& n, const std::vector<int64_t>& onnx_shape, core::Op* ir);
  // A lookup's 256-entry table of output values (quantized as the output `y`); returns its IR name.
  std::string AddTable(const std::string& name, const core::TensorInfo& y, std::vector<int32_t> values);
  // A unique IR op name for node i.
  std::string OpName(int i, const onnx::NodeProto& n);
  // An op a converter adds besides the node's own (e.g. a rescaling lookup before a concat).
  void AddOp(core::Op op) { g_.ops.push_back(std::move(op)); }

 protected:
  // An activation tensor for ONNX value `name` of ONNX shape `shape`, with its inferred
  // quantization; null (reported at `where`, naming `who`) when it has none.
  const Value* AddActivation(const std::string& name, const std::vector<int64_t>& shape,
                             const std::string& where, const std::string& who);
  // An ONNX name with only the characters IR names use (A-Z a-z 0-9 _ . : -), others as '_'.
  static std::string Sanitized(std::string s);

  core::ProblemList problems_;
  onnx::ModelProto model_;
  std::map<std::string, OnnxTensor> constants_;
  std::map<std::string, Quant> quant_;  // every activation's quantization (quant_infer.h)
  std::map<std::string, Value> values_;
  std::set<std::string> op_names_;
  core::Graph g_;

 private:
  std::string IrName(const std::string& onnx_name) const;
};

}  // namespace npusim::importer

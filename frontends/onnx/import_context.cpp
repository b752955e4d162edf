// The converters' view of an import in progress (import_context.h).
#include "frontends/onnx/import_context.h"

#include <cctype>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "frontends/onnx/onnx_node.h"

namespace npusim::importer {

using onnx::NodeProto;
using onnx::TensorProto;

bool Quant::operator==(const Quant& o) const {
  return std::memcmp(&scale, &o.scale, sizeof scale) == 0 && zero_point == o.zero_point &&
         is_signed == o.is_signed;
}

std::string QuantString(const Quant& q) {
  std::ostringstream s;
  s.precision(9);
  s << (q.is_signed ? "int8" : "uint8") << " scale " << q.scale << " zero point " << q.zero_point;
  return s.str();
}

std::vector<int64_t> IrShape(const std::vector<int64_t>& s) {
  if (s.size() != 4) return s;
  return {s[0], s[2], s[3], s[1]};
}

bool IsQuantType(int elem_type) { return elem_type == TensorProto::UINT8 || elem_type == TensorProto::INT8; }

bool IsIntegerOp(const NodeProto& n) {
  return n.op_type() == "ConvInteger" || n.op_type() == "MatMulInteger";
}

std::string NodePointer(int i) { return "/graph/node/" + std::to_string(i); }

std::string NodeLabel(const NodeProto& n) {
  return "node \"" + n.name() + "\" (op " + n.op_type() + ", domain " + Domain(n) + ")";
}

void AddNodeProblem(core::ProblemList* problems, int i, const NodeProto& n, const std::string& message) {
  problems->Add(NodePointer(i), NodeLabel(n) + ": " + message);
}

void FailNode(core::ProblemList* problems, int i, const NodeProto& n, const std::string& message) {
  AddNodeProblem(problems, i, n, message);
  problems->ThrowIfAny();
  throw std::logic_error("ProblemList::ThrowIfAny did not throw");
}

const OnnxTensor& ConstantNamed(core::ProblemList* problems,
                                const std::map<std::string, OnnxTensor>& constants, int i, const NodeProto& n,
                                const std::string& name, const std::string& what) {
  auto it = constants.find(name);
  if (it != constants.end()) return it->second;
  FailNode(problems, i, n,
           what + (name.empty() ? " is absent" : " \"" + name + "\" is not a constant") +
               " (expected an initializer or a Constant node)");
}

void ImportContext::NodeProblem(int i, const NodeProto& n, const std::string& message) {
  AddNodeProblem(&problems_, i, n, message);
}

void ImportContext::Fail(int i, const NodeProto& n, const std::string& message) {
  FailNode(&problems_, i, n, message);
}

const OnnxTensor& ImportContext::ConstantInput(int i, const NodeProto& n, int k) {
  return ConstantNamed(&problems_, constants_, i, n, Input(n, k), "input " + std::to_string(k));
}

const Value& ImportContext::ValueInput(int i, const NodeProto& n, int k) {
  const std::string name = Input(n, k);
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  Fail(i, n,
       "input " + std::to_string(k) + (name.empty() ? " is absent" : " (\"" + name + "\") is not computed") +
           " (expected a graph input or an earlier node's output)");
}

const Value* ImportContext::ImageInput(int i, const NodeProto& n, int k) {
  const Value& x = ValueInput(i, n, k);
  if (x.shape.size() != 4 || x.shape[0] != 1) {
    NodeProblem(i, n,
                "input \"" + n.input(k) + "\" has shape " + core::ShapeString(x.shape) +
                    ": expected [1, C, H, W] (2-D, batch 1)");
    return nullptr;
  }
  return &x;
}

bool ImportContext::IsGraphOutput(const std::string& name) const {
  for (const auto& o : model_.graph().output()) {
    if (o.name() == name) return true;
  }
  return false;
}

std::string ImportContext::Sanitized(std::string s) {
  for (char& c : s) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) c = '_';
  }
  return s;
}

std::string ImportContext::IrName(const std::string& onnx_name) const {
  const std::string s = Sanitized(onnx_name.empty() ? "t" : onnx_name);
  std::string name = s;
  for (int k = 2; g_.tensors.count(name); ++k) name = s + "_" + std::to_string(k);
  return name;
}

core::TensorInfo& ImportContext::AddTensor(const std::string& onnx_name, std::vector<int64_t> ir_shape) {
  core::TensorInfo t;
  t.name = IrName(onnx_name);
  t.shape = std::move(ir_shape);
  return g_.tensors[t.name] = t;
}

const Value* ImportContext::AddActivation(const std::string& name, const std::vector<int64_t>& shape,
                                          const std::string& where, const std::string& who) {
  auto q = quant_.find(name);
  if (q == quant_.end()) {
    problems_.Add(where,
                  who + ": tensor \"" + name + "\" has no quantization (no QLinear node reads or writes it)");
    return nullptr;
  }
  core::TensorInfo& t = AddTensor(name, IrShape(shape));
  t.bits = 8;
  t.is_signed = q->second.is_signed;
  t.quant.scales = {q->second.scale};
  t.quant.zero_points = {q->second.zero_point};
  return &(values_[name] = Value{t.name, shape});
}

bool ImportContext::SetOutput(int i, const NodeProto& n, const std::vector<int64_t>& onnx_shape,
                              core::Op* ir) {
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

std::string ImportContext::AddTable(const std::string& name, const core::TensorInfo& y,
                                    std::vector<int32_t> values) {
  core::TensorInfo& t = AddTensor(name, {256});
  t.bits = 8;
  t.is_signed = y.is_signed;
  t.quant = y.quant;
  t.data = std::move(values);
  return t.name;
}

std::string ImportContext::OpName(int i, const NodeProto& n) {
  std::string name = Sanitized(n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name());
  while (!op_names_.insert(name).second) name += "_" + std::to_string(i);
  return name;
}

}  // namespace npusim::importer

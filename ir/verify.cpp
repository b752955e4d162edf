// Verify (ir/verify.h): tensors first, then the network inputs, the ops in order (references,
// production, attributes, then the shared per-op rules of ir/op_rules.h on ops whose operands are
// sound), then the network outputs. Like the loader, a value that failed a check is not used
// again, so one mistake does not cascade into many messages.
#include "ir/verify.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "ir/op_rules.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::core {
namespace {

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// What the verifier learnt about a tensor.
struct Facts {
  bool shape_ok = false;
  OperandFacts operand;
  int produced_by = -1;  // op index
};

std::pair<size_t, size_t> OperandCount(OpType t) {
  switch (t) {
    case OpType::kConv2d:
    case OpType::kFullyConnected: return {2, 3};
    case OpType::kAdd:
    case OpType::kMul:
    case OpType::kLookup: return {2, 2};
    case OpType::kConcat: return {2, kMaxConcatOperands};
    default: return {1, 1};
  }
}

class Verifier {
 public:
  Verifier(const Graph& g, const std::string& source) : g_(g), source_(source) {}

  std::vector<Problem> Run() {
    for (const auto& [name, t] : g_.tensors) CheckTensor(name, t);
    CheckNetworkInputs();
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      for (const std::string& n : g_.ops[i].outputs) first_producer_.emplace(n, static_cast<int>(i));
    }
    std::set<std::string> op_names;
    for (size_t i = 0; i < g_.ops.size(); ++i) CheckOp(i, &op_names);
    CheckNetworkOutputs();
    return std::move(problems_);
  }

  // How messages name op i and its parts.
  std::string OpLocation(size_t i) const {
    const Op& op = g_.ops[i];
    return "op " + std::to_string(i) + " " + Quoted(op.name) + " (" + OpTypeName(op.type) + ")";
  }
  void Add(const std::string& where, const std::string& message) {
    problems_.push_back({source_, where, message});
  }
  const Facts* Find(const std::string& n) const {
    auto it = facts_.find(n);
    return it == facts_.end() ? nullptr : &it->second;
  }

 private:
  // ---------------------------------------------------------------- tensors

  void CheckTensor(const std::string& key, const TensorInfo& t) {
    const std::string where = "tensor " + Quoted(key);
    Facts& f = facts_[key];
    if (t.name != key) Add(where, "expected the name " + Quoted(key) + " (its key), got " + Quoted(t.name));
    if (!IsTensorName(key)) {
      Add(where, "expected a tensor name of characters A-Z a-z 0-9 _ . : - (it names output files)");
    }
    f.shape_ok = ShapeOk(where, t.shape);
    f.operand.type_ok = TypeOk(where, t);
    f.operand.constant = t.data.has_value();
    f.operand.per_channel = t.quant.scales.size() > 1 || t.quant.zero_points.size() > 1;
    if (f.operand.type_ok && t.bits != 32) CheckQuant(where, t, f);
    if (f.operand.type_ok && f.shape_ok && t.data) CheckData(where, t);
  }

  bool ShapeOk(const std::string& where, const std::vector<int64_t>& s) {
    bool ok = !s.empty() && s.size() <= 4;
    int64_t elements = 1;
    for (int64_t d : s) {
      ok = ok && d >= 1 && d <= kMaxTensorElements;
      if (ok) elements *= d;  // both factors < 2^31: checked before it can overflow
      ok = ok && elements <= kMaxTensorElements;
    }
    if (!ok) {
      Add(where, "expected a shape of 1 to 4 dimensions >= 1 and at most " +
                     std::to_string(kMaxTensorElements) + " elements, got " + ShapeString(s));
    }
    return ok;
  }

  bool TypeOk(const std::string& where, const TensorInfo& t) {
    if ((t.bits >= 1 && t.bits <= 16) || (t.bits == 32 && t.is_signed)) return true;
    Add(where, "expected 1..16 bits, or 32 signed bits for a bias or an int32 accumulator output, got " +
                   TypeString(t));
    return false;
  }

  void CheckQuant(const std::string& where, const TensorInfo& t, const Facts& f) {
    const QuantParams& q = t.quant;
    for (size_t i = 0; i < q.scales.size(); ++i) {
      if (q.scales[i] > 0 && std::isfinite(q.scales[i])) continue;
      Add(where, "expected scales > 0 and finite, scale " + std::to_string(i) + " is " +
                     std::to_string(q.scales[i]));
    }
    for (size_t i = 0; i < q.zero_points.size(); ++i) {
      if (q.zero_points[i] >= t.qmin() && q.zero_points[i] <= t.qmax()) continue;
      Add(where, "expected zero points in " + IntExpectation(t.qmin(), t.qmax()) + " (" + TypeString(t) +
                     "), zero point " + std::to_string(i) + " is " + std::to_string(q.zero_points[i]));
    }
    if (q.scales.empty() || q.zero_points.empty()) {
      Add(where, "expected at least one scale and one zero point, got " + std::to_string(q.scales.size()) +
                     " and " + std::to_string(q.zero_points.size()));
    }
    if (f.operand.per_channel) CheckPerChannel(where, t);
  }

  // Per-channel parameters belong to constant weights, one per output channel (axis 0).
  void CheckPerChannel(const std::string& where, const TensorInfo& t) {
    if (!t.data || std::count(g_.inputs.begin(), g_.inputs.end(), t.name) != 0) {
      Add(where,
          "expected one scale and one zero point: per-channel quantization is only allowed on constant "
          "weights (tensors with data that are not network inputs)");
      return;
    }
    if (t.shape.empty()) return;
    const auto channels = static_cast<size_t>(t.shape[0]);
    const size_t ns = t.quant.scales.size(), nz = t.quant.zero_points.size();
    if ((ns != 1 && ns != channels) || (nz != 1 && nz != channels) || t.quant.axis != 0) {
      Add(where, "expected 1 or " + std::to_string(channels) +
                     " scales and zero points (one per output channel, shape[0], axis 0), got " +
                     std::to_string(ns) + " scales and " + std::to_string(nz) + " zero points along axis " +
                     std::to_string(t.quant.axis));
    }
  }

  void CheckData(const std::string& where, const TensorInfo& t) {
    const std::vector<int32_t>& v = *t.data;
    if (static_cast<int64_t>(v.size()) != t.elements()) {
      Add(where, "expected " + std::to_string(t.elements()) + " data values (shape " + ShapeString(t.shape) +
                     "), got " + std::to_string(v.size()));
      return;
    }
    const std::string violation = RangeViolation(v, t);
    if (!violation.empty()) Add(where, violation);
  }

  // ---------------------------------------------------------------- network inputs and outputs

  // Entry i of the network's input or output list (`list`): a tensor of the graph, listed once.
  Facts* ListEntry(const char* list, size_t i, const std::string& n, std::set<std::string>* seen) {
    const std::string where = list + ("[" + std::to_string(i) + "] ") + Quoted(n);
    if (!seen->insert(n).second)
      Add(where, std::string("duplicate network ") + (list[0] == 'i' ? "input" : "output"));
    auto it = facts_.find(n);
    if (it != facts_.end()) return &it->second;
    Add(where, "expected the name of a tensor of the graph");
    return nullptr;
  }

  void CheckNetworkInputs() {
    std::set<std::string> seen;
    for (size_t i = 0; i < g_.inputs.size(); ++i) {
      const std::string& n = g_.inputs[i];
      Facts* f = ListEntry("inputs", i, n, &seen);
      if (!f) continue;
      f->operand.is_input = true;
      available_.insert(n);
      if (g_.tensor(n).bits != 32) continue;
      Add("inputs[" + std::to_string(i) + "] " + Quoted(n),
          "expected an activation tensor (1..16 bits), it has 32 bits " + std::string(kThirtyTwoBitRoles));
    }
    for (const auto& [name, f] : facts_) {
      if (f.operand.constant) available_.insert(name);
    }
  }

  void CheckNetworkOutputs() {
    std::set<std::string> seen;
    for (size_t i = 0; i < g_.outputs.size(); ++i) {
      const std::string& n = g_.outputs[i];
      const Facts* f = ListEntry("outputs", i, n, &seen);
      if (f && f->produced_by < 0) {
        Add("outputs[" + std::to_string(i) + "] " + Quoted(n),
            "expected a tensor produced by an op, it is not produced by any op");
      }
    }
    if (g_.outputs.empty()) Add("outputs", "expected at least 1 network output, got none");
  }

  // ---------------------------------------------------------------- ops

  void CheckOp(size_t i, std::set<std::string>* names);
  bool InputsOk(size_t i);
  bool OutputOk(size_t i);
  bool AttributesOk(size_t i);
  template <size_t N>
  bool Within(size_t i, const char* name, const std::array<int64_t, N>& v, int64_t min, int64_t max);

  const Graph& g_;
  const std::string& source_;
  std::vector<Problem> problems_;
  std::map<std::string, Facts> facts_;
  std::map<std::string, int> first_producer_;
  std::set<std::string> available_;
};

// The verifier's view of the per-op rules: a problem's place as the op's index, name and kind
// and the operand by position and name; the output's shape is always given.
class VerifierRuleReport : public OpRuleReport {
 public:
  VerifierRuleReport(Verifier& v, const Graph& g, size_t i)
      : v_(v), op_(g.ops[i]), y_(g.tensor(op_.outputs[0])), i_(i) {}

  void Add(const OpSite& where, const std::string& message) override { v_.Add(Where(where), message); }
  std::string OpRef() const override { return "op " + std::to_string(i_) + " " + Quoted(op_.name); }
  OperandFacts Facts(const std::string& tensor) const override { return v_.Find(tensor)->operand; }
  const std::vector<int64_t>* GivenOutputShape() const override { return &y_.shape; }

 private:
  std::string Where(const OpSite& s) const {
    const std::string op = v_.OpLocation(i_);
    switch (s.kind) {
      case OpSite::Kind::kOp: return op;
      case OpSite::Kind::kInput:
        return op + ", input " + std::to_string(s.index) + " " + Quoted(op_.inputs[s.index]);
      case OpSite::Kind::kOutput: return op + ", output " + Quoted(op_.outputs[0]);
      case OpSite::Kind::kAttribute:
        return op + ", " + s.attribute + (s.index < 0 ? "" : "[" + std::to_string(s.index) + "]");
      case OpSite::Kind::kOutputShape: return op + ", output " + Quoted(op_.outputs[0]) + " shape";
    }
    return op;
  }

  Verifier& v_;
  const Op& op_;
  const TensorInfo& y_;
  size_t i_;
};

void Verifier::CheckOp(size_t i, std::set<std::string>* names) {
  const Op& op = g_.ops[i];
  const std::string where = OpLocation(i);
  if (op.name.empty()) Add(where, "expected an op name, got \"\"");
  else if (!names->insert(op.name).second) Add(where, "duplicate op name " + Quoted(op.name));
  const auto [min, max] = OperandCount(op.type);
  bool ok = true;
  if (op.inputs.size() < min || op.inputs.size() > max) {
    Add(where, "expected " + std::to_string(min) + (min == max ? "" : ".." + std::to_string(max)) +
                   " inputs for " + OpTypeName(op.type) + ", got " + std::to_string(op.inputs.size()));
    ok = false;
  }
  ok = InputsOk(i) && ok;
  ok = OutputOk(i) && ok;
  ok = AttributesOk(i) && ok;
  if (!ok) return;
  VerifierRuleReport report(*this, g_, i);
  if (!CheckOperandRoles(g_, op, report)) return;
  for (const std::string& n : op.inputs) {
    if (!facts_[n].shape_ok) return;  // its own problem was reported
  }
  CheckOpShape(g_, op, OpTypeName(op.type), report);
}

// Every input names a tensor that has a value at op i.
bool Verifier::InputsOk(size_t i) {
  const Op& op = g_.ops[i];
  bool ok = true;
  for (size_t k = 0; k < op.inputs.size(); ++k) {
    const std::string& n = op.inputs[k];
    const std::string where = OpLocation(i) + ", input " + std::to_string(k) + " " + Quoted(n);
    if (!Find(n)) {
      Add(where, "expected the name of a tensor of the graph");
      ok = false;
    } else if (!available_.count(n)) {
      auto it = first_producer_.find(n);
      Add(where,
          it != first_producer_.end()
              ? "tensor is produced by op " + std::to_string(it->second) +
                    ", which does not come before this op; ops must be in topological order"
              : "tensor has no value here: it is not a network input, has no data and is not produced by "
                "an earlier op");
      ok = false;
    }
  }
  return ok;
}

// Op i produces exactly one tensor, which nothing else produces.
bool Verifier::OutputOk(size_t i) {
  const Op& op = g_.ops[i];
  if (op.outputs.size() != 1) {
    Add(OpLocation(i), "expected exactly 1 output, got " + std::to_string(op.outputs.size()));
    return false;
  }
  const std::string& n = op.outputs[0];
  const std::string where = OpLocation(i) + ", output " + Quoted(n);
  auto it = facts_.find(n);
  if (it == facts_.end()) {
    Add(where, "expected the name of a tensor of the graph");
    return false;
  }
  Facts& f = it->second;
  available_.insert(n);  // later consumers see a value even if this op has problems
  std::string problem;
  if (f.operand.is_input) problem = "a network input cannot be produced by an op";
  else if (f.operand.constant) problem = "a tensor with data (a constant) cannot be produced by an op";
  else if (f.produced_by >= 0)
    problem = "already produced by op " + std::to_string(f.produced_by) + "; every tensor is produced once";
  if (!problem.empty()) {
    Add(where, problem);
    return false;
  }
  f.produced_by = static_cast<int>(i);
  return true;
}

// A pair or list attribute's values within [min, max].
template <size_t N>
bool Verifier::Within(size_t i, const char* name, const std::array<int64_t, N>& v, int64_t min, int64_t max) {
  bool ok = true;
  for (size_t k = 0; k < N; ++k) {
    if (v[k] >= min && v[k] <= max) continue;
    Add(OpLocation(i) + ", " + name + "[" + std::to_string(k) + "]",
        "expected " + IntExpectation(min, max) + ", got " + std::to_string(v[k]));
    ok = false;
  }
  return ok;
}

// The attributes op i's kind reads lie within the loader's limits (the shape rules divide by
// strides and groups); a fused activation only where one is applied.
bool Verifier::AttributesOk(size_t i) {
  const Op& op = g_.ops[i];
  bool ok = true;
  const bool pool = op.type == OpType::kMaxPool || op.type == OpType::kAvgPool;
  if (op.type == OpType::kConv2d || pool) {
    ok = Within(i, "stride", op.stride, 1, kMaxWindowDim) && ok;
    ok = Within(i, "pads", op.pads, 0, kMaxWindowDim) && ok;
    ok = Within(i, pool ? "kernel" : "dilation", pool ? op.kernel : op.dilation, 1, kMaxWindowDim) && ok;
  }
  if (op.type == OpType::kConv2d && op.groups < 1) {
    Add(OpLocation(i) + ", groups", "expected an integer >= 1, got " + std::to_string(op.groups));
    ok = false;
  }
  if (op.type == OpType::kConcat && (op.axis < 0 || op.axis > 7)) {
    Add(OpLocation(i) + ", axis", "expected " + IntExpectation(0, 7) + ", got " + std::to_string(op.axis));
    ok = false;
  }
  const bool fuses =
      op.type == OpType::kConv2d || op.type == OpType::kFullyConnected || op.type == OpType::kAdd;
  if (!fuses && op.activation != Activation::kNone) {
    Add(OpLocation(i) + ", activation",
        "expected none (only conv2d, fully_connected and add fuse an activation), got one");
    ok = false;
  }
  return ok;
}

}  // namespace

std::vector<Problem> VerifyProblems(const Graph& g, const std::string& source) {
  return Verifier(g, source).Run();
}

void Verify(const Graph& g, const std::string& source) {
  std::vector<Problem> problems = VerifyProblems(g, source);
  if (!problems.empty()) throw ConfigError(std::move(problems));
}

void VerifyRewrite(const Graph& g, const std::string& source, const std::vector<Problem>& before) {
  std::set<std::pair<std::string, std::string>> known;
  for (const Problem& p : before) known.emplace(p.pointer, p.message);
  std::vector<Problem> added;
  for (Problem& p : VerifyProblems(g, source)) {
    if (!known.count({p.pointer, p.message})) added.push_back(std::move(p));
  }
  if (!added.empty()) throw ConfigError(std::move(added));
}

}  // namespace npusim::core

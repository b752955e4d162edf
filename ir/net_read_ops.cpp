// The network loader's op reader (ir/net_reader.h): /ops in file order. Each op name maps, in
// one table (kOpSpecs), to its type, the keys and inputs it takes and the reader of its
// attributes; then the references, the topological order and the operands' roles are checked and
// the shape rules (ir/op_rules.h, through ir/net_read_shapes.cpp) run on ops whose operands are sound.
#include <array>
#include <map>

#include "ir/mapping_force.h"
#include "ir/net_reader.h"

namespace npusim::core::net {
namespace {

// Reads an op's attributes (the keys beyond name, op, inputs and outputs). ok() is false when a
// numeric attribute (stride, pads, dilation, groups, kernel, axis) is bad: the shape rules need
// them. A bad enum, flag or mapping is reported but leaves the default.
class AttributeReader {
 public:
  AttributeReader(JsonChecker& check, const Json& o, const std::string& p, Op* op)
      : check_(check), o_(o), p_(p), op_(op) {}
  bool ok() const { return ok_; }

  // One per op family, reading its attributes in this order.
  void None() {}
  void Conv() {
    Window();
    Pair("dilation", Need::kOptional, &op_->dilation, 1);
    Groups();
    MatrixOptions();
    if (auto f = check_.GetEnum(o_, p_, "fusion", Need::kOptional, {"auto", "next", "none"})) {
      op_->fusion = *f == "next"   ? FusionForce::kNext
                    : *f == "none" ? FusionForce::kNone
                                   : FusionForce::kAuto;
    }
  }
  void FullyConnected() { MatrixOptions(); }
  void Add() { FusedActivation(); }
  void MaxPool() { PoolWindow(); }
  void AvgPool() {
    PoolWindow();
    if (auto a = check_.GetEnum(o_, p_, "accumulate", Need::kOptional, {"integer", "float32"})) {
      op_->float_accumulate = *a == "float32";
    }
    if (auto c = check_.GetBool(o_, p_, "count_include_pad", Need::kOptional)) {
      op_->count_include_pad = *c;
    }
  }
  void Concat() {
    if (auto a = check_.GetInt(o_, p_, "axis", Need::kRequired, 0, 7)) op_->axis = *a;
    else ok_ = false;
  }

 private:
  void Pair(const char* key, Need need, std::array<int64_t, 2>* out, int64_t min) {
    if (!o_.contains(key) && need == Need::kOptional) return;
    auto v = check_.GetIntList(o_, p_, key, need, 2, min, kMaxDim);
    if (v) *out = {(*v)[0], (*v)[1]};
    else ok_ = false;
  }
  // stride and pads: conv2d and the pools.
  void Window() {
    Pair("stride", Need::kOptional, &op_->stride, 1);
    if (!o_.contains("pads")) return;
    auto v = check_.GetIntList(o_, p_, "pads", Need::kOptional, 4, 0, kMaxDim);
    if (v) op_->pads = {(*v)[0], (*v)[1], (*v)[2], (*v)[3]};
    else ok_ = false;
  }
  void PoolWindow() {
    Window();
    Pair("kernel", Need::kRequired, &op_->kernel, 1);
  }
  void Groups() {
    if (!o_.contains("groups")) return;
    auto g = check_.GetInt(o_, p_, "groups", Need::kOptional, 1, kMaxElements);
    if (g) op_->groups = *g;
    else ok_ = false;
  }
  // conv2d and fully_connected: a forced mapping (checked against the arch's grid and the unit's
  // dataflows by the compiler), then the fused activation.
  void MatrixOptions() {
    if (const Json* m = check_.Member(o_, p_, "mapping", Need::kOptional, "an object")) {
      ParseMappingForce(check_, *m, Pointer(p_, "mapping"), ArchDataflows(), &op_->mapping);
    }
    FusedActivation();
  }
  void FusedActivation() {
    if (auto a = check_.GetEnum(o_, p_, "activation", Need::kOptional, {"none", "relu", "relu6"})) {
      op_->activation = *a == "relu"    ? Activation::kRelu
                        : *a == "relu6" ? Activation::kRelu6
                                        : Activation::kNone;
    }
  }

  JsonChecker& check_;
  const Json& o_;
  const std::string& p_;
  Op* op_;
  bool ok_ = true;
};

// What an op name means.
struct OpSpec {
  std::string name;
  OpType type;
  std::vector<std::string> keys;  // beyond name, op, inputs, outputs
  size_t min_inputs, max_inputs;
  std::string inputs;  // what the inputs are, for messages
  void (AttributeReader::*attributes)();
};

const std::vector<OpSpec>& OpSpecs() {
  using R = AttributeReader;
  const std::vector<std::string> conv_keys = {"stride",     "pads",    "dilation", "groups",
                                              "activation", "mapping", "fusion"};
  const std::string mm_inputs = "[x, w] or [x, w, bias]";
  static const std::vector<OpSpec> specs = {
      {"conv2d", OpType::kConv2d, conv_keys, 2, 3, mm_inputs, &R::Conv},
      {"fully_connected",
       OpType::kFullyConnected,
       {"activation", "mapping"},
       2,
       3,
       mm_inputs,
       &R::FullyConnected},
      {"matmul", OpType::kFullyConnected, {"activation", "mapping"}, 2, 3, mm_inputs, &R::FullyConnected},
      {"add", OpType::kAdd, {"activation"}, 2, 2, "[a, b]", &R::Add},
      {"mul", OpType::kMul, {}, 2, 2, "[a, b]", &R::None},
      {"lookup", OpType::kLookup, {}, 2, 2, "[x, table]", &R::None},
      {"max_pool", OpType::kMaxPool, {"kernel", "stride", "pads"}, 1, 1, "[x]", &R::MaxPool},
      {"avg_pool",
       OpType::kAvgPool,
       {"kernel", "stride", "pads", "count_include_pad", "accumulate"},
       1,
       1,
       "[x]",
       &R::AvgPool},
      {"global_avg_pool", OpType::kGlobalAvgPool, {}, 1, 1, "[x]", &R::None},
      {"reshape", OpType::kReshape, {}, 1, 1, "[x]", &R::None},
      {"flatten", OpType::kReshape, {}, 1, 1, "[x]", &R::None},
      {"concat",
       OpType::kConcat,
       {"axis"},
       2,
       kMaxConcatInputs,
       "[x0, x1, ...] (2 to " + std::to_string(kMaxConcatInputs) + ")",
       &R::Concat},
  };
  return specs;
}

const OpSpec* SpecOf(const std::string& name) {
  for (const OpSpec& s : OpSpecs()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const std::vector<std::string>& OpNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const OpSpec& s : OpSpecs()) n.push_back(s.name);
    return n;
  }();
  return names;
}

std::vector<std::string> OpKeys(const OpSpec& spec) {
  std::vector<std::string> keys = {"name", "op", "inputs", "outputs"};
  keys.insert(keys.end(), spec.keys.begin(), spec.keys.end());
  return keys;
}

class OpReader {
 public:
  explicit OpReader(NetState& s) : s_(s) {}

  void Read(const Json& ops) {
    if (!check_.Array(ops, "/ops", 1)) return;
    if (ops.size() > kMaxOps) {
      check_.Add("/ops",
                 "expected at most " + std::to_string(kMaxOps) + " ops, got " + std::to_string(ops.size()));
      return;
    }
    // Where each tensor is first produced, to tell "listed too late" from "never produced".
    for (size_t i = 0; i < ops.size(); ++i) {
      const Json& o = ops[i];
      if (!o.is_object() || !o.contains("outputs") || !o["outputs"].is_array()) continue;
      for (const Json& n : o["outputs"]) {
        if (n.is_string()) first_producer_.emplace(n.get<std::string>(), static_cast<int>(i));
      }
    }
    for (const auto& [name, st] : state_) {
      if (st.is_input || st.constant) available_.insert(name);
    }
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < ops.size(); ++i) {
      Op& op = g_.ops.emplace_back();
      ParseOp(i, ops[i], &op, &names);
    }
  }

 private:
  void ParseOp(size_t i, const Json& o, Op* op, std::map<std::string, size_t>* names) {
    const std::string p = Pointer("/ops", i);
    if (!check_.Object(o, p)) return;
    if (auto name = check_.GetString(o, p, "name", Need::kRequired)) {
      op->name = *name;
      CheckNameLength(check_, *name, Pointer(p, "name"), "op");
      auto [it, fresh] = names->emplace(*name, i);
      if (!fresh) {
        check_.Add(Pointer(p, "name"),
                   "duplicate op name \"" + *name + "\" (also /ops/" + std::to_string(it->second) + ")");
      }
    }
    auto kind = check_.GetEnum(o, p, "op", Need::kRequired, OpNames());
    const OpSpec* spec = kind ? SpecOf(*kind) : nullptr;
    if (spec) {
      op->type = spec->type;
      check_.Keys(o, p, OpKeys(*spec));
    }
    const bool inputs_ok = OpInputs(o, p, i, spec, op);
    const bool outputs_ok = OpOutputs(o, p, i, op);
    if (!spec) return;
    AttributeReader attributes(check_, o, p, op);
    (attributes.*spec->attributes)();
    if (!inputs_ok || !outputs_ok) return;
    if (!RolesOk(s_, p, *op)) return;
    for (const std::string& n : op->inputs) {
      if (g_.tensor(n).shape.empty()) return;  // its own problem was reported
    }
    if (!attributes.ok()) return;
    InferAndCheck(s_, p, *kind, op);
  }

  // Reads op inputs; true when each names an existing tensor that has a value at this point.
  // `spec` is null when the op's name is not known: then any number of inputs is read.
  bool OpInputs(const Json& o, const std::string& p, size_t i, const OpSpec* spec, Op* op) {
    const std::string expectation = "a list of tensor names " + (spec ? spec->inputs : "[x]");
    const Json* v = check_.Member(o, p, "inputs", Need::kRequired, expectation);
    if (!v) return false;
    const std::string ip = Pointer(p, "inputs");
    if (!v->is_array() || (spec && (v->size() < spec->min_inputs || v->size() > spec->max_inputs))) {
      check_.Add(ip, "expected " + expectation + ", got " + Describe(*v));
      return false;
    }
    bool ok = true;
    for (size_t k = 0; k < v->size(); ++k) {
      auto n = check_.String((*v)[k], Pointer(ip, k));
      if (!n) {
        ok = false;
        continue;
      }
      op->inputs.push_back(*n);
      ok = InputAvailable(*n, Pointer(ip, k), static_cast<int>(i)) && ok;
    }
    return ok;
  }

  bool InputAvailable(const std::string& n, const std::string& ptr, int self) {
    if (!s_.Exists(n)) {
      check_.Add(ptr, "expected the name of a tensor in /tensors, got \"" + n + "\"");
      return false;
    }
    if (available_.count(n)) return true;
    auto it = first_producer_.find(n);
    if (it != first_producer_.end() && it->second >= self) {
      check_.Add(ptr, "tensor \"" + n + "\" is produced by /ops/" + std::to_string(it->second) +
                          ", which does not come before this op; ops must be listed in "
                          "topological order");
    } else {
      check_.Add(ptr, "tensor \"" + n +
                          "\" has no value here: it is not a network input, has "
                          "no data and is not produced by an earlier op");
    }
    return false;
  }

  bool OpOutputs(const Json& o, const std::string& p, size_t i, Op* op) {
    const std::string expectation = "a list of one tensor name";
    const Json* v = check_.Member(o, p, "outputs", Need::kRequired, expectation);
    if (!v) return false;
    const std::string op_ptr = Pointer(p, "outputs");
    if (!v->is_array() || v->size() != 1) {
      check_.Add(op_ptr, "expected " + expectation + ", got " + Describe(*v));
      return false;
    }
    const std::string yp = Pointer(op_ptr, 0);
    auto n = check_.String((*v)[0], yp);
    if (!n) return false;
    op->outputs.push_back(*n);
    if (!s_.Exists(*n)) {
      check_.Add(yp, "expected the name of a tensor in /tensors, got \"" + *n + "\"");
      return false;
    }
    TensorState& st = state_[*n];
    available_.insert(*n);  // later consumers see a value even if this op has problems
    if (st.is_input) {
      check_.Add(yp, "tensor \"" + *n + "\" is a network input and cannot be produced by an op");
      return false;
    }
    if (st.constant) {
      check_.Add(yp, "tensor \"" + *n + "\" has data (a constant) and cannot be produced by an op");
      return false;
    }
    if (st.produced_by >= 0) {
      check_.Add(yp, "tensor \"" + *n + "\" is already produced by /ops/" + std::to_string(st.produced_by) +
                         "; every tensor is produced once");
      return false;
    }
    st.produced_by = static_cast<int>(i);
    return true;
  }

  NetState& s_;
  JsonChecker& check_ = s_.check;
  Graph& g_ = s_.g;
  std::map<std::string, TensorState>& state_ = s_.state;
  std::map<std::string, int>& first_producer_ = s_.first_producer;
  std::set<std::string>& available_ = s_.available;
};

}  // namespace

void ReadOps(NetState& s, const Json& ops) { OpReader(s).Read(ops); }

}  // namespace npusim::core::net

#include "reference/executor.h"

#include <stdexcept>
#include <string>

#include "reference/kernels.h"

namespace npusim::reference {
namespace {

using Kernel = std::vector<int32_t> (*)(const core::Graph&, const core::Op&, const Values&, const Options&);

Kernel KernelFor(core::OpType type) {
  switch (type) {
    case core::OpType::kConv2d: return Conv2d;
    case core::OpType::kFullyConnected: return FullyConnected;
    case core::OpType::kAdd: return Add;
    case core::OpType::kMul: return Mul;
    case core::OpType::kLookup: return LookupTable;
    case core::OpType::kMaxPool: return MaxPool;
    case core::OpType::kAvgPool: return AvgPool;
    case core::OpType::kGlobalAvgPool: return GlobalAvgPool;
    case core::OpType::kReshape: return Reshape;
    case core::OpType::kConcat: return Concat;
  }
  throw std::invalid_argument("unknown op type");
}

// {fewest, most} inputs of each op type (docs/formats.md).
std::pair<size_t, size_t> InputCount(core::OpType type) {
  switch (type) {
    case core::OpType::kConv2d:
    case core::OpType::kFullyConnected: return {2, 3};
    case core::OpType::kAdd:
    case core::OpType::kMul:
    case core::OpType::kLookup: return {2, 2};
    case core::OpType::kConcat: return {2, 64};
    default: return {1, 1};
  }
}

void CheckValues(const core::TensorInfo& t, const std::vector<int32_t>& v, const char* what) {
  if (static_cast<int64_t>(v.size()) != t.elements()) {
    throw std::invalid_argument(std::string(what) + " '" + t.name + "' has " + std::to_string(v.size()) +
                                " values, expected " + std::to_string(t.elements()));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] < t.qmin() || v[i] > t.qmax()) {
      throw std::invalid_argument(std::string(what) + " '" + t.name + "'[" + std::to_string(i) +
                                  "] = " + std::to_string(v[i]) + " is outside " + std::to_string(t.qmin()) +
                                  ".." + std::to_string(t.qmax()));
    }
  }
}

// Network inputs: supplied values win over data given in the graph.
TensorMap BindInputs(const core::Graph& g, const TensorMap& inputs) {
  TensorMap values;
  for (const auto& [name, v] : inputs) {
    bool known = false;
    for (const std::string& in : g.inputs) known = known || in == name;
    if (!known) throw std::invalid_argument("'" + name + "' is not a network input");
  }
  for (const std::string& name : g.inputs) {
    const core::TensorInfo& t = g.tensor(name);
    const auto supplied = inputs.find(name);
    if (supplied != inputs.end()) {
      values[name] = supplied->second;
    } else if (t.data) {
      values[name] = *t.data;
    } else {
      throw std::invalid_argument("network input '" + name + "' has no value");
    }
    CheckValues(t, values[name], "input");
  }
  return values;
}

// An op input is an activation computed (or bound) earlier, or a constant of the graph.
const std::vector<int32_t>* Lookup(const core::Graph& g, const TensorMap& values, const std::string& name,
                                   const core::Op& op) {
  const auto computed = values.find(name);
  if (computed != values.end()) return &computed->second;
  const core::TensorInfo& t = g.tensor(name);
  if (t.data) return &*t.data;
  throw std::invalid_argument("op '" + op.name + "': input '" + name +
                              "' has no value (not a network input, a constant, or an earlier "
                              "op's output)");
}

}  // namespace

void Require(bool ok, const core::Op& op, const std::string& what) {
  if (!ok) throw std::invalid_argument("op '" + op.name + "': " + what);
}

TensorMap Run(const core::Graph& g, const TensorMap& inputs, const Options& opt) {
  if (opt.acc_bits < 8 || opt.acc_bits > 32) {
    throw std::invalid_argument("acc_bits must be in 8..32, got " + std::to_string(opt.acc_bits));
  }
  TensorMap values = BindInputs(g, inputs);
  for (const core::Op& op : g.ops) {
    Require(op.outputs.size() == 1, op, "expected exactly one output");
    const auto [fewest, most] = InputCount(op.type);
    Require(op.inputs.size() >= fewest && op.inputs.size() <= most, op,
            std::string("wrong number of inputs for ") + core::OpTypeName(op.type));
    Values in;
    for (const std::string& name : op.inputs) in.push_back(Lookup(g, values, name, op));
    std::vector<int32_t> out = KernelFor(op.type)(g, op, in, opt);
    CheckValues(g.tensor(op.outputs[0]), out, "output");
    values[op.outputs[0]] = std::move(out);
  }
  return values;
}

}  // namespace npusim::reference

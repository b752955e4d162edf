// Internal to the network loader (ir/net_loader.cpp, the driver, and its readers by concern:
// ir/net_read_tensors.cpp, ir/net_read_ops.cpp, ir/net_read_shapes.cpp). Not for other
// callers: they use ir/net_loader.h.
//
// The readers share one NetState: the file, its problem list, the graph being built and what the
// loader knows about each tensor beyond TensorInfo. Problems never stop the walk; values that
// failed a check are left unknown so that one mistake does not cascade into many messages.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/op_rules.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::core::net {

// Resource limits (docs/formats.md "Limits"): absurd sizes are refused before anything is
// allocated for them.
constexpr int64_t kMaxElements = kMaxTensorElements;  // per tensor
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr int64_t kMaxConstantElements = int64_t{1} << 28;  // all tensors with data, together
#else
// fuzz/: the same check, at a size that keeps every input fast under the sanitizers.
constexpr int64_t kMaxConstantElements = int64_t{1} << 20;
#endif
constexpr size_t kMaxOps = 100000;
constexpr size_t kMaxTensors = 200000;
constexpr int64_t kMaxDim = kMaxWindowDim;  // bound for strides, pads, kernels, dilations
constexpr size_t kMaxValueProblems = 5;     // per data list; the rest are summarised
constexpr size_t kMaxConcatInputs = kMaxConcatOperands;
constexpr size_t kMaxNameBytes = 256;  // network, tensor and op names (the importer's are < 100)
// Work budgets checked once every shape is known, before anything is allocated for the tensors:
// one tensor's elements, and all tensors' together. ResNet-50's largest tensor has 8*10^5
// elements, BERT-base's 3*10^6; the budgets are environment variables (support/json_util.h).
constexpr const char* kTensorBudgetVariable = "NPUSIM_MAX_TENSOR_ELEMENTS";
constexpr int64_t kDefaultTensorBudget = int64_t{1} << 28;
constexpr const char* kNetworkBudgetVariable = "NPUSIM_MAX_NETWORK_ELEMENTS";
constexpr int64_t kDefaultNetworkBudget = int64_t{1} << 30;
inline const char* const k32BitRoles = kThirtyTwoBitRoles;

// What the loader knows about a tensor beyond TensorInfo.
struct TensorState {
  std::string pointer;   // "/tensors/<name>"
  bool type_ok = false;  // bits and signed are valid
  bool shape_given = false;
  bool constant = false;  // has a "data" key (even if the data was bad)
  bool is_input = false;
  bool per_channel = false;
  int produced_by = -1;  // op index
};

struct NetState {
  explicit NetState(const std::string& file) : path(file), problems(file), check(&problems) {}
  NetState(const NetState&) = delete;
  NetState& operator=(const NetState&) = delete;

  bool Exists(const std::string& n) const { return g.tensors.count(n) != 0; }

  std::string path;
  ProblemList problems;
  JsonChecker check;  // adds to `problems`
  Graph g;
  std::map<std::string, TensorState> state;
  std::map<std::string, int> first_producer;  // op index where each tensor is first produced
  std::set<std::string> available;            // tensors with a value at the op being read
  int64_t constant_elements = 0;              // elements of all tensors with "data" so far
};

// A problem at `pointer` (which must not contain the name) when `name` has more than kMaxNameBytes
// bytes; the message quotes only its start. `what`: "tensor", "op" or "network".
bool CheckNameLength(JsonChecker& check, const std::string& name, const std::string& pointer,
                     const std::string& what);

// ir/net_read_tensors.cpp: one entry of /tensors (type, shape, quantization, data) at `p`.
void ReadTensor(NetState& s, const std::string& name, const Json& t, const std::string& p);

// ir/net_read_ops.cpp: /ops in file order (references, topological order, attributes, operand
// roles, then the shape rules).
void ReadOps(NetState& s, const Json& ops);

// ir/net_read_shapes.cpp, the per-op rules of ir/op_rules.h located by JSON pointers under op
// `p`: the operands' roles, and the output shape inferred (or checked against the one the file
// gives) with the op's shape and quantization rules. `kind` is the op's name as the file spells it.
bool RolesOk(NetState& s, const std::string& p, const Op& op);
void InferAndCheck(NetState& s, const std::string& p, const std::string& kind, Op* op);

// Messages (ir/op_rules.h).
using core::QuantString;
using core::RangeViolation;
using core::SameQuant;
using core::TypeString;

}  // namespace npusim::core::net

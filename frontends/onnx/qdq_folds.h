// Internal to importer/: the folds the QDQ folder (qdq_fold.cpp) applies, one per kind of group.
// Each matches its group around one node, checks it and returns the QOperator node it becomes,
// or throws NoFold (qdq_graph.h) with the reason the group cannot be folded.
#pragma once

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

#include "frontends/onnx/qdq_graph.h"

namespace npusim::importer {

// qdq_chain.cpp. From DequantizeLinear `dq_index`: DequantizeLinear -> elementwise float ops ->
// QuantizeLinear as one lookup node (kLookupOp). Not a chain: nullopt, nothing recorded. A chain
// that cannot be tabulated throws NoFold. `chain` receives the ops, then the QuantizeLinear (also
// when it throws); `at` the index where the lookup node goes (the last op).
std::optional<onnx::NodeProto> FoldChain(QdqGraph* g, int dq_index, std::vector<int>* chain, int* at);

// qdq_groups.cpp. The role of each input of a float op in its group.
enum class Role { kAct, kWeight, kBias, kKeep };

// A float op and the QOperator node its group becomes.
struct Pattern {
  std::string op;              // the float op
  std::string q_op, q_domain;  // what the group becomes
  std::vector<Role> roles;     // of inputs 0, 1, ... (missing trailing inputs are optional)
  bool activation;             // may be followed by Relu / Clip
  bool keeps_quant;            // the op on quantized data: no scale inputs, same quantization in and out
};

const Pattern* FindPattern(const onnx::NodeProto& n);

// DequantizeLinear(s) -> node i -> [Relu | Clip] -> QuantizeLinear as one node of pattern p;
// `group` receives the QuantizeLinear and the activation, which the folded node replaces.
onnx::NodeProto FoldGroup(QdqGraph* g, int i, const Pattern& p, std::vector<int>* group);

// DequantizeLinear of every input -> Concat -> QuantizeLinear => com.microsoft QLinearConcat
// (Y_scale, Y_zero_point, then each input's triple), as ONNX Runtime's optimizer folds it.
onnx::NodeProto FoldConcat(QdqGraph* g, int i, std::vector<int>* group);

}  // namespace npusim::importer

#include "ir/graph.h"

namespace npusim::core {

const char* OpTypeName(OpType t) {
  switch (t) {
    case OpType::kConv2d: return "conv2d";
    case OpType::kFullyConnected: return "fully_connected";
    case OpType::kAdd: return "add";
    case OpType::kMul: return "mul";
    case OpType::kLookup: return "lookup";
    case OpType::kMaxPool: return "max_pool";
    case OpType::kAvgPool: return "avg_pool";
    case OpType::kGlobalAvgPool: return "global_avg_pool";
    case OpType::kReshape: return "reshape";
    case OpType::kConcat: return "concat";
  }
  return "?";
}

int64_t OpMacs(const Graph& g, const Op& op) {
  if (op.type != OpType::kConv2d && op.type != OpType::kFullyConnected) return 0;
  const TensorInfo& w = g.tensor(op.inputs[1]);
  const TensorInfo& y = g.tensor(op.outputs[0]);
  // Every output element takes one MAC per weight element feeding it: prod(w.shape[1:]).
  int64_t per_output = 1;
  for (size_t i = 1; i < w.shape.size(); ++i) per_output *= w.shape[i];
  return y.elements() * per_output;
}

}  // namespace npusim::core

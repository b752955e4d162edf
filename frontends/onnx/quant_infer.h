// Internal to importer/: every activation's quantization, inferred from the nodes that state it.
//
// The QLinear nodes (and the DequantizeLinear / QuantizeLinear nodes the QDQ folder absorbed) state
// the scale and zero point of the values they read and write (OpSpec::declares); MaxPool, Reshape,
// Flatten, Identity and Concat keep their input's quantization, so it propagates through them both
// ways. ConvInteger / MatMulInteger state only their input's zero point. Conflicts are problems
// that name both nodes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "frontends/onnx/import_context.h"
#include "frontends/onnx/onnx_node.h"
#include "support/error.h"

namespace npusim::importer {

struct QuantSources {
  const std::map<std::string, OnnxTensor>& constants;
  const std::map<std::string, int>& types;   // declared element types of values
  const std::vector<IndexedNode>& nodes;     // the graph after the QDQ fold, every node supported
  const std::vector<IndexedNode>& absorbed;  // the DequantizeLinear / QuantizeLinear nodes folded away
};

// The quantization of every activation the nodes state or imply; problems go to `problems`.
std::map<std::string, Quant> InferQuant(const QuantSources& sources, core::ProblemList* problems);

}  // namespace npusim::importer

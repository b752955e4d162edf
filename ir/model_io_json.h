// The network file's optional "model_io" block (docs/formats.md, "Model inputs and outputs"):
// core::ModelIo as JSON, written by `npusim import` and checked by the network loader.
//
//   "model_io": {
//     "inputs":  [{"name": "x", "tensor": "x_q", "shape": [1, 3, 8, 8], "perm": [0, 2, 3, 1], "dtype":
//     "float32"}], "outputs": [{"name": "y", "tensor": "y", "shape": [1, 10], "perm": [0, 1], "dtype":
//     "uint8"}]
//   }
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ir/graph.h"
#include "support/json_util.h"

namespace npusim::core {

nlohmann::ordered_json ModelIoJson(const ModelIo& io);

// Reads block `v` (at JSON pointer `pointer`) against the loaded graph `g`: every network input
// listed exactly once in "inputs", every network output at least once in "outputs" (and nothing
// else), each entry's shape the IR tensor's under its perm, its dtype the tensor's own integer type
// or "float32" for a tensor quantized per tensor. Adds every problem to `check`; nullopt if any.
std::optional<ModelIo> ParseModelIo(const Json& v, const std::string& pointer, const Graph& g,
                                    JsonChecker* check);

}  // namespace npusim::core

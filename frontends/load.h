// A network file by its kind: a quantized ONNX model (".onnx", imported on the fly by
// frontends/onnx/: its graph's model_io then makes a run take and give data as the model declares
// it, docs/onnx.md) or a network JSON (ir/net_loader.h). Every command that takes --net loads it
// here, so each accepts both.
#pragma once

#include <string>

#include "ir/graph.h"

namespace npusim::frontends {

// Throws ConfigError naming `path` for a file neither loader accepts.
core::Graph LoadNetworkFile(const std::string& path);

}  // namespace npusim::frontends

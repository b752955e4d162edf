// Loads a network file (workloads/*.json, docs/formats.md "Network") into the graph IR, checking
// everything the compiler and the reference executor rely on: tensor references, shapes, types,
// quantization parameters, constant data and topological order. All problems of the file (and of
// the .npy files it names) are reported at once in one ConfigError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/npy.h"

namespace npusim::core {

// Reads, validates and resolves a network file. Data given as .npy files is read relative to the
// network file's directory. Throws ConfigError listing every problem with file and JSON pointer.
Graph LoadNetwork(const std::string& path);

// Reads the data of a network input from a .npy file (`npusim --input X.npy`): the file's shape
// must equal `expected.shape`; integer values must lie in [expected.qmin(), expected.qmax()];
// float32 values are real ones, quantized with the input's (per-tensor) scale and zero point as
// ONNX QuantizeLinear does (the host's job, before the NPU runs). Throws ConfigError naming `path`.
std::vector<int32_t> LoadInputNpy(const std::string& path, const TensorInfo& expected);

// The values of input `t` from the array read from `path`, whatever its shape: float32 values
// quantized as LoadInputNpy does, integer values checked against t's range. Throws ConfigError
// naming `path`.
std::vector<int32_t> InputValues(const std::string& path, NpyArray a, const TensorInfo& t);

}  // namespace npusim::core

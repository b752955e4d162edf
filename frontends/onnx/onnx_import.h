// Quantized ONNX models (QOperator form) -> the graph IR (ir/graph.h). See docs/onnx.md.
//
// Typical use:
//   core::Graph g = importer::ImportOnnx("model.onnx");          // throws core::ConfigError
//   importer::OnnxModel m = importer::ImportOnnxModel("model.onnx", {});
//   std::vector<int32_t> x_nhwc = core::ToIrOrder(m.inputs()[0], x_nchw);
//
// Every node is checked before anything is converted: the ConfigError lists all unsupported nodes
// at once, each with its name, op type and domain. ONNX is NCHW, the IR NHWC: rank-4 activations
// become [1, H, W, C] in the IR, conv weights OIHW become OHWI, MatMul's B [K, N] becomes the
// fully-connected weight [N, K]. The graph's model_io records the ONNX side of every graph input
// and output, so callers (npusim run) take and give data as ONNX Runtime does.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace npusim::importer {

// A tensor value as ONNX stores it (a TensorProto), decoded: integer element types in
// `int_values`, float32 in `float_values` (the other stays empty).
struct OnnxTensor {
  std::string name;
  int elem_type = 0;  // onnx::TensorProto::DataType (2 = uint8, 3 = int8, 6 = int32, 1 = float)
  std::vector<int64_t> dims;
  std::vector<int32_t> int_values;
  std::vector<float> float_values;
  int64_t elements() const;
};

// Reads a serialized TensorProto (the input_*.pb / output_*.pb files of ONNX's test data).
// Throws core::ConfigError naming the file if it cannot be read, parsed or decoded.
OnnxTensor LoadOnnxTensor(const std::string& path);

struct ImportOptions {
  // Graph inputs to treat as constants, by ONNX name (ONNX's node tests pass weights, scales and
  // zero points as graph inputs). They stop being network inputs.
  std::map<std::string, OnnxTensor> constants;
};

// The imported graph; graph.model_io holds, for each graph input and output in the model's order,
// its ONNX name, shape, element type and the IR tensor it is (ir/model_io.h).
struct OnnxModel {
  core::Graph graph;
  const std::vector<core::ModelTensor>& inputs() const { return graph.model_io->inputs; }
  const std::vector<core::ModelTensor>& outputs() const { return graph.model_io->outputs; }
};

OnnxModel ImportOnnxModel(const std::string& path, const ImportOptions& options);
core::Graph ImportOnnx(const std::string& path);

}  // namespace npusim::importer

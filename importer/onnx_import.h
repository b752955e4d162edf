// Quantized ONNX models (QOperator form) -> the graph IR (core/graph.h). See docs/onnx.md.
//
// Typical use:
//   core::Graph g = importer::ImportOnnx("model.onnx");          // throws core::ConfigError
//   importer::OnnxModel m = importer::ImportOnnxModel("model.onnx", {});
//   std::vector<int32_t> x_nhwc = importer::ToIrOrder(m.inputs[0], x_nchw);
//
// Every node is checked before anything is converted: the ConfigError lists all unsupported nodes
// at once, each with its name, op type and domain. ONNX is NCHW, the IR NHWC: rank-4 activations
// become [1, H, W, C] in the IR, conv weights OIHW become OHWI, MatMul's B [K, N] becomes the
// fully-connected weight [N, K]. The layouts of the network inputs and outputs are returned in
// OnnxModel so callers can feed ONNX-ordered data and read results back in ONNX order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/graph.h"

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

// How one network input or output is laid out in ONNX and in the IR.
struct TensorLayout {
  std::string onnx_name;
  std::string ir_name;                // sanitized to the IR's tensor name characters
  std::vector<int64_t> onnx_shape;    // e.g. [1, C, H, W]
  std::vector<int64_t> ir_shape;      // e.g. [1, H, W, C]
  // IR dimension i is ONNX dimension perm[i]: {0, 2, 3, 1} for NCHW -> NHWC, identity otherwise.
  std::vector<int> perm;
  // A float32 ONNX tensor at the graph's edge (read by a QuantizeLinear, or made by a
  // DequantizeLinear): the IR tensor holds its quantized values (scale and zero point are the IR
  // tensor's), which the host quantizes before the run or dequantizes after it.
  bool real = false;
};

struct OnnxModel {
  core::Graph graph;
  std::vector<TensorLayout> inputs;   // in graph.inputs order
  std::vector<TensorLayout> outputs;  // in graph.outputs order
};

OnnxModel ImportOnnxModel(const std::string& path, const ImportOptions& options);
core::Graph ImportOnnx(const std::string& path);

// Reorders row-major values from the ONNX layout to the IR layout of `l`, and back.
std::vector<int32_t> ToIrOrder(const TensorLayout& l, const std::vector<int32_t>& onnx_values);
std::vector<int32_t> ToOnnxOrder(const TensorLayout& l, const std::vector<int32_t>& ir_values);

}  // namespace npusim::importer

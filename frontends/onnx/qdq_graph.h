// Internal to importer/: the graph as the QDQ folder (qdq_fold.h) reads it: producers and
// consumers of every value, the constants (to which the folder adds ONNX's default zero points and
// the lookup tables it builds), and the questions every fold asks of a DequantizeLinear /
// QuantizeLinear. A group that cannot be folded throws NoFold with the reason.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frontends/onnx/onnx_import.h"
#include "frontends/onnx/onnx_node.h"

namespace npusim::importer {

// Thrown inside one group's match to give the reason it cannot be folded.
struct NoFold {
  std::string why;
};

// A scale/zero-point triple of one dequantized or quantized tensor.
struct QTensor {
  std::string value, scale, zero_point;
};

bool IsDequantize(const onnx::NodeProto& n);
bool IsQuantize(const onnx::NodeProto& n);

class QdqGraph {
 public:
  QdqGraph(const onnx::GraphProto& g, std::map<std::string, OnnxTensor>* constants,
           const std::map<std::string, int>& types, int64_t opset);

  const onnx::GraphProto& graph() const { return g_; }
  const onnx::NodeProto& node(int k) const { return g_.node(k); }
  int64_t opset() const { return opset_; }
  const std::map<std::string, int>& types() const { return types_; }

  // The nodes that read `value` (-1: a graph output); empty if none.
  const std::vector<int>& Consumers(const std::string& value) const;
  // The only consumer of `value` (described by `what`); throws NoFold otherwise.
  int OnlyConsumer(const std::string& value, const std::string& what) const;
  const onnx::NodeProto* Producer(const std::string& value) const;

  bool IsConstant(const std::string& name) const { return constants_.count(name) > 0; }
  // Constant `name` (the group's `what`); a group whose parameter is not a constant cannot be
  // folded (NoFold names it), whatever checks ran before.
  const OnnxTensor& Constant(const std::string& name, const std::string& what) const;
  // A float32 constant of one value, or nullopt.
  std::optional<float> ScalarConstant(const std::string& name) const;
  void AddConstant(OnnxTensor t) { constants_[t.name] = std::move(t); }

  // The zero point input of a DequantizeLinear / QuantizeLinear, or (absent) a constant 0 of
  // type `elem`, ONNX's default.
  std::string ZeroPoint(const onnx::NodeProto& n, int elem);
  // The element type of a value: a constant's, else as declared, else uint8.
  int TypeOf(const std::string& value) const;
  // The element type a QuantizeLinear makes.
  int OutputType(const onnx::NodeProto& q) const;
  // The scale and zero point of a DequantizeLinear / QuantizeLinear must be constants.
  void CheckConstantParams(const onnx::NodeProto& n) const;
  // The output of QuantizeLinear q as a quantized tensor.
  QTensor Quantized(const onnx::NodeProto& q);
  // Input k of op `n` as the quantized tensor behind its DequantizeLinear, which must dequantize a
  // constant (`constant`) or a computed tensor.
  QTensor Dequantized(const onnx::NodeProto& n, int k, bool constant);

 private:
  const onnx::GraphProto& g_;
  std::map<std::string, OnnxTensor>& constants_;
  const std::map<std::string, int>& types_;
  int64_t opset_;
  std::map<std::string, int> producer_;
  std::map<std::string, std::vector<int>> consumers_;
};

}  // namespace npusim::importer

// Helpers that build small core::Graphs by hand for the reference executor's tests (the network
// loader is tested on its own; these tests should not depend on it).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "reference/executor.h"

namespace npusim::reference::testing {

// An 8-bit signed per-tensor activation, optionally with values (a network input or a constant).
inline core::TensorInfo Act(std::string name, std::vector<int64_t> shape, float scale = 1.0f,
                            int32_t zero_point = 0, std::vector<int32_t> data = {}) {
  core::TensorInfo t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.quant.scales = {scale};
  t.quant.zero_points = {zero_point};
  if (!data.empty()) t.data = std::move(data);
  return t;
}

// 8-bit signed weights: one scale (and zero point) per output channel, or a single one.
inline core::TensorInfo Weights(std::string name, std::vector<int64_t> shape, std::vector<int32_t> data,
                                std::vector<float> scales = {1.0f}, std::vector<int32_t> zero_points = {0}) {
  core::TensorInfo t = Act(std::move(name), std::move(shape), 1.0f, 0, std::move(data));
  t.quant.scales = std::move(scales);
  t.quant.zero_points = std::move(zero_points);
  return t;
}

inline core::TensorInfo Bias(std::string name, std::vector<int32_t> data) {
  core::TensorInfo t;
  t.name = std::move(name);
  t.shape = {static_cast<int64_t>(data.size())};
  t.bits = 32;
  t.data = std::move(data);
  return t;
}

// A graph under construction: Input() adds a network input (its data is the value run with),
// Tensor() any other tensor. Op() returns a reference valid until the next Op() call.
class GraphBuilder {
 public:
  GraphBuilder& Input(core::TensorInfo t) {
    graph_.inputs.push_back(t.name);
    return Tensor(std::move(t));
  }
  GraphBuilder& Tensor(core::TensorInfo t) {
    const std::string name = t.name;
    graph_.tensors[name] = std::move(t);
    return *this;
  }
  // Adds an op writing `output` (which must have been added as a tensor) and marks that tensor as
  // the network output, so the last op added gives the graph's output.
  core::Op& Op(core::OpType type, std::vector<std::string> inputs, std::string output) {
    core::Op op;
    op.name = output + "_op";
    op.type = type;
    op.inputs = std::move(inputs);
    op.outputs = {output};
    graph_.outputs = {output};
    graph_.ops.push_back(std::move(op));
    return graph_.ops.back();
  }
  const core::Graph& graph() const { return graph_; }

 private:
  core::Graph graph_;
};

inline Options FloatMode(int acc_bits = 32, core::Overflow ov = core::Overflow::kWrap) {
  return {core::RequantMode::kOnnxFloat, acc_bits, ov};
}
inline Options FixedMode(int acc_bits = 32, core::Overflow ov = core::Overflow::kWrap) {
  return {core::RequantMode::kFixedPoint, acc_bits, ov};
}

// Runs the graph on the inputs' own data and returns its single output.
inline std::vector<int32_t> RunToOutput(const core::Graph& g, const Options& opt) {
  return Run(g, {}, opt).at(g.outputs.at(0));
}

}  // namespace npusim::reference::testing

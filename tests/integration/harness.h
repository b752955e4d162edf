// Test harness: random small networks built in C++, and one simulation per test process (SystemC
// elaborates once per process; gtest_discover_tests runs each case in its own process).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "ir/graph.h"
#include "models/npu.h"
#include "reference/executor.h"
#include "sim/simulate.h"
#include "support/stats.h"

namespace npusim::testing {

using TensorMap = std::map<std::string, std::vector<int32_t>>;

inline std::string SourcePath(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

// Builds random tensors and ops with sensible scales, so outputs neither all saturate nor all
// vanish (the tests check that too).
class GraphBuilder {
 public:
  explicit GraphBuilder(uint64_t seed) : rng_(seed) { g_.name = "random_" + std::to_string(seed); }

  int64_t Uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool Coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }

  std::string Input(const std::vector<int64_t>& shape, bool is_signed = true, const std::string& name = "x") {
    core::TensorInfo t = Activation(name, shape, 0.05f, is_signed);
    t.quant.zero_points = {static_cast<int32_t>(Uniform(is_signed ? -20 : 100, is_signed ? 20 : 140))};
    t.data = RandomValues(t.elements(), t.qmin(), t.qmax());
    g_.inputs.push_back(t.name);
    return Add(t);
  }

  // conv2d with OHWI weights; returns the output tensor name.
  std::string Conv(const std::string& x, int64_t oc, int64_t k, int64_t stride, int64_t dilation,
                   std::array<int64_t, 4> pads, int64_t groups, core::Activation act, bool bias = true) {
    const core::TensorInfo& xi = g_.tensor(x);
    const int64_t h = xi.shape[1], w = xi.shape[2], c = xi.shape[3];
    core::Op op;
    op.name = "op" + std::to_string(g_.ops.size());
    op.type = core::OpType::kConv2d;
    op.stride = {stride, stride};
    op.dilation = {dilation, dilation};
    op.pads = pads;
    op.groups = groups;
    op.activation = act;
    const int64_t oh = core::ConvOutSize(h, k, stride, dilation, pads[0], pads[2]);
    const int64_t ow = core::ConvOutSize(w, k, stride, dilation, pads[1], pads[3]);
    return Finish(op, x, Weights(oc, {oc, k, k, c / groups}), bias, {1, oh, ow, oc}, (c / groups) * k * k);
  }

  std::string FullyConnected(const std::string& x, int64_t n, core::Activation act) {
    const core::TensorInfo& xi = g_.tensor(x);
    const int64_t k = xi.shape.back();
    const int64_t m = xi.elements() / k;
    core::Op op;
    op.name = "op" + std::to_string(g_.ops.size());
    op.type = core::OpType::kFullyConnected;
    op.activation = act;
    return Finish(op, x, Weights(n, {n, k}), true, {m, n}, k);
  }

  std::string AddOp(const std::string& a, const std::string& b, core::Activation act) {
    core::Op op;
    op.name = "op" + std::to_string(g_.ops.size());
    op.type = core::OpType::kAdd;
    op.activation = act;
    op.inputs = {a, b};
    const core::TensorInfo& ai = g_.tensor(a);
    core::TensorInfo y = Activation(op.name + "_y", ai.shape, ai.quant.scales[0] * 1.5f, true);
    y.quant.zero_points = {static_cast<int32_t>(Uniform(-10, 10))};
    op.outputs = {Add(y)};
    g_.ops.push_back(op);
    return op.outputs[0];
  }

  // mul of a by b (b of a's shape, or [1, 1, 1, C]); the output's scale near the product's.
  std::string MulOp(const std::string& a, const std::string& b) {
    core::Op op;
    op.name = "op" + std::to_string(g_.ops.size());
    op.type = core::OpType::kMul;
    op.inputs = {a, b};
    const core::TensorInfo& ai = g_.tensor(a);
    const core::TensorInfo& bi = g_.tensor(b);
    core::TensorInfo y =
        Activation(op.name + "_y", ai.shape, ai.quant.scales[0] * bi.quant.scales[0] * 40.0f, Coin());
    y.quant.zero_points = {static_cast<int32_t>(y.is_signed ? Uniform(-10, 10) : Uniform(0, 20))};
    op.outputs = {Add(y)};
    g_.ops.push_back(op);
    return op.outputs[0];
  }

  // concat along `axis`; the inputs (op outputs, not network inputs) take the first one's
  // quantization, as concat requires.
  std::string ConcatOp(const std::vector<std::string>& inputs, int64_t axis) {
    core::Op op;
    op.name = "op" + std::to_string(g_.ops.size());
    op.type = core::OpType::kConcat;
    op.axis = axis;
    op.inputs = inputs;
    core::TensorInfo y = g_.tensor(inputs[0]);
    y.name = op.name + "_y";
    y.shape[axis] = 0;
    for (const std::string& x : inputs) {
      core::TensorInfo& xi = g_.tensor(x);
      xi.quant = y.quant;
      xi.bits = y.bits;
      xi.is_signed = y.is_signed;
      y.shape[axis] += xi.shape[axis];
    }
    op.outputs = {Add(y)};
    g_.ops.push_back(op);
    return op.outputs[0];
  }

  // lookup of x through a random table of 2^bits(x) output values.
  std::string LookupOp(const std::string& x) {
    core::Op op;
    op.name = "op" + std::to_string(g_.ops.size());
    op.type = core::OpType::kLookup;
    const core::TensorInfo& xi = g_.tensor(x);
    core::TensorInfo y = Activation(op.name + "_y", xi.shape, 0.03f, Coin());
    y.quant.zero_points = {static_cast<int32_t>(Uniform(-5, 5)) + (y.is_signed ? 0 : 5)};
    core::TensorInfo t = y;
    t.name = "table" + std::to_string(g_.ops.size());
    t.shape = {int64_t{1} << xi.bits};
    t.data = RandomValues(t.elements(), t.qmin(), t.qmax());
    op.inputs = {x, Add(t)};
    op.outputs = {Add(y)};
    g_.ops.push_back(op);
    return op.outputs[0];
  }

  std::string Pool(const std::string& x, core::OpType type, int64_t k, int64_t stride,
                   std::array<int64_t, 4> pads, bool count_include_pad = false,
                   bool float_accumulate = false) {
    const core::TensorInfo& xi = g_.tensor(x);
    core::Op op;
    op.name = "op" + std::to_string(g_.ops.size());
    op.type = type;
    op.kernel = {k, k};
    op.stride = {stride, stride};
    op.pads = pads;
    op.count_include_pad = count_include_pad;
    op.float_accumulate = float_accumulate;
    op.inputs = {x};
    std::vector<int64_t> shape = {1, 1, 1, xi.shape[3]};
    if (type != core::OpType::kGlobalAvgPool) {
      shape[1] = core::ConvOutSize(xi.shape[1], k, stride, 1, pads[0], pads[2]);
      shape[2] = core::ConvOutSize(xi.shape[2], k, stride, 1, pads[1], pads[3]);
    }
    const bool same = type == core::OpType::kMaxPool;
    core::TensorInfo y = Activation(op.name + "_y", shape,
                                    same ? xi.quant.scales[0] : xi.quant.scales[0] * 0.8f, xi.is_signed);
    y.quant.zero_points =
        same ? xi.quant.zero_points : std::vector<int32_t>{static_cast<int32_t>(Uniform(-5, 5))};
    op.outputs = {Add(y)};
    g_.ops.push_back(op);
    return op.outputs[0];
  }

  std::string Reshape(const std::string& x, const std::vector<int64_t>& shape) {
    core::Op op;
    op.name = "op" + std::to_string(g_.ops.size());
    op.type = core::OpType::kReshape;
    op.inputs = {x};
    core::TensorInfo y = g_.tensor(x);
    y.name = op.name + "_y";
    y.shape = shape;
    op.outputs = {Add(y)};
    g_.ops.push_back(op);
    return op.outputs[0];
  }

  // Makes `y`, the output of a conv2d / fully_connected, a 32-bit accumulator output (the raw
  // int32 accumulator, no requantization or activation: ONNX ConvInteger / MatMulInteger), and
  // gives the op's weights zero point `w_zero_point`.
  void MakeAccumulatorOutput(const std::string& y, int32_t w_zero_point = 0) {
    for (core::Op& op : g_.ops) {
      if (op.outputs[0] != y) continue;
      op.activation = core::Activation::kNone;
      g_.tensor(op.inputs[1]).quant.zero_points = {w_zero_point};
    }
    core::TensorInfo& t = g_.tensor(y);
    t.bits = 32;
    t.is_signed = true;
    t.quant = core::QuantParams{};
  }

  // Every op output is a network output, so every layer is compared.
  core::Graph Build() {
    g_.outputs.clear();
    for (const core::Op& op : g_.ops) g_.outputs.push_back(op.outputs[0]);
    return g_;
  }

 private:
  core::TensorInfo Activation(const std::string& name, const std::vector<int64_t>& shape, float scale,
                              bool is_signed) {
    core::TensorInfo t;
    t.name = name;
    t.shape = shape;
    t.is_signed = is_signed;
    t.quant.scales = {scale};
    t.quant.zero_points = {0};
    return t;
  }

  std::string Weights(int64_t oc, const std::vector<int64_t>& shape) {
    core::TensorInfo w;
    w.name = "w" + std::to_string(g_.ops.size());
    w.shape = shape;
    w.quant.scales.clear();
    const bool per_channel = Coin();
    for (int64_t i = 0; i < (per_channel ? oc : 1); ++i) {
      w.quant.scales.push_back(0.002f + 0.01f * static_cast<float>(Uniform(0, 1000)) / 1000.0f);
    }
    w.quant.zero_points = {0};
    w.data = RandomValues(w.elements(), -127, 127);
    return Add(w);
  }

  std::string Finish(core::Op& op, const std::string& x, const std::string& w, bool bias,
                     const std::vector<int64_t>& out_shape, int64_t k) {
    const core::TensorInfo& xi = g_.tensor(x);
    const core::TensorInfo& wi = g_.tensor(w);
    op.inputs = {x, w};
    const int64_t oc = out_shape.back();
    if (bias) {
      core::TensorInfo b;
      b.name = "b" + std::to_string(g_.ops.size());
      b.shape = {oc};
      b.bits = 32;
      b.data = RandomValues(oc, -3000, 3000);
      op.inputs.push_back(Add(b));
    }
    // acc ~ sqrt(K) * 70 * 70 quanta: aim at a spread of ~50 output quanta.
    const float y_scale = xi.quant.scales[0] * wi.quant.scales[0] * std::sqrt(static_cast<float>(k)) * 100.0f;
    core::TensorInfo y = Activation(op.name + "_y", out_shape, y_scale, true);
    y.quant.zero_points = {static_cast<int32_t>(Uniform(-10, 10))};
    op.outputs = {Add(y)};
    g_.ops.push_back(op);
    return op.outputs[0];
  }

  std::vector<int32_t> RandomValues(int64_t n, int64_t lo, int64_t hi) {
    std::vector<int32_t> v(n);
    for (auto& x : v) x = static_cast<int32_t>(Uniform(lo, hi));
    return v;
  }

  std::string Add(const core::TensorInfo& t) {
    g_.tensors[t.name] = t;
    return t.name;
  }

  std::mt19937_64 rng_;
  core::Graph g_;
};

// A shipped arch with its matrix unit's accumulator width and overflow, and the requantization
// mode, replaced.
struct ArchVariant {
  const char* name;
  const char* arch;
  int acc_bits;
  core::Overflow overflow;
  core::RequantMode mode;
};

inline core::ArchConfig LoadVariant(const ArchVariant& v) {
  core::ArchConfig a = core::LoadArch(SourcePath(v.arch));
  a.units[0].acc_bits = v.acc_bits;
  a.units[0].overflow = v.overflow;
  a.requant_mode = v.mode;
  return a;
}

struct Outcome {
  models::RunResult run;
  reference::TensorMap ref;
  isa::Program program;
};

// Compiles and simulates `g` on `arch` (sim/simulate.h; values and cycles only, so an arch variant
// needs no complete energy table), and runs the reference executor on the same inputs.
inline Outcome SimulateAndReference(const core::Graph& g, const core::ArchConfig& arch) {
  const TensorMap inputs = sim::GraphInputs(g);
  sim::Compiled c = sim::Compile(arch, g, g.name);
  sim::Options values_only;
  values_only.figures = false;
  Outcome o;
  o.run = sim::Run(c, inputs, values_only).run;
  o.program = std::move(c.program);
  const core::UnitConfig& u = *arch.MatrixUnit();  // the unit the Npu runs
  o.ref = reference::Run(g, inputs, reference::Options{arch.requant_mode, u.acc_bits, u.overflow});
  return o;
}

// Every network output of `g` equals the reference value for value; with `expect_spread`, outputs
// of 16 or more values must not be degenerate (fewer than 3 distinct values).
inline void ExpectBitExact(const core::Graph& g, const Outcome& o, bool expect_spread) {
  for (const std::string& name : g.outputs) {
    const std::vector<int32_t>& sim = o.run.outputs.at(name);
    const std::vector<int32_t>& ref = o.ref.at(name);
    ASSERT_EQ(sim.size(), ref.size()) << name;
    for (size_t i = 0; i < ref.size(); ++i) {
      ASSERT_EQ(sim[i], ref[i]) << "output " << name << " differs first at flat index " << i;
    }
    if (expect_spread && ref.size() >= 16) {
      // A test whose outputs are all one value could not catch much.
      EXPECT_GE(std::set<int32_t>(ref.begin(), ref.end()).size(), 3u) << name << " is degenerate";
    }
  }
  EXPECT_GT(o.run.cycles, 0u);
}

}  // namespace npusim::testing

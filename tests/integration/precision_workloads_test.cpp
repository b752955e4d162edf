// The MobileNetV1 precision workloads (workloads/README.md states their precision):
// each file loads, every conv/FC layer has the weight bits the README states, weights are
// per-channel symmetric (zero point 0) with values in [-(2^(b-1) - 1), 2^(b-1) - 1], activations
// are int8, and the topology equals mobilenet_v1_q8.json's. Loader-level only (plus compiling for a
// unit that lists every width): simulating a 224x224 network is too slow for the test suite;
// `npusim --check` covers that by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "ir/graph.h"
#include "ir/net_loader.h"
#include "tests/integration/harness.h"

namespace npusim::testing {
namespace {

bool IsWeighted(const core::Op& op) {
  return op.type == core::OpType::kConv2d || op.type == core::OpType::kFullyConnected;
}

// Pointwise layer number of "pwN", else 0.
int PointwiseIndex(const std::string& layer) {
  return layer.rfind("pw", 0) == 0 ? std::stoi(layer.substr(2)) : 0;
}

// The assignments of workloads/README.md, written out independently of tools/gen_workloads.py.
int BitsQ8(const std::string&) { return 8; }
int BitsQ4(const std::string& layer) { return layer == "conv0" || layer == "fc" ? 8 : 4; }
int BitsW16(const std::string&) { return 16; }
int BitsMixed(const std::string& layer) {
  const int pw = PointwiseIndex(layer);
  if (pw == 0) return 8;  // conv0, dw1..dw13, fc
  const int kPointwise[14] = {0, 6, 6, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 2};
  return kPointwise[pw];
}

struct Workload {
  const char* name;
  const char* file;
  std::function<int(const std::string&)> bits;
};

const Workload kWorkloads[] = {
    {"q8", "workloads/mobilenet_v1_q8.json", BitsQ8},
    {"q4", "workloads/mobilenet_q4.json", BitsQ4},
    {"w16", "workloads/mobilenet_w16.json", BitsW16},
    {"mixed", "workloads/mobilenet_mixed.json", BitsMixed},
};

class PrecisionWorkloadTest : public ::testing::TestWithParam<int> {
 protected:
  const Workload& W() const { return kWorkloads[GetParam()]; }
};

TEST_P(PrecisionWorkloadTest, WeightBitsAndRangesAreAsStated) {
  const core::Graph g = core::LoadNetwork(SourcePath(W().file));
  int weighted = 0, depthwise = 0;
  for (const core::Op& op : g.ops) {
    if (!IsWeighted(op)) continue;
    ++weighted;
    if (op.type == core::OpType::kConv2d && op.groups > 1) ++depthwise;
    const core::TensorInfo& w = g.tensor(op.inputs[1]);
    const int bits = W().bits(op.name);
    SCOPED_TRACE(op.name + " (" + w.name + ")");
    EXPECT_EQ(w.bits, bits);
    EXPECT_TRUE(w.is_signed);
    // Per-channel symmetric: one scale per output channel, one zero point, 0.
    EXPECT_EQ(static_cast<int64_t>(w.quant.scales.size()), w.shape[0]);
    ASSERT_EQ(w.quant.zero_points.size(), 1u);
    EXPECT_EQ(w.quant.zero_points[0], 0);
    // Restricted symmetric range: -2^(b-1) never occurs.
    ASSERT_TRUE(w.data.has_value());
    const int32_t wmax = (int32_t{1} << (bits - 1)) - 1;
    const auto [lo, hi] = std::minmax_element(w.data->begin(), w.data->end());
    EXPECT_GE(*lo, -wmax);
    EXPECT_LE(*hi, wmax);
    // ... and the values use that range (uniform random: the extremes are near +-wmax).
    EXPECT_LE(*lo, -wmax / 2);
    EXPECT_GE(*hi, wmax / 2);
    // 32-bit bias, int8 activations in and out.
    ASSERT_EQ(op.inputs.size(), 3u);
    EXPECT_EQ(g.tensor(op.inputs[2]).bits, 32);
    for (const std::string& a : {op.inputs[0], op.outputs[0]}) {
      EXPECT_EQ(g.tensor(a).bits, 8) << a;
      EXPECT_TRUE(g.tensor(a).is_signed) << a;
    }
  }
  EXPECT_EQ(weighted, 28);  // conv0, 13 depthwise, 13 pointwise, fc
  EXPECT_EQ(depthwise, 13);
}

TEST_P(PrecisionWorkloadTest, SameTopologyAsMobilenetV1Q8) {
  const core::Graph q8 = core::LoadNetwork(SourcePath("workloads/mobilenet_v1_q8.json"));
  const core::Graph g = core::LoadNetwork(SourcePath(W().file));
  EXPECT_EQ(g.inputs, q8.inputs);
  EXPECT_EQ(g.outputs, q8.outputs);
  ASSERT_EQ(g.ops.size(), q8.ops.size());
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const core::Op &a = g.ops[i], &b = q8.ops[i];
    SCOPED_TRACE(b.name);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.inputs, b.inputs);
    EXPECT_EQ(a.outputs, b.outputs);
    EXPECT_EQ(a.stride, b.stride);
    EXPECT_EQ(a.pads, b.pads);
    EXPECT_EQ(a.groups, b.groups);
    EXPECT_EQ(a.activation, b.activation);
    for (const std::string& t : a.inputs) EXPECT_EQ(g.tensor(t).shape, q8.tensor(t).shape) << t;
    EXPECT_EQ(g.tensor(a.outputs[0]).shape, q8.tensor(b.outputs[0]).shape);
  }
  // The same input image in every variant.
  EXPECT_EQ(*g.tensor("input").data, *q8.tensor("input").data);
}

// A unit that lists every width the workloads use accepts them (legalize, mapping, codegen).
TEST_P(PrecisionWorkloadTest, CompilesForAUnitWithEveryWidth) {
  const core::Graph g = core::LoadNetwork(SourcePath(W().file));
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  arch.units[0].weight_bits = {2, 3, 4, 5, 6, 7, 8, 16};
  const isa::Program program = compiler::Compile(g, arch, g.name);
  EXPECT_FALSE(program.instructions.empty());
}

std::string ParamName(const ::testing::TestParamInfo<int>& info) { return kWorkloads[info.param].name; }

INSTANTIATE_TEST_SUITE_P(MobilenetV1, PrecisionWorkloadTest, ::testing::Range(0, 4), ParamName);

}  // namespace
}  // namespace npusim::testing

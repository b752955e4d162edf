// ONNX's own backend node tests for quantized ops (Debian's libonnx-testdata): each model is
// imported, fed its input_0.pb (the activation; the other inputs, weights, scales and zero points,
// are bound as constants), run through the reference executor and, in a separate test case
// (one simulation per process), through the simulator on arch/dense_16x16.json; the outputs must
// equal output_0.pb exactly. Tests npusim cannot run are skipped with the reason, after checking
// that the importer refuses them up front with the node named.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/arch.h"
#include "frontends/onnx/onnx_import.h"
#include "support/error.h"
#include "tests/integration/harness.h"

namespace npusim::importer {
namespace {

const char* kNodeDir = "/usr/share/libonnx-testdata/data/node";

struct NodeCase {
  const char* name;
  const char* skip_reason;  // null: runs
  const char* refusal;      // what the importer's message must contain
};

// A lone QuantizeLinear / DequantizeLinear is a float edge (docs/onnx.md), the host's conversion:
// nothing is left for the NPU to compute. Per-axis ones are not edges (activations are per tensor).
const char* kEdgeOnly =
    "only a float edge's QuantizeLinear / DequantizeLinear (the host's conversion): no op for the NPU";
const char* kAxis =
    "per-axis QuantizeLinear / DequantizeLinear of an activation: npusim quantizes activations per tensor";
const char* kDynamic =
    "float32 input and a scale computed at run time (DynamicQuantizeLinear); npusim's quantization is static";

const NodeCase kCases[] = {
    {"test_qlinearconv", nullptr, nullptr},
    {"test_qlinearmatmul_2D", nullptr, nullptr},
    {"test_qlinearmatmul_3D",
     "batched QLinearMatMul ([2,2,4] x [2,4,3]): B differs per batch, npusim's fully_connected has one [N, "
     "K] weight",
     "batched matmul is not supported"},
    // int32 accumulator outputs: conv2d / fully_connected with a 32-bit output tensor
    {"test_basic_convinteger", nullptr, nullptr},
    {"test_convinteger_with_padding", nullptr, nullptr},
    {"test_convinteger_without_padding", nullptr, nullptr},
    {"test_matmulinteger", nullptr, nullptr},
    {"test_quantizelinear", kEdgeOnly, "graph output \"y\" is a graph input; no op computes it"},
    {"test_quantizelinear_axis", kAxis, "(op QuantizeLinear, domain ai.onnx)"},
    {"test_dequantizelinear", kEdgeOnly, "graph output \"y\" is a graph input; no op computes it"},
    {"test_dequantizelinear_axis", kAxis, "(op DequantizeLinear, domain ai.onnx)"},
    {"test_dynamicquantizelinear", kDynamic, "(op DynamicQuantizeLinear, domain ai.onnx)"},
    {"test_dynamicquantizelinear_expanded", kDynamic, "unsupported op"},
    {"test_dynamicquantizelinear_max_adjusted", kDynamic, "(op DynamicQuantizeLinear, domain ai.onnx)"},
    {"test_dynamicquantizelinear_max_adjusted_expanded", kDynamic, "unsupported op"},
    {"test_dynamicquantizelinear_min_adjusted", kDynamic, "(op DynamicQuantizeLinear, domain ai.onnx)"},
    {"test_dynamicquantizelinear_min_adjusted_expanded", kDynamic, "unsupported op"},
};

// gtest names the parameter in test listings (and ctest names) by this.
void PrintTo(const NodeCase& c, std::ostream* os) { *os << c.name; }

std::string CaseDir(const NodeCase& c) { return std::string(kNodeDir) + "/" + c.name; }

// input_1.pb, input_2.pb, ...: everything but the activation input_0.pb becomes a constant.
ImportOptions BindParameters(const std::string& dir) {
  ImportOptions opt;
  for (int k = 1; std::filesystem::exists(dir + "/test_data_set_0/input_" + std::to_string(k) + ".pb"); ++k) {
    OnnxTensor t = LoadOnnxTensor(dir + "/test_data_set_0/input_" + std::to_string(k) + ".pb");
    opt.constants[t.name] = t;
  }
  return opt;
}

class NodeConformance : public ::testing::TestWithParam<NodeCase> {
 protected:
  // Imports the case; returns false (test skipped or failed) when it cannot run.
  bool Prepare() {
    const NodeCase& c = GetParam();
    if (!std::filesystem::exists(CaseDir(c) + "/model.onnx")) {
      ADD_FAILURE() << CaseDir(c) << " is missing: install libonnx-testdata (scripts/setup does)";
      return false;
    }
    if (c.skip_reason) {
      ExpectRefused(c);
      return false;
    }
    const std::string data = CaseDir(c) + "/test_data_set_0";
    model_ = ImportOnnxModel(CaseDir(c) + "/model.onnx", BindParameters(CaseDir(c)));
    EXPECT_EQ(model_.inputs().size(), 1u);
    EXPECT_EQ(model_.outputs().size(), 1u);
    const OnnxTensor x = LoadOnnxTensor(data + "/input_0.pb");
    expected_ = LoadOnnxTensor(data + "/output_0.pb");
    EXPECT_EQ(x.dims, model_.inputs()[0].shape);
    EXPECT_EQ(expected_.dims, model_.outputs()[0].shape);
    model_.graph.tensor(model_.inputs()[0].tensor).data = ToIrOrder(model_.inputs()[0], x.int_values);
    arch_ = core::LoadArch(testing::SourcePath("arch/dense_16x16.json"));
    return !HasFailure();
  }

  void ExpectRefused(const NodeCase& c) {
    try {
      ImportOnnxModel(CaseDir(c) + "/model.onnx", BindParameters(CaseDir(c)));
      ADD_FAILURE() << c.name << ": the importer accepted a model it cannot run";
    } catch (const core::ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("model.onnx"), std::string::npos) << msg;
      EXPECT_NE(msg.find(c.refusal), std::string::npos) << msg;
    }
  }

  void ExpectOutput(const std::vector<int32_t>& ir_values) {
    EXPECT_EQ(ToModelOrder(model_.outputs()[0], ir_values), expected_.int_values);
  }

  OnnxModel model_;
  OnnxTensor expected_;
  core::ArchConfig arch_;
};

TEST_P(NodeConformance, Reference) {
  if (!Prepare()) {
    if (GetParam().skip_reason) GTEST_SKIP() << GetParam().skip_reason;
    return;
  }
  const core::UnitConfig& u = arch_.units[0];
  const core::Graph& g = model_.graph;
  reference::TensorMap in{{g.inputs[0], *g.tensor(g.inputs[0]).data}};
  reference::TensorMap out =
      reference::Run(g, in, reference::Options{arch_.requant_mode, u.acc_bits, u.overflow});
  ExpectOutput(out.at(g.outputs[0]));
}

TEST_P(NodeConformance, Simulate) {
  if (!Prepare()) {
    if (GetParam().skip_reason) GTEST_SKIP() << GetParam().skip_reason;
    return;
  }
  const testing::Outcome o = testing::SimulateAndReference(model_.graph, arch_);
  ExpectOutput(o.run.outputs.at(model_.graph.outputs[0]));
}

INSTANTIATE_TEST_SUITE_P(OnnxNodeTests, NodeConformance, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<NodeCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace npusim::importer

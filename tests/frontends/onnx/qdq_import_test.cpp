// The QDQ form (frontends/onnx/qdq_fold.h): DequantizeLinear -> op [-> Relu | Clip] -> QuantizeLinear
// groups become the same IR ops as their QOperator twins, Relu / Clip become the fused activation
// or are refused with the clamp they would need, Gemm and Transposes of constants, and what is
// refused. ONNX Runtime agreement on random QDQ models is tests/conformance/run.sh.
#include <gtest/gtest.h>

#include "frontends/onnx/onnx_import.h"
#include "reference/executor.h"
#include "support/error.h"
#include "tests/frontends/onnx/onnx_builder.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::importer::testing {
namespace {

using core::testing::ScratchDir;

const std::vector<int64_t> kWeights = {3,  -7,  12, 100, -128, 127, 5, 0, -1,
                                       64, -90, 33, 17,  2,    -3,  8, 9, -11};
const std::vector<float> kWeightScales = {0.02f, 0.0125f};
const std::vector<int64_t> kBias = {-300, 450};

// x: uint8 [1, 3, 3, 2] -> conv 2x(3x1x3), per-channel int8 weights, int32 bias -> y uint8.
// QDQ form, with an optional activation node ("Relu", "Clip") between Conv and QuantizeLinear.
// With `float_edges`, the network's input and output are float32: a QuantizeLinear makes x from
// "x_real" and a DequantizeLinear makes "y_real" from y, as ONNX Runtime's quantizer writes them.
std::string BuildQdqConv(const std::string& act, float clip_lo, float clip_hi, int64_t y_zp,
                         const std::string& path, bool float_edges = false, float y_scale = 0.04f) {
  OnnxBuilder b;
  if (float_edges) {
    b.Input("x_real", kF32, {1, 3, 3, 2});
    b.Node("QuantizeLinear", {"x_real", "x_scale", "x_zp"}, {"x"}, "q_x");
  } else {
    b.Input("x", kU8, {1, 3, 3, 2});
  }
  b.Quant("x", 0.05f, kU8, 120);
  b.Node("DequantizeLinear", {"x", "x_scale", "x_zp"}, {"xf"}, "dq_x");
  b.Ints("w", kI8, {2, 3, 1, 3}, kWeights);
  b.Floats("w_scale", {2}, kWeightScales);
  b.Ints("w_zp", kI8, {2}, {0, 0});
  OnnxBuilder::Attr(b.Node("DequantizeLinear", {"w", "w_scale", "w_zp"}, {"wf"}, "dq_w"), "axis", int64_t{0});
  b.Ints("b", kI32, {2}, kBias);
  b.Floats("b_scale", {2}, {0.05f * 0.02f, 0.05f * 0.0125f});
  b.Ints("b_zp", kI32, {2}, {0, 0});
  OnnxBuilder::Attr(b.Node("DequantizeLinear", {"b", "b_scale", "b_zp"}, {"bf"}, "dq_b"), "axis", int64_t{0});
  auto* conv = b.Node("Conv", {"xf", "wf", "bf"}, {"yf"}, "conv");
  OnnxBuilder::Attr(conv, "pads", std::vector<int64_t>{0, 1, 0, 1});
  std::string q_in = "yf";
  if (act == "Relu") {
    b.Node("Relu", {"yf"}, {"af"}, "relu");
    q_in = "af";
  } else if (act == "Clip") {
    b.Floats("lo", {}, {clip_lo});
    b.Floats("hi", {}, {clip_hi});
    b.Node("Clip", {"yf", "lo", "hi"}, {"af"}, "clip");
    q_in = "af";
  }
  b.Quant("y", y_scale, kU8, y_zp);
  b.Node("QuantizeLinear", {q_in, "y_scale", "y_zp"}, {"y"}, "q_y");
  if (float_edges) {
    b.Node("DequantizeLinear", {"y", "y_scale", "y_zp"}, {"y_real"}, "dq_y");
    b.Output("y_real", kF32);
  } else {
    b.Output("y", kU8);
  }
  return b.Save(path);
}

// The same convolution in the QOperator form.
std::string BuildQLinearConv(int64_t y_zp, const std::string& path) {
  OnnxBuilder b;
  b.Input("x", kU8, {1, 3, 3, 2});
  b.Quant("x", 0.05f, kU8, 120);
  b.Ints("w", kI8, {2, 3, 1, 3}, kWeights);
  b.Floats("w_scale", {2}, kWeightScales);
  b.Ints("w_zp", kI8, {}, {0});
  b.Ints("b", kI32, {2}, kBias);
  b.Quant("y", 0.04f, kU8, y_zp);
  auto* conv = b.Node("QLinearConv", {"x", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp", "b"},
                      {"y"}, "conv");
  OnnxBuilder::Attr(conv, "pads", std::vector<int64_t>{0, 1, 0, 1});
  b.Output("y", kU8);
  return b.Save(path);
}

std::vector<int32_t> RunReference(const OnnxModel& m, const std::vector<int32_t>& x_onnx) {
  reference::TensorMap in{{m.inputs()[0].tensor, ToIrOrder(m.inputs()[0], x_onnx)}};
  return ToModelOrder(m.outputs()[0], reference::Run(m.graph, in, {}).at(m.outputs()[0].tensor));
}

std::vector<int32_t> ConvInput() {
  std::vector<int32_t> x(18);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int32_t>((i * 71 + 5) % 256);
  return x;
}

std::string ImportError(const std::string& path) {
  try {
    ImportOnnx(path);
  } catch (const core::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(QdqImport, ConvGroupFoldsIntoTheQLinearConvItsQOperatorTwinGives) {
  const OnnxModel qdq = ImportOnnxModel(BuildQdqConv("", 0, 0, 128, ScratchDir() + "/qdq.onnx"), {});
  const OnnxModel qop = ImportOnnxModel(BuildQLinearConv(128, ScratchDir() + "/qop.onnx"), {});
  ASSERT_EQ(qdq.graph.ops.size(), 1u);
  const core::Op& op = qdq.graph.ops[0];
  EXPECT_EQ(op.type, core::OpType::kConv2d);
  EXPECT_EQ(op.name, "conv");
  EXPECT_EQ(op.activation, core::Activation::kNone);
  EXPECT_EQ(op.pads, (std::array<int64_t, 4>{0, 1, 0, 1}));
  ASSERT_EQ(op.inputs.size(), 3u);
  const core::TensorInfo& w = qdq.graph.tensor(op.inputs[1]);
  EXPECT_EQ(w.quant.scales, kWeightScales);
  EXPECT_EQ(w.quant.zero_points, std::vector<int32_t>{0});  // equal per-channel zero points collapse
  EXPECT_EQ(w.data, qop.graph.tensor(qop.graph.ops[0].inputs[1]).data);
  EXPECT_EQ(qdq.graph.tensor(op.inputs[2]).data, (std::vector<int32_t>{-300, 450}));
  const core::TensorInfo& y = qdq.graph.tensor(op.outputs[0]);
  EXPECT_EQ(y.quant.scales, std::vector<float>{0.04f});
  EXPECT_EQ(y.quant.zero_points, std::vector<int32_t>{128});
  EXPECT_FALSE(y.is_signed);
  EXPECT_EQ(RunReference(qdq, ConvInput()), RunReference(qop, ConvInput()));
}

// Float32 network edges: the IR input is the QuantizeLinear's output and the IR output the
// DequantizeLinear's input, with their quantization; the layouts keep the ONNX names and say so.
TEST(QdqImport, FloatInputAndOutputBecomeTheirQuantizedTensors) {
  const OnnxModel edges =
      ImportOnnxModel(BuildQdqConv("", 0, 0, 128, ScratchDir() + "/edges.onnx", true), {});
  const OnnxModel plain = ImportOnnxModel(BuildQdqConv("", 0, 0, 128, ScratchDir() + "/plain.onnx"), {});
  ASSERT_EQ(edges.inputs().size(), 1u);
  ASSERT_EQ(edges.outputs().size(), 1u);
  EXPECT_EQ(edges.inputs()[0].name, "x_real");
  EXPECT_EQ(edges.inputs()[0].tensor, "x");
  EXPECT_TRUE(edges.inputs()[0].real());
  EXPECT_EQ(edges.outputs()[0].name, "y_real");
  EXPECT_EQ(edges.outputs()[0].tensor, "y");
  EXPECT_TRUE(edges.outputs()[0].real());
  EXPECT_FALSE(plain.inputs()[0].real());
  const core::TensorInfo& x = edges.graph.tensor("x");
  EXPECT_EQ(x.quant.scales, std::vector<float>{0.05f});
  EXPECT_EQ(x.quant.zero_points, std::vector<int32_t>{120});
  EXPECT_EQ(edges.graph.ops.size(), 1u);
  EXPECT_EQ(RunReference(edges, ConvInput()), RunReference(plain, ConvInput()));
}

// A float input that something other than one QuantizeLinear reads stays refused.
TEST(QdqImport, FloatInputReadByAFloatOpIsRefused) {
  OnnxBuilder b;
  b.Input("x_real", kF32, {1, 4});
  b.Quant("x", 0.1f, kU8, 10);
  b.Node("QuantizeLinear", {"x_real", "x_scale", "x_zp"}, {"x"}, "q_x");
  b.Node("Relu", {"x_real"}, {"r"}, "relu");
  b.Output("x", kU8);
  b.Output("r", kF32);
  const std::string msg = ImportError(b.Save(ScratchDir() + "/float_twice.onnx"));
  EXPECT_NE(msg.find("node \"q_x\" (op QuantizeLinear, domain ai.onnx): not part of a foldable"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("node \"relu\" (op Relu, domain ai.onnx): unsupported op"), std::string::npos) << msg;
}

TEST(QdqImport, ReluBeforeQuantizeBecomesTheReluClamp) {
  const OnnxModel m = ImportOnnxModel(BuildQdqConv("Relu", 0, 0, 128, ScratchDir() + "/relu.onnx"), {});
  ASSERT_EQ(m.graph.ops.size(), 1u);
  EXPECT_EQ(m.graph.ops[0].activation, core::Activation::kRelu);
  const std::vector<int32_t> plain =
      RunReference(ImportOnnxModel(BuildQLinearConv(128, ScratchDir() + "/p.onnx"), {}), ConvInput());
  const std::vector<int32_t> relu = RunReference(m, ConvInput());
  ASSERT_EQ(relu.size(), plain.size());
  int clamped = 0;
  for (size_t i = 0; i < relu.size(); ++i) {
    EXPECT_EQ(relu[i], std::max(plain[i], 128));
    clamped += plain[i] < 128;
  }
  EXPECT_GT(clamped, 0);  // the data exercise the clamp
}

TEST(QdqImport, ClipZeroSixBecomesRelu6) {
  const OnnxModel m = ImportOnnxModel(BuildQdqConv("Clip", 0.0f, 6.0f, 10, ScratchDir() + "/clip6.onnx"), {});
  EXPECT_EQ(m.graph.ops.at(0).activation, core::Activation::kRelu6);
}

TEST(QdqImport, ClipWiderThanTheOutputRangeIsNoActivation) {
  // y: scale 0.04, zero point 0: the uint8 range is [0, 10.2] in real terms, inside [-1, 20].
  const OnnxModel m =
      ImportOnnxModel(BuildQdqConv("Clip", -1.0f, 20.0f, 0, ScratchDir() + "/clipwide.onnx"), {});
  EXPECT_EQ(m.graph.ops.at(0).activation, core::Activation::kNone);
}

TEST(QdqImport, ClipRangeTheIrCannotExpressIsRefusedWithTheClampItNeeds) {
  const std::string msg = ImportError(BuildQdqConv("Clip", -1.0f, 3.0f, 128, ScratchDir() + "/clipbad.onnx"));
  EXPECT_NE(msg.find("node \"conv\" (op Conv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("clamps the output to [103, 203]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[128, 255] (relu)"), std::string::npos) << msg;
}

// Found by fuzz/onnx_fuzzer: a QuantizeLinear scale of -0 made the image of 6 -inf, and the
// relu6 clamp converted it to an integer (undefined behaviour) before any check refused it.
TEST(QdqImport, ClipBeforeAQuantizeLinearWithANonPositiveScaleIsRefused) {
  for (const float scale : {-0.0f, -0.04f, 0.0f}) {
    const std::string msg =
        ImportError(BuildQdqConv("Clip", 0.0f, 6.0f, 10, ScratchDir() + "/clipneg.onnx", false, scale));
    EXPECT_NE(msg.find("output scale \"y_scale\" must be a positive finite float32"), std::string::npos)
        << scale << ": " << msg;
  }
}

// x: int8 [1, 2] -> Gemm(transB) with B int8 [N=2, K=2] (or MatMul with B = Transpose of it) -> int8.
std::string BuildFc(bool gemm, const std::string& path) {
  OnnxBuilder b;
  b.Input("x", kI8, {1, 2});
  b.Quant("x", 1.0f, kI8, 0);
  b.Node("DequantizeLinear", {"x", "x_scale", "x_zp"}, {"xf"}, "dq_x");
  b.Ints("w_nk", kI8, {2, 2}, {1, 2, 3, -1});
  b.Quant("w", 1.0f, kI8, 0);
  b.Quant("y", 1.0f, kI8, 0);
  if (gemm) {
    b.Node("DequantizeLinear", {"w_nk", "w_scale", "w_zp"}, {"wf"}, "dq_w");
    b.Ints("b", kI32, {2}, {5, -5});
    b.Node("DequantizeLinear", {"b", "w_scale", "b_zp"}, {"bf"}, "dq_b");
    b.Ints("b_zp", kI32, {}, {0});
    OnnxBuilder::Attr(b.Node("Gemm", {"xf", "wf", "bf"}, {"yf"}, "fc"), "transB", int64_t{1});
  } else {
    b.Node("Transpose", {"w_nk"}, {"w_kn"}, "t");
    b.Node("DequantizeLinear", {"w_kn", "w_scale", "w_zp"}, {"wf"}, "dq_w");
    b.Node("MatMul", {"xf", "wf"}, {"yf"}, "fc");
  }
  b.Node("QuantizeLinear", {"yf", "y_scale", "y_zp"}, {"y"}, "q_y");
  b.Output("y", kI8);
  return b.Save(path);
}

TEST(QdqImport, GemmWithTransBAndBiasIsFullyConnected) {
  const OnnxModel m = ImportOnnxModel(BuildFc(true, ScratchDir() + "/gemm.onnx"), {});
  ASSERT_EQ(m.graph.ops.size(), 1u);
  EXPECT_EQ(m.graph.ops[0].type, core::OpType::kFullyConnected);
  EXPECT_EQ(m.graph.tensor(m.graph.ops[0].inputs[1]).data,
            (std::vector<int32_t>{1, 2, 3, -1}));  // already [N, K]
  // y = W x + b = [10 + 40 + 5, 30 - 20 - 5].
  EXPECT_EQ(RunReference(m, {10, 20}), (std::vector<int32_t>{55, 5}));
}

TEST(QdqImport, MatMulWithATransposedConstantWeight) {
  const OnnxModel m = ImportOnnxModel(BuildFc(false, ScratchDir() + "/mmt.onnx"), {});
  ASSERT_EQ(m.graph.ops.size(), 1u);
  EXPECT_EQ(m.graph.tensor(m.graph.ops[0].inputs[1]).data, (std::vector<int32_t>{1, 2, 3, -1}));
  EXPECT_EQ(RunReference(m, {10, 20}), (std::vector<int32_t>{50, 10}));
}

// A QDQ AveragePool group becomes avg_pool with ONNX Runtime's float32 averaging.
TEST(QdqImport, AveragePoolGroupAveragesInFloat32AsOnnxRuntime) {
  OnnxBuilder b;
  b.Input("x", kU8, {1, 2, 5, 5});
  b.Quant("x", 0.1f, kU8, 10);
  b.Quant("y", 0.2f, kU8, 3);
  b.Node("DequantizeLinear", {"x", "x_scale", "x_zp"}, {"xf"}, "dq_x");
  onnx::NodeProto* avg = b.Node("AveragePool", {"xf"}, {"pf"}, "avg");
  OnnxBuilder::Attr(avg, "kernel_shape", std::vector<int64_t>{3, 2});
  OnnxBuilder::Attr(avg, "strides", std::vector<int64_t>{2, 1});
  OnnxBuilder::Attr(avg, "pads", std::vector<int64_t>{1, 0, 0, 1});
  OnnxBuilder::Attr(avg, "count_include_pad", int64_t{1});
  b.Node("QuantizeLinear", {"pf", "y_scale", "y_zp"}, {"y"}, "q_y");
  b.Output("y", kU8);
  const OnnxModel m = ImportOnnxModel(b.Save(ScratchDir() + "/avg.onnx"), {});
  ASSERT_EQ(m.graph.ops.size(), 1u);
  const core::Op& op = m.graph.ops[0];
  EXPECT_EQ(op.type, core::OpType::kAvgPool);
  EXPECT_TRUE(op.float_accumulate);
  EXPECT_TRUE(op.count_include_pad);
  EXPECT_EQ(op.kernel, (std::array<int64_t, 2>{3, 2}));
  EXPECT_EQ(op.stride, (std::array<int64_t, 2>{2, 1}));
  EXPECT_EQ(op.pads, (std::array<int64_t, 4>{1, 0, 0, 1}));
  EXPECT_EQ(m.graph.tensor(op.outputs[0]).shape,
            (std::vector<int64_t>{1, 2, 5, 2}));  // NHWC: (5 + 1 - 3) / 2 + 1, (5 + 1 - 2) + 1
}

TEST(QdqImport, CeilModeAveragePoolAndUnfoldableNodesAreRefusedUpFront) {
  OnnxBuilder b;
  b.Input("x", kU8, {1, 2, 4, 4});
  b.Quant("x", 0.1f, kU8, 10);
  b.Quant("y", 0.2f, kU8, 3);
  b.Node("DequantizeLinear", {"x", "x_scale", "x_zp"}, {"xf"}, "dq_x");
  onnx::NodeProto* avg = b.Node("AveragePool", {"xf"}, {"pf"}, "avg");
  OnnxBuilder::Attr(avg, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::Attr(avg, "ceil_mode", int64_t{1});
  b.Node("QuantizeLinear", {"pf", "y_scale", "y_zp"}, {"p"}, "q_p");
  b.Node("DequantizeLinear", {"x", "x_scale", "x_zp"}, {"xf2"}, "dq_x2");
  b.Node("Softmax", {"xf2"}, {"s"}, "softmax");
  b.Output("p", kU8);
  b.Output("s", kF32);
  const std::string msg = ImportError(b.Save(ScratchDir() + "/refused.onnx"));
  EXPECT_NE(
      msg.find(
          "/graph/node/1: node \"avg\" (op QLinearAveragePool, domain com.microsoft): ceil_mode 1 is not "
          "supported (floor only)"),
      std::string::npos)
      << msg;
  EXPECT_NE(
      msg.find("/graph/node/3: node \"dq_x2\" (op DequantizeLinear, domain ai.onnx): not part of a foldable"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("/graph/node/4: node \"softmax\" (op Softmax, domain ai.onnx): unsupported op"),
            std::string::npos)
      << msg;
}

TEST(QdqImport, MaxPoolGroupMustKeepTheQuantization) {
  OnnxBuilder b;
  b.Input("x", kU8, {1, 1, 4, 4});
  b.Quant("x", 0.1f, kU8, 10);
  b.Quant("y", 0.2f, kU8, 10);
  b.Node("DequantizeLinear", {"x", "x_scale", "x_zp"}, {"xf"}, "dq_x");
  OnnxBuilder::Attr(b.Node("MaxPool", {"xf"}, {"pf"}, "pool"), "kernel_shape", std::vector<int64_t>{2, 2});
  b.Node("QuantizeLinear", {"pf", "y_scale", "y_zp"}, {"y"}, "q_y");
  b.Output("y", kU8);
  const std::string msg = ImportError(b.Save(ScratchDir() + "/maxpool.onnx"));
  EXPECT_NE(msg.find("MaxPool cannot requantize"), std::string::npos) << msg;
}

// Malformed DequantizeLinear nodes without inputs (found by fuzzing: the importer read input 0 of
// an empty input list) are refused with the node named.
TEST(QdqImport, DequantizeLinearWithoutInputsIsRefused) {
  for (const bool consumed : {false, true}) {
    OnnxBuilder b;
    b.Input("x", kU8, {1, 1, 4, 4});
    b.Quant("x", 0.1f, kU8, 10);
    b.Quant("y", 0.1f, kU8, 10);
    b.Node("DequantizeLinear", {"x", "x_scale", "x_zp"}, {"xf"}, "dq_x");
    b.Node("DequantizeLinear", {}, {"ef"}, "dq_empty");
    b.Node("Add", {"xf", consumed ? "ef" : "xf"}, {"sf"}, "add");
    b.Node("QuantizeLinear", {"sf", "y_scale", "y_zp"}, {"y"}, "q_y");
    b.Output("y", kU8);
    const std::string msg = ImportError(b.Save(ScratchDir() + "/dq_empty.onnx"));
    EXPECT_NE(msg.find("/graph/node/1: node \"dq_empty\" (op DequantizeLinear, domain ai.onnx): "),
              std::string::npos)
        << msg;
    if (consumed) {
      EXPECT_NE(msg.find("the DequantizeLinear \"dq_empty\" of input 1 has no input"), std::string::npos)
          << msg;
    }
  }
}

// A QDQ op with fewer inputs than its pattern needs (found by fuzzing: a one-input Gemm made the
// folder read past its list of dequantized inputs) is refused, not folded.
TEST(QdqImport, OpWithTooFewInputsIsRefused) {
  for (const std::string op : {"Gemm", "MatMul", "Conv", "Add"}) {
    OnnxBuilder b;
    b.Input("x", kU8, {1, 4});
    b.Quant("x", 0.1f, kU8, 10);
    b.Quant("y", 0.1f, kU8, 10);
    b.Node("DequantizeLinear", {"x", "x_scale", "x_zp"}, {"xf"}, "dq_x");
    b.Node(op, {"xf"}, {"yf"}, "op");
    b.Node("QuantizeLinear", {"yf", "y_scale", "y_zp"}, {"y"}, "q_y");
    b.Output("y", kU8);
    const std::string msg = ImportError(b.Save(ScratchDir() + "/few_inputs.onnx"));
    EXPECT_NE(msg.find("group: expected at least 2 inputs, got 1"), std::string::npos) << op << ": " << msg;
  }
}

}  // namespace
}  // namespace npusim::importer::testing

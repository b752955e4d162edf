// Verify(graph) (ir/verify.h): a hand-built graph that verifies clean, then one defect per kind of
// invariant, each with the message it must give; every network under workloads/ verifies clean.
#include "ir/verify.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "ir/net_loader.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;
using testing::SourcePath;

const char* const kSrc = "built.json";

TensorInfo Tensor(const std::string& name, std::vector<int64_t> shape, int bits, bool is_signed,
                  float scale = 0.5f, int32_t zp = 0) {
  TensorInfo t;
  t.name = name;
  t.shape = std::move(shape);
  t.bits = bits;
  t.is_signed = is_signed;
  t.quant.scales = {scale};
  t.quant.zero_points = {zp};
  return t;
}

TensorInfo Constant(TensorInfo t, int32_t base) {
  std::vector<int32_t> v(t.elements());
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<int32_t>((base + 7 * static_cast<int64_t>(i)) % 11) - 5;
  t.data = std::move(v);
  return t;
}

Op MakeOp(const std::string& name, OpType type, std::vector<std::string> in, const std::string& out) {
  Op op;
  op.name = name;
  op.type = type;
  op.inputs = std::move(in);
  op.outputs = {out};
  return op;
}

// x [1,4,4,2] -> conv c0 (3x3, pads 1, bias, per-channel) -> y0 [1,4,4,4] -> max_pool p0 (2x2 /2) -> y1
// [1,2,2,4] -> global_avg_pool g0 -> y2 [1,1,1,4] -> reshape r0 -> y3 [1,4] -> fully_connected f0 -> y [1,3].
Graph Valid() {
  Graph g;
  g.name = "built";
  auto put = [&g](TensorInfo t) { g.tensors[t.name] = std::move(t); };
  put(Tensor("x", {1, 4, 4, 2}, 8, false, 0.1f, 128));
  TensorInfo w = Constant(Tensor("w", {4, 3, 3, 2}, 8, true), 1);
  w.quant.scales = {0.01f, 0.02f, 0.03f, 0.04f};
  put(w);
  put(Constant(Tensor("b", {4}, 32, true, 1.0f), 3));
  put(Tensor("y0", {1, 4, 4, 4}, 8, false, 0.2f, 3));
  put(Tensor("y1", {1, 2, 2, 4}, 8, false, 0.2f, 3));
  put(Tensor("y2", {1, 1, 1, 4}, 8, false, 0.3f, 1));
  put(Tensor("y3", {1, 4}, 8, false, 0.3f, 1));
  put(Constant(Tensor("w2", {3, 4}, 4, true), 2));
  put(Tensor("y", {1, 3}, 8, true, 0.4f, 0));
  Op c0 = MakeOp("c0", OpType::kConv2d, {"x", "w", "b"}, "y0");
  c0.pads = {1, 1, 1, 1};
  c0.activation = Activation::kRelu;
  Op p0 = MakeOp("p0", OpType::kMaxPool, {"y0"}, "y1");
  p0.kernel = {2, 2};
  p0.stride = {2, 2};
  g.ops = {c0, p0, MakeOp("g0", OpType::kGlobalAvgPool, {"y1"}, "y2"),
           MakeOp("r0", OpType::kReshape, {"y2"}, "y3"),
           MakeOp("f0", OpType::kFullyConnected, {"y3", "w2"}, "y")};
  g.inputs = {"x"};
  g.outputs = {"y"};
  return g;
}

std::vector<Problem> ProblemsOfGraph(const Graph& g) {
  return ProblemsOf([&] { Verify(g, kSrc); });
}

const std::string kConv = "op 0 \"c0\" (conv2d)";
const std::string kPool = "op 1 \"p0\" (max_pool)";
const std::string kFc = "op 4 \"f0\" (fully_connected)";

TEST(Verify, HandBuiltGraphIsClean) { EXPECT_NO_THROW(Verify(Valid(), kSrc)); }

// ---------------------------------------------------------------- structure

TEST(Verify, UnknownTensorNamed) {
  Graph g = Valid();
  g.ops[1].inputs[0] = "nope";
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kPool + ", input 0 \"nope\"",
                         "expected the name of a tensor of the graph"));
}

TEST(Verify, TensorProducedTwice) {
  Graph g = Valid();
  g.ops[2].outputs[0] = "y1";  // global_avg_pool writes max_pool's output again
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, "op 2 \"g0\" (global_avg_pool), output \"y1\"",
                         "already produced by op 1; every tensor is produced once"));
}

TEST(Verify, OpWritesANetworkInputOrAConstant) {
  Graph g = Valid();
  g.ops[1].outputs[0] = "x";
  g.ops[2].outputs[0] = "w";
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(
      HasProblem(problems, kSrc, kPool + ", output \"x\"", "a network input cannot be produced by an op"));
  EXPECT_TRUE(HasProblem(problems, kSrc, "op 2 \"g0\" (global_avg_pool), output \"w\"",
                         "a tensor with data (a constant) cannot be produced by an op"));
}

TEST(Verify, OpsOutOfTopologicalOrder) {
  Graph g = Valid();
  std::swap(g.ops[2], g.ops[3]);  // reshape r0 now reads y2 before global_avg_pool writes it
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, "op 2 \"r0\" (reshape), input 0 \"y2\"",
                         "tensor is produced by op 3, which does not come before this op; ops must be in "
                         "topological order"));
}

TEST(Verify, TensorWithoutAValue) {
  Graph g = Valid();
  g.tensors["z"] = Tensor("z", {1, 4}, 8, false, 0.3f, 1);
  g.ops[4].inputs[0] = "z";
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kFc + ", input 0 \"z\"",
                         "tensor has no value here: it is not a network input, has no data"));
}

TEST(Verify, NetworkInputsAndOutputs) {
  Graph g = Valid();
  g.inputs.push_back("ghost");
  g.outputs = {"y", "x", "y"};
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(
      HasProblem(problems, kSrc, "inputs[1] \"ghost\"", "expected the name of a tensor of the graph"));
  EXPECT_TRUE(HasProblem(problems, kSrc, "outputs[1] \"x\"",
                         "expected a tensor produced by an op, it is not produced by any op"));
  EXPECT_TRUE(HasProblem(problems, kSrc, "outputs[2] \"y\"", "duplicate network output"));
}

TEST(Verify, OperandCountsPerKind) {
  Graph g = Valid();
  g.ops[0].inputs = {"x"};
  g.ops[1].outputs = {"y1", "y0"};
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(HasProblem(problems, kSrc, kConv, "expected 2..3 inputs for conv2d, got 1"));
  EXPECT_TRUE(HasProblem(problems, kSrc, kPool, "expected exactly 1 output, got 2"));
}

TEST(Verify, DuplicateAndEmptyOpNames) {
  Graph g = Valid();
  g.ops[1].name = "c0";
  g.ops[2].name = "";
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(HasProblem(problems, kSrc, "op 1 \"c0\" (max_pool)", "duplicate op name \"c0\""));
  EXPECT_TRUE(HasProblem(problems, kSrc, "op 2 \"\" (global_avg_pool)", "expected an op name"));
}

// ---------------------------------------------------------------- operand roles

TEST(Verify, WeightMustBeAConstant) {
  Graph g = Valid();
  g.tensor("w").data.reset();
  g.tensor("w").quant.scales = {0.01f};
  g.inputs.push_back("w");
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kConv + ", input 1 \"w\"",
                         "expected a constant weight tensor (with data, not a network input), \"w\" is not"));
}

TEST(Verify, BiasMustBe32Bit) {
  Graph g = Valid();
  g.tensor("b") = Constant(Tensor("b", {4}, 16, true), 3);
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kConv + ", input 2 \"b\"",
                         "expected a 32-bit bias tensor, \"b\" has 16 bits"));
}

TEST(Verify, ActivationMayNotBe32BitOrBinary) {
  Graph g = Valid();
  g.tensor("y1") = Tensor("y1", {1, 2, 2, 4}, 32, true, 1.0f);
  g.tensor("y3") = Tensor("y3", {1, 4}, 1, true);
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(
      HasProblem(problems, kSrc, kPool + ", output \"y1\"",
                 "expected an activation tensor (1..16 bits), \"y1\" has 32 bits (32-bit tensors are"));
  EXPECT_TRUE(HasProblem(problems, kSrc, kFc + ", input 0 \"y3\"", "\"y3\" is signed 1-bit"));
}

TEST(Verify, AccumulatorOutputFusesNoActivation) {
  Graph g = Valid();
  TensorInfo acc = Tensor("y0", {1, 4, 4, 4}, 32, true, 1.0f);
  g.tensor("y0") = acc;
  g.ops.resize(1);
  g.outputs = {"y0"};
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kConv + ", activation",
                         "expected \"none\" (output \"y0\" is a 32-bit accumulator output"));
  g.ops[0].activation = Activation::kNone;
  EXPECT_NO_THROW(Verify(g, kSrc));
}

// ---------------------------------------------------------------- shapes and attributes

TEST(Verify, ConvOutputShapeFollowsFromOperands) {
  Graph g = Valid();
  g.tensor("y0").shape = {1, 4, 4, 5};
  EXPECT_TRUE(
      HasProblem(ProblemsOfGraph(g), kSrc, kConv + ", output \"y0\" shape",
                 "expected [1, 4, 4, 4] (inferred for the output of conv2d op 0 \"c0\"), got [1, 4, 4, 5]"));
}

TEST(Verify, ConvWeightAndGroups) {
  Graph g = Valid();
  g.ops[0].groups = 3;
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kConv + ", groups",
                         "expected a divisor of the input channels (2) and the output channels (4), got 3"));
  g = Valid();
  g.ops[0].groups = 2;  // the weight then needs 1 input channel per group, not 2
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kConv + ", input 1 \"w\"",
                         "expected a weight of shape [O, KH, KW, 1] (OHWI; input channels 2 / groups 2)"));
}

TEST(Verify, PoolWindowAndPads) {
  Graph g = Valid();
  g.ops[1].pads = {2, 0, 0, 0};
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kPool + ", pads[0]",
                         "expected an integer in 0..1 (less than the kernel height 2), got 2"));
  g = Valid();
  g.ops[1].kernel = {6, 2};
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kPool, "expected an output height >= 1, got 0 (input 4"));
}

TEST(Verify, ActivationMustBeNhwc) {
  Graph g = Valid();
  g.tensor("y1").shape = {1, 16};
  g.ops.resize(2);
  g.ops[1].type = OpType::kGlobalAvgPool;
  g.ops[1].inputs = {"y3"};
  g.tensors["y3"].data = std::vector<int32_t>(4, 1);  // a constant: it has a value here
  g.outputs = {"y1"};
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, "op 1 \"p0\" (global_avg_pool), input 0 \"y3\"",
                         "expected an activation of shape [1, H, W, C], \"y3\" has shape [1, 4]"));
}

TEST(Verify, ReshapeKeepsTheElementCount) {
  Graph g = Valid();
  g.tensor("y3").shape = {1, 5};
  g.tensor("w2") = Constant(Tensor("w2", {3, 5}, 4, true), 2);
  EXPECT_TRUE(
      HasProblem(ProblemsOfGraph(g), kSrc, "op 3 \"r0\" (reshape), output \"y3\" shape",
                 "expected a shape of 4 elements (the input [1, 1, 1, 4] of reshape op 3 \"r0\"), got "
                 "[1, 5]"));
}

TEST(Verify, FullyConnectedWeight) {
  Graph g = Valid();
  g.tensor("w2") = Constant(Tensor("w2", {3, 5}, 4, true), 2);
  EXPECT_TRUE(HasProblem(ProblemsOfGraph(g), kSrc, kFc + ", input 1 \"w2\"",
                         "expected a weight of shape [N, 4] ([out, in]), \"w2\" has shape [3, 5]"));
}

TEST(Verify, AttributesOutsideTheLimitsStopTheShapeRules) {
  Graph g = Valid();
  g.ops[0].stride = {0, 1};  // the output size would divide by 0
  g.ops[1].kernel = {2, 0};
  g.ops[2].activation = Activation::kRelu6;
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(HasProblem(problems, kSrc, kConv + ", stride[0]", "expected an integer in 1..65536, got 0"));
  EXPECT_TRUE(HasProblem(problems, kSrc, kPool + ", kernel[1]", "expected an integer in 1..65536, got 0"));
  EXPECT_TRUE(HasProblem(problems, kSrc, "op 2 \"g0\" (global_avg_pool), activation",
                         "expected none (only conv2d, fully_connected and add fuse an activation)"));
  EXPECT_EQ(problems.size(), 3u) << testing::ToString(problems);
}

TEST(Verify, ElementLimit) {
  Graph g = Valid();
  g.tensor("y2").shape = {1, 65536, 65536, 4};
  EXPECT_TRUE(
      HasProblem(ProblemsOfGraph(g), kSrc, "tensor \"y2\"",
                 "expected a shape of 1 to 4 dimensions >= 1 and at most 2147483647 elements, got [1, "
                 "65536, 65536, 4]"));
}

TEST(Verify, LookupTableShape) {
  Graph g = Valid();
  g.tensors["t"] = Constant(Tensor("t", {255}, 8, false, 0.2f, 3), 0);
  for (int32_t& v : *g.tensors["t"].data) v += 5;
  g.tensors["yl"] = Tensor("yl", {1, 4, 4, 4}, 8, false, 0.2f, 3);
  g.ops.insert(g.ops.begin() + 1, MakeOp("l0", OpType::kLookup, {"y0", "t"}, "yl"));
  EXPECT_TRUE(
      HasProblem(ProblemsOfGraph(g), kSrc, "op 1 \"l0\" (lookup), input 1 \"t\"",
                 "expected a table of shape [256] (one entry per value of the 8-bit input \"y0\"), \"t\" "
                 "has shape [255]"));
}

TEST(Verify, MaxPoolDoesNotRescale) {
  Graph g = Valid();
  g.tensor("y1").quant.zero_points = {4};
  EXPECT_TRUE(
      HasProblem(ProblemsOfGraph(g), kSrc, kPool + ", output \"y1\"",
                 "expected the quantization of input \"y0\" (unsigned 8-bit, scale 0.200000003, zero_point "
                 "3) since max_pool does not rescale, \"y1\" has unsigned 8-bit, scale 0.200000003, "
                 "zero_point 4"));
}

// ---------------------------------------------------------------- quantization and data

TEST(Verify, BitsAndSignedness) {
  Graph g = Valid();
  g.tensor("y2").bits = 20;
  g.tensor("b").is_signed = false;
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(
      HasProblem(problems, kSrc, "tensor \"y2\"",
                 "expected 1..16 bits, or 32 signed bits for a bias or an int32 accumulator output, got "
                 "unsigned 20-bit"));
  EXPECT_TRUE(HasProblem(problems, kSrc, "tensor \"b\"", "got unsigned 32-bit"));
}

TEST(Verify, ScalesPositiveAndFinite) {
  Graph g = Valid();
  g.tensor("y0").quant.scales = {0.0f};
  g.tensor("w").quant.scales[2] = std::numeric_limits<float>::quiet_NaN();
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(HasProblem(problems, kSrc, "tensor \"y0\"", "expected scales > 0 and finite, scale 0 is 0"));
  EXPECT_TRUE(HasProblem(problems, kSrc, "tensor \"w\"", "expected scales > 0 and finite, scale 2 is nan"));
}

TEST(Verify, ZeroPointInRange) {
  Graph g = Valid();
  g.tensor("x").quant.zero_points = {300};
  EXPECT_TRUE(
      HasProblem(ProblemsOfGraph(g), kSrc, "tensor \"x\"",
                 "expected zero points in an integer in 0..255 (unsigned 8-bit), zero point 0 is 300"));
}

TEST(Verify, PerChannelCountsAndPlaces) {
  Graph g = Valid();
  g.tensor("w").quant.scales = {0.01f, 0.02f, 0.03f};
  g.tensor("y0").quant.zero_points = {3, 3, 3, 3};
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(
      HasProblem(problems, kSrc, "tensor \"w\"",
                 "expected 1 or 4 scales and zero points (one per output channel, shape[0], axis 0), got 3 "
                 "scales and 1 zero points along axis 0"));
  EXPECT_TRUE(HasProblem(problems, kSrc, "tensor \"y0\"",
                         "per-channel quantization is only allowed on constant weights"));
}

TEST(Verify, DataLengthAndRange) {
  Graph g = Valid();
  g.tensor("w").data->pop_back();
  (*g.tensor("w2").data)[5] = 8;  // signed 4-bit: -8..7
  (*g.tensor("w2").data)[7] = -9;
  const auto problems = ProblemsOfGraph(g);
  EXPECT_TRUE(
      HasProblem(problems, kSrc, "tensor \"w\"", "expected 72 data values (shape [4, 3, 3, 2]), got 71"));
  EXPECT_TRUE(HasProblem(problems, kSrc, "tensor \"w2\"",
                         "expected values in the signed 4-bit range -8..7, got 2 values outside it, first at "
                         "index 5: 8"));
}

TEST(Verify, BinaryWeightsHoldNoZero) {
  Graph g = Valid();
  TensorInfo& w2 = g.tensor("w2");
  w2.bits = 1;
  for (int32_t& v : *w2.data) v = v < 0 ? -1 : 1;
  EXPECT_NO_THROW(Verify(g, kSrc));
  (*w2.data)[3] = 0;  // what pruning to the zero point would do to a binary weight
  EXPECT_TRUE(
      HasProblem(ProblemsOfGraph(g), kSrc, "tensor \"w2\"", "(binary: -1 or +1), got 1 value outside it"));
}

TEST(Verify, ListsEveryProblemNotOnlyTheFirst) {
  Graph g = Valid();
  g.tensor("x").quant.zero_points = {300};
  g.tensor("w2").data->pop_back();
  g.outputs = {"x"};
  const auto problems = ProblemsOfGraph(g);
  EXPECT_EQ(problems.size(), 3u) << testing::ToString(problems);
}

// ---------------------------------------------------------------- the workloads

TEST(Verify, EveryWorkloadVerifiesClean) {
  int networks = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(SourcePath("workloads"))) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("\"ops\"") == std::string::npos) continue;  // not a network file
    SCOPED_TRACE(e.path().string());
    Graph g;
    ASSERT_NO_THROW(g = LoadNetwork(e.path().string()));  // LoadNetwork verifies too
    EXPECT_NO_THROW(Verify(g, e.path().string()));
    ++networks;
  }
  EXPECT_GE(networks, 20);
}

// The loader's own rules stay first: a file it rejects never reaches Verify, and the message is the
// loader's, with its JSON pointer.
TEST(Verify, LoaderKeepsItsPointers) {
  Graph g = LoadNetwork(SourcePath("workloads/tiny_conv.json"));
  g.tensor(g.ops[0].outputs[0]).shape.back() += 1;
  const auto problems = ProblemsOfGraph(g);
  ASSERT_EQ(problems.size(), 1u) << testing::ToString(problems);
  EXPECT_NE(problems[0].message.find("inferred for the output of conv2d op 0"), std::string::npos);
}

}  // namespace
}  // namespace npusim::core

#include "ir/net_loader.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/json_util.h"
#include "support/npy.h"
#include "support/random.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;
using testing::ScratchDir;
using testing::SourcePath;
using testing::WriteFile;

// The example of docs/formats.md, "Network".
const char* kTinyConv = R"({
  "version": 1,
  "name": "tiny_conv",
  "layout": "NHWC",
  "inputs": ["x"],
  "outputs": ["y"],
  "tensors": {
    "x":  {"shape": [1, 8, 8, 3], "bits": 8, "signed": true, "scale": 0.05, "zero_point": 3,
           "data": {"random": {"seed": 1}}},
    "w":  {"shape": [4, 3, 3, 3], "bits": 8, "signed": true,
           "scale": {"random": {"seed": 2, "min": 0.01, "max": 0.02}}, "zero_point": 0,
           "data": {"random": {"seed": 3, "min": -127, "max": 127}}},
    "b":  {"shape": [4], "bits": 32, "signed": true, "data": [10, -20, 30, 0]},
    "y":  {"shape": [1, 8, 8, 4], "bits": 8, "signed": true, "scale": 0.1, "zero_point": -5}
  },
  "ops": [
    {"name": "conv1", "op": "conv2d", "inputs": ["x", "w", "b"], "outputs": ["y"],
     "stride": [1, 1], "pads": [1, 1, 1, 1], "dilation": [1, 1], "groups": 1,
     "activation": "relu"}
  ]
})";

Json TinyConv() { return Json::parse(kTinyConv); }

std::string WriteNet(const Json& j, const std::string& dir = ScratchDir()) {
  return WriteFile(dir + "/net.json", j.dump(2));
}

std::vector<Problem> NetProblems(const std::string& path) {
  return ProblemsOf([&] { LoadNetwork(path); });
}

TEST(NetLoader, LoadsTheFormatsExample) {
  const Graph g = LoadNetwork(WriteNet(TinyConv()));
  EXPECT_EQ(g.name, "tiny_conv");
  EXPECT_EQ(g.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  ASSERT_EQ(g.tensors.size(), 4u);

  const TensorInfo& x = g.tensor("x");
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.shape, (std::vector<int64_t>{1, 8, 8, 3}));
  EXPECT_EQ(x.bits, 8);
  EXPECT_TRUE(x.is_signed);
  EXPECT_EQ(x.quant.scales, std::vector<float>{0.05f});
  EXPECT_EQ(x.quant.zero_points, std::vector<int32_t>{3});
  ASSERT_TRUE(x.data.has_value());
  ASSERT_EQ(x.data->size(), 192u);
  // Random data with default bounds -128..127, seed 1; values as in random_test.cpp (Python).
  EXPECT_EQ((std::vector<int32_t>(x.data->begin(), x.data->begin() + 8)),
            (std::vector<int32_t>{65, -25, -34, -117, 57, 0, 37, -11}));

  const TensorInfo& w = g.tensor("w");
  EXPECT_FALSE(w.quant.per_channel());
  EXPECT_EQ(w.quant.scales, std::vector<float>{0.015911897644400597f});  // RandomScale(2, 0, ...)
  EXPECT_EQ((std::vector<int32_t>(w.data->begin(), w.data->begin() + 5)),
            (std::vector<int32_t>{-4, -91, -103, 70, 14}));

  const TensorInfo& b = g.tensor("b");
  EXPECT_EQ(b.bits, 32);
  EXPECT_EQ(*b.data, (std::vector<int32_t>{10, -20, 30, 0}));

  ASSERT_EQ(g.ops.size(), 1u);
  const Op& op = g.ops[0];
  EXPECT_EQ(op.name, "conv1");
  EXPECT_EQ(op.type, OpType::kConv2d);
  EXPECT_EQ(op.inputs, (std::vector<std::string>{"x", "w", "b"}));
  EXPECT_EQ(op.outputs, std::vector<std::string>{"y"});
  EXPECT_EQ(op.pads, (std::array<int64_t, 4>{1, 1, 1, 1}));
  EXPECT_EQ(op.activation, Activation::kRelu);
  EXPECT_FALSE(g.tensor("y").data.has_value());
}

TEST(NetLoader, InfersShapesThroughEveryOpKind) {
  const Json j = Json::parse(R"({
    "version": 1, "name": "all_ops", "inputs": ["x"], "outputs": ["logits"],
    "tensors": {
      "x":    {"shape": [1, 8, 8, 4], "scale": 0.1},
      "wdw":  {"shape": [4, 3, 3, 1], "scale": [0.1, 0.2, 0.3, 0.4], "zero_point": [0, 0, 0, 0],
               "data": {"random": {"seed": 5}}},
      "dw":   {"scale": 0.2, "zero_point": -3},
      "mp":   {"scale": 0.2, "zero_point": -3},
      "ap":   {"scale": 0.25},
      "sum":  {"scale": 0.3, "bits": 16},
      "gp":   {"scale": 0.3, "bits": 16},
      "flat": {"scale": 0.3, "bits": 16},
      "r":    {"shape": [2, 2], "scale": 0.3, "bits": 16},
      "wfc":  {"shape": [10, 2], "scale": 0.01, "bits": 4, "data": {"random": {"seed": 6}}},
      "bfc":  {"shape": [10], "bits": 32, "data": {"random": {"seed": 7, "min": -100, "max": 100}}},
      "logits": {"scale": 0.5, "signed": false, "zero_point": 128}
    },
    "ops": [
      {"name": "dw", "op": "conv2d", "inputs": ["x", "wdw"], "outputs": ["dw"], "groups": 4,
       "stride": [2, 2], "pads": [1, 1, 1, 1], "activation": "relu6"},
      {"name": "mp", "op": "max_pool", "inputs": ["dw"], "outputs": ["mp"], "kernel": [2, 2],
       "stride": [2, 2]},
      {"name": "ap", "op": "avg_pool", "inputs": ["dw"], "outputs": ["ap"], "kernel": [3, 3],
       "stride": [2, 2], "pads": [1, 1, 0, 0], "count_include_pad": true},
      {"name": "add", "op": "add", "inputs": ["mp", "ap"], "outputs": ["sum"]},
      {"name": "gp", "op": "global_avg_pool", "inputs": ["sum"], "outputs": ["gp"]},
      {"name": "flat", "op": "flatten", "inputs": ["gp"], "outputs": ["flat"]},
      {"name": "r", "op": "reshape", "inputs": ["flat"], "outputs": ["r"]},
      {"name": "fc", "op": "matmul", "inputs": ["r", "wfc", "bfc"], "outputs": ["logits"]}
    ]
  })");
  const Graph g = LoadNetwork(WriteNet(j));
  EXPECT_EQ(g.tensor("dw").shape, (std::vector<int64_t>{1, 4, 4, 4}));
  EXPECT_EQ(g.tensor("mp").shape, (std::vector<int64_t>{1, 2, 2, 4}));
  EXPECT_EQ(g.tensor("ap").shape, (std::vector<int64_t>{1, 2, 2, 4}));
  EXPECT_EQ(g.tensor("sum").shape, (std::vector<int64_t>{1, 2, 2, 4}));
  EXPECT_EQ(g.tensor("gp").shape, (std::vector<int64_t>{1, 1, 1, 4}));
  EXPECT_EQ(g.tensor("flat").shape, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(g.tensor("logits").shape, (std::vector<int64_t>{2, 10}));
  EXPECT_TRUE(g.tensor("wdw").quant.per_channel());
  EXPECT_EQ(g.tensor("wdw").quant.scale(2), 0.3f);
  EXPECT_EQ(g.tensor("logits").qmax(), 255);
  for (int32_t v : *g.tensor("wfc").data) {
    EXPECT_GE(v, -8);
    EXPECT_LE(v, 7);
  }
  EXPECT_EQ(g.ops[0].groups, 4);
  EXPECT_EQ(g.ops[0].activation, Activation::kRelu6);
  EXPECT_EQ(g.ops[2].type, OpType::kAvgPool);
  EXPECT_TRUE(g.ops[2].count_include_pad);
  EXPECT_EQ(g.ops[2].kernel, (std::array<int64_t, 2>{3, 3}));
  EXPECT_EQ(g.ops[5].type, OpType::kReshape);
  EXPECT_EQ(g.ops[7].type, OpType::kFullyConnected);
  EXPECT_EQ(OpMacs(g, g.ops[7]), 2 * 10 * 2);
}

TEST(NetLoader, DilatedConvAndRank4FullyConnected) {
  const Json j = Json::parse(R"({
    "version": 1, "name": "dilated", "inputs": ["x"], "outputs": ["z"],
    "tensors": {
      "x": {"shape": [1, 7, 7, 2], "scale": 0.1},
      "w": {"shape": [3, 3, 3, 2], "scale": 0.1, "data": {"random": {"seed": 1}}},
      "y": {"scale": 0.1},
      "g": {"scale": 0.1},
      "v": {"shape": [5, 3], "scale": 0.1, "data": {"random": {"seed": 2}}},
      "z": {"scale": 0.1}
    },
    "ops": [
      {"name": "c", "op": "conv2d", "inputs": ["x", "w"], "outputs": ["y"], "dilation": [2, 2]},
      {"name": "g", "op": "global_avg_pool", "inputs": ["y"], "outputs": ["g"]},
      {"name": "f", "op": "fully_connected", "inputs": ["g", "v"], "outputs": ["z"]}
    ]
  })");
  const Graph g = LoadNetwork(WriteNet(j));
  EXPECT_EQ(g.tensor("y").shape, (std::vector<int64_t>{1, 3, 3, 3}));  // 7 - (2*(3-1)+1) + 1
  EXPECT_EQ(g.tensor("z").shape, (std::vector<int64_t>{1, 5}));
}

TEST(NetLoader, ReadsNpyDataRelativeToTheNetworkFile) {
  const std::string dir = ScratchDir();
  std::vector<int32_t> w(4 * 3 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int32_t>(i) - 50;
  std::filesystem::create_directories(dir + "/weights");
  SaveNpy(dir + "/weights/w.npy", {4, 3, 3, 3}, w, 8, true);
  Json j = TinyConv();
  j["tensors"]["w"]["data"] = "weights/w.npy";
  const Graph g = LoadNetwork(WriteNet(j, dir));
  EXPECT_EQ(*g.tensor("w").data, w);
}

TEST(NetLoader, RandomPerChannelScales) {
  Json j = TinyConv();
  j["tensors"]["w"]["scale"]["random"]["per_channel"] = true;
  const Graph g = LoadNetwork(WriteNet(j));
  const QuantParams& q = g.tensor("w").quant;
  ASSERT_EQ(q.scales.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(q.scales[i], RandomScale(2, i, 0.01, 0.02));
  EXPECT_EQ(q.scales[1], 0.017491497099399567f);  // Python, see random_test.cpp
}

// ------------------------------------------------------------------------- bad input

TEST(NetLoader, MalformedJsonReportsLineAndColumn) {
  const std::string path = SourcePath("tests/data/bad/net_syntax_error.json");
  auto problems = NetProblems(path);
  ASSERT_EQ(problems.size(), 1u);
  // The trailing comma on line 7: the parser expects a key and finds "}" at column 58.
  EXPECT_TRUE(HasProblem(problems, path, "",
                         "line 7, column 58: invalid JSON: syntax error while parsing object key"));
}

TEST(NetLoader, ReportsEveryProblemOfAFileAtOnce) {
  const std::string path = SourcePath("tests/data/bad/net_many_problems.json");
  auto problems = NetProblems(path);
  EXPECT_TRUE(
      HasProblem(problems, path, "/tensors/x/zero_point", "expected an integer in -128..127, got 200"));
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/w/scale",
                         "expected 4 scales (one per output channel, shape[0]), got 3"));
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/b/scale",
                         "\"scale\" is not allowed on a 32-bit (bias or accumulator output) tensor"));
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/b/data", "expected 4 values (shape [4]), got 3"));
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/y/bits",
                         "expected an integer in 1..16, or 32 for a bias or an int32 accumulator "
                         "output, got 40"));
  EXPECT_TRUE(HasProblem(problems, path, "/ops/0/strid",
                         "unknown key \"strid\" (expected one of: name, op, inputs, outputs, "
                         "stride, pads, dilation, groups, activation, mapping, fusion)"));
  EXPECT_TRUE(HasProblem(problems, path, "/outputs/1",
                         "expected a tensor produced by an op, \"ghost\" is not produced by any op"));
  EXPECT_EQ(problems.size(), 7u) << testing::ToString(problems);
}

TEST(NetLoader, UnsupportedOpListsTheSupportedOnes) {
  const std::string path = SourcePath("tests/data/bad/net_unsupported_op.json");
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/ops/0/op",
                         "expected one of conv2d|fully_connected|matmul|add|mul|lookup|max_pool|avg_pool|"
                         "global_avg_pool|reshape|flatten|concat, got \"relu\""));
  EXPECT_EQ(problems.size(), 1u) << testing::ToString(problems);
}

TEST(NetLoader, OpsOutOfTopologicalOrder) {
  const std::string path = SourcePath("tests/data/bad/net_not_topological.json");
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/ops/0/inputs/0",
                         "tensor \"y\" is produced by /ops/1, which does not come before this op; "
                         "ops must be listed in topological order"));
  EXPECT_EQ(problems.size(), 1u) << testing::ToString(problems);
}

TEST(NetLoader, WrongTypeOfStride) {
  Json j = TinyConv();
  j["ops"][0]["stride"] = "2";
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/stride",
                         "expected a list of 2 integers in 1..65536, got \"2\""));
}

TEST(NetLoader, MissingScale) {
  Json j = TinyConv();
  j["tensors"]["y"].erase("scale");
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/y/scale",
                         "missing required key \"scale\" (expected a number > 0, a list of them "
                         "(one per output channel), or {\"random\": {...}})"));
}

TEST(NetLoader, MissingOpInputs) {
  Json j = TinyConv();
  j["ops"][0].erase("inputs");
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/inputs",
                         "missing required key \"inputs\" (expected a list of tensor names [x, w] "
                         "or [x, w, bias])"));
}

TEST(NetLoader, MissingShapeOfATensorNoOpProduces) {
  Json j = TinyConv();
  j["tensors"]["x"].erase("shape");
  j["tensors"]["x"].erase("data");
  const std::string path = WriteNet(j);
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/x/shape",
                         "missing required key \"shape\" (expected a list of 1 to 4 integers >= "
                         "1; only op outputs may omit it)"));
  EXPECT_EQ(problems.size(), 1u) << testing::ToString(problems);
}

TEST(NetLoader, WeightChannelsDisagreeWithInput) {
  Json j = TinyConv();
  j["tensors"]["w"]["shape"] = {4, 3, 3, 2};
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/inputs/1",
                         "expected a weight of shape [O, KH, KW, 3] (OHWI; input channels 3 / "
                         "groups 1), \"w\" has shape [4, 3, 3, 2]"));
}

TEST(NetLoader, GivenOutputShapeMustMatchTheInferredOne) {
  Json j = TinyConv();
  j["tensors"]["y"]["shape"] = {1, 8, 8, 5};
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/y/shape",
                         "expected [1, 8, 8, 4] (inferred for the output of conv2d /ops/0), got "
                         "[1, 8, 8, 5]"));
}

TEST(NetLoader, BiasLengthMustEqualOutputChannels) {
  Json j = TinyConv();
  j["tensors"]["b"]["shape"] = {3};
  j["tensors"]["b"]["data"] = {1, 2, 3};
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/inputs/2",
                         "expected a bias of shape [4] (one per output channel), \"b\" has shape "
                         "[3]"));
}

TEST(NetLoader, BiasMustBe32Bit) {
  Json j = TinyConv();
  j["tensors"]["b"]["bits"] = 8;
  j["tensors"]["b"]["scale"] = 0.1;
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/inputs/2",
                         "expected a 32-bit bias tensor, \"b\" has 8 bits"));
}

// conv2d / fully_connected with a 32-bit output: the raw int32 accumulator (ONNX ConvInteger,
// MatMulInteger; docs/formats.md "Accumulator outputs").
Json AccumulatorConv() {
  Json j = TinyConv();
  j["tensors"]["y"] = {{"shape", {1, 8, 8, 4}}, {"bits", 32}, {"signed", true}};
  j["ops"][0]["activation"] = "none";
  return j;
}

// `j` has exactly one problem, at `pointer`, with a message containing `text`.
void ExpectOneProblem(const Json& j, const std::string& pointer, const std::string& text) {
  const std::string path = WriteNet(j);
  const auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, pointer, text));
  EXPECT_EQ(problems.size(), 1u) << testing::ToString(problems);
}

// `j` with a 2x2 max_pool of "y" into `z`, the network's output.
Json PoolAfterConv(Json j, const Json& z) {
  j["tensors"]["z"] = z;
  j["outputs"] = {"z"};
  j["ops"].push_back(
      {{"name", "pool"}, {"op", "max_pool"}, {"kernel", {2, 2}}, {"inputs", {"y"}}, {"outputs", {"z"}}});
  return j;
}

TEST(NetLoader, AccumulatorOutputOfConvAndFullyConnected) {
  Json j = AccumulatorConv();
  j["tensors"]["y"].erase("shape");  // inferred like any op output
  j["tensors"]["fx"] = {{"shape", {2, 5}},
                        {"scale", 1},
                        {"zero_point", 7},
                        {"signed", false},
                        {"data", {{"random", {{"seed", 4}}}}}};
  j["tensors"]["fw"] = {{"shape", {3, 5}}, {"scale", 1}, {"data", {{"random", {{"seed", 5}}}}}};
  j["tensors"]["fy"] = {{"bits", 32}};
  j["inputs"].push_back("fx");
  j["outputs"].push_back("fy");
  j["ops"].push_back({{"name", "fc"}, {"op", "matmul"}, {"inputs", {"fx", "fw"}}, {"outputs", {"fy"}}});
  const Graph g = LoadNetwork(WriteNet(j));
  EXPECT_EQ(g.tensor("y").bits, 32);
  EXPECT_EQ(g.tensor("y").shape, (std::vector<int64_t>{1, 8, 8, 4}));
  EXPECT_EQ(g.tensor("fy").bits, 32);
  EXPECT_TRUE(g.tensor("fy").is_signed);
  EXPECT_EQ(g.tensor("fy").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(g.tensor("fx").quant.zero_point(0), 7);
}

TEST(NetLoader, AccumulatorOutputTakesNoActivation) {
  Json j = AccumulatorConv();
  j["ops"][0]["activation"] = "relu6";
  ExpectOneProblem(j, "/ops/0/activation",
                   "expected \"none\" (output \"y\" is a 32-bit accumulator output: written without "
                   "requantization, so no activation is fused), got \"relu6\"");
}

TEST(NetLoader, AccumulatorOutputHasNoScaleOrZeroPoint) {
  Json j = AccumulatorConv();
  j["tensors"]["y"]["zero_point"] = 0;
  ExpectOneProblem(j, "/tensors/y/zero_point",
                   "\"zero_point\" is not allowed on a 32-bit (bias or accumulator output) tensor: "
                   "its scale is implied as x_scale * w_scale and its zero point is 0");
}

TEST(NetLoader, AccumulatorOutputMustBeSigned) {
  Json j = AccumulatorConv();
  j["tensors"]["y"]["signed"] = false;
  ExpectOneProblem(j, "/tensors/y/signed",
                   "expected true for a 32-bit (bias or accumulator output) tensor, got false");
}

TEST(NetLoader, NoOpReadsAnAccumulatorOutput) {
  ExpectOneProblem(PoolAfterConv(AccumulatorConv(), {{"scale", 0.1}}), "/ops/1/inputs/0",
                   "expected an activation tensor (1..16 bits), \"y\" has 32 bits (32-bit tensors are "
                   "biases and the int32 accumulator outputs of conv2d / fully_connected)");
}

TEST(NetLoader, OnlyConvAndFullyConnectedWriteAccumulators) {
  ExpectOneProblem(PoolAfterConv(TinyConv(), {{"bits", 32}}), "/ops/1/outputs/0",
                   "expected an activation tensor (1..16 bits), \"z\" has 32 bits");
}

TEST(NetLoader, WeightsMustBeConstant) {
  Json j = TinyConv();
  j["tensors"]["w"].erase("data");
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/inputs/1",
                         "tensor \"w\" has no value here: it is not a network input, has no data "
                         "and is not produced by an earlier op"));
}

TEST(NetLoader, GroupsMustDivideChannels) {
  Json j = TinyConv();
  j["ops"][0]["groups"] = 2;
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/groups",
                         "expected a divisor of the input channels (3) and the output channels "
                         "(4), got 2"));
}

TEST(NetLoader, PadsMustBeSmallerThanTheEffectiveKernel) {
  Json j = TinyConv();
  j["ops"][0]["pads"] = {1, 1, 5, 1};
  j["ops"][0]["dilation"] = {2, 1};  // effective kernel height 5
  const std::string path = WriteNet(j);
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/ops/0/pads/2",
                         "expected an integer in 0..4 (less than the effective kernel height 5), "
                         "got 5"));
  EXPECT_EQ(problems.size(), 1u) << testing::ToString(problems);
}

TEST(NetLoader, OutputMustHaveAtLeastOneRow) {
  Json j = TinyConv();
  j["tensors"]["x"]["shape"] = {1, 2, 8, 3};
  j["ops"][0]["pads"] = {0, 1, 0, 1};
  j["tensors"]["y"].erase("shape");
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0",
                         "expected an output height >= 1, got 0 (input 2, pads 0+0, kernel extent "
                         "3, stride 1)"));
}

TEST(NetLoader, AddNeedsEqualShapes) {
  const Json j = Json::parse(R"({
    "version": 1, "name": "bad_add", "inputs": ["a", "b"], "outputs": ["c"],
    "tensors": {"a": {"shape": [1, 4, 4, 8], "scale": 0.1}, "b": {"shape": [1, 4, 4, 4], "scale": 0.1},
                "c": {"scale": 0.1}},
    "ops": [{"name": "add", "op": "add", "inputs": ["a", "b"], "outputs": ["c"]}]
  })");
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/inputs/1",
                         "expected the shape of input a, [1, 4, 4, 8], \"b\" has shape "
                         "[1, 4, 4, 4]"));
}

TEST(NetLoader, ReshapeKeepsTheElementCountAndQuantization) {
  const Json j = Json::parse(R"({
    "version": 1, "name": "bad_reshape", "inputs": ["a"], "outputs": ["b", "m"],
    "tensors": {"a": {"shape": [1, 2, 2, 3], "scale": 0.1},
                "b": {"shape": [1, 13], "scale": 0.1},
                "m": {"scale": 0.2}},
    "ops": [{"name": "r", "op": "reshape", "inputs": ["a"], "outputs": ["b"]},
            {"name": "m", "op": "max_pool", "inputs": ["a"], "outputs": ["m"], "kernel": [2, 2]}]
  })");
  const std::string path = WriteNet(j);
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/b/shape",
                         "expected a shape of 12 elements (the input [1, 2, 2, 3] of reshape "
                         "/ops/0), got [1, 13]"));
  EXPECT_TRUE(HasProblem(problems, path, "/ops/1/outputs/0",
                         "expected the quantization of input \"a\" (signed 8-bit, scale 0.100000001, "
                         "zero_point 0) since max_pool does not rescale, \"m\" has signed 8-bit, "
                         "scale 0.200000003, zero_point 0"));
}

TEST(NetLoader, TensorProducedTwice) {
  Json j = TinyConv();
  j["ops"].push_back(
      {{"name", "again"}, {"op", "max_pool"}, {"inputs", {"x"}}, {"outputs", {"y"}}, {"kernel", {1, 1}}});
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/1/outputs/0",
                         "tensor \"y\" is already produced by /ops/0; every tensor is produced "
                         "once"));
}

TEST(NetLoader, UnknownTensorReference) {
  Json j = TinyConv();
  j["ops"][0]["inputs"][1] = "weights";
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/inputs/1",
                         "expected the name of a tensor in /tensors, got \"weights\""));
}

TEST(NetLoader, ActivationsMayNotBePerChannel) {
  Json j = TinyConv();
  j["tensors"]["y"]["scale"] = {0.1, 0.2, 0.3, 0.4};
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/y/scale",
                         "expected one scale and one zero point: per-channel quantization is only "
                         "allowed on constant weights"));
}

TEST(NetLoader, PerChannelZeroPointLength) {
  Json j = TinyConv();
  j["tensors"]["w"]["zero_point"] = {0, 0};
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/w/zero_point",
                         "expected 4 zero points (one per output channel, shape[0]), got 2"));
}

TEST(NetLoader, ScalesMustBePositive) {
  Json j = TinyConv();
  j["tensors"]["x"]["scale"] = -0.5;
  j["tensors"]["w"]["scale"] = {{"random", {{"seed", 1}, {"min", 0.02}, {"max", 0.01}}}};
  const std::string path = WriteNet(j);
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/x/scale", "expected a finite number > 0, got -0.5"));
  EXPECT_TRUE(
      HasProblem(problems, path, "/tensors/w/scale/random/max", "expected a number >= min (0.02), got 0.01"));
}

TEST(NetLoader, DataValuesOutsideTheType) {
  Json j = TinyConv();
  j["tensors"]["x"]["shape"] = {1, 1, 2, 3};
  j["tensors"]["x"]["data"] = {1, 2, 3, 4, 5, 200};
  j["tensors"]["y"]["shape"] = {1, 1, 2, 4};
  j["tensors"]["b"]["data"] = {1, 2, 3, 3000000000};
  const std::string path = WriteNet(j);
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/x/data/5",
                         "expected an integer in -128..127 (signed 8-bit), got 200"));
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/b/data/3",
                         "expected an integer in -2147483648..2147483647 (signed 32-bit), got "
                         "3000000000"));
}

TEST(NetLoader, ManyBadValuesAreSummarised) {
  Json j = TinyConv();
  j["tensors"]["b"]["bits"] = 32;
  j["tensors"]["x"]["shape"] = {1, 2, 2, 3};
  j["tensors"]["x"]["data"] = Json::array();
  for (int i = 0; i < 12; ++i) j["tensors"]["x"]["data"].push_back(1000);
  j["tensors"]["y"]["shape"] = {1, 2, 2, 4};
  const std::string path = WriteNet(j);
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/x/data/4", "got 1000"));
  EXPECT_TRUE(HasProblem(problems, path, "/tensors/x/data",
                         "and 7 more values that are not an integer in -128..127"));
  EXPECT_EQ(problems.size(), 6u) << testing::ToString(problems);
}

TEST(NetLoader, RandomDataBoundsWithinTheType) {
  Json j = TinyConv();
  j["tensors"]["w"]["data"]["random"]["min"] = -129;
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/w/data/random/min",
                         "expected an integer in -128..127, got -129"));
}

TEST(NetLoader, MissingNpyFileIsNamed) {
  const std::string dir = ScratchDir();
  Json j = TinyConv();
  j["tensors"]["w"]["data"] = "w.npy";
  const std::string path = WriteNet(j, dir);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/w/data", dir + "/w.npy: cannot open file"));
}

TEST(NetLoader, BadNpyFileIsNamed) {
  const std::string dir = ScratchDir();
  WriteFile(dir + "/w.npy", "not numpy at all");
  Json j = TinyConv();
  j["tensors"]["w"]["data"] = "w.npy";
  const std::string path = WriteNet(j, dir);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/w/data", dir + "/w.npy: not a .npy file"));
}

TEST(NetLoader, NpyShapeAndRangeAreChecked) {
  const std::string dir = ScratchDir();
  SaveNpy(dir + "/w.npy", {4, 27}, std::vector<int32_t>(108, 1), 8, true);
  std::vector<int32_t> big(108, 0);
  big[7] = 300;
  SaveNpy(dir + "/b.npy", {4, 3, 3, 3}, big, 16, true);
  Json j = TinyConv();
  j["tensors"]["w"]["data"] = "w.npy";
  const std::string path = WriteNet(j, dir);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/w/data",
                         dir + "/w.npy: expected shape [4, 3, 3, 3] (the tensor's shape), got "
                               "[4, 27]"));
  j["tensors"]["w"]["data"] = "b.npy";
  const std::string path2 = WriteNet(j, dir);
  EXPECT_TRUE(HasProblem(NetProblems(path2), path2, "/tensors/w/data",
                         dir + "/b.npy: expected values in the signed 8-bit range -128..127, got "
                               "1 value outside it, first at index 7: 300"));
}

TEST(NetLoader, NetworkOutputMustBeProduced) {
  Json j = TinyConv();
  j["outputs"] = {"y", "x"};
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/outputs/1",
                         "expected a tensor produced by an op, \"x\" is not produced by any op"));
}

TEST(NetLoader, NetworkInputCannotBeProduced) {
  Json j = TinyConv();
  j["inputs"] = {"x", "y"};
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/0/outputs/0",
                         "tensor \"y\" is a network input and cannot be produced by an op"));
}

TEST(NetLoader, TensorNamesMustBeFileNameSafe) {
  Json j = TinyConv();
  j["tensors"]["a/b"] = j["tensors"]["y"];
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/tensors/a~1b",
                         "expected a tensor name of characters A-Z a-z 0-9 _ . : -"));
}

TEST(NetLoader, LayoutMustBeNhwc) {
  Json j = TinyConv();
  j["layout"] = "NCHW";
  const std::string path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/layout", "expected one of NHWC, got \"NCHW\""));
}

TEST(NetLoader, InputNpyIsCheckedAgainstTheTensor) {
  const std::string dir = ScratchDir();
  TensorInfo x;
  x.name = "x";
  x.shape = {1, 2, 2, 1};
  x.bits = 4;
  x.is_signed = false;
  SaveNpy(dir + "/ok.npy", {1, 2, 2, 1}, {0, 15, 7, 8}, 8, false);
  EXPECT_EQ(LoadInputNpy(dir + "/ok.npy", x), (std::vector<int32_t>{0, 15, 7, 8}));

  SaveNpy(dir + "/shape.npy", {1, 4}, {0, 1, 2, 3}, 8, false);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadInputNpy(dir + "/shape.npy", x); }), dir + "/shape.npy", "",
                         "expected shape [1, 2, 2, 1] (input \"x\"), got [1, 4]"));
  SaveNpy(dir + "/range.npy", {1, 2, 2, 1}, {0, 16, -1, 3}, 8, true);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadInputNpy(dir + "/range.npy", x); }), dir + "/range.npy", "",
                         "expected values in the unsigned 4-bit range 0..15, got 2 values outside "
                         "it, first at index 1: 16 (input \"x\")"));
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadInputNpy(dir + "/absent.npy", x); }), dir + "/absent.npy", "",
                         "cannot open file"));
}

// A float32 .npy of little-endian values (as numpy.save writes one).
std::string FloatNpy(const std::string& path, const std::vector<int64_t>& shape,
                     const std::vector<float>& v) {
  std::string dims;
  for (int64_t d : shape) dims += std::to_string(d) + ", ";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  return WriteFile(path, out);
}

// Real (float32) input values are quantized as ONNX QuantizeLinear does: x / scale in float32,
// ties to even, plus the zero point, saturated.
TEST(NetLoader, FloatInputNpyIsQuantizedAsQuantizeLinear) {
  const std::string dir = ScratchDir();
  TensorInfo x;
  x.name = "x";
  x.shape = {1, 6};
  x.bits = 8;
  x.is_signed = false;
  x.quant.scales = {0.5f};
  x.quant.zero_points = {10};
  // 0.25 / 0.5 = 0.5 -> 0; 0.75 -> 1.5 -> 2; 1.25 -> 2.5 -> 2; -3 -> -6; saturating at 0 and 255.
  const std::string ok = FloatNpy(dir + "/x.npy", {1, 6}, {0.25f, 0.75f, 1.25f, -3.0f, -100.0f, 1000.0f});
  EXPECT_EQ(LoadInputNpy(ok, x), (std::vector<int32_t>{10, 12, 12, 4, 0, 255}));
  const std::string nan = FloatNpy(dir + "/nan.npy", {1, 6}, {0, 0, std::nanf(""), 0, 0, 0});
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadInputNpy(nan, x); }), nan, "",
                         "value at index 2 is not finite (input \"x\")"));
  x.quant.scales = {0.5f, 0.25f};
  EXPECT_TRUE(HasProblem(
      ProblemsOf([&] { LoadInputNpy(ok, x); }), ok, "",
      "float32 values for input \"x\", which is not quantized per tensor (give its integer values)"));
}

// A conv/FC op's "mapping" (forced partition, split, dataflow for reconfigurable units).
TEST(NetLoader, ReadsAPerLayerMapping) {
  Json j = TinyConv();
  j["ops"][0]["mapping"] = {{"arrays", {2, 4}}, {"split", {2, 2, 2}}, {"dataflow", "os"}};
  const Graph g = LoadNetwork(WriteNet(j));
  const MappingForce& m = g.ops[0].mapping;
  EXPECT_EQ(m.pr, 2);
  EXPECT_EQ(m.pc, 4);
  EXPECT_EQ(m.pm * 100 + m.pn * 10 + m.pk, 222);
  EXPECT_EQ(m.dataflow, "os");
  EXPECT_FALSE(LoadNetwork(WriteNet(TinyConv())).ops[0].mapping.any());
}

TEST(NetLoader, BadMappingNamesTheFileAndPointer) {
  Json j = TinyConv();
  j["ops"][0]["mapping"] = {{"arrays", {2, 0}}, {"split", {1, 1}}, {"dataflow", "rs"}, {"partition", 1}};
  const std::string path = WriteNet(j);
  const std::vector<Problem> problems = NetProblems(path);
  EXPECT_TRUE(
      HasProblem(problems, path, "/ops/0/mapping/arrays/1", "expected an integer in 1..1048576, got 0"));
  EXPECT_TRUE(HasProblem(problems, path, "/ops/0/mapping/split",
                         "expected a list of 3 positive integers, got [1,1]"));
  EXPECT_TRUE(HasProblem(problems, path, "/ops/0/mapping/dataflow", "expected one of ws|os|is, got \"rs\""));
  EXPECT_TRUE(HasProblem(problems, path, "/ops/0/mapping/partition", "unknown key \"partition\""));
  j["ops"][0]["mapping"] = {{"arrays", {2, 2}}, {"split", {1, 1, 2}}};
  const std::string p2 = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(p2), p2, "/ops/0/mapping/split", "expected pm * pn * pk = pr * pc = 4"));
  j["ops"][0]["mapping"] = "2x2";
  const std::string p3 = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(p3), p3, "/ops/0/mapping", "expected an object"));
}

// lookup: a constant table of 2^bits(x) entries quantized as the output, x of at most 8 bits;
// mul: b of a's shape or [1, 1, 1, C].
TEST(NetLoader, LookupAndMulShapesAndTablesAreChecked) {
  Json j = TinyConv();
  j["tensors"]["t"] = {{"shape", {200}}, {"bits", 8},        {"signed", true},
                       {"scale", 0.2},   {"zero_point", -5}, {"data", {{"random", {{"seed", 1}}}}}};
  j["tensors"]["z"] = {
      {"shape", {1, 8, 8, 4}}, {"bits", 8}, {"signed", true}, {"scale", 0.1}, {"zero_point", -5}};
  j["tensors"]["f"] = {
      {"shape", {1, 1, 8, 4}}, {"bits", 8}, {"signed", true}, {"scale", 0.1}, {"zero_point", 0}};
  j["inputs"].push_back("f");
  j["tensors"]["m"] = {
      {"shape", {1, 8, 8, 4}}, {"bits", 8}, {"signed", true}, {"scale", 0.1}, {"zero_point", 0}};
  j["ops"].push_back({{"name", "act"}, {"op", "lookup"}, {"inputs", {"y", "t"}}, {"outputs", {"z"}}});
  j["ops"].push_back({{"name", "scale"}, {"op", "mul"}, {"inputs", {"y", "f"}}, {"outputs", {"m"}}});
  j["outputs"] = {"z", "m"};
  const std::string path = WriteNet(j);
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(problems, path, "/ops/1/inputs/1",
                         "expected a table of shape [256] (one entry per value of the 8-bit input \"y\"), "
                         "\"t\" has shape [200]"));
  EXPECT_TRUE(HasProblem(problems, path, "/ops/2/inputs/1",
                         "expected the shape of input a, [1, 8, 8, 4], or [1, 1, 1, 4] (one factor per "
                         "channel), \"f\" has shape [1, 1, 8, 4]"));
  j["tensors"]["t"]["shape"] = {256};
  j["tensors"]["t"]["scale"] = 0.3;
  j["tensors"]["f"]["shape"] = {1, 1, 1, 4};
  const std::string path2 = WriteNet(j);
  problems = NetProblems(path2);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(
      HasProblem(problems, path2, "/ops/1/inputs/1", "expected a table quantized as the output \"z\""));
  j["tensors"]["t"]["scale"] = 0.1;
  j["tensors"]["t"]["data"] = {{"random", {{"seed", 1}}}};
  EXPECT_NO_THROW(LoadNetwork(WriteNet(j)));
  j["tensors"]["t"].erase("data");
  j["inputs"].push_back("t");
  const std::string path3 = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path3), path3, "/ops/1/inputs/1",
                         "expected a constant lookup table (with data, not a network input), \"t\" is not"));
}

// concat: inputs of one rank, equal but for `axis`, all quantized as the output.
TEST(NetLoader, ConcatShapesAxisAndQuantizationAreChecked) {
  Json j = TinyConv();
  j["tensors"]["z"] = {{"shape", {1, 8, 5, 4}}, {"bits", 8},        {"signed", true},
                       {"scale", 0.2},          {"zero_point", -5}, {"data", {{"random", {{"seed", 1}}}}}};
  j["tensors"]["c"] = {{"bits", 8}, {"signed", true}, {"scale", 0.1}, {"zero_point", -5}};
  j["ops"].push_back(
      {{"name", "cat"}, {"op", "concat"}, {"inputs", {"y", "z"}}, {"outputs", {"c"}}, {"axis", 3}});
  j["inputs"].push_back("z");
  j["outputs"] = {"c"};
  std::string path = WriteNet(j);
  auto problems = NetProblems(path);
  EXPECT_TRUE(HasProblem(
      problems, path, "/ops/1/inputs/1",
      "expected the shape of input 0, [1, 8, 8, 4], but for dimension 3, \"z\" has shape [1, 8, 5, 4]"));
  j["ops"][1]["axis"] = 2;
  path = WriteNet(j);
  problems = NetProblems(path);
  ASSERT_EQ(problems.size(), 1u) << testing::ToString(problems);
  EXPECT_TRUE(HasProblem(
      problems, path, "/ops/1/inputs/1",
      "expected the quantization of the output \"c\" (signed 8-bit, scale 0.100000001, zero_point -5) "
      "since concat does not rescale, \"z\" has signed 8-bit, scale 0.200000003, zero_point -5"));
  j["ops"][1]["axis"] = 4;
  path = WriteNet(j);
  EXPECT_TRUE(HasProblem(NetProblems(path), path, "/ops/1/axis",
                         "expected an axis in 0..3 (inputs of rank 4), got 4"));
  j["ops"][1]["axis"] = 2;
  j["tensors"]["z"]["scale"] = 0.1;
  const Graph g = LoadNetwork(WriteNet(j));
  EXPECT_EQ(g.tensor("c").shape, (std::vector<int64_t>{1, 8, 13, 4}));
}

// A valid network whose conv output has 23169 x 23169 x 4 = 2,147,210,244 elements (a 1 x 1
// input, a dilated 3 x 3 kernel and large pads) ran for minutes before: the element budget refuses
// it at load time, at the op that produces it (or at its given shape).
Json HugeOutputConv() {
  Json j = TinyConv();
  j["tensors"]["x"]["shape"] = {1, 1, 1, 3};
  j["tensors"]["y"].erase("shape");
  j["ops"][0]["dilation"] = {11584, 11584};
  j["ops"][0]["pads"] = {23168, 23168, 23168, 23168};
  return j;
}

TEST(NetLoader, ATensorOverTheElementBudgetIsRefusedAtLoad) {
  Json j = HugeOutputConv();
  ExpectOneProblem(j, "/ops/0",
                   "tensor \"y\" has 2147210244 elements; the limit is 268435456, raise it with "
                   "NPUSIM_MAX_TENSOR_ELEMENTS=ELEMENTS");
  j["tensors"]["y"]["shape"] = {1, 23169, 23169, 4};
  ExpectOneProblem(j, "/tensors/y/shape", "tensor \"y\" has 2147210244 elements; the limit is 268435456");
  // Raised, the per-tensor budget lets it through to the total one.
  setenv("NPUSIM_MAX_TENSOR_ELEMENTS", "2147483647", 1);
  ExpectOneProblem(j, "/tensors",
                   "the tensors have 2147210359 elements together; the limit is 1073741824, raise it with "
                   "NPUSIM_MAX_NETWORK_ELEMENTS=ELEMENTS");
  unsetenv("NPUSIM_MAX_TENSOR_ELEMENTS");
  // Both budgets at the tiny network's own figures (y: 256 elements; all: 192 + 108 + 4 + 256).
  const std::string tiny = WriteNet(TinyConv());
  setenv("NPUSIM_MAX_TENSOR_ELEMENTS", "256", 1);
  setenv("NPUSIM_MAX_NETWORK_ELEMENTS", "560", 1);
  EXPECT_EQ(LoadNetwork(tiny).tensor("y").elements(), 256);
  setenv("NPUSIM_MAX_TENSOR_ELEMENTS", "255", 1);
  setenv("NPUSIM_MAX_NETWORK_ELEMENTS", "559", 1);
  const auto problems = NetProblems(tiny);
  EXPECT_TRUE(
      HasProblem(problems, tiny, "/tensors/y/shape", "tensor \"y\" has 256 elements; the limit is 255"));
  EXPECT_EQ(problems.size(), 1u) << testing::ToString(problems);
  setenv("NPUSIM_MAX_TENSOR_ELEMENTS", "256", 1);
  ExpectOneProblem(TinyConv(), "/tensors", "the tensors have 560 elements together; the limit is 559");
  unsetenv("NPUSIM_MAX_TENSOR_ELEMENTS");
  unsetenv("NPUSIM_MAX_NETWORK_ELEMENTS");
}

// Names are echoed on the terminal and into report.json: at most 256 bytes (the ONNX importer's
// are far shorter), and no JSON string above 1 MiB gets that far.
TEST(NetLoader, OverLongNamesAreRefused) {
  Json j = TinyConv();
  j["ops"][0]["name"] = std::string(300, 'L');
  ExpectOneProblem(
      j, "/ops/0/name",
      "expected op names of at most 256 bytes, got one of 300 bytes (\"" + std::string(32, 'L') + "...\")");
  j = TinyConv();
  j["ops"][0]["name"] = std::string(256, 'L');
  EXPECT_EQ(LoadNetwork(WriteNet(j)).ops[0].name.size(), 256u);
  j = TinyConv();
  j["tensors"][std::string(257, 't')] = j["tensors"]["b"];
  j["ops"][0]["inputs"][2] = std::string(257, 't');
  j["tensors"].erase("b");
  ExpectOneProblem(j, "/tensors", "expected tensor names of at most 256 bytes, got one of 257 bytes");
  j = TinyConv();
  j["name"] = std::string(300, 'n');
  ExpectOneProblem(j, "/name", "expected network names of at most 256 bytes, got one of 300 bytes");
  j["name"] = std::string((size_t{1} << 20) + 1, 'n');
  ExpectOneProblem(j, "/name",
                   "expected a string of at most 1048576 bytes (the limit for JSON input), got 1048577");
}

}  // namespace
}  // namespace npusim::core

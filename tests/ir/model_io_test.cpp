// The host side of a model's inputs and outputs (ir/model_io.h): layout reordering, reading an
// input file in the model's terms, DequantizeLinear of outputs, output file names, and the network
// file's "model_io" block (write, read back, every problem named with file and JSON pointer).
#include "ir/model_io.h"

#include <gtest/gtest.h>

#include <cstring>

#include "ir/net_loader.h"
#include "ir/net_writer.h"
#include "support/json_util.h"
#include "support/npy.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;
using testing::ScratchDir;
using testing::WriteFile;

// An ONNX input x: uint8 [1, 2, 3, 4] (NCHW); the IR holds it as [1, 3, 4, 2].
ModelTensor NchwInput(const std::string& dtype = "uint8") {
  return {"x:0", "x_0", {1, 2, 3, 4}, {0, 2, 3, 1}, dtype};
}

TensorInfo IrTensor(const ModelTensor& m) {
  TensorInfo t;
  t.name = m.tensor;
  t.shape = IrShape(m);
  t.bits = 8;
  t.is_signed = false;
  t.quant.scales = {0.25f};
  t.quant.zero_points = {120};
  return t;
}

std::vector<int32_t> Iota(int n) {
  std::vector<int32_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(ModelIo, NchwToNhwcAndBack) {
  const ModelTensor m = NchwInput();
  EXPECT_EQ(IrShape(m), (std::vector<int64_t>{1, 3, 4, 2}));
  // NCHW value v at (c, h, w) = c * 12 + h * 4 + w; NHWC order walks c fastest.
  const std::vector<int32_t> ir = ToIrOrder(m, Iota(24));
  EXPECT_EQ(std::vector<int32_t>(ir.begin(), ir.begin() + 6), (std::vector<int32_t>{0, 12, 1, 13, 2, 14}));
  EXPECT_EQ(ir[23], 23);
  EXPECT_EQ(ToModelOrder(m, ir), Iota(24));
  EXPECT_EQ(NchwToNhwcPerm(2), (std::vector<int>{0, 1}));
}

TEST(ModelIo, ReadsAnInputInTheModelsLayout) {
  const std::string dir = ScratchDir();
  const ModelTensor m = NchwInput();
  SaveNpy(dir + "/x.npy", {1, 2, 3, 4}, Iota(24), 8, false);
  const std::vector<int32_t> ir = LoadModelInput(dir + "/x.npy", m, IrTensor(m));
  EXPECT_EQ(std::vector<int32_t>(ir.begin(), ir.begin() + 4), (std::vector<int32_t>{0, 12, 1, 13}));
}

// The IR's own NHWC order is what a user would wrongly give: the message names both shapes.
TEST(ModelIo, RefusesTheIrLayoutNamingBothShapes) {
  const std::string dir = ScratchDir();
  const ModelTensor m = NchwInput();
  const std::string nhwc = dir + "/nhwc.npy";
  SaveNpy(nhwc, {1, 3, 4, 2}, Iota(24), 8, false);
  EXPECT_TRUE(HasProblem(
      ProblemsOf([&] { LoadModelInput(nhwc, m, IrTensor(m)); }), nhwc, "",
      "expected shape [1, 2, 3, 4] (input \"x:0\" as the model declares it, NCHW), got [1, 3, 4, 2], "
      "which is npusim's internal NHWC order of it: give the model's own layout"));
  const std::string other = dir + "/other.npy";
  SaveNpy(other, {24}, Iota(24), 8, false);
  EXPECT_TRUE(
      HasProblem(ProblemsOf([&] { LoadModelInput(other, m, IrTensor(m)); }), other, "",
                 "expected shape [1, 2, 3, 4] (input \"x:0\" as the model declares it, NCHW; npusim holds it "
                 "as [1, 3, 4, 2], NHWC), got [24]"));
}

// A float32 input takes float32 values only (quantized as QuantizeLinear: x / scale in float32,
// ties to even, plus the zero point, saturated); an integer input takes integers only.
TEST(ModelIo, InputElementTypeIsTheModels) {
  const std::string dir = ScratchDir();
  const ModelTensor real = {"x", "xq", {1, 6}, {0, 1}, "float32"};
  const TensorInfo t = IrTensor(real);
  const std::string f = WriteFile(
      dir + "/f.npy",
      EncodeNpyFloat32(dir + "/f.npy", {1, 6}, {0.125f, 0.375f, -0.125f, -29.625f, 1000.0f, -40.0f}));
  // /0.25: 0.5 -> 0, 1.5 -> 2, -0.5 -> 0, -118.5 -> -118; 4000 and -160 saturate.
  EXPECT_EQ(LoadModelInput(f, real, t), (std::vector<int32_t>{120, 122, 120, 2, 255, 0}));
  const std::string q = dir + "/q.npy";
  SaveNpy(q, {1, 6}, {1, 2, 3, 4, 5, 6}, 8, false);
  EXPECT_TRUE(
      HasProblem(ProblemsOf([&] { LoadModelInput(q, real, t); }), q, "",
                 "expected float32 values (input \"x\" is float32 in the model, which the host quantizes as "
                 "QuantizeLinear does), got uint8"));
  const ModelTensor quantized = {"x", "xq", {1, 6}, {0, 1}, "uint8"};
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadModelInput(f, quantized, t); }), f, "",
                         "expected integer values (input \"x\" is uint8 in the model), got float32"));
}

// ONNX Runtime's DequantizeLinear: float32(q - zero_point) * scale, one rounding (values from
// numpy: np.float32(q - zp) * np.float32(scale)).
TEST(ModelIo, DequantizesAsDequantizeLinear) {
  const std::vector<float> r = Dequantize({1, 100, 255}, 0.1f, 100);
  EXPECT_EQ(r, (std::vector<float>{-9.90000057220459f, 0.0f, 15.5f}));
  // q * scale - zero_point * scale rounds thrice and gives -9.899999618530273 for q = 1.
  EXPECT_NE(r[0], -9.899999618530273f);
}

TEST(ModelIo, OutputIsWrittenInTheModelsLayoutAndType) {
  const std::string dir = ScratchDir();
  ModelTensor m = NchwInput("float32");
  const TensorInfo t = IrTensor(m);
  const std::string path = dir + "/y.npy";
  WriteFile(path, EncodeModelOutput(path, m, t, ToIrOrder(m, Iota(24))));
  const NpyArray real = LoadNpy(path);
  EXPECT_EQ(real.dtype, "float32");
  EXPECT_EQ(real.shape, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(real.floats[0], -30.0f);  // (0 - 120) * 0.25
  EXPECT_EQ(real.floats[13], -26.75f);
  m.dtype = "uint8";
  WriteFile(path, EncodeModelOutput(path, m, t, ToIrOrder(m, Iota(24))));
  const NpyArray q = LoadNpy(path);
  EXPECT_EQ(q.dtype, "uint8");
  EXPECT_EQ(q.values, Iota(24));
}

TEST(ModelIo, OutputFileNamesAreSafeAndDistinct) {
  std::vector<ModelTensor> outs;
  for (const std::string& n : {std::string("logits/out"), std::string("y"), std::string("y"),
                               std::string("Y"), std::string("../etc"), std::string("-rf"), std::string(),
                               std::string("caf\xc3\xa9:0"), std::string("a b"), std::string(300, 'n')}) {
    ModelTensor m;
    m.name = n;
    outs.push_back(m);
  }
  const std::vector<std::string> files = ModelOutputFiles(outs);
  const std::vector<std::string> want = {
      "logits_out.npy", "y.npy", "y_2.npy", "Y_3.npy", "_._etc.npy", "_rf.npy", "output.npy", "caf__0.npy",
      "a_b.npy",
      // Above 200 bytes: 100 bytes, "-", FNV-1a 64 of the whole stem (computed apart, in Python).
      std::string(100, 'n') + "-a4cf91b7088f4495.npy"};
  EXPECT_EQ(files, want);
}

// ---- the network file's "model_io" block ----

const char* kNet = R"({
  "version": 1, "name": "n", "inputs": ["x_0"], "outputs": ["y"],
  "model_io": {
    "inputs": [{"name": "x:0", "tensor": "x_0", "shape": [1, 2, 3, 4], "perm": [0, 2, 3, 1], "dtype": "float32"}],
    "outputs": [{"name": "y_real", "tensor": "y", "shape": [1, 2, 3, 4], "perm": [0, 2, 3, 1], "dtype": "float32"},
                {"name": "y", "tensor": "y", "shape": [1, 2, 3, 4], "perm": [0, 2, 3, 1], "dtype": "uint8"}]
  },
  "tensors": {
    "x_0": {"shape": [1, 3, 4, 2], "bits": 8, "signed": false, "scale": 0.25, "zero_point": 120},
    "y": {"bits": 8, "signed": false, "scale": 0.25, "zero_point": 120}
  },
  "ops": [{"name": "pool", "op": "max_pool", "inputs": ["x_0"], "outputs": ["y"], "kernel": [1, 1],
           "stride": [1, 1], "pads": [0, 0, 0, 0]}]
})";

// Network `j` written to a scratch file (`name`), and the problems loading it gives.
std::pair<std::string, std::vector<Problem>> Problems(const Json& j, const std::string& name = "net.json") {
  const std::string path = WriteFile(ScratchDir() + "/" + name, j.dump());
  return {path, ProblemsOf([&] { LoadNetwork(path); })};
}

TEST(ModelIoBlock, LoadsAndWritesBack) {
  const std::string dir = ScratchDir();
  const Graph g = LoadNetwork(WriteFile(dir + "/net.json", kNet));
  ASSERT_TRUE(g.model_io.has_value());
  ASSERT_EQ(g.model_io->outputs.size(), 2u);
  const ModelTensor& x = g.model_io->inputs[0];
  EXPECT_EQ(x.name, "x:0");
  EXPECT_EQ(x.tensor, "x_0");
  EXPECT_EQ(x.shape, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(x.perm, (std::vector<int>{0, 2, 3, 1}));
  EXPECT_TRUE(x.real());
  EXPECT_EQ(g.model_io->outputs[1].dtype, "uint8");
  SaveNetwork(g, dir + "/again.json", dir);
  const Json again = ReadJsonFile(dir + "/again.json");
  EXPECT_EQ(again["model_io"], Json::parse(kNet)["model_io"]);
}

TEST(ModelIoBlock, AbsentMeansTheIrsOwnTerms) {
  Json j = Json::parse(kNet);
  j.erase("model_io");
  const std::string dir = ScratchDir();
  EXPECT_FALSE(LoadNetwork(WriteFile(dir + "/net.json", j.dump())).model_io.has_value());
}

// Each mistake is named with the file and JSON pointer, all at once.
TEST(ModelIoBlock, EveryProblemIsNamed) {
  Json j = Json::parse(kNet);
  Json& in = j["model_io"]["inputs"][0];
  in["shape"] = {1, 3, 4, 2};  // the IR's shape under an NCHW perm
  in["layout"] = "NCHW";
  Json& out = j["model_io"]["outputs"];
  out[0]["perm"] = {0, 2, 2, 1};
  out[1]["dtype"] = "int8";
  out.push_back({{"name", "z"},
                 {"tensor", "x_0"},
                 {"shape", {1, 3, 4, 2}},
                 {"perm", {0, 1, 2, 3}},
                 {"dtype", "uint8"}});
  const auto [path, p] = Problems(j);
  EXPECT_TRUE(
      HasProblem(p, path, "/model_io/inputs/0/shape",
                 "expected [1, 2, 3, 4] (tensor \"x_0\" of shape [1, 3, 4, 2] under perm [0, 2, 3, 1]: IR "
                 "dimension i is model dimension perm[i]), got [1, 3, 4, 2]"))
      << testing::ToString(p);
  EXPECT_TRUE(HasProblem(p, path, "/model_io/inputs/0/layout", "unknown key \"layout\""));
  EXPECT_TRUE(
      HasProblem(p, path, "/model_io/outputs/0/perm", "expected a permutation of 0..3, got [0, 2, 2, 1]"));
  EXPECT_TRUE(HasProblem(p, path, "/model_io/outputs/1/dtype",
                         "expected \"uint8\" (tensor \"y\"'s type) or \"float32\", got \"int8\""));
  EXPECT_TRUE(
      HasProblem(p, path, "/model_io/outputs/2/tensor", "expected a network output (\"y\"), got \"x_0\""));
}

TEST(ModelIoBlock, EveryNetworkInputOnceAndOutputAtLeastOnce) {
  Json j = Json::parse(kNet);
  j["model_io"]["inputs"].push_back(j["model_io"]["inputs"][0]);
  j["model_io"]["outputs"] = Json::array({j["model_io"]["outputs"][0]});
  j["model_io"]["outputs"][0]["tensor"] = "x_0";
  const auto [path, p] = Problems(j);
  EXPECT_TRUE(HasProblem(p, path, "/model_io/inputs/1/name", "duplicate input name \"x:0\""))
      << testing::ToString(p);
  EXPECT_TRUE(
      HasProblem(p, path, "/model_io/inputs/1/tensor", "network input \"x_0\" listed twice (expected once)"));
  // The output entry's own problem says enough: no second message that "y" is missing.
  EXPECT_TRUE(HasProblem(p, path, "/model_io/outputs/0/tensor", "expected a network output"));
  EXPECT_FALSE(HasProblem(p, path, "/model_io/outputs", "is not listed"));

  Json k = Json::parse(kNet);
  k["model_io"]["outputs"].erase(0);
  k["model_io"]["outputs"].erase(0);
  k["model_io"]["outputs"].push_back(Json::parse(kNet)["model_io"]["outputs"][0]);
  k["model_io"].erase("inputs");
  const auto [path2, p2] = Problems(k, "net2.json");
  EXPECT_TRUE(HasProblem(p2, path2, "/model_io/inputs", "missing required key \"inputs\""));
}

// A tensor's own dtype is that of its .npy files: int16 for a signed 16-bit one.
TEST(ModelIoBlock, SixteenBitTensorsAreInt16) {
  Json j = Json::parse(kNet);
  for (const char* t : {"x_0", "y"}) {
    j["tensors"][t]["bits"] = 16;
    j["tensors"][t]["signed"] = true;
  }
  j["model_io"]["outputs"][1]["dtype"] = "int16";
  const Graph g = LoadNetwork(WriteFile(ScratchDir() + "/net.json", j.dump()));
  EXPECT_EQ(g.model_io->outputs[1].dtype, "int16");
  j["model_io"]["outputs"][1]["dtype"] = "int8";
  const auto [path, p] = Problems(j);
  EXPECT_TRUE(HasProblem(p, path, "/model_io/outputs/1/dtype",
                         "expected \"int16\" (tensor \"y\"'s type) or \"float32\", got \"int8\""));
}

// float32 needs a per-tensor scale and zero point to (de)quantize with; a 32-bit accumulator has none.
TEST(ModelIoBlock, Float32NeedsAPerTensorQuantizedTensor) {
  Json j = Json::parse(kNet);
  j["tensors"]["y"] = {{"bits", 32}, {"signed", true}};
  j["ops"][0] = {{"name", "fc"}, {"op", "fully_connected"}, {"inputs", {"x_0", "w"}}, {"outputs", {"y"}}};
  j["tensors"]["x_0"]["shape"] = {1, 24};
  j["tensors"]["w"] = {{"shape", {5, 24}}, {"bits", 8},       {"signed", true},
                       {"scale", 0.5},     {"zero_point", 0}, {"data", {{"random", {{"seed", 1}}}}}};
  j["model_io"]["inputs"][0]["shape"] = {1, 24};
  j["model_io"]["inputs"][0]["perm"] = {0, 1};
  j["model_io"]["outputs"] = Json::array(
      {{{"name", "y"}, {"tensor", "y"}, {"shape", {1, 5}}, {"perm", {0, 1}}, {"dtype", "float32"}}});
  const auto [path, p] = Problems(j);
  EXPECT_TRUE(
      HasProblem(p, path, "/model_io/outputs/0/dtype",
                 "expected \"int32\" (tensor \"y\" has no per-tensor scale and zero point to quantize or "
                 "dequantize float32 values with), got \"float32\""))
      << testing::ToString(p);
}

}  // namespace
}  // namespace npusim::core

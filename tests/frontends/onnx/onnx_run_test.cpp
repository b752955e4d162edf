// `npusim run` on an ONNX model takes and gives data as ONNX Runtime does (docs/onnx.md, "Inputs
// and outputs"): inputs in the model's NCHW layout and type (float32 quantized on the host as
// QuantizeLinear does), every listed output as outputs/<ONNX name>.npy in NCHW and the model's type
// (float32 dequantized as DequantizeLinear does), duplicates included; the same for a network file
// made by `npusim import`, byte for byte; inputs by name or by position.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/npy.h"
#include "tests/common/npusim_process.h"
#include "tests/frontends/onnx/onnx_builder.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::importer::testing {
namespace {

using core::testing::ScratchDir;
using core::testing::WriteFile;
using npusim::testing::ProcessOutcome;
using npusim::testing::ReadFileText;
using npusim::testing::RunNpusim;

constexpr int64_t kC = 2, kH = 3, kW = 4, kO = 3;

// QDQ model: "image:0" float32 [1, 2, 3, 4] -> QuantizeLinear (scale 0.25, zero point 120) -> 1x1
// Conv with weights {{1, 0}, {0, 1}, {1, -1}} (scale 0.25) -> QuantizeLinear (scale 0.0625, zero
// point 100) -> "conv/out" uint8 [1, 3, 3, 4]. The multiplier 0.25 * 0.25 / 0.0625 is 1, so
// y = saturate(acc + 100). Graph outputs: "conv/out", its DequantizeLinear "conv/out_real", and
// "conv/out" again.
std::string BuildEdgesModel(const std::string& path) {
  OnnxBuilder b;
  b.Input("image:0", kF32, {1, kC, kH, kW});
  b.Quant("x", 0.25f, kU8, 120);
  b.Node("QuantizeLinear", {"image:0", "x_scale", "x_zp"}, {"xq"}, "q_x");
  b.Node("DequantizeLinear", {"xq", "x_scale", "x_zp"}, {"xf"}, "dq_x");
  b.Ints("w", kI8, {kO, kC, 1, 1}, {1, 0, 0, 1, 1, -1});
  b.Quant("w", 0.25f, kI8, 0);
  b.Node("DequantizeLinear", {"w", "w_scale", "w_zp"}, {"wf"}, "dq_w");
  b.Node("Conv", {"xf", "wf"}, {"yf"}, "conv");
  b.Quant("y", 0.0625f, kU8, 100);
  b.Node("QuantizeLinear", {"yf", "y_scale", "y_zp"}, {"conv/out"}, "q_y");
  b.Node("DequantizeLinear", {"conv/out", "y_scale", "y_zp"}, {"conv/out_real"}, "dq_y");
  b.Output("conv/out", kU8);
  b.Output("conv/out_real", kF32);
  b.Output("conv/out", kU8);
  return b.Save(path);
}

// NCHW input values: channel 0 at exact ties of x / 0.25 (half to even), channel 1 at ties,
// inside the range and beyond both ends (saturating).
const std::vector<float> kImage = {-0.75f, -0.625f, -0.5f,   -0.375f,  -0.25f, -0.125f, 0.0f,     0.125f,
                                   0.25f,  0.375f,  0.5f,    0.625f,   40.0f,  -40.0f,  31.5f,    33.625f,
                                   0.3f,   -0.3f,   1000.0f, -1000.0f, 10.0f,  20.0f,   -29.625f, 0.375f};
// QuantizeLinear of kImage, by hand: x / 0.25 rounded half to even, plus 120, saturated to 0..255.
const std::vector<int32_t> kImageQ = {117, 118, 118, 118, 119, 120, 120, 120, 121, 122, 122, 122,
                                      255, 0,   246, 254, 121, 119, 255, 0,   160, 200, 2,   122};

// The conv output in NCHW, from kImageQ in NCHW (index h * 4 + w of each channel).
std::vector<int32_t> ExpectedConv() {
  std::vector<int32_t> y;
  const int weights[kO][kC] = {{1, 0}, {0, 1}, {1, -1}};
  for (int o = 0; o < kO; ++o) {
    for (int i = 0; i < kH * kW; ++i) {
      const int acc = weights[o][0] * (kImageQ[i] - 120) + weights[o][1] * (kImageQ[kH * kW + i] - 120);
      y.push_back(std::clamp(acc + 100, 0, 255));
    }
  }
  return y;
}

std::string Arch() { return std::string(NPUSIM_SOURCE_DIR) + "/arch/dense_16x16.json"; }

ProcessOutcome RunModel(const std::string& dir, const std::string& net,
                        const std::vector<std::string>& inputs, const std::string& out) {
  std::vector<std::string> args = {"run", "--arch", Arch(), "--net", net, "--out", out};
  for (const std::string& i : inputs) args.insert(args.end(), {"--input", i});
  return RunNpusim(args, dir + "/err.txt");
}

std::string SaveImage(const std::string& dir) {
  const std::string path = dir + "/image.npy";
  return WriteFile(path, core::EncodeNpyFloat32(path, {1, kC, kH, kW}, kImage));
}

TEST(OnnxRun, TakesTheModelsLayoutAndWritesEveryOutputUnderItsName) {
  const std::string dir = ScratchDir();
  const std::string model = BuildEdgesModel(dir + "/edges.onnx");
  const ProcessOutcome run = RunModel(dir, model, {SaveImage(dir)}, dir + "/out");
  ASSERT_EQ(run.exit_code, 0) << run;
  const core::NpyArray q = core::LoadNpy(dir + "/out/outputs/conv_out.npy");
  EXPECT_EQ(q.dtype, "uint8");
  EXPECT_EQ(q.shape, (std::vector<int64_t>{1, kO, kH, kW}));
  EXPECT_EQ(q.values, ExpectedConv());
  // The dequantized copy: float32(q - 100) * 0.0625, NCHW.
  const core::NpyArray real = core::LoadNpy(dir + "/out/outputs/conv_out_real.npy");
  EXPECT_EQ(real.dtype, "float32");
  EXPECT_EQ(real.shape, (std::vector<int64_t>{1, kO, kH, kW}));
  ASSERT_EQ(real.floats.size(), q.values.size());
  for (size_t i = 0; i < real.floats.size(); ++i) {
    EXPECT_EQ(real.floats[i], static_cast<float>(q.values[i] - 100) * 0.0625f) << i;
  }
  // The same tensor listed twice: a second file, same bytes.
  EXPECT_EQ(ReadFileText(dir + "/out/outputs/conv_out_2.npy"),
            ReadFileText(dir + "/out/outputs/conv_out.npy"));
  // report.json says which file holds which output.
  const auto report = nlohmann::json::parse(ReadFileText(dir + "/out/report.json"));
  ASSERT_EQ(report["outputs"].size(), 3u);
  EXPECT_EQ(report["outputs"][1]["name"], "conv/out_real");
  EXPECT_EQ(report["outputs"][1]["file"], "outputs/conv_out_real.npy");
  EXPECT_EQ(report["outputs"][1]["dtype"], "float32");
  EXPECT_EQ(report["outputs"][2]["file"], "outputs/conv_out_2.npy");
}

TEST(OnnxRun, RefusesTheIrLayoutAndAnotherElementType) {
  const std::string dir = ScratchDir();
  const std::string model = BuildEdgesModel(dir + "/edges.onnx");
  const std::string nhwc = dir + "/nhwc.npy";
  WriteFile(nhwc, core::EncodeNpyFloat32(nhwc, {1, kH, kW, kC}, kImage));
  const ProcessOutcome run = RunModel(dir, model, {"image:0=" + nhwc}, dir + "/out");
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_NE(
      run.err.find(nhwc +
                   ": expected shape [1, 2, 3, 4] (input \"image:0\" as the model declares it, NCHW), got "
                   "[1, 3, 4, 2], which is npusim's internal NHWC order of it"),
      std::string::npos)
      << run;
  const std::string ints = dir + "/ints.npy";
  core::SaveNpy(ints, {1, kC, kH, kW}, kImageQ, 8, false);
  const ProcessOutcome typed = RunModel(dir, model, {ints}, dir + "/out");
  EXPECT_EQ(typed.exit_code, 2) << typed;
  EXPECT_NE(typed.err.find("expected float32 values (input \"image:0\" is float32 in the model"),
            std::string::npos)
      << typed;
  EXPECT_FALSE(std::filesystem::exists(dir + "/out/report.json"));
}

// `npusim import` keeps the ONNX names, layouts and types: its network file takes the same input
// file and writes the same files, byte for byte.
TEST(OnnxRun, ImportedNetworkRunsExactlyAsTheModel) {
  const std::string dir = ScratchDir();
  const std::string model = BuildEdgesModel(dir + "/edges.onnx");
  const std::string image = SaveImage(dir);
  ASSERT_EQ(RunNpusim({"import", model, "-o", dir + "/net.json"}, dir + "/err.txt").exit_code, 0);
  ASSERT_EQ(RunModel(dir, model, {"image:0=" + image}, dir + "/a").exit_code, 0);
  const ProcessOutcome b = RunModel(dir, dir + "/net.json", {"image:0=" + image}, dir + "/b");
  ASSERT_EQ(b.exit_code, 0) << b;
  for (const char* f : {"conv_out.npy", "conv_out_real.npy", "conv_out_2.npy"}) {
    SCOPED_TRACE(f);
    const std::string a_bytes = ReadFileText(dir + "/a/outputs/" + f);
    EXPECT_FALSE(a_bytes.empty());
    EXPECT_EQ(a_bytes, ReadFileText(dir + "/b/outputs/" + f));
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir + "/b/outputs"), {}), 3);
}

// Every command that takes --net takes the model as `run` does (frontends/load.h): `serve` answers
// with the figures of `run --mode timing` on it, and `prune` writes the pruned network as JSON.
TEST(OnnxRun, ServeAndPruneTakeTheModelAsRunDoes) {
  const std::string dir = ScratchDir();
  const std::string model = BuildEdgesModel(dir + "/edges.onnx");
  const ProcessOutcome run = RunNpusim({"run", "--arch", Arch(), "--net", model, "--input", SaveImage(dir),
                                        "--mode", "timing", "--out", dir + "/run"},
                                       dir + "/err.txt");
  ASSERT_EQ(run.exit_code, 0) << run;
  const nlohmann::json report = nlohmann::json::parse(ReadFileText(dir + "/run/report.json"));
  WriteFile(dir + "/requests.txt", "{\"id\": 7}\n");
  const std::string cmd = npusim::testing::ShellQuoted(NPUSIM_BINARY) + " serve --arch " +
                          npusim::testing::ShellQuoted(Arch()) + " --net " +
                          npusim::testing::ShellQuoted(model) + " <" + dir + "/requests.txt >" + dir +
                          "/answers.txt 2>" + dir + "/serve_err.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFileText(dir + "/serve_err.txt");
  const nlohmann::json answer = nlohmann::json::parse(ReadFileText(dir + "/answers.txt"));
  EXPECT_EQ(answer["id"], 7);
  EXPECT_EQ(answer["cycles"], report["cycles"]) << answer.dump();
  EXPECT_EQ(answer["energy_pj"], report["energy_pj"]);
  const ProcessOutcome prune = RunNpusim({"prune", "--arch", Arch(), "--net", model, "--method", "node",
                                          "--sparsity", "0.5", "-o", dir + "/pruned.json"},
                                         dir + "/err.txt");
  ASSERT_EQ(prune.exit_code, 0) << prune;
  EXPECT_TRUE(std::filesystem::exists(dir + "/pruned.json"));
}

// A timing run computes no values: it removes an earlier run's output files (named after the
// model's outputs, not the IR tensors) and lists none.
TEST(OnnxRun, TimingRunLeavesNoOlderOutputFiles) {
  const std::string dir = ScratchDir();
  const std::string model = BuildEdgesModel(dir + "/edges.onnx");
  const std::string image = SaveImage(dir);
  ASSERT_EQ(RunModel(dir, model, {image}, dir + "/out").exit_code, 0);
  ASSERT_TRUE(std::filesystem::exists(dir + "/out/outputs/conv_out_real.npy"));
  const ProcessOutcome timing = RunNpusim(
      {"run", "--arch", Arch(), "--net", model, "--input", image, "--out", dir + "/out", "--mode", "timing"},
      dir + "/err.txt");
  ASSERT_EQ(timing.exit_code, 0) << timing;
  EXPECT_TRUE(std::filesystem::is_empty(dir + "/out/outputs"));
  EXPECT_TRUE(nlohmann::json::parse(ReadFileText(dir + "/out/report.json"))["outputs"].empty());
}

// QLinearAdd of "a" and "b" [1, 2, 2, 2] with different scales, so swapping them changes the sum.
std::string BuildAddModel(const std::string& path) {
  OnnxBuilder b;
  b.Input("a", kU8, {1, 2, 2, 2});
  b.Input("b", kU8, {1, 2, 2, 2});
  b.Quant("a", 0.5f, kU8, 10);
  b.Quant("b", 0.125f, kU8, 20);
  b.Quant("y", 0.25f, kU8, 30);
  b.Node("QLinearAdd", {"a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"}, {"y"}, "add",
         "com.microsoft");
  b.Output("y", kU8);
  return b.Save(path);
}

TEST(OnnxRun, InputsByNameOrByPosition) {
  const std::string dir = ScratchDir();
  const std::string model = BuildAddModel(dir + "/add.onnx");
  core::SaveNpy(dir + "/a.npy", {1, 2, 2, 2}, {0, 10, 20, 30, 40, 50, 60, 70}, 8, false);
  core::SaveNpy(dir + "/b.npy", {1, 2, 2, 2}, {5, 15, 25, 35, 45, 55, 65, 75}, 8, false);
  const std::string a = dir + "/a.npy", b = dir + "/b.npy";
  ASSERT_EQ(RunModel(dir, model, {a, b}, dir + "/pos").exit_code, 0);
  ASSERT_EQ(RunModel(dir, model, {"b=" + b, a}, dir + "/mixed").exit_code, 0);
  ASSERT_EQ(RunModel(dir, model, {b, a}, dir + "/swapped").exit_code, 0);
  const std::string y = ReadFileText(dir + "/pos/outputs/y.npy");
  // y = round((a - 10) * 2 + (b - 20) / 2 + 30), saturated: a = 0, b = 5 gives -20 - 7.5 + 30 -> 2 (even).
  EXPECT_EQ(core::LoadNpy(dir + "/pos/outputs/y.npy").values[0], 2);
  EXPECT_EQ(ReadFileText(dir + "/mixed/outputs/y.npy"), y);
  EXPECT_NE(ReadFileText(dir + "/swapped/outputs/y.npy"), y);

  const ProcessOutcome twice = RunModel(dir, model, {"a=" + a, b, b}, dir + "/x");
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("--input gives \"a\" twice"), std::string::npos) << twice;
  const ProcessOutcome three = RunModel(dir, model, {a, b, a}, dir + "/x");
  EXPECT_EQ(three.exit_code, 2);
  EXPECT_NE(three.err.find("more files without a name than the network has inputs (\"a\", \"b\")"),
            std::string::npos)
      << three;
  const ProcessOutcome unknown = RunModel(dir, model, {"c=" + a}, dir + "/x");
  EXPECT_NE(unknown.err.find("--input names \"c\", which is not a network input (\"a\", \"b\")"),
            std::string::npos)
      << unknown;
}

}  // namespace
}  // namespace npusim::importer::testing

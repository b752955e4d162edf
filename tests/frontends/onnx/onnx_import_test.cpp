// The ONNX importer on models built here: NCHW -> NHWC layout of activations and weights (checked
// against a plain NCHW QLinearConv written in this file), attribute mapping, the supported op
// chain, up-front refusal of unsupported nodes, and the network-file round trip.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "app/commands.h"
#include "config/arch.h"
#include "frontends/onnx/onnx_import.h"
#include "ir/net_loader.h"
#include "ir/net_writer.h"
#include "ir/quant.h"
#include "reference/executor.h"
#include "support/error.h"
#include "support/npy.h"
#include "tests/common/npusim_process.h"
#include "tests/frontends/onnx/onnx_builder.h"
#include "tests/integration/harness.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::importer::testing {
namespace {

using core::testing::ScratchDir;

std::vector<int64_t> Range(int64_t n, int64_t lo, int64_t hi, int64_t step) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = lo + (i * step) % (hi - lo + 1);
  return v;
}

struct ConvModel {
  int64_t c = 3, h = 5, w = 6, o = 4, kh = 3, kw = 2, group = 1;
  std::vector<int64_t> strides{2, 1}, dilations{1, 2}, pads{1, 0, 1, 1};
  bool per_channel = true, bias = true;
  int w_type = kI8;
  int64_t w_zp = 0;
  std::vector<int64_t> weights() const {
    const int64_t n = o * (c / group) * kh * kw;
    return w_type == kU8 ? Range(n, 0, 255, 37) : Range(n, -100, 100, 37);
  }
  std::vector<float> w_scales() const {
    std::vector<float> s;
    for (int64_t i = 0; i < (per_channel ? o : 1); ++i) s.push_back(0.01f + 0.003f * i);
    return s;
  }
};

// x: uint8 [1, c, h, w] -> QLinearConv -> y: uint8.
std::string BuildConv(const ConvModel& m, const std::string& path) {
  OnnxBuilder b;
  b.Input("x", kU8, {1, m.c, m.h, m.w});
  b.Quant("x", 0.05f, kU8, 120);
  const int64_t cg = m.c / m.group;
  b.Ints("w", m.w_type, {m.o, cg, m.kh, m.kw}, m.weights());
  b.Floats("w_scale", {static_cast<int64_t>(m.w_scales().size())}, m.w_scales());
  b.Ints("w_zp", m.w_type, {}, {m.w_zp});
  b.Quant("y", 0.2f, kU8, 100);
  std::vector<std::string> in = {"x", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp"};
  if (m.bias) {
    b.Ints("b", kI32, {m.o}, Range(m.o, -500, 500, 333));
    in.push_back("b");
  }
  auto* n = b.Node("QLinearConv", in, {"y"}, "conv");
  OnnxBuilder::Attr(n, "group", m.group);
  OnnxBuilder::Attr(n, "strides", m.strides);
  OnnxBuilder::Attr(n, "dilations", m.dilations);
  OnnxBuilder::Attr(n, "pads", m.pads);
  b.Output("y", kU8);
  return b.Save(path);
}

// Plain NCHW QLinearConv, written independently of the importer's layout code.
std::vector<int32_t> NchwConv(const ConvModel& m, const std::vector<int32_t>& x, int64_t oh, int64_t ow) {
  const std::vector<int64_t> wv = m.weights();
  const std::vector<int64_t> bv = Range(m.o, -500, 500, 333);
  const int64_t cg = m.c / m.group, og = m.o / m.group;
  std::vector<int32_t> y;
  for (int64_t o = 0; o < m.o; ++o) {
    const core::Requant r = core::MakeRequant(core::RequantMode::kOnnxFloat, 0.05f,
                                              m.w_scales()[m.per_channel ? o : 0], 0.2f, 100, {0, 255});
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        int64_t acc = m.bias ? bv[o] : 0;
        for (int64_t ci = 0; ci < cg; ++ci) {
          for (int64_t a = 0; a < m.kh; ++a) {
            for (int64_t bb = 0; bb < m.kw; ++bb) {
              const int64_t yy = i * m.strides[0] - m.pads[0] + a * m.dilations[0];
              const int64_t xx = j * m.strides[1] - m.pads[1] + bb * m.dilations[1];
              if (yy < 0 || yy >= m.h || xx < 0 || xx >= m.w) continue;
              const int64_t c = (o / og) * cg + ci;
              acc += (x[(c * m.h + yy) * m.w + xx] - 120) *
                     (wv[((o * cg + ci) * m.kh + a) * m.kw + bb] - m.w_zp);
            }
          }
        }
        y.push_back(core::Requantize(acc, r));
      }
    }
  }
  return y;
}

void CheckConvAgainstNchw(const ConvModel& m) {
  const std::string path = BuildConv(m, ScratchDir() + "/conv.onnx");
  const OnnxModel model = ImportOnnxModel(path, {});
  ASSERT_EQ(model.inputs().size(), 1u);
  EXPECT_EQ(core::IrShape(model.inputs()[0]), (std::vector<int64_t>{1, m.h, m.w, m.c}));
  EXPECT_EQ(model.inputs()[0].perm, (std::vector<int>{0, 2, 3, 1}));
  const core::Op& op = model.graph.ops.at(0);
  EXPECT_EQ(op.type, core::OpType::kConv2d);
  EXPECT_EQ(op.pads, (std::array<int64_t, 4>{m.pads[0], m.pads[1], m.pads[2], m.pads[3]}));
  EXPECT_EQ(op.stride, (std::array<int64_t, 2>{m.strides[0], m.strides[1]}));
  EXPECT_EQ(op.dilation, (std::array<int64_t, 2>{m.dilations[0], m.dilations[1]}));
  EXPECT_EQ(op.groups, m.group);
  EXPECT_EQ(model.graph.tensor(op.inputs[1]).shape, (std::vector<int64_t>{m.o, m.kh, m.kw, m.c / m.group}));
  const std::vector<int64_t>& oshape = model.outputs()[0].shape;
  std::vector<int32_t> x(m.c * m.h * m.w);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int32_t>((i * 97 + 13) % 256);
  reference::TensorMap in{{model.inputs()[0].tensor, ToIrOrder(model.inputs()[0], x)}};
  const reference::TensorMap out = reference::Run(model.graph, in, {});
  EXPECT_EQ(ToModelOrder(model.outputs()[0], out.at(model.outputs()[0].tensor)),
            NchwConv(m, x, oshape[2], oshape[3]));
}

TEST(OnnxImport, ConvLayoutStridesDilationsAsymmetricPadsPerChannel) { CheckConvAgainstNchw(ConvModel{}); }

TEST(OnnxImport, DepthwiseConvPerTensorNoBias) {
  ConvModel m;
  m.c = m.o = m.group = 5;
  m.kh = m.kw = 3;
  m.strides = {1, 2};
  m.dilations = {1, 1};
  m.pads = {0, 2, 1, 0};
  m.per_channel = false;
  m.bias = false;
  CheckConvAgainstNchw(m);
}

TEST(OnnxImport, GroupedConvWithUint8Weights) {
  ConvModel m;
  m.c = 4;
  m.o = 6;
  m.group = 2;
  m.w_type = kU8;
  m.w_zp = 131;
  m.strides = {1, 1};
  CheckConvAgainstNchw(m);
}

TEST(OnnxImport, SameUpperPads) {
  const std::string path = ScratchDir() + "/same.onnx";
  BuildConv(ConvModel{}, path);
  onnx::ModelProto model;
  {
    std::ifstream in(path, std::ios::binary);
    model.ParseFromIstream(&in);
  }
  auto* n = model.mutable_graph()->mutable_node(0);
  n->mutable_attribute()->erase(n->mutable_attribute()->begin() + 3);  // pads
  OnnxBuilder::Attr(n, "auto_pad", std::string("SAME_UPPER"));
  {
    std::ofstream out(path, std::ios::binary);
    model.SerializeToOstream(&out);
  }
  const core::Graph g = ImportOnnx(path);
  // H: 5, stride 2, kernel 3 -> out 3, total pad 2 -> 1/1. W: 6, stride 1, dilated kernel 3 -> total 2 ->
  // 1/1.
  EXPECT_EQ(g.ops[0].pads, (std::array<int64_t, 4>{1, 1, 1, 1}));
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (std::vector<int64_t>{1, 3, 6, 4}));
}

// conv -> maxpool -> add(conv, maxpool) -> global average pool -> flatten -> matmul.
std::string BuildChain(const std::string& path) {
  OnnxBuilder b;
  b.Input("image", kI8, {1, 3, 6, 6});
  b.Quant("x", 0.04f, kI8, -3);
  b.Ints("w", kI8, {8, 3, 3, 3}, Range(8 * 27, -90, 90, 41));
  b.Floats("w_scale", {}, {0.02f});
  b.Ints("w_zp", kI8, {}, {0});
  b.Quant("c", 0.3f, kI8, 5);
  b.Node("QLinearConv", {"image", "x_scale", "x_zp", "w", "w_scale", "w_zp", "c_scale", "c_zp"}, {"conv_out"},
         "conv");
  auto* mp = b.Node("MaxPool", {"conv_out"}, {"pool_out"}, "pool");
  OnnxBuilder::Attr(mp, "kernel_shape", std::vector<int64_t>{3, 3});
  OnnxBuilder::Attr(mp, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.Quant("s", 0.5f, kI8, -2);
  b.Node("QLinearAdd", {"conv_out", "c_scale", "c_zp", "pool_out", "c_scale", "c_zp", "s_scale", "s_zp"},
         {"sum"}, "add", "com.microsoft");
  b.Quant("g", 0.25f, kI8, 1);
  b.Node("QLinearGlobalAveragePool", {"sum", "s_scale", "s_zp", "g_scale", "g_zp"}, {"gap"}, "gap",
         "com.microsoft");
  b.Node("Flatten", {"gap"}, {"flat"}, "flatten");
  b.Ints("fc_w", kI8, {8, 5}, Range(40, -120, 120, 53));
  b.Floats("fc_w_scale", {5}, {0.01f, 0.02f, 0.03f, 0.015f, 0.025f});
  b.Ints("fc_w_zp", kI8, {5}, {0, 0, 0, 0, 0});
  b.Quant("logits", 0.1f, kI8, 0);
  b.Node("QLinearMatMul",
         {"flat", "g_scale", "g_zp", "fc_w", "fc_w_scale", "fc_w_zp", "logits_scale", "logits_zp"},
         {"logits/out"}, "fc");
  b.Output("logits/out", kI8);
  return b.Save(path);
}

TEST(OnnxImport, ChainOfSupportedOps) {
  const OnnxModel m = ImportOnnxModel(BuildChain(ScratchDir() + "/chain.onnx"), {});
  const core::Graph& g = m.graph;
  std::vector<core::OpType> types;
  for (const core::Op& op : g.ops) types.push_back(op.type);
  EXPECT_EQ(types, (std::vector<core::OpType>{core::OpType::kConv2d, core::OpType::kMaxPool,
                                              core::OpType::kAdd, core::OpType::kGlobalAvgPool,
                                              core::OpType::kReshape, core::OpType::kFullyConnected}));
  EXPECT_EQ(g.tensor("pool_out").quant.scales, g.tensor("conv_out").quant.scales);
  EXPECT_EQ(g.tensor("gap").shape, (std::vector<int64_t>{1, 1, 1, 8}));
  EXPECT_EQ(g.tensor("flat").shape, (std::vector<int64_t>{1, 8}));
  const core::TensorInfo& w = g.tensor("fc_w");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{5, 8}));  // [K, N] -> [N, K]
  EXPECT_EQ(w.quant.scales.size(), 5u);
  EXPECT_EQ(w.quant.zero_points.size(), 1u);  // equal per-channel zero points collapse
  const std::vector<int64_t> b = Range(40, -120, 120, 53);
  EXPECT_EQ((*w.data)[2 * 8 + 7], b[7 * 5 + 2]);
  ASSERT_EQ(m.outputs().size(), 1u);
  EXPECT_EQ(m.outputs()[0].tensor, "logits_out");  // '/' is not a tensor-name character
  EXPECT_EQ(m.outputs()[0].name, "logits/out");
}

TEST(OnnxImport, ChainSimulatesEqualToReference) {
  core::Graph g = ImportOnnx(BuildChain(ScratchDir() + "/chain.onnx"));
  std::vector<int32_t> x(6 * 6 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int32_t>((i * 61) % 256) - 128;
  g.tensor(g.inputs[0]).data = x;
  const npusim::testing::Outcome o = npusim::testing::SimulateAndReference(
      g, core::LoadArch(npusim::testing::SourcePath("arch/dense_16x16.json")));
  EXPECT_EQ(o.run.outputs.at(g.outputs[0]), o.ref.at(g.outputs[0]));
}

void ExpectSameEdges(const core::ModelIo& a, const core::ModelIo& b) {
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  std::vector<core::ModelTensor> ea = a.inputs, eb = b.inputs;
  ea.insert(ea.end(), a.outputs.begin(), a.outputs.end());
  eb.insert(eb.end(), b.outputs.begin(), b.outputs.end());
  for (size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].name, eb[i].name);
    EXPECT_EQ(ea[i].tensor, eb[i].tensor);
    EXPECT_EQ(ea[i].shape, eb[i].shape);
    EXPECT_EQ(ea[i].perm, eb[i].perm);
    EXPECT_EQ(ea[i].dtype, eb[i].dtype);
  }
}

void ExpectSameGraph(const core::Graph& a, const core::Graph& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  ASSERT_EQ(a.model_io.has_value(), b.model_io.has_value());
  if (a.model_io) ExpectSameEdges(*a.model_io, *b.model_io);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(b.tensors.count(name));
    const core::TensorInfo& u = b.tensors.at(name);
    EXPECT_EQ(t.shape, u.shape);
    EXPECT_EQ(t.bits, u.bits);
    EXPECT_EQ(t.is_signed, u.is_signed);
    EXPECT_EQ(t.quant.scales, u.quant.scales);
    EXPECT_EQ(t.quant.zero_points, u.quant.zero_points);
    EXPECT_EQ(t.data, u.data);
  }
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    const core::Op &p = a.ops[i], &q = b.ops[i];
    EXPECT_EQ(p.name, q.name);
    EXPECT_EQ(p.type, q.type);
    EXPECT_EQ(p.inputs, q.inputs);
    EXPECT_EQ(p.outputs, q.outputs);
    EXPECT_EQ(p.stride, q.stride);
    EXPECT_EQ(p.pads, q.pads);
    EXPECT_EQ(p.groups, q.groups);
    EXPECT_EQ(p.activation, q.activation);
    if (p.type == core::OpType::kConv2d) {
      EXPECT_EQ(p.dilation, q.dilation);
    }
    if (p.type == core::OpType::kMaxPool || p.type == core::OpType::kAvgPool) {
      EXPECT_EQ(p.kernel, q.kernel);
    }
  }
}

// The command line takes an ONNX model directly (`--net model.onnx`) and through `npusim import`.
TEST(OnnxImport, CommandLineRunsAnOnnxModelBitExactAndImportsIt) {
  const std::string dir = ScratchDir();
  const std::string model = BuildChain(dir + "/chain.onnx");
  std::vector<int32_t> x(6 * 6 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int32_t>((i * 61) % 256) - 128;
  core::SaveNpy(dir + "/x.npy", {1, 3, 6, 6}, x, 8, true);  // NCHW, as the model declares it
  const std::string arch = std::string(NPUSIM_SOURCE_DIR) + "/arch/dense_16x16.json";
  const npusim::testing::ProcessOutcome run =
      npusim::testing::RunNpusim({"--arch", arch, "--net", model, "--input", "image=" + dir + "/x.npy",
                                  "--check", "--out", dir + "/out"},
                                 dir + "/err.txt");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_NE(run.out.find("check: bit-exact (5 values)"), std::string::npos) << run;
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/outputs/logits_out.npy"));
  const npusim::testing::ProcessOutcome imp =
      npusim::testing::RunNpusim({"import", model, "-o", dir + "/net.json"}, dir + "/err2.txt");
  EXPECT_EQ(imp.exit_code, 0) << imp;
  EXPECT_EQ(core::LoadNetwork(dir + "/net.json").ops.size(), 6u);
}

TEST(OnnxImport, RoundTripThroughNetworkFile) {
  const std::string dir = ScratchDir();
  const core::Graph g = ImportOnnx(BuildChain(dir + "/chain.onnx"));
  core::SaveNetwork(g, dir + "/net.json", dir + "/weights");
  EXPECT_TRUE(std::filesystem::exists(dir + "/weights/fc_w.npy"));
  ExpectSameGraph(g, core::LoadNetwork(dir + "/net.json"));
  ConvModel m;
  const core::Graph c = ImportOnnx(BuildConv(m, dir + "/conv.onnx"));
  core::SaveNetwork(c, dir + "/conv.json", dir);
  ExpectSameGraph(c, core::LoadNetwork(dir + "/conv.json"));
}

// `npusim import`'s files appear together or not at all: the second weight file failing (a file
// size limit, in a child process) leaves neither the first nor the weights directory it created.
TEST(OnnxImport, AFailingSecondWeightFileLeavesNothing) {
  const std::string dir = ScratchDir();
  core::Graph g = ImportOnnx(BuildChain(dir + "/chain.onnx"));
  const core::TensorInfo w = g.tensor("fc_w");
  core::TensorInfo small = w, big = w;  // first and second in name order, before the model's
  small.name = "0_small";
  small.shape = {4};
  small.data = std::vector<int32_t>(4, 1);
  big.name = "1_big";
  big.shape = {1 << 16};
  big.data = std::vector<int32_t>(1 << 16, 1);
  g.tensors[small.name] = small;
  g.tensors[big.name] = big;
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{16384, 16384};  // 0_small.npy fits, 1_big.npy (64 KiB) does not
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      core::SaveNetwork(g, dir + "/out/net.json", dir + "/out/w");
    } catch (const core::ConfigError& e) {
      const std::string want = dir + "/out/w/1_big.npy: cannot write file: File too large";
      _exit(std::string(e.what()).find(want) == std::string::npos ? 3 : 0);
    }
    _exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: another message, 4: no error";
  EXPECT_TRUE(std::filesystem::is_empty(dir + "/out")) << "the first weight file or the weights directory "
                                                          "stayed";
  // Without the limit the same call writes both, named in the network file.
  core::SaveNetwork(g, dir + "/out/net.json", dir + "/out/w");
  EXPECT_EQ(core::LoadNpy(dir + "/out/w/1_big.npy").values.size(), size_t{1} << 16);
  EXPECT_EQ(core::LoadNpy(dir + "/out/w/0_small.npy").values, std::vector<int32_t>(4, 1));
}

TEST(OnnxImport, ImportCommandWritesNetworkAndWeights) {
  const std::string dir = ScratchDir();
  const std::string model = BuildChain(dir + "/chain.onnx");
  ASSERT_EQ(app::ImportCommand({model, "-o", dir + "/out/net.json", "--weights-dir", dir + "/out/w"}), 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/w/fc_w.npy"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/out/net.json.tmp"));
  ExpectSameGraph(ImportOnnx(model), core::LoadNetwork(dir + "/out/net.json"));
  // Default: constants beside the JSON file.
  ASSERT_EQ(app::ImportCommand({model, "-o", dir + "/net2.json"}), 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/w.npy"));
  // A refused model writes nothing.
  EXPECT_THROW(app::ImportCommand({dir + "/missing.onnx", "-o", dir + "/none.json"}), core::ConfigError);
  EXPECT_FALSE(std::filesystem::exists(dir + "/none.json"));
}

std::string ErrorOf(const std::string& path) {
  try {
    ImportOnnx(path);
  } catch (const core::ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

TEST(OnnxImport, RefusesEveryUnsupportedNodeUpFront) {
  OnnxBuilder b;
  b.Input("x", kF32, {1, 4});
  b.Quant("q", 0.1f, kU8, 128);
  b.Node("QuantizeLinear", {"x", "q_scale", "q_zp"}, {"xq"}, "quant");
  b.Node("Softmax", {"xq"}, {"s"}, "softmax");
  b.Node("Mystery", {"s"}, {"t"}, "custom", "org.example");
  b.Node("DequantizeLinear", {"t", "q_scale", "q_zp"}, {"y"}, "dequant");
  b.Output("y", kF32);
  const std::string path = b.Save(ScratchDir() + "/bad.onnx");
  const std::string msg = ErrorOf(path);
  // The QuantizeLinear of the float input and the DequantizeLinear of the output are the float
  // edges (docs/onnx.md): not refused. Everything between is, in one error.
  EXPECT_NE(msg.find(path + ": /graph/node/1: node \"softmax\" (op Softmax, domain ai.onnx): unsupported op"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("node \"custom\" (op Mystery, domain org.example): unsupported op"), std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("QuantizeLinear"), std::string::npos) << msg;
}

// ConvInteger (int8 x, per-channel uint8 w zero points that are all equal, stride 2, SAME_UPPER)
// and MatMulInteger (no zero points): 32-bit outputs, scale-1 inputs and weights, equal to sums
// computed here; the graph survives the network-file round trip.
TEST(OnnxImport, ConvIntegerAndMatMulIntegerWriteInt32Accumulators) {
  OnnxBuilder b(10);
  b.Input("x", kI8, {1, 2, 3, 3});
  b.Ints("w", kU8, {2, 2, 1, 1}, {200, 10, 0, 255});
  b.Ints("x_zp", kI8, {}, {-3});
  b.Ints("w_zp", kU8, {2}, {100, 100});
  auto* conv = b.Node("ConvInteger", {"x", "w", "x_zp", "w_zp"}, {"y"}, "conv");
  OnnxBuilder::Attr(conv, "strides", std::vector<int64_t>{2, 2});
  OnnxBuilder::Attr(conv, "auto_pad", std::string("SAME_UPPER"));
  b.Input("a", kU8, {2, 3});
  b.Ints("bm", kI8, {3, 1}, {-128, 127, 5});
  b.Node("MatMulInteger", {"a", "bm"}, {"m"}, "mm");
  b.Output("y", kI32);
  b.Output("m", kI32);
  const std::string dir = ScratchDir();
  const OnnxModel model = ImportOnnxModel(b.Save(dir + "/int.onnx"), {});
  const core::Graph& g = model.graph;
  const core::TensorInfo& y = g.tensor(model.outputs()[0].tensor);
  EXPECT_EQ(y.bits, 32);
  EXPECT_EQ(y.shape, (std::vector<int64_t>{1, 2, 2, 2}));  // ceil(3 / 2) = 2, NHWC
  const core::TensorInfo& x = g.tensor("x");
  EXPECT_TRUE(x.is_signed);
  EXPECT_EQ(x.quant.zero_points, std::vector<int32_t>{-3});
  EXPECT_EQ(x.quant.scales, std::vector<float>{1.0f});
  const core::TensorInfo& w = g.tensor("w");
  EXPECT_FALSE(w.is_signed);
  EXPECT_EQ(w.quant.zero_points, std::vector<int32_t>{100});  // equal per-channel ones collapse
  EXPECT_EQ(g.tensor("bm").quant.zero_points, std::vector<int32_t>{0});
  // x: channel 0 = 0..8, channel 1 = -9..-1 (NCHW); SAME_UPPER with stride 2 on 3 pads 0 (1x1 kernel).
  std::vector<int32_t> xv(18);
  for (int i = 0; i < 18; ++i) xv[i] = i < 9 ? i : i - 18;
  std::vector<int32_t> av = {0, 1, 255, 7, 8, 9};
  reference::TensorMap in{{"x", ToIrOrder(model.inputs()[0], xv)}, {"a", ToIrOrder(model.inputs()[1], av)}};
  const reference::TensorMap out = reference::Run(g, in, reference::Options{});
  // y[oc][oy][ox] = sum_c (x[c][2oy][2ox] + 3) * (w[oc][c] - 100)
  std::vector<int32_t> expect_y;
  const int wv[2][2] = {{200, 10}, {0, 255}};
  for (int oc = 0; oc < 2; ++oc) {
    for (int oy = 0; oy < 2; ++oy) {
      for (int ox = 0; ox < 2; ++ox) {
        int32_t acc = 0;
        for (int c = 0; c < 2; ++c) acc += (xv[c * 9 + 2 * oy * 3 + 2 * ox] + 3) * (wv[oc][c] - 100);
        expect_y.push_back(acc);
      }
    }
  }
  EXPECT_EQ(ToModelOrder(model.outputs()[0], out.at(model.outputs()[0].tensor)), expect_y);
  EXPECT_EQ(ToModelOrder(model.outputs()[1], out.at(model.outputs()[1].tensor)),
            (std::vector<int32_t>{0 * -128 + 1 * 127 + 255 * 5, 7 * -128 + 8 * 127 + 9 * 5}));
  core::SaveNetwork(g, dir + "/net.json", dir);
  ExpectSameGraph(g, core::LoadNetwork(dir + "/net.json"));
}

// A [2, 3] x [3, 2] MatMulInteger "mm" of graph input "a", its node inputs `in` ("a", "bm", ...).
OnnxBuilder MatMulInteger(const std::vector<std::string>& in) {
  OnnxBuilder b(13);
  b.Input("a", kU8, {2, 3});
  b.Ints("bm", kU8, {3, 2}, {1, 2, 3, 4, 5, 6});
  b.Node("MatMulInteger", in, {"m"}, "mm");
  return b;
}

TEST(OnnxImport, RefusesANodeReadingAnInt32Accumulator) {
  OnnxBuilder b = MatMulInteger({"a", "bm"});
  b.Node("Identity", {"m"}, {"y"}, "copy");
  b.Output("y", kI32);
  const std::string msg = ErrorOf(b.Save(ScratchDir() + "/bad.onnx"));
  EXPECT_NE(msg.find("node \"copy\" (op Identity, domain ai.onnx): input \"m\" is the int32 output of a "
                     "ConvInteger / MatMulInteger, which npusim writes only as a graph output"),
            std::string::npos)
      << msg;
}

TEST(OnnxImport, RefusesAPerRowMatMulIntegerZeroPoint) {
  OnnxBuilder b = MatMulInteger({"a", "bm", "a_zp"});
  b.Ints("a_zp", kU8, {2}, {1, 2});
  b.Output("m", kI32);
  const std::string msg = ErrorOf(b.Save(ScratchDir() + "/bad.onnx"));
  EXPECT_NE(
      msg.find("node \"mm\" (op MatMulInteger, domain ai.onnx): zero point \"a_zp\" of \"a\": expected one "
               "uint8 or int8 value (activations are quantized per tensor), got 2 of uint8"),
      std::string::npos)
      << msg;
}

// A QLinearMatMul whose weight "w" is a graph input, not a constant.
std::string MatMulWithInputWeight(int64_t opset, const std::string& path) {
  OnnxBuilder b(opset);
  b.Input("x", kU8, {1, 2});
  b.Input("w", kU8, {2, 2});
  b.Quant("q", 0.1f, kU8, 128);
  b.Floats("w_scale", {}, {0.1f});
  b.Ints("w_zp", kU8, {}, {0});
  b.Node("QLinearMatMul", {"x", "q_scale", "q_zp", "w", "w_scale", "w_zp", "q_scale", "q_zp"}, {"y"}, "mm");
  b.Output("y", kU8);
  return b.Save(path);
}

TEST(OnnxImport, RefusesOpsetOutside10To21) {
  const std::string msg = ErrorOf(MatMulWithInputWeight(9, ScratchDir() + "/old.onnx"));
  EXPECT_NE(msg.find("/opset_import/0: default-domain opset 9 is not supported (expected 10..21)"),
            std::string::npos)
      << msg;
}

TEST(OnnxImport, RefusesGraphInputWeight) {
  const std::string msg = ErrorOf(MatMulWithInputWeight(13, ScratchDir() + "/in_w.onnx"));
  EXPECT_NE(msg.find("node \"mm\" (op QLinearMatMul, domain ai.onnx): input 3 (\"w\") must be a constant"),
            std::string::npos)
      << msg;
}

TEST(OnnxImport, RefusesReshapeThatReordersNchw) {
  OnnxBuilder b;
  b.Input("x", kU8, {1, 2, 3, 3});
  b.Quant("q", 0.1f, kU8, 128);
  b.Quant("p", 0.2f, kU8, 128);
  b.Node("QLinearGlobalAveragePool", {"x", "q_scale", "q_zp", "p_scale", "p_zp"}, {"g"}, "gap",
         "com.microsoft");
  b.Node("Flatten", {"x"}, {"f"}, "flat");
  b.Output("g", kU8);
  b.Output("f", kU8);
  const std::string msg = ErrorOf(b.Save(ScratchDir() + "/flat.onnx"));
  EXPECT_NE(
      msg.find("node \"flat\" (op Flatten, domain ai.onnx): reshaping [1, 2, 3, 3] to [1, 18] reorders"),
      std::string::npos)
      << msg;
}

TEST(OnnxImport, RefusesConflictingQuantization) {
  OnnxBuilder b;
  b.Input("x", kU8, {1, 2, 3, 3});
  b.Quant("q", 0.1f, kU8, 128);
  b.Quant("p", 0.2f, kU8, 128);
  b.Node("QLinearGlobalAveragePool", {"x", "q_scale", "q_zp", "p_scale", "p_zp"}, {"g1"}, "gap1",
         "com.microsoft");
  b.Node("QLinearGlobalAveragePool", {"x", "p_scale", "p_zp", "q_scale", "q_zp"}, {"g2"}, "gap2",
         "com.microsoft");
  b.Output("g1", kU8);
  b.Output("g2", kU8);
  const std::string msg = ErrorOf(b.Save(ScratchDir() + "/conflict.onnx"));
  EXPECT_NE(
      msg.find(
          "node \"gap2\" (op QLinearGlobalAveragePool, domain com.microsoft): tensor \"x\" is quantized as "
          "uint8 scale 0.200000003 zero point 128 here but as uint8 scale 0.100000001"),
      std::string::npos)
      << msg;
}

TEST(OnnxImport, MissingFileAndGarbage) {
  EXPECT_NE(ErrorOf("/nonexistent/m.onnx").find("/nonexistent/m.onnx: cannot open the file"),
            std::string::npos);
  const std::string path = core::testing::WriteFile(ScratchDir() + "/junk.onnx", "\xff\xff\xff not protobuf");
  EXPECT_NE(ErrorOf(path).find("not an ONNX model"), std::string::npos);
}

}  // namespace
}  // namespace npusim::importer::testing

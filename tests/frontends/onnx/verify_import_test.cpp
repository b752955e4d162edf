// core::Verify on graphs of the ONNX importer (which calls it last): an imported model verifies
// clean, the real pruning and precision transforms keep it valid, and a deliberately broken
// transform is caught with the message that names what it broke.
#include <gtest/gtest.h>

#include "compiler/transforms/precision.h"
#include "compiler/transforms/prune.h"
#include "frontends/onnx/onnx_import.h"
#include "ir/verify.h"
#include "tests/frontends/onnx/onnx_builder.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::importer {
namespace {

using core::testing::HasProblem;
using core::testing::ProblemsOf;
using core::testing::ScratchDir;
using testing::kI8;
using testing::OnnxBuilder;

std::vector<int64_t> Ramp(int64_t n, int64_t lo, int64_t hi) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = lo + (i * 37) % (hi - lo + 1);
  return v;
}

// image [1,2,5,5] -> QLinearConv (6 output channels, 3x3) -> QLinearGlobalAveragePool -> Flatten ->
// QLinearMatMul (6 -> 4).
std::string BuildNet(const std::string& path) {
  OnnxBuilder b;
  b.Input("image", kI8, {1, 2, 5, 5});
  b.Quant("x", 0.05f, kI8, 2);
  b.Ints("w", kI8, {6, 2, 3, 3}, Ramp(6 * 18, -100, 100));
  b.Floats("w_scale", {}, {0.03f});
  b.Ints("w_zp", kI8, {}, {0});
  b.Quant("c", 0.2f, kI8, -1);
  b.Node("QLinearConv", {"image", "x_scale", "x_zp", "w", "w_scale", "w_zp", "c_scale", "c_zp"}, {"c"},
         "conv");
  b.Quant("p", 0.1f, kI8, 0);
  b.Node("QLinearGlobalAveragePool", {"c", "c_scale", "c_zp", "p_scale", "p_zp"}, {"p"}, "gap",
         "com.microsoft");
  b.Node("Flatten", {"p"}, {"f"}, "flatten");
  b.Ints("m", kI8, {6, 4}, Ramp(24, -60, 60));
  b.Floats("m_scale", {}, {0.02f});
  b.Ints("m_zp", kI8, {}, {0});
  b.Quant("out", 0.3f, kI8, 0);
  b.Node("QLinearMatMul", {"f", "p_scale", "p_zp", "m", "m_scale", "m_zp", "out_scale", "out_zp"}, {"out"},
         "fc");
  b.Output("out", kI8);
  return b.Save(path);
}

const core::Op& OpNamed(const core::Graph& g, const std::string& name) {
  for (const core::Op& op : g.ops) {
    if (op.name == name) return op;
  }
  throw std::runtime_error("no op " + name);
}

TEST(VerifyImport, ImportedGraphVerifiesClean) {
  const std::string path = BuildNet(ScratchDir() + "/net.onnx");
  const core::Graph g = ImportOnnx(path);
  ASSERT_EQ(g.ops.size(), 4u);
  EXPECT_NO_THROW(core::Verify(g, path));
}

TEST(VerifyImport, RealTransformsKeepTheGraphValid) {
  core::Graph g = ImportOnnx(BuildNet(ScratchDir() + "/net.onnx"));
  const std::string conv = OpNamed(g, "conv").name;
  const auto pruned = compiler::PruneNodes(g, {{conv, 0.5}});  // verifies the graph it leaves
  ASSERT_EQ(pruned.size(), 1u);
  EXPECT_EQ(g.tensor(OpNamed(g, "conv").outputs[0]).shape.back(), 3);
  EXPECT_EQ(g.tensor(OpNamed(g, "fc").inputs[1]).shape, (std::vector<int64_t>{4, 3}));
  EXPECT_NO_THROW(core::ApplyWeightBits(g, {{"*", 4}}, "--weight-bits"));
  EXPECT_NO_THROW(core::Verify(g, "after"));
}

// A node-pruning pass that forgets the layers downstream: the conv's weights and bias shrink to 4
// channels, its output and the FC layer reading it do not.
void BrokenPrune(core::Graph& g, const core::Op& conv) {
  core::TensorInfo& w = g.tensor(conv.inputs[1]);
  const int64_t per_channel = w.elements() / w.shape[0];
  w.shape[0] = 4;
  w.data->resize(4 * per_channel);
}

TEST(VerifyImport, BrokenTransformIsCaught) {
  core::Graph g = ImportOnnx(BuildNet(ScratchDir() + "/net.onnx"));
  const core::Op conv = OpNamed(g, "conv");
  BrokenPrune(g, conv);
  const auto problems = ProblemsOf([&] { core::Verify(g, "BrokenPrune"); });
  ASSERT_EQ(problems.size(), 1u) << core::testing::ToString(problems);
  EXPECT_TRUE(HasProblem(
      problems, "BrokenPrune", "op 0 \"conv\" (conv2d), output \"" + conv.outputs[0] + "\" shape",
      "expected [1, 3, 3, 4] (inferred for the output of conv2d op 0 \"conv\"), got [1, 3, 3, 6]"));
}

// A precision pass that changes the width but not the values.
TEST(VerifyImport, BrokenRequantizationIsCaught) {
  core::Graph g = ImportOnnx(BuildNet(ScratchDir() + "/net.onnx"));
  const std::string w = OpNamed(g, "conv").inputs[1];
  g.tensor(w).bits = 4;
  const auto problems = ProblemsOf([&] { core::Verify(g, "BrokenBits"); });
  EXPECT_TRUE(HasProblem(problems, "BrokenBits", "tensor \"" + w + "\"",
                         "expected values in the signed 4-bit range -8..7"));
}

}  // namespace
}  // namespace npusim::importer

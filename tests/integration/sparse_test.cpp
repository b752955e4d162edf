// The sparse array end to end: random small networks pruned by every method (compiler/transforms/prune.h),
// compiled for and simulated on the Scalpel-style arches (every format forced in turn, and the
// compiler's own choice) and on the dense array, give exactly the reference executor's outputs on
// the same pruned weights; the unit spends exactly the closed form's cycles on the row headers of
// the tiles the DMA moved; a corrupted compressed tile shows as wrong outputs; node pruning
// shrinks shapes through depthwise, pool and reshape. One simulation per test.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "compiler/transforms/prune.h"
#include "config/arch.h"
#include "models/sparse_array.h"
#include "support/error.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

using core::WeightFormat;

// Sum over CONV instructions of the closed form, on the row headers of the tile the last LOAD into
// the instruction's weight address brought from DRAM (which must be the counts the instruction
// carries).
uint64_t ClosedFormComputeCycles(const isa::Program& p, const core::UnitConfig& unit) {
  std::map<uint64_t, uint64_t> loaded_from;  // buffer address -> DRAM address
  std::map<uint64_t, const isa::DramSegment*> segments;
  for (const isa::DramSegment& s : p.dram_init) segments[s.addr] = &s;
  uint64_t cycles = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.op == isa::Opcode::kLoad) loaded_from[in.dma().dst] = in.dma().src;
    if (in.op != isa::Opcode::kConv) continue;
    const isa::ConvArgs& c = in.conv();
    const isa::DramSegment& s = *segments.at(loaded_from.at(c.w_addr));
    EXPECT_EQ(static_cast<int64_t>(s.bytes.size()), c.w_bytes);
    const auto entries =
        core::TileRowEntries(models::SparseArray::CodecOf(unit, c), models::SparseArray::GeometryOf(unit, c),
                             c.out_c, s.bytes.data(), static_cast<int64_t>(s.bytes.size()));
    // The counts the instruction carries for the unit's timing are those headers.
    EXPECT_EQ(p.weight_tile_rows.at(c.w_tile), entries) << isa::FormatInstruction(in);
    cycles += static_cast<uint64_t>(models::SparseArray::CyclesOf(unit, c, entries));
  }
  return cycles;
}

uint64_t SimulatedComputeCycles(const models::RunResult& run) {
  uint64_t cycles = 0;
  for (const auto& busy : run.layer_busy) cycles += busy[static_cast<int>(isa::Queue::kCompute)];
  return cycles;
}

core::ArchConfig Arch(const std::string& name, const std::string& format) {
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/" + name + ".json"));
  if (!format.empty()) {
    WeightFormat f;
    EXPECT_TRUE(core::WeightFormatFromName(format, &f));
    arch.units[0].params<core::SparseConfig>().formats = {f};
  }
  return arch;
}

using Param = std::tuple<std::string, std::string, std::string, int>;  // method, arch, format, seed
class SparseRunTest : public ::testing::TestWithParam<Param> {};

TEST_P(SparseRunTest, PrunedNetIsBitExactAndTakesTheClosedFormsCycles) {
  const auto [method, arch_name, format, seed] = GetParam();
  const core::ArchConfig arch = Arch(arch_name, format);
  const core::UnitConfig& u = arch.units[0];
  const int simd = u.type == "sparse_array" ? u.params<core::SparseConfig>().simd_width : 4;
  const core::Graph g = PrunedRandomNet(method, static_cast<uint64_t>(seed), 0.6, simd);
  const Outcome o = SimulateAndReference(g, arch);
  ExpectBitExact(g, o, true);
  if (arch.units[0].type == "sparse_array") {
    EXPECT_EQ(SimulatedComputeCycles(o.run), ClosedFormComputeCycles(o.program, arch.units[0]));
  }
}

std::string RunName(const ::testing::TestParamInfo<Param>& info) {
  const std::string f = std::get<2>(info.param).empty() ? "auto" : std::get<2>(info.param);
  return std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_" + f + "_seed" +
         std::to_string(std::get<3>(info.param));
}

INSTANTIATE_TEST_SUITE_P(SparseUnits, SparseRunTest,
                         ::testing::Combine(::testing::Values("none", "simd", "unstructured", "nm"),
                                            ::testing::Values("scalpel_mcu", "scalpel_cpu"),
                                            ::testing::Values("", "dense", "simd_groups", "csr"),
                                            ::testing::Values(1, 2)),
                         RunName);
// Dense units run the same pruned networks (zeros cost the same there).
INSTANTIATE_TEST_SUITE_P(DenseUnits, SparseRunTest,
                         ::testing::Combine(::testing::Values("none", "simd", "unstructured", "nm"),
                                            ::testing::Values("dense_16x16", "unpu"), ::testing::Values(""),
                                            ::testing::Values(1, 2)),
                         RunName);

// SIMD-aware pruning on the simd_groups format must cut the unit's cycles; on csr with index
// decode it cannot cut them as much (one lane per entry).
TEST(SparseArray, SimdPruningCutsComputeCyclesOnSimdGroups) {
  const core::ArchConfig arch = Arch("scalpel_cpu", "simd_groups");
  const core::Graph dense = RandomNet(5);
  const int simd = arch.units[0].params<core::SparseConfig>().simd_width;
  const core::Graph pruned = PrunedRandomNet("simd", 5, 0.75, simd);
  const Outcome d = SimulateAndReference(dense, arch);
  const uint64_t dense_cycles = SimulatedComputeCycles(d.run);
  const uint64_t pruned_cycles = ClosedFormComputeCycles(compiler::Compile(pruned, arch, "t"), arch.units[0]);
  EXPECT_LT(pruned_cycles * 10, dense_cycles * 6) << pruned_cycles << " vs " << dense_cycles;
}

// A decode or addressing bug must show as wrong outputs: flip one stored weight value of a
// compressed tile and the simulated outputs differ from the reference.
TEST(SparseArray, CorruptedCompressedTileGivesWrongOutputs) {
  const core::ArchConfig arch = Arch("scalpel_mcu", "simd_groups");
  const core::Graph g = PrunedRandomNet("simd", 3, 0.5, 4);
  TensorMap inputs;
  for (const std::string& n : g.inputs) inputs[n] = *g.tensor(n).data;
  isa::Program p = compiler::Compile(g, arch, "t");
  bool flipped = false;
  for (isa::DramSegment& s : p.dram_init) {
    if (s.what.find("(simd_groups)") == std::string::npos || s.bytes.size() < 20) continue;
    // The last entry's 4 values end the tile (it is a real entry, so one of them is non-zero, and
    // the zero lanes past a partial group are never read).
    for (size_t i = s.bytes.size() - 4; i < s.bytes.size() && !flipped; ++i) {
      if (s.bytes[i] == 0) continue;
      s.bytes[i] ^= 0x40;
      flipped = true;
    }
    if (flipped) break;
  }
  ASSERT_TRUE(flipped);
  core::StatRegistry stats;
  models::Npu npu("npu", arch, p, stats);
  npu.WriteInputs(inputs);
  const models::RunResult run = npu.Run();
  const auto ref =
      reference::Run(g, inputs, reference::Options{arch.requant_mode, 32, core::Overflow::kWrap});
  bool differs = false;
  for (const std::string& n : g.outputs) differs = differs || run.outputs.at(n) != ref.at(n);
  EXPECT_TRUE(differs);
}

// conv -> depthwise -> pointwise -> global pool -> reshape -> FC, only the FC's output a network
// output: node pruning removes channels of the first conv (and the depthwise's), and of the
// pointwise (and the FC's input features), and the pruned network runs bit-exact everywhere.
core::Graph ChainNet() {
  GraphBuilder b(21);
  const std::string x = b.Input({1, 9, 9, 5});
  const std::string y1 = b.Conv(x, 12, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kRelu);
  const std::string y2 = b.Conv(y1, 12, 3, 1, 1, {1, 1, 1, 1}, 12, core::Activation::kRelu6);
  const std::string y3 = b.Conv(y2, 16, 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kRelu);
  const std::string y4 = b.Pool(y3, core::OpType::kGlobalAvgPool, 1, 1, {0, 0, 0, 0});
  const std::string y5 = b.Reshape(y4, {1, 16});
  const std::string y6 = b.FullyConnected(y5, 7, core::Activation::kNone);
  core::Graph g = b.Build();
  g.outputs = {y6};
  return g;
}

class NodePruneTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NodePruneTest, ShapesShrinkAndOutputsStayExact) {
  core::Graph g = ChainNet();
  const auto results = compiler::PruneNodes(g, {{"op0", 0.5}, {"op1", 0.5}, {"op2", 0.25}, {"op5", 0.5}},
                                            compiler::ChannelNorm::kL2);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[1].note,
            "kept whole: it is a grouped or depthwise conv (its channels follow its producer's)");
  EXPECT_EQ(results[3].note, "kept whole: its channels reach network output \"op5_y\"");
  EXPECT_EQ(g.tensor("op0_y").shape, (std::vector<int64_t>{1, 9, 9, 6}));
  EXPECT_EQ(g.tensor("op1_y").shape, (std::vector<int64_t>{1, 9, 9, 6}));
  EXPECT_EQ(g.ops[1].groups, 6);
  EXPECT_EQ(g.tensor(g.ops[2].inputs[1]).shape, (std::vector<int64_t>{4, 1, 1, 6}));
  EXPECT_EQ(g.tensor("op4_y").shape, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(g.tensor(g.ops[5].inputs[1]).shape, (std::vector<int64_t>{7, 4}));
  const Outcome o = SimulateAndReference(g, core::LoadArch(SourcePath(GetParam())));
  ExpectBitExact(g, o, false);
}

INSTANTIATE_TEST_SUITE_P(Arches, NodePruneTest,
                         ::testing::Values("arch/scalpel_mcu.json", "arch/dense_16x16.json",
                                           "arch/unpu.json"),
                         [](const auto& info) {
                           std::string s = info.param.substr(5, info.param.size() - 10);
                           return s;
                         });

// A residual add keeps both producers whole.
TEST(NodePrune, ChannelsReachingAnAddAreKept) {
  core::Graph g = RandomNet(4);
  const auto results = compiler::PruneNodes(g, {{"op0", 0.5}});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].note.empty());
  EXPECT_EQ(results[0].weights_after, results[0].weights_before);
}

// With per-channel scales, magnitudes are compared in real units (quanta x the channel's scale):
// a channel of many quanta at a small scale weighs less than one of few quanta at a large scale.
TEST(NodePrune, RanksChannelsByRealMagnitude) {
  GraphBuilder b(1);
  const std::string x = b.Input({1, 8});
  const std::string h = b.FullyConnected(x, 4, core::Activation::kRelu);
  const std::string y = b.FullyConnected(h, 3, core::Activation::kNone);
  core::Graph g = b.Build();
  g.outputs = {y};  // h is internal
  core::TensorInfo& w = g.tensor(g.ops[0].inputs[1]);
  // Channels 0..3: quanta 127, 20, 100, 10 at scales 0.001, 0.1, 0.002, 0.2: real 0.127, 2.0, 0.2, 2.0.
  const std::vector<int32_t> q = {127, 20, 100, 10};
  w.quant.scales = {0.001f, 0.1f, 0.002f, 0.2f};
  w.quant.zero_points = {0};
  w.quant.axis = 0;
  for (int64_t c = 0; c < 4; ++c) {
    for (int64_t i = 0; i < 8; ++i) (*w.data)[c * 8 + i] = (i % 2 ? 1 : -1) * q[c];
  }
  core::Graph u = g;
  const auto r = compiler::PruneNodes(g, {{"op0", 0.5}});
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].note, "");
  EXPECT_EQ(*g.tensor(g.ops[0].inputs[1]).data,
            (std::vector<int32_t>{-20, 20, -20, 20, -20, 20, -20, 20, -10, 10, -10, 10, -10, 10, -10, 10}));
  EXPECT_EQ(g.tensor(g.ops[0].inputs[1]).quant.scales, (std::vector<float>{0.1f, 0.2f}));
  // Unstructured: the 16 smallest real magnitudes are channels 0 and 2.
  compiler::PruneUnstructured(u, {{"op0", 0.5}});
  const std::vector<int32_t>& d = *u.tensor(u.ops[0].inputs[1]).data;
  for (int64_t i = 0; i < 32; ++i) EXPECT_EQ(d[i] == 0, i / 8 == 0 || i / 8 == 2) << i;
}

TEST(NmPrune, KeepsTwoOfEveryFour) {
  core::Graph g = RandomMlp(3);
  const std::string w = g.ops[0].inputs[1];
  const int64_t k = g.tensor(w).shape[1];
  if (k % 4 != 0) {
    EXPECT_THROW(compiler::PruneNm(g, 2, 4, {g.ops[0].name}, "net.json"), core::ConfigError);
    return;
  }
  compiler::PruneNm(g, 2, 4, {g.ops[0].name}, "net.json");
  const std::vector<int32_t>& d = *g.tensor(w).data;
  for (size_t b = 0; b < d.size(); b += 4) {
    EXPECT_LE((d[b] != 0) + (d[b + 1] != 0) + (d[b + 2] != 0) + (d[b + 3] != 0), 2);
  }
}

TEST(NmPrune, ReductionNotAMultipleOfMNamesTheLayer) {
  GraphBuilder b(1);
  const std::string x = b.Input({1, 6});
  b.FullyConnected(x, 3, core::Activation::kNone);
  core::Graph g = b.Build();
  try {
    compiler::PruneNm(g, 2, 4, {"op0"}, "net.json");
    FAIL() << "no error";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(
        std::string(e.what()).find("net.json: /ops/0: layer \"op0\": its reduction of 6 weights per output "
                                   "(1x1x6) is not a multiple of M = 4"),
        std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace npusim::testing

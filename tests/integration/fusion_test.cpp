// Layer fusion (compiler/passes/fusion.h): fused chains give the reference executor's values on
// every arch, whether the compiler chose the group or the net file forced it; the DRAM bytes of a
// fused group equal their closed form; the mapper's plan is never rated worse than every layer alone;
// forcing that cannot be honoured is refused with the op's JSON pointer.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/compiler.h"
#include "ir/net_loader.h"
#include "isa/instruction.h"
#include "sim/figures.h"
#include "support/error.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

// Appends a random conv (dense, depthwise or grouped; kernel 1, 3 or 5; stride 1 or 2; any pads)
// to `y`, an image h x w x c, and updates h, w and c to its output's.
std::string AppendRandomConv(GraphBuilder& b, const std::string& y, int64_t* h, int64_t* w, int64_t* c) {
  const RandomConvShape s(b, *h, *w, *c);
  const std::string out =
      b.Conv(y, s.oc, s.k, s.stride, s.dil, s.pads, s.groups, RandomActivation(b), b.Coin(0.8));
  const core::Graph partial = b.Build();
  *h = partial.tensor(out).shape[1];
  *w = partial.tensor(out).shape[2];
  *c = partial.tensor(out).shape[3];
  return out;
}

// A chain of 2 to 4 convs, or with `long_chain` 5 to 8 (dense, depthwise or grouped; kernel 1, 3 or 5;
// stride 1 or 2; any pads) whose only network output is the last layer's: every link may be fused.
core::Graph RandomChain(uint64_t seed, bool long_chain = false) {
  GraphBuilder b(seed);
  int64_t h = b.Uniform(4, 20), w = b.Uniform(4, 20), c = b.Uniform(1, 24);
  std::string y = b.Input({1, h, w, c}, b.Coin(0.8));
  const int64_t layers = long_chain ? b.Uniform(5, 8) : b.Uniform(2, 4);
  for (int64_t i = 0; i < layers; ++i) y = AppendRandomConv(b, y, &h, &w, &c);
  core::Graph g = b.Build();
  g.outputs = {y};
  return g;
}

// A chain of 1 to 3 convs ending in a max or average pool (kernel up to 3, stride 1 or 2, any pads
// below the kernel; average pools with or without the pads counted): the pool may end the group.
core::Graph RandomPoolChain(uint64_t seed) {
  GraphBuilder b(seed);
  int64_t h = b.Uniform(4, 20), w = b.Uniform(4, 20), c = b.Uniform(1, 24);
  std::string y = b.Input({1, h, w, c}, b.Coin(0.8));
  const int64_t layers = b.Uniform(1, 3);
  for (int64_t i = 0; i < layers; ++i) y = AppendRandomConv(b, y, &h, &w, &c);
  const int64_t k = b.Uniform(1, std::min<int64_t>(3, std::min(h, w)));
  const int64_t p = b.Uniform(0, k - 1);
  const bool max = b.Coin();
  y = b.Pool(y, max ? core::OpType::kMaxPool : core::OpType::kAvgPool, k, b.Uniform(1, 2),
             {p, p, b.Uniform(0, p), 0}, !max && b.Coin());
  core::Graph g = b.Build();
  g.outputs = {y};
  return g;
}

// Every link of the chain forced fused.
core::Graph Forced(core::Graph g) {
  for (size_t i = 0; i + 1 < g.ops.size(); ++i) g.ops[i].fusion = core::FusionForce::kNext;
  return g;
}

int Groups(const isa::Program& p) {
  int n = 0;
  for (size_t l = 0; l < p.layers.size(); ++l) n += p.layers[l].group == static_cast<int>(l) ? 1 : 0;
  return n;
}

const char* const kFusionArches[] = {"arch/tiny_4x4.json", "arch/dense_16x16.json", "arch/unpu.json"};

// Seeds from kLongSeeds on draw chains of 5 to 8 convs (groups take up to 8 ops); from kPoolSeeds
// on, chains that end in a pool.
constexpr int kLongSeeds = 100, kPoolSeeds = 200;

// One simulation per test (SystemC elaborates once per process; ctest runs each test alone).
class FusionChains : public ::testing::TestWithParam<std::tuple<int, int>> {
 protected:
  core::ArchConfig Arch() const { return core::LoadArch(SourcePath(kFusionArches[std::get<1>(GetParam())])); }
  core::Graph Chain() const {
    const int seed = std::get<0>(GetParam());
    if (seed >= kPoolSeeds) return RandomPoolChain(static_cast<uint64_t>(seed));
    return RandomChain(static_cast<uint64_t>(seed), seed >= kLongSeeds);
  }
};

// The groups the cost model chose (if any) give the reference executor's values.
TEST_P(FusionChains, ChosenGroupsMatchTheReference) {
  const core::Graph g = Chain();
  ExpectBitExact(g, SimulateAndReference(g, Arch()), false);
}

// Every link forced: one group of the whole chain, or a refusal saying that it does not fit.
TEST_P(FusionChains, ForcedGroupMatchesTheReference) {
  const core::Graph g = Forced(Chain());
  const core::ArchConfig arch = Arch();
  try {
    compiler::Compile(g, arch, g.name);
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no band tiling of the group fits the buffers"), std::string::npos)
        << e.what();
    return;
  }
  const Outcome o = SimulateAndReference(g, arch);
  ExpectBitExact(g, o, false);
  EXPECT_EQ(Groups(o.program), 1);
  for (const isa::LayerMapping& m : o.program.layers) EXPECT_EQ(m.group, 0);
}

// A residual block: 1 to 3 convs and an add of the last one's output and a skip (in either
// order), its output 8 or 16 bits wide. The skip is the block's input when every conv keeps its shape (stride
// 1, "same" padding, as many output channels as inputs: the group can read it from its input band on chip),
// else a second network input of the output's shape.
core::Graph RandomResidualChain(uint64_t seed) {
  GraphBuilder b(seed);
  int64_t h = b.Uniform(3, 16), w = b.Uniform(3, 16), c = b.Uniform(1, 24);
  const std::string x = b.Input({1, h, w, c}, b.Coin(0.8));
  const bool same = b.Coin(0.6);
  std::string y = x;
  const int64_t layers = b.Uniform(1, 3);
  for (int64_t i = 0; i < layers; ++i) {
    if (same) {
      const int64_t k = std::vector<int64_t>{1, 3, 5}[b.Uniform(0, 2)], p = (k - 1) / 2;
      y = b.Conv(y, c, k, 1, 1, {p, p, p, p}, b.Coin(0.3) ? c : 1, RandomActivation(b), b.Coin(0.8));
      continue;
    }
    y = AppendRandomConv(b, y, &h, &w, &c);
  }
  const std::string skip = same ? x : b.Input({1, h, w, c}, b.Coin(0.8), "skip");
  const core::Activation act = b.Coin() ? core::Activation::kRelu : core::Activation::kNone;
  const std::string out = b.Coin() ? b.AddOp(y, skip, act) : b.AddOp(skip, y, act);
  core::Graph g = b.Build();
  g.outputs = {out};
  if (b.Coin(0.3)) g.tensor(out).bits = 16;  // sums wider than the conv's output
  return g;
}

class ResidualChains : public FusionChains {
 protected:
  core::Graph Chain() const { return RandomResidualChain(static_cast<uint64_t>(std::get<0>(GetParam()))); }
};

TEST_P(ResidualChains, ChosenGroupsMatchTheReference) {
  const core::Graph g = Chain();
  ExpectBitExact(g, SimulateAndReference(g, Arch()), false);
}

// Every link forced, the add's included: one group of the whole block, or a refusal.
TEST_P(ResidualChains, ForcedGroupMatchesTheReference) {
  const core::Graph g = Forced(Chain());
  const core::ArchConfig arch = Arch();
  try {
    compiler::Compile(g, arch, g.name);
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no band tiling of the group fits the buffers"), std::string::npos)
        << e.what();
    return;
  }
  const Outcome o = SimulateAndReference(g, arch);
  ExpectBitExact(g, o, false);
  EXPECT_EQ(Groups(o.program), 1);
  for (const isa::LayerMapping& m : o.program.layers) EXPECT_EQ(m.group, 0);
  EXPECT_EQ(o.program.layers.back().unit, arch.post.name);
}

std::string ChainName(const ::testing::TestParamInfo<std::tuple<int, int>>& i) {
  static const char* const kNames[] = {"tiny", "dense", "unpu"};
  return std::string(kNames[std::get<1>(i.param)]) + "_seed" + std::to_string(std::get<0>(i.param));
}

INSTANTIATE_TEST_SUITE_P(Seeds, FusionChains,
                         ::testing::Combine(::testing::Range(1, 25), ::testing::Range(0, 3)), ChainName);

INSTANTIATE_TEST_SUITE_P(LongSeeds, FusionChains,
                         ::testing::Combine(::testing::Range(kLongSeeds + 1, kLongSeeds + 13),
                                            ::testing::Range(0, 3)),
                         ChainName);

INSTANTIATE_TEST_SUITE_P(PoolSeeds, FusionChains,
                         ::testing::Combine(::testing::Range(kPoolSeeds + 1, kPoolSeeds + 17),
                                            ::testing::Range(0, 3)),
                         ChainName);

INSTANTIATE_TEST_SUITE_P(Seeds, ResidualChains,
                         ::testing::Combine(::testing::Range(1, 17), ::testing::Range(0, 3)), ChainName);

// Forced residual blocks fit, and where the skip is the block's input the group reads it from the
// input band on chip in most of them (compile only).
TEST(Fusion, ForcedResidualBlocksKeepTheSkipOnChip) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  int fit = 0, on_chip = 0, wide = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const core::Graph g = Forced(RandomResidualChain(seed));
    try {
      const isa::Program p = compiler::Compile(g, arch, g.name);
      ++fit;
      on_chip += p.layers[0].tiling.find("add's skip from the input band") != std::string::npos ? 1 : 0;
      wide += g.tensor(g.outputs[0]).bits == 16 ? 1 : 0;
    } catch (const core::ConfigError&) {
    }
  }
  EXPECT_GE(fit, 30);
  EXPECT_GE(on_chip, 15);
  EXPECT_GE(wide, 6);  // groups whose sums are wider than the conv's output
  std::cout << fit << " of 40 forced residual blocks fit, " << on_chip << " with the skip on chip, " << wide
            << " with 16-bit sums\n";
}

// Chains of five to eight convs forced into one group fit dense_16x16 in half the cases or more (compile
// only; the FusionChains tests simulate the same chains against the reference), and the cost model chooses
// groups of more than four layers by itself where they pay.
TEST(Fusion, LongChainsFitAsOneGroup) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  int long_chains = 0, fit = 0, chosen_long = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const core::Graph chain = RandomChain(seed, true);
    ++long_chains;
    try {
      const isa::Program p = compiler::Compile(Forced(chain), arch, chain.name);
      fit += Groups(p) == 1 && p.layers.back().group == 0 ? 1 : 0;
    } catch (const core::ConfigError&) {
    }
    const isa::Program p = compiler::Compile(chain, arch, chain.name);
    std::map<int, int> sizes;
    for (const isa::LayerMapping& m : p.layers) sizes[m.group] += m.group >= 0 ? 1 : 0;
    for (const auto& [group, n] : sizes) chosen_long += n > 4 ? 1 : 0;
  }
  EXPECT_GE(fit, long_chains / 2);
  EXPECT_GE(chosen_long, 3);
  std::cout << fit << " of " << long_chains << " forced chains of 5-8 convs fit as one group; the cost model "
            << "chose " << chosen_long << " groups of more than four layers\n";
}

// Chains ending in a pool, forced into one group, fit dense_16x16 in more than half the cases (compile only;
// the PoolSeeds tests simulate such chains against the reference), and the cost model itself ends groups in
// pools where they pay.
TEST(Fusion, PoolChainsFitAsOneGroup) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  int fit = 0, chosen = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const core::Graph chain = RandomPoolChain(seed);
    try {
      const isa::Program p = compiler::Compile(Forced(chain), arch, chain.name);
      fit += Groups(p) == 1 && p.layers.back().group == 0 ? 1 : 0;
    } catch (const core::ConfigError&) {
    }
    const isa::Program p = compiler::Compile(chain, arch, chain.name);
    chosen += p.layers.back().group >= 0 ? 1 : 0;
  }
  EXPECT_GE(fit, 20);  // 25: in the others a layer or the pool skips columns (strided), or no band fits
  EXPECT_GE(chosen, 15);
  std::cout << fit << " of 40 forced conv..pool chains fit as one group; the cost model ended " << chosen
            << " groups in their pool\n";
}

// A first layer that does not read every column of its input (1x1, stride 2, even width) reads
// its input per tile, not as whole-row bands (a band's rows would not be the CONV's tile).
TEST(Fusion, FirstLayerReadingPartRowsMatchesTheReference) {
  GraphBuilder b(11);
  const std::string x = b.Input({1, 10, 12, 8});
  const std::string y1 = b.Conv(x, 16, 1, 2, 1, {0, 0, 0, 0}, 1, core::Activation::kRelu);
  const std::string y2 = b.Conv(y1, 16, 3, 1, 1, {1, 1, 1, 1}, 16, core::Activation::kNone);
  core::Graph g = b.Build();
  g.outputs = {y2};
  g = Forced(g);
  for (const char* file : kFusionArches) {
    const core::ArchConfig arch = core::LoadArch(SourcePath(file));
    const isa::Program p = compiler::Compile(g, arch, g.name);
    EXPECT_NE(p.layers[0].tiling.find("input per tile"), std::string::npos) << p.layers[0].tiling;
  }
  ExpectBitExact(g, SimulateAndReference(g, core::LoadArch(SourcePath("arch/dense_16x16.json"))), false);
}

// Most random chains fit even the tiny arch's buffers when forced (compile only).
TEST(Fusion, MostForcedChainsFitTheBuffers) {
  for (const char* file : kFusionArches) {
    const core::ArchConfig arch = core::LoadArch(SourcePath(file));
    int fit = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      const core::Graph g = Forced(RandomChain(seed));
      try {
        compiler::Compile(g, arch, g.name);
        ++fit;
      } catch (const core::ConfigError&) {
      }
    }
    // The tiny arch's 2 KiB input buffer holds few chains' bands.
    EXPECT_GE(fit, std::string(file) == "arch/tiny_4x4.json" ? 8 : 30) << file;
    std::cout << file << ": " << fit << " of 40 forced chains fit\n";
  }
}

// Timing mode gives the exact run's cycles on fused programs too (each run in a forked child).
TEST(Fusion, TimingModeCyclesEqualExactMode) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  int compared = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    core::Graph g = Forced(RandomChain(seed));
    try {
      compiler::Compile(g, arch, g.name);
    } catch (const core::ConfigError&) {
      continue;
    }
    const nlohmann::json exact = sim::FiguresInChild(arch, g, g.name, true, models::ExecMode::kExact);
    const nlohmann::json timing = sim::FiguresInChild(arch, g, g.name, true, models::ExecMode::kTiming);
    ASSERT_FALSE(exact.contains("error")) << exact.dump();
    EXPECT_GT(exact["cycles"].get<uint64_t>(), 0u);
    EXPECT_EQ(exact, timing) << "seed " << seed;
    ++compared;
  }
  EXPECT_GE(compared, 4);
}

// conv 3x3 (8 -> 16) -> depthwise 3x3 -> pointwise (16 -> `out`) on a 12 x 12 image, fused.
core::Graph HandChain(int64_t out = 8) {
  GraphBuilder b(7);
  const std::string x = b.Input({1, 12, 12, 8});
  const std::string y1 = b.Conv(x, 16, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kRelu);
  const std::string y2 = b.Conv(y1, 16, 3, 1, 1, {1, 1, 1, 1}, 16, core::Activation::kRelu6);
  const std::string y3 = b.Conv(y2, out, 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kNone);
  core::Graph g = b.Build();
  g.outputs = {y3};
  return Forced(g);
}

int64_t GroupDramBytes(const sim::Result& r) {
  int64_t bytes = 0;
  for (const sim::LayerStats& L : r.layers) bytes += L.dram_read_bytes + L.dram_write_bytes;
  return bytes;
}

// The group's weights and per-channel parameters (12 bytes per output channel), once; its input
// and output.
constexpr int64_t HandWeights(int64_t out) {
  return 16 * 9 * 8 + 16 * 9 * 1 + out * 16 + 12 * (16 + 16 + out);
}
constexpr int64_t HandInOut(int64_t out) { return 12 * 12 * 8 + 12 * 12 * out; }

// conv 3x3 -> conv 3x3 (16 channels, 12 x 12) -> add of the block's input, forced into one group:
// the input is read once, for the first conv and (from its band on chip) the add, the sum written
// once, the weights and parameters loaded once: the last conv's output never reaches DRAM.
TEST(Fusion, DramBytesOfAResidualGroupWithTheSkipOnChipAreItsClosedForm) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  GraphBuilder b(5);
  const std::string x = b.Input({1, 12, 12, 16});
  const std::string y1 = b.Conv(x, 16, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kRelu);
  const std::string y2 = b.Conv(y1, 16, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kNone);
  const std::string sum = b.AddOp(y2, x, core::Activation::kRelu);
  core::Graph g = b.Build();
  g.outputs = {sum};
  g = Forced(g);
  const sim::Compiled c = sim::Compile(arch, g, g.name);
  const std::string& tiling = c.program.layers[0].tiling;
  ASSERT_NE(tiling.find("weights resident, add's skip from the input band"), std::string::npos) << tiling;
  const int64_t weights = 2 * (16 * 9 * 16 + 12 * 16), in_out = 2 * 12 * 12 * 16;
  const sim::Result r = sim::Run(c, sim::GraphInputs(g), {});
  EXPECT_EQ(GroupDramBytes(r), in_out + weights);
  EXPECT_EQ(c.program.layers[0].group_estimated_dram_bytes, in_out + weights);
  EXPECT_EQ(r.layers[2].dram_read_bytes, 0);  // the add reads nothing from DRAM
  EXPECT_EQ(r.layers[2].dram_write_bytes, 12 * 12 * 16);
}

// Weights resident and halos kept: the group reads its input and weights once and writes its
// output once: nothing else reaches DRAM. A 6 KiB input buffer holds the group's bands with their
// line buffers but not the whole image as one band (which the shipped 128 KiB would).
TEST(Fusion, DramBytesOfAResidentLineBufferedGroupAreItsClosedForm) {
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  for (core::BufferConfig& b : arch.buffers) {
    if (b.name == "ibuf") b.size_bytes = 6144;
  }
  const core::Graph g = HandChain();
  const sim::Compiled c = sim::Compile(arch, g, g.name);
  const std::string& tiling = c.program.layers[0].tiling;
  ASSERT_NE(tiling.find("halo rows kept, input per band, weights resident"), std::string::npos) << tiling;
  const sim::Result r = sim::Run(c, sim::GraphInputs(g), {});
  EXPECT_EQ(GroupDramBytes(r), HandInOut(8) + HandWeights(8));
  EXPECT_EQ(c.program.layers[0].group_estimated_dram_bytes, HandInOut(8) + HandWeights(8));
}

// A weight buffer too small for the group's weights together, with the pointwise layer in four tiles
// a, b, c and d of 16 channels, each fitting a slot of 1,536: tiles go through the two weight slots.
// With 4-row bands (3 bands) the emitter asks, step by step (layer k on band t - k): t0 w0 | t1 w0 w1 |
// t2 w0 w1 a b c d | t3 w1 a b c d | t4 a b c d, which two least-recently-used slots serve as loads
// of w0 once, w1 twice and each pointwise tile three times. (A 4.5 KiB input buffer: with more, the
// group runs as one band, which loads each tile once.)
TEST(Fusion, DramBytesOfAGroupThatRefetchesWeightsAreItsClosedForm) {
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  for (core::BufferConfig& b : arch.buffers) {
    if (b.name == "wbuf") b.size_bytes = 3072;
    if (b.name == "ibuf") b.size_bytes = 4608;
  }
  const core::Graph g = HandChain(64);
  const sim::Compiled c = sim::Compile(arch, g, g.name);
  const std::string& tiling = c.program.layers[0].tiling;
  ASSERT_NE(tiling.find("band 4 rows, last layer oc tile 16"), std::string::npos) << tiling;
  ASSERT_NE(tiling.find("halo rows kept, input per band, weights re-fetched per band"), std::string::npos)
      << tiling;
  const int64_t w0 = 16 * 9 * 8 + 12 * 16, w1 = 16 * 9 + 12 * 16, pw_tile = 16 * 16 + 12 * 16;
  const int64_t expected = HandInOut(64) + w0 + 2 * w1 + 3 * 4 * pw_tile;
  const sim::Result r = sim::Run(c, sim::GraphInputs(g), {});
  EXPECT_EQ(GroupDramBytes(r), expected) << tiling;
  EXPECT_EQ(c.program.layers[0].group_estimated_dram_bytes, expected);
}

// The same group with the input buffer as shipped (128 KiB): it runs as one band, the whole image,
// so both intermediate tensors stay on chip whole and each weight tile is loaded once, though the
// weights do not fit the weight buffer together.
TEST(Fusion, DramBytesOfAOneBandGroupAreItsClosedForm) {
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  for (core::BufferConfig& b : arch.buffers) {
    if (b.name == "wbuf") b.size_bytes = 3072;
  }
  const core::Graph g = HandChain(64);
  const sim::Compiled c = sim::Compile(arch, g, g.name);
  const std::string& tiling = c.program.layers[0].tiling;
  ASSERT_NE(tiling.find("band 12 rows, last layer oc tile 16"), std::string::npos) << tiling;
  ASSERT_NE(tiling.find("weights re-fetched per band"), std::string::npos) << tiling;
  const int64_t w0 = 16 * 9 * 8 + 12 * 16, w1 = 16 * 9 + 12 * 16, pw_tile = 16 * 16 + 12 * 16;
  const int64_t expected = HandInOut(64) + w0 + w1 + 4 * pw_tile;
  const sim::Result r = sim::Run(c, sim::GraphInputs(g), {});
  EXPECT_EQ(GroupDramBytes(r), expected) << tiling;
  EXPECT_EQ(c.program.layers[0].group_estimated_dram_bytes, expected);
}

// conv 3x3 (12 x 12 x 8 -> 16 channels) -> max pool 3x3 stride 2 (ResNet's stem shape), forced into
// one group: the input and the weights are read once and only the pooled output is written; the
// conv's output never reaches DRAM.
TEST(Fusion, DramBytesOfAConvPoolGroupAreItsClosedForm) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  GraphBuilder b(9);
  const std::string x = b.Input({1, 12, 12, 8});
  const std::string y1 = b.Conv(x, 16, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kRelu);
  const std::string y2 = b.Pool(y1, core::OpType::kMaxPool, 3, 2, {1, 1, 0, 0});
  core::Graph g = b.Build();
  g.outputs = {y2};
  g = Forced(g);
  const sim::Compiled c = sim::Compile(arch, g, g.name);
  ASSERT_EQ(c.program.layers[1].group, 0) << c.program.layers[1].tiling;
  const int64_t weights = 16 * 9 * 8 + 12 * 16, in = 12 * 12 * 8, out = 6 * 6 * 16;
  const sim::Result r = sim::Run(c, sim::GraphInputs(g), {});
  EXPECT_EQ(GroupDramBytes(r), in + weights + out);
  EXPECT_EQ(c.program.layers[0].group_estimated_dram_bytes, in + weights + out);
  EXPECT_EQ(r.layers[0].dram_write_bytes, 0);  // the conv's output stays on chip
  EXPECT_EQ(r.layers[1].dram_read_bytes, 0);
  EXPECT_EQ(r.layers[1].dram_write_bytes, out);
}

// Over the shipped workloads, the groups the mapper chose are, together, rated no worse (cycles,
// then DRAM bytes) than their layers run alone; and --fusion none leaves every layer alone.
TEST(Fusion, ChosenPlanIsNeverRatedWorseThanUnfused) {
  int groups = 0;
  for (const char* arch_file : {"arch/unpu.json", "arch/dense_16x16.json", "arch/tiny_4x4.json"}) {
    const core::ArchConfig arch = core::LoadArch(SourcePath(arch_file));
    for (const char* net : {"workloads/mobilenet_q4.json", "workloads/mobilenet_v1_q8.json",
                            "workloads/small_resnet.json", "workloads/tiny_conv.json"}) {
      const core::Graph g = core::LoadNetwork(SourcePath(net));
      isa::Program p;
      try {
        p = compiler::Compile(g, arch, net);
      } catch (const core::ConfigError&) {
        continue;  // bit widths the arch does not run
      }
      int64_t cycles = 0, bytes = 0, unfused_cycles = 0, unfused_bytes = 0;
      for (size_t l = 0; l < p.layers.size(); ++l) {
        const isa::LayerMapping& m = p.layers[l];
        if (m.group != static_cast<int>(l)) continue;
        ++groups;
        cycles += m.group_estimated_cycles;
        bytes += m.group_estimated_dram_bytes;
        unfused_cycles += m.group_unfused_cycles;
        unfused_bytes += m.group_unfused_dram_bytes;
      }
      SCOPED_TRACE(std::string(arch_file) + " " + net);
      EXPECT_TRUE(cycles < unfused_cycles || (cycles == unfused_cycles && bytes <= unfused_bytes))
          << cycles << " vs " << unfused_cycles;
      compiler::CompileOptions none;
      none.fusion = compiler::CompileOptions::Fusion::kNone;
      for (const isa::LayerMapping& m : compiler::Compile(g, arch, net, none).layers) EXPECT_EQ(m.group, -1);
    }
  }
  EXPECT_GT(groups, 0);
}

// A block of 1 to 3 shape-keeping convs (kernel 1, 3 or 5, dense or depthwise), maybe ending in a
// residual add, repeated 2 to 4 times with the same shapes and attributes (other weights): the
// candidates the fusion planner rates once per signature.
core::Graph RepeatedBlocks(uint64_t seed) {
  GraphBuilder b(seed);
  const int64_t h = b.Uniform(3, 24), w = b.Uniform(3, 24), c = b.Uniform(1, 32);
  std::string y = b.Input({1, h, w, c}, b.Coin(0.8));
  struct Layer {
    int64_t k, groups;
    core::Activation act;
  };
  std::vector<Layer> block(static_cast<size_t>(b.Uniform(1, 3)));
  for (Layer& l : block)
    l = {std::vector<int64_t>{1, 3, 5}[b.Uniform(0, 2)], b.Coin(0.4) ? c : 1, RandomActivation(b)};
  const bool residual = b.Coin(0.5);
  const int64_t repeats = b.Uniform(2, 4);
  for (int64_t r = 0; r < repeats; ++r) {
    const std::string in = y;
    for (const Layer& l : block) {
      const int64_t p = (l.k - 1) / 2;
      y = b.Conv(y, c, l.k, 1, 1, {p, p, p, p}, l.groups, l.act, true);
    }
    if (residual) y = b.AddOp(y, in, core::Activation::kNone);
  }
  core::Graph g = b.Build();
  g.outputs = {y};
  return g;
}

// The planner's memo (CompileOptions::plan_memo) changes no choice: every program is the same,
// instruction for instruction, as when every candidate group is rated afresh.
TEST(Fusion, PlanMemoGivesTheProgramsOfRatingEveryCandidate) {
  std::vector<std::pair<std::string, core::Graph>> nets;
  for (uint64_t seed = 0; seed < 30; ++seed)
    nets.emplace_back("seed " + std::to_string(seed), RepeatedBlocks(seed));
  for (const char* net : {"workloads/mobilenet_q4.json", "workloads/small_resnet.json"}) {
    nets.emplace_back(net, core::LoadNetwork(SourcePath(net)));
  }
  int groups = 0;
  for (const char* arch_file : kFusionArches) {
    const core::ArchConfig arch = core::LoadArch(SourcePath(arch_file));
    for (const auto& [name, g] : nets) {
      for (const char* objective : {"cycles", "energy", "edp"}) {
        SCOPED_TRACE(std::string(arch_file) + " " + name + " " + objective);
        compiler::CompileOptions memo, fresh;
        memo.objective = fresh.objective = objective;
        fresh.plan_memo = false;
        isa::Program p;
        try {
          p = compiler::Compile(g, arch, name, memo);
        } catch (const core::ConfigError& e) {
          EXPECT_THROW(compiler::Compile(g, arch, name, fresh), core::ConfigError) << e.what();
          continue;  // bit widths the arch does not run
        }
        EXPECT_EQ(isa::Listing(p), isa::Listing(compiler::Compile(g, arch, name, fresh)));
        groups += Groups(p);
      }
    }
  }
  EXPECT_GT(groups, 50);
}

// Forcing that cannot be honoured names the op's "fusion" and why.
TEST(Fusion, ForcingThatCannotBeHonouredIsRefused) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  core::Graph g = HandChain();
  g.outputs.push_back(g.ops[0].outputs[0]);  // op0's output is now read outside the chain too
  try {
    compiler::Compile(g, arch, "chain.json");
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(
        std::string(e.what()).find("chain.json: /ops/0/fusion: layer \"op0\": \"next\" asks to run it fused "
                                   "with the op after it; its output is a network output"),
        std::string::npos)
        << e.what();
  }
  const core::ArchConfig sparse = core::LoadArch(SourcePath("arch/scalpel_mcu.json"));
  try {
    compiler::Compile(HandChain(), sparse, "chain.json");
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("fusion is not supported on unit"), std::string::npos) << e.what();
  }
}

// Every conv layer not fused with the next op says why: what the graph rules out, what the net file
// forbids, and what the cost model rated (its estimate of the pair against each alone).
TEST(Fusion, EveryConvNotFusedWithTheNextSaysWhy) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  const core::Graph resnet = core::LoadNetwork(SourcePath("workloads/small_resnet.json"));
  const isa::Program p = compiler::Compile(resnet, arch, "small_resnet.json");
  EXPECT_EQ(p.layers[0].fusion_note,
            "not fused with \"conv2\": its output is read by 2 ops (a residual branch)");
  // conv2 -> res may run as a group (conv and trailing add): fused, or the cost model's note.
  if (p.layers[1].group < 0) {
    EXPECT_NE(p.layers[1].fusion_note.find("not fused with \"res\": the two fused est "), std::string::npos)
        << p.layers[1].fusion_note;
  } else {
    EXPECT_EQ(p.layers[2].group, 1);
  }
  EXPECT_EQ(p.layers[2].fusion_note, "");  // not a conv layer
  // An add that reads the conv's output twice cannot take it from the post-processor's buffer.
  GraphBuilder twice(3);
  const std::string t =
      twice.Conv(twice.Input({1, 6, 6, 4}), 4, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kNone);
  twice.AddOp(t, t, core::Activation::kNone);
  EXPECT_EQ(compiler::Compile(twice.Build(), arch, "twice.json").layers[0].fusion_note,
            "not fused with \"op1\": the add reads it twice");
  core::Graph chain = HandChain();
  chain.ops[0].fusion = core::FusionForce::kNone;
  chain.ops[1].fusion = core::FusionForce::kAuto;
  const isa::Program q = compiler::Compile(chain, arch, "chain.json");
  EXPECT_EQ(q.layers[0].fusion_note, "not fused with \"op1\": the net file's \"fusion\": \"none\"");
  // op1 -> op2 is left to the cost model: fused, or a note with both estimates.
  if (q.layers[1].group < 0) {
    EXPECT_NE(q.layers[1].fusion_note.find("not fused with \"op2\": the two fused est "), std::string::npos)
        << q.layers[1].fusion_note;
    EXPECT_NE(q.layers[1].fusion_note.find("(objective cycles)"), std::string::npos);
  } else {
    EXPECT_EQ(q.layers[1].fusion_note, "");
  }
  compiler::CompileOptions none;
  none.fusion = compiler::CompileOptions::Fusion::kNone;
  for (const isa::LayerMapping& m : compiler::Compile(resnet, arch, "r", none).layers)
    EXPECT_EQ(m.fusion_note, "");
}

}  // namespace
}  // namespace npusim::testing

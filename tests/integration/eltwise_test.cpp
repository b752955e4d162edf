// mul (elementwise and one factor per channel), lookup and concat: random squeeze-excitation /
// hardswish-shaped networks and concatenations along channels, height and width simulated on the
// shipped arch families must equal the reference executor value for value, in both
// requantization modes; the post-processor's cycles for MUL and LOOKUP follow their closed forms,
// and a concat moves every byte once.
#include <gtest/gtest.h>

#include "config/arch.h"
#include "tests/integration/harness.h"

namespace npusim::testing {
namespace {

const ArchVariant kEltwiseVariants[] = {
    {"dense", "arch/dense_16x16.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"dense_fixed", "arch/dense_16x16.json", 32, core::Overflow::kWrap, core::RequantMode::kFixedPoint},
    {"tiny", "arch/tiny_4x4.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"unpu", "arch/unpu.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"sagar", "arch/sagar_128x128.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"scalpel_mcu", "arch/scalpel_mcu.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
};

// x -> conv -> lookup (an activation table) -> h; h -> global pool -> lookup (the gate) -> g;
// mul(h, g) per channel; mul(that, h) elementwise; a 1x1 conv to finish.
core::Graph RandomEltwiseNet(uint64_t seed) {
  GraphBuilder b(seed);
  const int64_t hw = b.Uniform(2, 14), c = b.Uniform(1, 40);
  const std::string x = b.Input({1, hw, hw, b.Uniform(1, 8)}, b.Coin());
  const std::string h = b.LookupOp(b.Conv(x, c, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kNone));
  const std::string g = b.LookupOp(b.Pool(h, core::OpType::kGlobalAvgPool, 1, 1, {0, 0, 0, 0}));
  const std::string m = b.MulOp(h, g);
  const std::string m2 = b.MulOp(m, h);
  b.Conv(m2, b.Uniform(1, 16), 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kRelu);
  return b.Build();
}

// Two convs joined along channels, then along height and width with itself, and a conv after.
core::Graph RandomConcatNet(uint64_t seed) {
  GraphBuilder b(seed);
  const int64_t h = b.Uniform(1, 12), w = b.Uniform(1, 12);
  const std::string x = b.Input({1, h, w, b.Uniform(1, 8)}, b.Coin());
  const std::string a = b.Conv(x, b.Uniform(1, 40), 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kNone);
  const std::string c = b.Conv(x, b.Uniform(1, 40), 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kRelu);
  const std::string channels = b.ConcatOp({a, c, a}, 3);
  b.Conv(channels, b.Uniform(1, 16), 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kNone);
  b.ConcatOp({b.ConcatOp({channels, channels}, 1), b.ConcatOp({channels, channels}, 1)}, 2);
  return b.Build();
}

// avg_pool with ONNX Runtime's float32 averaging ("accumulate": "float32"), padded and strided,
// with and without count_include_pad, next to the integer one.
core::Graph RandomFloatAvgPoolNet(uint64_t seed) {
  GraphBuilder b(seed);
  const int64_t hw = b.Uniform(3, 14);
  const std::string x = b.Input({1, hw, hw, b.Uniform(1, 8)}, b.Coin());
  const std::string h = b.Conv(x, b.Uniform(1, 40), 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kNone);
  const int64_t k = b.Uniform(1, 3);
  const std::array<int64_t, 4> pads{b.Uniform(0, k - 1), b.Uniform(0, k - 1), b.Uniform(0, k - 1),
                                    b.Uniform(0, k - 1)};
  b.Pool(h, core::OpType::kAvgPool, k, b.Uniform(1, 2), pads, b.Coin(), true);
  b.Pool(h, core::OpType::kAvgPool, k, 1, pads, b.Coin(), false);
  return b.Build();
}

class EltwiseTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(EltwiseTest, SimulatedFloatAveragePoolEqualsReference) {
  const auto [seed, variant] = GetParam();
  const core::Graph g = RandomFloatAvgPoolNet(7000 + seed);
  const Outcome o = SimulateAndReference(g, LoadVariant(kEltwiseVariants[variant]));
  ExpectBitExact(g, o, true);
}

TEST_P(EltwiseTest, SimulatedConcatEqualsReference) {
  const auto [seed, variant] = GetParam();
  const core::Graph g = RandomConcatNet(6000 + seed);
  const Outcome o = SimulateAndReference(g, LoadVariant(kEltwiseVariants[variant]));
  ExpectBitExact(g, o, true);
}

TEST_P(EltwiseTest, SimulatedMulAndLookupEqualReference) {
  const auto [seed, variant] = GetParam();
  const ArchVariant& v = kEltwiseVariants[variant];
  const core::Graph g = RandomEltwiseNet(5000 + seed);
  const Outcome o = SimulateAndReference(g, LoadVariant(v));
  ExpectBitExact(g, o, true);
}

std::string EltwiseParamName(const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
  return std::string(kEltwiseVariants[std::get<1>(info.param)].name) + "_seed" +
         std::to_string(std::get<0>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Seeds, EltwiseTest,
                         ::testing::Combine(::testing::Range(0, 8), ::testing::Range(0, 6)),
                         EltwiseParamName);

// [1, 4, 4, 16] (n = 256 values) on dense_16x16 (L = 16 lanes, P = 4): one chunk each.
// LOOKUP reads its 256-entry table into the lanes, then maps n values: P + ceil((256 + n) / L);
// a per-channel MUL reads n values and C = 16 factors: P + ceil(n / L).
TEST(Eltwise, LookupAndMulCyclesAndCountsFollowTheirClosedForms) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  GraphBuilder b(11);
  const std::string x = b.Input({1, 4, 4, 16}, false);
  const std::string h = b.LookupOp(x);
  const std::string g = b.LookupOp(b.Pool(h, core::OpType::kGlobalAvgPool, 1, 1, {0, 0, 0, 0}));
  b.MulOp(h, g);
  const core::Graph net = b.Build();
  const Outcome o = SimulateAndReference(net, arch);
  ExpectBitExact(net, o, true);
  const std::string listing = isa::Listing(o.program);
  EXPECT_NE(listing.find("LOOKUP table=b0+0x100[256]"), std::string::npos) << listing;
  EXPECT_NE(listing.find("MUL b0+0x10000 * b0+0x10100[16] -> b3+0x8000 n=256"), std::string::npos) << listing;
  const int post = static_cast<int>(isa::Queue::kPost);
  EXPECT_EQ(o.run.layer_busy[0][post], 4u + (256 + 256) / 16);      // lookup of x
  EXPECT_EQ(o.run.layer_busy[2][post], 4u + (256 + 16 + 15) / 16);  // lookup of the 16 pooled values
  EXPECT_EQ(o.run.layer_busy[3][post], 4u + 256 / 16);              // mul
}

// concat is DMA only: every input byte is loaded once and stored once, at its offset; on
// tiny_4x4 the rows of a large channel concat go in several pieces. (One simulation per test
// process: SystemC elaborates once.)
void ExpectConcatMovesEveryByteOnce(const char* arch_file) {
  const core::ArchConfig arch = core::LoadArch(SourcePath(arch_file));
  GraphBuilder b(13);
  const std::string x = b.Input({1, 20, 20, 3});
  const std::string a = b.Conv(x, 64, 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kNone);
  const std::string c = b.Conv(x, 48, 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kNone);
  b.ConcatOp({a, c}, 3);
  const core::Graph net = b.Build();
  const Outcome o = SimulateAndReference(net, arch);
  ExpectBitExact(net, o, true);
  int64_t loaded = 0, stored = 0, transfers = 0;
  for (const isa::Instruction& in : o.program.instructions) {
    if (in.layer != 2) continue;
    ASSERT_TRUE(in.op == isa::Opcode::kLoad || in.op == isa::Opcode::kStore) << isa::FormatInstruction(in);
    (in.op == isa::Opcode::kLoad ? loaded : stored) += in.dma().bytes();
    ++transfers;
  }
  EXPECT_EQ(loaded, 20 * 20 * (64 + 48)) << arch_file;
  EXPECT_EQ(stored, 20 * 20 * (64 + 48)) << arch_file;
  EXPECT_EQ(transfers, 2 * o.program.layers[2].tiles);
  EXPECT_EQ(o.run.layer_busy[2][static_cast<int>(isa::Queue::kPost)], 0u);
}

TEST(Eltwise, ConcatMovesEveryByteOnceDense) { ExpectConcatMovesEveryByteOnce("arch/dense_16x16.json"); }
TEST(Eltwise, ConcatMovesEveryByteOnceInPiecesOnTiny) {
  ExpectConcatMovesEveryByteOnce("arch/tiny_4x4.json");
}

}  // namespace
}  // namespace npusim::testing

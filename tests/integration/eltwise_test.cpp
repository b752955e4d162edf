// mul (elementwise and one factor per channel) and lookup: random squeeze-excitation /
// hardswish-shaped networks simulated on the shipped arch families must equal the reference
// executor value for value, in both requantization modes; and the post-processor's cycles,
// action counts and buffer traffic for MUL and LOOKUP follow their closed forms.
#include <gtest/gtest.h>

#include "core/arch.h"
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

class EltwiseTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(EltwiseTest, SimulatedMulAndLookupEqualReference) {
  const auto [seed, variant] = GetParam();
  const ArchVariant& v = kEltwiseVariants[variant];
  const core::Graph g = RandomEltwiseNet(5000 + seed);
  const Outcome o = SimulateAndReference(g, LoadVariant(v));
  ExpectBitExact(g, o, true);
}

std::string EltwiseParamName(const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
  return std::string(kEltwiseVariants[std::get<1>(info.param)].name) + "_seed" + std::to_string(std::get<0>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Seeds, EltwiseTest, ::testing::Combine(::testing::Range(0, 8), ::testing::Range(0, 6)),
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
  EXPECT_EQ(o.run.layer_busy[0][post], 4u + (256 + 256) / 16);    // lookup of x
  EXPECT_EQ(o.run.layer_busy[2][post], 4u + (256 + 16 + 15) / 16);  // lookup of the 16 pooled values
  EXPECT_EQ(o.run.layer_busy[3][post], 4u + 256 / 16);            // mul
}

}  // namespace
}  // namespace npusim::testing

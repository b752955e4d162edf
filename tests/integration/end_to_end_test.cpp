// End to end: random small networks compiled for and simulated on the shipped archs (and variants
// with a 16-bit accumulator that overflows, in both overflow modes, and with fixed-point
// requantization); every layer's output must equal the reference executor's, value for value.
#include <gtest/gtest.h>

#include "config/arch.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

const ArchVariant kVariants[] = {
    {"dense", "arch/dense_16x16.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"tiny", "arch/tiny_4x4.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"tiny_fixed_point", "arch/tiny_4x4.json", 32, core::Overflow::kWrap, core::RequantMode::kFixedPoint},
    {"dense_acc16_wrap", "arch/dense_16x16.json", 16, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"tiny_acc16_saturate", "arch/tiny_4x4.json", 16, core::Overflow::kSaturate,
     core::RequantMode::kOnnxFloat},
    {"dense_saturate", "arch/dense_16x16.json", 32, core::Overflow::kSaturate,
     core::RequantMode::kFixedPoint},
};

class RandomNetTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(RandomNetTest, SimulatedOutputsEqualReference) {
  const auto [seed, variant] = GetParam();
  const ArchVariant& v = kVariants[variant];
  const core::Graph g = RandomNet(1000 + seed);
  ExpectBitExact(g, SimulateAndReference(g, LoadVariant(v)), v.acc_bits == 32);
}

TEST_P(RandomNetTest, MlpOutputsEqualReference) {
  const auto [seed, variant] = GetParam();
  const core::Graph g = RandomMlp(2000 + seed);
  ExpectBitExact(g, SimulateAndReference(g, LoadVariant(kVariants[variant])), false);
}

std::string ParamName(const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
  return std::string(kVariants[std::get<1>(info.param)].name) + "_seed" +
         std::to_string(std::get<0>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomNetTest,
                         ::testing::Combine(::testing::Range(0, 8), ::testing::Range(0, 6)), ParamName);

}  // namespace
}  // namespace npusim::testing

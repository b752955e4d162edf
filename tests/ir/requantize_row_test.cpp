// core::RequantizeRow (the vectorised float-mode requantization the post-processor runs over rows
// of accumulators; the reference executor keeps to core::Requantize) equals core::Requantize value for value:
// ties, clamps at both ends, huge and tiny multipliers, signed and unsigned ranges; and RowRequantApplies
// refuses the cases where it could differ.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "ir/quant.h"

namespace npusim::core {
namespace {

struct Range {
  int32_t zero_point, out_min, out_max;
};

// RequantizeRow over `acc` in rows of m.size() channels against Requantize, value by value.
void ExpectSameAsRequantize(const std::vector<int32_t>& acc, const std::vector<float>& m, Range r) {
  const int64_t n = static_cast<int64_t>(m.size());
  ASSERT_TRUE(RowRequantApplies(m.data(), n, r.zero_point, r.out_min, r.out_max));
  std::vector<uint8_t> bytes(n * 4);
  std::vector<int32_t> out(n);
  for (size_t row = 0; row * n < acc.size(); ++row) {
    std::memcpy(bytes.data(), &acc[row * n], bytes.size());
    RequantizeRow(bytes.data(), m.data(), n, r.zero_point, r.out_min, r.out_max, out.data());
    for (int64_t c = 0; c < n; ++c) {
      Requant q;
      q.float_multiplier = m[c];
      q.out_zero_point = r.zero_point;
      q.out_min = r.out_min;
      q.out_max = r.out_max;
      ASSERT_EQ(out[c], Requantize(acc[row * n + c], q)) << "acc " << acc[row * n + c] << " m " << m[c];
    }
  }
}

TEST(RequantizeRow, TiesRoundHalfToEven) {
  const int32_t acc[4] = {1, 3, 5, -5};  // x 0.5: 0.5, 1.5, 2.5, -2.5
  const std::vector<float> m(4, 0.5f);
  int32_t out[4];
  RequantizeRow(reinterpret_cast<const uint8_t*>(acc), m.data(), 4, 0, -128, 127, out);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 2);
  EXPECT_EQ(out[2], 2);
  EXPECT_EQ(out[3], -2);
  std::vector<int32_t> all;
  for (int32_t v = -41; v <= 41; ++v) all.push_back(v);
  ExpectSameAsRequantize(all, {0.5f}, {0, -128, 127});
  ExpectSameAsRequantize(all, {0.25f}, {3, -128, 127});
}

TEST(RequantizeRow, RandomAccumulatorsAndMultipliersPerChannel) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> any(std::numeric_limits<int32_t>::min(),
                                             std::numeric_limits<int32_t>::max());
  std::uniform_int_distribution<int32_t> small(-70000, 70000);
  std::uniform_real_distribution<float> exponent(-40.0f, 10.0f);
  for (int trial = 0; trial < 20; ++trial) {
    const int64_t channels = 1 + trial * 7;
    std::vector<float> m(channels);
    for (float& x : m) x = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, exponent(rng));
    m[0] = 3.0e38f;  // a huge multiplier: every nonzero product clamps
    std::vector<int32_t> acc(channels * 9);
    for (size_t i = 0; i < acc.size(); ++i) acc[i] = (i % 3 == 0) ? any(rng) : small(rng);
    ExpectSameAsRequantize(acc, m, {-128, -128, -32});  // int8 with a relu6-like clamp
    ExpectSameAsRequantize(acc, m, {5, -128, 127});
    ExpectSameAsRequantize(acc, m, {131, 0, 255});        // uint8
    ExpectSameAsRequantize(acc, m, {0, -8, 7});           // 4-bit
    ExpectSameAsRequantize(acc, m, {-7, -32768, 32767});  // 16-bit
  }
}

TEST(RequantizeRow, NotTakenWhereItCouldDiffer) {
  const float one = 1.0f, nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(RowRequantApplies(&one, 1, 0, -128, 127));
  EXPECT_FALSE(RowRequantApplies(&nan, 1, 0, -128, 127));
  EXPECT_FALSE(RowRequantApplies(&inf, 1, 0, -128, 127));
  EXPECT_FALSE(RowRequantApplies(&one, 1, 1 << 24, -128, 127));  // bounds - zero point beyond 2^23
  EXPECT_FALSE(RowRequantApplies(&one, 1, 0, std::numeric_limits<int32_t>::min(), 0));
  EXPECT_FALSE(RowRequantApplies(&one, 1, 0, 5, 4));  // an empty range
}

}  // namespace
}  // namespace npusim::core

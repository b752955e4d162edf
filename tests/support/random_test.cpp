#include "support/random.h"

#include <gtest/gtest.h>

namespace npusim::core {
namespace {

// Expected values computed independently with Python integers (arbitrary precision, masked to 64
// bits), following docs/formats.md:
//   def sm(seed, i):
//       z = (seed + (i + 1) * 0x9E3779B97F4A7C15) % 2**64
//       z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
//       z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
//       return z ^ (z >> 31)
// 0xe220a8397b1dcdaf is also the first output of Vigna's reference splitmix64.c seeded with 0.

TEST(RandomTest, SplitMix64MatchesReferenceStream) {
  EXPECT_EQ(SplitMix64At(0, 0), 0xe220a8397b1dcdafull);
  EXPECT_EQ(SplitMix64At(0, 1), 0x6e789e6aa1b965f4ull);
  EXPECT_EQ(SplitMix64At(0, 2), 0x06c45d188009454full);
  // Seed arithmetic wraps modulo 2^64.
  EXPECT_EQ(SplitMix64At(0xFFFFFFFFFFFFFFFFull, 10), 0x03b234961e71cf15ull);
}

TEST(RandomTest, IntIsMinPlusZModRange) {
  // [a + sm(1, i) % (b - a + 1) for i in range(8)] with a, b = -128, 127
  const int64_t seed1[] = {65, -25, -34, -117, 57, 0, 37, -11};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(RandomInt(1, i, -128, 127), seed1[i]) << i;
  const int64_t seed3[] = {-4, -91, -103, 70, 14};  // min -127, max 127
  for (int i = 0; i < 5; ++i) EXPECT_EQ(RandomInt(3, i, -127, 127), seed3[i]) << i;
  const int64_t seed5[] = {10, 8, 7, 5, 5, 4};  // unsigned 4-bit: 0..15
  for (int i = 0; i < 6; ++i) EXPECT_EQ(RandomInt(5, i, 0, 15), seed5[i]) << i;
}

TEST(RandomTest, IntCoversTheFullInt32Range) {
  // Range 2^32 does not fit in int32; min -2^31, max 2^31 - 1.
  const int64_t expected[] = {-651031081, 1950115356, 984689154};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(RandomInt(7, i, INT32_MIN, INT32_MAX), expected[i]) << i;
  }
}

TEST(RandomTest, IntWithEqualBoundsIsConstant) {
  for (int i = 0; i < 4; ++i) EXPECT_EQ(RandomInt(9, i, 42, 42), 42);
}

TEST(RandomTest, ScaleIsFloat32OfMinPlusSpanTimesUnit) {
  // struct.unpack('f', struct.pack('f', a + (b - a) * (sm(2, i) >> 11) * 2.0**-53))[0]
  const float expected[] = {0.015911897644400597f, 0.017491497099399567f, 0.01595638133585453f,
                            0.017654191702604294f};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(RandomScale(2, i, 0.01, 0.02), expected[i]) << i;
}

}  // namespace
}  // namespace npusim::core

#include "support/random.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>
#include <vector>

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

TEST(RandomTest, RemainderEqualsModuloForEdgeNumeratorsAndDivisors) {
  const uint64_t divisors[] = {1,
                               2,
                               3,
                               7,
                               15,
                               16,
                               255,
                               28221,
                               65521,
                               0xFFFFFFFFu,
                               0x100000000u,
                               0x100000001u,
                               (1ull << 63) - 1,
                               1ull << 63,
                               (1ull << 63) + 1,
                               ~0ull - 1,
                               ~0ull};
  for (uint64_t d : divisors) {
    const Remainder64 mod(d);
    // Around 0, around multiples of d (the remainder's wrap points) and at the top of the range.
    std::vector<uint64_t> zs = {0, 1,     2,         ~0ull,         ~0ull - 1,        d - 1,
                                d, d + 1, ~0ull - d, ~0ull / d * d, ~0ull / d * d - 1};
    for (uint64_t k = 1; k < 1000; ++k) {
      zs.push_back(k * d);
      zs.push_back(k * d - 1);
      zs.push_back(SplitMix64At(d, k));
    }
    for (uint64_t z : zs) ASSERT_EQ(mod.Of(z), z % d) << "z " << z << " d " << d;
  }
}

TEST(RandomTest, IntsEqualIntOneByOne) {
  // Ranges a tensor's data uses: masks (2^k), others (a remainder), the widest (2^32), one value.
  const std::pair<int64_t, int64_t> ranges[] = {{0, 0},
                                                {42, 42},
                                                {0, 1},
                                                {-7, 7},
                                                {-8, 7},
                                                {0, 15},
                                                {-127, 127},
                                                {-128, 127},
                                                {-14110, 14110},
                                                {-32768, 32767},
                                                {INT32_MIN, INT32_MAX},
                                                {INT32_MIN + 1, INT32_MAX},
                                                {INT32_MIN, 0},
                                                {-1, INT32_MAX}};
  for (const auto& [lo, hi] : ranges) {
    for (uint64_t seed : {0ull, 1002ull, ~0ull}) {
      const uint64_t first = seed % 7;  // a batch may start anywhere in the stream
      std::vector<int32_t> got(5000);
      RandomInts(seed, first, static_cast<int64_t>(got.size()), lo, hi, got.data());
      for (size_t j = 0; j < got.size(); ++j) {
        ASSERT_EQ(got[j], RandomInt(seed, first + j, lo, hi))
            << lo << ".." << hi << " seed " << seed << " " << j;
      }
    }
  }
}

TEST(RandomTest, IntVectorMatchesPythonValuesAcrossChunks) {
  // The same expected values as IntIsMinPlusZModRange, from the vector form.
  const std::vector<int32_t> seed1 = RandomIntVector(1, 8, -128, 127);
  EXPECT_EQ(seed1, (std::vector<int32_t>{65, -25, -34, -117, 57, 0, 37, -11}));
  const std::vector<int32_t> seed3 = RandomIntVector(3, 5, -127, 127);
  EXPECT_EQ(seed3, (std::vector<int32_t>{-4, -91, -103, 70, 14}));
  // Longer than one chunk of the generator, with a count that is not a multiple of it.
  const std::vector<int32_t> long_run = RandomIntVector(1005, 3001, -7, 7);
  ASSERT_EQ(long_run.size(), 3001u);
  for (size_t i = 0; i < long_run.size(); ++i) ASSERT_EQ(long_run[i], RandomInt(1005, i, -7, 7)) << i;
  EXPECT_TRUE(RandomIntVector(1, 0, -1, 1).empty());
}

TEST(RandomTest, IntsRefuseRangesOutsideInt32) {
  int32_t out[1];
  EXPECT_THROW(RandomInts(1, 0, 1, 2, 1, out), std::invalid_argument);
  EXPECT_THROW(RandomInts(1, 0, 1, 0, int64_t{INT32_MAX} + 1, out), std::invalid_argument);
}

}  // namespace
}  // namespace npusim::core

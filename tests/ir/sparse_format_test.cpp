#include "ir/sparse_format.h"

#include <gtest/gtest.h>

#include <random>

namespace npusim::core {
namespace {

// Random values where each group is zero with probability p_group and each remaining value is zero
// with probability p_value (so both structured and unstructured sparsity appear).
std::vector<int32_t> RandomTile(std::mt19937_64& rng, const RowGeometry& geo, int64_t rows, double p_group,
                                double p_value, int32_t zero, int32_t lo, int32_t hi) {
  std::vector<int32_t> v(rows * geo.values());
  std::uniform_int_distribution<int32_t> val(lo, hi);
  std::bernoulli_distribution group_zero(p_group), value_zero(p_value);
  const int64_t gps = geo.groups_per_segment();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t pos = 0; pos < geo.groups(); ++pos) {
      const bool gz = group_zero(rng);
      const int64_t b = (pos / gps) * geo.segment_len + (pos % gps) * geo.group_width;
      const int64_t e = std::min(b + geo.group_width, (pos / gps + 1) * geo.segment_len);
      for (int64_t i = b; i < e; ++i) v[r * geo.values() + i] = gz || value_zero(rng) ? zero : val(rng);
    }
  }
  return v;
}

TEST(SparseFormat, RoundTripsRandomTilesInEveryFormat) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    const int64_t taps = std::vector<int64_t>{1, 4, 9}[trial % 3];
    const int simd = std::vector<int>{1, 2, 4, 8}[(trial / 3) % 4];
    const WeightFormat f = std::vector<WeightFormat>{WeightFormat::kDense, WeightFormat::kSimdGroups,
                                                     WeightFormat::kCsr}[trial % 3];
    const int bits = trial % 5 == 0 ? 12 : 8;
    const bool is_signed = trial % 7 != 0;
    const int32_t zero = is_signed ? (trial % 4 == 0 ? 3 : 0) : 128;
    const SparseCodec c = MakeCodec(f, simd, 1 + static_cast<int>(rng() % 9), bits, is_signed, zero);
    const int gw = c.group_width;
    const int64_t icg = 1 + static_cast<int64_t>(rng() % 20);
    const int64_t tile_ic = icg >= gw ? gw * (1 + static_cast<int64_t>(rng() % 3)) : icg;
    const RowGeometry geo = MakeRowGeometry(taps, std::min(tile_ic, icg), icg, gw);
    const int64_t rows = 1 + static_cast<int64_t>(rng() % 6);
    const int32_t lo = is_signed ? -(1 << (bits - 1)) : 0,
                  hi = is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    const std::vector<int32_t> v = RandomTile(rng, geo, rows, 0.5, 0.3, zero, lo, hi);
    const std::vector<uint8_t> bytes = EncodeTile(c, geo, rows, v.data());
    std::vector<int64_t> entries;
    EXPECT_EQ(DecodeTile(c, geo, rows, bytes.data(), static_cast<int64_t>(bytes.size()), &entries), v)
        << "trial " << trial;
    std::vector<int64_t> expect;
    for (int64_t r = 0; r < rows; ++r) expect.push_back(RowEntries(c, geo, v.data() + r * geo.values()));
    EXPECT_EQ(entries, expect);
    EXPECT_EQ(TileBytes(c, geo, expect), static_cast<int64_t>(bytes.size()));
  }
}

// One value at group 0 and one at group 40 of a row, 2-bit indices (skip at most 3): the gap of 39
// zero groups takes floor(39 / 4) = 9 padding entries (each covers 3 skipped groups and itself),
// leaving a skip of 39 - 9 * 4 = 3 on the last entry.
TEST(SparseFormat, LongZeroRunsTakePaddingEntries) {
  const RowGeometry geo = MakeRowGeometry(1, 164, 164, 4);  // 41 groups of 4
  std::vector<int32_t> row(164, 0);
  row[1] = 5;
  row[160] = -7;
  const SparseCodec c = MakeCodec(WeightFormat::kSimdGroups, 4, 2, 8, true, 0);
  EXPECT_EQ(RowEntries(c, geo, row.data()), 11);
  const std::vector<uint8_t> bytes = EncodeTile(c, geo, 1, row.data());
  ASSERT_EQ(bytes.size(), 2u + 11u * 5u);  // header, 11 entries of 1 index byte + 4 values
  EXPECT_EQ(bytes[0], 11);
  EXPECT_EQ(bytes[2], 0);  // first entry: group 0, nothing skipped
  for (int k = 1; k <= 9; ++k) {
    EXPECT_EQ(bytes[2 + 5 * k], 3) << "padding entry " << k;
    for (int i = 1; i <= 4; ++i) EXPECT_EQ(bytes[2 + 5 * k + i], 0) << "padding entry " << k;
  }
  EXPECT_EQ(bytes[2 + 5 * 10], 3);
  EXPECT_EQ(static_cast<int8_t>(bytes[2 + 5 * 10 + 1]), -7);
  EXPECT_EQ(DecodeTile(c, geo, 1, bytes.data(), static_cast<int64_t>(bytes.size())), row);
  // A wide index needs no padding.
  const SparseCodec wide = MakeCodec(WeightFormat::kSimdGroups, 4, 8, 8, true, 0);
  EXPECT_EQ(RowEntries(wide, geo, row.data()), 2);
}

// A gap of exactly 2^bits - 1 groups fits the index; one more needs a padding entry.
TEST(SparseFormat, PaddingStartsOneGroupPastTheIndexRange) {
  const RowGeometry geo = MakeRowGeometry(1, 10, 10, 1);
  const SparseCodec c = MakeCodec(WeightFormat::kCsr, 8, 3, 8, true, 0);  // skip <= 7
  std::vector<int32_t> row(10, 0);
  row[7] = 1;
  EXPECT_EQ(RowEntries(c, geo, row.data()), 1);
  row[7] = 0;
  row[8] = 1;
  EXPECT_EQ(RowEntries(c, geo, row.data()), 2);
  const std::vector<uint8_t> bytes = EncodeTile(c, geo, 1, row.data());
  EXPECT_EQ(DecodeTile(c, geo, 1, bytes.data(), static_cast<int64_t>(bytes.size())), row);
}

// Groups run along the input channels of each tap when the layer has at least simd_width of them,
// so a tile holding channels [4, 8) of every tap sees the same groups as the whole tensor.
TEST(SparseFormat, GroupsAlignToInputChannelsWithinEachTap) {
  const RowGeometry whole = MakeRowGeometry(9, 12, 12, 4);
  EXPECT_EQ(whole.segments, 9);
  EXPECT_EQ(whole.groups_per_segment(), 3);
  EXPECT_EQ(whole.groups(), 27);
  const RowGeometry tile = MakeRowGeometry(9, 4, 12, 4);
  EXPECT_EQ(tile.groups(), 9);
  // Partial last group of each tap: 10 channels in groups of 4 -> 4, 4, 2.
  const RowGeometry partial = MakeRowGeometry(9, 10, 10, 4);
  EXPECT_EQ(partial.groups(), 27);
  std::vector<int32_t> row(90, 0);
  row[8] = 1;           // tap 0, channel 8: the partial group 2
  row[8 * 10 + 9] = 3;  // tap 8, channel 9: group 26
  const SparseCodec c = MakeCodec(WeightFormat::kSimdGroups, 4, 8, 8, true, 0);
  const std::vector<uint8_t> bytes = EncodeTile(c, partial, 1, row.data());
  ASSERT_EQ(bytes.size(), 2u + 2u * 5u);
  EXPECT_EQ(bytes[2], 2);  // group 2 (tap 0, channels 8..9), 2 skipped
  EXPECT_EQ(bytes[3], 1);
  EXPECT_EQ(bytes[5], 0);   // missing lanes of the partial group hold the zero point
  EXPECT_EQ(bytes[7], 23);  // group 26: 23 skipped after group 2
  EXPECT_EQ(bytes[9], 3);   // channel 9 is the group's second lane
}

// Depthwise (one input channel per group): groups run along the taps.
TEST(SparseFormat, FewInputChannelsGroupAlongTheTaps) {
  const RowGeometry geo = MakeRowGeometry(9, 1, 1, 4);
  EXPECT_EQ(geo.segments, 1);
  EXPECT_EQ(geo.segment_len, 9);
  EXPECT_EQ(geo.groups(), 3);  // taps 0-3, 4-7, 8
  std::vector<int32_t> row = {0, 0, 0, 0, 1, 0, 0, 0, 0};
  const SparseCodec c = MakeCodec(WeightFormat::kSimdGroups, 4, 4, 8, true, 0);
  EXPECT_EQ(RowEntries(c, geo, row.data()), 1);
  const SparseCodec dense = MakeCodec(WeightFormat::kDense, 4, 4, 8, true, 0);
  EXPECT_EQ(RowEntries(dense, geo, row.data()), 3);
  EXPECT_EQ(TileBytes(dense, geo, {3}), 9);
}

TEST(SparseFormat, InconsistentBytesAreRefusedWithTheirPlace) {
  const RowGeometry geo = MakeRowGeometry(1, 8, 8, 4);
  const SparseCodec c = MakeCodec(WeightFormat::kSimdGroups, 4, 8, 8, true, 0);
  std::vector<int32_t> row = {0, 0, 0, 0, 1, 2, 3, 4};
  std::vector<uint8_t> bytes = EncodeTile(c, geo, 1, row.data());
  ASSERT_EQ(bytes.size(), 7u);
  bytes[2] = 5;  // skip 5 groups: past the row's 2 groups
  try {
    DecodeTile(c, geo, 1, bytes.data(), 7);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "row 0: entry 0 at byte 2 points at group 5 of a row of 2");
  }
  bytes[2] = 1;
  try {
    DecodeTile(c, geo, 1, bytes.data(), 6);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "row 0: entry 0 at byte 2 runs past the tile's 6 bytes");
  }
  EXPECT_THROW(DecodeTile(c, geo, 1, bytes.data(), 1), std::invalid_argument);
}

TEST(SparseFormat, FormatNamesRoundTrip) {
  for (WeightFormat f : {WeightFormat::kDense, WeightFormat::kSimdGroups, WeightFormat::kCsr}) {
    WeightFormat back = WeightFormat::kDense;
    ASSERT_TRUE(WeightFormatFromName(WeightFormatName(f), &back));
    EXPECT_EQ(back, f);
  }
  WeightFormat f;
  EXPECT_FALSE(WeightFormatFromName("coo", &f));
}

// Packed weights: the bit stream of the layout in sparse_format.h, worked by hand, and round trips
// of random values at every width 1..16, signed, unsigned and binary.
TEST(PackedWeights, LayoutIsLeastSignificantBitFirst) {
  const std::vector<int32_t> four = {1, -2, 7, -8, 3};
  // 1 | 0xE << 4, 7 | 0x8 << 4, 3 (the tile padded to a byte).
  EXPECT_EQ(PackValues(four.data(), 5, 4, true), (std::vector<uint8_t>{0xE1, 0x87, 0x03}));
  const std::vector<int32_t> three = {5, 2, 7};  // 101, 010, 111 -> bits 0..8: 1 0 1 0 1 0 1 1 1
  EXPECT_EQ(PackValues(three.data(), 3, 3, false), (std::vector<uint8_t>{0xD5, 0x01}));
  const std::vector<int32_t> binary = {1, -1, -1, 1, 1, 1, -1, 1, -1};
  EXPECT_EQ(PackValues(binary.data(), 9, 1, true), (std::vector<uint8_t>{0xB9, 0x00}));
  const std::vector<int32_t> twelve = {-1, 0x123};
  EXPECT_EQ(PackValues(twelve.data(), 2, 12, true), (std::vector<uint8_t>{0xFF, 0x3F, 0x12}));
  EXPECT_EQ(PackedBytes(5, 4), 3);
  EXPECT_EQ(PackedBytes(9, 1), 2);
  EXPECT_EQ(PackedBytes(7, 15), 14);
  EXPECT_TRUE(PackingSaves(4));
  EXPECT_TRUE(PackingSaves(12));
  EXPECT_FALSE(PackingSaves(8));
  EXPECT_FALSE(PackingSaves(16));
}

TEST(PackedWeights, RoundTripEveryWidth) {
  std::mt19937_64 rng(11);
  for (int bits = 1; bits <= 16; ++bits) {
    for (const bool is_signed : {true, false}) {
      const bool binary = bits == 1 && is_signed;
      const int32_t lo = binary ? -1 : is_signed ? -(1 << (bits - 1)) : 0;
      const int32_t hi = binary ? 1 : is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
      std::uniform_int_distribution<int32_t> val(lo, hi);
      for (const int64_t n : {1, 7, 8, 33, 1000}) {
        std::vector<int32_t> v(n);
        for (int32_t& x : v) x = binary ? (val(rng) >= 0 ? 1 : -1) : val(rng);
        v[0] = lo;
        v[n - 1] = hi;
        const std::vector<uint8_t> bytes = PackValues(v.data(), n, bits, is_signed);
        ASSERT_EQ(static_cast<int64_t>(bytes.size()), PackedBytes(n, bits));
        std::vector<int32_t> back(n, 12345);
        UnpackValues(bytes.data(), n, bits, is_signed, back.data());
        ASSERT_EQ(back, v) << bits << " bits, signed " << is_signed << ", " << n << " values";
      }
    }
  }
}

// Bit j of value i's code is bit i * bits + j of the stream (byte k holds stream bits 8k..8k+7),
// checked bit by bit for every width, at lengths that end inside a byte and on one.
TEST(PackedWeights, EveryBitWhereTheLayoutPutsIt) {
  std::mt19937_64 rng(5);
  for (int bits = 1; bits <= 16; ++bits) {
    for (const bool is_signed : {true, false}) {
      const bool binary = bits == 1 && is_signed;
      for (const int64_t n : {1, 2, 3, 5, 8, 9, 16, 17, 255}) {
        std::vector<int32_t> v(n);
        for (int32_t& x : v) {
          const auto raw = static_cast<int32_t>(rng() & ((1u << bits) - 1));
          x = binary ? (raw != 0 ? 1 : -1) : is_signed ? raw - (raw >> (bits - 1) << bits) : raw;
        }
        const std::vector<uint8_t> bytes = PackValues(v.data(), n, bits, is_signed);
        ASSERT_EQ(static_cast<int64_t>(bytes.size()), (n * bits + 7) / 8);
        for (int64_t s = 0; s < static_cast<int64_t>(bytes.size()) * 8; ++s) {
          const int64_t i = s / bits, j = s % bits;
          const uint32_t code = i >= n ? 0u : binary ? (v[i] > 0 ? 1u : 0u) : static_cast<uint32_t>(v[i]);
          ASSERT_EQ((bytes[s / 8] >> (s % 8)) & 1, (code >> j) & 1)
              << bits << " bits, signed " << is_signed << ", n " << n << ", stream bit " << s;
        }
      }
    }
  }
}

}  // namespace
}  // namespace npusim::core

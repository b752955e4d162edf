// The sparse array's closed form (models/timing/sparse_timing.h) against the cycle-stepped model
// (sparse_stepped.h) on random machines and random sparsity patterns: 0 cycles difference, not
// done at c - 1 and done at c, and the stepped model's dot products (computed from the compressed
// bytes) equal the dense ones.
#include "models/timing/sparse_timing.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/models/timing/sparse_stepped.h"

namespace npusim::models::timing {
namespace {

using core::WeightFormat;

struct Case {
  core::SparseConfig cfg;
  core::SparseCodec codec;
  core::RowGeometry geo;
  int64_t rows = 1, m = 1;
  std::vector<int32_t> weights, inputs;
};

Case RandomCase(std::mt19937_64& rng, int trial) {
  auto uni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  Case c;
  c.cfg.pes = static_cast<int>(uni(1, 5));
  c.cfg.simd_width = static_cast<int>(std::vector<int64_t>{1, 2, 4, 8}[uni(0, 3)]);
  c.cfg.decode_cycles = static_cast<int>(uni(0, 3));
  c.cfg.row_overhead_cycles = static_cast<int>(uni(0, 3));
  c.cfg.pipeline_cycles = static_cast<int>(uni(0, 5));
  const WeightFormat f = std::vector<WeightFormat>{WeightFormat::kDense, WeightFormat::kSimdGroups,
                                                   WeightFormat::kCsr}[trial % 3];
  c.codec = core::MakeCodec(f, c.cfg.simd_width, static_cast<int>(uni(1, 8)), 8, true, 0);
  const int64_t taps = std::vector<int64_t>{1, 9}[uni(0, 1)];
  const int64_t icg = uni(1, 24);
  c.geo = core::MakeRowGeometry(taps, icg, icg, c.codec.group_width);
  c.rows = uni(1, 12);
  c.m = uni(1, 4);
  // Row density varies per row (imbalance), groups vanish whole or single values.
  const double structured = uni(0, 1) ? 0.0 : 0.6;
  c.weights.assign(c.rows * c.geo.values(), 0);
  for (int64_t r = 0; r < c.rows; ++r) {
    const double keep = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    for (int64_t i = 0; i < c.geo.values(); ++i) {
      const bool group_dead = structured > 0 && ((i / 4) * 7 + r) % 5 < 3;
      if (!group_dead && std::bernoulli_distribution(keep)(rng))
        c.weights[r * c.geo.values() + i] = static_cast<int32_t>(uni(-127, 127));
    }
  }
  c.inputs.resize(c.m * c.geo.values());
  for (int32_t& x : c.inputs) x = static_cast<int32_t>(uni(-128, 127));
  return c;
}

TEST(SparseTiming, ClosedFormEqualsSteppedModelOnRandomSparsity) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 1500; ++trial) {
    const Case c = RandomCase(rng, trial);
    const std::vector<uint8_t> bytes = core::EncodeTile(c.codec, c.geo, c.rows, c.weights.data());
    std::vector<int64_t> entries;
    core::DecodeTile(c.codec, c.geo, c.rows, bytes.data(), static_cast<int64_t>(bytes.size()), &entries);
    const int64_t closed = SparseCycles(c.cfg, c.codec.format, c.m, entries);
    testing::SparseStepped stepped(c.cfg, c.codec, c.geo, c.rows, bytes, c.m, c.inputs);
    ASSERT_EQ(stepped.row_entries(), entries);
    if (closed > 0) {
      ASSERT_EQ(stepped.RunUntil(closed - 1), closed - 1)
          << "done before " << closed << " cycles, trial " << trial;
      ASSERT_FALSE(stepped.Done()) << "trial " << trial;
    }
    stepped.Step();
    ASSERT_TRUE(stepped.Done()) << "not done at the closed form's " << closed << " cycles, trial " << trial;
    for (int64_t m = 0; m < c.m; ++m) {
      for (int64_t r = 0; r < c.rows; ++r) {
        int64_t dot = 0;
        for (int64_t i = 0; i < c.geo.values(); ++i) {
          dot += int64_t{c.weights[r * c.geo.values() + i]} * c.inputs[m * c.geo.values() + i];
        }
        ASSERT_EQ(stepped.outputs()[m * c.rows + r], dot)
            << "trial " << trial << " pixel " << m << " row " << r;
      }
    }
  }
}

// Hand-derived: 2 PEs, 3 rows with 5, 0 and 2 entries, decode 1, overhead 2, pipeline 3, m = 4.
// PE 0 has rows 0 and 2: (5 * 2 + 2) + (2 * 2 + 2) = 18 cycles per pixel; PE 1 row 1: 2. The
// busiest PE decides: 3 + 4 * 18 = 75. Dense entries take one cycle: (5 + 2) + (2 + 2) = 11 ->
// 3 + 44 = 47.
TEST(SparseTiming, BusiestPeDecidesTheInstruction) {
  core::SparseConfig s;
  s.pes = 2;
  s.decode_cycles = 1;
  s.row_overhead_cycles = 2;
  s.pipeline_cycles = 3;
  EXPECT_EQ(SparseCycles(s, WeightFormat::kSimdGroups, 4, {5, 0, 2}), 75);
  EXPECT_EQ(SparseCycles(s, WeightFormat::kCsr, 4, {5, 0, 2}), 75);
  EXPECT_EQ(SparseCycles(s, WeightFormat::kDense, 4, {5, 0, 2}), 47);
  EXPECT_EQ(SparsePeLoads(s, WeightFormat::kSimdGroups, {5, 0, 2}), (std::vector<int64_t>{18, 2}));
  const SparseActions a = CountSparseActions(WeightFormat::kSimdGroups, 4, {5, 0, 2});
  EXPECT_EQ(a.entry_macs, 28);
  EXPECT_EQ(a.index_decodes, 28);
  EXPECT_EQ(CountSparseActions(WeightFormat::kDense, 4, {5, 0, 2}).index_decodes, 0);
}

// A tight check in the manner of Ramulator's timing tests on one small case.
TEST(SparseTiming, NotDoneOneCycleBeforeTheClosedForm) {
  core::SparseConfig s;
  s.pes = 1;
  s.simd_width = 4;
  s.decode_cycles = 1;
  s.row_overhead_cycles = 1;
  s.pipeline_cycles = 2;
  const core::RowGeometry geo = core::MakeRowGeometry(1, 16, 16, 4);
  const core::SparseCodec codec = core::MakeCodec(WeightFormat::kSimdGroups, 4, 8, 8, true, 0);
  std::vector<int32_t> w(32, 0);
  w[0] = 1;
  w[13] = 2;
  w[16 + 5] = 3;  // rows: 2 entries, 1 entry
  const std::vector<uint8_t> bytes = core::EncodeTile(codec, geo, 2, w.data());
  const int64_t closed = SparseCycles(s, codec.format, 3, {2, 1});
  EXPECT_EQ(closed, 2 + 3 * ((2 * 2 + 1) + (1 * 2 + 1)));
  testing::SparseStepped stepped(s, codec, geo, 2, bytes, 3, std::vector<int32_t>(48, 1));
  EXPECT_EQ(stepped.RunUntil(closed - 1), closed - 1);
  EXPECT_FALSE(stepped.Done());
  stepped.Step();
  EXPECT_TRUE(stepped.Done());
  EXPECT_EQ(stepped.outputs()[0], 3);
  EXPECT_EQ(stepped.outputs()[1], 3);
}

}  // namespace
}  // namespace npusim::models::timing

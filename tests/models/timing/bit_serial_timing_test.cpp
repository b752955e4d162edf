// Checks the bit-serial closed forms of models/timing/bit_serial_timing.h: UNPU's published peaks,
// shapes worked out by hand, then a sweep in which the cycle-stepped LBPE/core model of
// bit_serial_stepped.h must finish exactly when the closed form says and compute, through real
// table lookups on real bit-planes, the same integers as plain dot products.
#include "models/timing/bit_serial_timing.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "config/arch.h"
#include "tests/models/timing/bit_serial_stepped.h"

namespace npusim::models::timing {
namespace {

using testing::BitSerialProblem;
using testing::StepBitSerial;

core::BitSerialConfig Unpu() {
  core::BitSerialConfig b;  // the defaults are UNPU's geometry (arch/unpu.json)
  b.cores = 4;
  b.pes_per_core = 6;
  b.tables_per_pe = 12;
  b.lut_group = 3;
  b.outputs_per_pe = 16;
  b.table_adders = 1;
  b.serial_operand = "weights";
  b.one_bit_mode = true;
  b.aggregation_cycles = 4;
  b.pipeline_cycles = 3;
  return b;
}

TEST(BitSerialTiming, PeakMatchesUnpusPublishedThroughput) {
  // Lee et al., JSSC 2019: 345.6 GOPS at 16-bit weights, 7372.8 GOPS at 1 bit, 200 MHz, 2 ops/MAC.
  const core::BitSerialConfig b = Unpu();
  EXPECT_DOUBLE_EQ(BitSerialPeakMacsPerCycle(b, 16, 16), 864.0);
  EXPECT_DOUBLE_EQ(2 * BitSerialPeakMacsPerCycle(b, 16, 16) * 200e6, 345.6e9);
  EXPECT_DOUBLE_EQ(BitSerialPeakMacsPerCycle(b, 1, 16), 18432.0);
  EXPECT_DOUBLE_EQ(2 * BitSerialPeakMacsPerCycle(b, 1, 16) * 200e6, 7372.8e9);
  for (int w = 2; w <= 16; ++w) EXPECT_DOUBLE_EQ(BitSerialPeakMacsPerCycle(b, w, 8), 13824.0 / w) << w;
  // Without the 1-bit mode binary weights run as 2-bit two's complement.
  core::BitSerialConfig no1 = b;
  no1.one_bit_mode = false;
  EXPECT_DOUBLE_EQ(BitSerialPeakMacsPerCycle(no1, 1, 16), 13824.0 / 2);
  // The other members of the family: passes follow the serial operand.
  core::BitSerialConfig stripes = b, loom = b, fixed = b;
  stripes.serial_operand = "activations";
  loom.serial_operand = "both";
  fixed.serial_operand = "none";
  EXPECT_DOUBLE_EQ(BitSerialPeakMacsPerCycle(stripes, 4, 8), 13824.0 / 8);
  EXPECT_DOUBLE_EQ(BitSerialPeakMacsPerCycle(loom, 4, 8), 13824.0 / 32);
  EXPECT_DOUBLE_EQ(BitSerialPeakMacsPerCycle(fixed, 4, 8), 13824.0);
}

TEST(BitSerialTiming, HandDerivedCycles) {
  const core::BitSerialConfig b = Unpu();
  // One item: 6 pixels, one chunk of 36 inputs, 16 outputs at 4 bits.
  // B = 2^3 - 3 - 1 = 4 build cycles, L = 1 fold x 4 planes, pipeline 3: 4 + 4 + 3 = 11.
  EXPECT_EQ(BitSerialCycles(b, {6, 36, 16, 1}, 4, 8), 11);
  // k = 144: 4 chunks, one per core (aggregation 4); m = 12: 2 pixel folds = 2 items per core;
  // n = 32 at 16 bits: L = 2 x 16 = 32 >= B. 4 + 32 + 1 x 32 + 3 + 4 = 75.
  EXPECT_EQ(BitSerialCycles(b, {12, 144, 32, 1}, 16, 8), 75);
  // 1 bit: Gk = 4, kpe = 48, E = 8 entries -> B = 8 > L = 1. k = 48: one chunk, so 7 pixel folds
  // (m = 42) spread over the 4 cores: 2 items. 8 + 1 + 1 x 8 + 3 = 20.
  EXPECT_EQ(BitSerialCycles(b, {42, 48, 16, 1}, 1, 8), 20);
  // Depthwise 3x3 (k = 9, n = 1) x 64 channels at 4 bits: 3 tables per channel, so
  // min(12 / 3, 16 / 1) = 4 channels per pass -> 16 passes; m = 6: 1 pixel fold; 16 items over 4
  // cores = 4 items; L = 1 x 4 = 4 = B. 4 + 4 + 3 x 4 + 3 = 23.
  EXPECT_EQ(BitSerialCycles(b, {6, 9, 1, 64}, 4, 8), 23);
  const BitSerialPlan p = PlanBitSerial(b, {6, 9, 1, 64}, 4, 8);
  EXPECT_EQ(p.groups_per_pass, 4);
  EXPECT_EQ(p.items, 4);
  EXPECT_EQ(BitSerialCycles(b, {0, 9, 1, 64}, 4, 8), 0);
}

TEST(BitSerialTiming, CountsActions) {
  const core::BitSerialConfig b = Unpu();
  // m = 12, k = 144, n = 32, 16 bits: 48 tables per output (Gk 3), 16 planes.
  const BitSerialActions a = CountBitSerialActions(b, {12, 144, 32, 1}, 16, 8);
  EXPECT_EQ(a.lookups, 12 * 32 * 48 * 16);
  EXPECT_EQ(a.table_entries, 12 * 48 * 4);
  EXPECT_EQ(a.aggregate_adds, 12 * 32 * 3);  // 4 cores' partial sums -> 3 adds per output
  EXPECT_EQ(a.macs, 0);
  // Per output and table, planes 0..15 shift by 0 + 1 + ... + 15 = 120.
  EXPECT_EQ(a.accumulate_bits, 12 * 32 * 48 * 120);
  // 4-bit weights: 0 + 1 + 2 + 3; binary weights in the 1-bit mode: one plane, no shift (Gk 4:
  // 36 tables); Loom-style (both serial, 4 x 8 planes): 8 * 6 + 4 * 28 = 160.
  EXPECT_EQ(CountBitSerialActions(b, {12, 144, 32, 1}, 4, 8).accumulate_bits, 12 * 32 * 48 * 6);
  EXPECT_EQ(CountBitSerialActions(b, {12, 144, 32, 1}, 1, 8).accumulate_bits, 0);
  core::BitSerialConfig loom = b;
  loom.serial_operand = "both";
  EXPECT_EQ(CountBitSerialActions(loom, {12, 144, 32, 1}, 4, 8).accumulate_bits, 12 * 32 * 48 * 160);
  core::BitSerialConfig fixed = b;
  fixed.serial_operand = "none";
  const BitSerialActions f = CountBitSerialActions(fixed, {12, 144, 32, 1}, 16, 8);
  EXPECT_EQ(f.macs, 12 * 144 * 32);
  EXPECT_EQ(f.lookups, 0);
  EXPECT_EQ(f.accumulate_bits, 0);
}

// Random problem with weights across the whole range of `wbits` (binary: +-1).
BitSerialProblem RandomProblem(std::mt19937_64& rng, const GemmShape& s, int wbits) {
  BitSerialProblem p;
  p.shape = s;
  p.wbits = wbits;
  const int64_t wlo = wbits == 1 ? -1 : -(int64_t{1} << (wbits - 1));
  const int64_t whi = wbits == 1 ? 1 : (int64_t{1} << (wbits - 1)) - 1;
  std::uniform_int_distribution<int64_t> xd(-32768, 32767), wd(wlo, whi);
  p.x.assign(s.groups, std::vector<std::vector<int64_t>>(s.m, std::vector<int64_t>(s.k)));
  p.w.assign(s.groups, std::vector<std::vector<int64_t>>(s.k, std::vector<int64_t>(s.n)));
  for (auto& g : p.x)
    for (auto& r : g)
      for (auto& v : r) v = xd(rng);
  for (auto& g : p.w)
    for (auto& r : g)
      for (auto& v : r) {
        v = wd(rng);
        if (wbits == 1 && v == 0) v = 1;
      }
  // The extremes must appear: the sign plane and the most negative weight are where bit-plane
  // arithmetic goes wrong.
  if (s.groups > 0 && s.k > 0 && s.n > 0) p.w[0][0][0] = wlo;
  return p;
}

void ExpectExactSums(const BitSerialProblem& p, const testing::BitSerialSteppedResult& r,
                     const std::string& what) {
  for (int64_t g = 0; g < p.shape.groups; ++g) {
    for (int64_t m = 0; m < p.shape.m; ++m) {
      for (int64_t n = 0; n < p.shape.n; ++n) {
        int64_t dot = 0;
        for (int64_t k = 0; k < p.shape.k; ++k) dot += p.x[g][m][k] * p.w[g][k][n];
        ASSERT_EQ(r.y[g][m][n], dot) << what << " g" << g << " m" << m << " n" << n;
      }
    }
  }
}

TEST(BitSerialTiming, LookupTablesComputeExactProductsAtEveryWidth) {
  std::mt19937_64 rng(7);
  core::BitSerialConfig b = Unpu();
  for (int w = 1; w <= 16; ++w) {
    for (int one_bit : {1, 0}) {
      b.one_bit_mode = one_bit;
      const BitSerialProblem p = RandomProblem(rng, {7, 100, 5, 2}, w);
      ExpectExactSums(p, StepBitSerial(b, p),
                      "w" + std::to_string(w) + " one_bit " + std::to_string(one_bit));
    }
  }
}

// The sweep: small machines and shapes so that partial folds, partial chunks, idle cores, grouped
// packing and build-bound and lookup-bound items all occur.
TEST(BitSerialTiming, ClosedFormEqualsSteppedModel) {
  std::mt19937_64 rng(2024);
  auto pick = [&](std::vector<int64_t> v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  const std::vector<std::string> serial = {"weights", "activations", "both", "none"};
  int cases = 0, build_bound = 0, grouped_packed = 0, aggregated = 0;
  for (int i = 0; i < 3000; ++i) {
    core::BitSerialConfig b;
    b.cores = static_cast<int>(pick({1, 2, 3, 4}));
    b.pes_per_core = static_cast<int>(pick({1, 2, 3, 6}));
    b.tables_per_pe = static_cast<int>(pick({1, 2, 3, 4}));
    b.lut_group = static_cast<int>(pick({1, 2, 3, 4}));
    b.outputs_per_pe = static_cast<int>(pick({1, 2, 4}));
    b.table_adders = static_cast<int>(pick({1, 2, 3}));
    b.serial_operand = serial[pick({0, 0, 1, 2, 3})];
    b.one_bit_mode = pick({0, 1}) == 1;
    b.aggregation_cycles = static_cast<int>(pick({0, 4}));
    b.pipeline_cycles = static_cast<int>(pick({0, 3}));
    const GemmShape s{pick({1, 2, 5, 7}), pick({1, 2, 3, 4, 5, 9, 13, 20}), pick({1, 2, 3, 5}),
                      pick({1, 1, 2, 3, 6})};
    const int wbits = static_cast<int>(pick({1, 2, 3, 4, 8}));
    const int abits = static_cast<int>(pick({1, 2, 8}));
    BitSerialProblem p = RandomProblem(rng, s, wbits);
    p.abits = abits;
    const auto stepped = StepBitSerial(b, p);
    const BitSerialPlan plan = PlanBitSerial(b, s, wbits, abits);
    ASSERT_EQ(plan.cycles, stepped.cycles)
        << "case " << i << ": cores " << b.cores << " pes " << b.pes_per_core << " tables " << b.tables_per_pe
        << " G " << b.lut_group << " outputs " << b.outputs_per_pe << " adders " << b.table_adders
        << " serial " << b.serial_operand << " one_bit " << b.one_bit_mode << " gemm " << s.m << "x" << s.k
        << "x" << s.n << " groups " << s.groups << " w" << wbits << " a" << abits;
    ExpectExactSums(p, stepped, "case " + std::to_string(i));
    ++cases;
    build_bound += plan.build_cycles > plan.lookup_cycles && plan.items > 1;
    grouped_packed += plan.groups_per_pass > 1;
    aggregated += plan.chunks > 1 && plan.cores_used > 1;
  }
  // The sweep must have reached the regimes it is for.
  EXPECT_GT(build_bound, 100);
  EXPECT_GT(grouped_packed, 100);
  EXPECT_GT(aggregated, 100);
  EXPECT_EQ(cases, 3000);
}

}  // namespace
}  // namespace npusim::models::timing

// Partitioned (SARA-style) array timing: composition of the per-dataflow closed forms.
#include <gtest/gtest.h>

#include "models/timing/partition_timing.h"
#include "models/timing/systolic_timing.h"

namespace npusim::models::timing {
namespace {

const ArrayGeometry kSagar{128, 128, 4, 4};  // 32 x 32 sub-arrays of 4 x 4

GemmShape Gemm(int64_t m, int64_t k, int64_t n, int64_t groups = 1) {
  GemmShape g;
  g.m = m, g.k = k, g.n = n, g.groups = groups;
  return g;
}

const DataflowTiming& Ws() { return *FindDataflow("ws"); }

TEST(PartitionTiming, MonolithicPartitionIsTheDataflowItself) {
  const GemmShape g = Gemm(3136, 576, 64);
  EXPECT_EQ(PartitionedCycles(kSagar, Partition{}, Ws(), g), SystolicWsCycles(128, 128, g));
}

// WS fold = m + 2r + c - 1. Monolithic 128x128: K = 576 -> row folds of 128,128,128,128,64 and one
// column fold of 64: 5 * (3136 + 64 - 1) + 2 * 576 = 17147. Two 128x64 arrays splitting M: each
// runs m = 1568 with the same folds: 5 * (1568 + 64 - 1) + 2 * 576 = 9307.
TEST(PartitionTiming, SplittingMOverTwoArraysOfHalfTheColumnsHalvesTheStream) {
  const GemmShape g = Gemm(3136, 576, 64);
  EXPECT_EQ(PartitionedCycles(kSagar, Partition{}, Ws(), g), 17147);
  EXPECT_EQ(PartitionedCycles(kSagar, Partition{1, 2, 2, 1, 1}, Ws(), g), 9307);
}

// K split over two 64x128 arrays: each runs k = 288 (folds 64 x 4 + 32) with n = 64:
// 5 * (3136 + 64 - 1) + 2 * 288 = 16571; the 3136 x 64 partial sums are added in one level at
// 128 values per cycle: 1568 cycles. Total 18139.
TEST(PartitionTiming, KSplitPaysOneReductionLevelPerDoubling) {
  const GemmShape g = Gemm(3136, 576, 64);
  const Partition p{2, 1, 1, 1, 2};
  EXPECT_EQ(ReductionCycles(kSagar, p, g), 3136 * 64 / 128);
  EXPECT_EQ(PartitionedCycles(kSagar, p, Ws(), g), 16571 + 1568);
}

// The slowest array decides: M = 5 split in 2 gives sub-GEMMs of 3 and 2 rows; the model charges 3.
TEST(PartitionTiming, UnevenSplitIsChargedForTheLargerPart) {
  const GemmShape g = Gemm(5, 16, 16);
  const Partition p{2, 1, 2, 1, 1};
  EXPECT_EQ(SubGemm(p, g).m, 3);
  EXPECT_EQ(PartitionedCycles(kSagar, p, Ws(), g), SystolicWsCycles(64, 128, Gemm(3, 16, 16)));
}

// Depthwise (grouped) GEMMs split their groups, never K.
TEST(PartitionTiming, GroupedGemmSplitsGroupsAndNeverK) {
  const GemmShape g = Gemm(196, 9, 1, 512);
  EXPECT_FALSE(ValidPartition(kSagar, Partition{2, 1, 1, 1, 2}, g));
  const Partition p{1, 4, 1, 4, 1};
  ASSERT_TRUE(ValidPartition(kSagar, p, g));
  EXPECT_EQ(SubGemm(p, g).groups, 128);
  for (const Partition& q : EnumeratePartitions(kSagar, g, true)) EXPECT_EQ(q.pk, 1) << q.ToString();
}

TEST(PartitionTiming, PartitionsFollowSubArrayDivisibility) {
  const GemmShape g = Gemm(64, 64, 64);
  EXPECT_TRUE(ValidPartition(kSagar, Partition{32, 1, 32, 1, 1}, g));   // 32 arrays of 4 x 128
  EXPECT_FALSE(ValidPartition(kSagar, Partition{3, 1, 3, 1, 1}, g));    // 32 sub-array rows / 3
  EXPECT_FALSE(ValidPartition(kSagar, Partition{2, 2, 2, 1, 1}, g));    // split covers 2 of 4 arrays
  // (pr, pc) over the divisors of 32 (6 each), splits over the factorizations of pr * pc.
  const std::vector<Partition> all = EnumeratePartitions(kSagar, Gemm(4096, 4096, 4096), true);
  EXPECT_TRUE(all.front().monolithic());
  int64_t with_k = 0, without_k = 0;
  for (const Partition& p : all) (p.pk > 1 ? with_k : without_k) += 1;
  EXPECT_EQ(static_cast<int64_t>(EnumeratePartitions(kSagar, Gemm(4096, 4096, 4096), false).size()), without_k);
  EXPECT_GT(with_k, 0);
}

TEST(PartitionTiming, ChoiceIsTheFastestAndRunnerUpIsNext) {
  const GemmShape g = Gemm(3136, 576, 64);
  const BestChoices c = ChoosePartition(kSagar, g, {&Ws()}, false);
  int64_t best = INT64_MAX;
  for (const Partition& p : EnumeratePartitions(kSagar, g, false)) {
    best = std::min(best, PartitionedCycles(kSagar, p, Ws(), g));
  }
  EXPECT_EQ(c.best.cycles, best);
  EXPECT_LT(c.best.cycles, 17147);  // beats the monolithic array on this skinny GEMM
  EXPECT_GE(c.runner_up.cycles, c.best.cycles);
  EXPECT_GT(c.runner_up.cycles, 0);
}

}  // namespace
}  // namespace npusim::models::timing

// Partitioned (SARA-style) array timing: composition of the per-dataflow closed forms.
#include <gtest/gtest.h>

#include "models/timing/os_timing.h"
#include "models/timing/partition_timing.h"
#include "models/timing/systolic_timing.h"

namespace npusim::models::timing {
namespace {

// 32 x 32 sub-arrays of 4 x 4; kSagar as a distributed system (every array its own feed),
// kSagarEdge fed through the grid's edges (the default).
ArrayGeometry Unlimited(ArrayGeometry g) {
  g.unlimited_feed = true;
  return g;
}
const ArrayGeometry kSagarEdge{128, 128, 4, 4};
const ArrayGeometry kSagar = Unlimited(kSagarEdge);

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
  EXPECT_TRUE(ValidPartition(kSagar, Partition{32, 1, 32, 1, 1}, g));  // 32 arrays of 4 x 128
  EXPECT_FALSE(ValidPartition(kSagar, Partition{3, 1, 3, 1, 1}, g));   // 32 sub-array rows / 3
  EXPECT_FALSE(ValidPartition(kSagar, Partition{2, 2, 2, 1, 1}, g));   // split covers 2 of 4 arrays
  // (pr, pc) over the divisors of 32 (6 each), splits over the factorizations of pr * pc.
  const std::vector<Partition> all = EnumeratePartitions(kSagar, Gemm(4096, 4096, 4096), true);
  EXPECT_TRUE(all.front().monolithic());
  int64_t with_k = 0, without_k = 0;
  for (const Partition& p : all) (p.pk > 1 ? with_k : without_k) += 1;
  EXPECT_EQ(static_cast<int64_t>(EnumeratePartitions(kSagar, Gemm(4096, 4096, 4096), false).size()),
            without_k);
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

// Every dataflow's phases add up to its cycles (the feed model only stretches them).
TEST(FeedPhases, PhaseStepsAddUpToTheClosedForm) {
  int64_t checked = 0;
  for (const char* name : {"ws", "os", "is"}) {
    const DataflowTiming& df = *FindDataflow(name);
    for (int r : {1, 3, 4, 16}) {
      for (int c : {1, 2, 4, 16}) {
        for (const GemmShape& g :
             {Gemm(1, 1, 1), Gemm(7, 10, 5), Gemm(50, 9, 1, 12), Gemm(3, 40, 33), Gemm(17, 4, 2, 9)}) {
          int64_t steps = 0;
          for (const FeedPhase& ph : df.Phases(r, c, g)) steps += ph.steps;
          EXPECT_EQ(steps, df.Cycles(r, c, g)) << name << " " << r << "x" << c;
          ++checked;
        }
      }
    }
    EXPECT_TRUE(df.Phases(4, 4, Gemm(0, 3, 3)).empty());
  }
  EXPECT_EQ(checked, 240);
}

// WS preload of 3136x576x64 on a 128x128 array: 5 folds of r = 128,128,128,128,64 (sum 576).
// Two 128x64 arrays splitting M need two input streams of 128 values per cycle at a 128-value
// left edge: streaming stalls 2 cycles per step, preload (64 weights per array, 128 in all) does
// not: 576 + 2 * (9307 - 576) = 18038, slower than the monolithic 17147.
TEST(FeedTiming, SplittingMOverColumnHalvesDoublesTheInputStream) {
  const GemmShape g = Gemm(3136, 576, 64);
  const Partition p{1, 2, 2, 1, 1};
  EXPECT_EQ(SystolicWsPreloadCycles(128, 64, SubGemm(p, g)), 576);
  EXPECT_EQ(PartitionedCycles(kSagarEdge, p, Ws(), g), 576 + 2 * (9307 - 576));
  EXPECT_EQ(PartitionedCycles(kSagarEdge, Partition{}, Ws(), g), 17147);
  EXPECT_EQ(CountPartitionActions(kSagarEdge, p, Ws(), g).feed_stall_cycles, 9307 - 576);
}

// Splitting N over the two column halves shares the input stream (multicast) and each half
// reads and writes its own 64 partial-sum lanes: no stall, the monolithic array's edge suffices.
TEST(FeedTiming, SplittingNOverColumnHalvesSharesTheInputs) {
  const GemmShape g = Gemm(3136, 576, 256);
  const Partition p{1, 2, 1, 2, 1};
  EXPECT_EQ(
      FeedStall(kSagarEdge, p, g, {1, EdgeData::kInputs, EdgeData::kPartialSums, EdgeData::kPartialSums}), 1);
  EXPECT_EQ(PartitionedCycles(kSagarEdge, p, Ws(), g), PartitionedCycles(kSagar, p, Ws(), g));
  // Row halves splitting N each need their own 128 weights (preload) and partial sums: stall 2.
  const Partition rows{2, 1, 1, 2, 1};
  EXPECT_EQ(FeedStall(kSagarEdge, rows, g, {1, EdgeData::kNone, EdgeData::kWeights, EdgeData::kNone}), 2);
}

// Depthwise 3x3 (196 pixels, 512 channels) on 1024 4x4 arrays in OS, split m32 n32: each array
// runs m = 7, 16 channels: Fm = 2 row folds, 4 column folds of 4 channels, kt = 36:
// 2 * (144 + 16) + 2 * 4 * (7 - 2) = 360 cycles, 28 of them drain. Every array needs its own
// inputs (1024 streams x 4 lanes at a 128-value edge: stall 32) and drains its own sums (stall
// 32): 360 * 32 = 11520, barely under the monolithic 128x128 array's 11792.
TEST(FeedTiming, ThousandSmallArraysOnADepthwiseLayerAreEdgeBound) {
  const GemmShape g = Gemm(196, 9, 1, 512);
  const Partition p{32, 32, 32, 32, 1};
  const DataflowTiming& os = *FindDataflow("os");
  EXPECT_EQ(PartitionedCycles(kSagar, p, os, g), 360);
  EXPECT_EQ(SystolicOsDrainCycles(4, 4, SubGemm(p, g)), 28);
  EXPECT_EQ(DistinctStreams(p, g, EdgeData::kInputs), 1024);
  EXPECT_EQ(DistinctStreams(p, g, EdgeData::kWeights), 32);
  EXPECT_EQ(PartitionedCycles(kSagarEdge, p, os, g), 360 * 32);
  EXPECT_EQ(PartitionedCycles(kSagarEdge, Partition{}, os, g), 11792);
  // A wider feed (4096 values per cycle on every edge) removes the stall.
  ArrayGeometry wide = kSagarEdge;
  wide.row_feed = wide.col_feed = wide.drain_feed = 4096;
  EXPECT_EQ(PartitionedCycles(wide, p, os, g), 360);
}

}  // namespace
}  // namespace npusim::models::timing

// Checks the OS closed forms of models/timing/os_timing.h: a few shapes worked out by hand, then
// sweeps in which the register-level model of os_stepped.h must compute the right GEMM and finish
// exactly when the closed form says (not done at cycle c-1, done at cycle c).
#include "models/timing/os_timing.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "tests/models/timing/os_stepped.h"
#include "tests/models/timing/systolic_sweep.h"

namespace npusim::models::timing {
namespace {

using testing::ComputesReferenceGemm;
using testing::CountsFoldsAndFires;
using testing::FinishesAt;
using testing::ForEachCase;
using testing::kArraySides;
using testing::SystolicOsStepped;
using Case = testing::SweepCase;

// The reduction streams in time, so it is sampled (1 to three 8-PE sides, around multiples of
// the array sides); m and n, which fold, are swept.
const int64_t kReductionLengths[] = {1, 2, 3, 5, 8, 9, 17, 24};

// groups == 1, m and n from 1 to three arrays' worth, so full, partial and multiple folds appear.
std::vector<Case> DenseSweep() {
  std::vector<Case> cases;
  for (int rows : kArraySides) {
    for (int cols : kArraySides) {
      for (int64_t k : kReductionLengths) {
        for (int64_t m = 1; m <= 3 * rows; ++m) {
          for (int64_t n = 1; n <= 3 * cols; ++n) cases.push_back({rows, cols, {m, k, n, 1}});
        }
      }
    }
  }
  return cases;
}

// Grouped shapes: several groups per column fold, one per fold, and groups wider than the array
// (n = 9, or n = 3 on fewer than 3 columns), with a partial last fold when groups is not a
// multiple; m from one row to more than one row fold.
std::vector<Case> GroupedSweep() {
  const GemmShape per_group[] = {{0, 1, 1}, {0, 2, 1}, {0, 1, 2}, {0, 2, 3}, {0, 3, 2},
                                 {0, 4, 4}, {0, 9, 1}, {0, 5, 3}, {0, 2, 9}};
  std::vector<Case> cases;
  for (int rows : kArraySides) {
    for (int cols : kArraySides) {
      for (int64_t m : {1, 2, 5, 17}) {
        for (int64_t groups : {2, 3, 8}) {
          for (const GemmShape& g : per_group) {
            cases.push_back({rows, cols, {m, g.k, g.n, groups}});
          }
        }
      }
    }
  }
  return cases;
}

std::vector<Case> AllSweeps() {
  std::vector<Case> cases = DenseSweep();
  for (const Case& c : GroupedSweep()) cases.push_back(c);
  return cases;
}

::testing::AssertionResult FinishesAtClosedForm(const Case& c, uint32_t seed) {
  return FinishesAt<SystolicOsStepped>(c, seed, SystolicOsCycles(c.rows, c.cols, c.shape));
}

TEST(SystolicOsTiming, OneByOneArrayTakesTwoCyclesForOneMac) {
  // Multiply (1), drain the one output into the accumulator (1).
  EXPECT_EQ(SystolicOsCycles(1, 1, {1, 1, 1}), 2);
}

TEST(SystolicOsTiming, OneFoldTakesSkewedComputePlusRowDrain) {
  // (kt + r + c - 2) + r.
  EXPECT_EQ(SystolicOsFoldCycles(5, 4, 4), 15);
  EXPECT_EQ(SystolicOsCycles(4, 4, {4, 5, 4}), 15);
  EXPECT_EQ(SystolicOsCycles(4, 4, {2, 3, 3}), (3 + 2 + 3 - 2) + 2);
}

TEST(SystolicOsTiming, FullFoldMatchesScaleSimFirstOrderModel) {
  // Samajdar et al., ISPASS 2020: 2*S_R + S_C + T - 2 per fold, T = k for OS.
  const int rows = 8, cols = 4;
  const int64_t k = 11;
  EXPECT_EQ(SystolicOsCycles(rows, cols, {rows, k, cols}), 2 * rows + cols + k - 2);
}

TEST(SystolicOsTiming, UnusedRowsAndColumnsCostNothing) {
  // The fold's last used row drains into the accumulator: a bigger array adds no skew or drain.
  EXPECT_EQ(SystolicOsCycles(8, 8, {4, 5, 4}), SystolicOsCycles(4, 4, {4, 5, 4}));
}

TEST(SystolicOsTiming, FoldCountFollowsCeilMOverRowsTimesCeilNOverCols) {
  EXPECT_EQ(SystolicOsFolds(4, 4, {10, 3, 5}), 3 * 2);
  EXPECT_EQ(SystolicOsFolds(4, 4, {8, 30, 4}), 2 * 1);  // k never folds: it streams
  EXPECT_EQ(SystolicOsFolds(3, 5, {1, 1, 16}), 1 * 4);
  // Folds (r, c): (4,4) (4,4) (2,4) (4,1) (4,1) (2,1), each k + 2r + c - 2 with k = 3.
  EXPECT_EQ(SystolicOsCycles(4, 4, {10, 3, 5}), 13 + 13 + 9 + 10 + 10 + 6);
}

TEST(SystolicOsTiming, GroupsSideBySideStreamTheirReductionsInTurn) {
  const GemmShape depthwise{3, 9, 1, 10};  // 3x3 depthwise, 10 channels, on 8 columns
  EXPECT_EQ(SystolicOsGroupsPerFold(8, 8, depthwise), 8);
  EXPECT_EQ(SystolicOsFolds(8, 8, depthwise), 2);  // 8 + 2 groups
  // Folds (kt, r, c): (72, 3, 8) and (18, 3, 2), each kt + 2r + c - 2.
  EXPECT_EQ(SystolicOsCycles(8, 8, depthwise), 84 + 24);
  EXPECT_EQ(SystolicOsGroupsPerFold(8, 4, {1, 2, 3, 4}), 1);  // 4 columns hold one n = 3
}

TEST(SystolicOsTiming, GroupWiderThanTheArrayIsFoldedAlone) {
  const GemmShape wide{2, 3, 6, 2};  // n = 6 on 4 columns
  EXPECT_EQ(SystolicOsGroupsPerFold(4, 4, wide), 0);
  EXPECT_EQ(SystolicOsFolds(4, 4, wide), 2 * 2);
  // Per group folds (r, c) = (2,4) and (2,2) with k = 3: 9 + 7.
  EXPECT_EQ(SystolicOsCycles(4, 4, wide), 2 * (9 + 7));
}

TEST(SystolicOsTiming, EmptyGemmTakesZeroCycles) {
  for (const GemmShape& s :
       {GemmShape{0, 4, 4, 1}, GemmShape{4, 0, 4, 1}, GemmShape{4, 4, 0, 1}, GemmShape{4, 4, 4, 0}}) {
    EXPECT_EQ(SystolicOsCycles(4, 4, s), 0);
    EXPECT_EQ(SystolicOsFolds(4, 4, s), 0);
    EXPECT_EQ(SystolicOsIssuedMacs(4, 4, s), 0);
    EXPECT_EQ(SystolicOsPeCycles(4, 4, s), 0);
  }
}

TEST(SystolicOsTiming, RejectsInvalidArguments) {
  EXPECT_THROW(SystolicOsCycles(0, 4, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(SystolicOsCycles(4, -1, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(SystolicOsCycles(4, 4, {1, -1, 1}), std::invalid_argument);
  EXPECT_THROW(SystolicOsFolds(4, 4, {1, 1, 1, -2}), std::invalid_argument);
  EXPECT_THROW(SystolicOsGroupsPerFold(4, 4, {1, 1, 0}), std::invalid_argument);
}

TEST(SystolicOsTiming, UtilizationIsUsefulMacsOverPeCycles) {
  EXPECT_EQ(SystolicOsPeCycles(4, 4, {4, 5, 4}), 16 * 15);
  // Side by side: folds of 8 and 2 groups fire m*(g'k)*(g'n) = 3*9*1*(64 + 4) MACs, of which
  // only m*k*n*groups = 270 meet a real weight.
  EXPECT_EQ(SystolicOsIssuedMacs(8, 8, {3, 9, 1, 10}), 1836);
  EXPECT_EQ(GemmMacs({3, 9, 1, 10}), 270);
  // Without sharing every issued MAC is useful.
  EXPECT_EQ(SystolicOsIssuedMacs(4, 4, {10, 3, 5}), GemmMacs({10, 3, 5}));
  EXPECT_EQ(SystolicOsIssuedMacs(4, 4, {2, 3, 6, 2}), GemmMacs({2, 3, 6, 2}));
}

TEST(SystolicOsTiming, IsRegisteredAsOs) {
  const DataflowTiming* os = FindDataflow("os");
  ASSERT_NE(os, nullptr);
  EXPECT_STREQ(os->name(), "os");
  for (const GemmShape& s : {GemmShape{10, 3, 5}, GemmShape{3, 9, 1, 10}, GemmShape{0, 1, 1}}) {
    EXPECT_EQ(os->Cycles(8, 4, s), SystolicOsCycles(8, 4, s));
  }
}

TEST(SystolicOsStepped, ComputesTheSameGemmAsATripleLoop) {
  ForEachCase(AllSweeps(), ComputesReferenceGemm<SystolicOsStepped>);
}

TEST(SystolicOsTiming, ClosedFormMatchesSteppedModel) { ForEachCase(DenseSweep(), FinishesAtClosedForm); }

TEST(SystolicOsTiming, ClosedFormMatchesSteppedModelForGroups) {
  ForEachCase(GroupedSweep(), FinishesAtClosedForm);
}

TEST(SystolicOsTiming, FoldsAndIssuedMacsMatchSteppedModel) {
  ForEachCase(AllSweeps(), [](const Case& c, uint32_t seed) {
    return CountsFoldsAndFires<SystolicOsStepped>(c, seed, SystolicOsFolds(c.rows, c.cols, c.shape),
                                                  SystolicOsIssuedMacs(c.rows, c.cols, c.shape));
  });
}

}  // namespace
}  // namespace npusim::models::timing

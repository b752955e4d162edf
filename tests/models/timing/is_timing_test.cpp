// Checks the IS closed forms of models/timing/is_timing.h: a few shapes worked out by hand, then
// sweeps in which the register-level model of is_stepped.h must compute the right GEMM and finish
// exactly when the closed form says (not done at cycle c-1, done at cycle c).
#include "models/timing/is_timing.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "models/timing/systolic_timing.h"
#include "tests/models/timing/is_stepped.h"
#include "tests/models/timing/systolic_sweep.h"

namespace npusim::models::timing {
namespace {

using testing::ComputesReferenceGemm;
using testing::CountsFoldsAndFires;
using testing::FinishesAt;
using testing::ForEachCase;
using testing::kArraySides;
using testing::SystolicIsStepped;
using Case = testing::SweepCase;

// The weight vectors stream in time, so n is sampled (1 to three 8-PE sides, around multiples of
// the array sides); k and m, which fold, are swept.
const int64_t kWeightVectorCounts[] = {1, 2, 3, 5, 8, 9, 17, 24};

// groups == 1, k and m from 1 to three arrays' worth, so full, partial and multiple folds appear.
std::vector<Case> DenseSweep() {
  std::vector<Case> cases;
  for (int rows : kArraySides) {
    for (int cols : kArraySides) {
      for (int64_t n : kWeightVectorCounts) {
        for (int64_t k = 1; k <= 3 * rows; ++k) {
          for (int64_t m = 1; m <= 3 * cols; ++m) cases.push_back({rows, cols, {m, k, n, 1}});
        }
      }
    }
  }
  return cases;
}

// Grouped shapes {m, k} per group: packed several per fold, one per fold, and too big to fit
// (k = 9 on fewer than 9 rows, m = 9 on 8 columns), with a partial last fold when groups is not a
// multiple.
std::vector<Case> GroupedSweep() {
  const GemmShape per_group[] = {{1, 1, 0}, {1, 2, 0}, {2, 1, 0}, {3, 2, 0}, {2, 3, 0},
                                 {4, 4, 0}, {1, 9, 0}, {3, 5, 0}, {9, 2, 0}};
  std::vector<Case> cases;
  for (int rows : kArraySides) {
    for (int cols : kArraySides) {
      for (int64_t n : kWeightVectorCounts) {
        for (int64_t groups : {2, 3, 8}) {
          for (const GemmShape& g : per_group) {
            cases.push_back({rows, cols, {g.m, g.k, n, groups}});
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
  return FinishesAt<SystolicIsStepped>(c, seed, SystolicIsCycles(c.rows, c.cols, c.shape));
}

TEST(SystolicIsTiming, OneByOneArrayTakesThreeCyclesForOneMac) {
  // Preload the input (1), multiply (1), write the accumulator (1).
  EXPECT_EQ(SystolicIsCycles(1, 1, {1, 1, 1}), 3);
}

TEST(SystolicIsTiming, OneFoldTakesPreloadPlusSkewedStreamPlusWrite) {
  // r + (n + r + c - 2) + 1, r = rows of k, c = columns of m.
  EXPECT_EQ(SystolicIsFoldCycles(5, 4, 4), 16);
  EXPECT_EQ(SystolicIsCycles(4, 4, {4, 4, 5}), 16);
  EXPECT_EQ(SystolicIsCycles(4, 4, {2, 3, 1}), 3 + (1 + 3 + 2 - 2) + 1);
}

TEST(SystolicIsTiming, IsWsWithMAndNExchanged) {
  for (const GemmShape& s :
       {GemmShape{5, 10, 7}, GemmShape{1, 4, 3, 5}, GemmShape{10, 9, 1, 2}, GemmShape{17, 3, 2, 8}}) {
    EXPECT_EQ(SystolicIsCycles(8, 4, s), SystolicWsCycles(8, 4, {s.n, s.k, s.m, s.groups}));
  }
}

TEST(SystolicIsTiming, UnusedRowsAndColumnsCostNothing) {
  EXPECT_EQ(SystolicIsCycles(8, 8, {4, 4, 5}), SystolicIsCycles(4, 4, {4, 4, 5}));
}

TEST(SystolicIsTiming, FoldCountFollowsCeilKOverRowsTimesCeilMOverCols) {
  EXPECT_EQ(SystolicIsFolds(4, 4, {5, 10, 7}), 3 * 2);
  EXPECT_EQ(SystolicIsFolds(4, 4, {4, 8, 30}), 2 * 1);  // n never folds: it streams
  // Folds (r, c): (4,4) (4,4) (2,4) (4,1) (4,1) (2,1), each n + 2r + c - 1 with n = 7.
  EXPECT_EQ(SystolicIsCycles(4, 4, {5, 10, 7}), 18 + 18 + 14 + 15 + 15 + 11);
}

TEST(SystolicIsTiming, BlockDiagonalPacksMinOfRowAndColumnFits) {
  const GemmShape shape{1, 4, 3, 5};  // 8 rows hold 2 groups of k = 4; 8 columns 8 of m = 1
  EXPECT_EQ(SystolicIsGroupsPerFold(8, 8, shape), 2);
  EXPECT_EQ(SystolicIsFolds(8, 8, shape), 3);
  // Folds (r, c): (8,2) (8,2) (4,1), each n + 2r + c - 1 with n = 3.
  EXPECT_EQ(SystolicIsCycles(8, 8, shape), 20 + 20 + 11);
}

TEST(SystolicIsTiming, GroupThatDoesNotFitIsFoldedAlone) {
  const GemmShape depthwise{10, 9, 1, 2};  // 3x3 depthwise: k = 9 > 8 rows, m = 10 > 8 columns
  EXPECT_EQ(SystolicIsGroupsPerFold(8, 8, depthwise), 0);
  EXPECT_EQ(SystolicIsFolds(8, 8, depthwise), 2 * 4);
  // Per group folds (r, c): (8,8) (1,8) (8,2) (1,2), each n + 2r + c - 1 with n = 1.
  EXPECT_EQ(SystolicIsCycles(8, 8, depthwise), 2 * (24 + 10 + 18 + 4));
}

TEST(SystolicIsTiming, EmptyGemmTakesZeroCycles) {
  for (const GemmShape& s :
       {GemmShape{0, 4, 4, 1}, GemmShape{4, 0, 4, 1}, GemmShape{4, 4, 0, 1}, GemmShape{4, 4, 4, 0}}) {
    EXPECT_EQ(SystolicIsCycles(4, 4, s), 0);
    EXPECT_EQ(SystolicIsFolds(4, 4, s), 0);
    EXPECT_EQ(SystolicIsIssuedMacs(4, 4, s), 0);
    EXPECT_EQ(SystolicIsPeCycles(4, 4, s), 0);
  }
}

TEST(SystolicIsTiming, RejectsInvalidArguments) {
  EXPECT_THROW(SystolicIsCycles(0, 4, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(SystolicIsCycles(4, -1, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(SystolicIsCycles(4, 4, {1, 1, -1}), std::invalid_argument);
  EXPECT_THROW(SystolicIsFolds(4, 4, {1, 1, 1, -2}), std::invalid_argument);
  EXPECT_THROW(SystolicIsGroupsPerFold(4, 4, {0, 1, 1}), std::invalid_argument);
}

TEST(SystolicIsTiming, UtilizationIsUsefulMacsOverPeCycles) {
  EXPECT_EQ(SystolicIsPeCycles(4, 4, {4, 4, 5}), 16 * 16);
  // Block-diagonal: folds of 2, 2 and 1 groups fire n*(g'k)*(g'm) = 3*4*1*(4 + 4 + 1) MACs, of
  // which only m*k*n*groups = 60 use a real input.
  EXPECT_EQ(SystolicIsIssuedMacs(8, 8, {1, 4, 3, 5}), 108);
  EXPECT_EQ(GemmMacs({1, 4, 3, 5}), 60);
  EXPECT_EQ(SystolicIsIssuedMacs(4, 4, {5, 10, 7}), GemmMacs({5, 10, 7}));
}

TEST(SystolicIsTiming, IsRegisteredAsIs) {
  const DataflowTiming* is = FindDataflow("is");
  ASSERT_NE(is, nullptr);
  EXPECT_STREQ(is->name(), "is");
  for (const GemmShape& s : {GemmShape{5, 10, 7}, GemmShape{1, 4, 3, 5}, GemmShape{0, 1, 1}}) {
    EXPECT_EQ(is->Cycles(8, 4, s), SystolicIsCycles(8, 4, s));
  }
}

TEST(SystolicIsStepped, ComputesTheSameGemmAsATripleLoop) {
  ForEachCase(AllSweeps(), ComputesReferenceGemm<SystolicIsStepped>);
}

TEST(SystolicIsTiming, ClosedFormMatchesSteppedModel) { ForEachCase(DenseSweep(), FinishesAtClosedForm); }

TEST(SystolicIsTiming, ClosedFormMatchesSteppedModelForGroups) {
  ForEachCase(GroupedSweep(), FinishesAtClosedForm);
}

TEST(SystolicIsTiming, FoldsAndIssuedMacsMatchSteppedModel) {
  ForEachCase(AllSweeps(), [](const Case& c, uint32_t seed) {
    return CountsFoldsAndFires<SystolicIsStepped>(c, seed, SystolicIsFolds(c.rows, c.cols, c.shape),
                                                  SystolicIsIssuedMacs(c.rows, c.cols, c.shape));
  });
}

}  // namespace
}  // namespace npusim::models::timing

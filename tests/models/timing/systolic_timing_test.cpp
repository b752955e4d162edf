// Checks the WS closed forms of models/timing/systolic_timing.h: a few shapes worked out by hand,
// then sweeps in which the register-level model of systolic_stepped.h must compute the right GEMM
// and finish exactly when the closed form says (not done at cycle c-1, done at cycle c).
#include "models/timing/systolic_timing.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/models/timing/systolic_stepped.h"
#include "tests/models/timing/systolic_sweep.h"

namespace npusim::models::timing {
namespace {

using testing::ComputesReferenceGemm;
using testing::CountsFoldsAndFires;
using testing::FinishesAt;
using testing::ForEachCase;
using testing::kArraySides;
using testing::SystolicWsStepped;
using Case = testing::SweepCase;

const int64_t kInputCounts[] = {1, 2, 5, 17};

// groups == 1, k and n from 1 to three arrays' worth, so full, partial and multiple folds appear.
std::vector<Case> DenseSweep() {
  std::vector<Case> cases;
  for (int rows : kArraySides) {
    for (int cols : kArraySides) {
      for (int64_t m : kInputCounts) {
        for (int64_t k = 1; k <= 3 * rows; ++k) {
          for (int64_t n = 1; n <= 3 * cols; ++n) cases.push_back({rows, cols, {m, k, n, 1}});
        }
      }
    }
  }
  return cases;
}

// Grouped shapes: packed several per fold, one per fold, and too big to fit (k = 9 depthwise on
// fewer than 9 rows, k = 5 on 4 rows), with a partial last fold when groups is not a multiple.
std::vector<Case> GroupedSweep() {
  const GemmShape per_group[] = {{0, 1, 1}, {0, 2, 1}, {0, 1, 2}, {0, 2, 3},
                                 {0, 3, 2}, {0, 4, 4}, {0, 9, 1}, {0, 5, 3}};
  std::vector<Case> cases;
  for (int rows : kArraySides) {
    for (int cols : kArraySides) {
      for (int64_t m : kInputCounts) {
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
  return FinishesAt<SystolicWsStepped>(c, seed, SystolicWsCycles(c.rows, c.cols, c.shape));
}

TEST(SystolicWsTiming, OneByOneArrayTakesThreeCyclesForOneMac) {
  // Preload the weight (1), multiply (1), write the accumulator (1).
  EXPECT_EQ(SystolicWsCycles(1, 1, {1, 1, 1}), 3);
}

TEST(SystolicWsTiming, OneFoldTakesPreloadPlusSkewedStreamPlusWrite) {
  // r + (m + r + c - 2) + 1.
  EXPECT_EQ(SystolicWsFoldCycles(5, 4, 4), 16);
  EXPECT_EQ(SystolicWsCycles(4, 4, {5, 4, 4}), 16);
  EXPECT_EQ(SystolicWsCycles(4, 4, {1, 3, 2}), 3 + (1 + 3 + 2 - 2) + 1);
}

TEST(SystolicWsTiming, UnusedRowsAndColumnsCostNothing) {
  // The fold's last used row drives the accumulator: a bigger array does not lengthen the skew.
  EXPECT_EQ(SystolicWsCycles(8, 8, {5, 4, 4}), SystolicWsCycles(4, 4, {5, 4, 4}));
}

TEST(SystolicWsTiming, FoldCountFollowsCeilKOverRowsTimesCeilNOverCols) {
  EXPECT_EQ(SystolicWsFolds(4, 4, {7, 10, 5}), 3 * 2);
  EXPECT_EQ(SystolicWsFolds(4, 4, {7, 8, 4}), 2 * 1);
  EXPECT_EQ(SystolicWsFolds(3, 5, {1, 1, 16}), 1 * 4);
  // Folds (r, c): (4,4) (4,4) (2,4) (4,1) (4,1) (2,1), each m + 2r + c - 1 with m = 7.
  EXPECT_EQ(SystolicWsCycles(4, 4, {7, 10, 5}), 18 + 18 + 14 + 15 + 15 + 11);
}

TEST(SystolicWsTiming, BlockDiagonalPacksMinOfRowAndColumnFits) {
  const GemmShape shape{3, 4, 1, 5};  // 8 rows hold 2 groups of k = 4; 8 columns would hold 8
  EXPECT_EQ(SystolicWsGroupsPerFold(8, 8, shape), 2);
  EXPECT_EQ(SystolicWsFolds(8, 8, shape), 3);  // 2 + 2 + 1 groups
  // Folds (r, c): (8,2) (8,2) (4,1), each m + 2r + c - 1 with m = 3.
  EXPECT_EQ(SystolicWsCycles(8, 8, shape), 20 + 20 + 11);
  EXPECT_EQ(SystolicWsGroupsPerFold(8, 4, {1, 2, 3, 4}), 1);  // columns limit: 4 / 3
}

TEST(SystolicWsTiming, GroupThatDoesNotFitIsFoldedAlone) {
  const GemmShape depthwise{4, 9, 1, 3};  // 3x3 depthwise on 8 rows: 9 > 8
  EXPECT_EQ(SystolicWsGroupsPerFold(8, 8, depthwise), 0);
  EXPECT_EQ(SystolicWsFolds(8, 8, depthwise), 3 * 2);
  // Per group folds (8,1) and (1,1): (3 + 16 + 1) + (3 + 2 + 1).
  EXPECT_EQ(SystolicWsCycles(8, 8, depthwise), 3 * (20 + 6));
}

TEST(SystolicWsTiming, EmptyGemmTakesZeroCycles) {
  for (const GemmShape& s :
       {GemmShape{0, 4, 4, 1}, GemmShape{4, 0, 4, 1}, GemmShape{4, 4, 0, 1}, GemmShape{4, 4, 4, 0}}) {
    EXPECT_EQ(SystolicWsCycles(4, 4, s), 0);
    EXPECT_EQ(SystolicWsFolds(4, 4, s), 0);
    EXPECT_EQ(SystolicWsIssuedMacs(4, 4, s), 0);
    EXPECT_EQ(SystolicWsPeCycles(4, 4, s), 0);
  }
}

TEST(SystolicWsTiming, RejectsInvalidArguments) {
  EXPECT_THROW(SystolicWsCycles(0, 4, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(SystolicWsCycles(4, -1, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(SystolicWsCycles(4, 4, {-1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(SystolicWsFolds(4, 4, {1, 1, 1, -2}), std::invalid_argument);
  EXPECT_THROW(SystolicWsGroupsPerFold(4, 4, {1, 0, 1}), std::invalid_argument);
}

TEST(SystolicWsTiming, UtilizationIsUsefulMacsOverPeCycles) {
  EXPECT_EQ(GemmMacs({5, 4, 4}), 80);
  EXPECT_EQ(SystolicWsPeCycles(4, 4, {5, 4, 4}), 16 * 16);
  // Block-diagonal: folds of 2, 2 and 1 groups fire m*(g'k)*(g'n) = 3*4*1*(4 + 4 + 1) MACs, of
  // which only m*k*n*groups = 60 use a real weight.
  EXPECT_EQ(SystolicWsIssuedMacs(8, 8, {3, 4, 1, 5}), 108);
  EXPECT_EQ(GemmMacs({3, 4, 1, 5}), 60);
  // Without packing every issued MAC is useful.
  EXPECT_EQ(SystolicWsIssuedMacs(4, 4, {7, 10, 5}), GemmMacs({7, 10, 5}));
}

TEST(SystolicWsStepped, ComputesTheSameGemmAsATripleLoop) {
  ForEachCase(AllSweeps(), ComputesReferenceGemm<SystolicWsStepped>);
}

TEST(SystolicWsTiming, ClosedFormMatchesSteppedModel) { ForEachCase(DenseSweep(), FinishesAtClosedForm); }

TEST(SystolicWsTiming, ClosedFormMatchesSteppedModelForGroups) {
  ForEachCase(GroupedSweep(), FinishesAtClosedForm);
}

TEST(SystolicWsTiming, FoldsAndIssuedMacsMatchSteppedModel) {
  ForEachCase(AllSweeps(), [](const Case& c, uint32_t seed) {
    return CountsFoldsAndFires<SystolicWsStepped>(c, seed, SystolicWsFolds(c.rows, c.cols, c.shape),
                                                  SystolicWsIssuedMacs(c.rows, c.cols, c.shape));
  });
}

}  // namespace
}  // namespace npusim::models::timing

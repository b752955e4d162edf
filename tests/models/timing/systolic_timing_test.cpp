// Checks the WS closed forms of models/timing/systolic_timing.h: a few shapes worked out by hand,
// then sweeps in which the register-level model of systolic_stepped.h must compute the right GEMM
// and finish exactly when the closed form says (not done at cycle c-1, done at cycle c).
#include "models/timing/systolic_timing.h"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/models/timing/systolic_stepped.h"

namespace npusim::models::timing {
namespace {

using testing::GemmOperands;
using testing::RandomOperands;
using testing::ReferenceGemm;
using testing::SystolicWsStepped;

struct Case {
  int rows, cols;
  GemmShape shape;
};

std::string Describe(const Case& c) {
  std::ostringstream os;
  os << c.rows << "x" << c.cols << " array, m=" << c.shape.m << " k=" << c.shape.k
     << " n=" << c.shape.n << " groups=" << c.shape.groups;
  return os.str();
}

const int kArraySides[] = {1, 2, 3, 4, 8};
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

// Runs the stepped model to the closed form's cycle count and checks it finishes exactly then.
::testing::AssertionResult FinishesAtClosedForm(const Case& c, uint32_t seed) {
  const GemmOperands ops = RandomOperands(c.shape, seed);
  SystolicWsStepped sim(c.rows, c.cols, ops);
  const int64_t expected = SystolicWsCycles(c.rows, c.cols, c.shape);
  if (expected > 0) {
    sim.RunUntil(expected - 1);
    if (sim.done()) {
      return ::testing::AssertionFailure()
             << Describe(c) << ": stepped model done by cycle " << sim.cycle()
             << ", closed form says " << expected;
    }
    sim.Step();
  }
  if (!sim.done()) {
    sim.RunUntil(expected + 100000);
    return ::testing::AssertionFailure() << Describe(c) << ": stepped model needs "
                                         << sim.cycle() << " cycles, closed form says "
                                         << expected;
  }
  return ::testing::AssertionSuccess();
}

// Applies `check` to every case, stopping after a few failures so one bug does not flood the log.
template <typename Check>
void ForEachCase(const std::vector<Case>& cases, Check check) {
  int failures = 0;
  uint32_t seed = 1;
  for (const Case& c : cases) {
    ::testing::AssertionResult result = check(c, seed++);
    EXPECT_TRUE(result);
    if (!result && ++failures >= 5) return;
  }
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
  for (const GemmShape& s : {GemmShape{0, 4, 4, 1}, GemmShape{4, 0, 4, 1}, GemmShape{4, 4, 0, 1},
                             GemmShape{4, 4, 4, 0}}) {
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
  ForEachCase(AllSweeps(), [](const Case& c, uint32_t seed) -> ::testing::AssertionResult {
    const GemmOperands ops = RandomOperands(c.shape, seed);
    SystolicWsStepped sim(c.rows, c.cols, ops);
    sim.RunUntil(int64_t{1} << 40);
    if (sim.acc() == ReferenceGemm(ops)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << Describe(c) << ": accumulators differ from the GEMM";
  });
}

TEST(SystolicWsTiming, ClosedFormMatchesSteppedModel) {
  ForEachCase(DenseSweep(), FinishesAtClosedForm);
}

TEST(SystolicWsTiming, ClosedFormMatchesSteppedModelForGroups) {
  ForEachCase(GroupedSweep(), FinishesAtClosedForm);
}

TEST(SystolicWsTiming, FoldsAndIssuedMacsMatchSteppedModel) {
  ForEachCase(AllSweeps(), [](const Case& c, uint32_t seed) -> ::testing::AssertionResult {
    const GemmOperands ops = RandomOperands(c.shape, seed);
    SystolicWsStepped sim(c.rows, c.cols, ops);
    sim.RunUntil(int64_t{1} << 40);
    const int64_t folds = SystolicWsFolds(c.rows, c.cols, c.shape);
    const int64_t issued = SystolicWsIssuedMacs(c.rows, c.cols, c.shape);
    if (sim.folds_run() == folds && sim.pe_fires() == issued) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << Describe(c) << ": stepped folds " << sim.folds_run() << " vs " << folds
           << ", PE fires " << sim.pe_fires() << " vs " << issued;
  });
}

}  // namespace
}  // namespace npusim::models::timing

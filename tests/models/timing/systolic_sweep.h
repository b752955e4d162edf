// Shared by the systolic dataflow tests (ws, os, is): a case is an array shape and a GEMM, and a
// stepped model (systolic_stepped.h, os_stepped.h, is_stepped.h) must compute the right GEMM and
// finish exactly when the closed form says (not done at cycle c-1, done at cycle c).
//
// A stepped model type offers: Stepped(rows, cols, const GemmOperands&), Step(),
// RunUntil(cycles), done(), cycle(), acc(), folds_run(), pe_fires().
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "tests/models/timing/systolic_stepped.h"

namespace npusim::models::timing::testing {

struct SweepCase {
  int rows, cols;
  GemmShape shape;
};

inline std::string Describe(const SweepCase& c) {
  std::ostringstream os;
  os << c.rows << "x" << c.cols << " array, m=" << c.shape.m << " k=" << c.shape.k << " n=" << c.shape.n
     << " groups=" << c.shape.groups;
  return os.str();
}

// Array sides every sweep covers.
inline const int kArraySides[] = {1, 2, 3, 4, 8};

// Runs a `Stepped` model to `expected` cycles and checks it finishes exactly then.
template <typename Stepped>
::testing::AssertionResult FinishesAt(const SweepCase& c, uint32_t seed, int64_t expected) {
  const GemmOperands ops = RandomOperands(c.shape, seed);
  Stepped sim(c.rows, c.cols, ops);
  if (expected > 0) {
    sim.RunUntil(expected - 1);
    if (sim.done()) {
      return ::testing::AssertionFailure() << Describe(c) << ": stepped model done by cycle " << sim.cycle()
                                           << ", closed form says " << expected;
    }
    sim.Step();
  }
  if (!sim.done()) {
    sim.RunUntil(expected + 100000);
    return ::testing::AssertionFailure() << Describe(c) << ": stepped model needs " << sim.cycle()
                                         << " cycles, closed form says " << expected;
  }
  return ::testing::AssertionSuccess();
}

// Runs a `Stepped` model to the end and checks its accumulators hold the triple loop's GEMM.
template <typename Stepped>
::testing::AssertionResult ComputesReferenceGemm(const SweepCase& c, uint32_t seed) {
  const GemmOperands ops = RandomOperands(c.shape, seed);
  Stepped sim(c.rows, c.cols, ops);
  sim.RunUntil(int64_t{1} << 40);
  if (sim.acc() == ReferenceGemm(ops)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << Describe(c) << ": accumulators differ from the GEMM";
}

// Runs a `Stepped` model to the end and compares its fold and PE-firing counts.
template <typename Stepped>
::testing::AssertionResult CountsFoldsAndFires(const SweepCase& c, uint32_t seed, int64_t folds,
                                               int64_t fires) {
  const GemmOperands ops = RandomOperands(c.shape, seed);
  Stepped sim(c.rows, c.cols, ops);
  sim.RunUntil(int64_t{1} << 40);
  if (sim.folds_run() == folds && sim.pe_fires() == fires) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << Describe(c) << ": stepped folds " << sim.folds_run() << " vs "
                                       << folds << ", PE fires " << sim.pe_fires() << " vs " << fires;
}

// Applies `check` to every case, stopping after a few failures so one bug does not flood the log.
template <typename Check>
void ForEachCase(const std::vector<SweepCase>& cases, Check check) {
  int failures = 0;
  uint32_t seed = 1;
  for (const SweepCase& c : cases) {
    ::testing::AssertionResult result = check(c, seed++);
    EXPECT_TRUE(result);
    if (!result && ++failures >= 5) return;
  }
}

}  // namespace npusim::models::timing::testing

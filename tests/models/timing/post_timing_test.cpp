// Checks the post-processor closed forms of models/timing/post_timing.h by hand and against the
// pipeline stepped in post_stepped.h (not done at cycle c-1, done at cycle c, right values).
#include "models/timing/post_timing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "tests/models/timing/post_stepped.h"

namespace npusim::models::timing {
namespace {

using testing::PostStepped;

// Max over each window, the plain way.
std::vector<int64_t> ReferencePool(const std::vector<int64_t>& in, int64_t window) {
  std::vector<int64_t> out;
  for (size_t o = 0; window > 0 && o < in.size() / window; ++o) {
    out.push_back(*std::max_element(in.begin() + o * window, in.begin() + (o + 1) * window));
  }
  return out;
}

// Steps a pool of `outputs` x `window` inputs and checks it finishes exactly at `expected`.
::testing::AssertionResult FinishesAt(int lanes, int pipeline, int64_t outputs, int64_t window,
                                      int64_t expected) {
  std::mt19937 rng(static_cast<uint32_t>(lanes * 1009 + pipeline * 101 + outputs * 31 + window));
  std::uniform_int_distribution<int> value(-100, 100);
  std::vector<int64_t> inputs(outputs * window);
  for (int64_t& v : inputs) v = value(rng);
  PostStepped sim(lanes, pipeline, window, inputs);
  ::testing::AssertionResult failure = ::testing::AssertionFailure()
                                       << "lanes=" << lanes << " pipeline=" << pipeline
                                       << " outputs=" << outputs << " window=" << window << ": ";
  if (expected > 0) {
    sim.RunUntil(expected - 1);
    if (sim.done()) return failure << "done by cycle " << sim.cycle() << ", expected " << expected;
    sim.Step();
  }
  if (!sim.done()) {
    sim.RunUntil(expected + 100000);
    return failure << "needs " << sim.cycle() << " cycles, expected " << expected;
  }
  if (sim.results() != ReferencePool(inputs, window)) return failure << "wrong results";
  return ::testing::AssertionSuccess();
}

TEST(PostTiming, ElementwiseTakesPipelinePlusCeilNOverLanes) {
  EXPECT_EQ(PostElementwiseCycles(16, 4, 16), 4 + 1);
  EXPECT_EQ(PostElementwiseCycles(16, 4, 17), 4 + 2);
  EXPECT_EQ(PostElementwiseCycles(16, 4, 1), 4 + 1);
  EXPECT_EQ(PostElementwiseCycles(1, 0, 7), 7);
}

TEST(PostTiming, PoolLanesPackAcrossWindows) {
  // 5 outputs of 3x3 windows on 16 lanes: ceil(45/16) = 3 read cycles, not 5 * ceil(9/16) = 5.
  EXPECT_EQ(PostPoolCycles(16, 4, 5, 9), 4 + 3);
  EXPECT_EQ(PostPoolCycles(4, 2, 3, 4), 2 + 3);
}

TEST(PostTiming, NoWorkTakesZeroCycles) {
  EXPECT_EQ(PostElementwiseCycles(16, 4, 0), 0);
  EXPECT_EQ(PostPoolCycles(16, 4, 0, 9), 0);
  EXPECT_EQ(PostPoolCycles(16, 4, 5, 0), 0);
}

TEST(PostTiming, RejectsInvalidArguments) {
  EXPECT_THROW(PostElementwiseCycles(0, 4, 1), std::invalid_argument);
  EXPECT_THROW(PostElementwiseCycles(16, -1, 1), std::invalid_argument);
  EXPECT_THROW(PostElementwiseCycles(16, 4, -1), std::invalid_argument);
  EXPECT_THROW(PostPoolCycles(16, 4, -1, 9), std::invalid_argument);
  EXPECT_THROW(PostPoolCycles(16, 4, 1, -9), std::invalid_argument);
}

TEST(PostTiming, ElementwiseClosedFormMatchesSteppedModel) {
  for (int lanes : {1, 2, 3, 4, 16}) {
    for (int pipeline : {0, 1, 4, 7}) {
      for (int64_t n = 0; n <= 70; ++n) {
        EXPECT_TRUE(FinishesAt(lanes, pipeline, n, 1, PostElementwiseCycles(lanes, pipeline, n)));
      }
    }
  }
}

TEST(PostTiming, PoolClosedFormMatchesSteppedModel) {
  for (int lanes : {1, 2, 3, 4, 16}) {
    for (int pipeline : {0, 1, 4}) {
      for (int64_t window : {1, 2, 4, 9}) {
        for (int64_t outputs = 0; outputs <= 12; ++outputs) {
          EXPECT_TRUE(
              FinishesAt(lanes, pipeline, outputs, window, PostPoolCycles(lanes, pipeline, outputs, window)));
        }
      }
    }
  }
}

}  // namespace
}  // namespace npusim::models::timing

// Run(): chaining ops, input binding, what it returns and what it rejects.
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "tests/reference/test_graphs.h"

namespace npusim::reference {
namespace {

using core::OpType;
using testing::Act;
using testing::FloatMode;
using testing::GraphBuilder;
using testing::Weights;

// x [1,1,1,2] -> conv 1x1 (w [2,1,1,2] = [[1, 1], [1, -1]]) -> h [1,1,1,2] -> reshape -> r [1,2]
// -> fc (w [1,2] = [2, 1]) -> y [1,1]. All scales 1, zero points 0.
core::Graph Chain() {
  GraphBuilder b;
  b.Input(Act("x", {1, 1, 1, 2}, 1.0f, 0, {3, 1}))
      .Tensor(Weights("wc", {2, 1, 1, 2}, {1, 1, 1, -1}))
      .Tensor(Act("h", {1, 1, 1, 2}))
      .Tensor(Act("r", {1, 2}))
      .Tensor(Weights("wf", {1, 2}, {2, 1}))
      .Tensor(Act("y", {1, 1}));
  b.Op(OpType::kConv2d, {"x", "wc"}, "h");
  b.Op(OpType::kReshape, {"h"}, "r");
  b.Op(OpType::kFullyConnected, {"r", "wf"}, "y");
  return b.graph();
}

TEST(ReferenceRun, ChainsOpsAndReturnsEveryActivation) {
  const TensorMap out = reference::Run(Chain(), {}, FloatMode());
  // h = [3 + 1, 3 - 1] = [4, 2]; r = h; y = 2 * 4 + 2 = 10. Constants are not returned.
  EXPECT_EQ(out.at("x"), (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(out.at("h"), (std::vector<int32_t>{4, 2}));
  EXPECT_EQ(out.at("r"), (std::vector<int32_t>{4, 2}));
  EXPECT_EQ(out.at("y"), (std::vector<int32_t>{10}));
  EXPECT_EQ(out.count("wc"), 0u);
}

TEST(ReferenceRun, SuppliedInputsOverrideGraphData) {
  // x = [1, 1]: h = [2, 0]; y = 2 * 2 + 0 = 4.
  EXPECT_EQ(reference::Run(Chain(), {{"x", {1, 1}}}, FloatMode()).at("y"), (std::vector<int32_t>{4}));
}

TEST(ReferenceRun, RejectsBadInputs) {
  core::Graph g = Chain();
  // Not a network input; wrong size; outside int8; bad accumulator width.
  EXPECT_THROW(reference::Run(g, {{"h", {0, 0}}}, FloatMode()), std::invalid_argument);
  EXPECT_THROW(reference::Run(g, {{"x", {1}}}, FloatMode()), std::invalid_argument);
  EXPECT_THROW(reference::Run(g, {{"x", {1, 300}}}, FloatMode()), std::invalid_argument);
  EXPECT_THROW(reference::Run(g, {}, FloatMode(40)), std::invalid_argument);
  // An input with neither supplied values nor data.
  g.tensor("x").data.reset();
  EXPECT_THROW(reference::Run(g, {}, FloatMode()), std::invalid_argument);
}

}  // namespace
}  // namespace npusim::reference

// --check's comparison: the first mismatch is named by tensor and index; equal outputs count.
#include <gtest/gtest.h>

#include "sim/report.h"

namespace npusim::sim {
namespace {

core::Graph TwoOutputs() {
  core::Graph g;
  core::TensorInfo a, b;
  a.name = "a";
  a.shape = {1, 2, 2, 3};
  b.name = "b";
  b.shape = {4};
  g.tensors = {{"a", a}, {"b", b}};
  g.outputs = {"a", "b"};
  return g;
}

TEST(CompareOutputs, EqualOutputsAreBitExactAndCounted) {
  const core::Graph g = TwoOutputs();
  const std::map<std::string, std::vector<int32_t>> v = {{"a", std::vector<int32_t>(12, 7)},
                                                         {"b", {1, 2, 3, 4}}};
  const CheckResult c = CompareOutputs(g, v, v);
  EXPECT_TRUE(c.passed);
  EXPECT_EQ(c.values, 16);
  EXPECT_EQ(c.message, "bit-exact (16 values)");
}

TEST(CompareOutputs, FirstMismatchIsNamedWithNhwcAndFlatIndex) {
  const core::Graph g = TwoOutputs();
  std::map<std::string, std::vector<int32_t>> sim = {{"a", std::vector<int32_t>(12, 7)}, {"b", {1, 2, 3, 4}}};
  const auto ref = sim;
  sim["a"][10] = -3;  // flat 10 of [1,2,2,3] = [0,1,1,1]
  sim["b"][0] = 9;
  const CheckResult c = CompareOutputs(g, sim, ref);
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.message, "mismatch in output \"a\" at [0,1,1,1] (flat index 10): simulated -3, reference 7");
}

}  // namespace
}  // namespace npusim::sim

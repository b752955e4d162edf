// Random small networks for the integration tests, built with GraphBuilder (harness.h). Shared by
// end_to_end_test.cpp (every shipped arch and numeric variant) and dataflow_test.cpp (every
// dataflow), so both exercise the same layer mix.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/transforms/prune.h"
#include "ir/graph.h"
#include "tests/integration/harness.h"

namespace npusim::testing {

// Pads for a window of `eff` over `size` (each side < eff, output at least 1).
inline std::array<int64_t, 2> RandomPads(GraphBuilder& b, int64_t size, int64_t eff) {
  const int64_t lo = b.Uniform(0, eff - 1);
  const int64_t hi = std::max(b.Uniform(0, eff - 1), eff - size - lo);
  return {lo, hi};
}

inline core::Activation RandomActivation(GraphBuilder& b) {
  const int64_t a = b.Uniform(0, 2);
  return a == 0 ? core::Activation::kNone : a == 1 ? core::Activation::kRelu : core::Activation::kRelu6;
}

// A random conv on a [1, h, w, c] input: kernel 1, 3 or 5, dilation 2 now and then, stride 1-2,
// pads that fit, dense, depthwise (channel multiplier 1 or 2) or two groups.
struct RandomConvShape {
  int64_t k = 1, dil = 1, stride = 1, oc = 1, groups = 1;
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  explicit RandomConvShape(GraphBuilder& b, int64_t h, int64_t w, int64_t c) {
    k = std::vector<int64_t>{1, 3, 5}[b.Uniform(0, 2)];
    dil = k > 1 && b.Coin(0.25) ? 2 : 1;
    stride = b.Uniform(1, 2);
    const int64_t eff = dil * (k - 1) + 1;
    const auto ph = RandomPads(b, h, eff), pw = RandomPads(b, w, eff);
    pads = {ph[0], pw[0], ph[1], pw[1]};
    if (b.Coin(0.3)) groups = c;                     // depthwise (multiplier 1 or 2)
    else if (c % 2 == 0 && b.Coin(0.3)) groups = 2;  // grouped
    oc = groups == 1 ? b.Uniform(1, 40) : groups * b.Uniform(1, 2);
  }
};

// conv (any stride/padding/dilation/groups) -> depthwise 3x3 -> pointwise -> residual add ->
// max/avg pool -> global average pool -> flatten -> fully connected.
inline core::Graph RandomNet(uint64_t seed) {
  GraphBuilder b(seed);
  const int64_t h = b.Uniform(3, 13), w = b.Uniform(3, 13), c = b.Uniform(1, 12);
  const std::string x = b.Input({1, h, w, c}, b.Coin(0.8));
  const RandomConvShape s1(b, h, w, c);
  const int64_t oc = s1.oc;
  const std::string y1 =
      b.Conv(x, oc, s1.k, s1.stride, s1.dil, s1.pads, s1.groups, RandomActivation(b), b.Coin(0.8));
  const std::string y2 = b.Conv(y1, oc, 3, 1, 1, {1, 1, 1, 1}, oc, core::Activation::kRelu6);
  const std::string y3 = b.Conv(y2, oc, 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kNone);
  const std::string y4 = b.AddOp(y1, y3, b.Coin() ? core::Activation::kRelu : core::Activation::kNone);
  return [&] {
    // Pool a window that fits the feature map.
    // (the builder reads shapes from the graph so far)
    GraphBuilder& gb = b;
    const core::Graph partial = gb.Build();
    const auto& s = partial.tensor(y4).shape;
    const int64_t pk = gb.Uniform(1, std::min<int64_t>(3, std::min(s[1], s[2])));
    const int64_t pp = gb.Uniform(0, pk - 1);
    const bool max = gb.Coin();
    const std::string y5 = gb.Pool(y4, max ? core::OpType::kMaxPool : core::OpType::kAvgPool, pk,
                                   gb.Uniform(1, 2), {pp, 0, 0, pp}, !max && gb.Coin());
    const std::string y6 = gb.Pool(y5, core::OpType::kGlobalAvgPool, 1, 1, {0, 0, 0, 0});
    const std::string y7 = gb.Reshape(y6, {1, oc});
    gb.FullyConnected(y7, gb.Uniform(1, 20), core::Activation::kNone);
    return gb.Build();
  }();
}

// An MLP on an [M, K] input: matmul with M > 1.
inline core::Graph RandomMlp(uint64_t seed) {
  GraphBuilder b(seed);
  const int64_t m = b.Uniform(1, 7), k = b.Uniform(1, 70);
  std::string x = b.Input({m, k});
  x = b.FullyConnected(x, b.Uniform(1, 50), core::Activation::kRelu);
  b.FullyConnected(x, b.Uniform(1, 30), core::Activation::kNone);
  return b.Build();
}

// RandomNet(seed) pruned by `method` (compiler/transforms/prune.h): "none", "simd" (groups of simd_width),
// "unstructured" or "nm" (2:4, on the layers whose reduction is a multiple of 4), removing
// `sparsity` of every conv/FC layer.
inline core::Graph PrunedRandomNet(const std::string& method, uint64_t seed, double sparsity,
                                   int simd_width) {
  core::Graph g = RandomNet(seed);
  std::map<std::string, double> all;
  for (const std::string& l : compiler::ConvLayers(g)) all[l] = sparsity;
  if (method == "simd") compiler::PruneSimdGroups(g, simd_width, all);
  if (method == "unstructured") compiler::PruneUnstructured(g, all);
  if (method == "nm") {
    std::vector<std::string> layers;
    for (const core::Op& op : g.ops) {
      if (!all.count(op.name)) continue;
      const core::TensorInfo& w = g.tensor(op.inputs[1]);
      if ((w.elements() / w.shape[0]) % 4 == 0) layers.push_back(op.name);
    }
    compiler::PruneNm(g, 2, 4, layers, "test");
  }
  return g;
}

}  // namespace npusim::testing

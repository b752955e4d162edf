// N:M structured pruning (as NVIDIA Ampere's 2:4 sparse tensor cores run it): of every m
// consecutive weights along an output channel's reduction, the n largest stay.
#include <algorithm>

#include "compiler/passes/passes.h"
#include "compiler/transforms/prune_common.h"
#include "support/error.h"

namespace npusim::compiler {

std::vector<PruneLayerResult> PruneNm(core::Graph& g, int n, int m, const std::vector<std::string>& layers,
                                      const std::string& net_file) {
  core::ProblemList problems(net_file);
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    const core::Op& op = g.ops[i];
    if (std::find(layers.begin(), layers.end(), op.name) == layers.end()) continue;
    if (op.type != core::OpType::kConv2d && op.type != core::OpType::kFullyConnected) continue;
    const ConvView v = MakeConvView(g, i);
    const int64_t k = v.kh * v.kw * v.icg();
    if (k % m != 0) {
      problems.Add("/ops/" + std::to_string(i),
                   "layer \"" + op.name + "\": its reduction of " + std::to_string(k) +
                       " weights per output (" + std::to_string(v.kh) + "x" + std::to_string(v.kw) + "x" +
                       std::to_string(v.icg()) + ") is not a multiple of M = " + std::to_string(m) + " (" +
                       std::to_string(n) + ":" + std::to_string(m) + " pruning keeps " + std::to_string(n) +
                       " of every " + std::to_string(m) +
                       " consecutive weights; leave the layer out with a per-layer sparsity of 0)");
    }
  }
  problems.ThrowIfAny();
  return ForEachLayer(g, "PruneNm", layers, [&](int, core::TensorInfo& w) {
    std::vector<int32_t>& data = *w.data;
    const int32_t zp = w.quant.zero_point(0);
    for (size_t b = 0; b + m <= data.size(); b += m) {
      const std::vector<bool> gone =
          SmallestItems(m, m - n, [&](int64_t i) { return Magnitude(data[b + i], zp); });
      for (int i = 0; i < m; ++i) {
        if (gone[i]) data[b + i] = zp;
      }
    }
  });
}

}  // namespace npusim::compiler

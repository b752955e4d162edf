// Magnitude (unstructured) pruning, the baseline Scalpel compares against (Han et al.'s "Deep
// Compression" style): single weights with the smallest real magnitude |w - zero_point| x the
// channel's scale, per layer.
#include <cmath>

#include "compiler/transforms/prune_common.h"

namespace npusim::compiler {

std::vector<PruneLayerResult> PruneUnstructured(core::Graph& g,
                                                const std::map<std::string, double>& sparsity) {
  std::map<std::string, double> by_weights;
  for (const core::Op& op : g.ops) {
    if (sparsity.count(op.name) && op.inputs.size() > 1) by_weights[op.inputs[1]] = sparsity.at(op.name);
  }
  return ForEachLayer(g, "PruneUnstructured", Keys(sparsity), [&](int, core::TensorInfo& w) {
    std::vector<int32_t>& data = *w.data;
    const int32_t zp = w.quant.zero_point(0);
    const int64_t n = static_cast<int64_t>(data.size());
    const int64_t prune = std::llround(by_weights.at(w.name) * static_cast<double>(n));
    const int64_t row = n / std::max<int64_t>(1, w.shape[0]);  // weights per output channel
    const std::vector<bool> gone = SmallestItems(
        n, prune, [&](int64_t i) { return Magnitude(data[i], zp) * ChannelWeight(w, i / row); });
    for (int64_t i = 0; i < n; ++i) {
      if (gone[i]) data[i] = zp;
    }
  });
}

}  // namespace npusim::compiler

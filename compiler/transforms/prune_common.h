// Helpers shared by the pruning passes (internal to compiler/).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "compiler/transforms/prune.h"
#include "ir/graph.h"

namespace npusim::compiler {

inline int64_t Magnitude(int32_t w, int32_t zero_point) { return std::llabs(int64_t{w} - zero_point); }

// Nonzero (!= zero point) weights of a tensor.
int64_t CountNonzero(const core::TensorInfo& w);

// What one quantum of output channel c's weights is worth in real units, for comparing magnitudes
// across channels: its scale with per-channel scales, else 1 (a common factor changes no order).
inline double ChannelWeight(const core::TensorInfo& w, int64_t c) {
  return w.quant.scales.size() > 1 ? static_cast<double>(w.quant.scale(c)) : 1.0;
}

// Zeroes (sets to the zero point) the `count` items with the smallest score (ties: the earlier
// item goes first), where items are scored by `score(i)` for i in [0, items).
std::vector<bool> SmallestItems(int64_t items, int64_t count, const std::function<double(int64_t)>& score);

// Runs `prune(op, weights)` on every conv/FC layer named in `layers` and collects the counts, then
// verifies the graph (core::Verify, naming the pass `pass`).
std::vector<PruneLayerResult> ForEachLayer(
    core::Graph& g, const std::string& pass, const std::vector<std::string>& layers,
    const std::function<void(int op_index, core::TensorInfo& w)>& prune);

std::vector<std::string> Keys(const std::map<std::string, double>& m);

}  // namespace npusim::compiler

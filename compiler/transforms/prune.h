// Hardware-aware pruning (Scalpel, Yu et al. ISCA 2017, section 3): passes that set weights of a
// quantized graph to their zero point (the value a pruned weight takes) or, for node pruning,
// remove whole output channels so that shapes shrink. Each pass is one file under
// compiler/passes/prune_*.cpp. `npusim prune` (app/prune.cpp) chooses one from the command line;
// serving code (AMC-style searches) calls PruneNodes with per-layer keep ratios.
//
// Every pass works on the conv2d / fully_connected layers named in its map (absent layers are left
// alone) and returns what it did per layer. Magnitudes are |w - zero_point| in quanta (what a
// pruned weight loses); ties keep the earlier weight (so results are deterministic).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace npusim::compiler {

struct PruneLayerResult {
  std::string layer;
  int64_t weights_before = 0, nonzero_before = 0;  // nonzero: != zero point
  int64_t weights_after = 0, nonzero_after = 0;
  std::string note;  // why a layer was left whole (node pruning), else empty
};

// SIMD-aware pruning: per layer, removes the fraction `sparsity[layer]` of its aligned groups of
// `simd_width` weights (ir/sparse_format.h's group geometry, the one a sparse_array of that width
// skips) with the smallest L1 magnitude.
std::vector<PruneLayerResult> PruneSimdGroups(core::Graph& g, int simd_width,
                                              const std::map<std::string, double>& sparsity);

// Magnitude (unstructured) pruning: per layer, the fraction `sparsity[layer]` of single weights
// with the smallest magnitude.
std::vector<PruneLayerResult> PruneUnstructured(core::Graph& g,
                                                const std::map<std::string, double>& sparsity);

// N:M pruning: in every run of m consecutive weights along each output channel's reduction
// (OHWI order: taps outer, channels inner), keeps the n largest. Throws core::ConfigError naming
// `net_file` and the layer's /ops/i when m does not divide the layer's reduction length.
std::vector<PruneLayerResult> PruneNm(core::Graph& g, int n, int m, const std::vector<std::string>& layers,
                                      const std::string& net_file);

enum class ChannelNorm { kL1, kL2 };
// Node pruning: per layer, keeps round(keep_ratio[layer] * channels) (at least 1) of its output
// channels, those with the largest norm of their weights, and removes the others with their bias
// and per-channel quantization, the matching channels of every depthwise conv, pool and reshape
// they pass through, and the matching input channels of the conv / FC layers that consume them, so
// every shape on the way shrinks. A layer is left whole (note says why) when its channels reach an
// add, a network output, a grouped (not depthwise) conv, a depthwise conv with a channel
// multiplier, or an FC layer that does not read them as its input features one to one.
std::vector<PruneLayerResult> PruneNodes(core::Graph& g, const std::map<std::string, double>& keep_ratio,
                                         ChannelNorm norm = ChannelNorm::kL1);

// The conv2d / fully_connected layers of `g`, in op order.
std::vector<std::string> ConvLayers(const core::Graph& g);

}  // namespace npusim::compiler

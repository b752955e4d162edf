// explore/policy.h: a policy applied to a network.
#include "explore/policy.h"

#include <algorithm>

#include "compiler/transforms/precision.h"
#include "compiler/transforms/prune.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::explore {
using nlohmann::json;

std::map<std::string, double> KeepRatios(const core::Graph& g, const std::map<std::string, double>& keep,
                                         const std::string& source) {
  const std::vector<std::string> layers = compiler::ConvLayers(g);
  std::map<std::string, double> out;
  const auto all = keep.find("*");
  if (all != keep.end()) {
    for (const std::string& l : layers) out[l] = all->second;
  }
  for (const auto& [layer, ratio] : keep) {
    if (layer == "*") continue;
    if (std::find(layers.begin(), layers.end(), layer) == layers.end()) {
      throw core::ConfigError(source, core::Pointer("/keep", layer),
                              "no conv2d or fully_connected layer is named \"" + layer + "\"");
    }
    out[layer] = ratio;
  }
  return out;
}

void ApplyPolicy(core::Graph& g, const Policy& p, const std::string& source) {
  if (!p.keep.empty()) compiler::PruneNodes(g, KeepRatios(g, p.keep, source));
  if (!p.weight_bits.empty()) core::ApplyWeightBits(g, p.weight_bits, source + " /weight_bits");
  if (!p.activation_bits.empty())
    core::ApplyActivationBits(g, p.activation_bits, source + " /activation_bits");
}

std::string CacheKey(const Policy& p, bool layers) {
  return json{{"w", p.weight_bits}, {"a", p.activation_bits}, {"k", p.keep}, {"l", layers}}.dump();
}

}  // namespace npusim::explore

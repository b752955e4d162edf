// A compression policy (AMC's keep ratios, HAQ's weight and activation bits) and how it changes
// a network: what a `npusim serve` request and a Python `Simulator.cost` call ask
// (explore/cost_session.h answers them).
//
//   explore::Policy p;  p.weight_bits = {{"*", 4}, {"conv0", 8}};  p.keep = {{"pw3", 0.5}};
//   explore::ApplyPolicy(g, p);   // as `npusim run --weight-bits '*=4,conv0=8'` after pruning pw3
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"

namespace npusim::explore {

struct Policy {
  std::map<std::string, int> weight_bits;  // layer (or "*") -> bits, 1..16 (core::ApplyWeightBits)
  // HAQ's activation action: layer (or "*") -> bits of the activations it reads, 2..16
  // (core::ApplyActivationBits).
  std::map<std::string, int> activation_bits;
  // AMC's action: layer (or "*") -> fraction of its output channels kept, in (0, 1]
  // (compiler::PruneNodes).
  std::map<std::string, double> keep;
};

// The keep ratio per conv/FC layer ("*": every one, a named layer overrides it); throws
// core::ConfigError naming `source` and /keep/LAYER for a name that is not a conv/FC layer.
std::map<std::string, double> KeepRatios(const core::Graph& g, const std::map<std::string, double>& keep,
                                         const std::string& source = "request");

// Prunes (keep), then re-quantizes weights and activations as `p` says. Throws core::ConfigError
// naming `source` ("request": errors read "request /weight_bits: ...").
void ApplyPolicy(core::Graph& g, const Policy& p, const std::string& source = "request");

// The policy and the "layers" flag as one string (object keys sorted).
std::string CacheKey(const Policy& p, bool layers);

}  // namespace npusim::explore

// Per-layer precision overrides (the HAQ use case): re-quantize a conv2d/fully_connected layer's
// weights, or the activations it reads, to another bit width without editing the network file.
//
//   npusim run --arch arch/unpu.json --net workloads/mobilenet_q4.json --weight-bits '*=4,conv0=8'
//
// Re-quantization is symmetric and per output channel (the weights must have zero point 0):
//  - b >= 2: Q = 2^(b-1) - 1, M = max |q| of the channel; q' = round(q * Q / M) (half away from
//    zero, in exact integer arithmetic), scale' = scale * M / Q; the channel's bias is
//    re-expressed in the new scale (bias' = round(bias * scale / scale')) so the layer computes the
//    same real function up to the new rounding.
//  - b == 1: binary weights (XNOR-Net, Rastegari et al., ECCV 2016): q' = +1 if q >= 0 else -1,
//    scale' = scale * mean |q| of the channel.
// A channel whose weights are all 0 keeps its scale (and stays 0 for b >= 2).
//
// Activations (HAQ's a_k, the width of the tensor layer k reads) keep their real range: with
// r = (2^(b-1) - 1) / (2^(b0-1) - 1) for a signed tensor of b0 bits (r = (2^b - 1) / (2^b0 - 1)
// unsigned), scale' = scale / r and zero_point' = round(zero_point * r); the layer that produces
// the tensor then requantizes straight to the new width (its clamp follows), and a constant
// network input's values become zero_point' + round((q - zero_point) * r), saturated. max_pool and
// reshape do not rescale, so the tensors they tie together change as one.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"

namespace npusim::core {

// Parses "LAYER=BITS,LAYER=BITS,..." or "@FILE" (a JSON object {"LAYER": BITS, ...}, errors
// naming the file and the key) ('*' names every conv2d/fully_connected layer, and a named
// layer's entry beats '*'; a layer named twice keeps its last entry). Throws ConfigError naming `source`
// (e.g. "--weight-bits") and the entry.
std::map<std::string, int> ParseWeightBits(const std::string& spec, const std::string& source);

// Re-quantizes the activation input of each named conv2d/fully_connected layer ('*': every one)
// to its width (2..16), as above. Throws ConfigError naming `source` for an unknown layer, a layer
// without weights, a width outside 2..16, a per-channel activation, or two layers asking for
// different widths of the same tensor. Whether the hardware runs the width is the compiler's
// question (its unit's input_bits).
void ApplyActivationBits(Graph& g, const std::map<std::string, int>& bits, const std::string& source);

// Re-quantizes the weights of each named layer to its width (1..16). Throws ConfigError naming
// `source` for an unknown layer, a layer without weights, a width outside 1..16, or asymmetric
// weights. Layers whose weights already have the width are left as they are.
void ApplyWeightBits(Graph& g, const std::map<std::string, int>& bits, const std::string& source);

}  // namespace npusim::core

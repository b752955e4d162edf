// The golden integer executor: runs a core::Graph with plain loops, one accumulation step at a
// time, so it is easy to read and to trust. Its results define the hardware's semantics; the
// simulated data path must match them bit for bit (tests and `npusim --check` compare the two).
//
// It shares nothing with compiler/ or models/ except the IR (ir/graph.h) and the quantization
// arithmetic (ir/quant.h): a tiling or addressing bug there cannot hide here.
//
// Typical use:
//   reference::Options opt{core::RequantMode::kOnnxFloat, 32, core::Overflow::kWrap};
//   reference::TensorMap out = reference::Run(graph, {{"x", x_values}}, opt);
//   const std::vector<int32_t>& y = out.at("y");
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/quant.h"

namespace npusim::reference {

// The hardware behaviour that is not in the graph: requantization arithmetic and the
// accumulator (width 8..32 bits, wrap or saturate on overflow).
struct Options {
  core::RequantMode mode = core::RequantMode::kOnnxFloat;
  int acc_bits = 32;
  core::Overflow overflow = core::Overflow::kWrap;
};

// Tensor name -> values in row-major (NHWC) order, one int32 per element whatever the bit width.
using TensorMap = std::map<std::string, std::vector<int32_t>>;

// Runs every op of `g` in order. `inputs` supplies network inputs (it overrides data given in the
// graph; inputs without data must be supplied). Constants come from TensorInfo::data.
// Returns every activation: the network inputs and every op output, keyed by tensor name.
// Throws std::invalid_argument for a missing or ill-sized value, an unknown input name, an input
// value outside its type's range, or an op whose shapes do not agree (the loader normally rejects
// those first).
TensorMap Run(const core::Graph& g, const TensorMap& inputs, const Options& opt);

}  // namespace npusim::reference

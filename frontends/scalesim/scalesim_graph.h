// A SCALE-Sim v2 topology as a quantized graph for the full model (docs/scalesim.md, "The full
// model"): one conv2d (or fully_connected, GEMM form) per row with seeded random int8 weights and
// inputs; a row whose ifmap is the previous row's output (up to the padding the topology folded
// into its ifmap size, or equal in "same" padding mode) reads that output, else an input of its own.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "frontends/scalesim/scalesim_input.h"
#include "ir/graph.h"

namespace npusim::core {

// What the graph made of one topology row.
struct ScaleSimRow {
  const ScaleSimLayer* row = nullptr;
  std::string op_name;
  bool chained = false;                     // reads the previous row's output (else its own input)
  std::array<int64_t, 4> pads{0, 0, 0, 0};  // top, left, bottom, right
  // The GEMM the op is, per group: m output pixels (rows), k window, n filters.
  int64_t gemm_m = 0, gemm_k = 0, gemm_n = 0, groups = 1;
};

// The graph, and one ScaleSimRow per topology row in `rows`. Throws ConfigError (naming the
// topology line) when the tensors would not fit kScaleSimDramCapacityBytes.
Graph BuildScaleSimGraph(const ScaleSimConfig& config, const ScaleSimTopology& topology,
                         std::vector<ScaleSimRow>* rows);

}  // namespace npusim::core

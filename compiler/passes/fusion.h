// Layer fusion (internal to compiler/): a chain of conv layers, maybe ending in a residual add or a pool,
// whose intermediate tensors never reach DRAM. The chain runs band by band: for each band of the last layer's
// output rows, every layer computes the rows of its output that the next layer's band reads, writing them
// into a region of the input buffer that the next layer's CONV reads in place. Rows two bands share are
// either computed again (recompute) or kept: the producer writes them into the next band's slot too (a line
// buffer one band deep); the cost model picks. Weights stay in the weight buffer for the whole group when
// they all fit (loaded once), else they are loaded again band by band through the weight slots. The cost
// model (the tiling's, per band) picks groups, band heights and tiles; a chain is fused only where it rates
// the group better than its layers unfused. A residual add after the last conv joins the group: each tile of
// the last layer's output is added to the matching tile of the skip in the post-processor's buffer and only
// the sum is stored; where the skip is the group's input and a band of it is still on chip, it is not read
// from DRAM again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/passes/passes.h"

namespace npusim::compiler {

struct FusionGroup {
  // Consecutive op indices: conv layers, each one's output only the next one's input, and maybe a
  // trailing add (below).
  std::vector<int> ops;
  // The op index of an add that ends the group, or -1. It reads the last conv's output from the
  // post-processor's buffer, tile by tile, and its other input (the skip) from DRAM, or with
  // `skip_on_chip` from the first layer's input band (the skip is that input).
  int add = -1;
  bool skip_on_chip = false;
  // The op index of a max or average pool that ends the group, or -1: it pools the last conv's
  // band from the input buffer (the conv writes it there as for a next conv) and only its output
  // is stored.
  int pool = -1;
  int64_t band = 1;           // output rows of the last layer per band
  int64_t toc_last = 1;       // output channels per tile of the last layer
  int64_t tic_first = 1;      // input channels per tile of the first layer
  std::vector<int64_t> rows;  // per layer but the last: output rows per CONV (all its channels)
  bool weights_resident = false;
  // Halo rows of intermediate bands kept (the producer writes them into the next band's slot as
  // well) instead of computed again.
  bool line_buffer = false;
  // The first layer's input loaded once per band (it has one input-channel tile), not per tile.
  bool band_input = false;
  int64_t est_cycles = 0, est_dram_bytes = 0;          // the group
  int64_t unfused_cycles = 0, unfused_dram_bytes = 0;  // its layers, each tiled alone
  // The energy terms that tell the two apart (objective.h), of the group and of its layers alone.
  double est_energy_pj = 0, unfused_energy_pj = 0;
  std::vector<int64_t> est_compute;  // per layer: its CONV cycles (the add: its ADD cycles)
  std::string Describe() const;
};

// The groups the cost model prefers to the unfused layers by the compile's objective (none when ctx.fusion is
// off, or on units whose layers fusion does not handle yet: reconfigurable and sparse arrays). Each op is in
// at most one group; ops of no group are emitted one by one as before.
std::vector<FusionGroup> PlanFusion(Context& ctx);

// The instructions of a group, band by band; fills the layers' LayerMapping (the add's too).
void EmitGroup(Context& ctx, const FusionGroup& g);

}  // namespace npusim::compiler

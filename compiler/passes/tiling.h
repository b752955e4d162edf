// Tile-size choice for conv/FC layers (internal to compiler/).
#pragma once

#include <cstdint>
#include <string>

#include "compiler/passes/passes.h"

namespace npusim::compiler {

struct ConvTiling {
  int64_t toh = 1, tow = 1;  // output rows/cols per tile
  // whole_groups (grouped layers): a tile holds toc / ocg whole groups, toc = groups_per_tile * ocg
  // and tic = groups_per_tile * icg, with no input-channel split. Otherwise (always for
  // groups == 1) a tile holds toc output channels and tic input channels of one group.
  int64_t toc = 1;
  int64_t tic = 1;
  bool whole_groups = false;
  bool oc_outer = false;  // loop order: oc tiles outside spatial tiles
  // Sparse arrays: the largest compressed weight tile (else -1: dense toc x taps x tic values).
  int64_t w_tile_bytes = -1;
  int64_t estimated_cycles = 0;
  int64_t estimated_dram_bytes = 0;
  int64_t estimated_dram_access_bytes = 0;  // as the DRAM moves them: runs in whole granules
  double estimated_energy_pj = 0;           // under an objective other than cycles (objective.h)
  std::string Describe(const ConvView& v) const;
};

// Bytes of the operands of one tile (upper bounds over all tiles of the layer).
struct TileBytes {
  int64_t in = 0, w = 0, acc = 0, out = 0;
};
TileBytes ConvTileBytes(const ConvView& v, const ConvTiling& t);
// Weight block layout: weights, then the per-channel params at this offset (16-byte aligned).
int64_t ParamsOffset(const ConvView& v, const ConvTiling& t);

// Sets t's weight tile size where the unit stores weights otherwise than dense (packed, or a
// sparse array's format: Context::sparse); false when such a tile cannot be made.
bool SetWeightTileBytes(const Context& ctx, const ConvView& v, ConvTiling* t);

// Picks the tiling with the least estimated cycles among those that fit two tiles per buffer.
// Throws core::ConfigError naming the layer and the buffer sizes the smallest tile would need.
ConvTiling ChooseConvTiling(const Context& ctx, const ConvView& v);

// One CONV instruction's estimated dynamic energy at the table's voltage (objective.h): the unit's
// (its kind's ConvEnergyPj) and its operand buffers' (the kind's OperandPasses), for a GEMM with
// an input tile of `in_bytes` and a weight tile of `w_bytes`; `first`: it starts its accumulators.
double ConvInstrEnergy(const Context& ctx, const ConvView& v, const models::timing::GemmShape& gemm,
                       int64_t in_bytes, int64_t w_bytes, bool first);
// The same summed over a layer's CONVs under tiling t.
double TiledConvEnergy(const Context& ctx, const ConvView& v, const ConvTiling& t);

// Bytes the DRAM moves for `rows` runs of `row_bytes`: each run in whole granules.
inline int64_t AccessBytes(int64_t row_bytes, int64_t rows, int64_t granule) {
  return rows * ((row_bytes + granule - 1) / granule * granule);
}

// DRAM-side cycles of a transfer of `rows` contiguous runs of `row_bytes` each, a run rounded up to
// whole `granule`s (DramConfig::granule_bytes).
int64_t TransferCycles(int64_t row_bytes, int64_t rows, int64_t bytes_per_cycle, int64_t granule = 1);

// Input rows [r0, r1) of the (unpadded) image that output rows [o0, o0 + n) read.
void InputSpan(int64_t o0, int64_t n, int64_t stride, int64_t dilation, int64_t kernel, int64_t pad,
               int64_t size, int64_t* r0, int64_t* r1);

}  // namespace npusim::compiler

// How one conv/FC layer's constant weights are kept in DRAM and in the weight buffer: one
// WeightStore per layer, among the ones the unit's kind allows (core::UnitKind::Storage, a
// core::WeightStorage):
//   dense   the tensor as it is (one element per 1 or 2 bytes); tiles are strided loads from it;
//   packed  each weight tile packed at the weights' bit width (core::PackValues), stored once;
//   a sparse array's compressed formats (ir/sparse_format.h, sparse_weights.h), each tile
//           encoded and stored once, with its rows' entry counts for the unit's timing.
// EmitConv tiles the layer with every store the unit allows and keeps the fastest; the passes ask
// the chosen store (AllocateDram: StoresTiles; the cost model: Context::sparse; EmitConv: Encode)
// instead of testing the unit's kind. Internal to compiler/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "compiler/passes/passes.h"
#include "compiler/passes/tiling.h"
#include "ir/sparse_format.h"

namespace npusim::compiler {

// A weight tile as a store encodes it.
struct EncodedTile {
  std::vector<uint8_t> bytes;
  // Sparse formats: each row's entry count, as its row header holds it (Program::weight_tile_rows).
  // Empty for the others.
  std::vector<int64_t> row_entries;
};

class WeightStore {
 public:
  virtual ~WeightStore();
  // kDense (the tensor as it is), kPacked, or the sparse format.
  virtual core::WeightFormat format() const = 0;
  // The format as the layer table reports it: "dense", "packed", "simd_groups", "csr".
  std::string name() const { return core::WeightFormatName(format()); }
  // True: EmitConv encodes each weight tile once and places it in DRAM, and AllocateDram leaves
  // the dense tensor out. False: tiles are strided loads from the tensor (Encode is not called).
  virtual bool StoresTiles() const = 0;
  // The tile of output channels [oc0, oc0 + ocn) and weight channels [i0, i0 + in) under tiling
  // `t`, encoded.
  virtual EncodedTile Encode(const ConvTiling& t, int64_t oc0, int64_t ocn, int64_t i0, int64_t in) = 0;
  // Bytes of all the layer's weights under tiling `t` (every stored tile once).
  virtual int64_t StoredBytes(const ConvTiling& t) = 0;
  // ConvArgs::w_groups_span_taps of the layer's instructions (sparse formats). Default false.
  virtual bool groups_span_taps() const;
  // The cost model's view of a compressed layer (Context::sparse); nullptr for the others.
  virtual SparseWeights* sparse();
};

// A conv/FC layer tiled alone: its view, the chosen store (which refers to the view) and tiling.
struct PlannedConv {
  ConvView v;
  std::unique_ptr<WeightStore> store;
  ConvTiling t;
};

// Tiles layer `op_index` alone (reconfigurable arrays: under the mapper's first guess), as EmitConv
// runs it; the fusion planner keeps the result in Context::planned for EmitConv.
std::shared_ptr<PlannedConv> PlanConv(Context& ctx, int op_index);

// Every store unit `ctx.unit` may keep layer `v`'s weights in, in the order ties go to.
std::vector<std::unique_ptr<WeightStore>> WeightStoresFor(const Context& ctx, const ConvView& v);

// Tiles layer `v` with each of WeightStoresFor and returns the store whose tiling the cost model
// estimates fastest (ties: the fewest weight bytes), its tiling in *tiling. When no store can run
// the layer, rethrows the last store's ConfigError.
std::unique_ptr<WeightStore> ChooseWeightStore(Context& ctx, const ConvView& v, ConvTiling* tiling);

// Whether `unit` stores constant weights `w` tile by tile (so AllocateDram leaves the tensor out):
// compressed formats, or packing that saves bytes.
bool StoresTiles(const core::UnitConfig& unit, const core::TensorInfo& w);

// The values of a weight tile in tile order (output channels [oc0, oc0 + ocn) outer, kernel taps,
// weight channels [i0, i0 + in) inner) from OHWI weights `w` with `taps` taps and `icg` channels.
std::vector<int32_t> WeightTileValues(const std::vector<int32_t>& w, int64_t taps, int64_t icg, int64_t oc0,
                                      int64_t ocn, int64_t i0, int64_t in);

// The weight tiles of a layer of `oc` output channels in `groups` groups (ocg and icg per group)
// under tiling (toc, tic, whole_groups), in EmitConv's order: calls visit(oc0, ocn, i0, in) once
// per tile (i0, in along the weight tensor's I axis).
struct WeightGrid {
  int64_t oc = 1, ocg = 1, icg = 1, groups = 1;
};
void ForEachWeightTile(const WeightGrid& g, int64_t toc, int64_t tic, bool whole_groups,
                       const std::function<void(int64_t oc0, int64_t ocn, int64_t i0, int64_t in)>& visit);

}  // namespace npusim::compiler

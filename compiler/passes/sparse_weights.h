// The weights of one conv/FC layer on a sparse_array, in one of the unit's formats
// (ir/sparse_format.h): the sparse array's WeightStore (weight_store.h), and what the tiling's
// cost model needs to know about a candidate tiling (largest and total compressed tile bytes, the
// busiest PE's entries per output pixel, summed over the weight tiles) and the encoded bytes of
// each weight tile, which EmitConv places in DRAM (the dense tensor is not: DRAM traffic, buffer
// use and energy follow the compressed size, index bytes and row headers included). Internal to
// compiler/.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "compiler/passes/passes.h"
#include "compiler/passes/weight_store.h"
#include "config/unit_kind_sparse.h"
#include "ir/sparse_format.h"

namespace npusim::compiler {

class SparseWeights final : public WeightStore {
 public:
  SparseWeights(const core::UnitConfig& unit, const ConvView& v, core::WeightFormat f);

  struct Stats {
    int64_t max_tile_bytes = 0;  // the largest weight tile (for the buffer slot)
    int64_t total_bytes = 0;     // all weight tiles (each stored once in DRAM)
    int64_t tiles = 0;           // weight tiles (output-channel blocks x input-channel blocks)
    int64_t sum_max_load = 0;    // over weight tiles: the busiest PE's cycles per output pixel
    bool fits = true;            // every row of every tile within the row header's entry limit
  };
  // Cached per tiling (toc, tic, whole_groups), as ConvTiling defines them.
  const Stats& StatsFor(int64_t toc, int64_t tic, bool whole_groups);
  // An input-channel tile size the groups survive: a multiple of simd_width, or the whole icg.
  bool AllowsIcTile(int64_t tic) const { return tic >= icg_ || tic % sparse_.simd_width == 0; }

  // Encoded tile of output channels [oc0, oc0 + ocn) and weight channels [i0, i0 + in).
  std::vector<uint8_t> EncodeTile(int64_t oc0, int64_t ocn, int64_t i0, int64_t in) const;
  // The entry counts of that tile's rows under the tiling (tic, whole_groups): the very numbers
  // StatsFor costed, which the CONV instructions carry for the unit's timing (isa::ConvArgs::w_tile).
  std::vector<int64_t> TileRowEntries(int64_t tic, bool whole_groups, int64_t oc0, int64_t ocn, int64_t i0);
  // Whether `encoded` (a tile of `in` weight channels) holds these counts in its row headers.
  bool HeadersMatch(const std::vector<int64_t>& row_entries, int64_t in,
                    const std::vector<uint8_t>& encoded) const;

  // WeightStore: every tile stored in the format, its row entry counts checked against its
  // encoding (a disagreement is a compiler bug: std::logic_error naming the layer).
  core::WeightFormat format() const override { return codec_.format; }
  bool StoresTiles() const override { return true; }
  EncodedTile Encode(const ConvTiling& t, int64_t oc0, int64_t ocn, int64_t i0, int64_t in) override;
  int64_t StoredBytes(const ConvTiling& t) override {
    return StatsFor(t.toc, t.tic, t.whole_groups).total_bytes;
  }
  bool groups_span_taps() const override { return icg_ < codec_.group_width; }
  SparseWeights* sparse() override { return this; }
  const core::SparseConfig& config() const { return sparse_; }  // the unit's

 private:
  core::RowGeometry Geometry(int64_t in) const;
  std::vector<int32_t> DenseTile(int64_t oc0, int64_t ocn, int64_t i0, int64_t in) const;
  // Entries of row oc restricted to weight channels [i0, i0 + in).
  int64_t Entries(int64_t oc, int64_t i0, int64_t in) const;
  // Adds one tile (rows with these entries) to `s`.
  void AddTile(const std::vector<int64_t>& entries, int64_t in, Stats* s) const;

  const core::SparseConfig& sparse_;
  std::string layer_;
  core::SparseCodec codec_;
  const std::vector<int32_t>& w_;
  int64_t oc_, taps_, icg_, ocg_, groups_;
  std::map<std::tuple<int64_t, int64_t, bool>, Stats> cache_;
  // Entry counts of every (row, input-channel block) per block size (0: whole rows, taps
  // included), shared by every output-channel tile size the tiling search tries.
  const std::vector<int64_t>& BlockEntries(int64_t tic, bool whole_groups);
  std::map<std::pair<int64_t, bool>, std::vector<int64_t>> entries_;
};

}  // namespace npusim::compiler

#include "compiler/passes/sparse_weights.h"

#include <algorithm>
#include <stdexcept>

#include "models/timing/sparse_timing.h"

namespace npusim::compiler {

SparseWeights::SparseWeights(const core::UnitConfig& unit, const ConvView& v, core::WeightFormat f)
    : sparse_(unit.params<core::SparseConfig>()),
      layer_(v.op->name),
      codec_(core::MakeCodec(f, sparse_.simd_width, sparse_.index_bits, v.w->bits, v.w->is_signed,
                             v.w->quant.zero_point(0))),
      w_(*v.w->data),
      oc_(v.oc),
      taps_(v.kh * v.kw),
      icg_(v.icg()),
      ocg_(v.ocg()),
      groups_(v.groups) {}

core::RowGeometry SparseWeights::Geometry(int64_t in) const {
  return core::TileRowGeometry(taps_, in, groups_span_taps(), codec_.group_width);
}

std::vector<int32_t> SparseWeights::DenseTile(int64_t oc0, int64_t ocn, int64_t i0, int64_t in) const {
  return WeightTileValues(w_, taps_, icg_, oc0, ocn, i0, in);
}

int64_t SparseWeights::Entries(int64_t oc, int64_t i0, int64_t in) const {
  const core::RowGeometry geo = Geometry(in);
  if (codec_.format == core::WeightFormat::kDense) return geo.groups();
  return core::RowEntries(codec_, geo, DenseTile(oc, 1, i0, in).data());
}

void SparseWeights::AddTile(const std::vector<int64_t>& entries, int64_t in, Stats* s) const {
  for (int64_t e : entries) s->fits = s->fits && e <= core::kMaxRowEntries;
  const int64_t bytes = core::TileBytes(codec_, Geometry(in), entries);
  const std::vector<int64_t> load = models::timing::SparsePeLoads(sparse_, codec_.format, entries);
  s->max_tile_bytes = std::max(s->max_tile_bytes, bytes);
  s->total_bytes += bytes;
  s->tiles += 1;
  s->sum_max_load += *std::max_element(load.begin(), load.end());
}

const std::vector<int64_t>& SparseWeights::BlockEntries(int64_t tic, bool whole_groups) {
  const auto key = std::make_pair(whole_groups ? 0 : tic, whole_groups);
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  std::vector<int64_t>& e = entries_[key];
  if (whole_groups) {
    e.resize(oc_);
    for (int64_t oc = 0; oc < oc_; ++oc) e[oc] = Entries(oc, 0, icg_);
    return e;
  }
  const int64_t blocks = (icg_ + tic - 1) / tic;
  e.resize(oc_ * blocks);
  for (int64_t oc = 0; oc < oc_; ++oc) {
    for (int64_t b = 0; b < blocks; ++b)
      e[oc * blocks + b] = Entries(oc, b * tic, std::min(tic, icg_ - b * tic));
  }
  return e;
}

const SparseWeights::Stats& SparseWeights::StatsFor(int64_t toc, int64_t tic, bool whole_groups) {
  const auto key = std::make_tuple(toc, tic, whole_groups);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  Stats s;
  ForEachWeightTile({oc_, ocg_, icg_, groups_}, toc, tic, whole_groups,
                    [&](int64_t oc0, int64_t ocn, int64_t i0, int64_t in) {
                      AddTile(TileRowEntries(tic, whole_groups, oc0, ocn, i0), in, &s);
                    });
  return cache_[key] = s;
}

std::vector<int64_t> SparseWeights::TileRowEntries(int64_t tic, bool whole_groups, int64_t oc0, int64_t ocn,
                                                   int64_t i0) {
  const std::vector<int64_t>& e = BlockEntries(tic, whole_groups);
  // Whole rows: one count per output channel; else one per (output channel, input-channel block).
  const int64_t blocks = whole_groups ? 1 : (icg_ + tic - 1) / tic, b = whole_groups ? 0 : i0 / tic;
  std::vector<int64_t> rows(ocn);
  for (int64_t r = 0; r < ocn; ++r) rows[r] = e[(oc0 + r) * blocks + b];
  return rows;
}

bool SparseWeights::HeadersMatch(const std::vector<int64_t>& row_entries, int64_t in,
                                 const std::vector<uint8_t>& encoded) const {
  const int64_t rows = static_cast<int64_t>(row_entries.size());
  return core::TileRowEntries(codec_, Geometry(in), rows, encoded.data(),
                              static_cast<int64_t>(encoded.size())) == row_entries;
}

// The row entry counts the cost model chose the tiling by go to the program's table for the unit's
// timing; they must be what the encoder wrote in the row headers (timing mode never reads the
// headers, so a disagreement would go unseen there).
EncodedTile SparseWeights::Encode(const ConvTiling& t, int64_t oc0, int64_t ocn, int64_t i0, int64_t in) {
  EncodedTile tile{EncodeTile(oc0, ocn, i0, in), TileRowEntries(t.tic, t.whole_groups, oc0, ocn, i0)};
  if (!HeadersMatch(tile.row_entries, in, tile.bytes)) {
    throw std::logic_error("layer " + layer_ + ": the cost model's row entries of weight tile oc" +
                           std::to_string(oc0) + " i" + std::to_string(i0) + " differ from its encoding");
  }
  return tile;
}

std::vector<uint8_t> SparseWeights::EncodeTile(int64_t oc0, int64_t ocn, int64_t i0, int64_t in) const {
  return core::EncodeTile(codec_, Geometry(in), ocn, DenseTile(oc0, ocn, i0, in).data());
}

}  // namespace npusim::compiler

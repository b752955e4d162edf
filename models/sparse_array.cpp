#include "models/sparse_array.h"

#include <stdexcept>
#include <string>

#include "models/timing/sparse_timing.h"

namespace npusim::models {

SparseArray::SparseArray(sc_core::sc_module_name name, const MatrixUnitArgs& a) : MatrixUnit(name, a) {
  entry_macs_ = &a.stats.Register(cfg_.name, "entry_mac", "actions",
                                  "weight entries multiply-accumulated (simd_width lanes each)");
  decodes_ = &a.stats.Register(cfg_.name, "index_decode", "actions", "relative indices decoded");
}

core::SparseCodec SparseArray::CodecOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  const core::SparseConfig& s = cfg.params<core::SparseConfig>();
  return core::MakeCodec(c.w_format, s.simd_width, s.index_bits, c.w_type.bits, c.w_type.is_signed,
                         c.w_zero_point);
}

core::RowGeometry SparseArray::GeometryOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  const int64_t gw = CodecOf(cfg, c).group_width;
  return core::TileRowGeometry(c.kh * c.kw, c.in_c / c.groups, c.w_groups_span_taps, gw);
}

int64_t SparseArray::CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c,
                              const std::vector<int64_t>& row_entries) {
  return timing::SparseCycles(cfg.params<core::SparseConfig>(), c.w_format, c.out_h * c.out_w, row_entries);
}

int64_t SparseArray::Begin(const isa::Instruction& in) {
  entries_ = &RowEntriesOf(in);
  return CyclesOf(cfg_, in.conv(), *entries_);
}

void SparseArray::End(const isa::Instruction& in) {
  // Timing mode: the data path only checks that the operands lie inside the buffers.
  if (mode_ == ExecMode::kExact) {
    Compute(in, *entries_);
  } else {
    datapath_.Run(in.conv(), mem_);
  }
  Count(in.conv(), in.layer, *entries_);
}

const std::vector<int64_t>& SparseArray::RowEntriesOf(const isa::Instruction& in) {
  const std::vector<std::vector<int64_t>>& tiles = ctrl_.program().weight_tile_rows;
  const int32_t t = in.conv().w_tile;
  if (t < 0 || t >= static_cast<int32_t>(tiles.size()) ||
      static_cast<int64_t>(tiles[t].size()) != in.conv().out_c) {
    SC_REPORT_FATAL(name(), ("CONV " + std::to_string(in.id) + " names no weight tile of " +
                             std::to_string(in.conv().out_c) + " rows (w_tile " + std::to_string(t) + ")")
                                .c_str());
  }
  return tiles[t];
}

namespace {

// The first row whose header in the buffer differs from the instruction's count, said so that a
// reader can find the tile (the instruction as listed) and see both numbers.
std::string HeaderMismatch(const isa::Instruction& in, const std::vector<int64_t>& found,
                           const std::vector<int64_t>& expected) {
  size_t r = 0;
  while (r < found.size() && found[r] == expected[r]) ++r;
  return "the weight tile in the buffer is not the one the instruction was compiled for: row " +
         std::to_string(r) + " of weight tile " + std::to_string(in.conv().w_tile) + " has " +
         std::to_string(found[r]) + " entries in its row header, the instruction says " +
         std::to_string(expected[r]) + " (a tiling or addressing bug): " + isa::FormatInstruction(in);
}

}  // namespace

void SparseArray::Compute(const isa::Instruction& in, const std::vector<int64_t>& row_entries) {
  const isa::ConvArgs& c = in.conv();
  const core::SparseCodec codec = CodecOf(cfg_, c);
  const core::RowGeometry geo = GeometryOf(cfg_, c);
  const uint8_t* tile = mem_.Ptr(c.w_addr, c.w_bytes);
  try {
    const std::vector<int64_t> found = core::TileRowEntries(codec, geo, c.out_c, tile, c.w_bytes);
    if (found != row_entries) SC_REPORT_FATAL(name(), HeaderMismatch(in, found, row_entries).c_str());
    datapath_.Run(c, mem_, core::DecodeTile(codec, geo, c.out_c, tile, c.w_bytes));
  } catch (const std::invalid_argument& e) {
    SC_REPORT_FATAL(name(), e.what());
  }
}

void SparseArray::Count(const isa::ConvArgs& c, int layer, const std::vector<int64_t>& row_entries) {
  const timing::SparseActions a = timing::CountSparseActions(c.w_format, c.out_h * c.out_w, row_entries);
  entry_macs_->Add(layer, static_cast<uint64_t>(a.entry_macs));
  decodes_->Add(layer, static_cast<uint64_t>(a.index_decodes));
  CountTraffic(c, layer, {1, c.w_bytes, 1, 1});
}

std::unique_ptr<MatrixUnit> MakeSparseModule(const MatrixUnitArgs& a) {
  return MakeUnitModule<SparseArray>(a);
}

}  // namespace npusim::models

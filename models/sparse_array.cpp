#include "models/sparse_array.h"

#include <stdexcept>

#include "models/timing/sparse_timing.h"

namespace npusim::models {

SparseArray::SparseArray(sc_core::sc_module_name name, const core::UnitConfig& cfg, Controller& ctrl,
                         const std::vector<Sram*>& srams, core::StatRegistry& stats, ExecMode mode)
    : sc_module(name),
      sram_isock("sram_isock"),
      cfg_(cfg),
      ctrl_(ctrl),
      mem_(sram_isock, srams, this->name()),
      datapath_(cfg.acc_bits, cfg.overflow),
      compute_outputs_(mode == ExecMode::kExact) {
  entry_macs_ = &stats.Register(cfg.name, "entry_mac", "actions",
                                "weight entries multiply-accumulated (simd_width lanes each)");
  decodes_ = &stats.Register(cfg.name, "index_decode", "actions", "relative indices decoded");
  SC_HAS_PROCESS(SparseArray);
  SC_THREAD(Thread);
}

core::SparseCodec SparseArray::CodecOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  return core::MakeCodec(c.w_format, cfg.sparse.simd_width, cfg.sparse.index_bits, c.w_type.bits,
                         c.w_type.is_signed, c.w_zero_point);
}

core::RowGeometry SparseArray::GeometryOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  const int64_t gw = CodecOf(cfg, c).group_width;
  return core::TileRowGeometry(c.kh * c.kw, c.in_c / c.groups, c.w_groups_span_taps, gw);
}

int64_t SparseArray::CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c,
                              const std::vector<int64_t>& row_entries) {
  return timing::SparseCycles(cfg.sparse, c.w_format, c.out_h * c.out_w, row_entries);
}

void SparseArray::Thread() {
  while (const isa::Instruction* in = ctrl_.Next(isa::Queue::kCompute)) {
    const isa::ConvArgs& c = in->conv();
    // The unit walks the tile's row headers: its cycles follow this tile's real density.
    std::vector<int64_t> entries;
    try {
      entries = core::TileRowEntries(CodecOf(cfg_, c), GeometryOf(cfg_, c), c.out_c,
                                     mem_.Ptr(c.w_addr, c.w_bytes), c.w_bytes);
    } catch (const std::invalid_argument& e) {
      SC_REPORT_FATAL(name(), e.what());
    }
    wait(Cycles(CyclesOf(cfg_, c, entries)));
    // After the wait and before Done: no one reads the accumulators or overwrites the operands
    // before Done (the schedule's RAW/WAR tokens), so the values are those of the whole span.
    if (compute_outputs_) Compute(c);
    Count(c, in->layer, entries);
    ctrl_.Done(*in);
  }
}

void SparseArray::Compute(const isa::ConvArgs& c) {
  try {
    datapath_.Run(c, mem_,
                  core::DecodeTile(CodecOf(cfg_, c), GeometryOf(cfg_, c), c.out_c, mem_.Ptr(c.w_addr, c.w_bytes),
                                   c.w_bytes));
  } catch (const std::invalid_argument& e) {
    SC_REPORT_FATAL(name(), e.what());
  }
}

void SparseArray::Count(const isa::ConvArgs& c, int layer, const std::vector<int64_t>& row_entries) {
  const timing::SparseActions a = timing::CountSparseActions(c.w_format, c.out_h * c.out_w, row_entries);
  entry_macs_->Add(layer, static_cast<uint64_t>(a.entry_macs));
  decodes_->Add(layer, static_cast<uint64_t>(a.index_decodes));
  const int64_t acc_bytes = c.out_h * c.out_w * c.out_c * 4;
  mem_.Count(c.in_addr, layer, false, c.in_h * c.in_w * c.in_c * c.in_type.bytes());
  mem_.Count(c.w_addr, layer, false, c.w_bytes);
  mem_.Count(c.acc_addr, layer, true, acc_bytes);
  if (!c.first) mem_.Count(c.acc_addr, layer, false, acc_bytes);
}

}  // namespace npusim::models

#include "models/systolic_array.h"

#include <algorithm>

#include "core/quant.h"

namespace npusim::models {
namespace {

std::string MacAction(const core::UnitConfig& cfg) {
  const int b = std::max(*std::max_element(cfg.input_bits.begin(), cfg.input_bits.end()),
                         *std::max_element(cfg.weight_bits.begin(), cfg.weight_bits.end()));
  return "mac_" + std::to_string(b) + "b";
}

}  // namespace

SystolicArray::SystolicArray(sc_core::sc_module_name name, const core::UnitConfig& cfg,
                             Controller& ctrl, const std::vector<Sram*>& srams,
                             core::StatRegistry& stats, ExecMode mode)
    : sc_module(name),
      sram_isock("sram_isock"),
      cfg_(cfg),
      ctrl_(ctrl),
      mem_(sram_isock, srams, this->name()),
      datapath_(cfg.acc_bits, cfg.overflow, mode),
      macs_(stats.Register(cfg.name, MacAction(cfg), "actions", "useful multiply-accumulates")),
      idle_(stats.Register(cfg.name, "idle_pe_cycle", "cycles",
                           "PE-cycles spent without a useful MAC (fill, drain, partial folds)")) {
  SC_HAS_PROCESS(SystolicArray);
  SC_THREAD(Thread);
}

int64_t SystolicArray::CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  return timing::FindDataflow(cfg.dataflow)->Cycles(cfg.rows, cfg.cols, ConvGemm(c));
}

void SystolicArray::Thread() {
  while (const isa::Instruction* in = ctrl_.Next(isa::Queue::kCompute)) {
    const int64_t cycles = CyclesOf(cfg_, in->conv());
    // Compute at the start: the inputs are final (dependencies), and no one may read the
    // accumulators or overwrite the inputs before Done (the schedule's WAR/RAW tokens).
    datapath_.Run(in->conv(), mem_);
    Count(in->conv(), in->layer, cycles);
    wait(Cycles(cycles));
    ctrl_.Done(*in);
  }
}

void SystolicArray::Count(const isa::ConvArgs& c, int layer, int64_t cycles) {
  const timing::GemmShape g = ConvGemm(c);
  const uint64_t useful = static_cast<uint64_t>(g.m * g.k * g.n * g.groups);
  macs_.Add(layer, useful);
  idle_.Add(layer, static_cast<uint64_t>(cycles) * cfg_.rows * cfg_.cols - std::min<uint64_t>(
      useful, static_cast<uint64_t>(cycles) * cfg_.rows * cfg_.cols));
  // A WS array streams its input tile once per column fold and reads its weights once; the
  // accumulators are read-modify-written once per row fold (not on the first fold of a tile
  // that starts from the bias). Counted so for every dataflow, an approximation for os and is
  // (docs/models.md, "Systolic array (OS)", "What it leaves out").
  const int64_t col_folds = (g.n + cfg_.cols - 1) / cfg_.cols;
  const int64_t row_folds = (g.k + cfg_.rows - 1) / cfg_.rows;
  const int64_t in_bytes = c.in_h * c.in_w * c.in_c * c.in_type.bytes();
  const int64_t acc_bytes = c.out_h * c.out_w * c.out_c * 4;
  mem_.Count(c.in_addr, layer, false, in_bytes, col_folds);
  mem_.Count(c.w_addr, layer, false, WeightTileBytes(c));
  mem_.Count(c.acc_addr, layer, true, acc_bytes, row_folds);
  mem_.Count(c.acc_addr, layer, false, acc_bytes, row_folds - (c.first ? 1 : 0));
}

}  // namespace npusim::models

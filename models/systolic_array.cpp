#include "models/systolic_array.h"

#include <algorithm>

namespace npusim::models {

SystolicArray::SystolicArray(sc_core::sc_module_name name, const MatrixUnitArgs& a)
    : MatrixUnit(name, a),
      macs_(
          a.stats.Register(cfg_.name, timing::MacActionName(cfg_), "actions", "useful multiply-accumulates")),
      idle_(a.stats.Register(cfg_.name, "idle_pe_cycle", "cycles",
                             "PE-cycles spent without a useful MAC (fill, drain, partial folds)")) {}

int64_t SystolicArray::CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  return timing::RequireDataflow(cfg.dataflow).Cycles(cfg.rows, cfg.cols, ConvGemm(c));
}

int64_t SystolicArray::Begin(const isa::Instruction& in) {
  const int64_t cycles = CyclesOf(cfg_, in.conv());
  datapath_.Run(in.conv(), mem_);
  Count(in.conv(), in.layer, cycles);
  return cycles;
}

void SystolicArray::Count(const isa::ConvArgs& c, int layer, int64_t cycles) {
  const timing::GemmShape g = ConvGemm(c);
  const uint64_t useful = static_cast<uint64_t>(g.m * g.k * g.n * g.groups);
  macs_.Add(layer, useful);
  idle_.Add(layer, static_cast<uint64_t>(cycles) * cfg_.rows * cfg_.cols -
                       std::min<uint64_t>(useful, static_cast<uint64_t>(cycles) * cfg_.rows * cfg_.cols));
  // Operand passes: timing::UnitTiming::Passes (column folds, row folds).
  const timing::OperandPasses p = timing::MatrixUnitPasses(cfg_, g);
  CountTraffic(c, layer, {p.in_reads, WeightTileBytes(c), p.w_reads, p.acc_writes});
}

std::unique_ptr<MatrixUnit> MakeSystolicModule(const MatrixUnitArgs& a) {
  return MakeUnitModule<SystolicArray>(a);
}

}  // namespace npusim::models

#include "models/reconfigurable_array.h"

#include <algorithm>

namespace npusim::models {
namespace {

int64_t ReconfigCycles(const core::UnitConfig& cfg) {
  return cfg.params<core::ReconfigConfig>().reconfig_cycles;
}

}  // namespace

ReconfigurableArray::ReconfigurableArray(sc_core::sc_module_name name, const MatrixUnitArgs& a)
    : MatrixUnit(name, a),
      macs_(
          a.stats.Register(cfg_.name, timing::MacActionName(cfg_), "actions", "useful multiply-accumulates")),
      idle_(a.stats.Register(cfg_.name, "idle_pe_cycle", "cycles",
                             "PE-cycles without a useful MAC (fill, drain, partial folds, idle arrays)")),
      hops_(a.stats.Register(cfg_.name, "bypass_hop", "actions",
                             "values moved across a sub-array boundary through a bypass link")),
      reduce_(a.stats.Register(cfg_.name, "reduce_add", "actions",
                               "partial-sum additions (and moves) of a K-split reduction")),
      reconfig_(a.stats.Register(cfg_.name, "reconfigure", "actions",
                                 "partition changes (bypass-link and control reconfiguration)")) {}

int64_t ReconfigurableArray::CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c) {
  const timing::ArrayMapping m = timing::MappingOf(cfg, c);
  return timing::MatrixUnitCycles(cfg, ConvGemm(c), c.w_type.bits, c.in_type.bits, &m);
}

bool ReconfigurableArray::Reconfigures(const isa::ConvArgs* prev, const isa::ConvArgs& c) {
  const isa::ConvArgs mono;
  const isa::ConvArgs& p = prev != nullptr ? *prev : mono;
  return p.part_rows != c.part_rows || p.part_cols != c.part_cols || p.split_m != c.split_m ||
         p.split_n != c.split_n || p.split_k != c.split_k;
}

int64_t ReconfigurableArray::StreamCycles(const core::UnitConfig& cfg, const isa::Program& program) {
  int64_t cycles = 0;
  const isa::ConvArgs* prev = nullptr;
  for (const isa::Instruction& in : program.instructions) {
    if (in.op != isa::Opcode::kConv) continue;
    cycles += CyclesOf(cfg, in.conv()) + (Reconfigures(prev, in.conv()) ? ReconfigCycles(cfg) : 0);
    prev = &in.conv();
  }
  return cycles;
}

int64_t ReconfigurableArray::Begin(const isa::Instruction& in) {
  const isa::ConvArgs& c = in.conv();
  const timing::ArrayMapping m = timing::MappingOf(cfg_, c);
  const timing::PartitionActions a =
      timing::CountPartitionActions(timing::GeometryOf(cfg_), m.partition, *m.dataflow, ConvGemm(c));
  int64_t cycles = a.cycles;
  if (Reconfigures(prev_, c)) {
    cycles += ReconfigCycles(cfg_);
    reconfig_.Add(in.layer, 1);
    ++reconfigurations_;
  }
  prev_ = &c;
  datapath_.Run(c, mem_);
  Count(c, in.layer, a);
  return cycles;
}

void ReconfigurableArray::Count(const isa::ConvArgs& c, int layer, const timing::PartitionActions& a) {
  macs_.Add(layer, static_cast<uint64_t>(a.macs));
  idle_.Add(layer, static_cast<uint64_t>(a.idle_pe_cycles));
  hops_.Add(layer, static_cast<uint64_t>(a.bypass_hops));
  reduce_.Add(layer, static_cast<uint64_t>(a.reduce_adds));
  CountTraffic(c, layer, {a.input_reads, WeightTileBytes(c), a.weight_reads, a.acc_writes});
}

std::unique_ptr<MatrixUnit> MakeReconfigModule(const MatrixUnitArgs& a) {
  return MakeUnitModule<ReconfigurableArray>(a);
}

}  // namespace npusim::models

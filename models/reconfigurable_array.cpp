#include "models/reconfigurable_array.h"

#include <algorithm>

namespace npusim::models {

ReconfigurableArray::ReconfigurableArray(sc_core::sc_module_name name, const core::UnitConfig& cfg,
                                         Controller& ctrl, const std::vector<Sram*>& srams,
                                         core::StatRegistry& stats, ExecMode mode)
    : sc_module(name),
      sram_isock("sram_isock"),
      cfg_(cfg),
      ctrl_(ctrl),
      mem_(sram_isock, srams, this->name()),
      datapath_(cfg.acc_bits, cfg.overflow, mode),
      macs_(stats.Register(cfg.name, timing::MacActionName(cfg), "actions", "useful multiply-accumulates")),
      idle_(stats.Register(cfg.name, "idle_pe_cycle", "cycles",
                           "PE-cycles without a useful MAC (fill, drain, partial folds, idle arrays)")),
      hops_(stats.Register(cfg.name, "bypass_hop", "actions",
                           "values moved across a sub-array boundary through a bypass link")),
      reduce_(stats.Register(cfg.name, "reduce_add", "actions",
                             "partial-sum additions (and moves) of a K-split reduction")),
      reconfig_(stats.Register(cfg.name, "reconfigure", "actions",
                               "partition changes (bypass-link and control reconfiguration)")) {
  SC_HAS_PROCESS(ReconfigurableArray);
  SC_THREAD(Thread);
}

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
    cycles += CyclesOf(cfg, in.conv()) + (Reconfigures(prev, in.conv()) ? cfg.reconfig.reconfig_cycles : 0);
    prev = &in.conv();
  }
  return cycles;
}

void ReconfigurableArray::Thread() {
  const isa::ConvArgs* prev = nullptr;
  while (const isa::Instruction* in = ctrl_.Next(isa::Queue::kCompute)) {
    const isa::ConvArgs& c = in->conv();
    const timing::ArrayMapping m = timing::MappingOf(cfg_, c);
    const timing::PartitionActions a =
        timing::CountPartitionActions(timing::GeometryOf(cfg_), m.partition, *m.dataflow, ConvGemm(c));
    int64_t cycles = a.cycles;
    if (Reconfigures(prev, c)) {
      cycles += cfg_.reconfig.reconfig_cycles;
      reconfig_.Add(in->layer, 1);
      ++reconfigurations_;
    }
    prev = &c;
    // Compute at the start: the inputs are final (dependencies), and no one may read the
    // accumulators or overwrite the inputs before Done (the schedule's WAR/RAW tokens).
    datapath_.Run(c, mem_);
    Count(c, in->layer, a);
    wait(Cycles(cycles));
    ctrl_.Done(*in);
  }
}

void ReconfigurableArray::Count(const isa::ConvArgs& c, int layer, const timing::PartitionActions& a) {
  macs_.Add(layer, static_cast<uint64_t>(a.macs));
  idle_.Add(layer, static_cast<uint64_t>(a.idle_pe_cycles));
  hops_.Add(layer, static_cast<uint64_t>(a.bypass_hops));
  reduce_.Add(layer, static_cast<uint64_t>(a.reduce_adds));
  const int64_t in_bytes = c.in_h * c.in_w * c.in_c * c.in_type.bytes();
  const int64_t w_bytes = WeightTileBytes(c);
  const int64_t acc_bytes = c.out_h * c.out_w * c.out_c * 4;
  mem_.Count(c.in_addr, layer, false, in_bytes, a.input_reads);
  mem_.Count(c.w_addr, layer, false, w_bytes, a.weight_reads);
  mem_.Count(c.acc_addr, layer, true, acc_bytes, a.acc_writes);
  mem_.Count(c.acc_addr, layer, false, acc_bytes, a.acc_writes - (c.first ? 1 : 0));
}

}  // namespace npusim::models

#include "models/matrix_unit.h"

#include "config/unit_kind_registry.h"
#include "models/timing/unit_timing.h"

namespace npusim::models {
namespace {

using Registry = core::UnitKindRegistry<UnitModuleFactory>;

void AddBuiltIns(Registry& r) {
#define NPUSIM_UNIT_KIND(name, Id) r.Add(name, &Make##Id##Module);
#include "config/unit_kinds.def"
#undef NPUSIM_UNIT_KIND
}

Registry& TheRegistry() { return core::TheUnitKindRegistry("unit module", AddBuiltIns); }

}  // namespace

MatrixUnit::MatrixUnit(const sc_core::sc_module_name& name, const MatrixUnitArgs& a)
    : sc_module(name),
      sram_isock("sram_isock"),
      cfg_(a.cfg),
      ctrl_(a.ctrl),
      mem_(sram_isock, a.srams, this->name()),
      datapath_(a.cfg.acc_bits, a.cfg.overflow, a.mode),
      mode_(a.mode) {
  SC_HAS_PROCESS(MatrixUnit);
  SC_THREAD(Thread);
}

void MatrixUnit::End(const isa::Instruction&) {}

void MatrixUnit::Thread() {
  while (const isa::Instruction* in = ctrl_.Next(isa::Queue::kCompute)) {
    const int64_t cycles = Begin(*in);
    wait(Cycles(cycles));
    End(*in);
    ctrl_.Done(*in);
  }
}

void MatrixUnit::CountTraffic(const isa::ConvArgs& c, int layer, const Traffic& t) {
  const int64_t in_bytes = c.in_h * c.in_w * c.in_c * c.in_type.bytes();
  const int64_t acc_bytes = c.out_h * c.out_w * c.out_c * 4;
  mem_.Count(c.in_addr, layer, false, in_bytes, t.in_reads);
  mem_.Count(c.w_addr, layer, false, t.w_bytes, t.w_reads);
  mem_.Count(c.acc_addr, layer, true, acc_bytes, t.acc_writes);
  mem_.Count(c.acc_addr, layer, false, acc_bytes, t.acc_writes - (c.first ? 1 : 0));
}

bool RegisterUnitModule(const std::string& kind, UnitModuleFactory factory) {
  return TheRegistry().Add(kind, factory);
}

std::unique_ptr<MatrixUnit> MakeMatrixUnit(const MatrixUnitArgs& a) {
  return TheRegistry().Get(a.cfg.type)(a);
}

bool RegisterUnitKindFacets(const std::string& kind, std::unique_ptr<const core::UnitKind> config,
                            std::unique_ptr<const timing::UnitTiming> timing, UnitModuleFactory module) {
  return core::RegisterUnitKind(kind, std::move(config)) &&
         timing::RegisterUnitTiming(kind, std::move(timing)) && RegisterUnitModule(kind, module);
}

}  // namespace npusim::models

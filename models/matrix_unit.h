// MatrixUnit: the SystemC base of every matrix unit (the unit kinds' module facet; config/unit_kind.h
// has the kinds). It holds what every unit shares: the config, the controller it pulls CONV
// instructions from, its socket to the buffers (sram_isock, through the Bus), the exact datapath
// (models/conv_datapath.h), and the thread. The thread does four things per instruction, as the
// style guide asks of a unit: take it, ask the kind for its cycles (Begin: which also computes and
// counts, for most kinds), wait, signal completion (after End, for kinds that compute at the end).
//
//   npu.<unit>.sram_isock -> npu.bus.tsock           (bound by Npu::Bind)
//
// A kind's module derives from MatrixUnit, implements Begin (and End if it needs one), registers
// its counters in its constructor, and is registered by name with a factory:
//   RegisterUnitModule("xyz_array", &MakeUnitModule<XyzArray>);
// The built-in kinds' factories are listed in config/unit_kinds.def (Make<Id>Module, defined at the
// end of each module's .cpp); Npu builds its units through MakeMatrixUnit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>

#include "config/arch.h"
#include "models/buffer_access.h"
#include "models/controller.h"
#include "models/conv_datapath.h"
#include "models/exec_mode.h"
#include "models/timing/unit_timing.h"
#include "support/stats.h"

namespace npusim::models {

// What the Npu hands every unit module.
struct MatrixUnitArgs {
  const core::UnitConfig& cfg;
  Controller& ctrl;
  const std::vector<Sram*>& srams;
  core::StatRegistry& stats;
  ExecMode mode = ExecMode::kExact;
};

class MatrixUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<MatrixUnit> sram_isock;

  const core::UnitConfig& config() const { return cfg_; }

 protected:
  // `name`: the most derived class's constructor parameter (sc_module_name must live until the
  // whole module is built).
  MatrixUnit(const sc_core::sc_module_name& name, const MatrixUnitArgs& a);

  // One CONV instruction, before the wait: returns its cycles. Kinds that compute at the start
  // (the inputs are final, and no one reads the accumulators or overwrites the inputs before Done:
  // the schedule's RAW/WAR tokens) also run the datapath and count here.
  virtual int64_t Begin(const isa::Instruction& in) = 0;
  // After the wait, before Done. Default: nothing.
  virtual void End(const isa::Instruction& in);

  // Buffer traffic of one CONV instruction: its input tile read `in_reads` times, `w_bytes` of
  // weights read `w_reads` times, the accumulators written `acc_writes` times and read as often,
  // less once for a tile that starts the accumulation (c.first).
  struct Traffic {
    int64_t in_reads = 1;
    int64_t w_bytes = 0;
    int64_t w_reads = 1;
    int64_t acc_writes = 1;
  };
  void CountTraffic(const isa::ConvArgs& c, int layer, const Traffic& t);

  core::UnitConfig cfg_;
  Controller& ctrl_;
  BufferAccess mem_;
  ConvDatapath datapath_;
  ExecMode mode_;

 private:
  void Thread();
};

// Builds a unit module of kind M (named after the unit) for a factory.
template <class M>
std::unique_ptr<MatrixUnit> MakeUnitModule(const MatrixUnitArgs& a) {
  return std::make_unique<M>(a.cfg.name.c_str(), a);
}
using UnitModuleFactory = std::unique_ptr<MatrixUnit> (*)(const MatrixUnitArgs& a);

// Registers the module factory of unit kind `kind` for the life of the program. Throws
// std::logic_error on a null factory or a kind registered twice; returns true.
bool RegisterUnitModule(const std::string& kind, UnitModuleFactory factory);
// The module of `a.cfg`'s kind. Throws std::logic_error when the kind has no module registered.
std::unique_ptr<MatrixUnit> MakeMatrixUnit(const MatrixUnitArgs& a);

// Registers all three facets of a unit kind at once (core::RegisterUnitKind,
// timing::RegisterUnitTiming, RegisterUnitModule): what a kind outside config/unit_kinds.def (a
// test's) calls, once.
bool RegisterUnitKindFacets(const std::string& kind, std::unique_ptr<const core::UnitKind> config,
                            std::unique_ptr<const timing::UnitTiming> timing, UnitModuleFactory module);

// The built-in kinds' module factories (config/unit_kinds.def), each at the end of its module's .cpp.
#define NPUSIM_UNIT_KIND(name, Id) std::unique_ptr<MatrixUnit> Make##Id##Module(const MatrixUnitArgs& a);
#include "config/unit_kinds.def"
#undef NPUSIM_UNIT_KIND

}  // namespace npusim::models

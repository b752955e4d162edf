// The "systolic_array" kind's timing facet: its dataflow's closed form on rows x cols.
#include "models/timing/unit_timing.h"

namespace npusim::models::timing {
namespace {

class SystolicTiming final : public UnitTiming {
 public:
  int64_t Cycles(const core::UnitConfig& unit, const GemmShape& shape, int, int,
                 const ArrayMapping*) const override {
    return RequireDataflow(unit.dataflow).Cycles(unit.rows, unit.cols, shape);
  }
  // A WS array streams its input tile once per column fold and reads its weights once; the
  // accumulators are read-modify-written once per row fold. Counted so for every dataflow, an
  // approximation for os and is (docs/models.md, "Systolic array (OS)", "What it leaves out").
  OperandPasses Passes(const core::UnitConfig& unit, const GemmShape& g) const override {
    return {(g.n + unit.cols - 1) / unit.cols, 1, (g.k + unit.rows - 1) / unit.rows};
  }
  std::vector<std::string> EnergyActions(const core::UnitConfig& unit) const override {
    return {MacActionName(unit), "idle_pe_cycle"};
  }
};

}  // namespace

std::unique_ptr<const UnitTiming> MakeSystolicUnitTiming() { return std::make_unique<SystolicTiming>(); }

}  // namespace npusim::models::timing

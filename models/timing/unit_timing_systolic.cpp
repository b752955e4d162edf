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
  std::vector<std::string> EnergyActions(const core::UnitConfig& unit) const override {
    return {MacActionName(unit), "idle_pe_cycle"};
  }
};

}  // namespace

std::unique_ptr<const UnitTiming> MakeSystolicUnitTiming() { return std::make_unique<SystolicTiming>(); }

}  // namespace npusim::models::timing

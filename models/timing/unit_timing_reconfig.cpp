#include "models/timing/unit_timing_reconfig.h"

#include "models/timing/unit_timing.h"

namespace npusim::models::timing {
namespace {

class ReconfigTiming final : public UnitTiming {
 public:
  int64_t Cycles(const core::UnitConfig& unit, const GemmShape& shape, int, int,
                 const ArrayMapping* mapping) const override {
    const ArrayMapping m = mapping != nullptr ? *mapping : ArrayMapping{};
    const DataflowTiming& df = m.dataflow != nullptr ? *m.dataflow : RequireDataflow(unit.dataflow);
    return PartitionedCycles(GeometryOf(unit), m.partition, df, shape);
  }
  std::vector<std::string> EnergyActions(const core::UnitConfig& unit) const override {
    return {MacActionName(unit), "idle_pe_cycle", "bypass_hop", "reduce_add", "reconfigure"};
  }
};

}  // namespace

ArrayGeometry GeometryOf(const core::UnitConfig& unit) {
  const core::ReconfigConfig& r = unit.params<core::ReconfigConfig>();
  ArrayGeometry geo{unit.rows, unit.cols, r.sub_rows, r.sub_cols};
  geo.row_feed = r.row_feed_values_per_cycle;
  geo.col_feed = r.col_feed_values_per_cycle;
  geo.drain_feed = r.drain_values_per_cycle;
  geo.unlimited_feed = r.operand_feed == "unlimited";
  return geo;
}

std::unique_ptr<const UnitTiming> MakeReconfigUnitTiming() { return std::make_unique<ReconfigTiming>(); }

}  // namespace npusim::models::timing

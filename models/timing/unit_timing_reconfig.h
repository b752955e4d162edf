// The "reconfigurable_array" kind's timing: its sub-array grid for partition_timing.h. The kind's
// UnitTiming (unit_timing_reconfig.cpp) runs an instruction's mapping (unit_timing.h ArrayMapping).
#pragma once

#include "config/arch.h"
#include "config/unit_kind_reconfig.h"
#include "models/timing/partition_timing.h"

namespace npusim::models::timing {

// The sub-array grid of a reconfigurable_array unit.
ArrayGeometry GeometryOf(const core::UnitConfig& unit);

}  // namespace npusim::models::timing

// The cycle count of one CONV instruction on whichever matrix unit the arch has, for callers that
// do not care which kind it is (the compiler's cost model, the report's utilization):
//
//   const core::UnitConfig& u = *arch.MatrixUnit();
//   int64_t c = MatrixUnitCycles(u, gemm, /*weight_bits=*/4, /*input_bits=*/8);
//
// systolic_array: the registered dataflow's closed form on rows x cols (dataflow_timing.h);
// bit_serial_array: bit_serial_timing.h; reconfigurable_array: partition_timing.h with the
// instruction's mapping (monolithic in the unit's first dataflow when none is given; the
// reconfiguration cost is charged by the unit when the partition changes, not here).
#pragma once

#include <cstdint>
#include <string>

#include "core/arch.h"
#include "isa/instruction.h"
#include "models/timing/dataflow_timing.h"
#include "models/timing/partition_timing.h"

namespace npusim::models::timing {

// A reconfigurable array's per-instruction configuration.
struct ArrayMapping {
  Partition partition;
  const DataflowTiming* dataflow = nullptr;  // nullptr: the unit's (first) dataflow
};

int64_t MatrixUnitCycles(const core::UnitConfig& unit, const GemmShape& shape, int weight_bits,
                         int input_bits, const ArrayMapping* mapping = nullptr);

// The energy-table action of one useful MAC on a systolic-style unit: "mac_<b>b", b the widest
// operand it runs.
std::string MacActionName(const core::UnitConfig& unit);

// The sub-array grid of a reconfigurable_array unit.
ArrayGeometry GeometryOf(const core::UnitConfig& unit);

// The mapping a CONV instruction carries (isa::ConvArgs part_* / split_* / dataflow), and back.
// MappingOf throws std::logic_error for a dataflow that has no timing registered.
ArrayMapping MappingOf(const core::UnitConfig& unit, const isa::ConvArgs& c);
void SetMapping(const ArrayMapping& m, isa::ConvArgs* c);

// Useful MACs per cycle when every PE (lane) works: rows * cols for a systolic array.
double MatrixUnitPeakMacsPerCycle(const core::UnitConfig& unit, int weight_bits, int input_bits);

}  // namespace npusim::models::timing

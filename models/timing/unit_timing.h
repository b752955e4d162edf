// The cycle count of one CONV instruction on whichever matrix unit the arch has, for callers that
// do not care which kind it is (the compiler's cost model, the report's utilization):
//
//   const core::UnitConfig& u = *arch.MatrixUnit();
//   int64_t c = MatrixUnitCycles(u, gemm, /*weight_bits=*/4, /*input_bits=*/8);
//
// systolic_array: the registered dataflow's closed form on rows x cols (dataflow_timing.h);
// bit_serial_array: bit_serial_timing.h.
#pragma once

#include <cstdint>

#include "core/arch.h"
#include "models/timing/dataflow_timing.h"

namespace npusim::models::timing {

int64_t MatrixUnitCycles(const core::UnitConfig& unit, const GemmShape& shape, int weight_bits,
                         int input_bits);

// Useful MACs per cycle when every PE (lane) works: rows * cols for a systolic array.
double MatrixUnitPeakMacsPerCycle(const core::UnitConfig& unit, int weight_bits, int input_bits);

}  // namespace npusim::models::timing

#include "models/timing/unit_timing.h"

#include <stdexcept>

#include "models/timing/bit_serial_timing.h"

namespace npusim::models::timing {

int64_t MatrixUnitCycles(const core::UnitConfig& unit, const GemmShape& shape, int weight_bits,
                         int input_bits) {
  if (unit.type == "bit_serial_array") {
    return BitSerialCycles(unit.bit_serial, shape, weight_bits, input_bits);
  }
  const DataflowTiming* df = FindDataflow(unit.dataflow);
  if (df == nullptr) throw std::logic_error("no timing registered for dataflow \"" + unit.dataflow + "\"");
  return df->Cycles(unit.rows, unit.cols, shape);
}

double MatrixUnitPeakMacsPerCycle(const core::UnitConfig& unit, int weight_bits, int input_bits) {
  if (unit.type == "bit_serial_array") {
    return BitSerialPeakMacsPerCycle(unit.bit_serial, weight_bits, input_bits);
  }
  return static_cast<double>(unit.rows) * unit.cols;
}

}  // namespace npusim::models::timing

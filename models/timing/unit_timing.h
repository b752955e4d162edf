// Unit kinds, the timing facet: what the cost model, the report and the compiler's legality checks
// ask of a matrix unit, whichever kind it is (config/unit_kind.h has the kinds and the config facet).
// One UnitTiming per kind, registered under the kind's name; the built-in kinds' are listed in
// config/unit_kinds.def and defined in models/timing/unit_timing_<kind>.cpp.
//
//   const core::UnitConfig& u = *arch.MatrixUnit();
//   int64_t c = MatrixUnitCycles(u, gemm, /*weight_bits=*/4, /*input_bits=*/8);
//
// systolic_array: the registered dataflow's closed form on rows x cols (dataflow_timing.h);
// bit_serial_array: bit_serial_timing.h; reconfigurable_array: partition_timing.h with the
// instruction's mapping (monolithic in the unit's first dataflow when none is given; the
// reconfiguration cost is charged by the unit when the partition changes, not here);
// sparse_array: sparse_timing.h with every group of dense weights walked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/arch.h"
#include "isa/instruction.h"
#include "models/timing/dataflow_timing.h"
#include "models/timing/partition_timing.h"

namespace npusim::models::timing {

// How often one CONV instruction reads its input and weight tiles from their buffers and
// read-modify-writes its accumulators (less one read for a tile that starts the accumulation): what
// the kind's module counts (models/matrix_unit.h CountTraffic) and the compiler's energy estimate
// charges.
struct OperandPasses {
  int64_t in_reads = 1, w_reads = 1, acc_writes = 1;
};

// A reconfigurable array's per-instruction configuration.
struct ArrayMapping {
  Partition partition;
  const DataflowTiming* dataflow = nullptr;  // nullptr: the unit's (first) dataflow
};

// One kind's timing. Implementations are stateless: pure functions of the unit and the arguments.
class UnitTiming {
 public:
  virtual ~UnitTiming();
  // Cycles of one CONV instruction's GEMM at these operand widths: the unit's closed form, the
  // same one its SystemC module waits (the compiler's cost model calls it for candidate tilings).
  // `mapping`: the instruction's mapping on a kind that takes one (nullptr: the unit's default).
  virtual int64_t Cycles(const core::UnitConfig& unit, const GemmShape& shape, int weight_bits,
                         int input_bits, const ArrayMapping* mapping) const = 0;
  // Useful MACs per cycle when every PE (lane) works. Default: rows * cols.
  virtual double PeakMacsPerCycle(const core::UnitConfig& unit, int weight_bits, int input_bits) const;
  // The energy-table actions the kind's module counts for the unit (its own; the Npu adds
  // leak_per_cycle for every component, the buffers count their reads and writes).
  virtual std::vector<std::string> EnergyActions(const core::UnitConfig& unit) const = 0;
  // The unit's own dynamic energy (pJ, at the table's nominal voltage) for one CONV of this GEMM,
  // estimated from the arch's energy table: what the compiler's objective charges a plan for the
  // MACs it computes (a fused group's recomputed rows). Default: useful MACs x the table's
  // MacActionName entry (0 without one).
  virtual double ConvEnergyPj(const core::UnitConfig& unit, const core::EnergyTable& table,
                              const GemmShape& shape, int weight_bits, int input_bits) const;
  // The operand passes of one CONV of this GEMM. Default: each operand once. (A reconfigurable
  // array's depend on its mapping: its module counts them from the partition's actions.)
  virtual OperandPasses Passes(const core::UnitConfig& unit, const GemmShape& shape) const;
  // Legality: "" when the unit runs weights with any zero point, else the kind of weights it runs
  // only symmetric (zero point 0), for the message ("bit-serial"). Default "".
  virtual std::string SymmetricWeightsOnly(const core::UnitConfig& unit) const;
};

// Registers `timing` for unit kind `kind` (config/unit_kind.h) for the life of the program. Throws
// std::logic_error on a null timing or a kind registered twice; returns true.
bool RegisterUnitTiming(const std::string& kind, std::unique_ptr<const UnitTiming> timing);
// The timing registered for `kind`, or nullptr.
const UnitTiming* FindUnitTiming(const std::string& kind);
// The timing of `unit`'s kind; std::logic_error when its kind has none registered.
const UnitTiming& UnitTimingOf(const core::UnitConfig& unit);

int64_t MatrixUnitCycles(const core::UnitConfig& unit, const GemmShape& shape, int weight_bits,
                         int input_bits, const ArrayMapping* mapping = nullptr);
double MatrixUnitConvEnergyPj(const core::UnitConfig& unit, const core::EnergyTable& table,
                              const GemmShape& shape, int weight_bits, int input_bits);
OperandPasses MatrixUnitPasses(const core::UnitConfig& unit, const GemmShape& shape);
double MatrixUnitPeakMacsPerCycle(const core::UnitConfig& unit, int weight_bits, int input_bits);

// The energy-table action of one useful MAC on a systolic-style unit: "mac_<b>b", b the widest
// operand it runs.
std::string MacActionName(const core::UnitConfig& unit);

// The dataflow registered under `name`; std::logic_error when none is (the arch loader admits only
// registered names, so this is a build defect).
const DataflowTiming& RequireDataflow(const std::string& name);

// The mapping a CONV instruction carries (isa::ConvArgs part_* / split_* / dataflow), and back.
// MappingOf throws std::logic_error for a dataflow that has no timing registered.
ArrayMapping MappingOf(const core::UnitConfig& unit, const isa::ConvArgs& c);
void SetMapping(const ArrayMapping& m, isa::ConvArgs* c);

// The built-in kinds' timing facets (config/unit_kinds.def), each in unit_timing_<kind>.cpp.
#define NPUSIM_UNIT_KIND(name, Id) std::unique_ptr<const UnitTiming> Make##Id##UnitTiming();
#include "config/unit_kinds.def"
#undef NPUSIM_UNIT_KIND

}  // namespace npusim::models::timing

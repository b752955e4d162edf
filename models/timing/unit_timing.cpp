#include "models/timing/unit_timing.h"

#include <algorithm>
#include <stdexcept>

#include "core/int_math.h"
#include "models/timing/bit_serial_timing.h"
#include "models/timing/sparse_timing.h"

namespace npusim::models::timing {

namespace {

const DataflowTiming& Dataflow(const std::string& name) {
  const DataflowTiming* df = FindDataflow(name);
  if (df == nullptr) throw std::logic_error("no timing registered for dataflow \"" + name + "\"");
  return *df;
}

}  // namespace

int64_t MatrixUnitCycles(const core::UnitConfig& unit, const GemmShape& shape, int weight_bits,
                         int input_bits, const ArrayMapping* mapping) {
  if (unit.type == "bit_serial_array") {
    return BitSerialCycles(unit.bit_serial, shape, weight_bits, input_bits);
  }
  if (unit.type == "reconfigurable_array") {
    const ArrayMapping m = mapping != nullptr ? *mapping : ArrayMapping{};
    const DataflowTiming& df = m.dataflow != nullptr ? *m.dataflow : Dataflow(unit.dataflow);
    return PartitionedCycles(GeometryOf(unit), m.partition, df, shape);
  }
  if (unit.type == "sparse_array") {
    // Dense weights (every group walked); the compiler's cost model counts a layer's real
    // entries itself (compiler/passes/sparse_weights.h).
    const int64_t rows = shape.n * shape.groups;
    std::vector<int64_t> entries(rows, core::CeilDiv(shape.k, unit.sparse.simd_width));
    return SparseCycles(unit.sparse, core::WeightFormat::kDense, shape.m, entries);
  }
  return Dataflow(unit.dataflow).Cycles(unit.rows, unit.cols, shape);
}

std::string MacActionName(const core::UnitConfig& unit) {
  const int b = std::max(*std::max_element(unit.input_bits.begin(), unit.input_bits.end()),
                         *std::max_element(unit.weight_bits.begin(), unit.weight_bits.end()));
  return "mac_" + std::to_string(b) + "b";
}

ArrayGeometry GeometryOf(const core::UnitConfig& unit) {
  const core::ReconfigConfig& r = unit.reconfig;
  ArrayGeometry geo{unit.rows, unit.cols, r.sub_rows, r.sub_cols};
  geo.row_feed = r.row_feed_values_per_cycle;
  geo.col_feed = r.col_feed_values_per_cycle;
  geo.drain_feed = r.drain_values_per_cycle;
  geo.unlimited_feed = r.operand_feed == "unlimited";
  return geo;
}

ArrayMapping MappingOf(const core::UnitConfig& unit, const isa::ConvArgs& c) {
  ArrayMapping m;
  m.partition = Partition{c.part_rows, c.part_cols, c.split_m, c.split_n, c.split_k};
  m.dataflow = &Dataflow(c.dataflow == isa::Dataflow::kUnit ? unit.dataflow
                                                            : isa::DataflowName(c.dataflow));
  return m;
}

void SetMapping(const ArrayMapping& m, isa::ConvArgs* c) {
  c->part_rows = m.partition.pr;
  c->part_cols = m.partition.pc;
  c->split_m = static_cast<int32_t>(m.partition.pm);
  c->split_n = static_cast<int32_t>(m.partition.pn);
  c->split_k = static_cast<int32_t>(m.partition.pk);
  c->dataflow = m.dataflow != nullptr ? isa::DataflowFromName(m.dataflow->name()) : isa::Dataflow::kUnit;
}

double MatrixUnitPeakMacsPerCycle(const core::UnitConfig& unit, int weight_bits, int input_bits) {
  if (unit.type == "bit_serial_array") {
    return BitSerialPeakMacsPerCycle(unit.bit_serial, weight_bits, input_bits);
  }
  return static_cast<double>(unit.rows) * unit.cols;
}

}  // namespace npusim::models::timing

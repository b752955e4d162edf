// The "sparse_array" kind's timing facet (sparse_timing.h). The cost model of a layer's real
// (compressed) weights counts its entries itself (compiler/passes/sparse_weights.h); Cycles here
// walks every group of dense weights.
#include "config/unit_kind_sparse.h"
#include "ir/int_math.h"
#include "models/timing/sparse_timing.h"
#include "models/timing/unit_timing.h"

namespace npusim::models::timing {
namespace {

class SparseTiming final : public UnitTiming {
 public:
  int64_t Cycles(const core::UnitConfig& unit, const GemmShape& shape, int, int,
                 const ArrayMapping*) const override {
    const core::SparseConfig& s = unit.params<core::SparseConfig>();
    const int64_t rows = shape.n * shape.groups;
    std::vector<int64_t> entries(rows, core::CeilDiv(shape.k, s.simd_width));
    return SparseCycles(s, core::WeightFormat::kDense, shape.m, entries);
  }
  // Dense weights: one entry MAC per MAC (pruned groups, which the unit skips, are not known here).
  double ConvEnergyPj(const core::UnitConfig& unit, const core::EnergyTable& table, const GemmShape& shape,
                      int, int) const override {
    return static_cast<double>(GemmMacs(shape)) * table.EnergyOr0(unit.name, "entry_mac");
  }
  std::vector<std::string> EnergyActions(const core::UnitConfig&) const override {
    return {"entry_mac", "index_decode"};
  }
};

}  // namespace

std::unique_ptr<const UnitTiming> MakeSparseUnitTiming() { return std::make_unique<SparseTiming>(); }

}  // namespace npusim::models::timing

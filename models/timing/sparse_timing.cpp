#include "models/timing/sparse_timing.h"

#include <algorithm>

namespace npusim::models::timing {

int64_t SparseEntryCycles(const core::SparseConfig& s, core::WeightFormat f) {
  return 1 + (f == core::WeightFormat::kDense ? 0 : s.decode_cycles);
}

std::vector<int64_t> SparsePeLoads(const core::SparseConfig& s, core::WeightFormat f,
                                   const std::vector<int64_t>& row_entries) {
  std::vector<int64_t> load(s.pes, 0);
  const int64_t per_entry = SparseEntryCycles(s, f);
  for (size_t r = 0; r < row_entries.size(); ++r) {
    load[r % s.pes] += row_entries[r] * per_entry + s.row_overhead_cycles;
  }
  return load;
}

int64_t SparseCycles(const core::SparseConfig& s, core::WeightFormat f, int64_t m,
                     const std::vector<int64_t>& row_entries) {
  const std::vector<int64_t> load = SparsePeLoads(s, f, row_entries);
  return s.pipeline_cycles + m * *std::max_element(load.begin(), load.end());
}

SparseActions CountSparseActions(core::WeightFormat f, int64_t m, const std::vector<int64_t>& row_entries) {
  SparseActions a;
  int64_t entries = 0;
  for (int64_t e : row_entries) entries += e;
  a.entry_macs = m * entries;
  a.index_decodes = f == core::WeightFormat::kDense ? 0 : a.entry_macs;
  return a;
}

}  // namespace npusim::models::timing

// SIMD-aware weight pruning (Scalpel, Yu et al. ISCA 2017, section 3.1): whole aligned groups of
// simd_width weights, chosen by their real L1 magnitude (quanta x the channel's scale), so that a SIMD
// datapath of that width skips every pruned group (the groups are ir/sparse_format.h's, those a sparse_array
// walks).
#include <cmath>

#include "compiler/passes/passes.h"
#include "compiler/transforms/prune_common.h"
#include "ir/sparse_format.h"

namespace npusim::compiler {

std::vector<PruneLayerResult> PruneSimdGroups(core::Graph& g, int simd_width,
                                              const std::map<std::string, double>& sparsity) {
  return ForEachLayer(g, "PruneSimdGroups", Keys(sparsity), [&](int op_index, core::TensorInfo& w) {
    const ConvView v = MakeConvView(g, op_index);
    const core::RowGeometry geo = core::MakeRowGeometry(v.kh * v.kw, v.icg(), v.icg(), simd_width);
    const int32_t zp = w.quant.zero_point(0);
    std::vector<int32_t>& data = *w.data;
    const int64_t gps = geo.groups_per_segment(), groups = geo.groups();
    // Group q of row r covers [begin, end) of the row.
    auto span = [&](int64_t q, int64_t* b, int64_t* e) {
      *b = (q / gps) * geo.segment_len + (q % gps) * simd_width;
      *e = std::min(*b + simd_width, (q / gps + 1) * geo.segment_len);
    };
    const int64_t items = v.oc * groups;
    const int64_t prune = std::llround(sparsity.at(v.op->name) * static_cast<double>(items));
    const std::vector<bool> gone = SmallestItems(items, prune, [&](int64_t i) {
      int64_t b, e, sum = 0;
      span(i % groups, &b, &e);
      for (int64_t k = b; k < e; ++k) sum += Magnitude(data[(i / groups) * geo.values() + k], zp);
      return static_cast<double>(sum) * ChannelWeight(w, i / groups);  // in real units
    });
    for (int64_t i = 0; i < items; ++i) {
      if (!gone[i]) continue;
      int64_t b, e;
      span(i % groups, &b, &e);
      for (int64_t k = b; k < e; ++k) data[(i / groups) * geo.values() + k] = zp;
    }
  });
}

}  // namespace npusim::compiler

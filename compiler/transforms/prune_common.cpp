#include "compiler/transforms/prune_common.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "ir/verify.h"

namespace npusim::compiler {

int64_t CountNonzero(const core::TensorInfo& w) {
  const int32_t zp = w.quant.zero_point(0);
  return std::count_if(w.data->begin(), w.data->end(), [zp](int32_t v) { return v != zp; });
}

std::vector<bool> SmallestItems(int64_t items, int64_t count, const std::function<double(int64_t)>& score) {
  std::vector<int64_t> order(items);
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> s(items);
  for (int64_t i = 0; i < items; ++i) s[i] = score(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] < s[b]; });
  std::vector<bool> out(items, false);
  for (int64_t k = 0; k < std::min(count, items); ++k) out[order[k]] = true;
  return out;
}

std::vector<PruneLayerResult> ForEachLayer(core::Graph& g, const std::string& pass,
                                           const std::vector<std::string>& layers,
                                           const std::function<void(int, core::TensorInfo&)>& prune) {
  const std::string where = pass + " on network \"" + g.name + "\"";
  const std::vector<core::Problem> before = core::VerifyProblems(g, where);
  const std::set<std::string> wanted(layers.begin(), layers.end());
  std::vector<PruneLayerResult> out;
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    const core::Op& op = g.ops[i];
    if (op.type != core::OpType::kConv2d && op.type != core::OpType::kFullyConnected) continue;
    if (!wanted.count(op.name)) continue;
    core::TensorInfo& w = g.tensor(op.inputs[1]);
    PruneLayerResult r;
    r.layer = op.name;
    r.weights_before = w.elements();
    r.nonzero_before = CountNonzero(w);
    prune(i, w);
    r.weights_after = w.elements();
    r.nonzero_after = CountNonzero(w);
    out.push_back(r);
  }
  core::VerifyRewrite(g, where, before);  // a rewrite bug stops here
  return out;
}

std::vector<std::string> Keys(const std::map<std::string, double>& m) {
  std::vector<std::string> k;
  for (const auto& kv : m) k.push_back(kv.first);
  return k;
}

std::vector<std::string> ConvLayers(const core::Graph& g) {
  std::vector<std::string> out;
  for (const core::Op& op : g.ops) {
    if (op.type == core::OpType::kConv2d || op.type == core::OpType::kFullyConnected) out.push_back(op.name);
  }
  return out;
}

}  // namespace npusim::compiler

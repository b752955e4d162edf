// Node (whole output channel) pruning (Scalpel, Yu et al. ISCA 2017, section 3.2: for highly
// parallel hardware, where only smaller shapes pay): removes output channels of a layer with the
// smallest weight norm, and follows the channels through what passes them on one to one (depthwise
// convs, pools, reshapes) to the layers that reduce over them (conv / FC input channels), so every
// shape on the way shrinks and the network stays valid.
#include <algorithm>
#include <cmath>

#include "compiler/transforms/prune_common.h"
#include "ir/verify.h"

namespace npusim::compiler {
namespace {

bool IsConv(const core::Op& op) {
  return op.type == core::OpType::kConv2d || op.type == core::OpType::kFullyConnected;
}

// Where the channels of one layer's output go.
struct ChannelChain {
  std::vector<int> pass_through;  // depthwise convs, pools, reshapes (their outputs shrink too)
  std::vector<int> consumers;     // conv / FC layers reading the channels as input channels
  std::string blocked;            // why the channels cannot be removed (empty: they can)
};

void Follow(const core::Graph& g, const std::string& t, int64_t c, ChannelChain* chain) {
  if (std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end()) {
    chain->blocked = "its channels reach network output \"" + t + "\"";
    return;
  }
  for (int i = 0; i < static_cast<int>(g.ops.size()) && chain->blocked.empty(); ++i) {
    const core::Op& op = g.ops[i];
    if (std::find(op.inputs.begin(), op.inputs.end(), t) == op.inputs.end()) continue;
    const std::string via =
        "its channels reach " + std::string(core::OpTypeName(op.type)) + " \"" + op.name + "\"";
    if (op.inputs[0] != t) {
      chain->blocked = via + " as its second operand";
    } else if (op.type == core::OpType::kConv2d && op.groups == 1) {
      chain->consumers.push_back(i);
    } else if (op.type == core::OpType::kConv2d) {
      if (op.groups != c || g.tensor(op.outputs[0]).shape.back() != c) {
        chain->blocked = via + ", a grouped conv (only depthwise convs with multiplier 1 pass channels on)";
        continue;
      }
      chain->pass_through.push_back(i);
      Follow(g, op.outputs[0], c, chain);
    } else if (op.type == core::OpType::kFullyConnected) {
      if (g.tensor(op.inputs[1]).shape[1] != c) {
        chain->blocked = via + ", which does not read them one to one as its input features";
        continue;
      }
      chain->consumers.push_back(i);
    } else if (op.type == core::OpType::kAdd || op.type == core::OpType::kMul) {
      chain->blocked = via + " (both operands would have to lose the same channels)";
    } else if (op.type == core::OpType::kConcat) {
      chain->blocked = via + " (the channels it joins would move)";
    } else {
      if (g.tensor(op.outputs[0]).shape.back() != c) {
        chain->blocked = via + ", which does not keep them as its last dimension";
        continue;
      }
      chain->pass_through.push_back(i);  // pools, reshape, lookup
      Follow(g, op.outputs[0], c, chain);
    }
  }
}

// Keeps the slices `keep` (sorted) of axis 0 of a tensor's data (and its per-channel quantization).
void KeepOuter(core::TensorInfo& t, const std::vector<int64_t>& keep) {
  if (t.data) {
    const int64_t row = t.elements() / t.shape[0];
    std::vector<int32_t> out;
    out.reserve(keep.size() * row);
    for (int64_t c : keep) out.insert(out.end(), t.data->begin() + c * row, t.data->begin() + (c + 1) * row);
    *t.data = std::move(out);
  }
  t.shape[0] = static_cast<int64_t>(keep.size());
  auto subset = [&](auto& v) {
    if (v.size() <= 1) return;
    std::decay_t<decltype(v)> out;
    for (int64_t c : keep) out.push_back(v[c]);
    v = out;
  };
  subset(t.quant.scales);
  subset(t.quant.zero_points);
}

// Keeps the slices `keep` (sorted) of the innermost axis.
void KeepInner(core::TensorInfo& t, const std::vector<int64_t>& keep) {
  const int64_t inner = t.shape.back();
  if (t.data) {
    std::vector<int32_t> out;
    out.reserve(t.elements() / inner * keep.size());
    for (int64_t base = 0; base < t.elements(); base += inner) {
      for (int64_t c : keep) out.push_back((*t.data)[base + c]);
    }
    *t.data = std::move(out);
  }
  t.shape.back() = static_cast<int64_t>(keep.size());
}

// Output channels of layer `op_index` to keep: the largest weight norms (of the real weights,
// scale x quanta), in their original order.
std::vector<int64_t> ChannelsToKeep(const core::Graph& g, const core::Op& op, double ratio,
                                    ChannelNorm norm) {
  const core::TensorInfo& w = g.tensor(op.inputs[1]);
  const int64_t oc = w.shape[0], row = w.elements() / oc;
  const int32_t zp = w.quant.zero_point(0);
  const int64_t keep = std::max<int64_t>(1, std::llround(ratio * static_cast<double>(oc)));
  const std::vector<bool> gone = SmallestItems(oc, oc - keep, [&](int64_t c) {
    int64_t s = 0;
    for (int64_t i = 0; i < row; ++i) {
      const int64_t m = Magnitude((*w.data)[c * row + i], zp);
      s += norm == ChannelNorm::kL1 ? m : m * m;
    }
    // In real units: with per-channel scales the quanta of different channels weigh differently
    // (every channel's largest weight is about qmax quanta). The L2 order is its square's.
    const double scale = ChannelWeight(w, c);
    return static_cast<double>(s) * (norm == ChannelNorm::kL1 ? scale : scale * scale);
  });
  std::vector<int64_t> out;
  for (int64_t c = 0; c < oc; ++c) {
    if (!gone[c]) out.push_back(c);
  }
  return out;
}

void KeepLayerOutputs(core::Graph& g, core::Op& op, const std::vector<int64_t>& keep) {
  KeepOuter(g.tensor(op.inputs[1]), keep);
  if (op.inputs.size() > 2) KeepOuter(g.tensor(op.inputs[2]), keep);
  KeepInner(g.tensor(op.outputs[0]), keep);
}

}  // namespace

std::vector<PruneLayerResult> PruneNodes(core::Graph& g, const std::map<std::string, double>& keep_ratio,
                                         ChannelNorm norm) {
  const std::string where = "PruneNodes on network \"" + g.name + "\"";
  const std::vector<core::Problem> before = core::VerifyProblems(g, where);
  std::vector<PruneLayerResult> out;
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    core::Op& op = g.ops[i];
    if (!IsConv(op) || !keep_ratio.count(op.name)) continue;
    PruneLayerResult r;
    r.layer = op.name;
    const core::TensorInfo& w = g.tensor(op.inputs[1]);
    r.weights_before = w.elements();
    r.nonzero_before = CountNonzero(w);
    ChannelChain chain;
    const int64_t c = g.tensor(op.outputs[0]).shape.back();
    if (op.type == core::OpType::kConv2d && op.groups != 1) {
      chain.blocked = "it is a grouped or depthwise conv (its channels follow its producer's)";
    } else {
      Follow(g, op.outputs[0], c, &chain);
    }
    if (chain.blocked.empty() && keep_ratio.at(op.name) < 1.0) {
      const std::vector<int64_t> keep = ChannelsToKeep(g, op, keep_ratio.at(op.name), norm);
      KeepLayerOutputs(g, op, keep);
      for (int p : chain.pass_through) {
        core::Op& pt = g.ops[p];
        if (pt.type == core::OpType::kConv2d) {
          pt.groups = static_cast<int64_t>(keep.size());
          KeepLayerOutputs(g, pt, keep);
        } else {
          KeepInner(g.tensor(pt.outputs[0]), keep);
        }
      }
      for (int k : chain.consumers) KeepInner(g.tensor(g.ops[k].inputs[1]), keep);
    }
    r.note = chain.blocked.empty() ? "" : "kept whole: " + chain.blocked;
    r.weights_after = g.tensor(op.inputs[1]).elements();
    r.nonzero_after = CountNonzero(g.tensor(op.inputs[1]));
    out.push_back(r);
  }
  core::VerifyRewrite(g, where, before);  // a rewrite bug stops here
  return out;
}

}  // namespace npusim::compiler

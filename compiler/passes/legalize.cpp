// Legalize: check that the arch can run every layer and describe conv/FC layers as convolutions.
#include <algorithm>

#include "compiler/passes/passes.h"
#include "ir/quant.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {

// "1..16" for a run of consecutive widths, "4, 8" otherwise.
std::string ListBits(std::vector<int> bits) {
  std::sort(bits.begin(), bits.end());
  std::string s;
  for (size_t i = 0; i < bits.size();) {
    size_t j = i;
    while (j + 1 < bits.size() && bits[j + 1] == bits[j] + 1) ++j;
    s += (s.empty() ? "" : ", ") + std::to_string(bits[i]);
    if (j >= i + 2) s += ".." + std::to_string(bits[j]);
    else if (j == i + 1) s += ", " + std::to_string(bits[j]);
    i = j + 1;
  }
  return s;
}

bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

ConvView MakeConvView(const core::Graph& g, int op_index) {
  const core::Op& op = g.ops[op_index];
  ConvView v;
  v.op_index = op_index;
  v.op = &op;
  v.x = &g.tensor(op.inputs[0]);
  v.w = &g.tensor(op.inputs[1]);
  v.bias = op.inputs.size() > 2 ? &g.tensor(op.inputs[2]) : nullptr;
  v.y = &g.tensor(op.outputs[0]);
  if (op.type == core::OpType::kFullyConnected) {
    // [M, K] (or [1,1,1,K]) x [N, K]: a 1x1 convolution over an M x 1 image with K channels.
    v.c = v.w->shape[1];
    v.h = v.x->elements() / v.c;
    v.oc = v.w->shape[0];
    v.oh = v.h;
    return v;
  }
  v.h = v.x->shape[1];
  v.w_ = v.x->shape[2];
  v.c = v.x->shape[3];
  v.oh = v.y->shape[1];
  v.ow = v.y->shape[2];
  v.oc = v.y->shape[3];
  v.kh = v.w->shape[1];
  v.kw = v.w->shape[2];
  v.sh = op.stride[0];
  v.sw = op.stride[1];
  v.dh = op.dilation[0];
  v.dw = op.dilation[1];
  v.pt = op.pads[0];
  v.pl = op.pads[1];
  v.groups = op.groups;
  return v;
}

void OutputRange(const core::TensorInfo& y, core::Activation act, int32_t* lo, int32_t* hi) {
  auto r = core::ActivationRange(act, y.quant.scale(0), y.quant.zero_point(0), y.qmin(), y.qmax());
  *lo = r.first;
  *hi = r.second;
}

void Legalize(Context& ctx) {
  const core::ArchConfig& arch = *ctx.arch;
  ctx.unit = arch.MatrixUnit();
  core::ProblemList problems(ctx.net_file);
  if (ctx.unit == nullptr) {
    problems.Add("", "arch " + arch.file + " has no unit that runs conv2d/fully_connected");
    problems.ThrowIfAny();
  }
  const core::Graph& g = *ctx.graph;
  const models::timing::UnitTiming& timing = models::timing::UnitTimingOf(*ctx.unit);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const core::Op& op = g.ops[i];
    if (op.type != core::OpType::kConv2d && op.type != core::OpType::kFullyConnected) continue;
    const std::string where = "/ops/" + std::to_string(i);
    const core::TensorInfo& x = g.tensor(op.inputs[0]);
    const core::TensorInfo& w = g.tensor(op.inputs[1]);
    if (op.mapping.any()) {
      // A layer's "mapping" (net file) must fit the unit: its kind says what it takes.
      const std::string at = where + "/mapping";
      core::UnitKindOf(*ctx.unit).CheckLayerMapping(op.mapping, *ctx.unit,
                                                    {arch.file, at, op.name, problems});
    }
    if (!Contains(ctx.unit->input_bits, x.bits)) {
      problems.Add(where, "layer \"" + op.name + "\": input \"" + x.name + "\" has " +
                              std::to_string(x.bits) + "-bit values; unit \"" + ctx.unit->name + "\" of " +
                              arch.file + " runs input bits {" + ListBits(ctx.unit->input_bits) + "}");
    }
    if (!Contains(ctx.unit->weight_bits, w.bits)) {
      problems.Add(where, "layer \"" + op.name + "\": weights \"" + w.name + "\" have " +
                              std::to_string(w.bits) + "-bit values; unit \"" + ctx.unit->name + "\" of " +
                              arch.file + " runs weight bits {" + ListBits(ctx.unit->weight_bits) + "}");
    }
    // Binary weights are fed as +-1; the unit's kind may feed others in a form without a zero
    // point too (bit-serial weights as their two's complement bit-planes).
    const std::string symmetric = w.binary() ? "binary" : timing.SymmetricWeightsOnly(*ctx.unit);
    if (w.quant.zero_points.size() > 1) {
      problems.Add(where, "layer \"" + op.name +
                              "\": per-channel weight zero points are not "
                              "supported by unit \"" +
                              ctx.unit->name + "\" (expected one zero point)");
    } else if (w.quant.zero_point(0) != 0 && !symmetric.empty()) {
      problems.Add(where, "layer \"" + op.name + "\": weights \"" + w.name + "\" have zero point " +
                              std::to_string(w.quant.zero_point(0)) + "; unit \"" + ctx.unit->name +
                              "\" runs " + symmetric + " weights only symmetric (expected zero point 0)");
    }
  }
  problems.ThrowIfAny();
}

}  // namespace npusim::compiler

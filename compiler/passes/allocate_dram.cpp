// AllocateDram: one DRAM region per tensor (reshape outputs alias their input, since NHWC order is
// memory order), one per-channel parameter blob per conv/FC layer, and the initial DRAM image of
// every constant. No region is reused: DRAM capacity is large next to a network's activations, and
// distinct regions keep inter-layer dependencies exact.
#include <cstring>
#include <set>
#include "ir/int_math.h"

#include "compiler/passes/passes.h"
#include "compiler/passes/weight_store.h"
#include "ir/quant.h"
#include "ir/sparse_format.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {
using core::AlignUp;

constexpr uint64_t kAlign = 64;

void PutLittleEndian(std::vector<uint8_t>& out, int64_t v, int bytes) {
  for (int b = 0; b < bytes; ++b)
    out.push_back(static_cast<uint8_t>((static_cast<uint64_t>(v) >> (8 * b)) & 0xff));
}

std::vector<uint8_t> Encode(const core::TensorInfo& t) {
  std::vector<uint8_t> out;
  out.reserve(t.elements() * t.bytes_per_element());
  for (int32_t v : *t.data) PutLittleEndian(out, v, t.bytes_per_element());
  return out;
}

// Per output channel: {bias int32, multiplier, shift int32} (layout documented in isa/instruction.h).
std::vector<uint8_t> ParamsBlob(const ConvView& v, core::RequantMode mode) {
  std::vector<uint8_t> out;
  const float xs = v.x->quant.scale(0), ys = v.y->quant.scale(0);
  for (int64_t oc = 0; oc < v.oc; ++oc) {
    const int32_t bias = v.bias ? (*v.bias->data)[oc] : 0;
    const float ws = v.w->quant.scale(oc);
    int32_t mult = 0, shift = 0;
    if (v.y->bits == 32) {
      // An accumulator output: REQUANT passes the values through and reads no multiplier.
    } else if (mode == core::RequantMode::kOnnxFloat) {
      const float m = core::OnnxMultiplier(xs, ws, ys);
      std::memcpy(&mult, &m, sizeof m);
    } else {
      const core::FixedMultiplier f = core::QuantizeMultiplier(static_cast<double>(xs) * ws / ys);
      mult = f.multiplier;
      shift = f.shift;
    }
    PutLittleEndian(out, bias, 4);
    PutLittleEndian(out, mult, 4);
    PutLittleEndian(out, shift, 4);
  }
  return out;
}

}  // namespace

bool WeightsStoredPerTile(const Context& ctx, const std::string& tensor) {
  const core::TensorInfo& t = ctx.graph->tensor(tensor);
  if (!t.data || !StoresTiles(*ctx.unit, t)) return false;
  bool weights = false;
  for (const core::Op& op : ctx.graph->ops) {
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      if (op.inputs[i] != tensor) continue;
      const bool conv = op.type == core::OpType::kConv2d || op.type == core::OpType::kFullyConnected;
      if (!conv || i != 1) return false;
      weights = true;
    }
  }
  for (const std::string& n : ctx.graph->outputs) {
    if (n == tensor) return false;
  }
  return weights;
}

uint64_t PlaceDram(Context& ctx, uint64_t bytes) {
  const uint64_t a = ctx.dram_next;
  ctx.dram_next = AlignUp(ctx.dram_next + bytes, kAlign);
  ctx.program.dram_bytes_used = ctx.dram_next;
  if (ctx.dram_next > static_cast<uint64_t>(ctx.arch->dram.capacity_bytes)) {
    throw core::ConfigError(ctx.arch->file, "/dram/capacity_bytes",
                            "network " + ctx.net_file + " needs at least " + std::to_string(ctx.dram_next) +
                                " bytes of DRAM, capacity is " +
                                std::to_string(ctx.arch->dram.capacity_bytes));
  }
  return a;
}

void AllocateDram(Context& ctx) {
  const core::Graph& g = *ctx.graph;
  auto place = [&](uint64_t bytes) { return PlaceDram(ctx, bytes); };
  for (const core::Op& op : g.ops) {
    if (op.type == core::OpType::kReshape) continue;
    for (const std::string& n : op.inputs) {
      if (ctx.tensor_addr.count(n) || WeightsStoredPerTile(ctx, n)) continue;
      const core::TensorInfo& t = g.tensor(n);
      ctx.tensor_addr[n] = place(t.elements() * t.bytes_per_element());
    }
  }
  for (const core::Op& op : g.ops) {
    const std::string& y = op.outputs[0];
    if (op.type == core::OpType::kReshape) {
      ctx.tensor_addr[y] = ctx.tensor_addr.at(op.inputs[0]);
      continue;
    }
    const core::TensorInfo& t = g.tensor(y);
    ctx.tensor_addr[y] = place(t.elements() * t.bytes_per_element());
  }
  // Reshape of a network input or constant: its input may be placed only now.
  for (const core::Op& op : g.ops) {
    if (op.type == core::OpType::kReshape && !ctx.tensor_addr.count(op.inputs[0])) {
      const core::TensorInfo& t = g.tensor(op.inputs[0]);
      ctx.tensor_addr[op.inputs[0]] = ctx.tensor_addr[op.outputs[0]] =
          place(t.elements() * t.bytes_per_element());
    }
  }
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    const core::OpType type = g.ops[i].type;
    if (type != core::OpType::kConv2d && type != core::OpType::kFullyConnected) continue;
    const ConvView v = MakeConvView(g, i);
    std::vector<uint8_t> blob = ParamsBlob(v, ctx.arch->requant_mode);
    const uint64_t a = place(blob.size());
    ctx.params_addr[i] = a;
    ctx.program.dram_init.push_back({a, std::move(blob), g.ops[i].name + " params"});
  }
  const std::set<std::string> net_inputs(g.inputs.begin(), g.inputs.end());
  for (const auto& [name, addr] : ctx.tensor_addr) {
    const core::TensorInfo& t = g.tensor(name);
    if (net_inputs.count(name)) {
      ctx.program.inputs.push_back({name, addr, t.shape, TypeOf(t)});
    } else if (t.data) {
      ctx.program.dram_init.push_back({addr, Encode(t), name});
    }
  }
  for (const std::string& name : g.outputs) {
    const core::TensorInfo& t = g.tensor(name);
    ctx.program.outputs.push_back({name, ctx.tensor_addr.at(name), t.shape, TypeOf(t)});
  }
}

}  // namespace npusim::compiler

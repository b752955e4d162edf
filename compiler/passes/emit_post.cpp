// Emitters for the post-processor's own layers (pools, residual add) and buffer set-up.
// Pools tile output rows, cols and channels; the input tile (clipped to the image, padding read as
// "outside the tile") goes to the unit's input buffer, results to the post-processor's output
// buffer. Add, mul and lookup stream their operands in chunks through the input buffer.
#include <algorithm>
#include "ir/int_math.h"

#include "compiler/passes/passes.h"
#include "compiler/passes/tiling.h"
#include "models/timing/post_timing.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {
using core::AlignUp;
using core::CeilDiv;

void SetUpSlots(SlotPair& s, const core::ArchConfig& arch, int buffer) {
  s.buffer = buffer;
  s.bytes = arch.buffers[buffer].size_bytes / 2 / 64 * 64;
  s.base[0] = isa::BufferBase(buffer);
  s.base[1] = isa::BufferBase(buffer) + s.bytes;
}

void NoteLayer(Context& ctx, int op_index, const std::string& unit, const std::string& tiling, int64_t tiles,
               int64_t est) {
  isa::LayerMapping& m = ctx.program.layers[op_index];
  m.unit = unit;
  m.tiling = tiling;
  m.tiles = tiles;
  m.estimated_cycles = est;
}

// A tensor's type, zero point and scale, as an instruction's operand fields.
void SetOperand(const core::TensorInfo& t, isa::ElemType* type, int32_t* zero_point, float* scale) {
  *type = TypeOf(t);
  *zero_point = t.quant.zero_point(0);
  *scale = t.quant.scale(0);
}

struct PoolTile {
  int64_t toh, tow, tc;  // output rows, cols and channels
};

// The largest tile that fits: all channels if possible, then as many rows as fit.
PoolTile ChoosePoolTile(const Context& ctx, int op_index, const PoolGeometry& p, int64_t xb, int64_t yb) {
  auto in_bytes = [&](int64_t oh, int64_t ow, int64_t c) {
    return std::min(p.h, (oh - 1) * p.sh + p.kh) * std::min(p.w, (ow - 1) * p.sw + p.kw) * c * xb;
  };
  auto fits = [&](const PoolTile& t) {
    return in_bytes(t.toh, t.tow, t.tc) <= ctx.buffers.in.bytes &&
           t.toh * t.tow * t.tc * yb <= ctx.buffers.out.bytes;
  };
  PoolTile t{p.oh, p.ow, p.c};
  while (!fits(t) && t.toh > 1) t.toh = CeilDiv(t.toh, 2);
  while (!fits(t) && t.tow > 1) t.tow = CeilDiv(t.tow, 2);
  while (!fits(t) && t.tc > 1) t.tc = CeilDiv(t.tc, 2);
  if (fits(t)) return t;
  const core::BufferConfig& in = ctx.arch->buffers[ctx.buffers.in.buffer];
  const std::string& layer = ctx.graph->ops[op_index].name;
  throw core::ConfigError(ctx.net_file, "/ops/" + std::to_string(op_index),
                          "layer \"" + layer + "\" cannot be tiled into the buffers of " + ctx.arch->file +
                              ": " + in.name + " needs at least " +
                              std::to_string(2 * AlignUp(in_bytes(1, 1, 1), 64)) +
                              " bytes for one pooling window (two tiles for double buffering), it has " +
                              std::to_string(in.size_bytes));
}

// Calls f(tile) for every tile of a pool layer tiled as `t`, in emission order.
template <class F>
void ForEachPoolTile(const PoolGeometry& p, const PoolTile& t, F f) {
  for (int64_t oy = 0; oy < p.oh; oy += t.toh) {
    for (int64_t ox = 0; ox < p.ow; ox += t.tow) {
      for (int64_t c0 = 0; c0 < p.c; c0 += t.tc) {
        f(PoolTileAt{oy, ox, c0, std::min(t.toh, p.oh - oy), std::min(t.tow, p.ow - ox),
                     std::min(t.tc, p.c - c0)});
      }
    }
  }
}

// The input rows [*r0, *r1) and columns [*q0, *q1) tile t reads (clipped to the image).
void PoolInputSpan(const PoolGeometry& p, const PoolTileAt& t, int64_t* r0, int64_t* r1, int64_t* q0,
                   int64_t* q1) {
  InputSpan(t.oy, t.nh, p.sh, 1, p.kh, p.pt, p.h, r0, r1);
  InputSpan(t.ox, t.nw, p.sw, 1, p.kw, p.pl, p.w, q0, q1);
}

// LOAD the tile's input (clipped to the image), POOL it, STORE the output.
void EmitPoolTile(Context& ctx, const core::TensorInfo& x, const core::TensorInfo& y, const PoolGeometry& p,
                  const isa::PoolArgs& layer, const PoolTileAt& t) {
  int64_t r0, r1, q0, q1;
  PoolInputSpan(p, t, &r0, &r1, &q0, &q1);
  const uint64_t in = ctx.buffers.in.base[ctx.buffers.in.NextFree()];
  EmitTileDma(
      ctx, isa::Opcode::kLoad,
      {ctx.tensor_addr.at(x.name), p.w, p.c, x.bytes_per_element(), r0, q0, t.c0, r1 - r0, q1 - q0, t.nc},
      in);
  EmitPoolAndStore(ctx, y, p, layer, t, in);
}

}  // namespace

PoolGeometry PoolOf(const core::Graph& g, const core::Op& op) {
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  PoolGeometry p{x.shape[1],   x.shape[2],   x.shape[3],   y.shape[1], y.shape[2], op.kernel[0],
                 op.kernel[1], op.stride[0], op.stride[1], op.pads[0], op.pads[1]};
  if (op.type == core::OpType::kGlobalAvgPool) {
    p.kh = p.h;
    p.kw = p.w;
    p.sh = p.sw = 1;
    p.pt = p.pl = 0;
  }
  return p;
}

// What every tile of a pool layer shares.
isa::PoolArgs PoolLayerArgs(const core::Op& op, const core::TensorInfo& x, const core::TensorInfo& y,
                            const PoolGeometry& p) {
  isa::PoolArgs a;
  a.kind = op.type == core::OpType::kMaxPool ? isa::PoolKind::kMax : isa::PoolKind::kAvg;
  a.kh = p.kh;
  a.kw = p.kw;
  a.stride_h = p.sh;
  a.stride_w = p.sw;
  a.count_include_pad = op.count_include_pad;
  a.float_accumulate = op.float_accumulate;
  SetOperand(x, &a.in_type, &a.in_zero_point, &a.in_scale);
  SetOperand(y, &a.out_type, &a.out_zero_point, &a.out_scale);
  a.out_min = static_cast<int32_t>(y.qmin());
  a.out_max = static_cast<int32_t>(y.qmax());
  return a;
}

void EmitPoolAndStore(Context& ctx, const core::TensorInfo& y, const PoolGeometry& p,
                      const isa::PoolArgs& layer, const PoolTileAt& t, uint64_t in) {
  int64_t r0, r1, q0, q1;
  PoolInputSpan(p, t, &r0, &r1, &q0, &q1);
  const uint64_t out = ctx.buffers.out.base[ctx.buffers.out.NextFree()];
  isa::PoolArgs& a = ctx.Emit(isa::Opcode::kPool).pool();
  a = layer;
  a.in_addr = in;
  a.out_addr = out;
  a.in_h = r1 - r0;
  a.in_w = q1 - q0;
  a.c = t.nc;
  a.out_h = t.nh;
  a.out_w = t.nw;
  a.pad_top = r0 - (t.oy * p.sh - p.pt);
  a.pad_left = q0 - (t.ox * p.sw - p.pl);
  EmitTileDma(
      ctx, isa::Opcode::kStore,
      {ctx.tensor_addr.at(y.name), p.ow, p.c, y.bytes_per_element(), t.oy, t.ox, t.c0, t.nh, t.nw, t.nc},
      out);
}

namespace {
// The contiguous run, in elements, of a [rows][cols][ch] tile of an image `w` wide with `c` channels.
int64_t Run(int64_t rows, int64_t cols, int64_t ch, int64_t w, int64_t c) {
  if (ch < c) return ch;
  return cols < w ? cols * c : rows * w * c;
}
}  // namespace

// A pool run alone (EmitPool's tiles) as the fusion planner rates it: each tile's input (clipped to
// the image) in, its output out, the post-processor's cycles, overlapped.
PlanCost EstimatePool(const Context& ctx, int op_index) {
  const core::Graph& g = *ctx.graph;
  const core::Op& op = g.ops[op_index];
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  const PoolGeometry p = PoolOf(g, op);
  const int64_t xb = x.bytes_per_element(), yb = y.bytes_per_element();
  const PoolTile tile = ChoosePoolTile(ctx, op_index, p, xb, yb);
  const core::ArchConfig& arch = *ctx.arch;
  const int64_t bw = arch.dram.bytes_per_cycle, granule = arch.dram.granule_bytes();
  int64_t dram = 0, post = 0, bytes = 0, access = 0, first_post = -1;
  auto transfer = [&](int64_t run, int64_t total) {
    dram += TransferCycles(run, total / run, bw, granule);
    access += AccessBytes(run, total / run, granule);
    bytes += total;
  };
  ForEachPoolTile(p, tile, [&](const PoolTileAt& t) {
    int64_t r0, r1, q0, q1;
    PoolInputSpan(p, t, &r0, &r1, &q0, &q1);
    transfer(Run(r1 - r0, q1 - q0, t.nc, p.w, p.c) * xb, (r1 - r0) * (q1 - q0) * t.nc * xb);
    transfer(Run(t.nh, t.nw, t.nc, p.ow, p.c) * yb, t.nh * t.nw * t.nc * yb);
    const int64_t c = models::timing::PostPoolCycles(arch.post.lanes, arch.post.pipeline_cycles,
                                                     t.nh * t.nw * t.nc, p.kh * p.kw);
    if (first_post < 0) first_post = c;
    post += c;
  });
  const int64_t cycles = std::max(dram, post) + std::max<int64_t>(0, first_post) + arch.dram.latency_cycles;
  return {cycles, bytes, ctx.plan_energy.Of(cycles, bytes, access)};
}

void SetUpBuffers(Context& ctx) {
  const core::ArchConfig& arch = *ctx.arch;
  SetUpSlots(ctx.buffers.in, arch, BufferIndex(arch, ctx.unit->input_buffer));
  SetUpSlots(ctx.buffers.w, arch, BufferIndex(arch, ctx.unit->weight_buffer));
  SetUpSlots(ctx.buffers.acc, arch, BufferIndex(arch, ctx.unit->acc_buffer));
  SetUpSlots(ctx.buffers.out, arch, BufferIndex(arch, arch.post.output_buffer));
}

void EmitPool(Context& ctx, int op_index) {
  const core::Graph& g = *ctx.graph;
  const core::Op& op = g.ops[op_index];
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  const PoolGeometry p = PoolOf(g, op);
  const PoolTile tile = ChoosePoolTile(ctx, op_index, p, x.bytes_per_element(), y.bytes_per_element());
  const isa::PoolArgs layer = PoolLayerArgs(op, x, y, p);
  // LOAD, POOL and STORE per tile, counted before any is emitted.
  ctx.CheckInstructionBudget(InstructionTiles(p.oh, tile.toh) * InstructionTiles(p.ow, tile.tow) *
                                 InstructionTiles(p.c, tile.tc) * 3,
                             op_index);
  int64_t tiles = 0;
  ForEachPoolTile(p, tile, [&](const PoolTileAt& t) {
    ++tiles;
    EmitPoolTile(ctx, x, y, p, layer, t);
  });
  NoteLayer(ctx, op_index, ctx.arch->post.name,
            "tile oh=" + std::to_string(tile.toh) + " ow=" + std::to_string(tile.tow) +
                " c=" + std::to_string(tile.tc),
            tiles, 0);
}

namespace {

// add, mul and lookup stream `a` in chunks of n elements through the input buffer, with b after
// it (16-byte aligned): b's own chunk (add, elementwise mul), or all of b in every chunk (a
// per-channel mul's C factors, chunks a whole number of pixels; a lookup's table).
struct EltwiseLayout {
  bool whole_b;    // all of b in every chunk
  int64_t period;  // chunks are a multiple of this many elements
  int64_t fixed;   // bytes of the whole b
  int64_t per_element_in;
};

EltwiseLayout EltwiseLayoutOf(const core::Op& op, const core::TensorInfo& a, const core::TensorInfo& b,
                              const core::TensorInfo& y) {
  EltwiseLayout l;
  l.whole_b = b.elements() != y.elements() || op.type == core::OpType::kLookup;
  l.period = op.type == core::OpType::kMul && l.whole_b ? b.elements() : 1;
  l.fixed = l.whole_b ? AlignUp(b.elements() * b.bytes_per_element(), 16) : 0;
  l.per_element_in = a.bytes_per_element() + (l.whole_b ? 0 : b.bytes_per_element());
  return l;
}

// The largest chunk that fits the input and output slots (0: none does).
int64_t FittingChunk(const Context& ctx, const EltwiseLayout& l, const core::TensorInfo& y) {
  const int64_t chunk = std::min((ctx.buffers.in.bytes - 16 - l.fixed) / l.per_element_in,
                                 ctx.buffers.out.bytes / y.bytes_per_element());
  return std::max<int64_t>(0, std::min(chunk, y.elements()) / l.period * l.period);
}

// The largest chunk that fits the input and output slots, or a ConfigError saying what is missing.
int64_t ChooseChunk(const Context& ctx, int op_index, const EltwiseLayout& l, const core::TensorInfo& b,
                    const core::TensorInfo& y) {
  const int64_t chunk = FittingChunk(ctx, l, y);
  if (chunk >= 1) return chunk;
  const core::BufferConfig& in = ctx.arch->buffers[ctx.buffers.in.buffer];
  const std::string& layer = ctx.graph->ops[op_index].name;
  throw core::ConfigError(ctx.net_file, "/ops/" + std::to_string(op_index),
                          "layer \"" + layer + "\" cannot be tiled into the buffers of " + ctx.arch->file +
                              ": " + in.name + " needs at least " +
                              std::to_string(2 * AlignUp(16 + l.fixed + l.period * l.per_element_in, 64)) +
                              " bytes (" + std::to_string(l.period) + " values of a and " +
                              std::to_string(l.whole_b ? b.elements() : l.period) + " of b, twice), it has " +
                              std::to_string(in.size_bytes));
}

// LOAD a's elements [e0, e0 + n) and b's (or all of b), compute, STORE.
void EmitEltwiseChunk(Context& ctx, isa::Opcode opcode, const isa::EltwiseArgs& layer, const EltwiseLayout& l,
                      const core::Op& op, int64_t e0, int64_t n) {
  const core::Graph& g = *ctx.graph;
  const core::TensorInfo& a = g.tensor(op.inputs[0]);
  const core::TensorInfo& b = g.tensor(op.inputs[1]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  const int64_t ab = a.bytes_per_element(), bb = b.bytes_per_element(), yb = y.bytes_per_element();
  const int64_t nb = l.whole_b ? b.elements() : n;
  const uint64_t in = ctx.buffers.in.base[ctx.buffers.in.NextFree()];
  const uint64_t b_off = AlignUp(n * ab, 16);
  isa::DmaArgs& la = ctx.Emit(isa::Opcode::kLoad).dma();
  la.src = ctx.tensor_addr.at(a.name) + e0 * ab;
  la.dst = in;
  la.row_bytes = n * ab;
  isa::DmaArgs& lb = ctx.Emit(isa::Opcode::kLoad).dma();
  lb.src = ctx.tensor_addr.at(b.name) + (l.whole_b ? 0 : e0 * bb);
  lb.dst = in + b_off;
  lb.row_bytes = nb * bb;
  const uint64_t out = ctx.buffers.out.base[ctx.buffers.out.NextFree()];
  isa::EltwiseArgs& x = ctx.Emit(opcode).eltwise();
  x = layer;
  x.a_addr = in;
  x.b_addr = in + b_off;
  x.out_addr = out;
  x.count = n;
  x.b_count = nb;
  isa::DmaArgs& s = ctx.Emit(isa::Opcode::kStore).dma();
  s.src = out;
  s.dst = ctx.tensor_addr.at(y.name) + e0 * yb;
  s.row_bytes = n * yb;
}

}  // namespace

isa::EltwiseArgs EltwiseLayerArgs(const core::Graph& g, const core::Op& op) {
  isa::EltwiseArgs x;
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  SetOperand(g.tensor(op.inputs[0]), &x.a_type, &x.a_zero_point, &x.a_scale);
  SetOperand(g.tensor(op.inputs[1]), &x.b_type, &x.b_zero_point, &x.b_scale);
  SetOperand(y, &x.out_type, &x.out_zero_point, &x.out_scale);
  OutputRange(y, op.activation, &x.out_min, &x.out_max);
  return x;
}

PlanCost EstimateEltwise(const Context& ctx, int op_index) {
  const core::Graph& g = *ctx.graph;
  const core::Op& op = g.ops[op_index];
  const core::TensorInfo& a = g.tensor(op.inputs[0]);
  const core::TensorInfo& b = g.tensor(op.inputs[1]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  const EltwiseLayout l = EltwiseLayoutOf(op, a, b, y);
  const int64_t chunk = std::max<int64_t>(1, FittingChunk(ctx, l, y));
  const core::ArchConfig& arch = *ctx.arch;
  const int64_t bw = arch.dram.bytes_per_cycle, granule = arch.dram.granule_bytes();
  int64_t dram = 0, post = 0, bytes = 0, access = 0;
  auto transfer = [&](int64_t n) {
    dram += TransferCycles(n, 1, bw, granule);
    access += AccessBytes(n, 1, granule);
    bytes += n;
  };
  const int64_t total = y.elements();
  for (int64_t e0 = 0; e0 < total; e0 += chunk) {
    const int64_t n = std::min(chunk, total - e0);
    transfer(n * a.bytes_per_element());
    transfer((l.whole_b ? b.elements() : n) * b.bytes_per_element());
    transfer(n * y.bytes_per_element());
    post += models::timing::PostElementwiseCycles(arch.post.lanes, arch.post.pipeline_cycles,
                                                  op.type == core::OpType::kLookup ? n + b.elements() : n);
  }
  const int64_t fill = models::timing::PostElementwiseCycles(arch.post.lanes, arch.post.pipeline_cycles,
                                                             std::min(chunk, total));
  const int64_t cycles = std::max(dram, post) + fill + arch.dram.latency_cycles;
  return {cycles, bytes, ctx.plan_energy.Of(cycles, bytes, access)};
}

void EmitEltwise(Context& ctx, int op_index) {
  const core::Graph& g = *ctx.graph;
  const core::Op& op = g.ops[op_index];
  const core::TensorInfo& a = g.tensor(op.inputs[0]);
  const core::TensorInfo& b = g.tensor(op.inputs[1]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  const EltwiseLayout l = EltwiseLayoutOf(op, a, b, y);
  const int64_t chunk = ChooseChunk(ctx, op_index, l, b, y);
  const isa::Opcode opcode = op.type == core::OpType::kAdd   ? isa::Opcode::kAdd
                             : op.type == core::OpType::kMul ? isa::Opcode::kMul
                                                             : isa::Opcode::kLookup;
  const isa::EltwiseArgs layer = EltwiseLayerArgs(g, op);  // what every chunk shares
  const int64_t total = y.elements();
  ctx.CheckInstructionBudget(InstructionTiles(total, chunk) * 4,
                             op_index);  // LOAD a, LOAD b, compute, STORE per chunk
  int64_t tiles = 0;
  for (int64_t e0 = 0; e0 < total; e0 += chunk, ++tiles) {
    EmitEltwiseChunk(ctx, opcode, layer, l, op, e0, std::min(chunk, total - e0));
  }
  NoteLayer(ctx, op_index, ctx.arch->post.name, "chunk " + std::to_string(chunk) + " values", tiles, 0);
}

// concat moves data only: for each input, its rows (one per index of the dimensions before
// `axis`) go through the input buffer's slots, n rows per LOAD (contiguous in the input) and the
// STORE putting each at its offset in the output row. A row longer than a slot goes in pieces.
void EmitConcat(Context& ctx, int op_index) {
  const core::Graph& g = *ctx.graph;
  const core::Op& op = g.ops[op_index];
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  const int64_t eb = y.bytes_per_element();
  int64_t outer = 1;
  for (int64_t d = 0; d < op.axis; ++d) outer *= y.shape[d];
  const int64_t out_row = y.elements() / outer * eb;
  const int64_t slot = ctx.buffers.in.bytes;
  double copies = 0;  // LOAD and STORE each, counted before any is emitted
  for (const std::string& name : op.inputs) {
    const int64_t row = g.tensor(name).elements() / outer * eb;
    copies += row <= slot ? InstructionTiles(outer, std::max<int64_t>(1, slot / std::max<int64_t>(1, row)))
                          : static_cast<double>(outer) * InstructionTiles(row, slot);
  }
  ctx.CheckInstructionBudget(copies * 2, op_index);
  int64_t offset = 0, tiles = 0;
  auto copy = [&](uint64_t src, uint64_t dst, int64_t row_bytes, int64_t rows) {
    const uint64_t buf = ctx.buffers.in.base[ctx.buffers.in.NextFree()];
    isa::DmaArgs& l = ctx.Emit(isa::Opcode::kLoad).dma();
    l.src = src;
    l.dst = buf;
    l.row_bytes = row_bytes * rows;
    isa::DmaArgs& s = ctx.Emit(isa::Opcode::kStore).dma();
    s.src = buf;
    s.dst = dst;
    s.row_bytes = row_bytes;
    s.rows = rows;
    s.src_stride = {row_bytes, 0};
    s.dst_stride = {out_row, 0};
    ++tiles;
  };
  for (const std::string& name : op.inputs) {
    const core::TensorInfo& x = g.tensor(name);
    const int64_t row = x.elements() / outer * eb;
    const uint64_t src = ctx.tensor_addr.at(x.name), dst = ctx.tensor_addr.at(y.name) + offset;
    if (row <= slot) {
      const int64_t per = std::min(outer, slot / row);
      for (int64_t r0 = 0; r0 < outer; r0 += per) {
        copy(src + r0 * row, dst + r0 * out_row, row, std::min(per, outer - r0));
      }
    } else {
      for (int64_t r = 0; r < outer; ++r) {
        for (int64_t b0 = 0; b0 < row; b0 += slot)
          copy(src + r * row + b0, dst + r * out_row + b0, std::min(slot, row - b0), 1);
      }
    }
    offset += row;
  }
  NoteLayer(ctx, op_index, "dma",
            "copy " + std::to_string(op.inputs.size()) + " inputs, " + std::to_string(outer) + " rows of " +
                std::to_string(out_row) + " bytes",
            tiles, 0);
}

}  // namespace npusim::compiler

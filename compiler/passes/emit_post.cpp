// Emitters for the post-processor's own layers (pools, residual add) and buffer set-up.
// Pools tile output rows, cols and channels; the input tile (clipped to the image, padding read as
// "outside the tile") goes to the unit's input buffer, results to the post-processor's output
// buffer. Add, mul and lookup stream their operands in chunks through the input buffer.
#include "core/int_math.h"
#include <algorithm>

#include "compiler/passes/passes.h"
#include "compiler/passes/tiling.h"
#include "core/error.h"

namespace npusim::compiler {
namespace {
using core::CeilDiv;
using core::AlignUp;


void SetUpSlots(SlotPair& s, const core::ArchConfig& arch, int buffer) {
  s.buffer = buffer;
  s.bytes = arch.buffers[buffer].size_bytes / 2 / 64 * 64;
  s.base[0] = isa::BufferBase(buffer);
  s.base[1] = isa::BufferBase(buffer) + s.bytes;
}

void NoteLayer(Context& ctx, int op_index, const std::string& unit, const std::string& tiling,
               int64_t tiles, int64_t est) {
  isa::LayerMapping& m = ctx.program.layers[op_index];
  m.unit = unit;
  m.tiling = tiling;
  m.tiles = tiles;
  m.estimated_cycles = est;
}

struct PoolGeometry {
  int64_t h, w, c, oh, ow, kh, kw, sh, sw, pt, pl;
};

PoolGeometry PoolOf(const core::Graph& g, const core::Op& op) {
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  PoolGeometry p{x.shape[1], x.shape[2], x.shape[3], y.shape[1], y.shape[2],
                 op.kernel[0], op.kernel[1], op.stride[0], op.stride[1], op.pads[0], op.pads[1]};
  if (op.type == core::OpType::kGlobalAvgPool) {
    p.kh = p.h;
    p.kw = p.w;
    p.sh = p.sw = 1;
    p.pt = p.pl = 0;
  }
  return p;
}

}  // namespace

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
  const int64_t xb = x.bytes_per_element(), yb = y.bytes_per_element();
  // Largest tile that fits: all channels if possible, then as many rows as fit.
  int64_t tc = p.c, toh = p.oh, tow = p.ow;
  auto in_bytes = [&](int64_t oh, int64_t ow, int64_t c) {
    return std::min(p.h, (oh - 1) * p.sh + p.kh) * std::min(p.w, (ow - 1) * p.sw + p.kw) * c * xb;
  };
  auto fits = [&](int64_t oh, int64_t ow, int64_t c) {
    return in_bytes(oh, ow, c) <= ctx.buffers.in.bytes && oh * ow * c * yb <= ctx.buffers.out.bytes;
  };
  while (!fits(toh, tow, tc) && toh > 1) toh = CeilDiv(toh, 2);
  while (!fits(toh, tow, tc) && tow > 1) tow = CeilDiv(tow, 2);
  while (!fits(toh, tow, tc) && tc > 1) tc = CeilDiv(tc, 2);
  if (!fits(toh, tow, tc)) {
    const core::BufferConfig& in = ctx.arch->buffers[ctx.buffers.in.buffer];
    throw core::ConfigError(ctx.net_file, "/ops/" + std::to_string(op_index),
                            "layer \"" + op.name + "\" cannot be tiled into the buffers of " +
                                ctx.arch->file + ": " + in.name + " needs at least " +
                                std::to_string(2 * AlignUp(in_bytes(1, 1, 1), 64)) +
                                " bytes for one pooling window (two tiles for double buffering), it has " +
                                std::to_string(in.size_bytes));
  }
  int64_t tiles = 0;
  for (int64_t oy = 0; oy < p.oh; oy += toh) {
    for (int64_t ox = 0; ox < p.ow; ox += tow) {
      for (int64_t c0 = 0; c0 < p.c; c0 += tc) {
        ++tiles;
        const int64_t nh = std::min(toh, p.oh - oy), nw = std::min(tow, p.ow - ox), nc = std::min(tc, p.c - c0);
        int64_t r0, r1, q0, q1;
        InputSpan(oy, nh, p.sh, 1, p.kh, p.pt, p.h, &r0, &r1);
        InputSpan(ox, nw, p.sw, 1, p.kw, p.pl, p.w, &q0, &q1);
        const uint64_t in = ctx.buffers.in.base[ctx.buffers.in.NextFree()];
        isa::DmaArgs& d = ctx.Emit(isa::Opcode::kLoad).dma();
        d.src = ctx.tensor_addr.at(x.name) + ((r0 * p.w + q0) * p.c + c0) * xb;
        d.dst = in;
        d.row_bytes = nc * xb;
        d.rows = q1 - q0;
        d.planes = r1 - r0;
        d.src_stride = {p.c * xb, p.w * p.c * xb};
        d.dst_stride = {nc * xb, (q1 - q0) * nc * xb};
        const uint64_t out = ctx.buffers.out.base[ctx.buffers.out.NextFree()];
        isa::PoolArgs& a = ctx.Emit(isa::Opcode::kPool).pool();
        a.in_addr = in;
        a.out_addr = out;
        a.kind = op.type == core::OpType::kMaxPool ? isa::PoolKind::kMax : isa::PoolKind::kAvg;
        a.in_h = r1 - r0;
        a.in_w = q1 - q0;
        a.c = nc;
        a.out_h = nh;
        a.out_w = nw;
        a.kh = p.kh;
        a.kw = p.kw;
        a.stride_h = p.sh;
        a.stride_w = p.sw;
        a.pad_top = r0 - (oy * p.sh - p.pt);
        a.pad_left = q0 - (ox * p.sw - p.pl);
        a.count_include_pad = op.count_include_pad;
        a.float_accumulate = op.float_accumulate;
        a.in_type = TypeOf(x);
        a.out_type = TypeOf(y);
        a.in_zero_point = x.quant.zero_point(0);
        a.out_zero_point = y.quant.zero_point(0);
        a.in_scale = x.quant.scale(0);
        a.out_scale = y.quant.scale(0);
        a.out_min = static_cast<int32_t>(y.qmin());
        a.out_max = static_cast<int32_t>(y.qmax());
        isa::DmaArgs& s = ctx.Emit(isa::Opcode::kStore).dma();
        s.src = out;
        s.dst = ctx.tensor_addr.at(y.name) + ((oy * p.ow + ox) * p.c + c0) * yb;
        s.row_bytes = nc * yb;
        s.rows = nw;
        s.planes = nh;
        s.src_stride = {nc * yb, nw * nc * yb};
        s.dst_stride = {p.c * yb, p.ow * p.c * yb};
      }
    }
  }
  NoteLayer(ctx, op_index, ctx.arch->post.name,
            "tile oh=" + std::to_string(toh) + " ow=" + std::to_string(tow) + " c=" + std::to_string(tc),
            tiles, 0);
}

// add, mul and lookup stream `a` in chunks of n elements through the input buffer, with b after
// it (16-byte aligned): b's own chunk (add, elementwise mul), or all of b in every chunk (a
// per-channel mul's C factors, chunks a whole number of pixels; a lookup's table).
void EmitEltwise(Context& ctx, int op_index) {
  const core::Graph& g = *ctx.graph;
  const core::Op& op = g.ops[op_index];
  const core::TensorInfo& a = g.tensor(op.inputs[0]);
  const core::TensorInfo& b = g.tensor(op.inputs[1]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  const int64_t ab = a.bytes_per_element(), bb = b.bytes_per_element(), yb = y.bytes_per_element();
  const int64_t total = y.elements();
  const bool whole_b = b.elements() != total || op.type == core::OpType::kLookup;
  const int64_t period = op.type == core::OpType::kMul && whole_b ? b.elements() : 1;
  const int64_t fixed = whole_b ? AlignUp(b.elements() * bb, 16) : 0;
  const int64_t per_element_in = ab + (whole_b ? 0 : bb);
  int64_t chunk = std::min((ctx.buffers.in.bytes - 16 - fixed) / per_element_in, ctx.buffers.out.bytes / yb);
  chunk = std::min(chunk, total) / period * period;
  if (chunk < 1) {
    const core::BufferConfig& in = ctx.arch->buffers[ctx.buffers.in.buffer];
    throw core::ConfigError(ctx.net_file, "/ops/" + std::to_string(op_index),
                            "layer \"" + op.name + "\" cannot be tiled into the buffers of " + ctx.arch->file +
                                ": " + in.name + " needs at least " +
                                std::to_string(2 * AlignUp(16 + fixed + period * per_element_in, 64)) +
                                " bytes (" + std::to_string(period) + " values of a and " +
                                std::to_string(whole_b ? b.elements() : period) + " of b, twice), it has " +
                                std::to_string(in.size_bytes));
  }
  const isa::Opcode opcode = op.type == core::OpType::kAdd   ? isa::Opcode::kAdd
                             : op.type == core::OpType::kMul ? isa::Opcode::kMul
                                                             : isa::Opcode::kLookup;
  int64_t tiles = 0;
  for (int64_t e0 = 0; e0 < total; e0 += chunk, ++tiles) {
    const int64_t n = std::min(chunk, total - e0);
    const int64_t nb = whole_b ? b.elements() : n;
    const uint64_t in = ctx.buffers.in.base[ctx.buffers.in.NextFree()];
    const uint64_t b_off = AlignUp(n * ab, 16);
    isa::DmaArgs& la = ctx.Emit(isa::Opcode::kLoad).dma();
    la.src = ctx.tensor_addr.at(a.name) + e0 * ab;
    la.dst = in;
    la.row_bytes = n * ab;
    isa::DmaArgs& lb = ctx.Emit(isa::Opcode::kLoad).dma();
    lb.src = ctx.tensor_addr.at(b.name) + (whole_b ? 0 : e0 * bb);
    lb.dst = in + b_off;
    lb.row_bytes = nb * bb;
    const uint64_t out = ctx.buffers.out.base[ctx.buffers.out.NextFree()];
    isa::EltwiseArgs& x = ctx.Emit(opcode).eltwise();
    x.a_addr = in;
    x.b_addr = in + b_off;
    x.out_addr = out;
    x.count = n;
    x.b_count = nb;
    x.a_type = TypeOf(a);
    x.b_type = TypeOf(b);
    x.out_type = TypeOf(y);
    x.a_zero_point = a.quant.zero_point(0);
    x.b_zero_point = b.quant.zero_point(0);
    x.out_zero_point = y.quant.zero_point(0);
    x.a_scale = a.quant.scale(0);
    x.b_scale = b.quant.scale(0);
    x.out_scale = y.quant.scale(0);
    OutputRange(y, op.activation, &x.out_min, &x.out_max);
    isa::DmaArgs& s = ctx.Emit(isa::Opcode::kStore).dma();
    s.src = out;
    s.dst = ctx.tensor_addr.at(y.name) + e0 * yb;
    s.row_bytes = n * yb;
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
        for (int64_t b0 = 0; b0 < row; b0 += slot) copy(src + r * row + b0, dst + r * out_row + b0, std::min(slot, row - b0), 1);
      }
    }
    offset += row;
  }
  NoteLayer(ctx, op_index, "dma", "copy " + std::to_string(op.inputs.size()) + " inputs, " + std::to_string(outer) +
                                      " rows of " + std::to_string(out_row) + " bytes", tiles, 0);
}

}  // namespace npusim::compiler

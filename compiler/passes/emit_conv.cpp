// EmitConv: the instruction stream of one conv/FC layer. Loop nest (oc tiles outer or spatial
// tiles outer, as the tiling chose), input-channel tiles innermost so partial sums stay in the
// accumulator buffer; a tile already in a buffer slot is not loaded again.
#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>

#include "compiler/passes/passes.h"
#include "compiler/passes/tiling.h"
#include "compiler/passes/weight_store.h"
#include "ir/int_math.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {
using core::CeilDiv;

struct SpatialTile {
  int64_t oy0, ox0, oh, ow;
};

// One block of output channels and, for it, the input-channel tiles its accumulation walks.
struct IcTile {
  int64_t ic0 = 0;   // first input channel of the image
  int64_t icn = 0;   // channels in the input tile
  int64_t w_i0 = 0;  // first channel along the weight tensor's I axis (I = C / groups)
  int64_t w_in = 0;  // channels along I in the weight tile
};
struct OcTile {
  int64_t oc0 = 0, ocn = 0;
  int64_t conv_groups = 1;  // groups inside the tile (whole-group tiles of grouped layers)
  std::string in_key;       // which input tile (with the spatial tile) this block reads
  std::vector<IcTile> ic;
};

std::vector<OcTile> OcTiles(const ConvView& v, const ConvTiling& t) {
  std::vector<OcTile> out;
  if (t.whole_groups) {
    const int64_t gpt = t.toc / v.ocg();
    for (int64_t g0 = 0; g0 < v.groups; g0 += gpt) {
      const int64_t gn = std::min(gpt, v.groups - g0);
      OcTile o{g0 * v.ocg(), gn * v.ocg(), gn, "g" + std::to_string(g0), {}};
      o.ic.push_back({g0 * v.icg(), gn * v.icg(), 0, v.icg()});
      out.push_back(o);
    }
    return out;
  }
  for (int64_t g = 0; g < v.groups; ++g) {
    for (int64_t j = 0; j < v.ocg(); j += t.toc) {
      OcTile o{g * v.ocg() + j, std::min(t.toc, v.ocg() - j), 1, "g" + std::to_string(g), {}};
      for (int64_t i = 0; i < v.icg(); i += t.tic) {
        const int64_t n = std::min(t.tic, v.icg() - i);
        o.ic.push_back({g * v.icg() + i, n, i, n});
      }
      out.push_back(o);
    }
  }
  return out;
}

class ConvEmitter {
 public:
  ConvEmitter(Context& ctx, const ConvView& v, const ConvTiling& t, WeightStore& store)
      : ctx_(ctx), v_(v), t_(t), store_(store), oc_tiles_(OcTiles(v, t)) {
    for (int64_t oy = 0; oy < v.oh; oy += t.toh) {
      for (int64_t ox = 0; ox < v.ow; ox += t.tow) {
        spatial_.push_back({oy, ox, std::min(t.toh, v.oh - oy), std::min(t.tow, v.ow - ox)});
      }
    }
  }

  void Run() {
    Buffers& B = ctx_.buffers;
    B.in.Invalidate();
    B.w.Invalidate();
    if (t_.oc_outer) {
      for (const OcTile& o : oc_tiles_)
        for (size_t s = 0; s < spatial_.size(); ++s) OutputBlock(s, o);
    } else {
      for (size_t s = 0; s < spatial_.size(); ++s)
        for (const OcTile& o : oc_tiles_) OutputBlock(s, o);
    }
    B.in.Invalidate();
    B.w.Invalidate();
  }

 private:
  void OutputBlock(size_t s, const OcTile& o) {
    Buffers& B = ctx_.buffers;
    const int acc_slot = B.acc.NextFree();
    uint64_t params = 0;
    for (size_t i = 0; i < o.ic.size(); ++i) {
      const uint64_t in = LoadInput(s, o, o.ic[i], i);
      const uint64_t w = LoadWeights(o, o.ic[i], i);
      params = w + ParamsOffset(v_, t_);
      EmitCompute(s, o, o.ic[i], i == 0, in, w, params, B.acc.base[acc_slot]);
    }
    const int out_slot = B.out.NextFree();
    EmitRequant(s, o, B.acc.base[acc_slot], params, B.out.base[out_slot]);
    EmitStore(s, o, B.out.base[out_slot]);
  }

  uint64_t LoadInput(size_t s, const OcTile& o, const IcTile& ic, size_t i) {
    SlotPair& slot = ctx_.buffers.in;
    const std::string key = std::to_string(s) + "/" + o.in_key + "/" + std::to_string(i);
    bool load = false;
    const uint64_t dst = slot.base[slot.Acquire(key, &load)];
    if (!load) return dst;
    const SpatialTile& st = spatial_[s];
    int64_t r0, r1, c0, c1;
    InputSpan(st.oy0, st.oh, v_.sh, v_.dh, v_.kh, v_.pt, v_.h, &r0, &r1);
    InputSpan(st.ox0, st.ow, v_.sw, v_.dw, v_.kw, v_.pl, v_.w_, &c0, &c1);
    const int64_t eb = v_.x->bytes_per_element();
    isa::DmaArgs& d = ctx_.Emit(isa::Opcode::kLoad).dma();
    d.src = ctx_.tensor_addr.at(v_.x->name) + ((r0 * v_.w_ + c0) * v_.c + ic.ic0) * eb;
    d.dst = dst;
    d.row_bytes = ic.icn * eb;
    d.rows = c1 - c0;
    d.planes = r1 - r0;
    d.src_stride = {v_.c * eb, v_.w_ * v_.c * eb};
    d.dst_stride = {ic.icn * eb, (c1 - c0) * ic.icn * eb};
    return dst;
  }

  uint64_t LoadWeights(const OcTile& o, const IcTile& ic, size_t i) {
    SlotPair& slot = ctx_.buffers.w;
    const std::string key = std::to_string(o.oc0) + "/" + std::to_string(i);
    bool load = false;
    const uint64_t dst = slot.base[slot.Acquire(key, &load)];
    if (!load) return dst;
    isa::DmaArgs& d = ctx_.Emit(isa::Opcode::kLoad).dma();
    d.dst = dst;
    if (store_.StoresTiles()) {
      // One contiguous run: the tile as the compiler encoded it.
      const StoredTile& st = StoredTileOf(o, ic);
      d.src = st.addr;
      d.row_bytes = st.bytes;
    } else {
      const int64_t eb = v_.w->bytes_per_element();
      const int64_t taps = v_.kh * v_.kw;
      d.src = ctx_.tensor_addr.at(v_.w->name) + (o.oc0 * taps * v_.icg() + ic.w_i0) * eb;
      d.row_bytes = ic.w_in * eb;
      d.rows = o.ocn * taps;
      d.src_stride = {v_.icg() * eb, 0};
      d.dst_stride = {ic.w_in * eb, 0};
    }
    isa::DmaArgs& p = ctx_.Emit(isa::Opcode::kLoad).dma();
    p.src = ctx_.params_addr.at(v_.op_index) + o.oc0 * 12;
    p.dst = dst + ParamsOffset(v_, t_);
    p.row_bytes = o.ocn * 12;
    return dst;
  }

  void EmitCompute(size_t s, const OcTile& o, const IcTile& ic, bool first, uint64_t in, uint64_t w,
                   uint64_t params, uint64_t acc) {
    const SpatialTile& st = spatial_[s];
    int64_t r0, r1, c0, c1;
    InputSpan(st.oy0, st.oh, v_.sh, v_.dh, v_.kh, v_.pt, v_.h, &r0, &r1);
    InputSpan(st.ox0, st.ow, v_.sw, v_.dw, v_.kw, v_.pl, v_.w_, &c0, &c1);
    isa::ConvArgs& c = ctx_.Emit(isa::Opcode::kConv).conv();
    c.in_addr = in;
    c.w_addr = w;
    c.params_addr = params;
    c.acc_addr = acc;
    c.in_h = r1 - r0;
    c.in_w = c1 - c0;
    c.in_c = ic.icn;
    c.out_h = st.oh;
    c.out_w = st.ow;
    c.out_c = o.ocn;
    c.kh = v_.kh;
    c.kw = v_.kw;
    c.stride_h = v_.sh;
    c.stride_w = v_.sw;
    c.dilation_h = v_.dh;
    c.dilation_w = v_.dw;
    // Tile-local padding: tile row 0 is image row r0, output row 0 reads image row oy0*s - pt.
    c.pad_top = r0 - (st.oy0 * v_.sh - v_.pt);
    c.pad_left = c0 - (st.ox0 * v_.sw - v_.pl);
    c.groups = o.conv_groups;
    c.in_type = TypeOf(*v_.x);
    c.w_type = TypeOf(*v_.w);
    c.in_zero_point = v_.x->quant.zero_point(0);
    c.w_zero_point = v_.w->quant.zero_point(0);
    c.first = first;
    c.init_bias = c.first && v_.bias != nullptr;
    if (store_.StoresTiles()) {
      const StoredTile& st = StoredTileOf(o, ic);
      c.w_format = store_.format();
      c.w_bytes = st.bytes;
      c.w_groups_span_taps = store_.groups_span_taps();
      c.w_tile = st.rows;
    }
  }

 public:
  struct StoredTile {
    uint64_t addr = 0;
    int64_t bytes = 0;
    int32_t rows = -1;  // sparse arrays: its index in Program::weight_tile_rows
  };
  // Tiles stored in the store's format (packed, or a sparse format): the weight tile of (o, ic),
  // encoded and placed in DRAM the first time it is asked for (each tile is stored once, however
  // often it is loaded); a sparse format's row entry counts go to Program::weight_tile_rows.
  const StoredTile& StoredTileOf(const OcTile& o, const IcTile& ic) {
    const auto key = std::make_pair(o.oc0, ic.w_i0);
    auto it = stored_.find(key);
    if (it != stored_.end()) return it->second;
    EncodedTile tile = store_.Encode(t_, o.oc0, o.ocn, ic.w_i0, ic.w_in);
    int32_t rows = -1;
    if (!tile.row_entries.empty()) {
      std::vector<std::vector<int64_t>>& table = ctx_.program.weight_tile_rows;
      table.push_back(std::move(tile.row_entries));
      rows = static_cast<int32_t>(table.size() - 1);
    }
    StoredTile st{PlaceDram(ctx_, tile.bytes.size()), static_cast<int64_t>(tile.bytes.size()), rows};
    ctx_.program.dram_init.push_back({st.addr, std::move(tile.bytes),
                                      v_.w->name + " tile oc" + std::to_string(o.oc0) + " i" +
                                          std::to_string(ic.w_i0) + " (" + store_.name() + ")"});
    return stored_[key] = st;
  }
  int64_t StoredWeightBytes() const {
    int64_t n = 0;
    for (const auto& kv : stored_) n += kv.second.bytes;
    return n;
  }

 private:
  void EmitRequant(size_t s, const OcTile& o, uint64_t acc, uint64_t params, uint64_t out) {
    isa::RequantArgs& r = ctx_.Emit(isa::Opcode::kRequant).requant();
    r.acc_addr = acc;
    r.params_addr = params;
    r.out_addr = out;
    r.count = spatial_[s].oh * spatial_[s].ow;
    r.channels = o.ocn;
    r.out_type = TypeOf(*v_.y);
    r.out_zero_point = v_.y->quant.zero_point(0);
    OutputRange(*v_.y, v_.op->activation, &r.out_min, &r.out_max);
  }

  void EmitStore(size_t s, const OcTile& o, uint64_t out) {
    const SpatialTile& st = spatial_[s];
    const int64_t eb = v_.y->bytes_per_element();
    isa::DmaArgs& d = ctx_.Emit(isa::Opcode::kStore).dma();
    d.src = out;
    d.dst = ctx_.tensor_addr.at(v_.y->name) + ((st.oy0 * v_.ow + st.ox0) * v_.oc + o.oc0) * eb;
    d.row_bytes = o.ocn * eb;
    d.rows = st.ow;
    d.planes = st.oh;
    d.src_stride = {o.ocn * eb, st.ow * o.ocn * eb};
    d.dst_stride = {v_.oc * eb, v_.ow * v_.oc * eb};
  }

  Context& ctx_;
  const ConvView& v_;
  const ConvTiling& t_;
  WeightStore& store_;
  std::vector<OcTile> oc_tiles_;
  std::vector<SpatialTile> spatial_;
  std::map<std::pair<int64_t, int64_t>, StoredTile> stored_;
};

// The layer's CONV instructions grouped by shape, for the reconfigurable array's mapper.
std::vector<ConvTileGroup> GroupTiles(const isa::Program& prog, size_t first) {
  std::vector<ConvTileGroup> groups;
  for (size_t i = first; i < prog.instructions.size(); ++i) {
    const isa::Instruction& in = prog.instructions[i];
    if (in.op != isa::Opcode::kConv) continue;
    const isa::ConvArgs& c = in.conv();
    ConvTileGroup t;
    t.gemm.m = c.out_h * c.out_w;
    t.gemm.k = (c.in_c / c.groups) * c.kh * c.kw;
    t.gemm.n = c.out_c / c.groups;
    t.gemm.groups = c.groups;
    t.in_bytes = c.in_h * c.in_w * c.in_c * c.in_type.bytes();
    t.w_bytes = isa::WeightTileBytes(c);
    t.acc_bytes = c.out_h * c.out_w * c.out_c * 4;
    auto same = [&](const ConvTileGroup& g) {
      return g.gemm.m == t.gemm.m && g.gemm.k == t.gemm.k && g.gemm.n == t.gemm.n &&
             g.gemm.groups == t.gemm.groups && g.in_bytes == t.in_bytes && g.w_bytes == t.w_bytes;
    };
    auto it = std::find_if(groups.begin(), groups.end(), same);
    if (it == groups.end()) it = groups.insert(groups.end(), t);
    it->count += 1;
    it->first += c.first ? 1 : 0;
  }
  return groups;
}

// The whole layer as one pseudo-instruction: the mapper's first guess, which the tiling's cost
// model assumes (the final choice is made on the emitted instructions).
std::vector<ConvTileGroup> LayerAsOneTile(const ConvView& v) {
  ConvTileGroup t;
  t.gemm.m = v.oh * v.ow;
  t.gemm.k = v.icg() * v.kh * v.kw;
  t.gemm.n = v.ocg();
  t.gemm.groups = v.groups;
  t.in_bytes = v.h * v.w_ * v.c * v.x->bytes_per_element();
  t.w_bytes = v.oc * v.kh * v.kw * v.icg() * v.w->bytes_per_element();
  t.acc_bytes = v.oh * v.ow * v.oc * 4;
  t.count = 1;
  t.first = 1;
  return {t};
}

void RecordMapping(Context& ctx, const ConvView& v, size_t first, isa::LayerMapping& m) {
  const MappingDecision d = ChooseReconfigMapping(ctx, v, GroupTiles(ctx.program, first));
  for (size_t i = first; i < ctx.program.instructions.size(); ++i) {
    isa::Instruction& in = ctx.program.instructions[i];
    if (in.op == isa::Opcode::kConv) models::timing::SetMapping(d.best.mapping, &in.conv());
  }
  const core::UnitConfig& u = *ctx.unit;
  m.mapping = d.best.Describe(u);
  m.mapping_reason = d.reason;
  m.mapping_cycles = d.best.cycles;
  m.mapping_energy_pj = d.best.energy_pj;
  if (d.have_runner_up) {
    m.runner_up = d.runner_up.Describe(u);
    m.runner_up_cycles = d.runner_up.cycles;
    m.runner_up_energy_pj = d.runner_up.energy_pj;
  }
  m.monolithic = d.monolithic.Describe(u);
  m.monolithic_cycles = d.monolithic.cycles;
  m.monolithic_energy_pj = d.monolithic.energy_pj;
  m.candidates = d.candidates;
  const int64_t macs = v.oh * v.ow * v.oc * v.icg() * v.kh * v.kw;
  if (d.best.cycles > 0) {
    m.mapping_efficiency = static_cast<double>(macs) / (static_cast<double>(d.best.cycles) * u.rows * u.cols);
  }
  ctx.last_partition = d.best.mapping.partition;
}

}  // namespace

void EmitConv(Context& ctx, int op_index) {
  const ConvView v = MakeConvView(*ctx.graph, op_index);
  const bool mapped = core::UnitKindOf(*ctx.unit).maps_layers();
  MappingDecision guess;
  if (mapped) {
    guess = ChooseReconfigMapping(ctx, v, LayerAsOneTile(v));
    ctx.conv_mapping = &guess.best.mapping;
  }
  ConvTiling t;
  const std::unique_ptr<WeightStore> store = ChooseWeightStore(ctx, v, &t);
  ctx.conv_mapping = nullptr;
  ctx.sparse = store->sparse();
  const size_t first = ctx.program.instructions.size();
  ConvEmitter emitter(ctx, v, t, *store);
  emitter.Run();
  ctx.sparse = nullptr;
  isa::LayerMapping& m = ctx.program.layers[op_index];
  if (mapped) RecordMapping(ctx, v, first, m);
  m.unit = ctx.unit->name;
  const bool stored = store->StoresTiles();  // tile by tile: a sparse format, or packed
  m.weight_format = store->name();
  m.weight_bytes = stored ? emitter.StoredWeightBytes() : v.w->elements() * v.w->bytes_per_element();
  m.tiling = t.Describe(v);
  if (stored) m.tiling += ", weights " + m.weight_format + " " + std::to_string(m.weight_bytes) + " B";
  m.tiles = 0;
  for (size_t i = first; i < ctx.program.instructions.size(); ++i) {
    if (ctx.program.instructions[i].op == isa::Opcode::kConv) ++m.tiles;
  }
  m.estimated_cycles = t.estimated_cycles;
}

}  // namespace npusim::compiler

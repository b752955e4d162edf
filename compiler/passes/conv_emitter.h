// The instruction stream of one conv/FC layer, tile by tile (internal to compiler/): EmitConv runs
// a whole layer with it; a fusion group (fusion.h) drives the emitters of its layers band by band,
// reading an intermediate tile from the buffer its producer wrote it to.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/passes/passes.h"
#include "compiler/passes/tiling.h"
#include "compiler/passes/weight_store.h"

namespace npusim::compiler {

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

inline std::vector<OcTile> OcTiles(const ConvView& v, const ConvTiling& t) {
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
        for (const SpatialTile& s : spatial_) OutputBlock(s, o);
    } else {
      for (const SpatialTile& s : spatial_)
        for (const OcTile& o : oc_tiles_) OutputBlock(s, o);
    }
    B.in.Invalidate();
    B.w.Invalidate();
  }

  const std::vector<OcTile>& oc_tiles() const { return oc_tiles_; }

  void OutputBlock(const SpatialTile& s, const OcTile& o) {
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

  // The input tile of (s, o's input block, ic) from the layer's input in DRAM, unless one of the
  // input slots still holds it.
  uint64_t LoadInput(const SpatialTile& s, const OcTile& o, const IcTile& ic, size_t i) {
    SlotPair& slot = ctx_.buffers.in;
    const std::string key = std::to_string(v_.op_index) + "/" + std::to_string(s.oy0) + "," +
                            std::to_string(s.ox0) + "," + std::to_string(s.oh) + "/" + o.in_key + "/" +
                            std::to_string(i);
    bool load = false;
    const uint64_t dst = slot.base[slot.Acquire(key, &load)];
    if (!load) return dst;
    const SpatialTile& st = s;
    int64_t r0, r1, c0, c1;
    InputSpan(st.oy0, st.oh, v_.sh, v_.dh, v_.kh, v_.pt, v_.h, &r0, &r1);
    InputSpan(st.ox0, st.ow, v_.sw, v_.dw, v_.kw, v_.pl, v_.w_, &c0, &c1);
    EmitTileDma(ctx_, isa::Opcode::kLoad,
                {ctx_.tensor_addr.at(v_.x->name), v_.w_, v_.c, v_.x->bytes_per_element(), r0, c0, ic.ic0,
                 r1 - r0, c1 - c0, ic.icn},
                dst);
    return dst;
  }

  // The key of the weight tile of o's input-channel tile i (unique across layers).
  std::string WeightKey(const OcTile& o, size_t i) const {
    return std::to_string(v_.op_index) + "/" + std::to_string(o.oc0) + "/" + std::to_string(i);
  }

  // Weight tiles at fixed places (a fusion group whose weights all fit the weight buffer): each
  // is loaded the first time it is used and stays. Empty (the default): the weight slots.
  void SetWeightHome(std::map<std::string, uint64_t> home) { home_ = std::move(home); }

  // The weight tile (and its parameters) of (o, ic), loaded unless a slot or its home holds it.
  uint64_t LoadWeights(const OcTile& o, const IcTile& ic, size_t i) {
    const std::string key = WeightKey(o, i);
    uint64_t dst = 0;
    if (!home_.empty()) {
      dst = home_.at(key);
      if (!loaded_.insert(key).second) return dst;
    } else {
      SlotPair& slot = ctx_.buffers.w;
      bool load = false;
      dst = slot.base[slot.Acquire(key, &load)];
      if (!load) return dst;
    }
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

  // CONV of output tile (s, o) over input channels ic, reading its input tile at `in` (the tile's
  // rows and columns inside the image, as LoadInput places them).
  void EmitCompute(const SpatialTile& st, const OcTile& o, const IcTile& ic, bool first, uint64_t in,
                   uint64_t w, uint64_t params, uint64_t acc) {
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

  void EmitRequant(const SpatialTile& s, const OcTile& o, uint64_t acc, uint64_t params, uint64_t out) {
    isa::RequantArgs& r = ctx_.Emit(isa::Opcode::kRequant).requant();
    r.acc_addr = acc;
    r.params_addr = params;
    r.out_addr = out;
    r.count = s.oh * s.ow;
    r.channels = o.ocn;
    r.out_type = TypeOf(*v_.y);
    r.out_zero_point = v_.y->quant.zero_point(0);
    OutputRange(*v_.y, v_.op->activation, &r.out_min, &r.out_max);
  }

  // Output tile (st, o) in DRAM tensor `t` of the layer's output shape: its own output, or a fused
  // residual add's skip or sum (compiler/passes/fusion.h).
  TensorTile OutputTile(const core::TensorInfo& t, const SpatialTile& st, const OcTile& o) const {
    return {ctx_.tensor_addr.at(t.name),
            v_.ow,
            v_.oc,
            t.bytes_per_element(),
            st.oy0,
            st.ox0,
            o.oc0,
            st.oh,
            st.ow,
            o.ocn};
  }

  void EmitStore(const SpatialTile& st, const OcTile& o, uint64_t out) {
    EmitTileDma(ctx_, isa::Opcode::kStore, OutputTile(*v_.y, st, o), out);
  }

 private:
  Context& ctx_;
  const ConvView& v_;
  const ConvTiling& t_;
  WeightStore& store_;
  std::vector<OcTile> oc_tiles_;
  std::vector<SpatialTile> spatial_;
  std::map<std::pair<int64_t, int64_t>, StoredTile> stored_;
  std::map<std::string, uint64_t> home_;
  std::set<std::string> loaded_;
};

}  // namespace npusim::compiler

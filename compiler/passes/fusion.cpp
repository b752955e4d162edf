// Layer fusion: which chains of conv layers to fuse, their band tiling and cost, and their
// instructions (fusion.h says what a group does).
#include "compiler/passes/fusion.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <stdexcept>
#include <tuple>

#include "compiler/passes/conv_emitter.h"
#include "compiler/passes/objective.h"
#include "compiler/passes/tiling.h"
#include "compiler/passes/weight_store.h"
#include "ir/int_math.h"
#include "models/timing/post_timing.h"
#include "models/timing/unit_timing.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {
using core::AlignUp;
using core::CeilDiv;

// The most ops a group may take (a trailing add included): longer groups fit only large buffers,
// and each op more multiplies the candidates the planner rates.
constexpr size_t kMaxGroupLayers = 8;

struct Rows {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};

// The input rows of layer v that output rows r read (clipped to the image).
Rows InputRows(const ConvView& v, const Rows& r) {
  Rows in;
  InputSpan(r.begin, r.size(), v.sh, v.dh, v.kh, v.pt, v.h, &in.begin, &in.end);
  return in;
}

// Per layer of a group, the output rows that band [o0, o1) of the last layer needs.
std::vector<Rows> BandNeeds(const std::vector<ConvView>& vs, int64_t o0, int64_t o1) {
  std::vector<Rows> need(vs.size());
  need.back() = {o0, o1};
  for (size_t k = vs.size() - 1; k > 0; --k) need[k - 1] = InputRows(vs[k], need[k]);
  return need;
}

// The tilings of a group's layers (every layer but the last: all output channels in one tile; every
// layer but the first: all input channels, read from the band its producer wrote).
std::vector<ConvTiling> MemberTilings(const std::vector<ConvView>& vs, const FusionGroup& g) {
  std::vector<ConvTiling> ts(vs.size());
  for (size_t k = 0; k < vs.size(); ++k) {
    const ConvView& v = vs[k];
    ConvTiling& t = ts[k];
    const bool last = k + 1 == vs.size();
    t.toh = last ? g.band : g.rows[k];
    t.tow = v.ow;
    // Grouped layers: all groups in one tile (whole_groups); else channel tiles.
    t.whole_groups = v.groups > 1;
    t.toc = last && !t.whole_groups ? g.toc_last : v.oc;
    t.tic = k == 0 && !t.whole_groups ? g.tic_first : v.c;
  }
  return ts;
}

// The rows of a candidate group, band by band: per band and layer, the output rows the band needs
// and the rows it computes: all it needs when halos are recomputed; with a line buffer only those
// no earlier band computed (rows stay in a ring until a later row takes their place).
struct GroupShape {
  std::vector<std::vector<Rows>> need;  // [band][layer]
  std::vector<int64_t> max_need;        // per layer: the most output rows a band needs
  bool ok = true;                       // every band needs rows of every layer
  Rows Computed(size_t b, size_t k, bool line) const {
    const Rows& n = need[b][k];
    if (!line || b == 0 || k + 1 == need[b].size()) return n;
    return {std::max(n.begin, need[b - 1][k].end), n.end};
  }
  // Rows of a layer's output (k < last) or of the first layer's input (k = -1) held at once by a
  // line buffer: a band's rows and the next band's (the next band's producer runs beside this
  // band's consumer).
  int64_t RingRows(const std::vector<ConvView>& vs, int k) const {
    auto rows = [&](size_t b) { return k >= 0 ? need[b][k] : InputRows(vs[0], Computed(b, 0, true)); };
    int64_t r = 0;
    for (size_t b = 0; b < need.size(); ++b) {
      r = std::max(r, rows(b).size());
      if (b + 1 < need.size()) r = std::max(r, rows(b + 1).end - rows(b).begin);
    }
    return r;
  }
};

GroupShape ShapeOf(const std::vector<ConvView>& vs, int64_t band) {
  GroupShape s;
  s.max_need.assign(vs.size(), 0);
  const ConvView& last = vs.back();
  for (int64_t o0 = 0; o0 < last.oh; o0 += band) {
    s.need.push_back(BandNeeds(vs, o0, std::min(o0 + band, last.oh)));
    const std::vector<Rows>& need = s.need.back();
    for (size_t k = 0; k < vs.size(); ++k) {
      if (need[k].size() <= 0) s.ok = false;
      s.max_need[k] = std::max(s.max_need[k], need[k].size());
    }
  }
  return s;
}

// A line buffer: image rows of `row_bytes` at base + (row mod rows) * row_bytes.
struct Ring {
  uint64_t base = 0;
  int64_t rows = 0, row_bytes = 0;
  uint64_t At(int64_t row) const { return base + (row % rows) * row_bytes; }
  int64_t bytes() const { return rows * row_bytes; }
};

// Where a group's operands live, in the unit's input buffer: the first layer's input (tile slots,
// a band's rows in two slots, or a ring) and each intermediate tensor (a band in two slots, or a
// ring); accumulators, outputs and (unless resident) weights in their usual slots.
struct GroupLayout {
  SlotPair in;
  Ring in_ring;                // line buffer with band input
  std::vector<SlotPair> mid;   // recompute: per layer but the last, its bands' two slots
  std::vector<Ring> mid_ring;  // line buffer: per layer but the last, its ring
  std::vector<std::map<std::string, uint64_t>> home;  // per layer: resident weight tiles
  bool weights_resident = false;
  SlotPair skip;  // a trailing add's skip tiles loaded from DRAM
  SlotPair sum;   // its sums, where they are wider than the last layer's output (else in place)
};

int64_t RowBytes(const ConvView& v, bool input) {
  return input ? v.w_ * v.c * v.x->bytes_per_element() : v.ow * v.oc * v.y->bytes_per_element();
}

PlanCost Estimated(const FusionGroup& g) { return {g.est_cycles, g.est_dram_bytes, g.est_energy_pj}; }

bool IsPool(core::OpType t) { return t == core::OpType::kMaxPool || t == core::OpType::kAvgPool; }

// A max or average pool seen as a depthwise layer without weights (its windows' rows and columns).
ConvView PoolView(const core::Graph& g, int op_index) {
  const core::Op& op = g.ops[op_index];
  const PoolGeometry p = PoolOf(g, op);
  ConvView v;
  v.op_index = op_index;
  v.op = &op;
  v.x = &g.tensor(op.inputs[0]);
  v.y = &g.tensor(op.outputs[0]);
  v.h = p.h;
  v.w_ = p.w;
  v.c = v.oc = v.groups = p.c;
  v.oh = p.oh;
  v.ow = p.ow;
  v.kh = p.kh;
  v.kw = p.kw;
  v.sh = p.sh;
  v.sw = p.sw;
  v.pt = p.pt;
  v.pl = p.pl;
  return v;
}

class GroupPlanner {
 public:
  GroupPlanner(Context& ctx, const std::vector<int>& ops) : ctx_(ctx) {
    for (int op : ops) {
      const core::OpType t = ctx.graph->ops[op].type;
      if (t == core::OpType::kAdd) {
        add_ = op;
      } else if (IsPool(t)) {
        pool_ = op;
        vs_.push_back(PoolView(*ctx.graph, op));
      } else {
        vs_.push_back(MakeConvView(*ctx.graph, op));
      }
    }
    // After vs_ is complete: a store keeps a reference to its view.
    for (size_t k = 0; k < vs_.size(); ++k) {
      if (!IsPoolTail(k)) stores_.push_back(std::move(WeightStoresFor(ctx, vs_[k]).front()));
    }
  }

  // The best band tiling of the group by `objective`, or false when none fits the buffers.
  bool Best(const Objective& objective, FusionGroup* out) {
    if (!WholeRows()) return false;
    bool found = false;
    const ConvView& last = vs_.back();
    std::vector<int64_t> tocs{last.oc};
    if (last.groups == 1) {
      tocs.clear();
      for (int64_t toc = 1; toc < last.oc; toc *= 2) tocs.push_back(toc);
      tocs.push_back(last.oc);
    }
    std::set<int64_t> bands;
    for (int64_t b = 1; b < last.oh; b *= 2) bands.insert(b);
    for (int64_t k = 1; k <= 8; ++k) bands.insert(CeilDiv(last.oh, k));
    // Under the cycles objective the ranking never reads the energy: only the winner's is estimated
    // (the compile listing shows it).
    const bool energy = objective.kind() != Objective::Kind::kCycles;
    for (int64_t band : bands) {
      const GroupShape shape = ShapeOf(vs_, band);
      if (!shape.ok) continue;
      for (int64_t toc : tocs) {
        for (bool line : LineChoices()) {
          FusionGroup g = *out;
          g.band = band;
          g.toc_last = toc;
          g.line_buffer = line;
          if (!Complete(shape, energy, &g)) continue;
          if (!found || objective.Better(Estimated(g), Estimated(*out))) {
            *out = g;
            found = true;
          }
        }
      }
    }
    if (found && !energy) Estimate(ShapeOf(vs_, out->band), true, out);
    return found;
  }

  // Recompute halos, and keep them in line buffers, but with a trailing pool: POOL reads its band
  // whole, not through a ring.
  std::vector<bool> LineChoices() const {
    return pool_ >= 0 ? std::vector<bool>{false} : std::vector<bool>{false, true};
  }

  const std::vector<ConvView>& views() const { return vs_; }
  int add() const { return add_; }
  // Layer k is the trailing pool (the last view; no weights, no tiling of its own).
  bool IsPoolTail(size_t k) const { return pool_ >= 0 && k + 1 == vs_.size(); }
  // The pool tail's output rows per band (its whole width and channels) in bytes.
  int64_t PoolBandBytes(int64_t rows) const {
    const ConvView& v = vs_.back();
    return rows * v.ow * v.c * v.y->bytes_per_element();
  }
  // The trailing add's output.
  const core::TensorInfo& Sum() const { return ctx_.graph->tensor(ctx_.graph->ops[add_].outputs[0]); }
  // The trailing add's sums are wider than the last layer's output: they need slots of their own.
  bool WideSum() const { return add_ >= 0 && Sum().bytes_per_element() > vs_.back().y->bytes_per_element(); }
  // The trailing add's other input (not the last conv's output).
  const core::TensorInfo& Skip() const {
    const core::Op& a = ctx_.graph->ops[add_];
    return ctx_.graph->tensor(a.inputs[0] == vs_.back().y->name ? a.inputs[1] : a.inputs[0]);
  }
  std::vector<std::unique_ptr<WeightStore>>& stores() { return stores_; }

  std::vector<ConvTiling> Tilings(const FusionGroup& g) {
    std::vector<ConvTiling> ts = MemberTilings(vs_, g);
    for (size_t k = 0; k < vs_.size(); ++k) {
      if (!IsPoolTail(k)) SetWeightTileBytes(ctx_, vs_[k], &ts[k]);
    }
    return ts;
  }

  // The buffer layout of group g, or false when it does not fit.
  bool Layout(const FusionGroup& g, const GroupShape& shape, GroupLayout* layout, bool homes = true) {
    const std::vector<ConvTiling> ts = Tilings(g);
    const Buffers& B = ctx_.buffers;
    if (!SlotsHoldTiles(g, ts)) return false;
    uint64_t at = isa::BufferBase(B.in.buffer);
    const uint64_t end = at + ctx_.arch->buffers[B.in.buffer].size_bytes;
    auto take = [&](int64_t bytes) {
      const uint64_t a = at;
      at += AlignUp(bytes, 64);
      return a;
    };
    // Two slots of `bytes` each, taken from the input buffer.
    auto take_pair = [&](int64_t bytes) {
      SlotPair s = B.in;
      s.Invalidate();
      s.bytes = AlignUp(bytes, 64);
      s.base[0] = take(s.bytes);
      s.base[1] = take(s.bytes);
      return s;
    };
    const ConvView& first = vs_[0];
    layout->in = B.in;
    layout->in.Invalidate();
    if (g.band_input && g.line_buffer) {
      const int64_t rows = std::max(shape.RingRows(vs_, -1), g.skip_on_chip ? SkipRingRows(shape) : 0);
      layout->in_ring = {0, rows, RowBytes(first, true)};
      layout->in_ring.base = take(layout->in_ring.bytes());
    } else {
      int64_t bytes = ConvTileBytes(first, ts[0]).in;
      if (g.band_input) {
        for (size_t b = 0; b < shape.need.size(); ++b) {
          bytes =
              std::max(bytes, InputRows(first, shape.Computed(b, 0, false)).size() * RowBytes(first, true));
        }
      }
      layout->in = take_pair(bytes);
    }
    layout->mid.clear();
    layout->mid_ring.clear();
    for (size_t k = 0; k + 1 < vs_.size(); ++k) {
      const int64_t row = RowBytes(vs_[k], false);
      if (g.line_buffer) {
        Ring r{0, shape.RingRows(vs_, static_cast<int>(k)), row};
        r.base = take(r.bytes());
        layout->mid_ring.push_back(r);
      } else {
        layout->mid.push_back(take_pair(shape.max_need[k] * row));
      }
    }
    // A trailing add's tiles (a band's rows of one output-channel tile) of the skip and the sums.
    const int64_t add_tile = g.band * vs_.back().ow * std::min(g.toc_last, vs_.back().oc);
    if (add_ >= 0 && !g.skip_on_chip) layout->skip = take_pair(add_tile * Skip().bytes_per_element());
    if (WideSum()) layout->sum = take_pair(add_tile * Sum().bytes_per_element());
    if (at > end) return false;
    return PlaceWeights(ts, layout, homes);
  }

 private:
  // The trailing add can read its skip from the first layer's input on chip: the skip is that
  // input, of the output's shape, loaded by band, and the last layer writes all its channels per
  // tile. In two slots (at most two layers: the slots hold the current band and the one before),
  // every band's input rows must hold its output rows; in a ring, the rows a band adds were loaded
  // by then (and the ring keeps them, SkipRingRows).
  bool SkipOnChip(const GroupShape& shape, const FusionGroup& g) const {
    if (add_ < 0 || !g.band_input || (!g.line_buffer && vs_.size() > 2)) return false;
    const ConvView& first = vs_.front();
    const ConvView& last = vs_.back();
    if (Skip().name != first.x->name || first.h != last.oh || first.w_ != last.ow || first.c != last.oc ||
        std::min(g.toc_last, last.oc) != last.oc) {
      return false;
    }
    for (size_t b = 0; b < shape.need.size(); ++b) {
      const Rows in = InputRows(first, g.line_buffer ? shape.need[b][0] : shape.Computed(b, 0, false));
      const Rows& out = shape.need[b].back();
      if (out.begin < in.begin || out.end > in.end) return false;
    }
    return true;
  }

  // The input ring's rows that keep each band's skip rows until its add runs: band b's last layer
  // runs at step b + layers - 1, after the first layer loaded that step's rows.
  int64_t SkipRingRows(const GroupShape& shape) const {
    const size_t bands = shape.need.size();
    int64_t rows = 0;
    for (size_t b = 0; b < bands; ++b) {
      const size_t loader = std::min(b + vs_.size() - 1, bands - 1);
      const int64_t end = InputRows(vs_.front(), shape.Computed(loader, 0, true)).end;
      rows = std::max(rows, end - shape.need[b].back().begin);
    }
    return rows;
  }

  // Whether layer k reads every column of its input (its input bands are whole image rows).
  bool ReadsWholeRows(size_t k) const {
    int64_t c0 = 0, c1 = 0;
    const ConvView& v = vs_[k];
    InputSpan(0, v.ow, v.sw, v.dw, v.kw, v.pl, v.w_, &c0, &c1);
    return c0 == 0 && c1 == v.w_;
  }

  // Intermediate bands are whole rows of the image: the next layer must read all their columns.
  bool WholeRows() const {
    for (size_t k = 1; k < vs_.size(); ++k) {
      if (!ReadsWholeRows(k)) return false;
    }
    return true;
  }

  // Each layer's accumulators fit an accumulator slot, and the last layer's output tile (a pool
  // tail: its band's output rows) an output slot.
  bool SlotsHoldTiles(const FusionGroup& g, const std::vector<ConvTiling>& ts) const {
    const Buffers& B = ctx_.buffers;
    for (size_t k = 0; k < vs_.size(); ++k) {
      if (IsPoolTail(k)) return PoolBandBytes(g.band) <= B.out.bytes;
      const TileBytes b = ConvTileBytes(vs_[k], ts[k]);
      if (b.acc > B.acc.bytes || (k + 1 == vs_.size() && b.out > B.out.bytes)) return false;
    }
    return true;
  }

  // Weights resident when all of the group's tiles fit the weight buffer together, else each
  // must fit a weight slot.
  bool PlaceWeights(const std::vector<ConvTiling>& ts, GroupLayout* layout, bool homes) {
    const SlotPair& w = ctx_.buffers.w;
    const int64_t size = ctx_.arch->buffers[w.buffer].size_bytes;
    layout->home.assign(vs_.size(), {});
    const uint64_t base = isa::BufferBase(w.buffer);
    int64_t total = 0;
    bool each_fits = true;
    for (size_t k = 0; k < vs_.size(); ++k) {
      if (IsPoolTail(k)) continue;
      // The sums do not depend on the order: only homes (in key order) need a sorted copy.
      const std::vector<std::pair<std::string, int64_t>>& cached = LayerTiles(k, ts[k]);
      std::vector<std::pair<std::string, int64_t>> sorted;
      if (homes) {
        sorted = cached;
        std::sort(sorted.begin(), sorted.end());
      }
      for (const auto& [key, bytes] : homes ? sorted : cached) {
        if (homes) layout->home[k][key] = base + total;
        total += AlignUp(bytes, 64);
        each_fits = each_fits && bytes <= w.bytes;
      }
    }
    layout->weights_resident = total <= size;
    if (!layout->weights_resident) layout->home.assign(vs_.size(), {});
    return layout->weights_resident || each_fits;
  }

  // Fills g's rows per layer, first-layer channel tile and input mode; false when nothing fits.
  bool Complete(const GroupShape& shape, bool energy, FusionGroup* g) {
    g->rows.assign(vs_.size() - 1, 0);
    for (size_t k = 0; k + 1 < vs_.size(); ++k) {
      const ConvView& v = vs_[k];
      g->rows[k] = std::min(shape.max_need[k], ctx_.buffers.acc.bytes / (v.ow * v.oc * 4));
      if (g->rows[k] < 1) return false;
    }
    const ConvView& first = vs_[0];
    std::vector<int64_t> tics{first.icg()};
    // A lone conv (before an add) is the last layer: all its input channels in one tile, loaded
    // by band or with the band's first output-channel tile.
    const bool alone = vs_.size() == 1;
    if (first.groups == 1 && !alone) {
      for (int64_t t = first.icg() / 2; t >= 1; t /= 2) tics.push_back(t);
    }
    for (int64_t tic : tics) {
      g->tic_first = tic;
      for (bool band_input : {true, false}) {
        if (band_input && first.groups == 1 && tic != first.icg()) continue;
        // A band of the input is whole rows, which the CONVs read as their tile (ring, offsets).
        if (band_input && !ReadsWholeRows(0)) continue;
        g->band_input = band_input;
        g->skip_on_chip = SkipOnChip(shape, *g);
        GroupLayout layout;
        if (!Layout(*g, shape, &layout, false)) continue;
        g->weights_resident = layout.weights_resident;
        Estimate(shape, energy, g);
        return true;
      }
    }
    return false;
  }

  // `energy` false: the CONVs' energy is left out (GroupCost::energy).
  void Estimate(const GroupShape& shape, bool energy, FusionGroup* g);
  std::vector<std::vector<int64_t>> TileBytesInOrder(const std::vector<ConvTiling>& ts);
  const std::vector<std::pair<std::string, int64_t>>& LayerTiles(size_t k, const ConvTiling& t);
  void EstimateProducer(const Rows& r, size_t k, const FusionGroup& g, const std::vector<ConvTiling>& ts,
                        struct GroupCost& c) const;
  std::vector<std::vector<int64_t>> WeightLoads(const GroupShape& shape, const FusionGroup& g,
                                                const std::vector<ConvTiling>& ts);
  void EstimateFirstInput(const GroupShape& shape, const FusionGroup& g, size_t b, struct GroupCost& c) const;
  void EstimateTileInput(const Rows& r, struct GroupCost& c) const;
  void EstimateLast(const Rows& r, const FusionGroup& g, const ConvTiling& t, struct GroupCost& c) const;
  void EstimatePoolTail(const Rows& r, struct GroupCost& c) const;

  Context& ctx_;
  std::vector<ConvView> vs_;  // the conv layers
  int add_ = -1;              // a trailing add's op index
  int pool_ = -1;             // a trailing pool's op index (its view is the last of vs_)
  std::vector<std::unique_ptr<WeightStore>> stores_;  // per conv layer (not the pool)
  std::map<std::tuple<size_t, int64_t, int64_t, bool, int64_t>, std::vector<std::pair<std::string, int64_t>>>
      tile_cache_;
};

// Sums of one group's estimate.
struct GroupCost {
  const Context& ctx;
  const core::ArchConfig& arch;
  int64_t bw, granule;
  int64_t compute = 0, post = 0, dram = 0, bytes = 0;
  std::vector<int64_t> per_layer;
  int64_t add_post = 0;      // the trailing add's ADD cycles
  bool energy = true;        // false: conv_pj stays 0 (a ranking by cycles does not read it)
  double conv_pj = 0;        // the CONVs' dynamic energy (ConvInstrEnergy, at the table's voltage)
  int64_t access_bytes = 0;  // bytes as the DRAM moves them (runs in whole granules)
  // The steps of the skewed schedule so far: each step's slowest stream, summed (a bound that
  // takes the streams of a step to overlap perfectly).
  int64_t stepped = 0;
  int64_t step_compute = 0, step_post = 0, step_dram = 0;  // the totals when the step began
  // Ends a step: its array, post-processor and DRAM streams overlap, the slowest decides it.
  void EndStep() {
    stepped += std::max({compute - step_compute, post - step_post, dram - step_dram});
    step_compute = compute;
    step_post = post;
    step_dram = dram;
  }
  // The array and the post-processor as the emitter orders them (a bound that takes DRAM to be
  // free): each REQUANT follows its CONVs, in order on the post-processor; a CONV waits for the
  // REQUANT two before it (the accumulators' two slots) and for the REQUANTs that wrote its input
  // (the same band of the layer before).
  int64_t array_free = 0, post_free = 0, pending_conv = 0, input_ready = 0;
  std::array<int64_t, 2> acc_freed{0, 0};  // when the last two REQUANTs finished
  size_t bands = 1;
  std::vector<int64_t> written;  // [layer * bands + band]: when its last REQUANT (or ADD) finished
  size_t at = 0;                 // the layer and band being estimated, as an index of `written`
  // Layer k starts band b: its CONVs wait for layer k - 1's REQUANTs of the band.
  void Begin(size_t k, size_t b) {
    at = k * bands + b;
    input_ready = k > 0 ? written[at - bands] : 0;
  }
  // A REQUANT (after_conv: of the CONVs since the last one) or the trailing ADD, of `cycles`.
  void Post(int64_t cycles, bool after_conv) {
    if (after_conv) {
      array_free = std::max({array_free, acc_freed[0], input_ready}) + pending_conv;
      pending_conv = 0;
    }
    post_free = std::max(post_free, array_free) + cycles;
    if (after_conv) acc_freed = {acc_freed[1], post_free};
    written[at] = post_free;
  }
  void Transfer(int64_t run, int64_t total) {
    if (total <= 0) return;
    bytes += total;
    access_bytes += AccessBytes(run, total / run, granule);
    dram += TransferCycles(run, total / run, bw, granule);
  }
  void Requant(int64_t n) {
    const int64_t c = models::timing::PostElementwiseCycles(arch.post.lanes, arch.post.pipeline_cycles, n);
    post += c;
    Post(c, true);
  }
  // A POOL of the band the last conv wrote (it waits for that band's REQUANTs).
  void Pool(size_t k, int64_t cycles) {
    post += cycles;
    per_layer[k] += cycles;
    post_free = std::max({post_free, array_free, input_ready}) + cycles;
    written[at] = post_free;
  }
  void Add(int64_t n) {
    const int64_t c = models::timing::PostElementwiseCycles(arch.post.lanes, arch.post.pipeline_cycles, n);
    post += c;
    add_post += c;
    Post(c, false);
  }
  // One CONV of `rows` whole output rows, toc output and tic input channels; `first`: its first
  // input-channel tile.
  void Conv(const ConvView& v, const ConvTiling& t, size_t k, int64_t rows, int64_t toc, int64_t tic,
            bool first) {
    models::timing::GemmShape gemm;
    gemm.m = rows * v.ow;
    gemm.k = (t.whole_groups ? v.icg() : tic) * v.kh * v.kw;
    gemm.n = t.whole_groups ? v.ocg() : toc;
    gemm.groups = t.whole_groups ? v.groups : 1;
    const int64_t c = ctx.UnitCycles(gemm, v.w->bits, v.x->bits);
    const int64_t in_rows = std::min(v.h, (rows - 1) * v.sh + (v.kh - 1) * v.dh + 1);
    const int64_t in_bytes = in_rows * v.w_ * (t.whole_groups ? v.c : tic) * v.x->bytes_per_element();
    const int64_t w_bytes =
        t.w_tile_bytes >= 0 ? t.w_tile_bytes : gemm.n * gemm.k * gemm.groups * v.w->bytes_per_element();
    if (energy) conv_pj += ConvInstrEnergy(ctx, v, gemm, in_bytes, w_bytes, first);
    per_layer[k] += c;
    compute += c;
    pending_conv += c;
  }
};

// Per layer of the group, the bytes of its weight tiles in the order the emitter loads them.
std::vector<std::vector<int64_t>> GroupPlanner::TileBytesInOrder(const std::vector<ConvTiling>& ts) {
  std::vector<std::vector<int64_t>> tiles(vs_.size());
  for (size_t k = 0; k < vs_.size(); ++k) {
    if (IsPoolTail(k)) continue;
    for (const auto& tile : LayerTiles(k, ts[k])) tiles[k].push_back(tile.second);
  }
  return tiles;
}

// Layer k's weight tiles under tiling t in emission order (remembered: the search asks often).
const std::vector<std::pair<std::string, int64_t>>& GroupPlanner::LayerTiles(size_t k, const ConvTiling& t) {
  const auto key = std::make_tuple(k, t.toc, t.tic, t.whole_groups, t.w_tile_bytes);
  auto it = tile_cache_.find(key);
  if (it != tile_cache_.end()) return it->second;
  std::vector<std::pair<std::string, int64_t>>& tiles = tile_cache_[key];
  ConvEmitter em(ctx_, vs_[k], t, *stores_[k]);
  const int64_t bytes = ConvTileBytes(vs_[k], t).w;
  for (const OcTile& o : em.oc_tiles()) {
    for (size_t i = 0; i < o.ic.size(); ++i) tiles.emplace_back(em.WeightKey(o, i), bytes);
  }
  return tiles;
}

// Resident weights: each layer's tiles once, at its first step (layer k first runs at step k).
std::vector<std::vector<int64_t>> EveryTileOnce(const std::vector<std::vector<int64_t>>& tiles,
                                                std::vector<std::vector<int64_t>> loads) {
  for (size_t k = 0; k < tiles.size(); ++k) loads[k].insert(loads[k].end(), tiles[k].begin(), tiles[k].end());
  return loads;
}

// The bytes of each weight-tile load of group g, per step of the skewed schedule (step t runs band
// t - k of layer k): every tile once, at the layer's first step, when resident; else the tiles in
// the order the emitter asks for them (each tile of a layer per band and tile of rows) through the
// two weight slots.
std::vector<std::vector<int64_t>> GroupPlanner::WeightLoads(const GroupShape& shape, const FusionGroup& g,
                                                            const std::vector<ConvTiling>& ts) {
  const std::vector<std::vector<int64_t>> tiles = TileBytesInOrder(ts);
  const size_t layers = vs_.size(), bands = shape.need.size();
  std::vector<std::vector<int64_t>> loads(bands + layers - 1);
  if (g.weights_resident) return EveryTileOnce(tiles, std::move(loads));
  std::vector<int64_t> first_id{0};  // first_id[k]: layer k's first tile, by group index
  for (const auto& layer : tiles) first_id.push_back(first_id.back() + static_cast<int64_t>(layer.size()));
  TwoSlotLru<int64_t> slots{{-1, -1}};  // the emitter's weight slots, on tile ids
  // Layer k's tiles at step t, `times` times over (once per tile of rows).
  auto ask = [&](size_t t, size_t k, int64_t times) {
    for (int64_t n = 0; n < times; ++n) {
      for (size_t i = 0; i < tiles[k].size(); ++i) {
        bool load = false;
        slots.Acquire(first_id[k] + static_cast<int64_t>(i), &load);
        if (load) loads[t].push_back(tiles[k][i]);
      }
    }
  };
  for (size_t t = 0; t + 1 < bands + layers; ++t) {
    for (size_t k = 0; k < layers; ++k) {
      if (t < k || t - k >= bands) continue;
      const Rows r = shape.Computed(t - k, k, g.line_buffer);
      ask(t, k, k + 1 < layers ? CeilDiv(r.size(), g.rows[k]) : 1);
    }
  }
  return loads;
}

// A lone conv's input tile for output rows r (all channels; the later output-channel tiles find it
// in its slot): its rows, each the columns it reads.
void GroupPlanner::EstimateTileInput(const Rows& r, GroupCost& c) const {
  const ConvView& v = vs_[0];
  int64_t c0 = 0, c1 = 0;
  InputSpan(0, v.ow, v.sw, v.dw, v.kw, v.pl, v.w_, &c0, &c1);
  const int64_t run = (c1 - c0) * v.c * v.x->bytes_per_element();
  c.Transfer(run, InputRows(v, r).size() * run);
}

// The first layer's input with band input for band b: its rows (all of them, or with a line
// buffer only those no earlier band loaded).
void GroupPlanner::EstimateFirstInput(const GroupShape& shape, const FusionGroup& g, size_t b,
                                      GroupCost& c) const {
  const ConvView& v = vs_[0];
  const Rows in = InputRows(v, shape.Computed(b, 0, g.line_buffer));
  // With a line buffer, rows before the previous band's end are in the ring.
  const int64_t loaded = g.line_buffer && b > 0 ? InputRows(v, shape.Computed(b - 1, 0, true)).end : 0;
  const int64_t bytes = std::max<int64_t>(0, in.end - std::max(in.begin, loaded)) * RowBytes(v, true);
  c.Transfer(bytes, bytes);
}

// Layer k (not the last) computing rows r of a band: its CONVs (per tile of rows and input-channel
// tile), REQUANTs and, for the first layer without band input, each tile's input.
void GroupPlanner::EstimateProducer(const Rows& r, size_t k, const FusionGroup& g,
                                    const std::vector<ConvTiling>& ts, GroupCost& c) const {
  const ConvView& v = vs_[k];
  const int64_t xb = v.x->bytes_per_element();
  const int64_t channels = ts[k].whole_groups ? 1 : v.icg();
  for (int64_t y = r.begin; y < r.end; y += g.rows[k]) {
    const Rows sub{y, std::min(y + g.rows[k], r.end)};
    for (int64_t i0 = 0; i0 < channels; i0 += ts[k].tic) {
      // A whole-group tile reads every channel of the image.
      const int64_t tic = ts[k].whole_groups ? v.c : std::min(ts[k].tic, v.icg() - i0);
      c.Conv(v, ts[k], k, sub.size(), v.oc, tic, i0 == 0);
      if (k == 0 && !g.band_input) c.Transfer(tic * xb, InputRows(v, sub).size() * v.w_ * tic * xb);
    }
    c.Requant(sub.size() * v.ow * v.oc);
  }
}

// The last layer computing its band `r`, output-channel tile by tile: its CONVs (a lone conv also
// loads its input tile, unless by band), REQUANTs, the trailing add's ADDs and skip loads, and the
// stores.
void GroupPlanner::EstimateLast(const Rows& r, const FusionGroup& g, const ConvTiling& t,
                                GroupCost& c) const {
  const ConvView& last = vs_.back();
  const int64_t yb = last.y->bytes_per_element();
  const int64_t rows = r.size();
  const int64_t step = t.whole_groups ? last.oc : g.toc_last;
  for (int64_t oc0 = 0; oc0 < last.oc; oc0 += step) {
    const int64_t toc = std::min(step, last.oc - oc0);
    const int64_t n = rows * last.ow * toc;
    c.Conv(last, t, vs_.size() - 1, rows, toc, last.icg(), true);
    if (vs_.size() == 1 && !g.band_input && oc0 == 0) EstimateTileInput(r, c);
    c.Requant(n);
    if (add_ >= 0) {
      c.Add(n);
      const int64_t sb = Skip().bytes_per_element();
      if (!g.skip_on_chip) c.Transfer(toc == last.oc ? n * sb : toc * sb, n * sb);
    }
    c.Transfer(toc == last.oc ? n * yb : toc * yb, n * yb);
  }
}

// The trailing pool on band `r` of its output: one POOL of the band's rows (whole width, every
// channel) from the last conv's band in the input buffer, and their store.
void GroupPlanner::EstimatePoolTail(const Rows& r, GroupCost& c) const {
  const ConvView& v = vs_.back();
  const core::ArchConfig& arch = *ctx_.arch;
  c.Pool(vs_.size() - 1, models::timing::PostPoolCycles(arch.post.lanes, arch.post.pipeline_cycles,
                                                        r.size() * v.ow * v.c, v.kh * v.kw));
  const int64_t bytes = PoolBandBytes(r.size());
  c.Transfer(bytes, bytes);
}

// The cost model of a group: per band, each layer's CONV cycles (the unit's timing kernel), its
// REQUANT cycles, and the DRAM transfers (the first layer's input with its halo rows, unless a line
// buffer keeps them; the last layer's output; weights once when resident, else per band). The
// streams overlap (the emitter skews the layers across bands), the slowest dominates, plus one
// band's compute and post-processing to fill the pipeline.
void GroupPlanner::Estimate(const GroupShape& shape, bool energy, FusionGroup* g) {
  const std::vector<ConvTiling> ts = Tilings(*g);
  const core::ArchConfig& arch = *ctx_.arch;
  GroupCost c{ctx_, arch, arch.dram.bytes_per_cycle,          arch.dram.granule_bytes(), 0, 0,
              0,    0,    std::vector<int64_t>(vs_.size(), 0)};
  c.energy = energy;
  const size_t bands = shape.need.size(), layers = vs_.size();
  c.bands = bands;
  c.written.assign(layers * bands, 0);
  const std::vector<std::vector<int64_t>> weights = WeightLoads(shape, *g, ts);
  for (size_t t = 0; t + 1 < bands + layers; ++t) {
    for (size_t k = 0; k < layers; ++k) {
      if (t < k || t - k >= bands) continue;
      const size_t b = t - k;
      c.Begin(k, b);
      if (k == 0 && g->band_input) EstimateFirstInput(shape, *g, b, c);
      if (k + 1 < layers) {
        EstimateProducer(shape.Computed(b, k, g->line_buffer), k, *g, ts, c);
      } else if (IsPoolTail(k)) {
        EstimatePoolTail(shape.need[b].back(), c);
      } else {
        EstimateLast(shape.need[b].back(), *g, ts.back(), c);
      }
    }
    for (const int64_t bytes : weights[t]) c.Transfer(bytes, bytes);
    c.EndStep();
  }
  g->est_cycles = std::max(c.stepped, c.post_free) + arch.dram.latency_cycles;
  g->est_dram_bytes = c.bytes;
  g->est_compute = c.per_layer;
  if (add_ >= 0) g->est_compute.push_back(c.add_post);
  g->est_energy_pj = ctx_.plan_energy.Of(g->est_cycles, g->est_dram_bytes, c.access_bytes) +
                     c.conv_pj * arch.dynamic_energy_scale();
}

// Why an add cannot end a group whose last conv writes t: it must read t once and add a skip of
// t's shape.
std::string WhyNotAddTail(const core::Graph& g, const core::Op& add, const std::string& t) {
  const auto reads = std::count(add.inputs.begin(), add.inputs.end(), t);
  if (reads == 0) return "the next op does not read its output";
  if (reads > 1) return "the add reads it twice";
  const core::TensorInfo& skip = g.tensor(add.inputs[0] == t ? add.inputs[1] : add.inputs[0]);
  if (skip.shape != g.tensor(t).shape) return "the add broadcasts its other input";
  return "";
}

// Why op `a` cannot run fused with op `b` (a group needs a's output to be only b's data input, a
// conv layer, or the input of an add that ends the group), or "" when it can.
std::string WhyNotFusable(const Context& ctx, int a, int b) {
  const core::Graph& g = *ctx.graph;
  const core::Op& p = g.ops[a];
  const core::Op& c = g.ops[b];
  if (p.type != core::OpType::kConv2d) return "";  // only conv layers get a note
  const std::string& t = p.outputs[0];
  if (c.type == core::OpType::kAdd) {
    const std::string why = WhyNotAddTail(g, c, t);
    if (!why.empty()) return why;
  } else if (c.type != core::OpType::kConv2d && !IsPool(c.type)) {
    return std::string("the next op is ") + core::OpTypeName(c.type) +
           ", not conv2d, add, max_pool or avg_pool";
  } else if (c.inputs[0] != t) {
    return "the next op does not read its output";
  }
  if (g.tensor(t).bits > 16) return "its output is wider than 16 bits";
  if (std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end())
    return "its output is a network output";
  int uses = 0;
  for (const core::Op& op : g.ops)
    uses += static_cast<int>(std::count(op.inputs.begin(), op.inputs.end(), t));
  return uses == 1 ? "" : "its output is read by " + std::to_string(uses) + " ops (a residual branch)";
}

// pJ as "<x> uJ" with three decimals (the group listings).
std::string EnergyText(double pj) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f uJ", pj / 1e6);
  return buf;
}

// A layer alone, as its own tiling's cost model estimates it.
PlanCost UnfusedEstimate(Context& ctx, int op) {
  std::shared_ptr<PlannedConv> p = PlanConv(ctx, op);
  ctx.planned[op] = p;
  const core::ArchConfig& arch = *ctx.arch;
  const double energy =
      ctx.plan_energy.Of(p->t.estimated_cycles, p->t.estimated_dram_bytes, p->t.estimated_dram_access_bytes) +
      TiledConvEnergy(ctx, MakeConvView(*ctx.graph, op), p->t) * arch.dynamic_energy_scale();
  return {p->t.estimated_cycles, p->t.estimated_dram_bytes, energy};
}

}  // namespace

std::string FusionGroup::Describe() const {
  std::string s = "band " + std::to_string(band) + " rows, last layer oc tile " + std::to_string(toc_last) +
                  ", first layer ic tile " + std::to_string(tic_first) + ", rows per tile";
  for (int64_t r : rows) s += " " + std::to_string(r);
  s += line_buffer ? ", halo rows kept" : ", halo rows recomputed";
  s += band_input ? ", input per band" : ", input per tile";
  s += weights_resident ? ", weights resident" : ", weights re-fetched per band";
  if (add >= 0) s += skip_on_chip ? ", add's skip from the input band" : ", add's skip from DRAM";
  s += "; est " + std::to_string(est_cycles) + " cycles, " + std::to_string(est_dram_bytes) +
       " DRAM bytes, " + EnergyText(est_energy_pj) + " (unfused " + std::to_string(unfused_cycles) + ", " +
       std::to_string(unfused_dram_bytes) + ", " + EnergyText(unfused_energy_pj) + ")";
  return s;
}

namespace {

// What GroupPlanner::Best reads of candidate ops [i, j] and nothing else: each op's kind and
// attributes and each of its tensors' shape, type and form of quantization parameters, the tensors
// numbered by first appearance in the candidate (so a skip that is the group's input, or a constant,
// is told apart). Not names, values, scales or positions: two candidates with the same signature get
// the same band tiling and estimates (MobileNet's five identical blocks, ResNet's repeated ones), so
// the planner rates each signature once per compile.
std::vector<int64_t> CandidateSignature(const core::Graph& g, int i, int j) {
  std::vector<int64_t> sig;
  std::map<std::string, int64_t> ids;
  auto tensor = [&](const std::string& name) {
    const auto [it, fresh] = ids.emplace(name, static_cast<int64_t>(ids.size()));
    sig.push_back(it->second);
    if (!fresh) return;
    const core::TensorInfo& t = g.tensor(name);
    sig.push_back(static_cast<int64_t>(t.shape.size()));
    sig.insert(sig.end(), t.shape.begin(), t.shape.end());
    sig.insert(sig.end(), {t.bits, t.is_signed ? 1 : 0, t.data.has_value() ? 1 : 0,
                           static_cast<int64_t>(t.quant.scales.size()),
                           static_cast<int64_t>(t.quant.zero_points.size()), t.quant.axis});
  };
  for (int k = i; k <= j; ++k) {
    const core::Op& op = g.ops[k];
    sig.insert(sig.end(), {static_cast<int64_t>(op.type), static_cast<int64_t>(op.inputs.size()),
                           static_cast<int64_t>(op.outputs.size())});
    for (const std::string& t : op.inputs) tensor(t);
    for (const std::string& t : op.outputs) tensor(t);
    sig.insert(sig.end(), op.kernel.begin(), op.kernel.end());
    sig.insert(sig.end(), op.stride.begin(), op.stride.end());
    sig.insert(sig.end(), op.dilation.begin(), op.dilation.end());
    sig.insert(sig.end(), op.pads.begin(), op.pads.end());
    sig.insert(sig.end(), {op.groups, op.axis, op.count_include_pad ? 1 : 0, op.float_accumulate ? 1 : 0,
                           static_cast<int64_t>(op.activation), op.mapping.any() ? 1 : 0});
  }
  return sig;
}

// The choice of groups: dynamic programming over the ops in order (a group is consecutive ops),
// each op alone at its own tiling's estimate or in a group at the group's, summed per objective;
// a net file's "fusion": "next" ties an op to the next one (a group that must fit), "none" cuts.
class FusionPlanner {
 public:
  explicit FusionPlanner(Context& ctx)
      : ctx_(ctx), n_(static_cast<int>(ctx.graph->ops.size())), objective_(ctx.objective) {
    link_.assign(n_, 0);
    forced_.assign(n_, 0);
    why_.assign(n_, "");
    pair_.assign(n_, Pair{});
    for (int i = 0; i + 1 < n_; ++i) {
      const core::FusionForce f = ctx.graph->ops[i].fusion;
      why_[i] = WhyNotFusable(ctx, i, i + 1);
      const bool ok = why_[i].empty() && ctx.graph->ops[i].type == core::OpType::kConv2d;
      if (ok && f == core::FusionForce::kNone) why_[i] = "the net file's \"fusion\": \"none\"";
      if (f == core::FusionForce::kNext && !ok) {
        Refuse(i, why_[i].empty() ? std::string("it is not a conv2d") : why_[i]);
      }
      link_[i] = ok && f != core::FusionForce::kNone ? 1 : 0;
      forced_[i] = f == core::FusionForce::kNext ? 1 : 0;
    }
  }

  std::vector<FusionGroup> Plan() {
    PlanCost alone;
    for (int i = 0; i < n_; ++i) alone = alone + Alone(i);
    objective_.SetReference(alone);
    best_.assign(n_ + 1, PlanCost{});
    next_.assign(n_, 0);
    group_at_.assign(n_, FusionGroup{});
    for (int i = n_ - 1; i >= 0; --i) Choose(i);
    std::vector<FusionGroup> groups;
    std::vector<int> group_of(n_, -1);
    for (int i = 0; i < n_; i = next_[i]) {
      if (next_[i] <= i + 1) continue;
      groups.push_back(group_at_[i]);
      for (int k = i; k < next_[i]; ++k) group_of[k] = i;
    }
    for (int i = 0; i + 1 < n_; ++i) {
      if (group_of[i] < 0 || group_of[i] != group_of[i + 1])
        ctx_.program.layers[i].fusion_note = Note(i, group_of);
    }
    return groups;
  }

 private:
  [[noreturn]] void Refuse(int i, const std::string& why) const {
    throw core::ConfigError(ctx_.net_file, "/ops/" + std::to_string(i) + "/fusion",
                            "layer \"" + ctx_.graph->ops[i].name +
                                "\": \"next\" asks to run it fused with the op after it; " + why);
  }

  // Why op i does not run fused with op i + 1 ("" for an op that is not a conv layer).
  std::string Note(int i, const std::vector<int>& group_of) const {
    if (ctx_.graph->ops[i].type != core::OpType::kConv2d) return "";
    const std::string next = "\"" + ctx_.graph->ops[i + 1].name + "\": ";
    if (!link_[i]) return "not fused with " + next + why_[i];
    const Pair& p = pair_[i];
    if (group_of[i + 1] >= 0) return "not fused with " + next + "it runs in another group";
    if (!p.tried) return "not fused with " + next + "the net file's forcing groups them otherwise";
    if (!p.fits) return "not fused with " + next + "no band tiling of the two fits the buffers";
    return "not fused with " + next + "the two fused est " + std::to_string(p.fused.cycles) + " cycles, " +
           EnergyText(p.fused.energy_pj) + ", alone " + std::to_string(p.alone.cycles) + " cycles, " +
           EnergyText(p.alone.energy_pj) + " (objective " + objective_.name() + ")";
  }

  // Op `op` alone as its own cost model rates it: conv layers and adds that may join a group.
  PlanCost Alone(int op) {
    const core::OpType type = ctx_.graph->ops[op].type;
    const bool linked = link_[op] || (op > 0 && link_[op - 1]);
    if (!linked || (type != core::OpType::kConv2d && type != core::OpType::kAdd && !IsPool(type))) return {};
    auto it = alone_.find(op);
    if (it == alone_.end()) {
      const PlanCost c = type == core::OpType::kAdd ? EstimateEltwise(ctx_, op)
                         : IsPool(type)             ? EstimatePool(ctx_, op)
                                                    : TiledAlone(op);
      it = alone_.emplace(op, c).first;
    }
    return it->second;
  }

  // UnfusedEstimate of conv layer `op`, once per signature: a layer like one tiled before takes its
  // store's format and tiling (on the units fusion runs on, neither depends on the weights' values
  // or on the layers before), planned for EmitConv as PlanConv would plan it.
  PlanCost TiledAlone(int op) {
    if (!ctx_.plan_memo) return UnfusedEstimate(ctx_, op);
    std::vector<int64_t> sig = CandidateSignature(*ctx_.graph, op, op);
    if (auto it = tiled_.find(sig); it != tiled_.end()) {
      const Tiled& t = it->second;
      auto p = std::make_shared<PlannedConv>();
      p->v = MakeConvView(*ctx_.graph, op);
      for (std::unique_ptr<WeightStore>& s : WeightStoresFor(ctx_, p->v)) {
        if (s->format() == t.format) p->store = std::move(s);
      }
      p->t = t.tiling;
      ctx_.planned[op] = p;
      return t.cost;
    }
    const PlanCost c = UnfusedEstimate(ctx_, op);
    const PlannedConv& p = *ctx_.planned.at(op);
    tiled_.emplace(std::move(sig), Tiled{p.store->format(), p.t, c});
    return c;
  }

  // Ops [i, j] as a group (op j may be its trailing add).
  FusionGroup Candidate(int i, int j) const {
    FusionGroup g;
    for (int k = i; k <= j; ++k) g.ops.push_back(k);
    if (ctx_.graph->ops[j].type == core::OpType::kAdd) g.add = j;
    if (IsPool(ctx_.graph->ops[j].type)) g.pool = j;
    return g;
  }

  // The best plan of ops [i, n): op i alone, or a group [i, j].
  void Choose(int i) {
    if (i > 0 && forced_[i - 1]) {  // op i belongs to the group of op i - 1
      best_[i] = Alone(i) + best_[i + 1];
      next_[i] = i + 1;
      return;
    }
    int forced_end = i;
    while (forced_end < n_ && forced_[forced_end]) ++forced_end;
    const PlanCost own = Alone(i);
    bool have = false;
    if (forced_end == i) {
      best_[i] = own + best_[i + 1];
      next_[i] = i + 1;
      have = true;
    }
    PlanCost alone_sum = own;
    const int last =
        forced_end > i ? forced_end : std::min<int>(n_ - 1, i + static_cast<int>(kMaxGroupLayers) - 1);
    for (int j = i + 1; j <= last && link_[j - 1]; ++j) {
      alone_sum = alone_sum + Alone(j);
      if (j < forced_end || (j + 1 < n_ && forced_[j])) continue;
      FusionGroup g = Candidate(i, j);
      const bool fits = Rate(i, j, &g);
      if (j == i + 1) pair_[i] = {true, fits, Estimated(g), alone_sum};
      if (!fits) {
        if (forced_end > i) Refuse(i, "no band tiling of the group fits the buffers of " + ctx_.arch->file);
        continue;
      }
      g.unfused_cycles = alone_sum.cycles;
      g.unfused_dram_bytes = alone_sum.dram_bytes;
      g.unfused_energy_pj = alone_sum.energy_pj;
      const PlanCost s = Estimated(g) + best_[j + 1];
      if (!have || objective_.Better(s, best_[i])) {
        best_[i] = s;
        next_[i] = j + 1;
        group_at_[i] = g;
        have = true;
      }
    }
  }

  // GroupPlanner::Best of candidate [i, j] (g: Candidate(i, j)), once per signature.
  bool Rate(int i, int j, FusionGroup* g) {
    if (!ctx_.plan_memo) return GroupPlanner(ctx_, g->ops).Best(objective_, g);
    std::vector<int64_t> sig = CandidateSignature(*ctx_.graph, i, j);
    auto it = rated_.find(sig);
    if (it == rated_.end()) {
      FusionGroup best = *g;
      GroupPlanner planner(ctx_, g->ops);
      const bool fits = planner.Best(objective_, &best);
      it = rated_.emplace(std::move(sig), std::make_pair(fits, std::move(best))).first;
    }
    const FusionGroup own = *g;
    *g = it->second.second;
    g->ops = own.ops;
    g->add = own.add;
    g->pool = own.pool;
    return it->second.first;
  }

  Context& ctx_;
  const int n_;
  // Candidates rated, by CandidateSignature: whether one fits, and its best band tiling.
  std::map<std::vector<int64_t>, std::pair<bool, FusionGroup>> rated_;
  // Conv layers tiled alone, by CandidateSignature of the one layer.
  struct Tiled {
    core::WeightFormat format;
    ConvTiling tiling;
    PlanCost cost;
  };
  std::map<std::vector<int64_t>, Tiled> tiled_;
  std::vector<char> link_;        // link_[i]: op i may run fused with op i + 1
  std::vector<char> forced_;      // forced_[i]: op i must
  std::vector<std::string> why_;  // why_[i]: why op i may not run fused with op i + 1
  struct Pair {                   // ops i and i + 1 as a group of their own, against each alone
    bool tried = false, fits = false;
    PlanCost fused, alone;
  };
  std::vector<Pair> pair_;
  Objective objective_;
  std::map<int, PlanCost> alone_;
  std::vector<PlanCost> best_;
  std::vector<int> next_;
  std::vector<FusionGroup> group_at_;
};

}  // namespace

std::vector<FusionGroup> PlanFusion(Context& ctx) {
  if (!ctx.fusion) return {};
  const core::UnitKind& kind = core::UnitKindOf(*ctx.unit);
  const bool supported = !kind.maps_layers() && !kind.Storage(*ctx.unit).compressed();
  if (!supported) {
    for (size_t i = 0; i < ctx.graph->ops.size(); ++i) {
      if (ctx.graph->ops[i].fusion == core::FusionForce::kNext) {
        throw core::ConfigError(
            ctx.net_file, "/ops/" + std::to_string(i) + "/fusion",
            "layer \"" + ctx.graph->ops[i].name + "\": fusion is not supported on unit \"" + ctx.unit->name +
                "\" of " + ctx.arch->file + " (reconfigurable and sparse arrays run every layer alone)");
      }
    }
    return {};
  }
  return FusionPlanner(ctx).Plan();
}

namespace {

// Emits one group (fusion.h), skewed: layer k works on band t - k at step t, so a layer's
// REQUANT runs beside the next layer's CONV instead of the array waiting for it.
class GroupEmitter {
 public:
  GroupEmitter(Context& ctx, const FusionGroup& g) : ctx_(ctx), g_(g), planner_(ctx, g.ops) {
    const std::vector<ConvView>& vs = planner_.views();
    shape_ = ShapeOf(vs, g.band);
    if (!planner_.Layout(g, shape_, &layout_)) {
      throw std::logic_error("fusion group at layer " + vs[0].op->name + " no longer fits its buffers");
    }
    ts_ = planner_.Tilings(g);
    band_in_.assign(shape_.need.size(), 0);
    for (size_t k = 0; k < vs.size(); ++k) {
      if (planner_.IsPoolTail(k)) break;
      ems_.push_back(std::make_unique<ConvEmitter>(ctx, vs[k], ts_[k], *planner_.stores()[k]));
      if (layout_.weights_resident) ems_.back()->SetWeightHome(layout_.home[k]);
    }
  }

  void Run() {
    const Buffers saved = ctx_.buffers;
    ctx_.buffers.in = layout_.in;
    ctx_.buffers.w.Invalidate();
    first_instr_ = ctx_.program.instructions.size();
    const size_t layers = planner_.views().size(), bands = shape_.need.size();
    // At least a CONV and a REQUANT per band of each earlier layer, and a CONV, REQUANT and STORE
    // per band and output-channel tile of the last: counted before any is emitted.
    const double per_tile = g_.add >= 0 ? 4.0 : 3.0;  // and an ADD
    // A trailing pool: a POOL and a STORE per band.
    const double last = g_.pool >= 0 ? 2.0 : per_tile * static_cast<double>(ems_.back()->oc_tiles().size());
    const double per_band = last + 2.0 * (layers - 1);
    ctx_.CheckInstructionBudget(static_cast<double>(bands) * per_band, g_.ops.front());
    for (size_t t = 0; t + 1 < bands + layers; ++t) {
      for (size_t k = 0; k < layers; ++k) {
        if (t < k || t - k >= bands) continue;
        b_ = t - k;
        ctx_.current_layer = g_.ops[k];
        if (k + 1 < layers) {
          Produce(k);
        } else if (g_.pool >= 0) {
          FinishPool(k);
        } else {
          Finish(k);
        }
      }
    }
    ctx_.buffers = saved;
    ctx_.buffers.in.Invalidate();
    ctx_.buffers.w.Invalidate();
    Record();
  }

 private:
  const std::vector<Rows>& need() const { return shape_.need[b_]; }

  // Points the CONV just emitted at its input in ring r.
  void InRing(const Ring& r, int64_t row) {
    isa::ConvArgs& c = ctx_.program.instructions.back().conv();
    c.in_addr = r.At(row);
    c.in_ring_base = r.base;
    c.in_ring_bytes = r.bytes();
  }

  // Layer k's CONV of tile s over input-channel tile i, reading its input where it is: the band
  // layer k - 1 wrote, or for the first layer the band or tile loaded from DRAM.
  void Compute(size_t k, const SpatialTile& s, const OcTile& o, size_t i, bool first, uint64_t w,
               uint64_t params, uint64_t acc) {
    const ConvView& v = planner_.views()[k];
    ConvEmitter& em = *ems_[k];
    const Rows in = InputRows(v, {s.oy0, s.oy0 + s.oh});
    const int64_t row = RowBytes(v, true);
    if (k > 0 && g_.line_buffer) {
      em.EmitCompute(s, o, o.ic[i], first, 0, w, params, acc);
      InRing(layout_.mid_ring[k - 1], in.begin);
    } else if (k > 0) {
      const uint64_t band = layout_.mid[k - 1].base[b_ % 2];
      em.EmitCompute(s, o, o.ic[i], first, band + (in.begin - need()[k - 1].begin) * row, w, params, acc);
    } else if (g_.band_input && g_.line_buffer) {
      em.EmitCompute(s, o, o.ic[i], first, 0, w, params, acc);
      InRing(layout_.in_ring, in.begin);
    } else if (g_.band_input) {
      const Rows r = shape_.Computed(b_, 0, false);
      const uint64_t band = em.LoadInput({r.begin, 0, r.size(), v.ow}, o, o.ic[i], i);
      band_in_[b_] = band;
      em.EmitCompute(s, o, o.ic[i], first, band + (in.begin - InputRows(v, r).begin) * row, w, params, acc);
    } else {
      em.EmitCompute(s, o, o.ic[i], first, em.LoadInput(s, o, o.ic[i], i), w, params, acc);
    }
  }

  // With a line buffer and band input: the first layer's input rows of this band that no earlier
  // band loaded, into the ring (two transfers where they wrap).
  void LoadBandRing() {
    const ConvView& v = planner_.views()[0];
    const Rows in = InputRows(v, shape_.Computed(b_, 0, true));
    const Ring& ring = layout_.in_ring;
    for (int64_t r = std::max(in.begin, loaded_); r < in.end;) {
      const int64_t n = std::min(in.end - r, ring.rows - r % ring.rows);
      isa::DmaArgs& d = ctx_.Emit(isa::Opcode::kLoad).dma();
      d.src = ctx_.tensor_addr.at(v.x->name) + r * ring.row_bytes;
      d.dst = ring.At(r);
      d.row_bytes = n * ring.row_bytes;
      r += n;
    }
    loaded_ = std::max(loaded_, in.end);
  }

  // REQUANT of accumulator rows [y, y + n) of tile s into layer k's band (ring: split where it wraps).
  void Output(size_t k, const SpatialTile& s, const OcTile& o, uint64_t acc, uint64_t params) {
    const ConvView& v = planner_.views()[k];
    const int64_t row = RowBytes(v, false);
    if (!g_.line_buffer) {
      ems_[k]->EmitRequant(s, o, acc, params, layout_.mid[k].base[b_ % 2] + (s.oy0 - need()[k].begin) * row);
      return;
    }
    const Ring& ring = layout_.mid_ring[k];
    for (int64_t y = s.oy0; y < s.oy0 + s.oh;) {
      const int64_t n = std::min(s.oy0 + s.oh - y, ring.rows - y % ring.rows);
      ems_[k]->EmitRequant({y, 0, n, v.ow}, o, acc + (y - s.oy0) * v.ow * v.oc * 4, params, ring.At(y));
      y += n;
    }
  }

  // Layer k (not the last) computes its rows of the band, all channels per tile.
  void Produce(size_t k) {
    const ConvView& v = planner_.views()[k];
    ConvEmitter& em = *ems_[k];
    const OcTile& o = em.oc_tiles()[0];
    const Rows r = shape_.Computed(b_, k, g_.line_buffer);
    if (k == 0 && g_.band_input && g_.line_buffer) LoadBandRing();
    for (int64_t y = r.begin; y < r.end; y += g_.rows[k]) {
      const SpatialTile s{y, 0, std::min(g_.rows[k], r.end - y), v.ow};
      const uint64_t acc = ctx_.buffers.acc.base[ctx_.buffers.acc.NextFree()];
      uint64_t params = 0;
      for (size_t i = 0; i < o.ic.size(); ++i) {
        const uint64_t w = em.LoadWeights(o, o.ic[i], i);
        params = w + ParamsOffset(v, ts_[k]);
        Compute(k, s, o, i, i == 0, w, params, acc);
      }
      Output(k, s, o, acc, params);
    }
  }

  // The last layer: its band, output-channel tile by tile, stored to DRAM (with a trailing add,
  // the sum is).
  void Finish(size_t k) {
    const ConvView& v = planner_.views()[k];
    ConvEmitter& em = *ems_[k];
    const SpatialTile s{need()[k].begin, 0, need()[k].size(), v.ow};
    if (k == 0 && g_.band_input && g_.line_buffer) LoadBandRing();
    for (const OcTile& o : em.oc_tiles()) {
      const uint64_t acc = ctx_.buffers.acc.base[ctx_.buffers.acc.NextFree()];
      const uint64_t w = em.LoadWeights(o, o.ic[0], 0);
      const uint64_t params = w + ParamsOffset(v, ts_[k]);
      Compute(k, s, o, 0, true, w, params, acc);
      const uint64_t out = ctx_.buffers.out.base[ctx_.buffers.out.NextFree()];
      em.EmitRequant(s, o, acc, params, out);
      if (g_.add >= 0) {
        Add(s, o, out);
      } else {
        em.EmitStore(s, o, out);
      }
    }
  }

  // The trailing pool's band: one POOL of its output rows (whole width, every channel) from the last
  // conv's band in the input buffer into an output slot, and the STORE.
  void FinishPool(size_t k) {
    const ConvView& v = planner_.views()[k];
    const core::Op& op = ctx_.graph->ops[g_.pool];
    const PoolGeometry p = PoolOf(*ctx_.graph, op);
    const Rows& r = need()[k];
    const Rows in = InputRows(v, r);
    const uint64_t band =
        layout_.mid[k - 1].base[b_ % 2] + (in.begin - need()[k - 1].begin) * RowBytes(v, true);
    EmitPoolAndStore(ctx_, *v.y, p, PoolLayerArgs(op, *v.x, *v.y, p), {r.begin, 0, 0, r.size(), p.ow, p.c},
                     band);
  }

  // The trailing add of tile (s, o) of the last layer's output (REQUANTed into the output slot
  // `out`), with the skip's tile from the first layer's input on chip (its band slot, or its ring:
  // split where the ring wraps) or loaded from DRAM; the sums go in place (or, wider than the
  // output, into slots of their own), and are stored.
  void Add(const SpatialTile& s, const OcTile& o, uint64_t out) {
    const core::Op& add = ctx_.graph->ops[g_.add];
    const ConvView& first = planner_.views().front();
    const ConvView& last = planner_.views().back();
    const core::TensorInfo& y = planner_.Sum();
    const ConvEmitter& em = *ems_.back();
    const int conv_layer = ctx_.current_layer;
    ctx_.current_layer = g_.add;
    const uint64_t sum = planner_.WideSum() ? layout_.sum.base[layout_.sum.NextFree()] : out;
    const int64_t row = s.ow * o.ocn;  // elements per row of the tile
    if (!g_.skip_on_chip) {
      const uint64_t b = layout_.skip.base[layout_.skip.NextFree()];
      EmitTileDma(ctx_, isa::Opcode::kLoad, em.OutputTile(planner_.Skip(), s, o), b);
      EmitAdd(add, {out, b, sum}, s.oh * row);
    } else if (!g_.line_buffer) {
      const Rows band = InputRows(first, shape_.Computed(b_, 0, false));
      EmitAdd(add, {out, band_in_[b_] + (s.oy0 - band.begin) * RowBytes(first, true), sum}, s.oh * row);
    } else {
      const Ring& ring = layout_.in_ring;
      for (int64_t r = s.oy0; r < s.oy0 + s.oh;) {
        const int64_t n = std::min(s.oy0 + s.oh - r, ring.rows - r % ring.rows);
        const int64_t done = (r - s.oy0) * row;  // elements before row r
        EmitAdd(add,
                {out + done * last.y->bytes_per_element(), ring.At(r), sum + done * y.bytes_per_element()},
                n * row);
        r += n;
      }
    }
    EmitTileDma(ctx_, isa::Opcode::kStore, em.OutputTile(y, s, o), sum);
    ctx_.current_layer = conv_layer;
  }

  struct AddOperands {
    uint64_t conv_out, skip, sum;
  };
  // ADD of `count` elements of the last layer's output and of the skip (in the add's operand
  // order) into the sums.
  void EmitAdd(const core::Op& add, const AddOperands& at, int64_t count) {
    isa::EltwiseArgs& x = ctx_.Emit(isa::Opcode::kAdd).eltwise();
    x = EltwiseLayerArgs(*ctx_.graph, add);
    const bool conv_first = add.inputs[0] == planner_.views().back().y->name;
    x.a_addr = conv_first ? at.conv_out : at.skip;
    x.b_addr = conv_first ? at.skip : at.conv_out;
    x.out_addr = at.sum;
    x.count = x.b_count = count;
  }

  // The layers' mapping entries: the group, and each layer's share of the group's estimate (by
  // its compute cycles).
  void Record() {
    const std::vector<ConvView>& vs = planner_.views();
    int64_t compute = 0;
    for (int64_t c : g_.est_compute) compute += c;
    for (size_t k = 0; k < vs.size(); ++k) {
      isa::LayerMapping& m = ctx_.program.layers[g_.ops[k]];
      if (planner_.IsPoolTail(k)) {
        m.unit = ctx_.arch->post.name;
        m.tiling = Label(k) + "the last layer's bands pooled from the input buffer, whole rows and channels";
        SetGroup(m);
        m.tiles = Emitted(isa::Opcode::kPool, g_.ops[k]);
        m.estimated_cycles = compute > 0 ? g_.est_cycles * g_.est_compute[k] / compute : 0;
        continue;
      }
      WeightStore& store = *planner_.stores()[k];
      m.unit = ctx_.unit->name;
      m.weight_format = store.name();
      m.weight_bytes = store.StoresTiles() ? ems_[k]->StoredWeightBytes()
                                           : vs[k].w->elements() * vs[k].w->bytes_per_element();
      m.tiling = Label(k) + g_.Describe();
      SetGroup(m);
      m.tiles = Emitted(isa::Opcode::kConv, g_.ops[k]);
      m.estimated_cycles = compute > 0 ? g_.est_cycles * g_.est_compute[k] / compute : 0;
    }
    if (g_.add >= 0) RecordAdd(compute);
  }

  // The group's figures in a member's mapping entry.
  void SetGroup(isa::LayerMapping& m) const {
    m.group = g_.ops.front();
    m.group_estimated_cycles = g_.est_cycles;
    m.group_estimated_dram_bytes = g_.est_dram_bytes;
    m.group_unfused_cycles = g_.unfused_cycles;
    m.group_unfused_dram_bytes = g_.unfused_dram_bytes;
    m.group_estimated_energy_pj = g_.est_energy_pj;
    m.group_unfused_energy_pj = g_.unfused_energy_pj;
  }

  // The group's instructions with `op` of layer `layer`.
  int64_t Emitted(isa::Opcode op, int layer) const {
    int64_t n = 0;
    for (size_t i = first_instr_; i < ctx_.program.instructions.size(); ++i) {
      const isa::Instruction& in = ctx_.program.instructions[i];
      n += in.op == op && in.layer == layer ? 1 : 0;
    }
    return n;
  }

  // "fused group <first>..<last> (layer <k + 1> of <n>): "
  std::string Label(size_t k) const {
    const std::vector<core::Op>& ops = ctx_.graph->ops;
    return "fused group " + ops[g_.ops.front()].name + ".." + ops[g_.ops.back()].name + " (layer " +
           std::to_string(k + 1) + " of " + std::to_string(g_.ops.size()) + "): ";
  }

  // The trailing add's mapping entry: the post-processor's ADDs, and its share of the estimate.
  void RecordAdd(int64_t compute) {
    isa::LayerMapping& m = ctx_.program.layers[g_.add];
    m.unit = ctx_.arch->post.name;
    m.tiling = Label(planner_.views().size()) +
               "the last layer's output tiles plus the skip's, in the post-processor's buffer";
    SetGroup(m);
    m.tiles = Emitted(isa::Opcode::kAdd, g_.add);
    m.estimated_cycles = compute > 0 ? g_.est_cycles * g_.est_compute.back() / compute : 0;
  }

  Context& ctx_;
  const FusionGroup& g_;
  GroupPlanner planner_;
  GroupShape shape_;
  GroupLayout layout_;
  std::vector<ConvTiling> ts_;
  std::vector<std::unique_ptr<ConvEmitter>> ems_;
  size_t b_ = 0;
  int64_t loaded_ = 0;             // first-layer input rows [.., loaded_) are in the input ring
  std::vector<uint64_t> band_in_;  // per band: where the first layer's input band was loaded
  size_t first_instr_ = 0;
};

}  // namespace

void EmitGroup(Context& ctx, const FusionGroup& g) { GroupEmitter(ctx, g).Run(); }

}  // namespace npusim::compiler

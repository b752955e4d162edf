// Tiling: enumerate tile sizes (output rows, cols, channels, input channels) and loop orders,
// keep those whose operands fit half of each buffer (the other half holds the next tile: double
// buffering), and estimate cycles with the same timing kernels the SystemC units use, plus DRAM
// traffic at the arch's bandwidth. The estimate only ranks candidates; the simulation measures.
#include "compiler/passes/tiling.h"
#include "compiler/passes/objective.h"
#include "compiler/passes/sparse_weights.h"
#include "ir/int_math.h"

#include <algorithm>
#include <array>
#include <set>
#include <unordered_map>

#include "models/timing/dataflow_timing.h"
#include "models/timing/post_timing.h"
#include "models/timing/unit_timing.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {
using core::AlignUp;
using core::CeilDiv;

// Candidate sizes for a dimension of extent n: powers of two, n / k, and multiples of `quantum`.
std::vector<int64_t> Candidates(int64_t n, int64_t quantum) {
  std::set<int64_t> s;
  for (int64_t p = 1; p < n; p *= 2) s.insert(p);
  for (int64_t k = 1; k <= 8; ++k) s.insert(CeilDiv(n, k));
  for (int64_t q = quantum; q < n && q > 0; q *= 2) s.insert(q);
  s.insert(n);
  return {s.begin(), s.end()};
}

int64_t InRowsUpperBound(int64_t tout, int64_t stride, int64_t dilation, int64_t kernel, int64_t size) {
  return std::min(size, (tout - 1) * stride + (kernel - 1) * dilation + 1);
}

struct Estimate {
  int64_t cycles = 0, dram_bytes = 0, access_bytes = 0;
};

// Extent n cut into pieces of t: (piece, how many) for the full pieces and the remainder.
struct Cut {
  std::array<std::pair<int64_t, int64_t>, 2> piece;
  int n = 0;
  const std::pair<int64_t, int64_t>* begin() const { return piece.data(); }
  const std::pair<int64_t, int64_t>* end() const { return piece.data() + n; }
};
Cut Cuts(int64_t n, int64_t t) {
  Cut c;
  if (n / t > 0) c.piece[c.n++] = {t, n / t};
  if (n % t > 0) c.piece[c.n++] = {n % t, 1};
  return c;
}

// How many tiles a layer has: spatial, output-channel (over all groups), input-channel (per
// output block), and output-channel tiles per group.
struct TileCounts {
  int64_t n_s = 1, n_o = 1, n_i = 1, n_o_per_group = 1;
};

TileCounts CountTiles(const ConvView& v, const ConvTiling& t) {
  TileCounts c;
  c.n_s = CeilDiv(v.oh, t.toh) * CeilDiv(v.ow, t.tow);
  c.n_o_per_group = t.whole_groups ? 1 : CeilDiv(v.ocg(), t.toc);
  c.n_o = t.whole_groups ? CeilDiv(v.groups, t.toc / v.ocg()) : v.groups * c.n_o_per_group;
  c.n_i = t.whole_groups ? 1 : CeilDiv(v.icg(), t.tic);
  return c;
}

// Loads of the input and weight tiles over the whole layer, for the emitter's reuse rule (a tile
// still in one of the two slots is not loaded again).
void CountLoads(const ConvView& v, const ConvTiling& t, const TileCounts& c, int64_t* in_loads,
                int64_t* w_loads) {
  const int64_t n_s = c.n_s, n_o = c.n_o, n_i = c.n_i;
  if (t.oc_outer) {
    *w_loads = n_i == 1 ? n_o : n_o * n_s * n_i;
    *in_loads = n_s * n_i <= 2 ? v.groups * n_i : n_o * n_s * n_i;
  } else {
    *in_loads = n_i == 1 ? n_s * (n_o / c.n_o_per_group) : n_s * n_o * n_i;
    *w_loads = n_o * n_i <= 2 ? n_o * n_i : n_s * n_o * n_i;
  }
}

// What EstimateConv reads that stays the same over one layer's tiling search (the unit, the
// layer's tensors, the DRAM and the mapping the caller set), taken once per search; and the unit's
// cycles per GEMM shape, which the closed form would otherwise recompute for the many candidates
// that share one (a pure function of the shape for fixed unit, bits and mapping).
class SearchTerms {
 public:
  SearchTerms(const Context& ctx, const ConvView& v)
      : ctx(ctx),
        bw(ctx.arch->dram.bytes_per_cycle),
        granule(ctx.arch->dram.granule_bytes()),
        xb(v.x->bytes_per_element()),
        yb(v.y->bytes_per_element()),
        wb(v.w->bytes_per_element()),
        packs(PacksWeights(ctx, *v.w)) {}

  int64_t UnitCycles(const ConvView& v, const models::timing::GemmShape& gemm) const {
    const std::array<int64_t, 4> key{gemm.m, gemm.k, gemm.n, gemm.groups};
    auto it = cycles_.find(key);
    if (it == cycles_.end()) {
      it = cycles_
               .emplace(key, models::timing::MatrixUnitCycles(*ctx.unit, gemm, v.w->bits, v.x->bits,
                                                              ctx.conv_mapping))
               .first;
    }
    return it->second;
  }

  const Context& ctx;
  const int64_t bw, granule, xb, yb, wb;
  const bool packs;

 private:
  mutable std::unordered_map<std::array<int64_t, 4>, int64_t, Context::ShapeHash> cycles_;
};

// b: ConvTileBytes(v, t), which the search has computed to check that t fits.
Estimate EstimateConv(const SearchTerms& st, const ConvView& v, const ConvTiling& t, const TileBytes& b) {
  const Context& ctx = st.ctx;
  const TileCounts counts = CountTiles(v, t);
  const int64_t n_s = counts.n_s, n_o = counts.n_o, n_i = counts.n_i;
  int64_t in_loads = 0, w_loads = 0;
  CountLoads(v, t, counts, &in_loads, &w_loads);
  Estimate e;
  // Compressed weight tiles differ in size (their mean is what moves) and are contiguous in DRAM.
  const SparseWeights::Stats* sparse =
      ctx.sparse != nullptr ? &ctx.sparse->StatsFor(t.toc, t.tic, t.whole_groups) : nullptr;
  const int64_t w_bytes = sparse != nullptr ? sparse->total_bytes / sparse->tiles + 12 * t.toc : b.w;
  e.dram_bytes = in_loads * b.in + w_loads * w_bytes + n_s * n_o * b.out;
  // Strided tiles move as many short runs: the DRAM side pays per run (in whole accesses on the
  // timed DRAM), not per byte.
  const int64_t bw = st.bw, granule = st.granule;
  const int64_t in_run = t.tic == v.c ? b.in : t.tic * st.xb;
  const bool contiguous_w = t.tic == v.icg() || t.whole_groups || sparse != nullptr || st.packs;
  const int64_t w_run = contiguous_w ? w_bytes : t.tic * st.wb;
  const int64_t out_run = t.toc == v.oc ? b.out : t.toc * st.yb;
  e.access_bytes = in_loads * AccessBytes(in_run, b.in / in_run, granule) +
                   w_loads * AccessBytes(w_run, w_bytes / w_run, granule) +
                   n_s * n_o * AccessBytes(out_run, b.out / out_run, granule);
  const int64_t dram = in_loads * TransferCycles(in_run, b.in / in_run, bw, granule) +
                       w_loads * TransferCycles(w_run, w_bytes / w_run, bw, granule) +
                       n_s * n_o * TransferCycles(out_run, b.out / out_run, bw, granule);
  models::timing::GemmShape gemm;
  gemm.m = t.toh * t.tow;
  if (t.whole_groups) {
    gemm.k = v.icg() * v.kh * v.kw;
    gemm.n = v.ocg();
    gemm.groups = t.toc / v.ocg();
  } else {
    gemm.k = t.tic * v.kh * v.kw;
    gemm.n = t.toc;
  }
  // A sparse array's cycles follow each weight tile's real entries (models/timing/sparse_timing.h).
  const int64_t compute = sparse != nullptr ? n_s * (sparse->tiles * ctx.sparse->config().pipeline_cycles +
                                                     t.toh * t.tow * sparse->sum_max_load)
                                            : n_s * n_o * n_i * st.UnitCycles(v, gemm);
  const int64_t post = n_s * n_o *
                       models::timing::PostElementwiseCycles(
                           ctx.arch->post.lanes, ctx.arch->post.pipeline_cycles, t.toh * t.tow * t.toc);
  // Loads, compute and stores overlap (double buffering): the slowest stream dominates, plus
  // one DRAM latency to start.
  e.cycles = std::max({compute, post, dram}) + ctx.arch->dram.latency_cycles;
  return e;
}

bool Fits(const Context& ctx, const TileBytes& b) {
  const Buffers& B = ctx.buffers;
  return b.in <= B.in.bytes && b.w <= B.w.bytes && b.acc <= B.acc.bytes && b.out <= B.out.bytes;
}

// The tiling with the least estimated cycles (among equals, least DRAM traffic: energy) of those
// considered that fit the buffers.
class BestTiling {
 public:
  BestTiling(const Context& ctx, const ConvView& v)
      : ctx_(ctx), v_(v), objective_(ctx.objective), terms_(ctx, v) {}
  bool found() const { return found_; }
  const ConvTiling& best() const { return best_; }

  void Consider(ConvTiling t) {
    if (!SetWeightTileBytes(ctx_, v_, &t)) return;
    const TileBytes bytes = ConvTileBytes(v_, t);
    if (!Fits(ctx_, bytes)) return;
    const Estimate e = EstimateConv(terms_, v_, t, bytes);
    t.estimated_cycles = e.cycles;
    t.estimated_dram_bytes = e.dram_bytes;
    t.estimated_dram_access_bytes = e.access_bytes;
    // Under "cycles" the energy ranks nothing: not estimated (compile time).
    if (objective_.kind() != Objective::Kind::kCycles) {
      t.estimated_energy_pj = ctx_.plan_energy.Of(e.cycles, e.dram_bytes, e.access_bytes) +
                              TiledConvEnergy(ctx_, v_, t) * ctx_.arch->dynamic_energy_scale();
    }
    if (found_ && !objective_.Better(Cost(t), Cost(best_))) return;
    best_ = t;
    found_ = true;
  }

 private:
  static PlanCost Cost(const ConvTiling& t) {
    return {t.estimated_cycles, t.estimated_dram_bytes, t.estimated_energy_pj};
  }

  const Context& ctx_;
  const ConvView& v_;
  const Objective objective_;
  const SearchTerms terms_;
  ConvTiling best_;
  bool found_ = false;
};

// No tile fits: reports what the smallest tile would need, buffer by buffer (two slots each).
[[noreturn]] void ThrowNoTiling(const Context& ctx, const ConvView& v) {
  const ConvTiling smallest{1, 1, 1, 1, false, false};
  const TileBytes need = ConvTileBytes(v, smallest);
  const Buffers& B = ctx.buffers;
  std::string what;
  auto check = [&](const SlotPair& s, int64_t bytes) {
    if (bytes <= s.bytes) return;
    const core::BufferConfig& cfg = ctx.arch->buffers[s.buffer];
    what += (what.empty() ? "" : "; ") + cfg.name + " needs at least " +
            std::to_string(2 * AlignUp(bytes, 64)) + " bytes (two tiles of " + std::to_string(bytes) +
            " for double buffering), it has " + std::to_string(cfg.size_bytes);
  };
  check(B.in, need.in);
  check(B.w, need.w);
  check(B.acc, need.acc);
  check(B.out, need.out);
  throw core::ConfigError(
      ctx.net_file, "/ops/" + std::to_string(v.op_index),
      "layer \"" + v.op->name + "\" cannot be tiled into the buffers of " + ctx.arch->file + ": " + what);
}

}  // namespace

double ConvInstrEnergy(const Context& ctx, const ConvView& v, const models::timing::GemmShape& gemm,
                       int64_t in_bytes, int64_t w_bytes, bool first) {
  const std::array<int64_t, 6> key{gemm.m, gemm.k, gemm.n, gemm.groups, v.w->bits, v.x->bits};
  auto it = ctx.conv_energy.find(key);
  if (it == ctx.conv_energy.end()) {
    const double unit =
        models::timing::MatrixUnitConvEnergyPj(*ctx.unit, ctx.arch->energy, gemm, v.w->bits, v.x->bits);
    it = ctx.conv_energy.emplace(key, unit).first;
  }
  const models::timing::OperandPasses p = models::timing::MatrixUnitPasses(*ctx.unit, gemm);
  const PlanEnergy& e = ctx.plan_energy;
  const double acc = static_cast<double>(gemm.m * gemm.n * gemm.groups * 4);
  return it->second + e.in_read * static_cast<double>(p.in_reads * in_bytes) +
         e.w_read * static_cast<double>(p.w_reads * w_bytes) +
         e.acc_write * acc * static_cast<double>(p.acc_writes) +
         e.acc_read * acc * static_cast<double>(p.acc_writes - (first ? 1 : 0));
}

namespace {

// The CONVs of one h x w spatial tile of tiling t over every output- and input-channel tile, for
// one group (or all groups, whole_groups).
double SpatialTileEnergy(const Context& ctx, const ConvView& v, const ConvTiling& t, int64_t h, int64_t w) {
  const int64_t c_extent = t.whole_groups ? v.oc : v.ocg(), k_extent = t.whole_groups ? v.c : v.icg();
  const int64_t k_tile = t.whole_groups ? k_extent : t.tic, n_ic = CeilDiv(k_extent, k_tile);
  const int64_t in_pixels =
      InRowsUpperBound(h, v.sh, v.dh, v.kh, v.h) * InRowsUpperBound(w, v.sw, v.dw, v.kw, v.w_);
  double pj = 0;
  for (const auto& [oc, noc] : Cuts(c_extent, t.toc)) {
    for (const auto& [ic, nic] : Cuts(k_extent, k_tile)) {
      models::timing::GemmShape gemm;
      gemm.m = h * w;
      gemm.k = (t.whole_groups ? v.icg() : ic) * v.kh * v.kw;
      gemm.n = t.whole_groups ? v.ocg() : oc;
      gemm.groups = t.whole_groups ? oc / v.ocg() : 1;
      const int64_t w_bytes =
          t.w_tile_bytes >= 0 ? t.w_tile_bytes : gemm.n * gemm.k * gemm.groups * v.w->bytes_per_element();
      const int64_t in_bytes = in_pixels * ic * v.x->bytes_per_element();
      // One input-channel tile in n_ic starts the accumulators.
      const double first = ConvInstrEnergy(ctx, v, gemm, in_bytes, w_bytes, true);
      const double later = ConvInstrEnergy(ctx, v, gemm, in_bytes, w_bytes, false);
      pj += static_cast<double>(noc * nic) * (first + later * static_cast<double>(n_ic - 1)) /
            static_cast<double>(n_ic);
    }
  }
  return pj;
}

}  // namespace

double TiledConvEnergy(const Context& ctx, const ConvView& v, const ConvTiling& t) {
  const int64_t per_group = t.whole_groups ? 1 : v.groups;  // tiles repeat per group
  double pj = 0;
  for (const auto& [h, nh] : Cuts(v.oh, t.toh)) {
    for (const auto& [w, nw] : Cuts(v.ow, t.tow)) {
      pj += static_cast<double>(nh * nw * per_group) * SpatialTileEnergy(ctx, v, t, h, w);
    }
  }
  return pj;
}

bool SetWeightTileBytes(const Context& ctx, const ConvView& v, ConvTiling* t) {
  if (ctx.sparse != nullptr) {
    // Tiles cut the input channels where the unit's SIMD groups do, and no row of a tile may
    // need more entries than its header counts.
    if (!t->whole_groups && !ctx.sparse->AllowsIcTile(t->tic)) return false;
    const SparseWeights::Stats& s = ctx.sparse->StatsFor(t->toc, t->tic, t->whole_groups);
    if (!s.fits) return false;
    t->w_tile_bytes = s.max_tile_bytes;
  } else if (PacksWeights(ctx, *v.w)) {
    // Packed tiles are stored one after another, each a contiguous run (core::PackValues).
    const int64_t ic = t->whole_groups ? v.icg() : t->tic;
    t->w_tile_bytes = core::PackedBytes(t->toc * v.kh * v.kw * ic, v.w->bits);
  }
  return true;
}

void InputSpan(int64_t o0, int64_t n, int64_t stride, int64_t dilation, int64_t kernel, int64_t pad,
               int64_t size, int64_t* r0, int64_t* r1) {
  *r0 = std::max<int64_t>(0, o0 * stride - pad);
  *r1 = std::min<int64_t>(size, (o0 + n - 1) * stride - pad + (kernel - 1) * dilation + 1);
}

int64_t TransferCycles(int64_t row_bytes, int64_t rows, int64_t bytes_per_cycle, int64_t granule) {
  return rows * CeilDiv(AlignUp(row_bytes, granule), bytes_per_cycle);
}

int64_t ParamsOffset(const ConvView& v, const ConvTiling& t) {
  if (t.w_tile_bytes >= 0) return AlignUp(t.w_tile_bytes, 16);
  const int64_t icw = t.whole_groups ? v.icg() : t.tic;
  return AlignUp(t.toc * v.kh * v.kw * icw * v.w->bytes_per_element(), 16);
}

TileBytes ConvTileBytes(const ConvView& v, const ConvTiling& t) {
  TileBytes b;
  const int64_t ih = InRowsUpperBound(t.toh, v.sh, v.dh, v.kh, v.h);
  const int64_t iw = InRowsUpperBound(t.tow, v.sw, v.dw, v.kw, v.w_);
  b.in = ih * iw * t.tic * v.x->bytes_per_element();
  b.w = ParamsOffset(v, t) + 12 * t.toc;
  b.acc = t.toh * t.tow * t.toc * 4;
  b.out = t.toh * t.tow * t.toc * v.y->bytes_per_element();
  return b;
}

std::string ConvTiling::Describe(const ConvView& v) const {
  std::string s = "tile oh=" + std::to_string(toh) + " ow=" + std::to_string(tow) +
                  " oc=" + std::to_string(toc) + " ic=" + std::to_string(tic);
  if (whole_groups)
    s += " (" + std::to_string(toc / v.ocg()) + " of " + std::to_string(v.groups) + " groups)";
  else if (v.groups > 1) s += " (within each of " + std::to_string(v.groups) + " groups)";
  s += oc_outer ? ", oc tiles outer" : ", spatial tiles outer";
  s += ", est " + std::to_string(estimated_cycles) + " cycles, " + std::to_string(estimated_dram_bytes) +
       " DRAM bytes";
  return s;
}

ConvTiling ChooseConvTiling(const Context& ctx, const ConvView& v) {
  BestTiling search(ctx, v);
  const std::vector<int64_t> ohs = Candidates(v.oh, 1), ows = Candidates(v.ow, 1);
  const std::vector<int64_t> ocs = Candidates(v.ocg(), ctx.unit->cols),
                             ics = Candidates(v.icg(), ctx.unit->rows);
  const std::vector<int64_t> gs = v.groups > 1 ? Candidates(v.groups, 1) : std::vector<int64_t>{};
  for (int64_t toh : ohs) {
    for (int64_t tow : ows) {
      for (bool oc_outer : {false, true}) {
        for (int64_t g : gs) search.Consider({toh, tow, g * v.ocg(), g * v.icg(), true, oc_outer});
        for (int64_t toc : ocs) {
          for (int64_t tic : ics) search.Consider({toh, tow, toc, tic, false, oc_outer});
        }
      }
    }
  }
  if (!search.found()) ThrowNoTiling(ctx, v);
  return search.best();
}

}  // namespace npusim::compiler

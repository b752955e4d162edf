// Mapping choice for a reconfigurable array (SARA-style): per layer, every partition of the
// sub-array grid into independent arrays, every split of the GEMM over them and every allowed
// dataflow is scored on the layer's CONV instructions with the unit's timing kernel
// (models/timing/partition_timing.h) and an energy estimate (the unit's action counts, from the
// same CountPartitionActions the unit uses, times the arch's energy table), and the best by the
// unit's objective wins: "cycles" (ties: less energy, then fewer arrays), "energy" (ties: fewer
// cycles) or "edp" (energy x cycles). A partition other than the one the previous layer left the
// array in pays the arch's reconfig_cycles (and one "reconfigure" action). The arch may force the
// partition, the split and/or the dataflow for every layer ("force") or per layer name ("layers").
#include <algorithm>
#include <cmath>

#include "compiler/passes/passes.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {

namespace timing = models::timing;

struct UnitEnergies {
  double mac = 0, idle = 0, hop = 0, reduce = 0, reconfigure = 0, leak = 0;
  double in_read = 0, w_read = 0, acc_read = 0, acc_write = 0;  // per byte
};

// The unit's action energies from the arch's table; its operand buffers' per-byte energies are the
// objective's (PlanEnergy: word energy / word bytes), one computation for both.
UnitEnergies EnergiesOf(const core::ArchConfig& arch, const core::UnitConfig& u, const PlanEnergy& plan) {
  UnitEnergies e;
  auto Energy = [&arch](const std::string& component, const std::string& action) {
    return arch.energy.EnergyOr0(component, action);
  };
  e.mac = Energy(u.name, timing::MacActionName(u));
  e.idle = Energy(u.name, "idle_pe_cycle");
  e.hop = Energy(u.name, "bypass_hop");
  e.reduce = Energy(u.name, "reduce_add");
  e.reconfigure = Energy(u.name, "reconfigure");
  e.leak = Energy(u.name, "leak_per_cycle");
  e.in_read = plan.in_read;
  e.w_read = plan.w_read;
  e.acc_read = plan.acc_read;
  e.acc_write = plan.acc_write;
  return e;
}

// Field by field, later wins: the arch's "force", the net file's op "mapping", the arch's
// "layers" entry for the layer.
core::MappingForce ForceFor(const core::ReconfigConfig& r, const core::Op& op) {
  core::MappingForce f = core::Overlay(r.force, op.mapping);
  auto it = r.layer_force.find(op.name);
  return it == r.layer_force.end() ? f : core::Overlay(f, it->second);
}

std::string ForcedBy(const core::ReconfigConfig& r, const core::Op& op) {
  if (r.layer_force.count(op.name)) return "forced for this layer by arch";
  if (op.mapping.any()) return "forced for this layer by net";
  return "forced by arch";
}

bool Matches(const core::MappingForce& f, const timing::Partition& p) {
  if (f.pr > 0 && (p.pr != f.pr || p.pc != f.pc)) return false;
  if (f.pm > 0 && (p.pm != f.pm || p.pn != f.pn || p.pk != f.pk)) return false;
  return true;
}

bool SamePartition(const timing::Partition& a, const timing::Partition& b) {
  return a.pr == b.pr && a.pc == b.pc && a.pm == b.pm && a.pn == b.pn && a.pk == b.pk;
}

// Scores a mapping on the layer's tiles (cycles and estimated energy) and ranks two by the unit's
// objective.
class MappingScorer {
 public:
  MappingScorer(const Context& ctx, const std::vector<ConvTileGroup>& tiles)
      : r_(ctx.unit->params<core::ReconfigConfig>()),
        geo_(timing::GeometryOf(*ctx.unit)),
        e_(EnergiesOf(*ctx.arch, *ctx.unit, ctx.plan_energy)),
        tiles_(tiles),
        last_partition_(ctx.last_partition),
        objective_(ctx.objective) {}

  // charge_reconfig = false for the monolithic reference, an array that never reconfigures.
  MappingCandidate Score(const timing::ArrayMapping& m, bool charge_reconfig = true) const {
    MappingCandidate c;
    c.mapping = m;
    for (const ConvTileGroup& t : tiles_) {
      const timing::PartitionActions a =
          timing::CountPartitionActions(geo_, m.partition, *m.dataflow, t.gemm);
      c.cycles += a.cycles * t.count;
      c.energy_pj += TileEnergy(t, a);
    }
    if (charge_reconfig && !SamePartition(m.partition, last_partition_)) {
      c.cycles += r_.reconfig_cycles;
      c.energy_pj += e_.reconfigure + e_.leak * r_.reconfig_cycles;
    }
    return c;
  }

  // a before b by the objective: "energy" (ties: fewer cycles), "edp", else "cycles" (ties: less
  // energy); then fewer arrays.
  bool Better(const MappingCandidate& a, const MappingCandidate& b) const {
    const double ea = a.energy_pj, eb = b.energy_pj;
    if (objective_ == "energy") {
      if (ea != eb) return ea < eb;
      if (a.cycles != b.cycles) return a.cycles < b.cycles;
    } else if (objective_ == "edp") {
      const double pa = ea * static_cast<double>(a.cycles), pb = eb * static_cast<double>(b.cycles);
      if (pa != pb) return pa < pb;
    } else {
      if (a.cycles != b.cycles) return a.cycles < b.cycles;
      if (ea != eb) return ea < eb;
    }
    return a.mapping.partition.pr * a.mapping.partition.pc < b.mapping.partition.pr * b.mapping.partition.pc;
  }

  // Keeps c in d as the best or the runner-up where it ranks so.
  void Rank(const MappingCandidate& c, MappingDecision* d, bool* have_best) const {
    if (!*have_best || Better(c, d->best)) {
      if (*have_best) {
        d->runner_up = d->best;
        d->have_runner_up = true;
      }
      d->best = c;
      *have_best = true;
    } else if (!d->have_runner_up || Better(c, d->runner_up)) {
      d->runner_up = c;
      d->have_runner_up = true;
    }
  }

 private:
  // The estimated energy of t.count instructions of tile group t with actions a.
  double TileEnergy(const ConvTileGroup& t, const timing::PartitionActions& a) const {
    const UnitEnergies& e = e_;
    const double n = static_cast<double>(t.count);
    return n * (e.mac * a.macs + e.idle * a.idle_pe_cycles + e.hop * a.bypass_hops +
                e.reduce * a.reduce_adds + e.leak * a.cycles + e.in_read * t.in_bytes * a.input_reads +
                e.w_read * t.w_bytes * a.weight_reads + e.acc_write * t.acc_bytes * a.acc_writes +
                e.acc_read * t.acc_bytes * a.acc_writes) -
           e.acc_read * t.acc_bytes * t.first;
  }

  const core::ReconfigConfig& r_;
  const timing::ArrayGeometry geo_;
  const UnitEnergies e_;
  const std::vector<ConvTileGroup>& tiles_;
  const timing::Partition last_partition_;
  const std::string objective_;  // the compile's (by default the unit's)
};

// The whole layer's GEMM decides which partitions are worth trying (as SARA's recommender sees
// the layer's M, N, K); tiles are scored with whatever they are.
timing::GemmShape LayerGemm(const ConvView& v) {
  timing::GemmShape layer;
  layer.m = v.oh * v.ow;
  layer.k = v.icg() * v.kh * v.kw;
  layer.n = v.ocg();
  layer.groups = v.groups;
  return layer;
}

}  // namespace

std::string MappingCandidate::Describe(const core::UnitConfig& unit) const {
  const timing::Partition& p = mapping.partition;
  return std::to_string(p.pr) + "x" + std::to_string(p.pc) + " arrays of " +
         std::to_string(unit.rows / p.pr) + "x" + std::to_string(unit.cols / p.pc) + ", split m" +
         std::to_string(p.pm) + " n" + std::to_string(p.pn) + " k" + std::to_string(p.pk) + ", " +
         (mapping.dataflow != nullptr ? mapping.dataflow->name() : unit.dataflow.c_str());
}

MappingDecision ChooseReconfigMapping(const Context& ctx, const ConvView& v,
                                      const std::vector<ConvTileGroup>& tiles) {
  const core::UnitConfig& u = *ctx.unit;
  const core::ReconfigConfig& r = u.params<core::ReconfigConfig>();
  const core::MappingForce force = ForceFor(r, *v.op);
  const bool wrap = u.overflow == core::Overflow::kWrap;
  const std::string where = "/ops/" + std::to_string(v.op_index);
  if (force.pk > 1 && !wrap) {
    throw core::ConfigError(ctx.net_file, where,
                            "layer \"" + v.op->name + "\": a K split is " + ForcedBy(r, *v.op) + " (arch " +
                                ctx.arch->file + ") on unit \"" + u.name +
                                "\", whose saturating accumulators would give different results");
  }
  const timing::ArrayGeometry geo = timing::GeometryOf(u);
  const timing::GemmShape layer = LayerGemm(v);
  const std::vector<timing::Partition> partitions =
      force.any() ? timing::GridPartitions(geo) : timing::EnumeratePartitions(geo, layer, r.k_split && wrap);
  const MappingScorer scorer(ctx, tiles);
  MappingDecision d;
  bool have_best = false, have_mono = false;
  for (const std::string& name : r.dataflows) {
    const timing::DataflowTiming* df = timing::FindDataflow(name);
    // Monolithic reference: every allowed dataflow, whatever is forced, fastest wins.
    const MappingCandidate mono = scorer.Score({timing::Partition{}, df}, false);
    if (!have_mono || mono.cycles < d.monolithic.cycles) d.monolithic = mono;
    have_mono = true;
    if (!force.dataflow.empty() && force.dataflow != name) continue;
    for (const timing::Partition& p : partitions) {
      if (!Matches(force, p) || (layer.groups > 1 && p.pk > 1)) continue;
      ++d.candidates;
      scorer.Rank(scorer.Score({p, df}), &d, &have_best);
    }
  }
  if (!have_best) {
    throw core::ConfigError(ctx.net_file, where,
                            "layer \"" + v.op->name + "\": no mapping of unit \"" + u.name + "\" in " +
                                ctx.arch->file +
                                " matches the forced partition, "
                                "split and dataflow (a grouped layer cannot split K; pm * pn * pk must "
                                "equal pr * pc)");
  }
  d.reason =
      force.any() ? ForcedBy(r, *v.op) + ", best " + ctx.objective + " of the rest" : "best " + ctx.objective;
  return d;
}

}  // namespace npusim::compiler

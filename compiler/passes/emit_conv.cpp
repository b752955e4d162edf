// EmitConv: the instruction stream of one conv/FC layer. Loop nest (oc tiles outer or spatial
// tiles outer, as the tiling chose), input-channel tiles innermost so partial sums stay in the
// accumulator buffer; a tile already in a buffer slot is not loaded again.
#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>

#include "compiler/passes/conv_emitter.h"
#include "compiler/passes/passes.h"
#include "compiler/passes/tiling.h"
#include "compiler/passes/weight_store.h"
#include "ir/int_math.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {

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

// The CONV, REQUANT and STORE instructions ConvEmitter emits for layer `v` tiled as `t` (its
// loads come on top), counted without making the tiles: a lower bound of the layer's instructions.
double ComputeInstructions(const ConvView& v, const ConvTiling& t) {
  const double spatial = InstructionTiles(v.oh, t.toh) * InstructionTiles(v.ow, t.tow);
  if (t.whole_groups) return spatial * InstructionTiles(v.groups, t.toc / v.ocg()) * 3;
  return spatial * static_cast<double>(v.groups) * InstructionTiles(v.ocg(), t.toc) *
         (InstructionTiles(v.icg(), t.tic) + 2);
}

}  // namespace

std::shared_ptr<PlannedConv> PlanConv(Context& ctx, int op_index) {
  auto p = std::make_shared<PlannedConv>();
  p->v = MakeConvView(*ctx.graph, op_index);
  MappingDecision guess;
  if (core::UnitKindOf(*ctx.unit).maps_layers()) {
    guess = ChooseReconfigMapping(ctx, p->v, LayerAsOneTile(p->v));
    ctx.conv_mapping = &guess.best.mapping;
  }
  p->store = ChooseWeightStore(ctx, p->v, &p->t);
  ctx.conv_mapping = nullptr;
  return p;
}

void EmitConv(Context& ctx, int op_index) {
  std::shared_ptr<PlannedConv> planned;
  if (auto it = ctx.planned.find(op_index); it != ctx.planned.end()) {
    planned = it->second;  // tiled already, by the fusion planner's comparison
    ctx.planned.erase(it);
  } else {
    planned = PlanConv(ctx, op_index);
  }
  const ConvView& v = planned->v;
  const ConvTiling& t = planned->t;
  WeightStore* store = planned->store.get();
  const bool mapped = core::UnitKindOf(*ctx.unit).maps_layers();
  ctx.CheckInstructionBudget(ComputeInstructions(v, t), op_index);  // before the tiles are made
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

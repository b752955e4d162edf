#include "compiler/compiler.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include "compiler/passes/fusion.h"
#include "compiler/passes/passes.h"
#include "config/unit_kind.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::compiler {

namespace {

// An instruction count as digits (as "1.2e+15" beyond what an int64 holds exactly).
std::string CountText(double n) {
  if (n < 1e15) return std::to_string(static_cast<int64_t>(n));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", n);
  return buf;
}

}  // namespace

void Context::CheckInstructionBudget(double more, int op_index) const {
  const double total = static_cast<double>(program.instructions.size()) + more;
  if (total <= static_cast<double>(max_instructions)) return;
  const bool known = op_index >= 0 && op_index < static_cast<int>(graph->ops.size());
  const std::string layer = known ? "layer \"" + graph->ops[op_index].name + "\"" : "the program";
  throw core::ConfigError(net_file, known ? core::Pointer("/ops", static_cast<size_t>(op_index)) : "/ops",
                          layer + " takes the program to at least " + CountText(total) +
                              " instructions; the limit is " + std::to_string(max_instructions) +
                              ", raise it with --max-instructions");
}

const core::WeightStorage& Context::storage() const {
  if (storage_of_ != unit) {
    storage_ = core::UnitKindOf(*unit).Storage(*unit);
    storage_of_ = unit;
  }
  return storage_;
}

int64_t Context::UnitCycles(const models::timing::GemmShape& gemm, int w_bits, int x_bits) const {
  const std::array<int64_t, 6> key{gemm.m, gemm.k, gemm.n, gemm.groups, w_bits, x_bits};
  auto it = unit_cycles.find(key);
  if (it == unit_cycles.end()) {
    it = unit_cycles.emplace(key, models::timing::MatrixUnitCycles(*unit, gemm, w_bits, x_bits, nullptr))
             .first;
  }
  return it->second;
}

isa::Instruction& Context::Emit(isa::Opcode op) {
  if (static_cast<int64_t>(program.instructions.size()) >= max_instructions) {
    CheckInstructionBudget(1, current_layer);
  }
  isa::Instruction& in = program.instructions.emplace_back();
  in.id = static_cast<int64_t>(program.instructions.size()) - 1;
  in.op = op;
  in.layer = current_layer;
  return in;
}

isa::ElemType TypeOf(const core::TensorInfo& t) { return isa::ElemType{t.bits, t.is_signed}; }

void EmitTileDma(Context& ctx, isa::Opcode op, const TensorTile& t, uint64_t buffer) {
  isa::DmaArgs& d = ctx.Emit(op).dma();
  const uint64_t tensor = t.tensor + ((t.y * t.w + t.x) * t.c + t.c0) * t.eb;
  const std::array<int64_t, 2> tensor_stride{t.c * t.eb, t.w * t.c * t.eb};
  const std::array<int64_t, 2> buffer_stride{t.n * t.eb, t.cols * t.n * t.eb};
  const bool load = op == isa::Opcode::kLoad;
  d.src = load ? tensor : buffer;
  d.dst = load ? buffer : tensor;
  d.row_bytes = t.n * t.eb;
  d.rows = t.cols;
  d.planes = t.rows;
  d.src_stride = load ? tensor_stride : buffer_stride;
  d.dst_stride = load ? buffer_stride : tensor_stride;
}

int BufferIndex(const core::ArchConfig& arch, const std::string& name) {
  for (size_t i = 0; i < arch.buffers.size(); ++i) {
    if (arch.buffers[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string ObjectiveProblem(const std::string& name) {
  const std::vector<std::string>& names = core::ObjectiveNames();
  if (std::find(names.begin(), names.end(), name) != names.end()) return "";
  return "expected " + names[0] + ", " + names[1] + " or " + names[2] + ", got \"" + name + "\"";
}

std::string FusionProblem(const std::string& name) {
  return name == "none" || name == "auto" ? "" : "expected none or auto, got \"" + name + "\"";
}

CompileOptions::Fusion FusionNamed(const std::string& name) {
  return name == "none" ? CompileOptions::Fusion::kNone : CompileOptions::Fusion::kAuto;
}

isa::Program Compile(const core::Graph& graph, const core::ArchConfig& arch, const std::string& net_file,
                     const CompileOptions& options) {
  Context ctx;
  ctx.fusion = options.fusion != CompileOptions::Fusion::kNone;
  ctx.plan_memo = options.plan_memo;
  ctx.max_instructions = options.max_instructions;
  ctx.graph = &graph;
  ctx.arch = &arch;
  ctx.net_file = net_file;
  Legalize(ctx);
  AllocateDram(ctx);
  SetUpBuffers(ctx);
  ctx.objective =
      !options.objective.empty() ? options.objective : core::UnitKindOf(*ctx.unit).Objective(*ctx.unit);
  if (ctx.objective.empty()) ctx.objective = "cycles";
  ctx.plan_energy = PlanEnergyOf(arch, *ctx.unit);
  ctx.program.fusion = ctx.fusion ? "auto" : "none";
  ctx.program.objective = ctx.objective;
  for (const core::Op& op : graph.ops) {
    isa::LayerMapping m;
    m.name = op.name;
    m.op = core::OpTypeName(op.type);
    m.unit = "-";
    m.tiling = "alias in DRAM, no instruction";
    ctx.program.layers.push_back(m);
  }
  std::map<int, FusionGroup> groups;
  for (FusionGroup& g : PlanFusion(ctx)) groups.emplace(g.ops.front(), std::move(g));
  // The planner's tilings of layers that ended up in a group are not needed again.
  for (const auto& [first, g] : groups) {
    for (int op : g.ops) ctx.planned.erase(op);
  }
  for (int i = 0; i < static_cast<int>(graph.ops.size()); ++i) {
    if (auto it = groups.find(i); it != groups.end()) {
      EmitGroup(ctx, it->second);
      i = it->second.ops.back();
      continue;
    }
    ctx.current_layer = i;
    switch (graph.ops[i].type) {
      case core::OpType::kConv2d:
      case core::OpType::kFullyConnected: EmitConv(ctx, i); break;
      case core::OpType::kMaxPool:
      case core::OpType::kAvgPool:
      case core::OpType::kGlobalAvgPool: EmitPool(ctx, i); break;
      case core::OpType::kAdd:
      case core::OpType::kMul:
      case core::OpType::kLookup: EmitEltwise(ctx, i); break;
      case core::OpType::kReshape: break;  // an alias in DRAM: no instruction
      case core::OpType::kConcat: EmitConcat(ctx, i); break;
    }
  }
  Schedule(ctx.program);
  return std::move(ctx.program);
}

}  // namespace npusim::compiler

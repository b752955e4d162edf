// sim/simulate.h: compile, elaborate, run, energy and per-layer figures, in one place.
#include "sim/simulate.h"

#include <algorithm>

#include "compiler/compiler.h"
#include "models/timing/unit_timing.h"
#include "support/stats.h"

namespace npusim::sim {
namespace {

std::string ShapeString(const std::vector<int64_t>& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

// Layers overlap in time; each is charged the cycles by which it pushes the finish line. The layers
// of a fusion group run interleaved, band by band: the group is charged as one, and its cycles are
// split among its layers by their compute-busy cycles (the last takes the rounding).
std::vector<uint64_t> LayerCycles(const models::RunResult& rr, const std::vector<isa::LayerMapping>& layers) {
  const size_t n = layers.size();
  std::vector<uint64_t> cycles(n, 0);
  uint64_t done = 0;
  for (size_t l = 0; l < n;) {
    size_t e = l + 1;
    while (layers[l].group >= 0 && e < n && layers[e].group == layers[l].group) ++e;
    uint64_t end = 0, busy = 0;
    for (size_t i = l; i < e; ++i) {
      end = std::max(end, rr.layer_end[i]);
      busy += rr.layer_busy[i][static_cast<int>(isa::Queue::kCompute)];
    }
    const uint64_t push = end > done ? end - done : 0;
    done = std::max(done, end);
    uint64_t given = 0;
    for (size_t i = l; i + 1 < e; ++i) {
      const uint64_t b = rr.layer_busy[i][static_cast<int>(isa::Queue::kCompute)];
      cycles[i] = busy > 0 ? push * b / busy : push / (e - l);
      given += cycles[i];
    }
    cycles[e - 1] = push - given;
    l = e;
  }
  return cycles;
}

// The compiler's choices for the layer: unit, tiling, reconfigurable mapping, weight format.
void SetMapping(const isa::LayerMapping& pm, LayerStats& L) {
  L.unit = pm.unit;
  L.tiling = pm.tiling;
  L.fusion_note = pm.fusion_note;
  if (!pm.mapping.empty()) {
    L.mapping = pm.mapping;
    L.runner_up = pm.runner_up;
    L.monolithic = pm.monolithic;
    L.mapping_cycles = pm.mapping_cycles;
    L.monolithic_cycles = pm.monolithic_cycles;
    L.mapping_efficiency = pm.mapping_efficiency;
    if (pm.mapping_cycles > 0) {
      L.speedup_vs_monolithic = static_cast<double>(pm.monolithic_cycles) / pm.mapping_cycles;
    }
  }
  L.weight_format = pm.weight_format;
  L.weight_bytes = pm.weight_bytes;
}

// Against the unit's peak at this layer's operand widths (a bit-serial unit's peak grows as its
// serial operand narrows); layers without MACs keep 0.
double Utilization(const core::Graph& g, const core::Op& op, const core::UnitConfig& unit, int64_t macs,
                   uint64_t span) {
  if (macs <= 0 || span == 0) return 0;
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const int wbits = op.inputs.size() > 1 ? g.tensor(op.inputs[1]).bits : x.bits;
  return static_cast<double>(macs) /
         (static_cast<double>(span) * models::timing::MatrixUnitPeakMacsPerCycle(unit, wbits, x.bits));
}

// Which unit kept the layer busiest: "compute", "memory" (load or store) or "post"; "-" without work.
std::string Bound(const std::array<uint64_t, isa::kNumQueues>& busy, uint64_t span) {
  if (span == 0) return "-";
  const uint64_t compute = busy[static_cast<int>(isa::Queue::kCompute)];
  const uint64_t post = busy[static_cast<int>(isa::Queue::kPost)];
  const uint64_t mem =
      std::max(busy[static_cast<int>(isa::Queue::kLoad)], busy[static_cast<int>(isa::Queue::kStore)]);
  if (compute >= std::max(mem, post)) return "compute";
  return mem >= post ? "memory" : "post";
}

// Layer l's figures: the op, the compiler's mapping, its timing and its share of energy and DRAM.
LayerStats Layer(const Compiled& c, const core::StatRegistry& stats, const Result& r, size_t l,
                 uint64_t cycles) {
  const core::Graph& g = c.graph;
  const core::Op& op = g.ops[l];
  LayerStats L;
  L.name = op.name;
  L.op = core::OpTypeName(op.type);
  SetMapping(c.program.layers[l], L);
  if (c.program.layers[l].group >= 0) L.fusion_group = g.ops[c.program.layers[l].group].name;
  L.shape = ShapeString(g.tensor(op.outputs[0]).shape);
  L.macs = core::OpMacs(g, op);
  L.cycles = cycles;
  L.start_cycle = r.run.layer_start[l];
  L.end_cycle = r.run.layer_end[l];
  const uint64_t span = L.end_cycle - L.start_cycle;
  L.utilization = Utilization(g, op, *c.arch.MatrixUnit(), L.macs, span);
  const auto& busy = r.run.layer_busy[l];
  L.compute_busy_cycles = busy[static_cast<int>(isa::Queue::kCompute)];
  L.load_busy_cycles = busy[static_cast<int>(isa::Queue::kLoad)];
  L.bound = Bound(busy, span);
  L.energy_pj = r.energy.by_layer_pj[l];
  L.dram_read_bytes = stats.Find("dram", "read_byte")->layer(static_cast<int>(l));
  L.dram_write_bytes = stats.Find("dram", "write_byte")->layer(static_cast<int>(l));
  if (const core::Counter* hit = stats.Find("dram", "row_hit")) {
    L.dram_row_hits = hit->layer(static_cast<int>(l));
    L.dram_row_misses = stats.Find("dram", "row_miss")->layer(static_cast<int>(l));
    L.dram_row_conflicts = stats.Find("dram", "row_conflict")->layer(static_cast<int>(l));
  }
  return L;
}

// Energy, per-layer figures and totals of a finished run.
void Account(const Compiled& c, const core::StatRegistry& stats, Result& r) {
  const core::ArchConfig& arch = c.arch;
  const size_t n = c.graph.ops.size();
  r.seconds = static_cast<double>(r.run.cycles) / (arch.clock_mhz * 1e6);
  r.fusion = c.program.fusion;
  r.objective = c.program.objective;
  const std::vector<uint64_t> cycles = LayerCycles(r.run, c.program.layers);
  r.energy = core::ComputeEnergy(stats, arch.energy, static_cast<int>(n), cycles, arch.dynamic_energy_scale(),
                                 arch.leakage_energy_scale());
  for (size_t l = 0; l < n; ++l) {
    r.layers.push_back(Layer(c, stats, r, l, cycles[l]));
    r.weight_bytes += r.layers.back().weight_bytes;
    r.macs += r.layers.back().macs;
  }
  for (const core::Counter& k : stats.counters()) r.counters[k.component + "." + k.action] = k.total;
}

}  // namespace

void ConfigureSystemCReports() {
  using sc_core::sc_report_handler;
  // A broken invariant inside the simulation becomes an exception (exit 1), not an abort.
  sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_DISPLAY | sc_core::SC_THROW);
  sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
}

Compiled Compile(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file,
                 const compiler::CompileOptions& options) {
  return Compiled{arch, g, net_file, compiler::Compile(g, arch, net_file, options)};
}

TensorMap GraphInputs(const core::Graph& g) {
  TensorMap inputs;
  for (const std::string& name : g.inputs) {
    const core::TensorInfo& t = g.tensor(name);
    inputs[name] = t.data ? *t.data : std::vector<int32_t>(static_cast<size_t>(t.elements()), 0);
  }
  return inputs;
}

Result Run(const Compiled& c, const TensorMap& inputs, const Options& options) {
  ConfigureSystemCReports();
  core::StatRegistry stats;
  models::Npu npu("npu", c.arch, c.program, stats, options.mode);
  if (options.figures) core::CheckEnergyCoverage(stats, c.arch.energy);
  npu.WriteInputs(inputs);
  if (options.before_simulate) options.before_simulate();
  Result r;
  r.mode = options.mode;
  r.run = npu.Run(options.progress, options.progress_cycles);
  if (options.after_simulate) options.after_simulate();
  if (options.figures) Account(c, stats, r);
  return r;
}

Result Simulate(const core::ArchConfig& arch, const core::Graph& g, const TensorMap& inputs,
                const Options& options) {
  return Run(Compile(arch, g, options.net_file, options.compile), inputs, options);
}

ChildOutcome SimulateInChild(const core::ArchConfig& arch, core::Graph& g, const Options& options,
                             const Answer& answer, const Prepare& prepare, const Inputs& inputs) {
  return RunInChild([&] {
    if (prepare) prepare(g);
    return answer(Simulate(arch, g, inputs ? inputs(g) : GraphInputs(g), options));
  });
}

}  // namespace npusim::sim

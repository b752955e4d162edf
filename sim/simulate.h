// The one simulation pipeline: compile -> elaborate the Npu -> write the inputs -> run -> energy
// -> per-layer figures. Every command and the test harness go through it (docs/architecture.md,
// "One npusim run, step by step"); app/ only formats what it returns.
//
//   const sim::Compiled c = sim::Compile(arch, g, net_file);        // once
//   const sim::Result r = sim::Run(c, sim::GraphInputs(g), opts);   // at most once per process
//   r.run.cycles, r.energy.total_pj, r.layers[i].utilization, r.run.outputs ...
//
// SystemC elaborates once per process (docs/design-decisions.md): Run (and Simulate) may be called
// at most once in a process. A command that simulates several times forks a child per simulation
// with SimulateInChild, which inherits the loaded arch and network copy-on-write.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "config/energy.h"
#include "ir/graph.h"
#include "isa/instruction.h"
#include "models/exec_mode.h"
#include "models/npu.h"
#include "sim/child.h"

namespace npusim::sim {

using TensorMap = std::map<std::string, std::vector<int32_t>>;

// A network compiled for an arch, ready to run any number of times (each in its own process).
// Holds references: `arch` and `graph` must outlive it.
struct Compiled {
  const core::ArchConfig& arch;
  const core::Graph& graph;
  std::string net_file;  // the network file compile errors named
  isa::Program program;
};

// compiler::Compile of `g` for `arch` (errors name `net_file`).
Compiled Compile(const core::ArchConfig& arch, const core::Graph& g, const std::string& net_file,
                 const compiler::CompileOptions& options = {});

// The network's inputs from the data its file gives, zeros for an input without data.
TensorMap GraphInputs(const core::Graph& g);

struct Options {
  models::ExecMode mode = models::ExecMode::kExact;
  // On a terminal, `progress(done, total)` every `progress_cycles` simulated cycles (Npu::Run).
  models::Npu::Progress progress;
  uint64_t progress_cycles = 200000;
  // Called once the Npu is elaborated, its energy table checked and the inputs written, right
  // before the simulation starts: e.g. `npusim run` creates its output directory there (every
  // input is valid by then) and laps its clock.
  std::function<void()> before_simulate;
  // Called as soon as the simulation ends, before energy and the figures are computed (a clock
  // lap for the simulation alone).
  std::function<void()> after_simulate;
  std::string net_file;              // Simulate only: the network file compile errors name
  compiler::CompileOptions compile;  // Simulate only: fusion, objective, instruction limit
  // False: the Npu's RunResult only, without energy or per-layer figures, so the arch's energy
  // table needs no entry for every counted action (the tests' bit-exactness harness, which runs
  // arch variants made in code).
  bool figures = true;
};

// One layer's figures (ops in graph order).
struct LayerStats {
  std::string name, op, unit, tiling, shape;  // shape: the output's, "1x56x56x32"
  // The fusion group the layer ran in (the name of its first layer), empty when it ran alone.
  std::string fusion_group;
  std::string fusion_note;  // a conv layer not fused with the next op: why (isa::LayerMapping)
  int64_t macs = 0;
  uint64_t cycles = 0;  // this layer's share of the total (sums to the run's cycles)
  uint64_t start_cycle = 0, end_cycle = 0;
  double utilization = 0;            // macs / ((end - start) * the unit's peak at its widths)
  uint64_t compute_busy_cycles = 0;  // matrix unit busy on this layer
  uint64_t load_busy_cycles = 0;     // DMA load channel busy on this layer (transfers in flight)
  std::string bound;                 // "compute", "memory" or "post": the busiest unit; "-": no work
  double energy_pj = 0;
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  // Timed DRAM: this layer's requests that found their row open, their bank closed, another row
  // open (the access pattern its tiling produced); all 0 on the simple pipe.
  uint64_t dram_row_hits = 0, dram_row_misses = 0, dram_row_conflicts = 0;
  double dram_row_hit_rate() const {
    const uint64_t all = dram_row_hits + dram_row_misses + dram_row_conflicts;
    return all ? static_cast<double>(dram_row_hits) / static_cast<double>(all) : 0.0;
  }
  // Reconfigurable arrays (empty / 0 otherwise; isa::LayerMapping): chosen configuration,
  // runner-up, fastest monolithic single-dataflow configuration, their compute-cycle estimates,
  // mapping efficiency (MACs / (chosen compute cycles * PEs)) and speedup (monolithic / chosen).
  std::string mapping, runner_up, monolithic;
  int64_t mapping_cycles = 0, monolithic_cycles = 0;
  double mapping_efficiency = 0, speedup_vs_monolithic = 0;
  // Conv/FC layers: the format the weights are stored in and their DRAM bytes (isa::LayerMapping).
  std::string weight_format;
  int64_t weight_bytes = 0;
};

// What one simulation produced.
struct Result {
  models::RunResult run;  // cycles, outputs (exact mode), per-layer spans and busy cycles, banks
  models::ExecMode mode = models::ExecMode::kExact;
  double seconds = 0;  // cycles at the arch's clock
  int64_t macs = 0;
  int64_t weight_bytes = 0;  // conv/FC weights as stored in DRAM (compressed on a sparse array)
  core::EnergyReport energy;
  std::vector<LayerStats> layers;
  std::map<std::string, uint64_t> counters;  // "component.action" -> total
  std::string fusion, objective;             // how the program was compiled (isa::Program)
};

// Elaborates the Npu for `c`, checks that the energy table covers every counted action, writes
// `inputs` (IR tensor -> values) into its DRAM, simulates to the end and computes energy and the
// per-layer figures (without Options::figures: neither check nor figures). At most once per process.
Result Run(const Compiled& c, const TensorMap& inputs, const Options& options = {});

// Compile, then Run. At most once per process.
Result Simulate(const core::ArchConfig& arch, const core::Graph& g, const TensorMap& inputs,
                const Options& options = {});

// Simulate() in a forked child (sim/child.h) on the child's copy-on-write image of `g`, after
// `prepare` (if given) has changed that image (re-quantization, pruning): the parent's `g` never
// changes. The inputs are `inputs(prepared graph)`, by default GraphInputs of it. The outcome's
// output is `answer(result)`, or the message of what threw (exit 2 for invalid input, e.g. an
// unknown layer or a network that does not fit the arch; exit 1 for anything else).
// Throws std::runtime_error when the child cannot be started.
using Prepare = std::function<void(core::Graph&)>;
using Answer = std::function<std::string(const Result&)>;
using Inputs = std::function<TensorMap(const core::Graph&)>;
ChildOutcome SimulateInChild(const core::ArchConfig& arch, core::Graph& g, const Options& options,
                             const Answer& answer, const Prepare& prepare = nullptr,
                             const Inputs& inputs = nullptr);

// SystemC fatal errors and errors become exceptions (exit 1), not aborts. Run calls it.
void ConfigureSystemCReports();

}  // namespace npusim::sim

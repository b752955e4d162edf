// `npusim scalesim` without --compat: the SCALE-Sim inputs run through npusim's full model. The
// .cfg becomes an arch and the topology a quantized graph (frontends/scalesim/scalesim_arch.h,
// scalesim_graph.h); both go through the normal compile / Npu / report path, and each layer's
// cycles are set against SCALE-Sim's (--compat) with the difference split by cause.
// docs/scalesim.md ("The full model") describes the mapping; this file only runs and compares.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app/app.h"
#include "app/scalesim.h"
#include "compiler/compiler.h"
#include "frontends/scalesim/scalesim_arch.h"
#include "frontends/scalesim/scalesim_graph.h"
#include "models/timing/dataflow_timing.h"
#include "sim/simulate.h"
#include "support/error.h"
#include "support/result_dir.h"

namespace npusim::app {
namespace {

namespace timing = models::timing;

// ---- compile, with errors in the user's terms ----------------------------------------------

// The compiler names the op ("/ops/3") and npusim's buffers; say which topology line and which
// SCALE-Sim SRAM that is.
isa::Program CompileForScaleSim(const core::Graph& g, const core::ArchConfig& arch,
                                const ScaleSimInputs& in) {
  try {
    return compiler::Compile(g, arch, in.topology.file);
  } catch (const core::ConfigError& e) {
    std::vector<core::Problem> problems;
    for (core::Problem p : e.problems()) {
      const std::string ops = "/ops/";
      if (p.pointer.compare(0, ops.size(), ops) == 0) {
        const size_t i = std::stoul(p.pointer.substr(ops.size()));
        if (i < in.topology.layers.size()) p.pointer = "line " + std::to_string(in.topology.layers[i].line);
      }
      p.message +=
          " (npusim's buffers: ibuf = IfmapSramSzkB, wbuf = FilterSramSzkB, abuf = 4 x OfmapSramSzkB "
          "for 32-bit accumulators, obuf = OfmapSramSzkB; each must hold two tiles)";
      problems.push_back(p);
    }
    throw core::ConfigError(problems);
  }
}

// ---- the report -----------------------------------------------------------------------------

// Fills each layer's comparison with SCALE-Sim: its cycles on the row as given, its cycles on the
// GEMM npusim runs (differs by padding and ofmap rounding), npusim's closed form for that GEMM as
// one instruction, and the simulated busy time and span.
void Compare(const ScaleSimCompatRun& compat, const core::ArchConfig& arch, const sim::RunReport& rep,
             std::vector<ScaleSimFullLayer>& layers) {
  const core::UnitConfig& u = arch.units[0];
  const timing::DataflowTiming* df = timing::FindDataflow(u.dataflow);
  for (size_t i = 0; i < layers.size(); ++i) {
    ScaleSimFullLayer& L = layers[i];
    const sim::LayerReport& R = rep.layers[i];
    L.compat_cycles = compat.layers[i].cycles;
    const timing::ScaleSimGemm own{L.gemm_m, L.gemm_k, L.gemm_n};
    L.compat_cycles_own_gemm = L.groups * timing::ScaleSimLayer(u.rows, u.cols, compat.dataflow, own).cycles;
    L.model_cycles = df->Cycles(u.rows, u.cols, {L.gemm_m, L.gemm_k, L.gemm_n, L.groups});
    L.compute_busy_cycles = R.compute_busy_cycles;
    L.span_cycles = R.end_cycle - R.start_cycle;
    L.cycles = R.cycles;
    L.dram_bytes = R.dram_read_bytes + R.dram_write_bytes;
    L.bound = R.bound;
  }
}

long long Ll(int64_t v) { return static_cast<long long>(v); }

std::string ComparisonTable(const ScaleSimFullRun& run) {
  std::ostringstream s;
  char line[400];
  s << "npusim vs SCALE-Sim (--compat), cycles as counts; diff = span - scalesim = padding + fold model + "
       "tiling + memory\n";
  std::snprintf(line, sizeof line,
                "%-18s %5s %11s %11s %11s %11s %11s %11s | %10s %10s %10s %10s %12s %-7s\n", "layer", "chain",
                "scalesim", "ss_own_gemm", "model", "busy", "span", "share", "padding", "fold_model",
                "tiling", "memory", "dram_bytes", "bound");
  s << line;
  for (const ScaleSimFullLayer& L : run.layers) {
    std::snprintf(
        line, sizeof line,
        "%-18.18s %5s %11lld %11lld %11lld %11lld %11lld %11lld | %10lld %10lld %10lld %10lld %12lld %-7s\n",
        L.op_name.c_str(), L.chained ? "yes" : "no", Ll(L.compat_cycles), Ll(L.compat_cycles_own_gemm),
        Ll(L.model_cycles), Ll(L.compute_busy_cycles), Ll(L.span_cycles), Ll(L.cycles), Ll(L.PaddingDelta()),
        Ll(L.FoldModelDelta()), Ll(L.TilingDelta()), Ll(L.MemoryDelta()), Ll(L.dram_bytes), L.bound.c_str());
    s << line;
  }
  s << "total: npusim " << run.cycles << " cycles (layers overlap: sum of spans " << run.sum_spans
    << "), SCALE-Sim " << run.compat_cycles
    << " cycles as counts (its summed Total Cycles: " << run.compat_total_cycles
    << "); npusim / SCALE-Sim = ";
  std::snprintf(line, sizeof line, "%.3f\n",
                run.compat_cycles ? static_cast<double>(run.cycles) / run.compat_cycles : 0.0);
  s << line;
  return s.str();
}

std::string ComparisonCsv(const ScaleSimFullRun& run) {
  std::string out =
      "layer,line,chained,pad_top,pad_left,pad_bottom,pad_right,gemm_m,gemm_k,gemm_n,groups,scalesim_cycles,"
      "scalesim_cycles_own_gemm,model_cycles,compute_busy_cycles,span_cycles,cycles,padding_delta,fold_model_"
      "delta,"
      "tiling_delta,memory_delta,dram_bytes,bound\n";
  for (const ScaleSimFullLayer& L : run.layers) {
    std::ostringstream s;
    s << L.op_name << "," << L.row->line << "," << (L.chained ? 1 : 0) << "," << L.pads[0] << "," << L.pads[1]
      << "," << L.pads[2] << "," << L.pads[3] << "," << L.gemm_m << "," << L.gemm_k << "," << L.gemm_n << ","
      << L.groups << "," << L.compat_cycles << "," << L.compat_cycles_own_gemm << "," << L.model_cycles << ","
      << L.compute_busy_cycles << "," << L.span_cycles << "," << L.cycles << "," << L.PaddingDelta() << ","
      << L.FoldModelDelta() << "," << L.TilingDelta() << "," << L.MemoryDelta() << "," << L.dram_bytes << ","
      << L.bound << "\n";
    out += s.str();
  }
  return out;
}

}  // namespace

int RunScaleSimFullModel(const ScaleSimInputs& in, const std::string& dir) {
  const auto t0 = std::chrono::steady_clock::now();
  const ScaleSimCompatRun compat = core::RunScaleSimCompat(in);
  const std::string arch_json = core::ScaleSimArchJson(in.config);
  const core::ArchConfig arch = core::LoadScaleSimArch(in.config, arch_json);
  ScaleSimFullRun run;
  std::vector<core::ScaleSimRow> rows;
  const core::Graph g = core::BuildScaleSimGraph(in.config, in.topology, &rows);
  for (const core::ScaleSimRow& r : rows) {
    ScaleSimFullLayer L;
    static_cast<core::ScaleSimRow&>(L) = r;
    run.layers.push_back(L);
  }
  const sim::Compiled compiled{arch, g, in.topology.file, CompileForScaleSim(g, arch, in)};
  sim::Options opt;
  std::optional<core::ResultDir> results;
  opt.before_simulate = [&] { results.emplace(dir); };  // every input is valid by now
  sim::RunReport report =
      sim::BuildReport(arch, g, in.topology.file, sim::Run(compiled, sim::GraphInputs(g), opt));
  report.arch_file = in.config.file;  // the arch was derived from the SCALE-Sim cfg
  Compare(compat, arch, report, run.layers);
  run.cycles = static_cast<int64_t>(report.run.cycles);
  run.compat_cycles = compat.cycles;
  run.compat_total_cycles = compat.scalesim_total_cycles;
  for (const ScaleSimFullLayer& L : run.layers) run.sum_spans += L.span_cycles;
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sim::WriteReportFiles(*results, report, g, report.run.outputs);
  results->Write("arch.json", arch_json);
  results->Write("scalesim_comparison.csv", ComparisonCsv(run));
  results->Commit();
  for (const std::string& note : compat.notes) std::cerr << "npusim: note: " << note << "\n";
  std::cout << sim::SummaryTable(report) << ComparisonTable(run);
  std::cout << "report: " << dir << "/report.json, " << dir << "/scalesim_comparison.csv, " << dir
            << "/arch.json (the arch derived from " << in.config.file << ")\n";
  return kExitOk;
}

}  // namespace npusim::app

// `npusim scalesim` without --compat: the SCALE-Sim inputs run through npusim's full model. The
// .cfg becomes an arch (one systolic array, four buffers sized from the SRAM keys, a DRAM with the
// cfg's bandwidth, a Horowitz 45 nm energy table) and the topology a quantized graph (seeded
// random int8 weights and inputs); both go through the normal compile / Npu / report path, and
// each layer's cycles are set against SCALE-Sim's (--compat) with the difference split by cause.
// docs/scalesim.md ("The full model") describes the mapping; this file only builds and compares.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "app/app.h"
#include "app/scalesim.h"
#include "compiler/compiler.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "ir/int_math.h"
#include "support/random.h"
#include "models/timing/dataflow_timing.h"
#include "sim/simulate.h"

namespace npusim::app {
namespace {

namespace fs = std::filesystem;
namespace timing = models::timing;
using Json = nlohmann::ordered_json;
using core::CheckedAdd;
using core::CheckedMul;

// SCALE-Sim's cfg has no clock; 500 MHz only converts cycles to seconds in the report.
constexpr double kClockMhz = 500;
// SCALE-Sim's own CALC-mode backing bandwidth for ifmap and filter (words per cycle), used when the
// cfg gives no usable Bandwidth.
constexpr int64_t kCalcBandwidthWords = 10;
constexpr int64_t kDramCapacityBytes = int64_t{256} << 20;
constexpr int64_t kAccBytes = 4;  // the accumulator buffer holds 32-bit partial sums
constexpr uint64_t kWeightSeed = 0x5CA1E5111;
constexpr uint64_t kInputSeed = 0x5CA1E5112;
constexpr float kInputScale = 0.05f, kWeightScale = 0.005f;

const char kHorowitz[] = "Horowitz, 'Computing's energy problem', ISSCC 2014, 45 nm 0.9 V: ";

// ---- the arch -------------------------------------------------------------------------------

int64_t DramBytesPerCycle(const core::ScaleSimConfig& c) {
  if (c.bandwidth.empty()) return kCalcBandwidthWords;
  int64_t sum = 0;
  for (int64_t b : c.bandwidth) sum = CheckedAdd(sum, b);  // one channel for all banks, 1-byte words
  return sum;
}

// One array edge of operands per SRAM word (a power of two, 8..1024 bytes), so the DMA side of a
// buffer never limits a DRAM stream.
int SramWordBytes(const core::ScaleSimConfig& c) {
  int w = 8;
  while (w < std::max(c.array_height, c.array_width) && w < 1024) w *= 2;
  return w;
}

Json Entry(double energy_pj, const std::string& source) {
  return {{"energy_pj", std::round(energy_pj * 100) / 100}, {"source", source}};
}

// An SRAM's read/write/leak energies, by the same rules as arch/energy/horowitz_45nm.json.
Json SramEnergy(int64_t size_bytes, int word_bytes) {
  char how[200];
  const double pj = 10 * std::sqrt(size_bytes / 8192.0) * word_bytes / 8.0;
  std::snprintf(how, sizeof how, "bank %lld B, word %d B -> 10 * sqrt(%lld/8192) * %d/8 = %.2f pJ",
                static_cast<long long>(size_bytes), word_bytes, static_cast<long long>(size_bytes), word_bytes, pj);
  const std::string read = std::string(kHorowitz) +
                           "64-bit SRAM read about 10 pJ * sqrt(bank_bytes / 8 KiB), scaled linearly to the word: " + how;
  return {{"read", Entry(pj, read)},
          {"write", Entry(pj, "taken equal to a read of the same word; " + read)},
          {"leak_per_cycle", Entry(0.05 * size_bytes / 1024.0,
                                   "estimate: 0.05 pJ per KiB per cycle (45 nm high-performance SRAM) x " +
                                       std::to_string(size_bytes / 1024) + " KiB")}};
}

struct DerivedBuffer {
  const char* name;
  int64_t size_bytes;
};

std::vector<DerivedBuffer> Buffers(const core::ScaleSimConfig& c) {
  return {{"ibuf", c.ifmap_sram_kb * 1024},
          {"wbuf", c.filter_sram_kb * 1024},
          {"abuf", kAccBytes * c.ofmap_sram_kb * 1024},
          {"obuf", c.ofmap_sram_kb * 1024}};
}

Json EnergyJson(const core::ScaleSimConfig& c) {
  const int64_t pes = c.array_height * c.array_width;
  const int64_t lanes = c.array_width;
  Json comps;
  comps["array"] = {
      {"mac_8b", Entry(0.3, std::string(kHorowitz) + "8b integer multiply 0.2 pJ + 32b integer add 0.1 pJ")},
      {"idle_pe_cycle", Entry(0.03, "estimate: clocked PE doing no useful work, about 10% of an 8b MAC")},
      {"leak_per_cycle", Entry(0.02 * static_cast<double>(pes),
                               "estimate: 0.02 pJ per PE per cycle x " + std::to_string(pes) + " PEs")}};
  for (const DerivedBuffer& b : Buffers(c)) comps[b.name] = SramEnergy(b.size_bytes, SramWordBytes(c));
  comps["post"] = {
      {"requant", Entry(3.2, std::string(kHorowitz) + "one 32b multiply 3.1 pJ + one 32b add 0.1 pJ")},
      {"pass", Entry(0.1, "estimate: the requantizer bypassed, a 32-bit value through the pipeline "
                          "registers, taken as one 32b add (" + std::string(kHorowitz) + "0.1 pJ)")},
      {"add", Entry(6.5, std::string(kHorowitz) + "two 32b multiplies 3.1 pJ + three 32b adds 0.1 pJ")},
      {"mul", Entry(3.5, std::string(kHorowitz) + "one 8b multiply 0.2 pJ + one 32b multiply 3.1 pJ + two 32b adds 0.1 pJ")},
      {"lookup", Entry(0.25, "estimate: one read of a 256-entry table in the lanes plus the index subtraction")},
      {"pool_op", Entry(0.1, std::string(kHorowitz) + "one 32b add or compare 0.1 pJ per value")},
      {"leak_per_cycle", Entry(0.05 * static_cast<double>(lanes),
                               "estimate: 0.05 pJ per lane per cycle x " + std::to_string(lanes) + " lanes")}};
  const std::string dram = std::string(kHorowitz) + "DRAM 1.3-2.6 nJ per 64-bit access; midpoint 1.95 nJ / 8 bytes";
  comps["dram"] = {{"read_byte", Entry(243.75, dram)}, {"write_byte", Entry(243.75, dram + " (writes as reads)")}};
  comps["dma"] = {{"burst", Entry(5.0, "estimate: address generation and bookkeeping per burst")}};
  return {{"version", 1}, {"name", "horowitz_45nm_scalesim"}, {"components", comps}};
}

std::string ArchName(const std::string& run_name) {
  std::string s = "scalesim_";
  for (char ch : run_name) s += std::isalnum(static_cast<unsigned char>(ch)) ? static_cast<char>(std::tolower(ch)) : '_';
  return s;
}

Json ArchJson(const core::ScaleSimConfig& c) {
  const int word = SramWordBytes(c);
  Json buffers = Json::array();
  for (const DerivedBuffer& b : Buffers(c)) {
    buffers.push_back({{"name", b.name}, {"size_bytes", b.size_bytes}, {"banks", 1}, {"ports", 2}, {"word_bytes", word}});
  }
  Json unit = {{"name", "array"}, {"type", "systolic_array"}, {"rows", c.array_height}, {"cols", c.array_width},
               {"dataflow", c.dataflow}, {"input_bits", {8}}, {"weight_bits", {8}}, {"acc_bits", 32},
               {"overflow", "wrap"}, {"input_buffer", "ibuf"}, {"weight_buffer", "wbuf"}, {"acc_buffer", "abuf"}};
  return {{"version", 1},
          {"name", ArchName(c.run_name)},
          {"description", "derived from the SCALE-Sim config " + c.file + " by npusim scalesim (docs/scalesim.md)"},
          {"clock_mhz", kClockMhz},
          {"dram", {{"bytes_per_cycle", DramBytesPerCycle(c)}, {"latency_cycles", 100}, {"burst_bytes", 64},
                    {"capacity_bytes", kDramCapacityBytes}}},
          {"buffers", buffers},
          {"units", {unit}},
          {"post_processor", {{"name", "post"}, {"lanes", c.array_width}, {"pipeline_cycles", 4}, {"output_buffer", "obuf"}}},
          {"requantization", "onnx_float"},
          {"energy", EnergyJson(c)}};
}

// The derived arch through the normal validating loader (a temporary file, since LoadArch reads
// files). A problem there is a cfg value beyond what npusim's arch accepts (e.g. ArrayHeight >
// 4096): reported against the cfg.
core::ArchConfig LoadDerivedArch(const core::ScaleSimConfig& c, const std::string& json_text) {
  const fs::path tmp = fs::temp_directory_path() / ("npusim_scalesim_arch_" + std::to_string(getpid()) + ".json");
  core::WriteFileAtomically(tmp.string(), json_text);
  try {
    core::ArchConfig arch = core::LoadArch(tmp.string());
    fs::remove(tmp);
    arch.file = c.file;
    arch.energy.file = c.file;
    return arch;
  } catch (const core::ConfigError& e) {
    fs::remove(tmp);
    std::vector<core::Problem> problems;
    for (const core::Problem& p : e.problems()) {
      problems.push_back({c.file, "[architecture_presets]",
                          "npusim cannot build its arch from this config: " + p.pointer + ": " + p.message});
    }
    throw core::ConfigError(problems);
  }
}

// ---- the graph ------------------------------------------------------------------------------

std::string SafeName(const std::string& name) {
  std::string s;
  for (char ch : name) s += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ? ch : '_';
  return s.empty() ? "layer" : s;
}

core::TensorInfo Int8Tensor(const std::string& name, std::vector<int64_t> shape, float scale) {
  core::TensorInfo t;
  t.name = name;
  t.shape = std::move(shape);
  t.quant.scales = {scale};
  t.quant.zero_points = {0};
  return t;
}

std::vector<int32_t> RandomInt8(uint64_t seed, int64_t n, int64_t lo) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<int32_t>(core::RandomInt(seed, i, lo, 127));
  return v;
}

// "same" padding as TensorFlow computes it: out = ceil(in / stride), the total split with the
// extra pixel at the end.
std::array<int64_t, 2> SamePads(int64_t in, int64_t kernel, int64_t stride) {
  const int64_t out = core::CeilDiv(in, stride);
  const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
  return {total / 2, total - total / 2};
}

// How a conv row reads the previous row's output `prev` ([1, h, w, c]), if it can: in "valid"
// mode when the row's ifmap is `prev` plus a border narrower than the filter on each axis (the
// padding the topology folded into its ifmap size, as SCALE-Sim topologies do), read as that
// padding; in "same" mode when the shapes are equal.
bool ChainConv(const core::ScaleSimLayer& r, bool same, const std::vector<int64_t>& prev, std::array<int64_t, 4>* pads) {
  if (prev.size() != 4 || prev[3] != r.channels) return false;
  const int64_t dh = r.ifmap_h - prev[1], dw = r.ifmap_w - prev[2];
  if (same) {
    if (dh != 0 || dw != 0) return false;
    const auto ph = SamePads(r.ifmap_h, r.filter_h, r.stride_h), pw = SamePads(r.ifmap_w, r.filter_w, r.stride_w);
    *pads = {ph[0], pw[0], ph[1], pw[1]};
    return true;
  }
  if (dh < 0 || dw < 0 || dh >= r.filter_h || dw >= r.filter_w) return false;
  *pads = {dh / 2, dw / 2, dh - dh / 2, dw - dw / 2};
  return true;
}

class GraphBuilder {
 public:
  GraphBuilder(const ScaleSimInputs& in, std::vector<ScaleSimFullLayer>* layers) : in_(in), layers_(layers) {
    g_.name = SafeName(in.config.run_name);
  }

  core::Graph Build() {
    for (size_t i = 0; i < in_.topology.layers.size(); ++i) AddRow(in_.topology.layers[i], static_cast<int>(i));
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      if (i + 1 == g_.ops.size() || !(*layers_)[i + 1].chained) g_.outputs.push_back(g_.ops[i].outputs[0]);
    }
    return g_;
  }

 private:
  void AddRow(const core::ScaleSimLayer& r, int index) {
    ScaleSimFullLayer L;
    L.row = &r;
    L.op_name = UniqueName(SafeName(r.name));
    const bool gemm = in_.topology.form == core::ScaleSimTopologyForm::kGemm;
    const std::vector<int64_t> prev = g_.ops.empty() ? std::vector<int64_t>{} : g_.tensor(g_.ops.back().outputs[0]).shape;
    core::Op op;
    op.name = L.op_name;
    std::vector<int64_t> in_shape, w_shape, out_shape;
    if (gemm) {
      op.type = core::OpType::kFullyConnected;
      in_shape = {r.gemm_m, r.gemm_k};
      w_shape = {r.gemm_n, r.gemm_k};
      out_shape = {r.gemm_m, r.gemm_n};
      L.chained = prev == in_shape;
      L.gemm = {r.gemm_m, r.gemm_k, r.gemm_n, 1};
    } else {
      const bool same = in_.config.padding == "same";
      op.type = core::OpType::kConv2d;
      op.stride = {r.stride_h, r.stride_w};
      op.groups = r.depthwise ? r.channels : 1;
      L.chained = ChainConv(r, same, prev, &op.pads);
      in_shape = L.chained ? prev : std::vector<int64_t>{1, r.ifmap_h, r.ifmap_w, r.channels};
      if (!L.chained && same) {
        const auto ph = SamePads(r.ifmap_h, r.filter_h, r.stride_h), pw = SamePads(r.ifmap_w, r.filter_w, r.stride_w);
        op.pads = {ph[0], pw[0], ph[1], pw[1]};
      }
      const int64_t oc = r.depthwise ? r.channels * r.num_filters : r.num_filters;
      const int64_t oh = core::ConvOutSize(in_shape[1], r.filter_h, r.stride_h, 1, op.pads[0], op.pads[2]);
      const int64_t ow = core::ConvOutSize(in_shape[2], r.filter_w, r.stride_w, 1, op.pads[1], op.pads[3]);
      w_shape = {oc, r.filter_h, r.filter_w, r.depthwise ? 1 : r.channels};
      out_shape = {1, oh, ow, oc};
      L.gemm = {oh * ow, r.filter_h * r.filter_w * (r.depthwise ? 1 : r.channels), r.depthwise ? r.num_filters : oc,
                op.groups};
    }
    L.pads = op.pads;
    CheckSize(r, L.chained ? 0 : Elements(in_shape), Elements(w_shape), Elements(out_shape));
    const std::string x = L.chained ? g_.ops.back().outputs[0] : AddInput(L.op_name + "_in", in_shape, index);
    const float x_scale = g_.tensor(x).quant.scales[0];
    core::TensorInfo w = Int8Tensor(L.op_name + "_w", w_shape, kWeightScale);
    w.data = RandomInt8(kWeightSeed + static_cast<uint64_t>(index), Elements(w_shape), -127);
    // acc ~ sqrt(K) * 70 * 70 quanta for uniform int8 operands: a scale that spreads the outputs.
    const float y_scale = x_scale * kWeightScale * std::sqrt(static_cast<float>(L.gemm.k)) * 100.0f;
    op.inputs = {x, Add(w)};
    op.outputs = {Add(Int8Tensor(L.op_name + "_out", out_shape, y_scale))};
    g_.ops.push_back(op);
    layers_->push_back(L);
  }

  std::string AddInput(const std::string& name, const std::vector<int64_t>& shape, int index) {
    core::TensorInfo t = Int8Tensor(name, shape, kInputScale);
    t.data = RandomInt8(kInputSeed + static_cast<uint64_t>(index), Elements(shape), -128);
    g_.inputs.push_back(name);
    return Add(t);
  }

  // Every tensor lives in DRAM at one byte per value; refuse before allocating what cannot fit.
  void CheckSize(const core::ScaleSimLayer& r, int64_t in, int64_t w, int64_t out) {
    try {
      bytes_ = CheckedAdd(bytes_, CheckedAdd(in, CheckedAdd(w, out)));
    } catch (const std::overflow_error&) {
      bytes_ = kDramCapacityBytes + 1;
    }
    if (bytes_ <= kDramCapacityBytes) return;
    throw core::ConfigError(in_.topology.file, "line " + std::to_string(r.line),
                            "layer \"" + r.name + "\": the full model keeps every tensor in a " +
                                std::to_string(kDramCapacityBytes >> 20) +
                                " MiB DRAM (one byte per int8 value) and the topology up to this layer needs more: "
                                "expected smaller layers (--compat scalesim has no such limit)");
  }

  static int64_t Elements(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n = CheckedMul(n, d);
    return n;
  }

  std::string UniqueName(const std::string& base) {
    std::string name = base;
    for (int k = 2; used_.count(name); ++k) name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }

  std::string Add(const core::TensorInfo& t) {
    g_.tensors[t.name] = t;
    return t.name;
  }

  const ScaleSimInputs& in_;
  std::vector<ScaleSimFullLayer>* layers_;
  core::Graph g_;
  std::set<std::string> used_;
  int64_t bytes_ = 0;
};

// ---- compile, with errors in the user's terms ----------------------------------------------

// The compiler names the op ("/ops/3") and npusim's buffers; say which topology line and which
// SCALE-Sim SRAM that is.
isa::Program CompileForScaleSim(const core::Graph& g, const core::ArchConfig& arch, const ScaleSimInputs& in) {
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
      p.message += " (npusim's buffers: ibuf = IfmapSramSzkB, wbuf = FilterSramSzkB, abuf = 4 x OfmapSramSzkB "
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
void Compare(const ScaleSimCompatRun& compat, const core::ArchConfig& arch, const RunReport& rep,
             std::vector<ScaleSimFullLayer>& layers) {
  const core::UnitConfig& u = arch.units[0];
  const timing::DataflowTiming* df = timing::FindDataflow(u.dataflow);
  for (size_t i = 0; i < layers.size(); ++i) {
    ScaleSimFullLayer& L = layers[i];
    const LayerReport& R = rep.layers[i];
    L.compat_cycles = compat.layers[i].cycles;
    const timing::ScaleSimGemm own{L.gemm.m, L.gemm.k, L.gemm.n};
    L.compat_cycles_own_gemm = L.gemm.groups * timing::ScaleSimLayer(u.rows, u.cols, compat.dataflow, own).cycles;
    L.model_cycles = df->Cycles(u.rows, u.cols, L.gemm);
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
  std::snprintf(line, sizeof line, "%-18s %5s %11s %11s %11s %11s %11s %11s | %10s %10s %10s %10s %12s %-7s\n", "layer",
                "chain", "scalesim", "ss_own_gemm", "model", "busy", "span", "share", "padding", "fold_model", "tiling",
                "memory", "dram_bytes", "bound");
  s << line;
  for (const ScaleSimFullLayer& L : run.layers) {
    std::snprintf(line, sizeof line, "%-18.18s %5s %11lld %11lld %11lld %11lld %11lld %11lld | %10lld %10lld %10lld %10lld %12lld %-7s\n",
                  L.op_name.c_str(), L.chained ? "yes" : "no", Ll(L.compat_cycles), Ll(L.compat_cycles_own_gemm),
                  Ll(L.model_cycles), Ll(L.compute_busy_cycles), Ll(L.span_cycles), Ll(L.cycles), Ll(L.PaddingDelta()),
                  Ll(L.FoldModelDelta()), Ll(L.TilingDelta()), Ll(L.MemoryDelta()), Ll(L.dram_bytes), L.bound.c_str());
    s << line;
  }
  s << "total: npusim " << run.cycles << " cycles (layers overlap: sum of spans " << run.sum_spans
    << "), SCALE-Sim " << run.compat_cycles << " cycles as counts (its summed Total Cycles: "
    << run.compat_total_cycles << "); npusim / SCALE-Sim = ";
  std::snprintf(line, sizeof line, "%.3f\n", run.compat_cycles ? static_cast<double>(run.cycles) / run.compat_cycles : 0.0);
  s << line;
  return s.str();
}

std::string ComparisonCsv(const ScaleSimFullRun& run) {
  std::string out =
      "layer,line,chained,pad_top,pad_left,pad_bottom,pad_right,gemm_m,gemm_k,gemm_n,groups,scalesim_cycles,"
      "scalesim_cycles_own_gemm,model_cycles,compute_busy_cycles,span_cycles,cycles,padding_delta,fold_model_delta,"
      "tiling_delta,memory_delta,dram_bytes,bound\n";
  for (const ScaleSimFullLayer& L : run.layers) {
    std::ostringstream s;
    s << L.op_name << "," << L.row->line << "," << (L.chained ? 1 : 0) << "," << L.pads[0] << "," << L.pads[1] << ","
      << L.pads[2] << "," << L.pads[3] << "," << L.gemm.m << "," << L.gemm.k << "," << L.gemm.n << "," << L.gemm.groups
      << "," << L.compat_cycles << "," << L.compat_cycles_own_gemm << "," << L.model_cycles << ","
      << L.compute_busy_cycles << "," << L.span_cycles << "," << L.cycles << "," << L.PaddingDelta() << ","
      << L.FoldModelDelta() << "," << L.TilingDelta() << "," << L.MemoryDelta() << "," << L.dram_bytes << ","
      << L.bound << "\n";
    out += s.str();
  }
  return out;
}


}  // namespace

std::string ScaleSimArchJson(const core::ScaleSimConfig& config) { return ArchJson(config).dump(2) + "\n"; }

core::Graph BuildScaleSimGraph(const ScaleSimInputs& inputs, std::vector<ScaleSimFullLayer>* layers) {
  return GraphBuilder(inputs, layers).Build();
}

int RunScaleSimFullModel(const ScaleSimInputs& in, const std::string& dir) {
  const auto t0 = std::chrono::steady_clock::now();
  const ScaleSimCompatRun compat = RunScaleSimCompat(in);
  const std::string arch_json = ScaleSimArchJson(in.config);
  const core::ArchConfig arch = LoadDerivedArch(in.config, arch_json);
  ScaleSimFullRun run;
  const core::Graph g = BuildScaleSimGraph(in, &run.layers);
  const sim::Compiled compiled{arch, g, in.topology.file, CompileForScaleSim(g, arch, in)};
  sim::Options opt;
  opt.before_simulate = [&] { PrepareOutputDir(dir); };  // every input is valid by now
  RunReport report = BuildReport(arch, g, in.topology.file, sim::Run(compiled, sim::GraphInputs(g), opt));
  report.arch_file = in.config.file;  // the arch was derived from the SCALE-Sim cfg
  Compare(compat, arch, report, run.layers);
  run.cycles = static_cast<int64_t>(report.run.cycles);
  run.compat_cycles = compat.cycles;
  run.compat_total_cycles = compat.scalesim_total_cycles;
  for (const ScaleSimFullLayer& L : run.layers) run.sum_spans += L.span_cycles;
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  WriteReportFiles(dir, report, g, report.run.outputs);
  core::WriteFileAtomically((fs::path(dir) / "arch.json").string(), arch_json);
  core::WriteFileAtomically((fs::path(dir) / "scalesim_comparison.csv").string(), ComparisonCsv(run));
  for (const std::string& note : compat.notes) std::cerr << "npusim: note: " << note << "\n";
  std::cout << SummaryTable(report) << ComparisonTable(run);
  std::cout << "report: " << dir << "/report.json, " << dir << "/scalesim_comparison.csv, " << dir
            << "/arch.json (the arch derived from " << in.config.file << ")\n";
  return kExitOk;
}

}  // namespace npusim::app

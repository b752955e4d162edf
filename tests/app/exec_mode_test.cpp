// `--mode timing` against `--mode exact`: the same program through the same modules, so every
// figure must be identical (cycles, per-layer start/end cycles, energy, every counter, DRAM bytes,
// per-bank counts); only the output values are missing. Runs the real binary twice per case: every
// shipped arch (arch/*.json) x the small residual network dense, pruned by every method (simd,
// node, unstructured, 2:4), and with 4-bit and mixed-precision weights where the unit runs them;
// and MobileNetV1 SIMD-pruned on both sparse arches (issue 16: timing mode once read the sparse
// unit's tile headers from buffers its DMA had not filled, and saw empty tiles); under the energy
// and EDP objectives; and fused groups (the README command, also under the energy objective).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/common/npusim_process.h"

namespace npusim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Src(const std::string& relative) { return std::string(NPUSIM_SOURCE_DIR) + "/" + relative; }

// Scratch space per test (tests run in parallel processes), removed when the test ends.
class Scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("npusim_mode_") + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = fs::temp_directory_path() / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// How a case derives its network from a shipped one: pruned by `npusim prune` (method and
// arguments; sparse methods prune for the run's arch when it is a sparse array, else for
// scalpel_mcu's groups, as npusim prune refuses them for units that cannot exploit them), and/or
// re-quantized at run time (--weight-bits), which only units with those widths accept.
struct Variant {
  const char* name;
  std::vector<std::string> prune;          // npusim prune arguments after --net, --arch and -o; empty: none
  std::string prune_arch;                  // the --arch of npusim prune; empty: the rule above
  std::string weight_bits;                 // run's --weight-bits; empty: none
  std::vector<int> needs_bits;             // weight widths the unit must run
  std::vector<std::string> run_args = {};  // more arguments of both runs (e.g. --objective)
};

const std::vector<Variant>& Variants() {
  static const std::vector<Variant> v = {
      {"dense", {}, "", "", {}},
      {"simd", {"--method", "simd", "--sparsity", "0.6"}, "", "", {}},
      {"node", {"--method", "node", "--sparsity", "0.5"}, "", "", {}},
      {"unstructured", {"--method", "unstructured", "--sparsity", "0.6"}, "", "", {}},
      {"nm", {"--method", "2:4"}, "", "", {}},
      {"packed", {}, "", "*=4", {4}},                            // 4-bit weights, packed where the unit packs
      {"mixed", {}, "", "*=4,conv1=8,dw=2,fc=6", {2, 4, 6, 8}},  // HAQ-style per-layer widths
      // The objective changes fusion groups, tilings and mappings: timing mode must follow.
      {"energy", {}, "", "", {}, {"--objective", "energy"}},
      {"edp", {}, "", "", {}, {"--objective", "edp"}},
  };
  return v;
}

struct Case {
  std::string arch, net;
  const Variant* variant;
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.arch << " + " << c.net << " (" << c.variant->name << ")";
}

nlohmann::json ReadJson(const std::string& path) { return json::parse(testing::ReadFileText(path)); }

// Whether the arch's matrix unit runs every width the variant needs.
bool Runs(const json& arch, const Variant& v) {
  const std::vector<int> bits = arch["units"][0]["weight_bits"].get<std::vector<int>>();
  for (int b : v.needs_bits) {
    if (std::find(bits.begin(), bits.end(), b) == bits.end()) return false;
  }
  return true;
}

// Every shipped arch x every variant it runs, on the small residual network; plus MobileNetV1
// SIMD-pruned for scalpel_cpu on both sparse arches (issue 16's cases, where timing mode once saw
// empty weight tiles).
std::vector<Case> Cases() {
  std::vector<Case> out;
  std::vector<std::string> arches;
  for (const auto& e : fs::directory_iterator(Src("arch"))) {
    if (e.path().extension() == ".json") arches.push_back("arch/" + e.path().filename().string());
  }
  std::sort(arches.begin(), arches.end());
  for (const std::string& a : arches) {
    const json arch = ReadJson(Src(a));
    for (const Variant& v : Variants()) {
      if (Runs(arch, v)) out.push_back({a, "workloads/small_resnet.json", &v});
    }
  }
  static const Variant kMobileNetSimd{
      "simd07", {"--method", "simd", "--sparsity", "0.7"}, "arch/scalpel_cpu.json", "", {}};
  for (const char* a : {"arch/scalpel_cpu.json", "arch/scalpel_mcu.json"}) {
    out.push_back({a, "workloads/mobilenet_v1_q8.json", &kMobileNetSimd});
  }
  // Fused groups (the README command fuses 13 layers into 6 groups; small_resnet on UNPU runs
  // conv2 and its residual add as one), under the default objective and the energy objective,
  // whose tilings differ; ResNet-18 on UNPU, whose groups end in residual adds (the skip on chip
  // in a ring, or loaded per tile); and MobileNetV1 on the systolic array under the energy
  // objective (other tilings than by cycles).
  const Variant* dense = &Variants()[0];
  const Variant* energy = &Variants()[7];
  out.push_back({"arch/unpu.json", "workloads/mobilenet_q4.json", dense});
  out.push_back({"arch/unpu.json", "workloads/mobilenet_q4.json", energy});
  out.push_back({"arch/unpu.json", "workloads/scaling/resnet18_q8.json", dense});
  out.push_back({"arch/unpu.json", "workloads/scaling/resnet18_q8.json", energy});
  out.push_back({"arch/dense_16x16.json", "workloads/mobilenet_v1_q8.json", energy});
  return out;
}

class ExecMode : public Scratch, public ::testing::WithParamInterface<Case> {
 protected:
  // The network the case runs: the shipped one, or a pruned copy in the scratch directory.
  std::string Net() {
    const Variant& v = *GetParam().variant;
    if (v.prune.empty()) return Src(GetParam().net);
    const std::string out = (dir_ / "pruned.json").string();
    const std::string arch = v.prune_arch.empty() ? PruneArch() : Src(v.prune_arch);
    std::vector<std::string> args = {"prune", "--net", Src(GetParam().net), "--arch", arch, "-o", out};
    args.insert(args.end(), v.prune.begin(), v.prune.end());
    if (std::string(v.name) == "nm") args.insert(args.end(), {"--per-layer", NmSkips()});
    const testing::ProcessOutcome o = testing::RunNpusim(args, dir_ / "err.txt");
    EXPECT_EQ(o.exit_code, 0) << o;
    return out;
  }
  // Sparse methods prune for the arch's own SIMD groups when it has them; node pruning for any unit.
  std::string PruneArch() {
    const json arch = ReadJson(Src(GetParam().arch));
    const bool sparse = arch["units"][0]["type"] == "sparse_array";
    return Src(sparse || std::string(GetParam().variant->name) == "node" ? GetParam().arch
                                                                         : "arch/scalpel_mcu.json");
  }
  // 2:4 leaves the layers whose reduction (weights per output) is no multiple of 4 whole.
  std::string NmSkips() {
    const json net = ReadJson(Src(GetParam().net));
    json skip = json::object();
    for (const json& op : net["ops"]) {
      if (op["op"] != "conv2d" && op["op"] != "fully_connected") continue;
      const std::vector<int64_t> shape = net["tensors"][op["inputs"][1].get<std::string>()]["shape"];
      int64_t k = 1;
      for (size_t d = 1; d < shape.size(); ++d) k *= shape[d];
      if (k % 4 != 0) skip[op["name"].get<std::string>()] = 0;
    }
    const fs::path f = dir_ / "nm_skip.json";
    testing::WriteFileText(f, skip.dump());
    return f.string();
  }
  json Run(const std::string& net, const std::string& mode, const fs::path& out) {
    std::vector<std::string> args = {"--arch", Src(GetParam().arch), "--net",  net,
                                     "--out",  out.string(),         "--mode", mode};
    if (!GetParam().variant->weight_bits.empty())
      args.insert(args.end(), {"--weight-bits", GetParam().variant->weight_bits});
    args.insert(args.end(), GetParam().variant->run_args.begin(), GetParam().variant->run_args.end());
    const testing::ProcessOutcome o = testing::RunNpusim(args, dir_ / "err.txt");
    EXPECT_EQ(o.exit_code, 0) << o;
    return ReadJson((out / "report.json").string());
  }
};

// The figures that must not depend on the mode (everything but wall times, the mode itself and
// the list of output files written, which timing mode does not write).
json Figures(json r) {
  for (const char* k :
       {"wall_seconds", "wall_breakdown_s", "simulated_cycles_per_second", "mode", "outputs"}) {
    r.erase(k);
  }
  return r;
}

// The formats the compiler stored the case's weights in ("dense", "simd_groups", "csr", "packed").
std::set<std::string> WeightFormats(const json& report) {
  std::set<std::string> f;
  for (const json& l : report["layers"]) {
    if (l.contains("weight_format") && !l["weight_format"].get<std::string>().empty())
      f.insert(l["weight_format"]);
  }
  return f;
}

TEST_P(ExecMode, TimingGivesTheSameFiguresAsExact) {
  const std::string net = Net();
  if (HasFailure()) return;
  const json exact = Run(net, "exact", dir_ / "exact");
  const json timing = Run(net, "timing", dir_ / "timing");
  EXPECT_EQ(exact["mode"], "exact");
  EXPECT_EQ(timing["mode"], "timing");
  ASSERT_GT(exact["cycles"].get<uint64_t>(), 0u);
  EXPECT_EQ(exact["cycles"], timing["cycles"]);
  EXPECT_EQ(exact["energy_pj"], timing["energy_pj"]);
  EXPECT_EQ(exact["counters"], timing["counters"]);
  EXPECT_EQ(exact["layers"], timing["layers"]);
  EXPECT_EQ(Figures(exact), Figures(timing));
  // The case exercised what it names: a pruned network on a sparse array is stored compressed
  // in at least one layer (where the tile headers matter), 4-bit weights on UNPU packed.
  const std::string variant = GetParam().variant->name;
  const json arch = ReadJson(Src(GetParam().arch));
  if (arch["units"][0]["type"] == "sparse_array" && (variant == "simd" || variant == "simd07")) {
    EXPECT_TRUE(WeightFormats(exact).count("simd_groups")) << exact["layers"].dump();
  }
  if (variant == "packed" && arch["units"][0].value("packed_weights", false)) {
    EXPECT_TRUE(WeightFormats(exact).count("packed")) << exact["layers"].dump();
  }
  if (GetParam().net == "workloads/mobilenet_q4.json") {  // fused groups ran
    EXPECT_FALSE(exact["layers"][0].value("fusion_group", std::string()).empty())
        << exact["layers"][0].dump();
  }
  if (!GetParam().variant->run_args.empty()) {
    EXPECT_EQ(exact["compile"]["objective"], GetParam().variant->run_args.back()) << exact["compile"].dump();
  }
  // Exact mode writes the outputs, timing mode none, and report.json lists what was written.
  EXPECT_FALSE(fs::is_empty(dir_ / "exact" / "outputs"));
  EXPECT_TRUE(fs::is_empty(dir_ / "timing" / "outputs"));
  EXPECT_EQ(exact["outputs"].size(), std::distance(fs::directory_iterator(dir_ / "exact" / "outputs"), {}));
  EXPECT_TRUE(timing["outputs"].empty());
  // Both report where the wall time went and the simulation's speed.
  for (const json* r : {&exact, &timing}) {
    for (const char* phase : {"load", "compile", "elaborate", "simulate"}) {
      EXPECT_TRUE((*r)["wall_breakdown_s"].contains(phase)) << phase;
    }
    EXPECT_GT((*r)["simulated_cycles_per_second"].get<double>(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Shipped, ExecMode, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           std::string n = fs::path(i.param.arch).stem().string() + "_" +
                                           fs::path(i.param.net).stem().string() + "_" +
                                           i.param.variant->name;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

using ExecModeCli = Scratch;

// A timing run into a directory that holds an exact run's outputs removes them: they would
// otherwise pass for values this run computed.
TEST_F(ExecModeCli, TimingRunRemovesStaleOutputs) {
  const std::vector<std::string> base{"--arch", Src("arch/dense_16x16.json"),
                                      "--net",  Src("workloads/tiny_conv.json"),
                                      "--out",  (dir_ / "r").string()};
  std::vector<std::string> args = base;
  ASSERT_EQ(testing::RunNpusim(args, dir_ / "err.txt").exit_code, 0);
  ASSERT_TRUE(fs::exists(dir_ / "r" / "outputs" / "y.npy"));
  args.insert(args.end(), {"--mode", "timing"});
  ASSERT_EQ(testing::RunNpusim(args, dir_ / "err.txt").exit_code, 0);
  EXPECT_FALSE(fs::exists(dir_ / "r" / "outputs" / "y.npy"));
}

TEST_F(ExecModeCli, CheckNeedsExactMode) {
  const testing::ProcessOutcome o =
      testing::RunNpusim({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"),
                          "--out", (dir_ / "r").string(), "--mode", "timing", "--check"},
                         dir_ / "err.txt");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("--check compares output values, which --mode timing does not compute"),
            std::string::npos)
      << o;
  EXPECT_FALSE(fs::exists(dir_ / "r"));
}

TEST_F(ExecModeCli, UnknownModeIsBadUsage) {
  const testing::ProcessOutcome o =
      testing::RunNpusim({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"),
                          "--out", (dir_ / "r").string(), "--mode", "fast"},
                         dir_ / "err.txt");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("--mode: expected exact or timing, got \"fast\""), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(dir_ / "r"));
}

}  // namespace
}  // namespace npusim

// Timing mode against exact mode on random small networks (random_nets.h), pruned at random
// (SIMD groups, unstructured, 2:4 or not at all) and, on UNPU, re-quantized to random weight widths
// (packed in DRAM and buffers), each on a shipped arch: the figures of both modes (cycles, energy,
// MACs, DRAM bytes, and per layer cycles, energy, MACs and DRAM bytes) must be equal. Each
// simulation runs in a forked child (sim/figures.h: SystemC elaborates once per process).
//
//   NPUSIM_MODE_NETS=500 build/tests/integration_test --gtest_filter='ExecModeRandom*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/transforms/precision.h"
#include "config/arch.h"
#include "config/unit_kind_sparse.h"
#include "sim/figures.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

using nlohmann::json;

// The sparse arches twice: their timing depends on the weights, the others' does not.
const std::vector<std::string> kArches = {"scalpel_mcu",   "scalpel_cpu", "scalpel_mcu",
                                          "scalpel_cpu",   "dense_16x16", "tiny_4x4",
                                          "sagar_128x128", "unpu",        "unpu_fixed"};

// One random network for `arch`, as the seed draws it; `what` says how it was made.
core::Graph DrawNet(uint64_t seed, const core::ArchConfig& arch, std::string* what) {
  std::mt19937_64 rng(seed * 7919);
  const std::vector<std::string> methods = {"none", "simd", "simd", "unstructured", "nm"};
  const std::string method = methods[std::uniform_int_distribution<size_t>(0, methods.size() - 1)(rng)];
  const double sparsity = std::uniform_real_distribution<double>(0.2, 0.9)(rng);
  const core::UnitConfig& u = *arch.MatrixUnit();
  const int simd = u.type == "sparse_array" ? u.params<core::SparseConfig>().simd_width : 4;
  core::Graph g = PrunedRandomNet(method, seed, sparsity, simd);
  *what = method + " " + std::to_string(sparsity);
  if (u.type == "bit_serial_array") {
    // Random per-layer widths among those the unit runs.
    std::map<std::string, int> bits;
    for (const std::string& l : compiler::ConvLayers(g)) {
      bits[l] = u.weight_bits[std::uniform_int_distribution<size_t>(0, u.weight_bits.size() - 1)(rng)];
      *what += " " + l + "=" + std::to_string(bits[l]) + "b";
    }
    core::ApplyWeightBits(g, bits, "test");
  }
  return g;
}

TEST(ExecModeRandom, PrunedRandomNetsGiveTheSameFiguresInBothModes) {
  const char* env = std::getenv("NPUSIM_MODE_NETS");
  const int64_t nets = env && *env ? std::stoll(env) : 45;
  int64_t compared = 0;
  std::map<std::string, int64_t> per_arch;
  for (int64_t seed = 1; seed <= nets; ++seed) {
    const std::string name = kArches[static_cast<size_t>(seed) % kArches.size()];
    const core::ArchConfig arch = core::LoadArch(SourcePath("arch/" + name + ".json"));
    std::string what;
    core::Graph g = DrawNet(static_cast<uint64_t>(seed), arch, &what);
    const json exact = sim::FiguresInChild(arch, g, g.name, true, models::ExecMode::kExact);
    const json timing = sim::FiguresInChild(arch, g, g.name, true, models::ExecMode::kTiming);
    ASSERT_FALSE(exact.contains("error"))
        << name << ", seed " << seed << " (" << what << "): " << exact.dump();
    EXPECT_GT(exact["cycles"].get<uint64_t>(), 0u);
    EXPECT_EQ(exact, timing) << name << ", seed " << seed << " (" << what << ")";
    ++compared;
    ++per_arch[name];
  }
  std::cout << "exec modes: " << compared << " random networks, equal figures in exact and timing mode (";
  for (const auto& [a, n] : per_arch) std::cout << " " << a << "=" << n;
  std::cout << " )\n";
  EXPECT_EQ(compared, nets);
}

}  // namespace
}  // namespace npusim::testing

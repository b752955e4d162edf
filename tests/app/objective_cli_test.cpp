// --objective on a unit without per-layer mappings (dense_16x16): it ranks the compiler's fusion
// groups and tilings, and the simulated run shows the trade it asked for.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/npusim_process.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

json RunWith(const std::string& objective) {
  const fs::path d = FreshTempDir("npusim_objective_" + objective);
  const ProcessOutcome o = RunNpusim(
      {"run", "--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/mobilenet_v1_q8.json"),
       "--mode", "timing", "--objective", objective, "--out", (d / "out").string()},
      d / "err.txt");
  EXPECT_EQ(o.exit_code, 0) << o;
  json r = json::parse(ReadFileText(d / "out" / "report.json"));
  fs::remove_all(d);
  return r;
}

// MobileNetV1 (int8) on the 16x16 array spends 88 % of its energy in DRAM: asked for energy, the
// compiler fuses and tiles for less traffic at some cost in cycles (measured: -20 % energy, +5 %
// cycles); asked for EDP, it lowers energy x cycles; asked for cycles, it is the fastest of the
// three. Each report says what it was compiled for.
TEST(ObjectiveCli, EnergyAndEdpTradeCyclesForEnergyOnADenseArray) {
  const json c = RunWith("cycles"), e = RunWith("energy"), p = RunWith("edp");
  EXPECT_EQ(c["compile"], json({{"fusion", "auto"}, {"objective", "cycles"}}));
  EXPECT_EQ(e["compile"]["objective"], "energy");
  EXPECT_EQ(p["compile"]["objective"], "edp");
  const auto cycles = [](const json& r) { return r["cycles"].get<double>(); };
  const auto energy = [](const json& r) { return r["energy_pj"].get<double>(); };
  EXPECT_LT(energy(e), 0.9 * energy(c));
  EXPECT_LT(cycles(p) * energy(p), 0.9 * cycles(c) * energy(c));
  EXPECT_LE(cycles(c), cycles(e));
  EXPECT_LE(cycles(c), cycles(p));
  int fused_c = 0, fused_e = 0;
  for (const json& L : c["layers"]) fused_c += L.contains("fusion_group") ? 1 : 0;
  for (const json& L : e["layers"]) fused_e += L.contains("fusion_group") ? 1 : 0;
  EXPECT_EQ(fused_c, 0);
  EXPECT_GT(fused_e, 0);
}

}  // namespace
}  // namespace npusim::testing

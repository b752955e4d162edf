// core::ArchToJson: the resolved arch that report.json echoes is an arch file that LoadArch reads
// back to the same configuration, for every shipped arch and for every unit kind's own keys.
#include "config/arch_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/error.h"

namespace npusim::core {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Src(const std::string& relative) { return std::string(NPUSIM_SOURCE_DIR) + "/" + relative; }

// Writes `j` to a file of its own and loads it as an arch.
ArchConfig Reload(const json& j, const std::string& name) {
  const fs::path path =
      fs::temp_directory_path() / ("npusim_arch_json_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(path) << j.dump(2);
  ArchConfig a;
  try {
    a = LoadArch(path.string());
  } catch (const ConfigError& e) {
    fs::remove(path);
    ADD_FAILURE() << "the echo of " << name << " does not load: " << e.what();
    return a;
  }
  fs::remove(path);
  return a;
}

class ShippedArch : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedArch, EchoLoadsBackToTheSameConfiguration) {
  const ArchConfig a = LoadArch(Src("arch/" + GetParam()));
  const json echo = ArchToJson(a);
  const ArchConfig b = Reload(echo, GetParam());
  json again = ArchToJson(b);
  // Only the provenance differs: the reloaded arch came from the echo's file.
  again["description"] = echo["description"];
  EXPECT_EQ(again, echo);
  EXPECT_EQ(b.clock_mhz, a.clock_mhz);
  EXPECT_EQ(b.units.at(0).rows, a.units.at(0).rows);
  EXPECT_EQ(b.units.at(0).cols, a.units.at(0).cols);
  EXPECT_EQ(b.units.at(0).dataflow, a.units.at(0).dataflow);
  EXPECT_EQ(b.energy.components.size(), a.energy.components.size());
}

INSTANTIATE_TEST_SUITE_P(Arch, ShippedArch,
                         ::testing::Values("dense_16x16.json", "tiny_4x4.json", "unpu.json",
                                           "unpu_fixed.json", "sagar_128x128.json", "scalpel_mcu.json",
                                           "scalpel_cpu.json"),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// What the echo used to drop (the bit-serial and sparse blocks, packed weights, the operating
// point) and what it used to write that the loader refuses (an energy {"file", "name"} object).
TEST(ArchJson, KeepsEveryUnitKindsOwnKeysAndTheOperatingPoint) {
  const json unpu = ArchToJson(LoadArch(Src("arch/unpu.json")));
  const json& u = unpu["units"][0];
  EXPECT_EQ(u["cores"], 4);
  EXPECT_EQ(u["pes_per_core"], 6);
  EXPECT_EQ(u["tables_per_pe"], 12);
  EXPECT_EQ(u["serial_operand"], "weights");
  EXPECT_EQ(u["packed_weights"], true);
  EXPECT_FALSE(u.contains("rows"));  // derived for a bit-serial array
  EXPECT_EQ(unpu["clock_mhz"], 200);
  EXPECT_EQ(unpu["operating_point"],
            json({{"nominal_voltage_v", 1.1}, {"voltage_v", 1.1}, {"clock_mhz", 200}}));
  EXPECT_TRUE(unpu["energy"]["components"].contains("lbpe"));

  const json mcu = ArchToJson(LoadArch(Src("arch/scalpel_mcu.json")));
  const json& s = mcu["units"][0];
  EXPECT_EQ(s["pes"], 1);
  EXPECT_EQ(s["simd_width"], 4);
  EXPECT_EQ(s["formats"], json({"dense", "simd_groups", "csr"}));
  EXPECT_FALSE(s.contains("packed_weights"));  // a sparse array refuses the key
}

}  // namespace
}  // namespace npusim::core

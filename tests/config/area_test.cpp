// The area model (config/area.h): each component of a hand-sized arch equals its closed form with
// round technology parameters, worked out by hand below; node scaling; the energy file's "area"
// section validated with file and JSON pointer.
#include <gtest/gtest.h>

#include <string>

#include "config/arch.h"
#include "config/area.h"
#include "support/json_util.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;
using testing::ScratchDir;
using testing::SourcePath;
using testing::WriteFile;

Json Param(double value, double node_nm) {
  Json p = {{"value", value}, {"source", "hand-made test value"}};
  if (node_nm > 0) p["node_nm"] = node_nm;
  return p;
}

// Parameters chosen so the closed forms come out in round numbers, all stated at 45 nm:
// adder(b) = 10 (b/8)^1 = 1.25 b (add32 = 40: exponent 1); multiplier(a, b) = 64 (ab/64)^1 = ab
// (mult32 = 1024: exponent 2, halved per operand); a register bit 1, a 2:1 mux bit 0.5; a cell
// 0.25 at 50 % efficiency; per bank and port 100 plus 2 per word bit; +50 % cell per extra port.
Json HandArea(double chip_node_nm) {
  return {{"node_nm", chip_node_nm},
          {"parameters",
           {{"add8_um2", Param(10, 45)},
            {"add32_um2", Param(40, 45)},
            {"mult8_um2", Param(64, 45)},
            {"mult32_um2", Param(1024, 45)},
            {"register_bit_um2", Param(1, 45)},
            {"mux2_bit_um2", Param(0.5, 45)},
            {"sram_bitcell_um2", Param(0.25, 45)},
            {"sram_array_efficiency", Param(0.5, 0)},
            {"sram_bank_periphery_um2", Param(100, 45)},
            {"sram_column_periphery_um2", Param(2, 45)},
            {"sram_port_factor", Param(0.5, 0)}}}};
}

Json InlineEnergy(const Json& area) {
  return {{"version", 1}, {"name", "hand"}, {"components", Json::object()}, {"area", area}};
}

ArchConfig Load(Json arch, const std::string& name, double node_nm = 45) {
  arch["energy"] = InlineEnergy(HandArea(node_nm));
  return LoadArch(arch, ScratchDir() + "/" + name);
}

TEST(Area, TinySystolicArchEqualsItsClosedForm) {
  const ArchConfig arch = Load(ReadJsonFile(SourcePath("arch/tiny_4x4.json")), "tiny.json");
  ASSERT_TRUE(arch.energy.area.present);
  const AreaReport r = ComputeArea(arch);
  // A PE: 8x8 multiplier 64 + 32-bit adder 40 + (8 + 8 + 32) register bits = 152; 4 x 4 of them.
  EXPECT_DOUBLE_EQ(r.by_component_mm2.at("array"), 16 * 152 * 1e-6);
  // ibuf/wbuf: 2048 B, 2 banks, 1 port, 4-byte words: 16384 bits x 0.25 / 0.5 + 2 x (100 + 32 x 2).
  EXPECT_DOUBLE_EQ(r.by_component_mm2.at("ibuf"), (8192 + 2 * 164) * 1e-6);
  EXPECT_DOUBLE_EQ(r.by_component_mm2.at("wbuf"), (8192 + 2 * 164) * 1e-6);
  // abuf/obuf: 1024 B: 4096 + 328.
  EXPECT_DOUBLE_EQ(r.by_component_mm2.at("abuf"), (4096 + 2 * 164) * 1e-6);
  // Post-processor, 4 lanes of 32x32 multiplier 1024 + two 32-bit adders 80 + 64 register bits.
  EXPECT_DOUBLE_EQ(r.by_component_mm2.at("post"), 4 * (1024 + 80 + 64) * 1e-6);
  EXPECT_DOUBLE_EQ(r.total_mm2, (2432 + 2 * 8520 + 2 * 4424 + 4672) * 1e-6);
}

TEST(Area, ExtraPortsWidenCellsAndPeriphery) {
  Json j = ReadJsonFile(SourcePath("arch/tiny_4x4.json"));
  j["buffers"][0]["ports"] = 3;
  const AreaReport r = ComputeArea(Load(j, "tiny3.json"));
  // Cells x (1 + 0.5 x 2), periphery per bank and port.
  EXPECT_DOUBLE_EQ(r.by_component_mm2.at("ibuf"), (8192 * 2 + 2 * 3 * 164) * 1e-6);
}

TEST(Area, NodeScalesAreasAsFeatureSizeSquared) {
  const Json tiny = ReadJsonFile(SourcePath("arch/tiny_4x4.json"));
  const AreaReport at45 = ComputeArea(Load(tiny, "t45.json", 45));
  const AreaReport at90 = ComputeArea(Load(tiny, "t90.json", 90));
  // Every parameter but the ratios is an area: everything scales by (90 / 45)^2.
  EXPECT_DOUBLE_EQ(at90.total_mm2, 4 * at45.total_mm2);
}

TEST(Area, BitSerialArrayEqualsItsClosedForm) {
  Json j = ReadJsonFile(SourcePath("arch/unpu.json"));
  Json& u = j["units"][0];
  u["cores"] = 2;
  u["pes_per_core"] = 1;
  u["tables_per_pe"] = 2;
  u["lut_group"] = 2;
  u["outputs_per_pe"] = 2;
  u["input_bits"] = {8};
  const ArchConfig arch = Load(j, "bs.json");
  // Entries of 8 + ceil(log2 2) = 9 bits, 4 per table. Tables: 2 x (2 x 4 x 9 register bits +
  // a 9-bit adder 11.25) = 166.5. A stream: 2 x (27 mux bits 13.5 + adder 11.25) + a 32-bit adder
  // and register 40 + 32 = 121.5. An LBPE: 166.5 + 2 x 121.5 = 409.5; two of them; aggregation:
  // 1 PE position x 2 streams x (2 - 1) cores x 40.
  EXPECT_DOUBLE_EQ(ComputeArea(arch).by_component_mm2.at("lbpe"), (2 * 409.5 + 80) * 1e-6);

  u["serial_operand"] = "none";
  u["weight_bits"] = {8};
  u["packed_weights"] = false;
  // 2 x 1 x 2 x 2 x 2 = 16 bit-parallel 8x8 MAC PEs of 152, plus the aggregation 80.
  EXPECT_DOUBLE_EQ(ComputeArea(Load(j, "bs_none.json")).by_component_mm2.at("lbpe"), (16 * 152 + 80) * 1e-6);
}

TEST(Area, SparseArrayEqualsItsClosedForm) {
  Json j = ReadJsonFile(SourcePath("arch/scalpel_cpu.json"));
  Json& u = j["units"][0];
  u["pes"] = 2;
  u["simd_width"] = 4;
  u["index_bits"] = 4;
  // A PE: 4 x (multiplier 64 + adder 40) + (4 x 16 + 32) register bits + index decoder (a 4-bit
  // adder 5 + 4 register bits) + gather (32 mux bits 16) = 416 + 96 + 25.
  EXPECT_DOUBLE_EQ(ComputeArea(Load(j, "sp.json")).by_component_mm2.at("simd"), 2 * 537 * 1e-6);
}

TEST(Area, ReconfigurableArrayEqualsItsClosedForm) {
  Json j = ReadJsonFile(SourcePath("arch/sagar_128x128.json"));
  Json& u = j["units"][0];
  u["sub_rows"] = 2;
  u["sub_cols"] = 2;
  u["grid_rows"] = 2;
  u["grid_cols"] = 2;
  // A sub-array: 4 PEs of 152 + bypass muxes on 2 x 8 input and 2 x 32 partial-sum bits (80 x 0.5).
  EXPECT_DOUBLE_EQ(ComputeArea(Load(j, "rc.json")).by_component_mm2.at("sagar"), 4 * (608 + 40) * 1e-6);
}

TEST(Area, ShippedArchsHaveAnArea) {
  for (const char* a :
       {"arch/dense_16x16.json", "arch/tiny_4x4.json", "arch/unpu.json", "arch/unpu_fixed.json",
        "arch/sagar_128x128.json", "arch/scalpel_cpu.json", "arch/scalpel_mcu.json"}) {
    const ArchConfig arch = LoadArch(SourcePath(a));
    ASSERT_TRUE(arch.energy.area.present) << a;
    const AreaReport r = ComputeArea(arch);
    EXPECT_GT(r.total_mm2, 0) << a;
    EXPECT_EQ(r.by_component_mm2.size(), arch.buffers.size() + arch.units.size() + 1) << a;
  }
}

// The section in an energy file of its own: problems name that file and the JSON pointer.
TEST(Area, BadSectionNamesTheEnergyFileAndPointer) {
  Json area = HandArea(45);
  area["parameters"].erase("mult8_um2");
  area["parameters"]["sram_port_factor"]["node_nm"] = 45;
  area["parameters"]["add8_um2"].erase("node_nm");
  area["parameters"]["sram_array_efficiency"]["value"] = 1.5;
  area["parameters"]["adder_um2"] = Param(1, 45);
  area["node_nm"] = -3;
  const std::string dir = ScratchDir();  // a fresh directory at each call: once
  const std::string energy = WriteFile(dir + "/bad_area_energy.json", InlineEnergy(area).dump());
  Json arch = ReadJsonFile(SourcePath("arch/tiny_4x4.json"));
  arch["energy"] = energy;
  const std::string arch_path = WriteFile(dir + "/bad_area_arch.json", arch.dump());
  const auto problems = ProblemsOf([&] { LoadArch(arch_path); });
  EXPECT_TRUE(HasProblem(problems, energy, "/area/parameters/mult8_um2", "missing required key"));
  EXPECT_TRUE(HasProblem(problems, energy, "/area/parameters/sram_port_factor/node_nm", "expected no node"));
  EXPECT_TRUE(HasProblem(problems, energy, "/area/parameters/add8_um2/node_nm", "missing required key"));
  EXPECT_TRUE(HasProblem(problems, energy, "/area/parameters/sram_array_efficiency/value", "fraction"));
  EXPECT_TRUE(HasProblem(problems, energy, "/area/parameters/adder_um2", "unknown key"));
  EXPECT_TRUE(HasProblem(problems, energy, "/area/node_nm", "expected"));
}

// Inline in the arch (tests/data/bad/arch_bad_area.json): problems name the arch file and point
// under /energy/area, all reported at once.
TEST(Area, BadInlineSectionNamesTheArchFileAndPointer) {
  const std::string path = SourcePath("tests/data/bad/arch_bad_area.json");
  const auto problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(HasProblem(problems, path, "/energy/area/parameters/mult32_um2", "missing required key"));
  EXPECT_TRUE(HasProblem(problems, path, "/energy/area/parameters/flipflop_um2", "unknown key"));
  EXPECT_TRUE(HasProblem(problems, path, "/energy/area/parameters/register_bit_um2/value", "got -1"));
  EXPECT_TRUE(
      HasProblem(problems, path, "/energy/area/parameters/sram_port_factor/node_nm", "expected no node"));
  EXPECT_TRUE(HasProblem(problems, path, "/energy/area/node_nm", "\"65nm\""));
  EXPECT_EQ(problems.size(), 5u) << testing::ToString(problems);
}

TEST(Area, EchoLoadsBackToTheSameArea) {
  const ArchConfig arch = LoadArch(SourcePath("arch/unpu.json"));
  const Json echo = AreaTableToJson(arch.energy.area);
  Json j = ReadJsonFile(SourcePath("arch/unpu.json"));
  j["energy"] = InlineEnergy(echo);
  const ArchConfig again = LoadArch(j, ScratchDir() + "/unpu_echo.json");
  EXPECT_DOUBLE_EQ(ComputeArea(again).total_mm2, ComputeArea(arch).total_mm2);
}

}  // namespace
}  // namespace npusim::core

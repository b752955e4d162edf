// The "bit_serial_array" unit type and the operating point in arch files (config/arch.cpp), on the
// shipped arch/unpu.json and on edited copies of it.
#include <gtest/gtest.h>

#include "config/arch.h"
#include "config/unit_kind_bit_serial.h"
#include "support/json_util.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;
using testing::ScratchDir;
using testing::SourcePath;
using testing::WriteFile;

Json UnpuJson() { return ReadJsonFile(SourcePath("arch/unpu.json")); }

// Writes `j` next to the energy file it names (copied by absolute path) and returns the path.
std::string WriteArch(Json j, const std::string& name) {
  j["energy"] = SourcePath("arch/energy/unpu_65nm.json");
  return WriteFile(ScratchDir() + "/" + name, j.dump());
}

TEST(BitSerialArch, LoadsUnpu) {
  const ArchConfig arch = LoadArch(SourcePath("arch/unpu.json"));
  const UnitConfig* u = arch.MatrixUnit();
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->type, "bit_serial_array");
  EXPECT_EQ(u->name, "lbpe");
  EXPECT_EQ(u->params<core::BitSerialConfig>().cores, 4);
  EXPECT_EQ(u->params<core::BitSerialConfig>().pes_per_core, 6);
  EXPECT_EQ(u->params<core::BitSerialConfig>().tables_per_pe, 12);
  EXPECT_EQ(u->params<core::BitSerialConfig>().lut_group, 3);
  EXPECT_EQ(u->params<core::BitSerialConfig>().outputs_per_pe, 16);
  EXPECT_EQ(u->params<core::BitSerialConfig>().serial_operand, "weights");
  EXPECT_TRUE(u->params<core::BitSerialConfig>().one_bit_mode);
  // Derived: K per pass of all cores (4 x 12 x 3) and output streams per LBPE.
  EXPECT_EQ(u->rows, 144);
  EXPECT_EQ(u->cols, 16);
  EXPECT_EQ(u->weight_bits.size(), 16u);
  EXPECT_EQ(arch.clock_mhz, 200);
  EXPECT_DOUBLE_EQ(arch.operating_point.voltage_v, 1.1);
  EXPECT_DOUBLE_EQ(arch.dynamic_energy_scale(), 1.0);
  EXPECT_DOUBLE_EQ(arch.leakage_energy_scale(), 1.0);
  for (const char* a : {"lookup_add", "accumulate_bit", "table_entry", "aggregate_add", "leak_per_cycle"}) {
    EXPECT_TRUE(arch.energy.components.at("lbpe").count(a)) << a;
  }
}

TEST(BitSerialArch, OperatingPointScalesEnergy) {
  Json j = UnpuJson();
  j["operating_point"] = {{"nominal_voltage_v", 1.1}, {"voltage_v", 0.55}, {"clock_mhz", 50}};
  const ArchConfig arch = LoadArch(WriteArch(j, "unpu_low.json"));
  EXPECT_DOUBLE_EQ(arch.clock_mhz, 50);
  EXPECT_DOUBLE_EQ(arch.nominal_clock_mhz, 200);
  EXPECT_DOUBLE_EQ(arch.dynamic_energy_scale(), 0.25);            // (0.55 / 1.1)^2
  EXPECT_DOUBLE_EQ(arch.leakage_energy_scale(), 0.5 * 200 / 50);  // V ratio x clock ratio
}

TEST(BitSerialArch, ReportsBadGeometry) {
  Json j = UnpuJson();
  j["units"][0]["lut_group"] = 9;
  j["units"][0]["serial_operand"] = "bits";
  j["units"][0]["rows"] = 16;  // systolic keys are not bit-serial keys
  j["units"][0].erase("cores");
  const std::string path = WriteArch(j, "unpu_bad.json");
  const auto problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/lut_group", "expected an integer in 1..8, got 9"));
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/serial_operand",
                         "expected one of weights|activations|both|none, got \"bits\""));
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/rows", "unknown key \"rows\""));
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/cores", "missing required key \"cores\""));
}

TEST(BitSerialArch, ReportsBadOperatingPoint) {
  Json j = UnpuJson();
  j["operating_point"] = {{"voltage_v", -1}, {"volts", 1}};
  const std::string path = WriteArch(j, "unpu_badop.json");
  const auto problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(
      HasProblem(problems, path, "/operating_point/voltage_v", "expected a finite number > 0, got -1"));
  EXPECT_TRUE(HasProblem(problems, path, "/operating_point/nominal_voltage_v",
                         "missing required key \"nominal_voltage_v\""));
  EXPECT_TRUE(HasProblem(problems, path, "/operating_point/volts", "unknown key \"volts\""));
}

}  // namespace
}  // namespace npusim::core

// The compile's objective (compiler/passes/objective.h): how it ranks plans, and the energy terms
// that tell plans apart, against their closed forms on a shipped arch.
#include "compiler/passes/objective.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "config/arch.h"

namespace npusim::compiler {
namespace {

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

TEST(Objective, CyclesRanksByCyclesThenDramBytes) {
  const Objective o("cycles");
  EXPECT_TRUE(o.Better({9, 100, 1e9}, {10, 0, 0}));
  EXPECT_TRUE(o.Better({10, 5, 1e9}, {10, 6, 0}));
  EXPECT_FALSE(o.Better({10, 6, 0}, {10, 6, 0}));
}

TEST(Objective, EnergyRanksByEnergyThenCycles) {
  const Objective o("energy");
  EXPECT_TRUE(o.Better({10, 0, 5.0}, {5, 0, 6.0}));
  EXPECT_TRUE(o.Better({5, 9, 6.0}, {6, 0, 6.0}));
}

// Without a reference EDP is the product; with one, its first-order change around it.
TEST(Objective, EdpRanksByTheProductOrItsLinearisation) {
  Objective o("edp");
  EXPECT_TRUE(o.Better({10, 0, 10.0}, {5, 0, 21.0}));  // 100 < 105
  EXPECT_FALSE(o.Better({5, 0, 21.0}, {10, 0, 10.0}));
  o.SetReference({10, 0, 10.0});
  EXPECT_TRUE(o.Better({11, 0, 8.5}, {10, 0, 10.0}));   // 1.1 + 0.85 < 1.0 + 1.0
  EXPECT_FALSE(o.Better({11, 0, 9.0}, {10, 0, 10.0}));  // equal sums: fewer cycles wins
  EXPECT_THROW(Objective("fast"), std::logic_error);
}

// arch/dense_16x16.json: DDR4-2400 (x8 devices, 8 per rank; tCK = 1/1.2 ns; BL 8 = 4 cycles; 64-byte
// accesses; rows of 128 accesses) with the Micron MT40A1G8 currents of the preset, and the
// Horowitz 45 nm table (buffers of 16-byte words, a 64-byte DMA burst at 5 pJ).
TEST(Objective, PlanEnergyOfDense16x16IsItsClosedForm) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/dense_16x16.json"));
  const PlanEnergy e = PlanEnergyOf(arch, *arch.MatrixUnit());
  const double tck_v_devices = 1.2 / 1.2 * 8;  // VDD x tCK (ns) x devices: mA -> pJ
  const double rd = (135 - 43) * 4 * tck_v_devices, wr = (123 - 43) * 4 * tck_v_devices;
  const double act = (48.0 * 55 - 43.0 * 39 - 34.0 * (55 - 39)) * tck_v_devices;
  EXPECT_NEAR(e.per_access_byte, (rd + wr) / 2 / 64 + act / (128 * 64), 1e-9);
  // The DMA's burst per byte, and a byte staged through obuf (read, 28.28 pJ per word) or ibuf
  // (written, 40 pJ per word).
  EXPECT_NEAR(e.per_byte, 5.0 / 64 + (28.28 / 16 + 40.0 / 16) / 2, 1e-9);
  // Leakage of array, ibuf, wbuf, abuf, obuf and post, and the DRAM's active background (IDD3N)
  // for 1200 / 500 DRAM cycles per NPU cycle.
  EXPECT_NEAR(e.per_cycle, 5.12 + 6.4 + 6.4 + 3.2 + 3.2 + 0.8 + 43 * tck_v_devices * 1200 / 500, 1e-9);
  EXPECT_NEAR(e.in_read, 40.0 / 16, 1e-12);
  EXPECT_NEAR(e.Of(100, 64, 128), 100 * e.per_cycle + 64 * e.per_byte + 128 * e.per_access_byte, 1e-9);
}

}  // namespace
}  // namespace npusim::compiler

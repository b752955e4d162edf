// The compute units inside the Npu: an instruction takes exactly its timing kernel's cycles, and
// the data path really reads the buffers the compiler chose (a wrong address is a wrong output).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "app/app.h"
#include "compiler/compiler.h"
#include "compiler/transforms/prune.h"
#include "config/arch.h"
#include "ir/net_loader.h"
#include "models/npu.h"
#include "models/sparse_array.h"
#include "models/timing/post_timing.h"
#include "models/timing/systolic_timing.h"
#include "models/timing/unit_timing.h"
#include "reference/executor.h"
#include "support/stats.h"
#include "tests/integration/harness.h"

namespace npusim::models {
namespace {

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

TEST(SystolicArrayModule, ConvInstructionTakesTheClosedFormCycles) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/dense_16x16.json"));
  isa::Program p;
  p.dram_bytes_used = 64;
  isa::Instruction in;
  in.op = isa::Opcode::kConv;
  isa::ConvArgs& c = in.conv();
  c.in_addr = isa::BufferBase(0);
  c.w_addr = isa::BufferBase(1);
  c.acc_addr = isa::BufferBase(2);
  c.in_h = 7, c.in_w = 5, c.in_c = 20, c.out_h = 5, c.out_w = 3, c.out_c = 37, c.kh = c.kw = 3;
  p.instructions.push_back(in);
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  const RunResult r = npu.Run();
  timing::GemmShape g;
  g.m = 15, g.k = 20 * 9, g.n = 37;
  EXPECT_EQ(r.cycles, static_cast<uint64_t>(timing::SystolicWsCycles(16, 16, g)));
  EXPECT_EQ(stats.Find("array", "mac_8b")->total, 15u * 180 * 37);
  EXPECT_EQ(stats.Find("array", "idle_pe_cycle")->total, r.cycles * 256 - 15u * 180 * 37);
}

// One REQUANT of 33 x 5 accumulators from abuf to obuf of dense_16x16, to `out_type`.
isa::Program OneRequant(isa::ElemType out_type) {
  isa::Program p;
  p.dram_bytes_used = 64;
  isa::Instruction in;
  in.op = isa::Opcode::kRequant;
  in.requant().acc_addr = isa::BufferBase(2);
  in.requant().params_addr = isa::BufferBase(1);
  in.requant().out_addr = isa::BufferBase(3);
  in.requant().count = 33;
  in.requant().channels = 5;
  in.requant().out_type = out_type;
  p.instructions.push_back(in);
  return p;
}

TEST(PostProcessorModule, RequantTakesPipelinePlusValuesOverLanes) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/dense_16x16.json"));
  const isa::Program p = OneRequant(isa::ElemType{});
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  const uint64_t cycles = npu.Run().cycles;
  EXPECT_EQ(cycles, static_cast<uint64_t>(timing::PostElementwiseCycles(16, 4, 165)));
  EXPECT_EQ(cycles, 4u + 11);  // 4 pipeline cycles + ceil(165 / 16 lanes)
}

// A REQUANT to int32 is the pass-through: the same pipeline timing, counted as `pass`; it writes
// 4 bytes per value into obuf (16-byte words: 165 * 4 / 16 = 41.25, so 42 words) and reads no
// parameters.
TEST(PostProcessorModule, PassThroughTakesTheSameCyclesAndWritesFourBytesPerValue) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/dense_16x16.json"));
  const isa::Program p = OneRequant(isa::ElemType{32, true});
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  EXPECT_EQ(npu.Run().cycles, 4u + 11);  // 4 pipeline cycles + ceil(165 / 16 lanes)
  EXPECT_EQ(stats.Find("post", "pass")->total, 165u);
  EXPECT_EQ(stats.Find("post", "requant")->total, 0u);
  EXPECT_EQ(stats.Find("obuf", "write")->total, 42u);
  EXPECT_EQ(stats.Find("wbuf", "read")->total, 0u);
}

// docs/design-decisions.md: outputs come from the bytes the DMA moved to the addresses the
// compiler chose. Shift one input load by one element and the output must change.
TEST(DataPath, MisaddressedLoadGivesWrongOutputs) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/tiny_4x4.json"));
  const core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  isa::Program p = compiler::Compile(g, arch, "tiny_conv");
  bool mutated = false;
  for (isa::Instruction& in : p.instructions) {
    if (in.op == isa::Opcode::kLoad && in.dma().src == p.inputs[0].addr && !mutated) {
      in.dma().src += 1;
      mutated = true;
    }
  }
  ASSERT_TRUE(mutated);
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  npu.WriteInputs({{"x", *g.tensor("x").data}});
  const RunResult r = npu.Run();
  const reference::TensorMap ref = reference::Run(g, {}, reference::Options{});
  EXPECT_NE(r.outputs.at("y"), ref.at("y"));
}

// A sparse array's cycles come from the row entry counts its CONV instructions carry
// (isa::Program::weight_tile_rows), in both modes: with row 0 of weight tile 0 raised by three
// entries, timing mode (where the DMA moves no bytes and the buffers hold zeros) spends exactly
// three entries more per output pixel of every CONV on that tile. Exact mode checks the count
// against the row header the DMA brought and stops the simulation when they disagree, naming the
// unit and the instruction.
isa::Program PrunedConvOnScalpel(const core::ArchConfig& arch, int64_t extra_entries) {
  testing::GraphBuilder b(7);
  const std::string x = b.Input({1, 6, 6, 16});
  b.Conv(x, 8, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kRelu);
  core::Graph g = b.Build();
  compiler::PruneSimdGroups(g, 4, {{"op0", 0.5}});
  isa::Program p = compiler::Compile(g, arch, "pruned");
  p.weight_tile_rows.at(0).at(0) += extra_entries;
  return p;
}

core::ArchConfig SimdGroupsOnly() {
  core::ArchConfig arch = core::LoadArch(Src("arch/scalpel_mcu.json"));
  arch.units[0].params<core::SparseConfig>().formats = {core::WeightFormat::kSimdGroups};
  return arch;
}

RunResult RunOnce(const core::ArchConfig& arch, const isa::Program& p, ExecMode mode) {
  sim::ConfigureSystemCReports();
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats, mode);
  return npu.Run();
}

// The message of the SC_REPORT_FATAL that stops a run, or "" when it completes.
std::string FatalOf(const core::ArchConfig& arch, const isa::Program& p, ExecMode mode) {
  try {
    RunOnce(arch, p, mode);
  } catch (const sc_core::sc_report& e) {
    return e.what();
  }
  return "";
}

TEST(SparseArrayModule, TimingModeCyclesFollowTheInstructionsRowEntries) {
  const core::ArchConfig arch = SimdGroupsOnly();
  const core::UnitConfig& u = arch.units[0];
  const isa::Program honest = PrunedConvOnScalpel(arch, 0);
  const isa::Program raised = PrunedConvOnScalpel(arch, 3);
  int64_t closed_form = 0, honest_form = 0, tile0_pixels = 0;
  for (size_t i = 0; i < raised.instructions.size(); ++i) {
    if (raised.instructions[i].op != isa::Opcode::kConv) continue;
    const isa::ConvArgs& c = raised.instructions[i].conv();
    closed_form += SparseArray::CyclesOf(u, c, raised.weight_tile_rows.at(c.w_tile));
    honest_form +=
        SparseArray::CyclesOf(u, honest.instructions[i].conv(), honest.weight_tile_rows.at(c.w_tile));
    if (c.w_tile == 0) tile0_pixels += c.out_h * c.out_w;
  }
  // One PE (scalpel_mcu): row 0's PE is the busiest; an entry costs 1 + decode_cycles.
  ASSERT_GT(tile0_pixels, 0);
  const int decode_cycles = u.params<core::SparseConfig>().decode_cycles;
  EXPECT_EQ(closed_form, honest_form + 3 * (1 + decode_cycles) * tile0_pixels);
  uint64_t busy = 0;
  for (const auto& b : RunOnce(arch, raised, ExecMode::kTiming).layer_busy)
    busy += b[static_cast<int>(isa::Queue::kCompute)];
  EXPECT_EQ(busy, static_cast<uint64_t>(closed_form));
}

TEST(SparseArrayModule, ExactModeStopsWhenTheBufferHeadersDisagreeWithTheInstruction) {
  const core::ArchConfig arch = SimdGroupsOnly();
  const isa::Program raised = PrunedConvOnScalpel(arch, 3);
  const std::string what = FatalOf(arch, raised, ExecMode::kExact);
  EXPECT_NE(what.find("npu.simd"), std::string::npos) << what;
  EXPECT_NE(what.find("row 0 of weight tile 0 has"), std::string::npos) << what;
  EXPECT_NE(what.find("the instruction says"), std::string::npos) << what;
  EXPECT_NE(what.find("CONV"), std::string::npos) << what;
}

// Timing mode moves no bytes, but a sparse array still checks that every operand of a CONV lies
// inside a buffer: accumulators placed across the end of abuf stop the simulation.
TEST(SparseArrayModule, TimingModeStillChecksOperandRanges) {
  const core::ArchConfig arch = SimdGroupsOnly();
  isa::Program p = PrunedConvOnScalpel(arch, 0);
  for (isa::Instruction& in : p.instructions) {
    if (in.op != isa::Opcode::kConv) continue;
    in.conv().acc_addr = isa::BufferBase(2) + static_cast<uint64_t>(arch.buffers[2].size_bytes) - 4;
    break;
  }
  const std::string what = FatalOf(arch, p, ExecMode::kTiming);
  EXPECT_NE(what.find("npu.simd"), std::string::npos) << what;
  EXPECT_NE(what.find("access outside every buffer"), std::string::npos) << what;
}

// Each unit kind's timing facet lists the energy actions its module counts (besides the
// leak_per_cycle the Npu counts for every component): tools and checks can ask the kind.
class UnitEnergyActions : public ::testing::TestWithParam<std::string> {};

TEST_P(UnitEnergyActions, AreTheCountersTheModuleRegisters) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/" + GetParam()));
  const core::UnitConfig& u = *arch.MatrixUnit();
  isa::Program p;
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  std::vector<std::string> counted;
  for (const core::Counter& c : stats.counters()) {
    if (c.component == u.name && c.action != "leak_per_cycle") counted.push_back(c.action);
  }
  std::vector<std::string> listed = timing::UnitTimingOf(u).EnergyActions(u);
  std::sort(counted.begin(), counted.end());
  std::sort(listed.begin(), listed.end());
  EXPECT_FALSE(listed.empty());
  EXPECT_EQ(listed, counted);
}

INSTANTIATE_TEST_SUITE_P(Arch, UnitEnergyActions,
                         ::testing::Values("dense_16x16.json", "unpu.json", "unpu_fixed.json",
                                           "sagar_128x128.json", "scalpel_mcu.json"),
                         [](const auto& info) { return info.param.substr(0, info.param.find('.')); });

}  // namespace
}  // namespace npusim::models

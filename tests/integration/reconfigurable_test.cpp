// The reconfigurable (SARA-style) array end to end: networks compiled for arch/sagar_128x128.json
// shrunk to a 16x16 array of 4x4 sub-arrays (a 4x4 grid, so every partition is reachable with
// small layers), with the partition and dataflow forced in turn. Every partition and dataflow
// must give the reference executor's integers, and the array must have spent exactly the
// closed-form cycles of the instructions it ran (partition timing plus reconfiguration). One
// simulation per test (one SystemC elaboration per process).
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "isa/instruction.h"
#include "models/reconfigurable_array.h"
#include "support/error.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

// arch/sagar_128x128.json with a grid of grid x grid 4x4 sub-arrays.
core::ArchConfig Sagar(int grid = 4) {
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/sagar_128x128.json"));
  core::UnitConfig& u = arch.units[0];
  u.params<core::ReconfigConfig>().grid_rows = u.params<core::ReconfigConfig>().grid_cols = grid;
  u.rows = u.cols = 4 * grid;
  return arch;
}

uint64_t SimulatedComputeCycles(const models::RunResult& run) {
  uint64_t cycles = 0;
  for (const auto& busy : run.layer_busy) cycles += busy[static_cast<int>(isa::Queue::kCompute)];
  return cycles;
}

void ExpectRun(const core::Graph& g, const core::ArchConfig& arch, bool expect_spread) {
  const Outcome o = SimulateAndReference(g, arch);
  ExpectBitExact(g, o, expect_spread);
  EXPECT_EQ(SimulatedComputeCycles(o.run),
            static_cast<uint64_t>(models::ReconfigurableArray::StreamCycles(arch.units[0], o.program)));
}

// A net (one input: GraphBuilder names every input "x") with a layer smaller than one 4x4
// sub-array (op0: 1x1 conv 3 -> 2 on a 2x1 image: M = 2, K = 3, N = 2), layers far larger than
// the 16x16 array along N (op1: 3 -> 300) and along K and N (op3: FC 300 -> 70), a 3x3 conv and
// a depthwise layer (op5).
core::Graph TinyAndHuge(uint64_t seed) {
  GraphBuilder b(seed);
  const std::string x = b.Input({1, 2, 1, 3});
  b.Conv(x, 2, 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kNone);
  const std::string wide = b.Conv(x, 300, 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kRelu);
  const std::string flat = b.Reshape(wide, {2, 300});
  b.FullyConnected(flat, 70, core::Activation::kNone);
  const std::string y4 = b.Conv(x, 24, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kRelu);
  b.Conv(y4, 24, 3, 1, 1, {1, 1, 1, 1}, 24, core::Activation::kNone);
  return b.Build();
}

// Partition (pr, pc) x dataflow, split left to the mapper.
class ForcedPartitionTest : public ::testing::TestWithParam<std::tuple<int, int, int>> {};

const char* const kDataflows[] = {"ws", "os", "is"};
const int kSides[] = {1, 2, 4};

TEST_P(ForcedPartitionTest, OutputsEqualReferenceAndCyclesEqualClosedForm) {
  const auto [r, c, d] = GetParam();
  core::ArchConfig arch = Sagar();
  core::MappingForce& f = arch.units[0].params<core::ReconfigConfig>().force;
  f.pr = kSides[r];
  f.pc = kSides[c];
  f.dataflow = kDataflows[d];
  const core::Graph g = TinyAndHuge(7);
  const Outcome o = SimulateAndReference(g, arch);
  ExpectBitExact(g, o, false);
  EXPECT_EQ(SimulatedComputeCycles(o.run),
            static_cast<uint64_t>(models::ReconfigurableArray::StreamCycles(arch.units[0], o.program)));
  for (const isa::Instruction& in : o.program.instructions) {
    if (in.op != isa::Opcode::kConv) continue;
    EXPECT_EQ(in.conv().part_rows, f.pr);
    EXPECT_EQ(in.conv().part_cols, f.pc);
    EXPECT_STREQ(isa::DataflowName(in.conv().dataflow), f.dataflow.c_str());
  }
}

std::string ParamName(const ::testing::TestParamInfo<std::tuple<int, int, int>>& info) {
  return std::to_string(kSides[std::get<0>(info.param)]) + "x" +
         std::to_string(kSides[std::get<1>(info.param)]) + "_" + kDataflows[std::get<2>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Partitions, ForcedPartitionTest,
                         ::testing::Combine(::testing::Range(0, 3), ::testing::Range(0, 3),
                                            ::testing::Range(0, 3)),
                         ParamName);

// Each split axis forced on 4 arrays (2x2): M, N, K, and mixed.
class ForcedSplitTest : public ::testing::TestWithParam<std::tuple<int, int>> {};
const int64_t kSplits[][3] = {{4, 1, 1}, {1, 4, 1}, {1, 1, 4}, {2, 2, 1}, {1, 2, 2}};

TEST_P(ForcedSplitTest, OutputsEqualReference) {
  const auto [s, d] = GetParam();
  core::ArchConfig arch = Sagar();
  core::MappingForce& f = arch.units[0].params<core::ReconfigConfig>().force;
  f.pr = f.pc = 2;
  f.pm = kSplits[s][0];
  f.pn = kSplits[s][1];
  f.pk = kSplits[s][2];
  f.dataflow = kDataflows[d];
  // A K split cannot apply to the depthwise layer: force it only for the other layers.
  core::Graph g = TinyAndHuge(11);
  if (f.pk > 1) {
    core::MappingForce dw;
    dw.pr = dw.pc = 2;
    dw.pm = 2, dw.pn = 2, dw.pk = 1;
    arch.units[0].params<core::ReconfigConfig>().layer_force[g.ops[5].name] = dw;
  }
  ExpectRun(g, arch, false);
}

INSTANTIATE_TEST_SUITE_P(Splits, ForcedSplitTest,
                         ::testing::Combine(::testing::Range(0, 5), ::testing::Range(0, 3)),
                         [](const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
                           const int64_t* s = kSplits[std::get<0>(info.param)];
                           return "m" + std::to_string(s[0]) + "n" + std::to_string(s[1]) + "k" +
                                  std::to_string(s[2]) + "_" + kDataflows[std::get<1>(info.param)];
                         });

// Free choice, per layer, on random nets and on the full 128x128 SAGAR geometry.
TEST(ReconfigurableArray, MapperChoiceOnRandomNetsEqualsReference) {
  ExpectRun(RandomNet(1000), Sagar(), true);
}

TEST(ReconfigurableArray, FullSagarGeometryEqualsReference) { ExpectRun(TinyAndHuge(5), Sagar(32), false); }

TEST(ReconfigurableArray, ReconfigurationIsChargedWhenThePartitionChanges) {
  core::ArchConfig arch = Sagar();
  arch.units[0].params<core::ReconfigConfig>().reconfig_cycles = 1000;
  core::Graph g = TinyAndHuge(3);
  // Alternate partitions layer by layer: every layer change reconfigures.
  core::MappingForce a, b;
  a.pr = 2, a.pc = 1, a.pm = 2, a.pn = 1, a.pk = 1;  // the split is part of the partition
  b.pr = 1, b.pc = 2, b.pm = 1, b.pn = 2, b.pk = 1;
  auto& layer_force = arch.units[0].params<core::ReconfigConfig>().layer_force;
  layer_force[g.ops[0].name] = a;
  layer_force[g.ops[1].name] = b;
  layer_force[g.ops[3].name] = a;  // op2 is a reshape: no instruction
  layer_force[g.ops[4].name] = b;
  layer_force[g.ops[5].name] = b;
  const Outcome o = SimulateAndReference(g, arch);
  ExpectBitExact(g, o, false);
  int64_t without = 0;
  for (const isa::Instruction& in : o.program.instructions) {
    if (in.op == isa::Opcode::kConv)
      without += models::ReconfigurableArray::CyclesOf(arch.units[0], in.conv());
  }
  // Four partition changes (monolithic -> a -> b -> a -> b, b again), 1000 cycles each.
  EXPECT_EQ(SimulatedComputeCycles(o.run), static_cast<uint64_t>(without + 4 * 1000));
}

}  // namespace
}  // namespace npusim::testing

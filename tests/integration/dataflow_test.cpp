// Every dataflow end to end: random small networks compiled for and simulated on dense_16x16 with
// units[0].dataflow set to "ws", "os" or "is". The dataflow changes timing (and, through the
// compiler's cost model, the tiling), never the integers: every layer's output must equal the
// reference executor's, and the array must have spent exactly the chosen dataflow's closed-form
// cycles on the program's compute instructions. One simulation per test (one SystemC elaboration
// per process).
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <tuple>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "isa/instruction.h"
#include "models/systolic_array.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

const char* const kDataflows[] = {"ws", "os", "is"};
// The first seeds of end_to_end_test.cpp's nets, whose outputs are known not to be degenerate.
constexpr int kSeeds = 4;

core::ArchConfig DenseWith(const std::string& dataflow) {
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/dense_16x16.json"));
  arch.units[0].dataflow = dataflow;
  return arch;
}

// Cycles the unit's closed form gives for all CONV instructions of `program`.
uint64_t ClosedFormComputeCycles(const isa::Program& program, const core::UnitConfig& unit) {
  uint64_t cycles = 0;
  for (const isa::Instruction& in : program.instructions) {
    if (in.op != isa::Opcode::kConv) continue;
    cycles += static_cast<uint64_t>(models::SystolicArray::CyclesOf(unit, in.conv()));
  }
  return cycles;
}

uint64_t SimulatedComputeCycles(const models::RunResult& run) {
  uint64_t cycles = 0;
  for (const auto& busy : run.layer_busy) cycles += busy[static_cast<int>(isa::Queue::kCompute)];
  return cycles;
}

void ExpectDataflowRun(const core::Graph& g, const std::string& dataflow, bool expect_spread) {
  const core::ArchConfig arch = DenseWith(dataflow);
  const Outcome o = SimulateAndReference(g, arch);
  ExpectBitExact(g, o, expect_spread);
  EXPECT_GT(SimulatedComputeCycles(o.run), 0u);
  EXPECT_EQ(SimulatedComputeCycles(o.run), ClosedFormComputeCycles(o.program, arch.units[0]))
      << "the array did not run the " << dataflow << " timing";
}

class DataflowNetTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(DataflowNetTest, RandomNetOutputsEqualReference) {
  const auto [dataflow, seed] = GetParam();
  ExpectDataflowRun(RandomNet(1000 + seed), kDataflows[dataflow], true);
}

TEST_P(DataflowNetTest, MlpOutputsEqualReference) {
  const auto [dataflow, seed] = GetParam();
  ExpectDataflowRun(RandomMlp(2000 + seed), kDataflows[dataflow], false);
}

std::string ParamName(const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
  return std::string(kDataflows[std::get<0>(info.param)]) + "_seed" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Dataflows, DataflowNetTest,
                         ::testing::Combine(::testing::Range(0, 3), ::testing::Range(0, kSeeds)), ParamName);

// No simulation: the same compiled program costs different compute cycles under each dataflow,
// for at least one of the nets above, and a positive number under every one.
TEST(DataflowTiming, DataflowsGiveDifferentCyclesForTheSameProgram) {
  const core::ArchConfig ws = DenseWith("ws");
  bool some_differ = false;
  for (int seed = 0; seed < kSeeds; ++seed) {
    const core::Graph g = RandomNet(1000 + seed);
    const isa::Program program = compiler::Compile(g, ws, g.name);
    std::set<uint64_t> distinct;
    for (const char* dataflow : kDataflows) {
      const uint64_t cycles = ClosedFormComputeCycles(program, DenseWith(dataflow).units[0]);
      EXPECT_GT(cycles, 0u) << dataflow << ", seed " << seed;
      distinct.insert(cycles);
    }
    some_differ = some_differ || distinct.size() > 1;
  }
  EXPECT_TRUE(some_differ);
}

}  // namespace
}  // namespace npusim::testing

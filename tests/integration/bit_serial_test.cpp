// The bit-serial array end to end: random small networks re-quantized to every weight width
// 1..16 (compiler/transforms/precision.h), compiled for and simulated on arch/unpu.json (and on variants with
// the other serial operands), must give exactly the reference executor's outputs, and the unit must have
// spent exactly the closed form's cycles (models/timing/bit_serial_timing.h) on the program's compute
// instructions. One simulation per test (one SystemC elaboration per process).
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "compiler/compiler.h"
#include "compiler/transforms/precision.h"
#include "config/arch.h"
#include "isa/instruction.h"
#include "models/bit_serial_array.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

uint64_t ClosedFormComputeCycles(const isa::Program& program, const core::UnitConfig& unit) {
  uint64_t cycles = 0;
  for (const isa::Instruction& in : program.instructions) {
    if (in.op == isa::Opcode::kConv)
      cycles += static_cast<uint64_t>(models::BitSerialArray::CyclesOf(unit, in.conv()));
  }
  return cycles;
}

uint64_t SimulatedComputeCycles(const models::RunResult& run) {
  uint64_t cycles = 0;
  for (const auto& busy : run.layer_busy) cycles += busy[static_cast<int>(isa::Queue::kCompute)];
  return cycles;
}

void ExpectBitSerialRun(core::Graph g, const core::ArchConfig& arch, int weight_bits) {
  core::ApplyWeightBits(g, {{"*", weight_bits}}, "test");
  for (const core::Op& op : g.ops) {
    if (op.inputs.size() > 1 && op.type != core::OpType::kAdd) {
      ASSERT_EQ(g.tensor(op.inputs[1]).bits, weight_bits) << op.name;
    }
  }
  const Outcome o = SimulateAndReference(g, arch);
  // 1- and 2-bit weights make small networks' outputs coarse; only wider ones must spread.
  ExpectBitExact(g, o, weight_bits >= 3);
  EXPECT_GT(SimulatedComputeCycles(o.run), 0u);
  EXPECT_EQ(SimulatedComputeCycles(o.run), ClosedFormComputeCycles(o.program, *arch.MatrixUnit()));
}

class BitSerialWidthTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(BitSerialWidthTest, UnpuIsBitExactAtEveryWeightWidth) {
  const auto [bits, seed] = GetParam();
  ExpectBitSerialRun(RandomNet(seed), core::LoadArch(SourcePath("arch/unpu.json")), bits);
}

INSTANTIATE_TEST_SUITE_P(Widths, BitSerialWidthTest,
                         ::testing::Combine(::testing::Range(1, 17), ::testing::Values(1, 2)),
                         [](const auto& info) {
                           return "w" + std::to_string(std::get<0>(info.param)) + "_seed" +
                                  std::to_string(std::get<1>(info.param));
                         });

class BitSerialOperandTest : public ::testing::TestWithParam<std::string> {};

// Stripes-style (activations serial), Loom-style (both) and the bit-parallel baseline run the same
// integers with their own timing; saturating accumulators too.
TEST_P(BitSerialOperandTest, OtherSerialOperandsAreBitExact) {
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/unpu.json"));
  arch.units[0].params<core::BitSerialConfig>().serial_operand = GetParam();
  if (GetParam() == "none") {
    arch.energy.components["lbpe"]["mac_w4"] = {0.5, "test"};
  }
  ExpectBitSerialRun(RandomNet(3), arch, 4);
}

INSTANTIATE_TEST_SUITE_P(Operands, BitSerialOperandTest,
                         ::testing::Values("weights", "activations", "both", "none"));

// arch/unpu.json stores weights packed at their width (packed_weights): every CONV's weight tile
// is PackedBytes of its values, each layer's stored weights are its packed tiles (at most one
// padding byte each), the outputs are exact and the compute cycles the closed form's; the same
// network compiled for the arch storing one weight per byte loads more bytes.
class PackedWeightsTest : public ::testing::TestWithParam<int> {};

TEST_P(PackedWeightsTest, MoveTheirOwnWidthWithExactResults) {
  const int bits = GetParam();
  core::Graph g = RandomNet(4);
  core::ApplyWeightBits(g, {{"*", bits}}, "test");
  const core::ArchConfig packed = core::LoadArch(SourcePath("arch/unpu.json"));
  ASSERT_TRUE(packed.units[0].packed_weights);
  core::ArchConfig bytewise = packed;
  bytewise.units[0].packed_weights = false;
  const Outcome p = SimulateAndReference(g, packed);
  ExpectBitExact(g, p, bits >= 3);
  EXPECT_EQ(SimulatedComputeCycles(p.run), ClosedFormComputeCycles(p.program, packed.units[0]));
  const isa::Program b = compiler::Compile(g, bytewise, g.name);
  int64_t convs = 0, packed_load = 0, bytewise_load = 0;
  for (const isa::Instruction& in : p.program.instructions) {
    if (in.op == isa::Opcode::kLoad) packed_load += in.dma().bytes();
    if (in.op != isa::Opcode::kConv) continue;
    const isa::ConvArgs& c = in.conv();
    ASSERT_EQ(c.w_format, core::WeightFormat::kPacked);
    EXPECT_EQ(c.w_bytes, (c.out_c * c.kh * c.kw * (c.in_c / c.groups) * bits + 7) / 8);
    ++convs;
  }
  for (const isa::Instruction& in : b.instructions) {
    if (in.op == isa::Opcode::kLoad) bytewise_load += in.dma().bytes();
    if (in.op == isa::Opcode::kConv) {
      EXPECT_EQ(in.conv().w_format, core::WeightFormat::kDense);
    }
  }
  EXPECT_GT(convs, 0);
  EXPECT_LT(packed_load, bytewise_load);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (g.ops[i].type != core::OpType::kConv2d && g.ops[i].type != core::OpType::kFullyConnected) continue;
    const int64_t n = g.tensor(g.ops[i].inputs[1]).elements();
    const isa::LayerMapping& m = p.program.layers[i];
    EXPECT_EQ(m.weight_format, "packed") << g.ops[i].name;
    EXPECT_GE(m.weight_bytes, (n * bits + 7) / 8) << g.ops[i].name;
    EXPECT_LE(m.weight_bytes, (n * bits + 7) / 8 + m.tiles) << g.ops[i].name;
  }
}

INSTANTIATE_TEST_SUITE_P(Widths, PackedWeightsTest, ::testing::Values(1, 3, 4, 12),
                         [](const auto& info) { return "w" + std::to_string(info.param); });

TEST(BitSerial, SaturatingAccumulatorIsBitExact) {
  core::ArchConfig arch = core::LoadArch(SourcePath("arch/unpu.json"));
  arch.units[0].acc_bits = 16;
  arch.units[0].overflow = core::Overflow::kSaturate;
  ExpectBitSerialRun(RandomNet(5), arch, 6);
}

}  // namespace
}  // namespace npusim::testing

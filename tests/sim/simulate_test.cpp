// sim::Simulate / Run / SimulateInChild: the figures add up (layer cycles to the total, energy
// components to the total, seconds at the clock, MACs of the conv by its closed form), the outputs
// equal the reference executor's, timing mode gives exact mode's figures without outputs, a
// prepared child leaves the parent's graph alone, the hooks run in order, and an energy table
// that misses a counted action is refused unless only values and cycles are asked for.
#include "sim/simulate.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/transforms/precision.h"
#include "config/arch.h"
#include "ir/net_loader.h"
#include "reference/executor.h"

namespace npusim::sim {
namespace {

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

// The figures of a result that both modes must agree on, as one string.
std::string Figures(const Result& r) {
  std::string s = std::to_string(r.run.cycles) + " " + std::to_string(r.energy.total_pj) + " " +
                  std::to_string(r.macs) + " " + std::to_string(r.weight_bytes);
  for (const LayerStats& L : r.layers) {
    s += " | " + L.name + " " + std::to_string(L.cycles) + " " + std::to_string(L.energy_pj) + " " + L.bound +
         " " + std::to_string(L.dram_read_bytes) + " " + std::to_string(L.dram_write_bytes);
  }
  return s + (r.run.outputs.empty() ? " no outputs" : " outputs");
}

// tiny_conv on dense_16x16, simulated in this process (once).
struct TinyConv {
  core::ArchConfig arch = core::LoadArch(Src("tests/data/arch/dense_16x16_pipe.json"));
  core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  TensorMap inputs = GraphInputs(g);
  Result r = Simulate(arch, g, inputs);
};

TEST(Simulate, FiguresAddUp) {
  const TinyConv t;
  const Result& r = t.r;
  ASSERT_EQ(r.layers.size(), 1u);
  const LayerStats& L = r.layers[0];
  EXPECT_GT(r.run.cycles, 0u);
  EXPECT_EQ(L.cycles, r.run.cycles);  // one layer: it is charged the whole run
  EXPECT_DOUBLE_EQ(r.seconds, static_cast<double>(r.run.cycles) / 500e6);  // dense_16x16: 500 MHz
  EXPECT_EQ(r.macs, 8 * 8 * 4 * 3 * 3 * 3);  // output pixels x output channels x kernel x input channels
  EXPECT_EQ(L.macs, r.macs);
  EXPECT_EQ(L.name, "conv1");
  EXPECT_EQ(L.op, "conv2d");
  EXPECT_EQ(L.shape, "1x8x8x4");
  double components = 0;
  for (const auto& [c, pj] : r.energy.by_component_pj) components += pj;
  EXPECT_NEAR(components, r.energy.total_pj, 1e-6 * r.energy.total_pj);
  EXPECT_GT(r.energy.total_pj, 0);
  EXPECT_DOUBLE_EQ(L.energy_pj, r.energy.by_layer_pj[0]);
  EXPECT_EQ(L.dram_read_bytes, r.counters.at("dram.read_byte"));
  EXPECT_EQ(L.dram_write_bytes, r.counters.at("dram.write_byte"));
  EXPECT_GT(L.utilization, 0);
  EXPECT_LE(L.utilization, 1);
}

TEST(Simulate, OutputsEqualTheReference) {
  const TinyConv t;
  const core::UnitConfig& u = *t.arch.MatrixUnit();
  const reference::Options opt{t.arch.requant_mode, u.acc_bits, u.overflow};
  const reference::TensorMap ref = reference::Run(t.g, t.inputs, opt);
  EXPECT_EQ(t.r.run.outputs.at("y"), ref.at("y"));
}

TEST(SimulateInChild, TimingModeGivesExactModesFiguresWithoutOutputs) {
  const core::ArchConfig arch = core::LoadArch(Src("tests/data/arch/unpu_pipe.json"));
  core::Graph g = core::LoadNetwork(Src("workloads/small_resnet.json"));
  Options exact, timing;
  timing.mode = models::ExecMode::kTiming;
  const ChildOutcome e = SimulateInChild(arch, g, exact, Figures);
  const ChildOutcome t = SimulateInChild(arch, g, timing, Figures);
  ASSERT_TRUE(e.ok()) << e.Describe();
  ASSERT_TRUE(t.ok()) << t.Describe();
  const std::string suffix = " outputs";
  ASSERT_EQ(e.output.substr(e.output.size() - suffix.size()), suffix);
  EXPECT_EQ(t.output, e.output.substr(0, e.output.size() - suffix.size()) + " no outputs");
}

TEST(SimulateInChild, PrepareChangesTheChildsGraphOnly) {
  // Bit-serial: fewer weight bits, fewer cycles.
  const core::ArchConfig arch = core::LoadArch(Src("tests/data/arch/unpu_pipe.json"));
  core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  const std::vector<int32_t> weights = *g.tensor("conv1_w").data;
  const Answer cycles = [](const Result& r) { return std::to_string(r.run.cycles); };
  const ChildOutcome eight = SimulateInChild(arch, g, {}, cycles);
  const Prepare four_bits = [](core::Graph& c) { core::ApplyWeightBits(c, {{"*", 4}}, "test"); };
  const ChildOutcome four = SimulateInChild(arch, g, {}, cycles, four_bits);
  ASSERT_TRUE(eight.ok()) << eight.Describe();
  ASSERT_TRUE(four.ok()) << four.Describe();
  EXPECT_LT(std::stoull(four.output), std::stoull(eight.output));
  EXPECT_EQ(g.tensor("conv1_w").bits, 8);
  EXPECT_EQ(*g.tensor("conv1_w").data, weights);
}

TEST(SimulateInChild, WhatThrowsIsExitOneWithItsMessage) {
  const core::ArchConfig arch = core::LoadArch(Src("tests/data/arch/unpu_pipe.json"));
  core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  const ChildOutcome o = SimulateInChild(
      arch, g, {}, [](const Result&) { return std::string("simulated"); },
      [](core::Graph&) { throw std::runtime_error("no layer named \"fc9\""); });
  EXPECT_TRUE(o.exited);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.output, "no layer named \"fc9\"");
}

TEST(Run, HooksRunAroundTheSimulationAndABeforeHookThatThrowsStopsIt) {
  const core::ArchConfig arch = core::LoadArch(Src("tests/data/arch/dense_16x16_pipe.json"));
  core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  const Compiled c = Compile(arch, g, "tiny_conv.json");
  EXPECT_FALSE(c.program.instructions.empty());
  const ChildOutcome refused = RunInChild([&] {
    Options opt;
    opt.before_simulate = [] { throw std::runtime_error("no output directory"); };
    opt.after_simulate = [] { throw std::logic_error("simulated anyway"); };
    sim::Run(c, GraphInputs(g), opt);
    return std::string("ran");
  });
  EXPECT_EQ(refused.Describe(), "exit 1: no output directory");
  std::vector<std::string> calls;
  Options opt;
  opt.before_simulate = [&] { calls.push_back("before"); };
  opt.after_simulate = [&] { calls.push_back("after"); };
  const Result r = sim::Run(c, GraphInputs(g), opt);
  EXPECT_EQ(calls, (std::vector<std::string>{"before", "after"}));
  EXPECT_GT(r.run.cycles, 0u);
}

TEST(Run, WithoutFiguresAnIncompleteEnergyTableRunsElseItIsRefused) {
  core::ArchConfig arch = core::LoadArch(Src("tests/data/arch/dense_16x16_pipe.json"));
  arch.energy.components.erase("dram");
  core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  const ChildOutcome refused = RunInChild([&] {
    sim::Simulate(arch, g, GraphInputs(g));
    return std::string("ran");
  });
  EXPECT_EQ(refused.exit_code, 2);  // a ConfigError: invalid input, the command line's exit 2
  EXPECT_NE(refused.output.find("/components/dram/read_byte: missing energy entry"), std::string::npos)
      << refused.output;
  Options values_only;
  values_only.figures = false;
  const Result r = sim::Simulate(arch, g, GraphInputs(g), values_only);
  EXPECT_GT(r.run.cycles, 0u);
  EXPECT_EQ(r.run.outputs.at("y").size(), 8u * 8 * 4);
  EXPECT_TRUE(r.layers.empty());
  EXPECT_EQ(r.energy.total_pj, 0);
}

TEST(GraphInputs, TheFilesDataElseZeros) {
  core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  EXPECT_EQ(GraphInputs(g).at("x"), *g.tensor("x").data);
  g.tensor("x").data.reset();
  EXPECT_EQ(GraphInputs(g).at("x"), std::vector<int32_t>(8 * 8 * 3, 0));
}

}  // namespace
}  // namespace npusim::sim

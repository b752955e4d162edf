// A unit kind defined entirely in this file, to show what adding one takes (docs/architecture.md,
// "Add a unit kind"): its config facet (one key), its timing facet (a closed form), its SystemC
// module (derived from MatrixUnit) and one registration. No other source file knows "toy_array":
// the arch loader, the echo, the compiler's legality checks, cost model and weight store, the Npu
// and the report reach it through the registries.
//
// The toy: `lanes` multipliers along the reduction, one output value at a time, so a CONV
// instruction's GEMM (m x k x n, `groups` of them) takes
//   cycles = m * n * groups * ceil(k / lanes) + 2       (2: fill and write-back)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "config/arch.h"
#include "config/arch_json.h"
#include "config/energy.h"
#include "config/unit_kind.h"
#include "ir/int_math.h"
#include "models/matrix_unit.h"
#include "models/timing/unit_timing.h"
#include "support/error.h"
#include "tests/integration/harness.h"

namespace npusim::testing {
namespace {

struct ToyConfig {
  int lanes = 4;
};

int64_t ToyCycles(const core::UnitConfig& u, const models::timing::GemmShape& g) {
  return g.m * g.n * g.groups * core::CeilDiv(g.k, u.params<ToyConfig>().lanes) + 2;
}

class ToyKind final : public core::UnitKind {
 public:
  std::vector<std::string> keys() const override { return {"lanes"}; }
  void Parse(core::JsonChecker& check, const core::Json& u, const std::string& up,
             core::UnitConfig* unit) const override {
    ToyConfig t;
    core::SetIf(check.GetInt(u, up, "lanes", core::Need::kRequired, 1, 64), &t.lanes);
    unit->rows = t.lanes;  // K per cycle
    unit->cols = 1;        // one output value at a time
    unit->dataflow = "toy";
    unit->set_params(t);
  }
  core::Json ToJson(const core::UnitConfig& u) const override {
    return {{"lanes", u.params<ToyConfig>().lanes}};
  }
};

class ToyTiming final : public models::timing::UnitTiming {
 public:
  int64_t Cycles(const core::UnitConfig& u, const models::timing::GemmShape& g, int, int,
                 const models::timing::ArrayMapping*) const override {
    return ToyCycles(u, g);
  }
  std::vector<std::string> EnergyActions(const core::UnitConfig&) const override { return {"toy_mac"}; }
};

class ToyArray final : public models::MatrixUnit {
 public:
  ToyArray(sc_core::sc_module_name name, const models::MatrixUnitArgs& a)
      : MatrixUnit(name, a),
        macs_(a.stats.Register(cfg_.name, "toy_mac", "actions", "useful multiply-accumulates")) {}

 private:
  int64_t Begin(const isa::Instruction& in) override {
    const isa::ConvArgs& c = in.conv();
    const models::timing::GemmShape g = models::ConvGemm(c);
    datapath_.Run(c, mem_);
    macs_.Add(in.layer, static_cast<uint64_t>(models::timing::GemmMacs(g)));
    CountTraffic(c, in.layer, {1, isa::WeightTileBytes(c), 1, 1});
    return ToyCycles(cfg_, g);
  }
  core::Counter& macs_;
};

[[maybe_unused]] const bool kToyRegistered =
    models::RegisterUnitKindFacets("toy_array", std::make_unique<ToyKind>(), std::make_unique<ToyTiming>(),
                                   &models::MakeUnitModule<ToyArray>);

namespace fs = std::filesystem;

// arch/tiny_4x4.json with its unit replaced by a toy of `unit_keys` and its energy table inline
// (the array's actions: toy_mac and leak_per_cycle).
std::string WriteToyArch(const core::Json& unit_keys, const std::string& name) {
  core::Json arch = core::ReadJsonFile(SourcePath("arch/tiny_4x4.json"));
  core::Json energy = core::ReadJsonFile(SourcePath("arch/energy/horowitz_45nm_tiny_4x4.json"));
  energy["components"]["array"] = {{"toy_mac", {{"energy_pj", 0.5}, {"source", "test"}}},
                                   {"leak_per_cycle", {{"energy_pj", 0.25}, {"source", "test"}}}};
  arch["energy"] = energy;
  core::Json unit = {{"name", "array"},
                     {"type", "toy_array"},
                     {"input_bits", core::Json::array({8})},
                     {"weight_bits", core::Json::array({8})},
                     {"acc_bits", 32},
                     {"input_buffer", "ibuf"},
                     {"weight_buffer", "wbuf"},
                     {"acc_buffer", "abuf"}};
  unit.update(unit_keys);
  arch["units"] = {unit};
  const fs::path path = fs::temp_directory_path() / ("npusim_toy_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(path) << arch.dump(2);
  return path.string();
}

core::ArchConfig LoadToyArch(int lanes) {
  const std::string path = WriteToyArch({{"lanes", lanes}}, "arch.json");
  core::ArchConfig arch = core::LoadArch(path);
  fs::remove(path);
  return arch;
}

core::Graph SmallConvNet() {
  GraphBuilder b(11);
  std::string y = b.Input({1, 7, 6, 5});
  y = b.Conv(y, 6, 3, 1, 1, {1, 1, 1, 1}, 1, core::Activation::kRelu);
  y = b.Conv(y, 6, 3, 2, 1, {1, 1, 1, 1}, 6, core::Activation::kNone);  // depthwise, to 4 x 3
  y = b.FullyConnected(b.Reshape(y, {1, 4 * 3 * 6}), 4, core::Activation::kNone);
  return b.Build();
}

TEST(ToyUnitKind, LoadsWithItsKeyAndDerivedGeometry) {
  const core::ArchConfig arch = LoadToyArch(3);
  const core::UnitConfig& u = *arch.MatrixUnit();
  EXPECT_EQ(u.type, "toy_array");
  EXPECT_EQ(u.params<ToyConfig>().lanes, 3);
  EXPECT_EQ(u.rows, 3);
  EXPECT_EQ(u.cols, 1);
}

TEST(ToyUnitKind, BadKeysAreProblemsNamingTheirPointer) {
  const std::string path = WriteToyArch({{"lanes", 0}, {"rows", 4}}, "bad.json");
  try {
    core::LoadArch(path);
    ADD_FAILURE() << "a toy with 0 lanes and a rows key loaded";
  } catch (const core::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/units/0/lanes: expected an integer in 1..64, got 0"), std::string::npos) << what;
    EXPECT_NE(what.find("/units/0/rows: unknown key \"rows\""), std::string::npos) << what;
  }
  fs::remove(path);
}

TEST(ToyUnitKind, EchoesItsArchAndLoadsItBack) {
  const core::ArchConfig arch = LoadToyArch(3);
  const core::Json echo = core::ArchToJson(arch);
  EXPECT_EQ(echo["units"][0]["type"], "toy_array");
  EXPECT_EQ(echo["units"][0]["lanes"], 3);
  EXPECT_FALSE(echo["units"][0].contains("rows"));  // derived, not a key of the toy
  const std::string path = WriteToyArch(echo["units"][0], "echo.json");
  core::Json again = core::ArchToJson(core::LoadArch(path));
  fs::remove(path);
  again["description"] = echo["description"];
  EXPECT_EQ(again["units"], echo["units"]);
}

// Compiled by the unchanged compiler, run by the unchanged Npu: outputs equal the reference
// executor's, and the compute queue spent exactly the toy's closed form on every CONV instruction.
TEST(ToyUnitKind, RunsAConvNetExactlyInItsClosedFormCycles) {
  const core::ArchConfig arch = LoadToyArch(3);
  const core::Graph g = SmallConvNet();
  TensorMap inputs;
  for (const std::string& n : g.inputs) inputs[n] = *g.tensor(n).data;
  const isa::Program program = compiler::Compile(g, arch, g.name);
  core::StatRegistry stats;
  models::Npu npu("npu", arch, program, stats);
  core::CheckEnergyCoverage(stats, arch.energy);
  npu.WriteInputs(inputs);
  Outcome o;
  o.run = npu.Run();
  const core::UnitConfig& u = *arch.MatrixUnit();
  o.ref = reference::Run(g, inputs, reference::Options{arch.requant_mode, u.acc_bits, u.overflow});
  ExpectBitExact(g, o, true);

  uint64_t closed_form = 0, convs = 0, macs = 0;
  for (const isa::Instruction& in : program.instructions) {
    if (in.op != isa::Opcode::kConv) continue;
    ++convs;
    closed_form += static_cast<uint64_t>(ToyCycles(u, models::ConvGemm(in.conv())));
    macs += static_cast<uint64_t>(models::timing::GemmMacs(models::ConvGemm(in.conv())));
  }
  uint64_t simulated = 0;
  for (const auto& busy : o.run.layer_busy) simulated += busy[static_cast<int>(isa::Queue::kCompute)];
  EXPECT_GE(convs, 3u);
  EXPECT_EQ(simulated, closed_form);
  EXPECT_EQ(stats.Find("array", "toy_mac")->total, macs);
  uint64_t layer_macs = 0;
  for (const core::Op& op : g.ops) layer_macs += static_cast<uint64_t>(core::OpMacs(g, op));
  EXPECT_EQ(macs, layer_macs);  // every MAC of the net, once
}

}  // namespace
}  // namespace npusim::testing

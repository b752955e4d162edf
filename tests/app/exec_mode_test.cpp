// `--mode timing` against `--mode exact`: the same program through the same modules, so every
// figure must be identical (cycles, per-layer start/end cycles, energy, every counter, DRAM bytes,
// per-bank counts); only the output values are missing. Runs the real binary twice per case, on
// every shipped unit family.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/npusim_process.h"

namespace npusim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Src(const std::string& relative) { return std::string(NPUSIM_SOURCE_DIR) + "/" + relative; }

struct Case {
  const char* arch;
  const char* net;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.arch << " + " << c.net; }

// Scratch space per test (tests run in parallel processes), removed when the test ends.
class Scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("npusim_mode_") + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = fs::temp_directory_path() / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

class ExecMode : public Scratch, public ::testing::WithParamInterface<Case> {
 protected:
  json Run(const std::string& mode, const fs::path& out) {
    const testing::ProcessOutcome o = testing::RunNpusim(
        {"--arch", Src(GetParam().arch), "--net", Src(GetParam().net), "--out", out.string(), "--mode", mode},
        dir_ / "err.txt");
    EXPECT_EQ(o.exit_code, 0) << o;
    return json::parse(testing::ReadFileText(out / "report.json"));
  }
};

// The figures that must not depend on the mode (everything but wall times, the mode itself and
// the list of output files written, which timing mode does not write).
json Figures(json r) {
  for (const char* k : {"wall_seconds", "wall_breakdown_s", "simulated_cycles_per_second", "mode", "outputs"}) {
    r.erase(k);
  }
  return r;
}

TEST_P(ExecMode, TimingGivesTheSameFiguresAsExact) {
  const json exact = Run("exact", dir_ / "exact");
  const json timing = Run("timing", dir_ / "timing");
  EXPECT_EQ(exact["mode"], "exact");
  EXPECT_EQ(timing["mode"], "timing");
  ASSERT_GT(exact["cycles"].get<uint64_t>(), 0u);
  EXPECT_EQ(exact["cycles"], timing["cycles"]);
  EXPECT_EQ(exact["energy_pj"], timing["energy_pj"]);
  EXPECT_EQ(exact["counters"], timing["counters"]);
  EXPECT_EQ(Figures(exact), Figures(timing));
  // Exact mode writes the outputs, timing mode none, and report.json lists what was written.
  EXPECT_FALSE(fs::is_empty(dir_ / "exact" / "outputs"));
  EXPECT_TRUE(fs::is_empty(dir_ / "timing" / "outputs"));
  EXPECT_EQ(exact["outputs"].size(), std::distance(fs::directory_iterator(dir_ / "exact" / "outputs"), {}));
  EXPECT_TRUE(timing["outputs"].empty());
  // Both report where the wall time went and the simulation's speed.
  for (const json* r : {&exact, &timing}) {
    for (const char* phase : {"load", "compile", "elaborate", "simulate"}) {
      EXPECT_TRUE((*r)["wall_breakdown_s"].contains(phase)) << phase;
    }
    EXPECT_GT((*r)["simulated_cycles_per_second"].get<double>(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shipped, ExecMode,
    ::testing::Values(Case{"arch/unpu.json", "workloads/mobilenet_q4.json"},
                      Case{"arch/unpu.json", "workloads/small_resnet.json"},
                      Case{"arch/unpu_fixed.json", "workloads/small_resnet.json"},
                      Case{"arch/dense_16x16.json", "workloads/small_resnet.json"},
                      Case{"arch/dense_16x16.json", "workloads/small_mlp.json"},
                      Case{"arch/tiny_4x4.json", "workloads/small_resnet.json"},
                      Case{"arch/sagar_128x128.json", "workloads/small_resnet.json"},
                      Case{"arch/scalpel_mcu.json", "workloads/small_resnet.json"},
                      Case{"arch/scalpel_cpu.json", "workloads/small_resnet.json"}),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string n = fs::path(i.param.arch).stem().string() + "_" + fs::path(i.param.net).stem().string();
      for (char& c : n) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return n;
    });

using ExecModeCli = Scratch;

// A timing run into a directory that holds an exact run's outputs removes them: they would
// otherwise pass for values this run computed.
TEST_F(ExecModeCli, TimingRunRemovesStaleOutputs) {
  const std::vector<std::string> base{"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"),
                                      "--out", (dir_ / "r").string()};
  std::vector<std::string> args = base;
  ASSERT_EQ(testing::RunNpusim(args, dir_ / "err.txt").exit_code, 0);
  ASSERT_TRUE(fs::exists(dir_ / "r" / "outputs" / "y.npy"));
  args.insert(args.end(), {"--mode", "timing"});
  ASSERT_EQ(testing::RunNpusim(args, dir_ / "err.txt").exit_code, 0);
  EXPECT_FALSE(fs::exists(dir_ / "r" / "outputs" / "y.npy"));
}

TEST_F(ExecModeCli, CheckNeedsExactMode) {
  const testing::ProcessOutcome o =
      testing::RunNpusim({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"), "--out",
                          (dir_ / "r").string(), "--mode", "timing", "--check"},
                         dir_ / "err.txt");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("--check compares output values, which --mode timing does not compute"), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(dir_ / "r"));
}

TEST_F(ExecModeCli, UnknownModeIsBadUsage) {
  const testing::ProcessOutcome o =
      testing::RunNpusim({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"), "--out",
                          (dir_ / "r").string(), "--mode", "fast"},
                         dir_ / "err.txt");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("--mode: expected exact or timing, got \"fast\""), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(dir_ / "r"));
}

}  // namespace
}  // namespace npusim

// `npusim sweep` and `npusim sweep-merge` as a user runs them (the real binary): a grid's points
// give the cycles and energy of separate `npusim run`s of the same arch; a partial sweep.csv
// resumes without rerunning its points; a failing point becomes a row with its error; shards
// merge into the local sweep; a bad grid fails before any point runs. tools/plot_sweep.py
// draws the result.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/sweep_grid.h"
#include "support/csv.h"
#include "tests/common/npusim_process.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

class Sweep : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("npusim_sweep_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Grid(const std::string& text) {
    WriteFileText(dir_ / "grid.json", text);
    return dir_ / "grid.json";
  }
  ProcessOutcome Npusim(std::vector<std::string> args) { return RunNpusim(args, dir_ / "stderr.txt"); }
  // `o` refused the sweep: exit 2, `message` on stderr, and no output directory "s".
  void ExpectRefused(const ProcessOutcome& o, const std::string& message) {
    EXPECT_EQ(o.exit_code, 2) << o;
    EXPECT_NE(o.err.find(message), std::string::npos) << message << "\n" << o.err.substr(0, 2000);
    EXPECT_FALSE(fs::exists(dir_ / "s"));
  }

  ProcessOutcome RunSweep(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"sweep",
                                  "--arch",
                                  Src(arch_),
                                  "--net",
                                  Src("workloads/small_resnet.json"),
                                  "--grid",
                                  (dir_ / "grid.json").string(),
                                  "--out",
                                  (dir_ / out).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Npusim(args);
  }
  std::string arch_ = "tests/data/arch/dense_16x16_pipe.json";  // the base arch RunSweep uses
  Rows Csv(const std::string& out) { return core::ParseCsv(ReadFileText(dir_ / out / "sweep.csv")); }
  // The row whose first field (id) is `id`, as column name -> value.
  std::map<std::string, std::string> Row(const Rows& rows, const std::string& id) {
    std::map<std::string, std::string> r;
    for (size_t i = 1; i < rows.size(); ++i) {
      if (rows[i][0] != id) continue;
      for (size_t c = 0; c < rows[0].size(); ++c) r[rows[0][c]] = rows[i].at(c);
    }
    return r;
  }

  fs::path dir_;
};

TEST_F(Sweep, EachPointEqualsASeparateRunOfItsArch) {
  Grid(R"({"knobs": {"/dram/bytes_per_cycle": [4, 16]}})");
  const ProcessOutcome o = RunSweep("s", {"--jobs", "2"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const Rows rows = Csv("s");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& [id, bw] : std::vector<std::pair<std::string, int>>{{"p0", 4}, {"p1", 16}}) {
    // The same arch written by hand: the energy file made absolute, the knob set.
    json arch = json::parse(ReadFileText(Src("tests/data/arch/dense_16x16_pipe.json")));
    arch["dram"]["bytes_per_cycle"] = bw;
    arch["energy"] = Src("arch/energy/horowitz_45nm.json");
    WriteFileText(dir_ / ("arch_" + id + ".json"), arch.dump());
    const ProcessOutcome r =
        Npusim({"--arch", (dir_ / ("arch_" + id + ".json")).string(), "--net",
                Src("workloads/small_resnet.json"), "--out", (dir_ / ("run_" + id)).string()});
    ASSERT_EQ(r.exit_code, 0) << r;
    const json rep = json::parse(ReadFileText(dir_ / ("run_" + id) / "report.json"));
    const auto row = Row(rows, id);
    EXPECT_EQ(row.at("/dram/bytes_per_cycle"), std::to_string(bw));
    EXPECT_EQ(row.at("status"), "ok");
    EXPECT_EQ(row.at("cycles"), rep["cycles"].dump());
    EXPECT_EQ(row.at("energy_pj"), rep["energy_pj"].dump());
    EXPECT_EQ(row.at("dram_read_bytes"), rep["counters"]["dram.read_byte"].dump());
    EXPECT_EQ(row.at("dram_write_bytes"), rep["counters"]["dram.write_byte"].dump());
    EXPECT_DOUBLE_EQ(std::stod(row.at("edp_pj_s")),
                     rep["energy_pj"].get<double>() * rep["seconds"].get<double>());
  }
  // Less DRAM bandwidth, more cycles: the knob reached the simulation.
  EXPECT_GT(std::stoll(Row(rows, "p0").at("cycles")), std::stoll(Row(rows, "p1").at("cycles")));
}

// Area, TOPS/mm^2 and TOPS/W of a 2-point grid: each row's figures are its report's, the area
// follows the knob by the closed form of the PEs it adds (docs/models.md, "Area", worked out here
// from the energy file's parameters), and front.csv holds the points no other point beats.
TEST_F(Sweep, AreaAndEfficiencyColumnsAndTheFront) {
  Grid(R"({"knobs": {"/units/0/rows": [8, 16]}})");
  ASSERT_EQ(RunSweep("s", {"--jobs", "2"}).exit_code, 0);
  const Rows rows = Csv("s");
  ASSERT_EQ(rows.size(), 3u);
  std::map<std::string, double> area;
  for (const std::string id : {"p0", "p1"}) {
    const auto row = Row(rows, id);
    const json rep = json::parse(ReadFileText(dir_ / "s" / "points" / id / "run" / "report.json"));
    const double macs = rep["macs"].get<double>(), a = rep["area_mm2"].get<double>();
    area[id] = std::stod(row.at("area_mm2"));
    EXPECT_DOUBLE_EQ(area[id], a);
    EXPECT_DOUBLE_EQ(std::stod(row.at("tops_per_w")), 2 * macs / rep["energy_pj"].get<double>());
    EXPECT_DOUBLE_EQ(std::stod(row.at("tops_per_mm2")), 2 * macs / rep["seconds"].get<double>() / 1e12 / a);
  }
  // 16 rows instead of 8 with 16 columns: 128 more 8x8-bit MAC PEs, each an 8x8 multiplier, a
  // 32-bit adder and 48 register bits (register bits stated at 40 nm, scaled to 45 nm).
  const json p = json::parse(ReadFileText(Src("arch/energy/horowitz_45nm.json")))["area"]["parameters"];
  const double reg = p["register_bit_um2"]["value"].get<double>() * (45.0 / 40) * (45.0 / 40);
  const double pe = p["mult8_um2"]["value"].get<double>() + p["add32_um2"]["value"].get<double>() + 48 * reg;
  EXPECT_NEAR(area["p1"] - area["p0"], 128 * pe * 1e-6, 1e-12);
  // The front: a subset of the rows, none of them beaten on latency, energy and area at once by
  // another row, and every row off the front beaten by one on it.
  const Rows front = core::ParseCsv(ReadFileText(dir_ / "s" / "front.csv"));
  ASSERT_GE(front.size(), 2u);
  EXPECT_EQ(front[0], rows[0]);
  auto beats = [&](const std::map<std::string, std::string>& a, const std::map<std::string, std::string>& b) {
    bool strictly = false;
    for (const char* k : {"seconds", "energy_pj", "area_mm2"}) {
      if (std::stod(a.at(k)) > std::stod(b.at(k))) return false;
      strictly = strictly || std::stod(a.at(k)) < std::stod(b.at(k));
    }
    return strictly;
  };
  std::set<std::string> on_front;
  for (size_t i = 1; i < front.size(); ++i) on_front.insert(front[i][0]);
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto r = Row(rows, rows[i][0]);
    bool beaten = false;
    for (size_t j = 1; j < rows.size(); ++j) beaten = beaten || beats(Row(rows, rows[j][0]), r);
    EXPECT_EQ(on_front.count(rows[i][0]) == 1, !beaten) << rows[i][0];
  }
}

TEST_F(Sweep, ResumesWithoutRerunningRecordedPoints) {
  Grid(R"({"knobs": {"/dram/bytes_per_cycle": [4, 8, 16]}})");
  ASSERT_EQ(RunSweep("s").exit_code, 0);
  Rows rows = Csv("s");
  ASSERT_EQ(rows.size(), 4u);
  // Keep p0 with a marker value (a rerun would overwrite it), drop p1 and p2, and leave a torn
  // line as an interrupted write would.
  std::vector<std::string> p0 = rows[1][0] == "p0" ? rows[1] : rows[2][0] == "p0" ? rows[2] : rows[3];
  p0[std::find(rows[0].begin(), rows[0].end(), "cycles") - rows[0].begin()] = "12345";
  WriteFileText(dir_ / "s" / "sweep.csv", core::CsvLine(rows[0]) + core::CsvLine(p0) + "p1,/x,8,ok,99");
  const ProcessOutcome o = RunSweep("s");
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_NE(o.err.find("1 already in"), std::string::npos) << o;
  const Rows after = Csv("s");
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(Row(after, "p0").at("cycles"), "12345");
  EXPECT_EQ(Row(after, "p1").at("cycles"), Row(rows, "p1").at("cycles"));
  EXPECT_EQ(Row(after, "p2").at("cycles"), Row(rows, "p2").at("cycles"));
  // Another grid in the same directory is refused.
  Grid(R"({"knobs": {"/dram/bytes_per_cycle": [4, 8]}})");
  const ProcessOutcome other = RunSweep("s");
  EXPECT_EQ(other.exit_code, 2) << other;
  EXPECT_NE(other.err.find("another grid"), std::string::npos) << other;
}

TEST_F(Sweep, AFailingPointIsRecordedAndTheSweepGoesOn) {
  // dense_16x16 runs 8-bit weights only: the 4-bit point fails to compile, the 8-bit one runs.
  Grid(R"({"knobs": {"weight_bits:*": [4, 8]}})");
  const ProcessOutcome o = RunSweep("s");
  ASSERT_EQ(o.exit_code, 0) << o;
  const Rows rows = Csv("s");
  EXPECT_EQ(Row(rows, "p0").at("status"), "error");
  EXPECT_EQ(Row(rows, "p0").at("cycles"), "");
  EXPECT_NE(Row(rows, "p0").at("error").find("runs weight bits {8}"), std::string::npos);
  EXPECT_NE(Row(rows, "p0").at("error").find("exit 2"), std::string::npos);
  EXPECT_EQ(Row(rows, "p1").at("status"), "ok");
  EXPECT_EQ(Row(rows, "p1").at("error"), "");
  EXPECT_NE(o.out.find("1 failed"), std::string::npos) << o;
}

// An activation-bits knob reaches the point's run: 16-bit features on UNPU move more DRAM bytes,
// and a width the array cannot run (4) is that point's error.
TEST_F(Sweep, ActivationBitsKnobReachesThePointsRun) {
  Grid(R"({"knobs": {"activation_bits:*": [4, 8, 16]}})");
  arch_ = "tests/data/arch/unpu_pipe.json";
  const ProcessOutcome o = RunSweep("s");
  ASSERT_EQ(o.exit_code, 0) << o;
  const Rows rows = Csv("s");
  EXPECT_EQ(Row(rows, "p0").at("status"), "error");
  EXPECT_NE(Row(rows, "p0").at("error").find("runs input bits {8, 16}"), std::string::npos);
  EXPECT_EQ(Row(rows, "p1").at("status"), "ok");
  EXPECT_LT(std::stoll(Row(rows, "p1").at("dram_read_bytes")),
            std::stoll(Row(rows, "p2").at("dram_read_bytes")));
}

TEST_F(Sweep, ShardsMergeIntoTheLocalSweep) {
  Grid(R"({"knobs": {"/units/0/rows": [8, 16], "/dram/bytes_per_cycle": {"range": [8, 16, 8]}}})");
  ASSERT_EQ(RunSweep("local", {"--jobs", "2"}).exit_code, 0);
  ASSERT_EQ(RunSweep("shard0", {"--shard", "0/3"}).exit_code, 0);
  ASSERT_EQ(RunSweep("shard1", {"--shard", "1/3"}).exit_code, 0);
  ASSERT_EQ(RunSweep("shard2", {"--shard", "2/3"}).exit_code, 0);
  EXPECT_EQ(Csv("shard0").size(), 3u);  // header + p0, p3
  EXPECT_EQ(Csv("shard2").size(), 2u);  // header + p2
  const ProcessOutcome m =
      Npusim({"sweep-merge", "--out", (dir_ / "merged").string(), (dir_ / "shard0").string(),
              (dir_ / "shard1").string(), (dir_ / "shard2").string()});
  ASSERT_EQ(m.exit_code, 0) << m;
  Rows local = Csv("local");
  std::sort(local.begin() + 1, local.end());
  EXPECT_EQ(Csv("merged"), local);
  EXPECT_EQ(local.size(), 5u);
}

TEST_F(Sweep, RandomSampleIsReproducible) {
  Grid(R"({"knobs": {"/units/0/rows": [4, 8, 16, 32], "/dram/bytes_per_cycle": [8, 16]}})");
  ASSERT_EQ(RunSweep("a", {"--sample", "3", "--seed", "7"}).exit_code, 0);
  ASSERT_EQ(RunSweep("b", {"--sample", "3", "--seed", "7"}).exit_code, 0);
  Rows a = Csv("a"), b = Csv("b");
  ASSERT_EQ(a.size(), 4u);
  std::sort(a.begin() + 1, a.end());
  std::sort(b.begin() + 1, b.end());
  EXPECT_EQ(a, b);
  EXPECT_NE(a[1][0], a[2][0]);
}

TEST_F(Sweep, ABadGridFailsBeforeAnyPointRuns) {
  Grid(R"({"knobs": {"/units/0/rowz": [8, 16], "weight_bits:*": [0], "activation_bits:*": [1, 8]}})");
  const ProcessOutcome o = RunSweep("s");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("/knobs/~1units~10~1rowz: the base arch has no field \"/units/0/rowz\""),
            std::string::npos)
      << o;
  EXPECT_NE(o.err.find("/knobs/weight_bits:*/0: expected an integer in 1..16, got 0"), std::string::npos)
      << o;
  EXPECT_NE(o.err.find("/knobs/activation_bits:*/0: expected an integer in 2..16, got 1"), std::string::npos)
      << o;
  EXPECT_FALSE(fs::exists(dir_ / "s" / "sweep.csv"));
}

// The grid goes through the JSON reading path of every input file: a knob value nested 100,000
// levels deep (a ~200 KB file that crashed the sweep with SIGSEGV) is refused at its position.
TEST_F(Sweep, ADeeplyNestedGridValueIsRefused) {
  Grid(R"({"knobs": {"/dram/bytes_per_cycle": [)" + std::string(100000, '[') + "4" +
       std::string(100000, ']') + "]}}");
  ExpectRefused(RunSweep("s"), "grid.json: line 1, column 547: JSON nested deeper than 512 levels");
}

// And a subnormal number anywhere in it, and a clock knob outside 1 kHz..100 GHz.
TEST_F(Sweep, AClockKnobOutOfRangeAndASubnormalNumberAreRefused) {
  Grid(R"({"knobs": {"/clock_mhz": [500, 1e-320, 2e5, 0.0005], "/dram/bytes_per_cycle": [4]}})");
  ExpectRefused(RunSweep("s"),
                "/knobs/~1clock_mhz/1: expected 0 or a normal number (magnitude >= 2.2250738585072014e-308), "
                "got 1e-320");
  Grid(R"({"knobs": {"/clock_mhz": [500, 2e5, 0.0005]}})");
  const ProcessOutcome o = RunSweep("s");
  ExpectRefused(
      o, "/knobs/~1clock_mhz/1: expected a clock of 0.001..100000 MHz (1 kHz to 100 GHz), got 200000.0");
  EXPECT_NE(o.err.find("/knobs/~1clock_mhz/2: expected a clock of 0.001..100000 MHz (1 kHz to 100 GHz), "
                       "got 0.0005"),
            std::string::npos)
      << o;
  EXPECT_EQ(o.err.find("/knobs/~1clock_mhz/0"), std::string::npos) << o;
}

// 10^12 points (three ranges of 10^4 values) are refused before anything is allocated for them,
// naming the figure and the way out; --max-points and "sample" are that way out.
const char kTeraGrid[] = R"({"knobs": {"/dram/bytes_per_cycle": {"range": [1, 10000, 1]},
                                       "/dram/latency_cycles": {"range": [1, 10000, 1]},
                                       "/clock_mhz": {"range": [1, 10000, 1]}})";

TEST_F(Sweep, AGridOverThePointBudgetIsRefusedUpFront) {
  Grid(std::string(kTeraGrid) + "}");
  ExpectRefused(RunSweep("s"),
                "grid.json: /knobs: grid has 1000000000000 points; the limit is 10000000, raise it with "
                "--max-points or add \"sample\"");
  Grid(R"({"knobs": {"/dram/bytes_per_cycle": [4, 8, 16]}})");
  ExpectRefused(RunSweep("s", {"--max-points", "2"}), "/knobs: grid has 3 points; the limit is 2");
  ExpectRefused(RunSweep("s", {"--max-points", "2", "--sample", "3"}),
                "/knobs: grid has 3 points; the limit is 2");
  Grid(std::string(kTeraGrid) + R"(, "sample": 20000000})");
  ExpectRefused(RunSweep("s"),
                "/sample: a sample of 20000000 points; the limit is 10000000, raise it with --max-points or "
                "sample fewer");
  // The knobs' values are held in memory: a million in all.
  Grid(R"({"knobs": {"/dram/bytes_per_cycle": {"range": [1, 600000, 1]},
                     "/dram/latency_cycles": {"range": [1, 600000, 1]}}})");
  ExpectRefused(
      RunSweep("s"),
      "/knobs/~1dram~1latency_cycles/range: expected at most 400000 values (a grid holds 1000000 in "
      "all), got [1,600000,1]");
}

// A grid from a pipe (`--grid <(...)`) is read once: the sweep runs and records it.
TEST_F(Sweep, AGridFromAPipeIsReadOnce) {
  const std::string grid = R"({"knobs": {"/dram/bytes_per_cycle": [4, 16]}})";
  const std::string cmd =
      "bash -c " +
      ShellQuoted(ShellQuoted(NPUSIM_BINARY) + " sweep --arch " + ShellQuoted(Src(arch_)) + " --net " +
                  ShellQuoted(Src("workloads/tiny_conv.json")) + " --grid <(printf %s " + ShellQuoted(grid) +
                  ") --out " + ShellQuoted((dir_ / "s").string())) +
      " >/dev/null 2>" + ShellQuoted((dir_ / "err").string());
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadFileText(dir_ / "err");
  EXPECT_EQ(Csv("s").size(), 3u);
  const json meta = json::parse(ReadFileText(dir_ / "s" / "sweep.json"));
  EXPECT_EQ(meta["grid"], json::parse(grid));
}

// The arch file is read once too: from a pipe (its energy table inline, as a pipe has no directory
// to find an energy file in) the sweep runs and records the arch it read.
TEST_F(Sweep, AnArchFromAPipeIsReadOnce) {
  json arch = json::parse(ReadFileText(Src(arch_)));
  const fs::path energy = fs::path(Src(arch_)).parent_path() / arch["energy"].get<std::string>();
  arch["energy"] = json::parse(ReadFileText(energy));
  WriteFileText(dir_ / "arch.json", arch.dump());
  Grid(R"({"knobs": {"/dram/bytes_per_cycle": [4, 16]}})");
  const std::string cmd = "bash -c " +
                          ShellQuoted(ShellQuoted(NPUSIM_BINARY) + " sweep --arch <(cat " +
                                      ShellQuoted((dir_ / "arch.json").string()) + ") --net " +
                                      ShellQuoted(Src("workloads/tiny_conv.json")) + " --grid " +
                                      ShellQuoted((dir_ / "grid.json").string()) + " --out " +
                                      ShellQuoted((dir_ / "s").string())) +
                          " >/dev/null 2>" + ShellQuoted((dir_ / "err").string());
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadFileText(dir_ / "err");
  EXPECT_EQ(Csv("s").size(), 3u);
  EXPECT_EQ(json::parse(ReadFileText(dir_ / "s" / "sweep.json"))["arch_json"], arch);
}

TEST_F(Sweep, PlotScriptDrawsParetoAndSensitivity) {
  Grid(R"({"knobs": {"/units/0/rows": [8, 16], "/dram/bytes_per_cycle": [4, 16]}})");
  ASSERT_EQ(RunSweep("s", {"--jobs", "2"}).exit_code, 0);
  const std::string cmd =
      Src("tools/plot_sweep.py") + " " + ShellQuoted((dir_ / "s").string()) + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (const char* f : {"pareto.png", "sensitivity.png", "front.png"}) {
    EXPECT_EQ(ReadFileText(dir_ / "s" / f).substr(0, 4), "\x89PNG") << f;
  }
  for (const char* f : {"pareto.svg", "sensitivity.svg", "front.svg"}) {
    EXPECT_NE(ReadFileText(dir_ / "s" / f).find("<svg"), std::string::npos) << f;
  }
  // The front: no point of it is dominated by another ok point (checked from pareto.csv).
  const Rows front = core::ParseCsv(ReadFileText(dir_ / "s" / "pareto.csv"));
  const Rows all = Csv("s");
  ASSERT_GE(front.size(), 2u);
  for (size_t i = 1; i < front.size(); ++i) {
    const auto f = Row(front, front[i][0]);
    for (size_t j = 1; j < all.size(); ++j) {
      const auto p = Row(all, all[j][0]);
      const bool dominates = std::stod(p.at("seconds")) <= std::stod(f.at("seconds")) &&
                             std::stod(p.at("energy_pj")) <= std::stod(f.at("energy_pj")) &&
                             (std::stod(p.at("seconds")) < std::stod(f.at("seconds")) ||
                              std::stod(p.at("energy_pj")) < std::stod(f.at("energy_pj")));
      EXPECT_FALSE(dominates) << all[j][0] << " dominates " << front[i][0];
    }
  }
}

}  // namespace
}  // namespace npusim::testing

// `npusim dram` as a user runs it: a trace's report against closed forms of the preset, and bad
// traces refused with the line and what was expected (exit 2, no report).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/npusim_process.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path Scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("npusim_dram_cli_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

ProcessOutcome Dram(const fs::path& d, const std::string& trace, const std::string& preset = "ddr4-2400") {
  WriteFileText(d / "t.txt", trace);
  return RunNpusim(
      {"dram", "--preset", preset, "--trace", (d / "t.txt").string(), "--out", (d / "out").string()},
      d / "err.txt");
}

TEST(DramCli, OneReadAndOneWriteOnIdleBanksMatchTheirClosedForms) {
  const fs::path d = Scratch("one");
  // ddr4-2400: a read on an idle bank is done after RCD + CL + BL = 16 + 16 + 4 cycles. The write
  // (another bank group: bit 13 is the group's first bit under RoBaBgRaCoCh with 128 columns of
  // 64 bytes) is accepted in cycle 1 and drained once no read waits.
  const ProcessOutcome o = Dram(d, "LD 0x0\n# a comment\n\nST 0x2000\n");
  ASSERT_EQ(o.exit_code, 0) << o;
  const json r = json::parse(ReadFileText(d / "out" / "report.json"));
  EXPECT_EQ(r["requests"], 2);
  EXPECT_EQ(r["dram_cycles"], 1);
  EXPECT_EQ(r["row_misses"], 2);
  EXPECT_EQ(r["commands"]["ACT"], 2);
  EXPECT_EQ(r["commands"]["RD"], 1);
  EXPECT_EQ(r["commands"]["WR"], 1);
  EXPECT_EQ(r["read_latency_mean"].get<double>(), 36.0);
  EXPECT_EQ(r["read_latency_p99"], 36);
  EXPECT_GT(r["energy_pj"].get<double>(), 0.0);
  // Energy split adds up to the total.
  double sum = 0;
  for (const auto& kv : r["energy_breakdown_pj"].items()) sum += kv.value().get<double>();
  EXPECT_NEAR(sum, r["energy_pj"].get<double>(), 1e-6 * sum);
  EXPECT_NE(o.out.find("dram ddr4-2400: 2 requests"), std::string::npos) << o;
}

TEST(DramCli, RowHitStreamReachesThePresetsBurstRate) {
  const fs::path d = Scratch("stream");
  // 128 reads of one 8 KiB row of one bank group: one ACT, then a RD every tCCD_L = 6 cycles.
  std::string t;
  char buf[32];
  for (int i = 0; i < 128; ++i) {
    std::snprintf(buf, sizeof buf, "LD 0x%x\n", i * 64);
    t += buf;
  }
  const ProcessOutcome o = Dram(d, t);
  ASSERT_EQ(o.exit_code, 0) << o;
  const json r = json::parse(ReadFileText(d / "out" / "report.json"));
  EXPECT_EQ(r["row_hits"], 127);
  EXPECT_EQ(r["row_misses"], 1);
  EXPECT_EQ(r["commands"]["ACT"], 1);
  // The first RD at RCD = 16, the 128th at 16 + 127 x 6, its data done CL + BL later.
  EXPECT_EQ(r["dram_cycles_done"], 16 + 127 * 6 + 16 + 4);
}

TEST(DramCli, BadTracesNameTheLineAndLeaveNoReport) {
  struct Case {
    std::string trace, expect;
  } cases[] = {
      {"LD 0x0\nLOAD 0x40\n", "line 2: expected \"LD 0xADDRESS\" or \"ST 0xADDRESS\""},
      {"LD 0xzz\n", "line 1: expected a hexadecimal address"},
      {"LD 0x0 0x40\n", "line 1: expected \"LD 0xADDRESS\""},
      {"# nothing\n\n", "expected at least one LD or ST line"},
      {"LD 0x0\nST 0x200000000\n", "line 2: address 0x200000000 lies beyond the DRAM's 8589934592 bytes"},
  };
  for (const Case& c : cases) {
    const fs::path d = Scratch("bad");
    const ProcessOutcome o = Dram(d, c.trace);
    EXPECT_EQ(o.exit_code, 2) << o;
    EXPECT_NE(o.err.find(c.expect), std::string::npos) << o;
    EXPECT_NE(o.err.find("t.txt"), std::string::npos) << o;
    EXPECT_FALSE(fs::exists(d / "out" / "report.json"));
  }
  const fs::path d = Scratch("preset");
  const ProcessOutcome o = Dram(d, "LD 0x0\n", "ddr9");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("expected one of ddr4-2400, ddr5-3200, hbm2, lpddr4-3200, got \"ddr9\""),
            std::string::npos)
      << o;
}

// The report's per-layer row hits add up to the DRAM's counts, and compile shows each layer's
// traffic and row hit rate.
TEST(DramCli, ReportAndCompileShowEachLayersRowHits) {
  const fs::path d = Scratch("layers");
  const std::string src = NPUSIM_SOURCE_DIR;
  const ProcessOutcome o =
      RunNpusim({"--arch", src + "/arch/unpu.json", "--net", src + "/workloads/small_resnet.json", "--mode",
                 "timing", "--out", (d / "run").string()},
                d / "err.txt");
  ASSERT_EQ(o.exit_code, 0) << o;
  const json r = json::parse(ReadFileText(d / "run" / "report.json"));
  uint64_t hits = 0, all = 0;
  for (const json& L : r["layers"]) {
    const json& rows = L.at("dram_rows");
    const uint64_t n =
        rows["hits"].get<uint64_t>() + rows["misses"].get<uint64_t>() + rows["conflicts"].get<uint64_t>();
    if (n > 0) {
      EXPECT_DOUBLE_EQ(rows["hit_rate"].get<double>(), rows["hits"].get<double>() / static_cast<double>(n));
    }
    hits += rows["hits"].get<uint64_t>();
    all += n;
  }
  const json& c = r["counters"];
  EXPECT_EQ(hits, c["dram.row_hit"].get<uint64_t>());
  EXPECT_EQ(all, c["dram.row_hit"].get<uint64_t>() + c["dram.row_miss"].get<uint64_t>() +
                     c["dram.row_conflict"].get<uint64_t>());
  // Every request made one column command.
  EXPECT_EQ(all, c["dram.read"].get<uint64_t>() + c["dram.write"].get<uint64_t>());
  EXPECT_NE(ReadFileText(d / "run" / "layers.csv").find(",dram_row_hit_rate,fusion_group\n"),
            std::string::npos);

  const ProcessOutcome comp =
      RunNpusim({"compile", "--arch", src + "/arch/unpu.json", "--net", src + "/workloads/small_resnet.json"},
                d / "err2.txt");
  ASSERT_EQ(comp.exit_code, 0) << comp;
  size_t lines = 0;
  for (size_t at = comp.out.find(";     dram: "); at != std::string::npos;
       at = comp.out.find(";     dram: ", at + 1)) {
    EXPECT_NE(comp.out.find("row hit rate", at), std::string::npos);
    ++lines;
  }
  EXPECT_EQ(lines, r["layers"].size());
}

}  // namespace
}  // namespace npusim::testing

// `npusim run --trace FILE`: the timeline's slices agree with the report's per-layer spans, every
// instruction is on its queue's track once, and a trace file that cannot be written is refused
// before any work.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/npusim_process.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

struct Span {
  uint64_t start = UINT64_MAX, end = 0;
};

TEST(TraceCli, SlicesAgreeWithTheReportsLayerSpans) {
  const fs::path d = FreshTempDir("npusim_trace_spans");
  const ProcessOutcome o =
      RunNpusim({"run", "--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/small_resnet.json"),
                 "--out", (d / "out").string(), "--trace", (d / "t.json").string()},
                d / "err.txt");
  ASSERT_EQ(o.exit_code, 0) << o;
  const json report = json::parse(ReadFileText(d / "out" / "report.json"));
  const json trace = json::parse(ReadFileText(d / "t.json"));
  const double mhz = report["arch"]["clock_mhz"].get<double>();
  std::map<std::string, Span> by_layer, layer_track;
  std::set<int64_t> ids;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    const uint64_t start = e["args"]["cycles"][0], end = e["args"]["cycles"][1];
    EXPECT_NEAR(e["ts"].get<double>(), start / mhz, 1e-9);
    EXPECT_NEAR(e["dur"].get<double>(), (end - start) / mhz, 1e-9);
    if (e["tid"] == 0) {
      layer_track[e["name"]] = {start, end};
      continue;
    }
    EXPECT_TRUE(ids.insert(e["args"]["id"].get<int64_t>()).second) << e.dump();
    Span& s = by_layer[e["args"]["layer"]];
    s.start = std::min(s.start, start);
    s.end = std::max(s.end, end);
    // What it waited for: its own queue, or one of its dependencies.
    const std::string waited = e["args"]["waited_for"];
    if (waited != "its queue") {
      const int64_t dep = std::stoll(waited.substr(waited.find('#') + 1));
      EXPECT_NE(std::find(e["args"]["deps"].begin(), e["args"]["deps"].end(), dep), e["args"]["deps"].end());
    }
  }
  EXPECT_EQ(*ids.rbegin() + 1, static_cast<int64_t>(ids.size()));  // every instruction, once
  int layers = 0;
  for (const json& L : report["layers"]) {
    if (L["end_cycle"] == L["start_cycle"]) continue;  // no instruction (reshape)
    ++layers;
    SCOPED_TRACE(L["name"].get<std::string>());
    EXPECT_EQ(by_layer[L["name"]].start, L["start_cycle"].get<uint64_t>());
    EXPECT_EQ(by_layer[L["name"]].end, L["end_cycle"].get<uint64_t>());
    EXPECT_EQ(layer_track[L["name"]].start, L["start_cycle"].get<uint64_t>());
    EXPECT_EQ(layer_track[L["name"]].end, L["end_cycle"].get<uint64_t>());
  }
  EXPECT_EQ(layers, 9);
  fs::remove_all(d);
}

TEST(TraceCli, AnUnwritableTraceFileIsRefusedBeforeAnyWork) {
  const fs::path d = FreshTempDir("npusim_trace_bad");
  const std::string bad = (d / "no-such-dir" / "t.json").string();
  ProcessOutcome o =
      RunNpusim({"run", "--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"),
                 "--out", (d / "out").string(), "--trace", bad},
                d / "err.txt");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find(bad + ": --trace: its directory"), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(d / "out"));
  o = RunNpusim({"run", "--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"),
                 "--out", (d / "out").string(), "--trace", d.string()},
                d / "err.txt");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("--trace: expected a file name, got a directory"), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(d / "out"));
  fs::remove_all(d);
}

}  // namespace
}  // namespace npusim::testing

// `--weight-bits` and the bit-serial arch from the command line, as a user runs them: re-quantized
// layers run bit-exact on arch/unpu.json, the report carries the re-quantized layers' cycles, and
// bad specs or widths an arch cannot run fail with exit 2 and a message naming the layer.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/npusim_process.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

fs::path Scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("npusim_wbits_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

TEST(WeightBitsCli, RequantizedLayersRunBitExactOnUnpu) {
  const fs::path d = Scratch("ok");
  const ProcessOutcome o4 =
      RunNpusim({"--arch", Src("arch/unpu.json"), "--net", Src("workloads/small_resnet.json"),
                 "--weight-bits", "*=4", "--check", "--out", (d / "w4").string()},
                d / "err4");
  ASSERT_EQ(o4.exit_code, 0) << o4;
  EXPECT_NE(o4.out.find("check: bit-exact"), std::string::npos) << o4;
  const ProcessOutcome o1 =
      RunNpusim({"--arch", Src("arch/unpu.json"), "--net", Src("workloads/small_resnet.json"),
                 "--weight-bits", "*=1", "--check", "--out", (d / "w1").string()},
                d / "err1");
  ASSERT_EQ(o1.exit_code, 0) << o1;
  EXPECT_NE(o1.out.find("check: bit-exact"), std::string::npos) << o1;
  // One bit-plane of 4-input tables instead of four planes of 3-input tables: fewer lookups. (On a
  // network this small the 1-bit mode is table-build bound, so cycles need not drop.)
  const auto r4 = nlohmann::json::parse(ReadFileText(d / "w4" / "report.json"));
  const auto r1 = nlohmann::json::parse(ReadFileText(d / "w1" / "report.json"));
  const uint64_t lookups4 = r4["counters"]["lbpe.lookup_add"].get<uint64_t>();
  const uint64_t lookups1 = r1["counters"]["lbpe.lookup_add"].get<uint64_t>();
  EXPECT_GT(lookups1, 0u);
  EXPECT_LT(4 * lookups1, lookups4);
  EXPECT_EQ(r4["macs"], r1["macs"]);
}

TEST(WeightBitsCli, BadSpecsAndUnsupportedWidthsExitTwo) {
  const fs::path d = Scratch("bad");
  const ProcessOutcome spec =
      RunNpusim({"--arch", Src("arch/unpu.json"), "--net", Src("workloads/small_resnet.json"),
                 "--weight-bits", "conv1=0", "--out", (d / "a").string()},
                d / "e1");
  EXPECT_EQ(spec.exit_code, 2) << spec;
  EXPECT_NE(spec.err.find("--weight-bits: expected LAYER=BITS with BITS in 1..16"), std::string::npos)
      << spec;
  EXPECT_FALSE(fs::exists(d / "a"));
  const ProcessOutcome layer =
      RunNpusim({"--arch", Src("arch/unpu.json"), "--net", Src("workloads/small_resnet.json"),
                 "--weight-bits", "nope=4", "--out", (d / "b").string()},
                d / "e2");
  EXPECT_EQ(layer.exit_code, 2) << layer;
  EXPECT_NE(layer.err.find("no layer named \"nope\""), std::string::npos) << layer;
  // The dense array runs 8-bit weights only: the message names the layer and the supported range.
  const ProcessOutcome width = RunNpusim({"--arch", Src("arch/dense_16x16.json"), "--net",
                                          Src("workloads/mobilenet_q4.json"), "--out", (d / "c").string()},
                                         d / "e3");
  EXPECT_EQ(width.exit_code, 2) << width;
  EXPECT_NE(width.err.find("layer \"dw1\": weights \"dw1_w\" have 4-bit values; unit \"array\" of "),
            std::string::npos)
      << width;
  EXPECT_NE(width.err.find("runs weight bits {8}"), std::string::npos) << width;
  EXPECT_FALSE(fs::exists(d / "c"));
}

}  // namespace
}  // namespace npusim::testing

// `npusim lut` as a user runs it (the real binary): an entry's cycles and energy equal `npusim run`
// of the same one-layer network written by hand; the space's cross product gives each entry once;
// a bad space fails with exit 2 naming the field.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
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

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

fs::path Scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("npusim_lut_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// LUT.csv's rows after its comment line, as column -> value.
std::vector<std::map<std::string, std::string>> ReadLut(const fs::path& p) {
  std::string text = ReadFileText(p);
  EXPECT_EQ(text.rfind("# npusim ", 0), 0u);
  const auto rows = core::ParseCsv(text.substr(text.find('\n') + 1));
  std::vector<std::map<std::string, std::string>> out;
  for (size_t i = 1; i < rows.size(); ++i) {
    std::map<std::string, std::string> r;
    for (size_t c = 0; c < rows[0].size(); ++c) r[rows[0][c]] = rows[i].at(c);
    out.push_back(r);
  }
  return out;
}

// `space` written to d/space.json and tabulated on UNPU into d/lut.csv, its rows.
std::vector<std::map<std::string, std::string>> LutOf(const fs::path& d, const std::string& space) {
  WriteFileText(d / "space.json", space);
  const ProcessOutcome o = RunNpusim({"lut", "--arch", Src("tests/data/arch/unpu_pipe.json"), "--space",
                                      (d / "space.json").string(), "--out", (d / "lut.csv").string()},
                                     d / "err");
  EXPECT_EQ(o.exit_code, 0) << o;
  return ReadLut(d / "lut.csv");
}

TEST(Lut, EntryEqualsARunOfTheSameOneLayerNetwork) {
  const fs::path d = Scratch("equal");
  WriteFileText(d / "space.json", R"({"layers": [
      {"op": "conv2d", "in_channels": 8, "out_channels": [16, 24], "kernel": 3, "stride": [1, 2], "resolution": 10},
      {"op": "depthwise", "in_channels": 8, "out_channels": 99, "kernel": 3, "resolution": 10},
      {"op": "conv2d", "in_channels": 8, "out_channels": 16, "kernel": 3, "stride": 1, "resolution": 10}]})");
  const ProcessOutcome o =
      RunNpusim({"lut", "--arch", Src("tests/data/arch/unpu_pipe.json"), "--space",
                 (d / "space.json").string(), "--out", (d / "lut.csv").string(), "--jobs", "2"},
                d / "err");
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lut = ReadLut(d / "lut.csv");
  ASSERT_EQ(lut.size(), 5u);  // the third block repeats an entry of the first
  const auto& e = lut[0];     // conv2d 8 -> 16, 3x3, stride 1, 10x10 (sorted first)
  ASSERT_EQ(e.at("op") + e.at("out_channels") + e.at("stride"), "conv2d161");
  EXPECT_EQ(e.at("status"), "ok");
  EXPECT_EQ(e.at("out_resolution"), "10");
  EXPECT_EQ(e.at("macs"), std::to_string(10 * 10 * 16 * 3 * 3 * 8));
  EXPECT_EQ(lut[4].at("op"), "depthwise");
  EXPECT_EQ(lut[4].at("out_channels"), "8");
  EXPECT_EQ(lut[4].at("macs"), std::to_string(10 * 10 * 8 * 3 * 3));

  // The same layer as a network file, run by `npusim run`.
  const json net = json::parse(R"({
    "version": 1, "name": "lut_entry", "layout": "NHWC", "inputs": ["x"], "outputs": ["y"],
    "tensors": {
      "x": {"shape": [1, 10, 10, 8], "bits": 8, "signed": true, "scale": 0.05, "zero_point": 0, "data": {"random": {"seed": 1}}},
      "w": {"shape": [16, 3, 3, 8], "bits": 8, "signed": true, "scale": {"random": {"seed": 3, "min": 0.003, "max": 0.005, "per_channel": true}},
            "zero_point": 0, "data": {"random": {"seed": 2, "min": -127, "max": 127}}},
      "b": {"shape": [16], "bits": 32, "signed": true, "data": {"random": {"seed": 4, "min": -1000, "max": 1000}}},
      "y": {"shape": [1, 10, 10, 16], "bits": 8, "signed": true, "scale": 0.2, "zero_point": 0}},
    "ops": [{"name": "layer", "op": "conv2d", "inputs": ["x", "w", "b"], "outputs": ["y"], "stride": [1, 1],
             "pads": [1, 1, 1, 1], "groups": 1, "activation": "relu"}]})");
  WriteFileText(d / "net.json", net.dump());
  const ProcessOutcome r = RunNpusim({"--arch", Src("tests/data/arch/unpu_pipe.json"), "--net",
                                      (d / "net.json").string(), "--out", (d / "run").string()},
                                     d / "err");
  ASSERT_EQ(r.exit_code, 0) << r;
  const json rep = json::parse(ReadFileText(d / "run" / "report.json"));
  EXPECT_EQ(e.at("cycles"), rep["cycles"].dump());
  EXPECT_EQ(e.at("energy_pj"), rep["energy_pj"].dump());
  EXPECT_EQ(e.at("dram_read_bytes"), rep["counters"]["dram.read_byte"].dump());
  fs::remove_all(d);
}

TEST(Lut, FewerWeightBitsTakeFewerCyclesOnTheBitSerialArray) {
  const fs::path d = Scratch("bits");
  const auto lut = LutOf(
      d,
      R"({"layers": [{"in_channels": 32, "out_channels": 32, "kernel": 3, "resolution": 8, "weight_bits": [2, 8]}]})");
  ASSERT_EQ(lut.size(), 2u);
  EXPECT_EQ(lut[0].at("weight_bits"), "2");
  EXPECT_LT(std::stoll(lut[0].at("cycles")), std::stoll(lut[1].at("cycles")));
  fs::remove_all(d);
}

// --out NAME.json writes the same table as a JSON document (arch and version recorded).
TEST(Lut, JsonOutputHoldsTheSameEntriesAsTheCsv) {
  const fs::path d = Scratch("json");
  WriteFileText(
      d / "space.json",
      R"({"layers": [{"in_channels": 16, "out_channels": 16, "kernel": [1, 3], "resolution": 8, "weight_bits": [4, 8]}]})");
  for (const char* out : {"lut.csv", "lut.json"}) {
    ASSERT_EQ(RunNpusim({"lut", "--arch", Src("tests/data/arch/unpu_pipe.json"), "--space",
                         (d / "space.json").string(), "--out", (d / out).string()},
                        d / "err")
                  .exit_code,
              0);
  }
  const auto csv = ReadLut(d / "lut.csv");
  const json doc = json::parse(ReadFileText(d / "lut.json"));
  EXPECT_EQ(doc["arch"]["name"], "unpu_pipe");
  EXPECT_EQ(doc["npusim_version"], "0.1.0");
  ASSERT_EQ(doc["entries"].size(), csv.size());
  ASSERT_EQ(csv.size(), 4u);
  for (size_t i = 0; i < csv.size(); ++i) {
    const json& e = doc["entries"][i];
    EXPECT_EQ(e["status"], "ok");
    for (const char* k : {"kernel", "weight_bits", "macs", "cycles", "energy_pj", "dram_read_bytes"}) {
      EXPECT_EQ(e[k].dump(), csv[i].at(k)) << k << " of entry " << i;
    }
  }
  fs::remove_all(d);
}

TEST(Lut, ABadSpaceFailsNamingTheField) {
  const fs::path d = Scratch("bad");
  WriteFileText(d / "space.json", R"({"layers": [{"op": "conv3d", "kernal": 3, "weight_bits": [8, 17]}]})");
  const ProcessOutcome o = RunNpusim({"lut", "--arch", Src("tests/data/arch/unpu_pipe.json"), "--space",
                                      (d / "space.json").string(), "--out", (d / "lut.csv").string()},
                                     d / "err");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("/layers/0/kernal: unknown key"), std::string::npos) << o;
  EXPECT_NE(o.err.find("/layers/0/op: expected conv2d, depthwise or fully_connected"), std::string::npos)
      << o;
  EXPECT_NE(o.err.find("/layers/0/weight_bits/1: expected an integer in 1..16, got 17"), std::string::npos)
      << o;
  EXPECT_FALSE(fs::exists(d / "lut.csv"));
  fs::remove_all(d);
}

// A block space (explore/nas_space.h): stem, MBConv blocks and head.
const char kBlockSpace[] = R"({"name": "t8", "input": {"resolution": 32, "channels": 3},
  "stem": {"out_channels": 16, "kernel": 3, "stride": 2},
  "stages": [{"out_channels": 16, "blocks": 2, "stride": 1},
             {"out_channels": 24, "blocks": 1, "stride": 2, "choices": {"expansion": [6]}}],
  "choices": {"kernel": [3, 5], "expansion": [1, 3], "weight_bits": [4, 8]},
  "head": {"out_channels": 64, "classes": 10}})";

int64_t Int(const json& v) { return v.get<int64_t>(); }

// Every choice at every position (2 x 2 x 2 at s0b0 and s0b1, 2 x 1 x 2 at s1b0), the stem and
// the head; an architecture's network (--emit-net) simulated whole moves exactly the LUT sum's
// DRAM bytes, and on the dense array takes its cycles within 0.2 %; on UNPU the next layer's
// first tile may start early, so the sum is an upper bound within 3 %.
TEST(Lut, BlockSpaceEntriesAddUpToTheWholeArchitecture) {
  const fs::path d = Scratch("blocks");
  WriteFileText(d / "space.json", kBlockSpace);
  const std::string choices = "k3_e3_w8_a8,k5_e1_w8_a8,k3_e6_w8_a8";
  for (const char* arch : {"tests/data/arch/dense_16x16_pipe.json", "tests/data/arch/unpu_pipe.json"}) {
    SCOPED_TRACE(arch);
    ProcessOutcome o = RunNpusim({"lut", "--arch", Src(arch), "--space", (d / "space.json").string(), "--out",
                                  (d / "lut.json").string(), "--jobs", "2"},
                                 d / "err");
    ASSERT_EQ(o.exit_code, 0) << o;
    const json doc = json::parse(ReadFileText(d / "lut.json"));
    EXPECT_EQ(doc["space"]["kind"], "blocks");
    ASSERT_EQ(doc["entries"].size(), 1u + 8 + 8 + 4 + 1);
    const json& lut = doc["lut"];
    // s0b0: 16 -> 16, stride 1: a residual add; s1b0 (stride 2) none.
    for (const json& e : doc["entries"]) {
      if (e["position"] == "s0b1" && e["choice"] == "k5_e3_w8_a8") {
        EXPECT_EQ(e["skip"], 1);
        EXPECT_EQ(e["layers"], 4);  // expand, depthwise, project, add
        EXPECT_EQ(Int(e["macs"]), 16 * 16 * (16 * 48 + 48 * 25 + 48 * 16));
      }
      if (e["position"] == "s1b0") {
        EXPECT_EQ(e["skip"], 0);
      }
    }
    o = RunNpusim({"lut", "--arch", Src(arch), "--space", (d / "space.json").string(), "--out",
                   (d / "net.json").string(), "--emit-net", choices},
                  d / "err");
    ASSERT_EQ(o.exit_code, 0) << o;
    o = RunNpusim({"--arch", Src(arch), "--net", (d / "net.json").string(), "--mode", "timing", "--out",
                   (d / "run").string()},
                  d / "err");
    ASSERT_EQ(o.exit_code, 0) << o;
    const json rep = json::parse(ReadFileText(d / "run" / "report.json"));
    const std::vector<json> parts = {lut["stem"][""], lut["s0b0"]["k3_e3_w8_a8"], lut["s0b1"]["k5_e1_w8_a8"],
                                     lut["s1b0"]["k3_e6_w8_a8"], lut["head"][""]};
    int64_t cycles = 0, rd = 0, wr = 0;
    for (const json& p : parts) {
      ASSERT_EQ(p["status"], "ok") << p.dump();
      cycles += Int(p["cycles"]);
      rd += Int(p["dram_read_bytes"]);
      wr += Int(p["dram_write_bytes"]);
    }
    EXPECT_EQ(rd, Int(rep["counters"]["dram.read_byte"]));
    EXPECT_EQ(wr, Int(rep["counters"]["dram.write_byte"]));
    if (std::string(arch) == "tests/data/arch/dense_16x16_pipe.json") {
      // Within 0.2 % (47 cycles here): a block's residual add runs fused with its project layer
      // (compiler/passes/fusion.h), and the whole network's depthwise layer before that group
      // takes a few cycles more than in its piece alone.
      EXPECT_LE(std::abs(cycles - Int(rep["cycles"])), Int(rep["cycles"]) / 500);
      // 4-bit weights: the dense array runs 8 only, so those entries carry the compiler's error.
      EXPECT_EQ(lut["s0b0"]["k3_e1_w4_a8"]["status"], "error");
    } else {
      EXPECT_GE(cycles, Int(rep["cycles"]));
      EXPECT_LT(cycles, Int(rep["cycles"]) * 103 / 100);
      EXPECT_LT(Int(lut["s0b0"]["k3_e3_w4_a8"]["cycles"]), Int(lut["s0b0"]["k3_e3_w8_a8"]["cycles"]));
    }
  }
  fs::remove_all(d);
}

// A one-block space's architecture is the block's LUT entry: the same network, the same figures,
// with the entry's activation and weight bits applied (16-bit features on UNPU).
TEST(Lut, ABlockEntryEqualsARunOfItsNetwork) {
  const fs::path d = Scratch("one_block");
  const auto lut = LutOf(d, R"({"input": {"resolution": 12, "channels": 8},
      "stages": [{"out_channels": 8, "blocks": 1}],
      "choices": {"kernel": [3, 7], "expansion": [3], "weight_bits": [3], "activation_bits": [8, 16]}})");
  ASSERT_EQ(lut.size(), 4u);
  EXPECT_EQ(lut[3].at("choice"), "k7_e3_w3_a16");
  EXPECT_EQ(lut[3].at("skip"), "1");
  const ProcessOutcome o = RunNpusim(
      {"lut", "--arch", Src("tests/data/arch/unpu_pipe.json"), "--space", (d / "space.json").string(),
       "--out", (d / "net.json").string(), "--emit-net", "k7_e3_w3_a16"},
      d / "err");
  ASSERT_EQ(o.exit_code, 0) << o;
  const ProcessOutcome r = RunNpusim({"--arch", Src("tests/data/arch/unpu_pipe.json"), "--net",
                                      (d / "net.json").string(), "--check", "--out", (d / "run").string()},
                                     d / "err");
  ASSERT_EQ(r.exit_code, 0) << r;  // bit-exact
  const json rep = json::parse(ReadFileText(d / "run" / "report.json"));
  EXPECT_EQ(lut[3].at("cycles"), rep["cycles"].dump());
  EXPECT_EQ(lut[3].at("energy_pj"), rep["energy_pj"].dump());
  EXPECT_EQ(lut[3].at("dram_read_bytes"), rep["counters"]["dram.read_byte"].dump());
  // The entry applies its activation bits (2-byte features): its figures differ from the 8-bit
  // entry's (fewer DRAM bytes here: the 16-bit block runs fused, the 8-bit one, slower fused by the
  // cost model, does not).
  EXPECT_NE(lut[3].at("dram_read_bytes"), lut[2].at("dram_read_bytes"));
  fs::remove_all(d);
}

TEST(Lut, ABadBlockSpaceOrArchitectureFailsNamingIt) {
  const fs::path d = Scratch("bad_blocks");
  WriteFileText(d / "space.json",
                R"({"input": {"resolution": 12}, "stages": [{"out_channels": 8, "blocks": 0}],
      "choices": {"kernel": [3, 4], "activation_bits": [1]}, "activation": "gelu"})");
  ProcessOutcome o = RunNpusim({"lut", "--arch", Src("tests/data/arch/unpu_pipe.json"), "--space",
                                (d / "space.json").string(), "--out", (d / "lut.csv").string()},
                               d / "err");
  EXPECT_EQ(o.exit_code, 2) << o;
  for (const char* m :
       {"/input/channels: missing required key \"channels\"",
        "/stages/0/blocks: expected an integer in 1..64, got 0", "/choices/kernel/1: expected an odd kernel",
        "/choices/activation_bits/0: expected an integer in 2..16, got 1", "/activation: expected one of"}) {
    EXPECT_NE(o.err.find(m), std::string::npos) << m << "\n" << o;
  }
  EXPECT_FALSE(fs::exists(d / "lut.csv"));
  WriteFileText(d / "space.json", kBlockSpace);
  o = RunNpusim(
      {"lut", "--arch", Src("tests/data/arch/unpu_pipe.json"), "--space", (d / "space.json").string(),
       "--out", (d / "net.json").string(), "--emit-net", "k3_e3_w8_a8,k9_e1_w8_a8,k3_e6_w8_a8"},
      d / "err");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("--emit-net: block s0b1 (choice 2): expected one of k3_e1_w4_a8, "), std::string::npos)
      << o;
  EXPECT_NE(o.err.find("got \"k9_e1_w8_a8\""), std::string::npos) << o;
  o = RunNpusim(
      {"lut", "--arch", Src("tests/data/arch/unpu_pipe.json"), "--space", (d / "space.json").string(),
       "--out", (d / "net.json").string(), "--emit-net", "k3_e3_w8_a8"},
      d / "err");
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("expected 3 choices (one per block of t8), got 1"), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(d / "net.json"));
  fs::remove_all(d);
}

// `npusim lut` of d/space.json on UNPU into d/lut.csv, with `extra` arguments.
ProcessOutcome RunLut(const fs::path& d, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"lut",
                                "--arch",
                                Src("tests/data/arch/unpu_pipe.json"),
                                "--space",
                                (d / "space.json").string(),
                                "--out",
                                (d / "lut.csv").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunNpusim(args, d / "err");
}

// A space of 10^12 entries grew memory without end: it is counted before any entry is built and
// refused naming the figure, the pointer and the way out (--max-entries); no table is written.
TEST(Lut, ASpaceOverTheEntryBudgetIsRefusedUpFront) {
  const fs::path d = Scratch("budget");
  std::string range;
  for (int i = 1; i <= 1000; ++i) range += std::string(i > 1 ? ", " : "") + std::to_string(i);
  WriteFileText(d / "space.json", R"({"layers": [{"in_channels": [)" + range + R"(], "out_channels": [)" +
                                      range + R"(], "resolution": [)" + range +
                                      R"(], "kernel": [1, 3, 5]}]})");
  ProcessOutcome o = RunLut(d);
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(
      o.err.find("space.json: /layers: the space has 3000000000 entries; the limit is 1000000, raise it "
                 "with --max-entries or choose fewer values"),
      std::string::npos)
      << o;
  EXPECT_FALSE(fs::exists(d / "lut.csv"));
  // A block space counts its choices per position (2 x 2 x 2 + 2 x 2 x 2 + 2 x 1 x 2, stem, head).
  WriteFileText(d / "space.json", kBlockSpace);
  o = RunLut(d, {"--max-entries", "21"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("/stages: the space has 22 entries; the limit is 21"), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(d / "lut.csv"));
  fs::remove_all(d);
}

// The space file goes through the JSON reading path of every input: nesting, long strings and
// subnormal numbers are refused with their position.
TEST(Lut, ASpaceFileTakesTheSharedJsonChecks) {
  const fs::path d = Scratch("json_checks");
  WriteFileText(d / "space.json", R"({"layers": [{"kernel": [3, 5e-324]}]})");
  const ProcessOutcome o = RunLut(d);
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find("/layers/0/kernel/1: expected 0 or a normal number"), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(d / "lut.csv"));
  fs::remove_all(d);
}

}  // namespace
}  // namespace npusim::testing

// `npusim scalesim`: SCALE-Sim v2 inputs read unchanged (frontends/scalesim/scalesim_input.h), every class of
// bad input with its exact message, the --compat scalesim run in process (app/scalesim.h), and
// the command end to end through the real binary (exit codes, stdout, files written or not).
#include "app/scalesim.h"
#include "frontends/scalesim/scalesim_arch.h"
#include "frontends/scalesim/scalesim_graph.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "frontends/scalesim/scalesim_input.h"
#include "support/error.h"
#include "tests/common/npusim_process.h"

namespace npusim {
namespace {

namespace fs = std::filesystem;
using core::ScaleSimCompatRun;
using core::ScaleSimTopologyForm;
using nlohmann::json;
using testing::ProcessOutcome;
using testing::ReadFileText;
using testing::WriteFileText;

std::string Src(const std::string& relative) { return std::string(NPUSIM_SOURCE_DIR) + "/" + relative; }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// tests/data/scalesim/worked_case.cfg without its comment line; line numbers as below.
const char kConfig[] = "[general]\n"                  // 1
                       "run_name = worked_case\n"     // 2
                       "\n"                           // 3
                       "[architecture_presets]\n"     // 4
                       "ArrayHeight:    4\n"          // 5
                       "ArrayWidth:     4\n"          // 6
                       "IfmapSramSzkB:    64\n"       // 7
                       "FilterSramSzkB:   64\n"       // 8
                       "OfmapSramSzkB:    64\n"       // 9
                       "IfmapOffset:    0\n"          // 10
                       "FilterOffset:   10000000\n"   // 11
                       "OfmapOffset:    20000000\n"   // 12
                       "Dataflow : os\n"              // 13
                       "Bandwidth : 10\n"             // 14
                       "MemoryBanks: 1\n"             // 15
                       "\n"                           // 16
                       "[run_presets]\n"              // 17
                       "InterfaceBandwidth: CALC\n";  // 18

const char kConvHeader[] =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
const char kConvColumns[] =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides";

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "\"" << from << "\" not in the text";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Scratch space per test (tests run in parallel processes), removed when the test ends.
class ScaleSim : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("npusim_scalesim_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    out_dir_ = dir_ / "out";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    WriteFileText(p, text);
    return p.string();
  }

  // The ConfigError message loading `text` as a .cfg gives ("" when it loads).
  std::string ConfigMessage(const std::string& text) {
    try {
      core::LoadScaleSimConfig(Write("x.cfg", text));
    } catch (const core::ConfigError& e) {
      return e.what();
    }
    return "";
  }

  std::string TopologyMessage(const std::string& text,
                              ScaleSimTopologyForm form = ScaleSimTopologyForm::kConv) {
    try {
      core::LoadScaleSimTopology(Write("t.csv", text), form);
    } catch (const core::ConfigError& e) {
      return e.what();
    }
    return "";
  }

  std::string Cfg() const { return (dir_ / "x.cfg").string(); }
  std::string Csv() const { return (dir_ / "t.csv").string(); }

  ProcessOutcome Run(const std::vector<std::string>& args, const fs::path& cwd = {}) {
    return testing::RunNpusim(args, dir_ / "stderr.txt", cwd);
  }

  // npusim scalesim --compat scalesim on the given files into --out.
  ProcessOutcome RunCompat(const std::string& cfg, const std::string& csv,
                           std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"scalesim",        "-c",       cfg,       "-t", csv, "--out",
                                     out_dir_.string(), "--compat", "scalesim"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  }

  ::testing::AssertionResult NoOutput() const {
    if (!fs::exists(out_dir_)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "invalid input created " << out_dir_;
  }

  fs::path dir_, out_dir_;
};

// ---------------------------------------------------------------------------------------------
// The .cfg: what it reads

TEST_F(ScaleSim, ConfigReadsEveryKey) {
  const core::ScaleSimConfig c = core::LoadScaleSimConfig(Src("tests/data/scalesim/worked_case.cfg"));
  EXPECT_EQ(c.run_name, "worked_case");
  EXPECT_EQ(c.array_height, 4);
  EXPECT_EQ(c.array_width, 4);
  EXPECT_EQ(c.ifmap_sram_kb, 64);
  EXPECT_EQ(c.filter_sram_kb, 64);
  EXPECT_EQ(c.ofmap_sram_kb, 64);
  EXPECT_EQ(c.ifmap_offset, 0);
  EXPECT_EQ(c.filter_offset, 10000000);
  EXPECT_EQ(c.ofmap_offset, 20000000);
  EXPECT_EQ(c.dataflow, "os");
  EXPECT_EQ(c.interface_bandwidth, "CALC");
  EXPECT_EQ(c.memory_banks, 1);
  // SCALE-Sim reads Bandwidth in USER mode only (so it is listed as ignored); npusim keeps it for
  // the full model's DRAM.
  EXPECT_EQ(c.bandwidth, std::vector<int64_t>{10});
  EXPECT_EQ(c.ignored_keys, std::vector<std::string>{"[architecture_presets] Bandwidth"});
}

TEST_F(ScaleSim, ConfigAcceptsScaleSimsExtraKeysAndListsThem) {
  const core::ScaleSimConfig c = core::LoadScaleSimConfig(Src("tests/data/scalesim/scalesim_style.cfg"));
  EXPECT_EQ(c.dataflow, "ws");
  EXPECT_EQ(c.array_height, 8);
  const std::vector<std::string> ignored = {"[architecture_presets] Bandwidth", "[run_presets] SRAM_row_size",
                                            "[run_presets] SRAM_bank_size"};
  EXPECT_EQ(c.ignored_keys, ignored);
}

TEST_F(ScaleSim, ConfigKeysAreCaseInsensitiveWithCommentsAndEitherDelimiter) {
  std::string text = Replaced(kConfig, "ArrayHeight:    4", "# a comment\n; another\narrayheight = 16");
  text = Replaced(text, "Dataflow : os", "DATAFLOW=is");
  ASSERT_EQ(ConfigMessage(text), "");
  const core::ScaleSimConfig c = core::LoadScaleSimConfig(Cfg());
  EXPECT_EQ(c.array_height, 16);
  EXPECT_EQ(c.dataflow, "is");
}

TEST_F(ScaleSim, ConfigUserModeReadsBandwidth) {
  ASSERT_EQ(ConfigMessage(Replaced(kConfig, "CALC", "USER")), "");
  EXPECT_EQ(core::LoadScaleSimConfig(Cfg()).bandwidth, std::vector<int64_t>{10});
}

// ---------------------------------------------------------------------------------------------
// The .cfg: every class of bad input, exact message

TEST_F(ScaleSim, ConfigMissingFile) {
  const std::string path = (dir_ / "absent.cfg").string();
  try {
    core::LoadScaleSimConfig(path);
    FAIL() << "loaded a missing file";
  } catch (const core::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open the file: No such file or directory");
  }
}

TEST_F(ScaleSim, ConfigNonNumericValue) {
  const std::string m = ConfigMessage(Replaced(kConfig, "ArrayHeight:    4", "ArrayHeight:    4x"));
  EXPECT_EQ(m,
            Cfg() + ": line 5, [architecture_presets] ArrayHeight: expected a positive integer, got \"4x\"");
}

TEST_F(ScaleSim, ConfigZeroArrayWidth) {
  const std::string m = ConfigMessage(Replaced(kConfig, "ArrayWidth:     4", "ArrayWidth:     0"));
  EXPECT_EQ(m, Cfg() + ": line 6, [architecture_presets] ArrayWidth: expected a positive integer, got \"0\"");
}

TEST_F(ScaleSim, ConfigNegativeOffset) {
  const std::string m = ConfigMessage(Replaced(kConfig, "IfmapOffset:    0", "IfmapOffset:    -1"));
  EXPECT_EQ(
      m,
      Cfg() + ": line 10, [architecture_presets] IfmapOffset: expected a non-negative integer, got \"-1\"");
}

TEST_F(ScaleSim, ConfigUnknownDataflow) {
  const std::string m = ConfigMessage(Replaced(kConfig, "Dataflow : os", "Dataflow : rs"));
  EXPECT_EQ(m, Cfg() + ": line 13, [architecture_presets] Dataflow: expected os, ws or is, got \"rs\"");
}

TEST_F(ScaleSim, ConfigMissingKey) {
  const std::string m = ConfigMessage(Replaced(kConfig, "FilterSramSzkB:   64\n", ""));
  EXPECT_EQ(m, Cfg() + ": [architecture_presets] FilterSramSzkB: missing key: expected a positive integer "
                       "(filter SRAM size in KiB)");
}

TEST_F(ScaleSim, ConfigMissingSection) {
  const std::string m = ConfigMessage(Replaced(kConfig, "[run_presets]\nInterfaceBandwidth: CALC\n", ""));
  EXPECT_EQ(m, Cfg() + ": [run_presets]: missing section: SCALE-Sim v2 configs have [general], "
                       "[architecture_presets] and [run_presets]");
}

TEST_F(ScaleSim, ConfigBadInterfaceBandwidth) {
  const std::string m = ConfigMessage(Replaced(kConfig, "CALC", "calc"));
  EXPECT_EQ(m, Cfg() + ": line 18, [run_presets] InterfaceBandwidth: expected CALC or USER, got \"calc\"");
}

TEST_F(ScaleSim, ConfigUserModeWithoutBandwidth) {
  const std::string m = ConfigMessage(Replaced(Replaced(kConfig, "CALC", "USER"), "Bandwidth : 10\n", ""));
  EXPECT_EQ(m, Cfg() +
                   ": [architecture_presets] Bandwidth: missing key: expected the DRAM bandwidth in words "
                   "per cycle (InterfaceBandwidth is USER)");
}

TEST_F(ScaleSim, ConfigUserModeBadBandwidth) {
  const std::string m =
      ConfigMessage(Replaced(Replaced(kConfig, "CALC", "USER"), "Bandwidth : 10", "Bandwidth : 10,x"));
  EXPECT_EQ(m, Cfg() + ": line 14, [architecture_presets] Bandwidth: expected positive integers separated by "
                       "commas (words per cycle, one per memory bank), got \"10,x\"");
}

TEST_F(ScaleSim, ConfigUserModeOneBandwidthPerBank) {
  const std::string m =
      ConfigMessage(Replaced(Replaced(kConfig, "CALC", "USER"), "Bandwidth : 10", "Bandwidth : 10, 20"));
  EXPECT_EQ(m, Cfg() + ": line 14, [architecture_presets] Bandwidth: expected one value per memory bank "
                       "(MemoryBanks = 1), got 2");
}

TEST_F(ScaleSim, ConfigLineWithoutDelimiter) {
  const std::string m = ConfigMessage(Replaced(kConfig, "MemoryBanks: 1", "MemoryBanks 1"));
  EXPECT_EQ(
      m,
      Cfg() + ": line 15: expected \"[section]\", \"key = value\" or \"key: value\", got \"MemoryBanks 1\"");
}

TEST_F(ScaleSim, ConfigKeyBeforeAnySection) {
  const std::string m = ConfigMessage(std::string("run_name = early\n") + kConfig);
  EXPECT_EQ(m, Cfg() + ": line 1: expected a [section] header before the first key");
}

TEST_F(ScaleSim, ConfigDuplicateKey) {
  const std::string m =
      ConfigMessage(Replaced(kConfig, "ArrayHeight:    4\n", "ArrayHeight:    4\narrayheight = 8\n"));
  EXPECT_EQ(m, Cfg() + ": line 6, [architecture_presets] arrayheight: duplicate key (first on line 5)");
}

TEST_F(ScaleSim, ConfigDuplicateSection) {
  const std::string m = ConfigMessage(std::string(kConfig) + "[general]\n");
  EXPECT_EQ(m, Cfg() + ": line 19, [general]: duplicate section (first on line 1)");
}

TEST_F(ScaleSim, ConfigSparsityRefused) {
  const std::string m = ConfigMessage(std::string(kConfig) + "\n[sparsity]\nSparsitySupport : true\n");
  EXPECT_EQ(m, Cfg() +
                   ": line 21, [sparsity] SparsitySupport: expected false: SCALE-Sim's sparse mode is not "
                   "reproduced by npusim scalesim");
}

TEST_F(ScaleSim, ConfigReportsEveryProblemAtOnce) {
  std::string text = Replaced(kConfig, "ArrayHeight:    4", "ArrayHeight:    four");
  text = Replaced(text, "Dataflow : os", "Dataflow : xs");
  EXPECT_EQ(ConfigMessage(text),
            Cfg() +
                ": line 5, [architecture_presets] ArrayHeight: expected a positive integer, got \"four\"\n" +
                Cfg() + ": line 13, [architecture_presets] Dataflow: expected os, ws or is, got \"xs\"");
}

// ---------------------------------------------------------------------------------------------
// The topology: what it reads

TEST_F(ScaleSim, TopologyReadsConvRowsDepthwiseAndStrides) {
  const core::ScaleSimTopology t =
      core::LoadScaleSimTopology(Src("tests/data/scalesim/mixed.csv"), ScaleSimTopologyForm::kConv);
  ASSERT_EQ(t.layers.size(), 3u);
  const core::ScaleSimLayer& conv1 = t.layers[0];
  EXPECT_EQ(conv1.name, "conv1");
  EXPECT_EQ(conv1.line, 3);  // line 2 is blank
  EXPECT_EQ(conv1.ifmap_h, 10);
  EXPECT_EQ(conv1.channels, 4);
  EXPECT_EQ(conv1.num_filters, 20);
  EXPECT_EQ(conv1.stride_w, 1);  // one Strides value serves both directions
  EXPECT_FALSE(conv1.depthwise);
  const core::ScaleSimLayer& dp = t.layers[1];
  EXPECT_TRUE(dp.depthwise);  // "DP" in the name; its "#dw" note after the last comma is ignored
  EXPECT_EQ(dp.Runs(), 4);
  EXPECT_EQ(dp.ChannelsPerRun(), 1);
  const core::ScaleSimLayer& conv3 = t.layers[2];
  EXPECT_EQ(conv3.stride_h, 2);
  EXPECT_EQ(conv3.stride_w, 3);  // the ninth column
}

TEST_F(ScaleSim, TopologyReadsGemmRowsAsScaleSimConvertsThem) {
  const core::ScaleSimTopology t = core::LoadScaleSimTopology(Src("tests/data/scalesim/worked_case_gemm.csv"),
                                                              ScaleSimTopologyForm::kGemm);
  ASSERT_EQ(t.layers.size(), 1u);
  const core::ScaleSimLayer& L = t.layers[0];
  EXPECT_EQ(L.gemm_m, 64);
  EXPECT_EQ(L.gemm_n, 20);
  EXPECT_EQ(L.gemm_k, 36);
  // ifmap M x K, filter 1 x K, one channel, N filters: M ofmap pixels, window K.
  EXPECT_EQ(L.ifmap_h, 64);
  EXPECT_EQ(L.ifmap_w, 36);
  EXPECT_EQ(L.filter_h, 1);
  EXPECT_EQ(L.filter_w, 36);
  EXPECT_EQ(L.channels, 1);
  EXPECT_EQ(L.num_filters, 20);
}

TEST_F(ScaleSim, TopologyAcceptsRowsWithoutTrailingCommaAndCrlf) {
  ASSERT_EQ(
      TopologyMessage(std::string(kConvHeader) + "conv1, 10, 10, 3, 3, 4, 20, 1\r\nconv2,5,5,1,1,2,2,1,\r\n"),
      "");
  EXPECT_EQ(core::LoadScaleSimTopology(Csv(), ScaleSimTopologyForm::kConv).layers.size(), 2u);
}

// ---------------------------------------------------------------------------------------------
// The topology: every class of bad input, exact message

TEST_F(ScaleSim, TopologyRowWithTooFewColumns) {
  const std::string m = TopologyMessage(std::string(kConvHeader) + "conv1, 10, 10, 3, 3, 4,\n");
  EXPECT_EQ(m, Csv() + ": line 2: expected 8 columns (" + kConvColumns +
                   "), or 9 with Stride Height and Stride Width, got 6");
}

TEST_F(ScaleSim, TopologyRowWithTooManyColumns) {
  const std::string m = TopologyMessage(std::string(kConvHeader) + "conv1, 10, 10, 3, 3, 4, 20, 1, 1, 1,\n");
  EXPECT_EQ(m, Csv() + ": line 2: expected 8 columns (" + kConvColumns +
                   "), or 9 with Stride Height and Stride Width, got 10");
}

TEST_F(ScaleSim, TopologyNonNumericValue) {
  const std::string m = TopologyMessage(std::string(kConvHeader) + "conv1, 10, 10, 3, x, 4, 20, 1,\n");
  EXPECT_EQ(m, Csv() + ": line 2: Filter Width (column 5): expected a positive integer, got \"x\"");
}

TEST_F(ScaleSim, TopologyZeroChannels) {
  const std::string m = TopologyMessage(std::string(kConvHeader) + "conv1, 10, 10, 3, 3, 0, 20, 1,\n");
  EXPECT_EQ(m, Csv() + ": line 2: Channels (column 6): expected a positive integer, got \"0\"");
}

TEST_F(ScaleSim, TopologyFilterLargerThanIfmap) {
  const std::string m = TopologyMessage(std::string(kConvHeader) + "conv1, 4, 10, 5, 3, 4, 20, 1,\n");
  EXPECT_EQ(m, Csv() + ": line 2: layer \"conv1\": Filter Height 5 is larger than IFMAP Height 4: expected "
                       "Filter Height <= IFMAP Height (the topology gives the padded ifmap)");
}

TEST_F(ScaleSim, TopologyEmptyLayerName) {
  const std::string m = TopologyMessage(std::string(kConvHeader) + ", 10, 10, 3, 3, 4, 20, 1,\n");
  EXPECT_EQ(m, Csv() + ": line 2: Layer name (column 1): expected a name, got an empty field");
}

TEST_F(ScaleSim, TopologyEmptyFile) {
  EXPECT_EQ(TopologyMessage(""),
            Csv() + ": empty file: expected a header line (" + kConvColumns + "), then one row per layer");
}

TEST_F(ScaleSim, TopologyHeaderOnly) {
  EXPECT_EQ(TopologyMessage(kConvHeader),
            Csv() + ": no layers: expected one row per layer after the header line (" + kConvColumns + ")");
}

TEST_F(ScaleSim, TopologyFirstLineIsALayerNotAHeader) {
  const std::string m = TopologyMessage("conv1, 10, 10, 3, 3, 4, 20, 1,\nconv2, 10, 10, 3, 3, 4, 20, 1,\n");
  EXPECT_EQ(
      m, Csv() + ": line 1: expected the header line (the first line is skipped as the column names), got a "
                 "layer row \"conv1, 10, 10, 3, 3, 4, 20, 1,\"");
}

TEST_F(ScaleSim, TopologyGemmRowWithTooFewColumns) {
  const std::string m = TopologyMessage("Layer, M, N, K,\nfc, 64, 20,\n", ScaleSimTopologyForm::kGemm);
  EXPECT_EQ(m, Csv() + ": line 2: expected 4 columns (Layer name, M, N, K), got 3");
}

TEST_F(ScaleSim, TopologyMissingFile) {
  const std::string path = (dir_ / "absent.csv").string();
  try {
    core::LoadScaleSimTopology(path, ScaleSimTopologyForm::kConv);
    FAIL() << "loaded a missing file";
  } catch (const core::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open the file: No such file or directory");
  }
}

TEST_F(ScaleSim, TopologyReportsEveryRowsProblems) {
  const std::string m = TopologyMessage(std::string(kConvHeader) +
                                        "a, 1, 1, 1, 1, 1, 1, 1,\nb, 2, 2, 3, 1, 1, 1, 1,\nc, 1, 1,\n");
  EXPECT_TRUE(Contains(m, "line 3: layer \"b\": Filter Height 3 is larger than IFMAP Height 2")) << m;
  EXPECT_TRUE(Contains(m, "line 4: expected 8 columns")) << m;
}

TEST_F(ScaleSim, LayerWhoseCountsOverflowNamesItsLine) {
  const std::string csv = Write(
      "t.csv", std::string(kConvHeader) + "huge, 3000000000, 3000000000, 1, 1, 3000000000, 3000000000, 1,\n");
  const core::ScaleSimInputs in =
      core::LoadScaleSimInputs(Src("tests/data/scalesim/worked_case.cfg"), csv, ScaleSimTopologyForm::kConv);
  try {
    core::RunScaleSimCompat(in);
    FAIL() << "no overflow reported";
  } catch (const core::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              csv + ": line 2: layer \"huge\": its cycle or access counts overflow 64 bits "
                    "on a 4x4 array: expected smaller sizes");
  }
}

// ---------------------------------------------------------------------------------------------
// --compat scalesim in process

ScaleSimCompatRun Compat(const core::ScaleSimInputs& in) { return core::RunScaleSimCompat(in); }

TEST_F(ScaleSim, MixedTopologyLayersAndTotals) {
  const core::ScaleSimInputs in =
      core::LoadScaleSimInputs(Src("tests/data/scalesim/worked_case.cfg"),
                               Src("tests/data/scalesim/mixed.csv"), ScaleSimTopologyForm::kConv);
  const ScaleSimCompatRun run = Compat(in);
  ASSERT_EQ(run.layers.size(), 3u);
  // conv1: the worked case, 3359.
  EXPECT_EQ(run.layers[0].stats.reported_total_cycles, 3359);
  // Conv2_DP, 4 runs of one channel: 6x6 ifmap, 3x3 -> 4x4 = 16 pixels, Win 9, 1 filter;
  // OS (16, 1, 9): 4 x 1 folds of 9 + 4 + 4 - 2 = 15 = 60 cycles, reported 59.
  EXPECT_EQ(run.layers[1].runs, 4);
  EXPECT_EQ(run.layers[1].first_layer_id, 1);
  EXPECT_EQ(run.layers[1].gemm.window, 9);
  EXPECT_EQ(run.layers[1].stats.reported_total_cycles, 59);
  // conv3: 10x12, 3x3, 2 channels, 5 filters, strides 2 and 3: E = ceil(9/2) = 5, F = ceil(12/3)
  // = 4: 20 pixels, Win 18; OS (20, 5, 18): 5 x 2 folds of 18 + 6 = 24: 240, reported 239.
  EXPECT_EQ(run.layers[2].ofmap_h, 5);
  EXPECT_EQ(run.layers[2].ofmap_w, 4);
  EXPECT_EQ(run.layers[2].first_layer_id, 5);
  EXPECT_EQ(run.layers[2].stats.reported_total_cycles, 239);
  EXPECT_EQ(run.scalesim_layers, 6);
  EXPECT_EQ(run.cycles, 3360 + 4 * 60 + 240);
  EXPECT_EQ(run.scalesim_total_cycles, 3359 + 4 * 59 + 239);
}

TEST_F(ScaleSim, ComputeReportIsScaleSimsFormat) {
  const core::ScaleSimInputs in =
      core::LoadScaleSimInputs(Src("tests/data/scalesim/worked_case.cfg"),
                               Src("tests/data/scalesim/mixed.csv"), ScaleSimTopologyForm::kConv);
  // Overall util: 100*46080/(3359*16), 100*144/(59*16), 100*1800/(239*16); mapping: 100%,
  // 16/(4*16) = 25%, 100/(10*16) = 62.5%; compute: 100*36/42, 25*9/15 = 15, 62.5*18/24.
  EXPECT_EQ(core::ScaleSimComputeReportCsv(Compat(in)),
            "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n"
            "0, 3359, 0, 85.73980351295029, 100.0, 85.71428571428571,\n"
            "1, 59, 0, 15.254237288135593, 25.0, 15.0,\n"
            "2, 59, 0, 15.254237288135593, 25.0, 15.0,\n"
            "3, 59, 0, 15.254237288135593, 25.0, 15.0,\n"
            "4, 59, 0, 15.254237288135593, 25.0, 15.0,\n"
            "5, 239, 0, 47.07112970711297, 62.5, 46.875,\n");
}

// The worked case (64 pixels, window 36, 20 filters, 4x4) per dataflow: SRAM accesses from the
// closed forms (ifmap, filter, ofmap), each divided by SCALE-Sim's Total Cycles:
//   OS: (11520, 11520, 1920) / 3359; WS: (11520, 720, 11520) / 3329; IS: (2304, 11520, 11520) / 4319.
// DRAM columns and SRAM start/stop cycles (SCALE-Sim's buffer simulation) are empty.
TEST_F(ScaleSim, BandwidthAndDetailedAccessReportsOnTheWorkedCase) {
  struct Case {
    const char* dataflow;
    const char* bandwidth_row;
    const char* detailed_row;
  };
  const Case cases[] = {
      {"os", "0, 3.4295921405180114, 3.4295921405180114, 0.5715986900863352, , , ,\n",
       "0, 0, 3356, 11520, 0, 3356, 11520, 35, 3359, 1920, , , , , , , , , ,\n"},
      {"ws", "0, 3.4604986482427154, 0.2162811655151697, 3.4604986482427154, , , ,\n",
       "0, 4, 3326, 11520, 0, 3259, 720, 7, 3329, 11520, , , , , , , , , ,\n"},
      {"is", "0, 0.5334568187080343, 2.667284093540171, 2.667284093540171, , , ,\n",
       "0, 0, 4293, 2304, 4, 4316, 11520, 7, 4319, 11520, , , , , , , , , ,\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dataflow);
    const core::ScaleSimInputs in =
        core::LoadScaleSimInputs(Src(std::string("workloads/scalesim/worked_case_") + c.dataflow + ".cfg"),
                                 Src("workloads/scalesim/worked_case.csv"), ScaleSimTopologyForm::kConv);
    const ScaleSimCompatRun run = Compat(in);
    EXPECT_EQ(
        core::ScaleSimBandwidthReportCsv(run),
        std::string("LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
                    "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n") +
            c.bandwidth_row);
    EXPECT_EQ(core::ScaleSimDetailedAccessReportCsv(run),
              std::string("LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
                          "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
                          "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
                          "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
                          "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
                          "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n") +
                  c.detailed_row);
  }
}

TEST_F(ScaleSim, DetailedAccessReportRepeatsADepthwiseRowPerChannel) {
  // Conv2_DP of mixed.csv, 4 runs (LayerIDs 1-4), per run: ifmap 1 column fold * 16 * 9 = 144,
  // filter 4 row folds * 1 * 9 = 36, ofmap 16 + 4 folds * (4 + 4) = 48. Start/stop: 4 folds of
  // 9 + 4 + 4 - 2 = 15 lines, one used column: ifmap 0..45+9+4-2, filter 0..45+9+1-2, ofmap
  // 9+4-4-1..45+9+4+1-3.
  const core::ScaleSimInputs in =
      core::LoadScaleSimInputs(Src("tests/data/scalesim/worked_case.cfg"),
                               Src("tests/data/scalesim/mixed.csv"), ScaleSimTopologyForm::kConv);
  const std::string csv = core::ScaleSimDetailedAccessReportCsv(Compat(in));
  for (int id = 1; id <= 4; ++id) {
    EXPECT_TRUE(Contains(csv, "\n" + std::to_string(id) + ", 0, 56, 144, 0, 53, 36, 8, 56, 48, ")) << csv;
  }
}

TEST_F(ScaleSim, GemmFormGivesTheWorkedCase) {
  const core::ScaleSimInputs in =
      core::LoadScaleSimInputs(Src("tests/data/scalesim/worked_case.cfg"),
                               Src("tests/data/scalesim/worked_case_gemm.csv"), ScaleSimTopologyForm::kGemm);
  const ScaleSimCompatRun run = Compat(in);
  ASSERT_EQ(run.layers.size(), 1u);
  EXPECT_EQ(run.layers[0].gemm.ofmap_px, 64);
  EXPECT_EQ(run.layers[0].gemm.window, 36);
  EXPECT_EQ(run.layers[0].gemm.filters, 20);
  EXPECT_EQ(run.scalesim_total_cycles, 3359);
}

TEST_F(ScaleSim, PythonFloatFormatting) {
  EXPECT_EQ(core::PythonFloatRepr(100.0), "100.0");
  EXPECT_EQ(core::PythonFloatRepr(0.0), "0.0");
  EXPECT_EQ(core::PythonFloatRepr(62.5), "62.5");
  EXPECT_EQ(core::PythonFloatRepr(100.0 * 36 / 42), "85.71428571428571");
  EXPECT_EQ(core::PythonFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(core::PythonFloatRepr(1.5e-5), "1.5e-05");
  EXPECT_EQ(core::PythonFloatRepr(1e16), "1e+16");
  EXPECT_EQ(core::PythonFloatRepr(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(core::PythonFloatRepr(-2.5), "-2.5");
}

// MobileNetV1 (workloads/scalesim/mobilenet_v1.csv) against the architecture, layer by layer:
// (ofmap pixels, window, filters, runs), from Howard et al. 2017, Table 1.
struct NetLayer {
  int64_t npx, window, filters, runs;
};

std::vector<NetLayer> MobileNetV1() {
  std::vector<NetLayer> net = {{112 * 112, 27, 32, 1}};
  const int64_t outs[] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
  const int64_t strides[] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
  int64_t side = 112, channels = 32;
  for (int i = 0; i < 13; ++i) {
    side /= strides[i];
    net.push_back({side * side, 9, 1, channels});        // depthwise: one SCALE-Sim layer per channel
    net.push_back({side * side, channels, outs[i], 1});  // pointwise
    channels = outs[i];
  }
  net.push_back({1, 1024, 1000, 1});  // the classifier as a 1x1 convolution
  return net;
}

TEST_F(ScaleSim, MobileNetV1TopologyIsTheNetwork) {
  const core::ScaleSimInputs in =
      core::LoadScaleSimInputs(Src("workloads/scalesim/array_32x32_os.cfg"),
                               Src("workloads/scalesim/mobilenet_v1.csv"), ScaleSimTopologyForm::kConv);
  const ScaleSimCompatRun run = Compat(in);
  const std::vector<NetLayer> net = MobileNetV1();
  ASSERT_EQ(run.layers.size(), net.size());
  int64_t macs = 0, layers = 0, cycles = 0;
  for (size_t i = 0; i < net.size(); ++i) {
    const NetLayer& n = net[i];
    EXPECT_EQ(run.layers[i].gemm.ofmap_px, n.npx) << i;
    EXPECT_EQ(run.layers[i].gemm.window, n.window) << i;
    EXPECT_EQ(run.layers[i].gemm.filters, n.filters) << i;
    EXPECT_EQ(run.layers[i].runs, n.runs) << i;
    macs += n.runs * n.npx * n.window * n.filters;
    layers += n.runs;
    // OS on 32x32: ceil(Npx/32) * ceil(K/32) folds of Win + 32 + 32 - 2 cycles.
    cycles += n.runs * ((n.npx + 31) / 32) * ((n.filters + 31) / 32) * (n.window + 62);
  }
  EXPECT_EQ(macs, 568740352);  // MobileNetV1's 569 million multiply-adds
  EXPECT_EQ(run.macs, macs);
  EXPECT_EQ(run.scalesim_layers, layers);
  EXPECT_EQ(layers, 4975);
  EXPECT_EQ(run.cycles, cycles);
  EXPECT_EQ(run.scalesim_total_cycles, cycles - layers);
}

// ---------------------------------------------------------------------------------------------
// The command end to end

struct WorkedCase {
  const char* dataflow;
  int64_t total;
};

TEST_F(ScaleSim, CliWorkedCaseEveryDataflow) {
  for (const WorkedCase& w : {WorkedCase{"os", 3359}, WorkedCase{"ws", 3329}, WorkedCase{"is", 4319}}) {
    SCOPED_TRACE(w.dataflow);
    fs::remove_all(out_dir_);
    const std::string cfg = Src(std::string("workloads/scalesim/worked_case_") + w.dataflow + ".cfg");
    const ProcessOutcome o = RunCompat(cfg, Src("workloads/scalesim/worked_case.csv"));
    ASSERT_EQ(o.exit_code, 0) << o;
    const std::string total = std::to_string(w.total);
    EXPECT_TRUE(Contains(o.out, "SCALE-Sim Total Cycles summed: " + total)) << o;
    EXPECT_TRUE(Contains(o.out, std::to_string(w.total + 1) + " cycles (counts)")) << o;
    const std::string csv = ReadFileText(out_dir_ / "COMPUTE_REPORT.csv");
    EXPECT_TRUE(Contains(csv, "\n0, " + total + ", 0, ")) << csv;
    const json r = json::parse(ReadFileText(out_dir_ / "report.json"));
    EXPECT_EQ(r["scalesim_total_cycles"], w.total);
    EXPECT_EQ(r["cycles"], w.total + 1);
    EXPECT_EQ(r["layers"][0]["scalesim_total_cycles_per_run"], w.total);
    EXPECT_EQ(r["config"]["dataflow"], w.dataflow);
    EXPECT_FALSE(fs::exists(out_dir_ / "report.json.tmp"));
    EXPECT_TRUE(Contains(ReadFileText(out_dir_ / "BANDWIDTH_REPORT.csv"), "\n0, ")) << w.dataflow;
    EXPECT_TRUE(Contains(ReadFileText(out_dir_ / "DETAILED_ACCESS_REPORT.csv"), "\n0, ")) << w.dataflow;
  }
}

TEST_F(ScaleSim, CliReportJsonHasCountsPerOperand) {
  const ProcessOutcome o =
      RunCompat(Src("tests/data/scalesim/worked_case.cfg"), Src("tests/data/scalesim/mixed.csv"));
  ASSERT_EQ(o.exit_code, 0) << o;
  const json r = json::parse(ReadFileText(out_dir_ / "report.json"));
  ASSERT_EQ(r["layers"].size(), 3u);
  const json& dp = r["layers"][1];
  EXPECT_EQ(dp["name"], "Conv2_DP");
  EXPECT_EQ(dp["runs"], 4);
  EXPECT_EQ(dp["cycles"], 240);                // 4 runs of 60
  EXPECT_EQ(dp["ifmap_sram_reads"], 4 * 144);  // per run: 1 column fold * 16 * 9
  EXPECT_EQ(dp["filter_sram_reads"], 4 * 36);  // per run: 4 row folds * 1 * 9
  EXPECT_EQ(dp["ofmap_sram_writes"], 4 * 48);  // per run: 16 + 4 folds * (4 + 4)
  EXPECT_EQ(r["scalesim_layers"], 6);
  EXPECT_TRUE(r["cycle_conventions"].contains("scalesim_total_cycles"));
  // An ignored key is a note on stderr and in the report.
  EXPECT_TRUE(Contains(o.err, "npusim: note: ")) << o;
  EXPECT_EQ(r["config"]["ignored_keys"][0], "[architecture_presets] Bandwidth");
}

TEST_F(ScaleSim, CliGemmForm) {
  const ProcessOutcome o = RunCompat(Src("tests/data/scalesim/worked_case.cfg"),
                                     Src("tests/data/scalesim/worked_case_gemm.csv"), {"-i", "gemm"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(Contains(ReadFileText(out_dir_ / "COMPUTE_REPORT.csv"), "\n0, 3359, 0, ")) << o;
}

TEST_F(ScaleSim, CliDefaultOutputDirectoryIsNamedAfterTheRun) {
  const ProcessOutcome o = Run({"scalesim", "-c", Src("tests/data/scalesim/worked_case.cfg"), "-t",
                                Src("tests/data/scalesim/worked_case.csv"), "--compat", "scalesim"},
                               dir_);
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(fs::exists(dir_ / "results/scalesim-worked_case/COMPUTE_REPORT.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "results/scalesim-worked_case/report.json"));
}

// ---------------------------------------------------------------------------------------------
// The full model (no --compat)

TEST_F(ScaleSim, ConfigCalcModeKeepsBandwidthForTheFullModel) {
  // CALC: SCALE-Sim's compute model ignores Bandwidth (still listed as ignored), the full model
  // takes its DRAM bandwidth from it; a malformed value is then simply not used.
  const core::ScaleSimConfig c = core::LoadScaleSimConfig(Write("x.cfg", kConfig));
  EXPECT_EQ(c.bandwidth, std::vector<int64_t>{10});
  EXPECT_EQ(c.ignored_keys, std::vector<std::string>{"[architecture_presets] Bandwidth"});
  EXPECT_EQ(c.padding, "valid");
  const core::ScaleSimConfig bad =
      core::LoadScaleSimConfig(Write("y.cfg", Replaced(kConfig, "Bandwidth : 10", "Bandwidth : x")));
  EXPECT_TRUE(bad.bandwidth.empty());
}

TEST_F(ScaleSim, ConfigPaddingKey) {
  const std::string same = std::string(kConfig) + "\n[npusim]\nPadding = same\n";  // lines 19-21
  EXPECT_EQ(core::LoadScaleSimConfig(Write("x.cfg", same)).padding, "same");
  EXPECT_EQ(ConfigMessage(Replaced(same, "= same", "= full")),
            Cfg() + ": line 21, [npusim] Padding: expected valid or same, got \"full\"");
}

TEST_F(ScaleSim, FullModelArchFromTheConfig) {
  const core::ScaleSimConfig c = core::LoadScaleSimConfig(Src("tests/data/scalesim/worked_case.cfg"));
  const json a = json::parse(core::ScaleSimArchJson(c));
  EXPECT_EQ(a["dram"]["bytes_per_cycle"], 10);  // Bandwidth: 10 words of one byte per cycle
  EXPECT_EQ(a["units"][0]["rows"], 4);
  EXPECT_EQ(a["units"][0]["cols"], 4);
  EXPECT_EQ(a["units"][0]["dataflow"], "os");
  // ibuf, wbuf, obuf = the 64 KiB SRAMs; abuf holds as many 4-byte accumulators as obuf holds outputs.
  const int64_t sizes[] = {65536, 65536, 4 * 65536, 65536};
  const char* names[] = {"ibuf", "wbuf", "abuf", "obuf"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a["buffers"][i]["name"], names[i]);
    EXPECT_EQ(a["buffers"][i]["size_bytes"], sizes[i]);
  }
  // Horowitz: 10 pJ * sqrt(65536 / 8192) * 8/8 per 8-byte word = 28.28 pJ.
  EXPECT_DOUBLE_EQ(a["energy"]["components"]["ibuf"]["read"]["energy_pj"].get<double>(), 28.28);
}

TEST_F(ScaleSim, FullModelGraphChainsRowsWhoseIfmapIsThePreviousOutputPlusABorder) {
  // conv1 10x10x4 -> 8x8x20; "next" 10x10x20 3x3: its ifmap is conv1's output plus a 1-pixel
  // border, read as padding 1; "alone" 5x5x3 cannot chain and gets its own input.
  const std::string csv = Write("t.csv", std::string(kConvHeader) + "conv1, 10, 10, 3, 3, 4, 20, 1,\n"
                                                                    "next, 10, 10, 3, 3, 20, 8, 1,\n"
                                                                    "alone, 5, 5, 1, 1, 3, 2, 1,\n");
  const core::ScaleSimInputs in =
      core::LoadScaleSimInputs(Src("tests/data/scalesim/worked_case.cfg"), csv, ScaleSimTopologyForm::kConv);
  std::vector<core::ScaleSimRow> layers;
  const core::Graph g = core::BuildScaleSimGraph(in.config, in.topology, &layers);
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_FALSE(layers[0].chained);
  EXPECT_TRUE(layers[1].chained);
  EXPECT_EQ(layers[1].pads, (std::array<int64_t, 4>{1, 1, 1, 1}));
  EXPECT_FALSE(layers[2].chained);
  EXPECT_EQ(g.inputs, (std::vector<std::string>{"conv1_in", "alone_in"}));
  EXPECT_EQ(g.outputs, (std::vector<std::string>{"next_out", "alone_out"}));
  EXPECT_EQ(g.ops[1].inputs[0], "conv1_out");
  // GEMMs: (m, k, n) = (64, 36, 20), (64, 180, 8), (25, 3, 2).
  EXPECT_EQ(layers[0].gemm_m, 64);
  EXPECT_EQ(layers[0].gemm_k, 36);
  EXPECT_EQ(layers[1].gemm_k, 180);
  EXPECT_EQ(layers[2].gemm_m, 25);
}

TEST_F(ScaleSim, FullModelGraphSamePaddingAndDepthwise) {
  // Padding same: 10x10 stride 1 3x3 keeps 10x10 (pads 1); the DP row (4 channels, 10x10) then
  // chains and runs as a depthwise conv: groups 4, per group k = 9, n = 1, m = 100.
  const std::string cfg = Write("x.cfg", std::string(kConfig) + "\n[npusim]\nPadding = same\n");
  const std::string csv = Write("t.csv", std::string(kConvHeader) + "conv1, 10, 10, 3, 3, 4, 4, 1,\n"
                                                                    "Conv2_DP, 10, 10, 3, 3, 4, 1, 1,\n");
  const core::ScaleSimInputs in = core::LoadScaleSimInputs(cfg, csv, ScaleSimTopologyForm::kConv);
  std::vector<core::ScaleSimRow> layers;
  const core::Graph g = core::BuildScaleSimGraph(in.config, in.topology, &layers);
  EXPECT_EQ(layers[0].pads, (std::array<int64_t, 4>{1, 1, 1, 1}));
  EXPECT_TRUE(layers[1].chained);
  EXPECT_EQ(g.ops[1].groups, 4);
  EXPECT_EQ(layers[1].gemm_m, 100);
  EXPECT_EQ(layers[1].gemm_k, 9);
  EXPECT_EQ(layers[1].gemm_n, 1);
  EXPECT_EQ(layers[1].groups, 4);
  EXPECT_EQ(g.tensor("Conv2_DP_out").shape, (std::vector<int64_t>{1, 10, 10, 4}));
}

TEST_F(ScaleSim, CliFullModelWorkedCaseWs) {
  const ProcessOutcome o = Run({"scalesim", "-c", Src("workloads/scalesim/worked_case_ws.cfg"), "-t",
                                Src("workloads/scalesim/worked_case.csv"), "--out", out_dir_.string()});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(fs::exists(out_dir_ / "report.json"));
  EXPECT_TRUE(fs::exists(out_dir_ / "layers.csv"));
  EXPECT_TRUE(fs::exists(out_dir_ / "arch.json"));
  const std::string cmp = ReadFileText(out_dir_ / "scalesim_comparison.csv");
  // SCALE-Sim: 45 folds x 74 = 3330 (count). npusim's WS closed form on the same GEMM (m 64,
  // k 36, n 20) as one instruction: 45 folds x (64 + 2*4 + 4 - 1) = 3375, so the fold model adds 45;
  // valid padding leaves the GEMM as SCALE-Sim's (padding delta 0).
  EXPECT_TRUE(Contains(cmp, "\nconv1,2,0,0,0,0,0,64,36,20,1,3330,3330,3375,")) << cmp;
  const json r = json::parse(ReadFileText(out_dir_ / "report.json"));
  EXPECT_EQ(r["macs"], 46080);
  EXPECT_GT(r["cycles"].get<int64_t>(), 3375);  // memory and tiling come on top
  EXPECT_GT(r["energy_pj"].get<double>(), 0);
  EXPECT_TRUE(Contains(o.out, "npusim vs SCALE-Sim")) << o;
}

TEST_F(ScaleSim, CliFullModelLayerTooBigForTheSramsExitsTwo) {
  // IfmapSramSzkB 1: a 64x64 filter needs an input tile of 64 x 64 bytes, two of them (8192 B).
  const std::string cfg = Write("x.cfg", Replaced(kConfig, "IfmapSramSzkB:    64", "IfmapSramSzkB:    1"));
  const std::string csv = Write("t.csv", std::string(kConvHeader) + "big, 70, 70, 64, 64, 1, 2, 1,\n");
  const ProcessOutcome o = Run({"scalesim", "-c", cfg, "-t", csv, "--out", out_dir_.string()});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + csv +
                                  ": line 2: layer \"big\" cannot be tiled into the buffers of " + cfg +
                                  ": ibuf needs at least 8192 bytes"))
      << o;
  EXPECT_TRUE(Contains(o.err, "ibuf = IfmapSramSzkB")) << o;
  EXPECT_TRUE(NoOutput());
}

TEST_F(ScaleSim, CliFullModelTopologyTooBigForDramExitsTwo) {
  const std::string csv = Write("t.csv", std::string(kConvHeader) + "huge, 20000, 20000, 1, 1, 3, 8, 1,\n");
  const ProcessOutcome o = Run(
      {"scalesim", "-c", Src("tests/data/scalesim/worked_case.cfg"), "-t", csv, "--out", out_dir_.string()});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + csv +
                                  ": line 2: layer \"huge\": the full model keeps every tensor "
                                  "in a 256 MiB DRAM"))
      << o;
  EXPECT_TRUE(NoOutput());
}

TEST_F(ScaleSim, CliBadInputsExitTwoWithEveryMessageAndNoFiles) {
  const std::string cfg = Write("bad.cfg", Replaced(kConfig, "Dataflow : os", "Dataflow : rs"));
  const std::string csv = Write("bad.csv", std::string(kConvHeader) + "conv1, 10, 10, 3, x, 4, 20, 1,\n");
  const ProcessOutcome o = RunCompat(cfg, csv);
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + cfg +
                                  ": line 13, [architecture_presets] Dataflow: expected os, "
                                  "ws or is, got \"rs\"\n"))
      << o;
  EXPECT_TRUE(
      Contains(o.err, csv + ": line 2: Filter Width (column 5): expected a positive integer, got \"x\""))
      << o;
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(NoOutput());
}

TEST_F(ScaleSim, CliMissingTopologyFileExitsTwo) {
  const std::string csv = (dir_ / "absent.csv").string();
  const ProcessOutcome o = RunCompat(Src("tests/data/scalesim/worked_case.cfg"), csv);
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + csv + ": cannot open the file: No such file or directory"))
      << o;
  EXPECT_TRUE(NoOutput());
}

TEST_F(ScaleSim, CliUsageErrors) {
  const std::string cfg = Src("tests/data/scalesim/worked_case.cfg");
  const std::string csv = Src("tests/data/scalesim/worked_case.csv");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"scalesim", "-t", csv}, "npusim: the option '--config' is required but missing"},
      {{"scalesim", "-c", cfg}, "npusim: the option '--topology' is required but missing"},
      {{"scalesim", "-c", cfg, "-t", csv, "-i", "mnk"},
       "npusim: -i/--input-type: expected conv or gemm, got \"mnk\""},
      {{"scalesim", "-c", cfg, "-t", csv, "--compat", "timeloop"},
       "npusim: --compat: expected scalesim, got \"timeloop\""},
      {{"scalesim", "-c", cfg, "-t", csv, "--arch", "a.json"}, "npusim: unrecognised option '--arch'"},
      {{"scalesim", "-c", cfg, "-t", csv, "stray"}, "npusim: unexpected argument \"stray\""},
  };
  for (const Case& c : cases) {
    const ProcessOutcome o = Run(c.args);
    EXPECT_EQ(o.exit_code, 2) << o;
    EXPECT_TRUE(Contains(o.err, c.message)) << o;
    EXPECT_TRUE(Contains(o.err, "npusim scalesim -c CONFIG.cfg -t TOPOLOGY.csv")) << o;
  }
}

TEST_F(ScaleSim, CliHelpListsTheOptions) {
  const ProcessOutcome o = Run({"scalesim", "--help"});
  EXPECT_EQ(o.exit_code, 0) << o;
  for (const char* opt : {"--config", "--topology", "--input-type", "--out", "--compat"}) {
    EXPECT_TRUE(Contains(o.out, opt)) << opt << "\n" << o;
  }
}

}  // namespace
}  // namespace npusim

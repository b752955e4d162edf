// The npusim command as a user runs it: the real binary (NPUSIM_BINARY) started through the shell,
// its stdout, stderr and exit code checked, and the files it writes read back.
//
// Exit codes (app/app.h): 0 success, 1 mismatch under --check or internal error, 2 bad usage or
// invalid input. Invalid input must leave nothing in the output directory. Successful runs are
// checked against the reference executor computed here, in-process, from the same files.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/app.h"
#include "config/arch.h"
#include "ir/graph.h"
#include "ir/net_loader.h"
#include "reference/executor.h"
#include "support/npy.h"
#include "tests/common/npusim_process.h"

namespace npusim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Src(const std::string& relative) { return std::string(NPUSIM_SOURCE_DIR) + "/" + relative; }

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

json ReadJson(const fs::path& path) { return json::parse(ReadText(path)); }

using Outcome = testing::ProcessOutcome;

// Scratch space per test (tests run in parallel processes), removed when the test ends.
class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("npusim_cli_") + info->test_suite_name() + "_" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = fs::path(::testing::TempDir()) / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "work");
    out_dir_ = dir_ / "out";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs npusim with `args` in `cwd` (default: the current directory, the repo root).
  Outcome Run(const std::vector<std::string>& args, const fs::path& cwd = {}) {
    return testing::RunNpusim(args, dir_ / "stderr.txt", cwd);
  }

  // `npusim run` of a network and arch (paths as given) into the test's --out directory.
  Outcome RunInto(const std::string& arch, const std::string& net, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--arch", arch, "--net", net, "--out", out_dir_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  }

  // A copy of a repo JSON file, changed by `edit`, written into the scratch directory.
  template <typename Edit>
  std::string EditedCopy(const std::string& repo_file, const std::string& name, Edit edit) {
    json j = ReadJson(Src(repo_file));
    edit(j);
    const fs::path path = dir_ / "work" / name;
    WriteText(path, j.dump(2));
    return path.string();
  }

  // An arch copy whose energy table is the repo's (absolute, since the copy lives elsewhere).
  template <typename Edit>
  std::string ArchCopy(const std::string& name, Edit edit) {
    return EditedCopy("arch/dense_16x16.json", name, [&](json& a) {
      a["energy"] = Src("arch/energy/horowitz_45nm.json");
      edit(a);
    });
  }

  ::testing::AssertionResult OutDirAbsentOrEmpty() const {
    if (!fs::exists(out_dir_)) return ::testing::AssertionSuccess();
    std::string found;
    for (const auto& e : fs::recursive_directory_iterator(out_dir_)) found += " " + e.path().string();
    if (found.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "invalid input left files in --out:" << found;
  }

  fs::path dir_, out_dir_;
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const char kUsageLine[] = "usage: npusim [run] --arch A.json --net N.json";

// ---------------------------------------------------------------------------------------------
// Usage errors: exit 2, a one-line reason and the usage text on stderr, nothing on stdout.

TEST_F(Cli, NoArgumentsExitsTwoWithUsage) {
  const Outcome o = Run({});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: the option '--arch' is required but missing")) << o;
  EXPECT_TRUE(Contains(o.err, kUsageLine)) << o;
  EXPECT_EQ(o.out, "") << o;
}

TEST_F(Cli, UnknownCommandExitsTwoWithUsage) {
  const Outcome o = Run({"frobnicate", "--arch", Src("arch/dense_16x16.json")});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: unknown command \"frobnicate\"")) << o;
  EXPECT_TRUE(Contains(o.err, kUsageLine)) << o;
  EXPECT_TRUE(Contains(o.err, "npusim compile --arch A.json --net N.json")) << o;
}

TEST_F(Cli, MissingArchExitsTwoWithUsage) {
  const Outcome o = Run({"run", "--net", Src("workloads/tiny_conv.json"), "--out", out_dir_.string()});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: the option '--arch' is required but missing")) << o;
  EXPECT_TRUE(Contains(o.err, kUsageLine)) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, UnknownOptionExitsTwoWithUsage) {
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), Src("workloads/tiny_conv.json"), {"--bogus"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: unrecognised option '--bogus'")) << o;
  EXPECT_TRUE(Contains(o.err, kUsageLine)) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, StrayArgumentExitsTwoNamingIt) {
  // e.g. a directory typed without --out: it must not be ignored while the run goes elsewhere.
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), Src("workloads/tiny_conv.json"), {"extra_dir"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: unexpected argument \"extra_dir\"")) << o;
  EXPECT_TRUE(Contains(o.err, kUsageLine)) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, RunOnlyOptionToCompileExitsTwoWithUsage) {
  const Outcome o = Run({"compile", "--arch", Src("arch/dense_16x16.json"), "--net",
                         Src("workloads/tiny_conv.json"), "--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "unrecognised option '--check'")) << o;
  EXPECT_TRUE(Contains(o.err, kUsageLine)) << o;
}

TEST_F(Cli, HelpExitsZeroListingOptions) {
  const Outcome o = Run({"--help"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(Contains(o.out, kUsageLine)) << o;
  for (const char* opt : {"--arch", "--net", "--input", "--out", "--check"}) {
    EXPECT_TRUE(Contains(o.out, opt)) << opt << "\n" << o;
  }
}

// ---------------------------------------------------------------------------------------------
// Invalid input: exit 2, "npusim: error: <file>: <pointer>: <expected>", no files in --out.

TEST_F(Cli, MalformedJsonExitsTwoWithLineAndColumn) {
  const fs::path net = dir_ / "work" / "net.json";
  WriteText(net, "{\n  \"version\": 1,\n  \"name\": \"tiny_conv\"\n  \"layout\": \"NHWC\"\n}\n");
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net.string(), {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  // The parser gives up at the end of the "layout" string that follows the missing comma.
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + net.string() + ": line 4, column 10: invalid JSON: ")) << o;
  EXPECT_EQ(o.out, "") << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, WrongTypeExitsTwoNamingPointer) {
  const std::string net =
      EditedCopy("workloads/tiny_conv.json", "net.json", [](json& n) { n["ops"][0]["stride"] = "1"; });
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net, {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + net +
                                  ": /ops/0/stride: expected a list of 2 integers in 1..65536, got \"1\""))
      << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, UnknownKeyExitsTwoNamingPointer) {
  const std::string net = EditedCopy("workloads/tiny_conv.json", "net.json", [](json& n) {
    n["ops"][0]["strid"] = {1, 1};
  });
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net, {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(
      Contains(o.err, "npusim: error: " + net + ": /ops/0/strid: unknown key \"strid\" (expected one of: "))
      << o;
  EXPECT_TRUE(Contains(o.err, "stride, pads")) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, InconsistentShapeExitsTwoNamingPointer) {
  const std::string net = EditedCopy("workloads/tiny_conv.json", "net.json", [](json& n) {
    n["tensors"]["y"]["shape"] = {1, 8, 8, 5};
  });
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net, {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + net + ": /tensors/y/shape: expected [1, 8, 8, 4]")) << o;
  EXPECT_TRUE(Contains(o.err, "got [1, 8, 8, 5]")) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, UnsupportedOpExitsTwoNamingPointer) {
  const std::string net =
      EditedCopy("workloads/tiny_conv.json", "net.json", [](json& n) { n["ops"][0]["op"] = "softmax"; });
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net, {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + net + ": /ops/0/op: expected one of conv2d|")) << o;
  EXPECT_TRUE(Contains(o.err, "got \"softmax\"")) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, WeightBitsTheUnitCannotRunExitTwoNamingOpAndSupportedWidths) {
  const std::string net = EditedCopy("workloads/tiny_conv.json", "net.json", [](json& n) {
    n["tensors"]["conv1_w"]["bits"] = 4;
    n["tensors"]["conv1_w"]["data"] = {{"random", {{"seed", 2}, {"min", -7}, {"max", 7}}}};
  });
  const std::string arch = Src("arch/dense_16x16.json");
  const Outcome o = RunInto(arch, net, {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + net +
                                  ": /ops/0: layer \"conv1\": weights \"conv1_w\" have 4-bit "
                                  "values; unit \"array\" of " +
                                  arch + " runs weight bits {8}"))
      << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, MissingNpyWeightFileExitsTwoNamingTensorAndFile) {
  const std::string net = EditedCopy("workloads/tiny_conv.json", "net.json", [](json& n) {
    n["tensors"]["conv1_w"]["data"] = "weights/conv1_w.npy";
  });
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net, {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  // The .npy name is resolved relative to the network file's directory, and shown resolved.
  const std::string npy = (dir_ / "work" / "weights" / "conv1_w.npy").string();
  EXPECT_TRUE(
      Contains(o.err, "npusim: error: " + net + ": /tensors/conv1_w/data: " + npy + ": cannot open file"))
      << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, TooSmallBufferExitsTwoNamingLayerAndNeededBytes) {
  const std::string arch = ArchCopy("arch.json", [](json& a) {
    for (json& b : a["buffers"]) {
      if (b["name"] == "ibuf") {
        b["size_bytes"] = 64;  // the format's minimum; a 3x3 window needs two 64-byte slots
        b["banks"] = 1;
      }
    }
  });
  const std::string net = Src("workloads/tiny_conv.json");
  const Outcome o = RunInto(arch, net, {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + net +
                                  ": /ops/0: layer \"conv1\" cannot be tiled into the buffers "
                                  "of " +
                                  arch + ": ibuf needs at least 128 bytes"))
      << o;
  EXPECT_TRUE(Contains(o.err, "it has 64")) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

// Four buffers of 1 GiB (the 4 GiB budget's worth) hold only what the run touches
// (core::ZeroedBytes): the run succeeds, bit-exact, and the process's peak resident memory stays
// far below the 4 GiB a zero-filled copy of the buffers would take.
TEST_F(Cli, BuffersOfGibibytesTakeHostMemoryOnlyWhereTheRunTouchesThem) {
  const std::string arch = ArchCopy("arch.json", [](json& a) {
    ASSERT_EQ(a["buffers"].size(), 4u);
    for (json& b : a["buffers"]) b["size_bytes"] = int64_t{1} << 30;
  });
  const Outcome o = RunInto(arch, Src("workloads/tiny_conv.json"), {"--check"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(Contains(o.out, "check: bit-exact")) << o;
  rusage children{};
  ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &children), 0);
  const long peak_kib = children.ru_maxrss;  // the largest child waited for: npusim
  EXPECT_LT(peak_kib, 1L << 20) << "peak resident memory " << peak_kib << " KiB";
}

TEST_F(Cli, MissingEnergyEntryExitsTwoNamingEnergyFileAndPointer) {
  const std::string energy = EditedCopy("arch/energy/horowitz_45nm.json", "energy.json",
                                        [](json& e) { e["components"]["array"].erase("idle_pe_cycle"); });
  const std::string arch = ArchCopy("arch.json", [&](json& a) { a["energy"] = energy; });
  const Outcome o = RunInto(arch, Src("workloads/tiny_conv.json"), {"--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(
      Contains(o.err, "npusim: error: " + energy + ": /components/array/idle_pe_cycle: missing energy entry"))
      << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

// A bad area section (config/area.h) is bad input like any other: exit 2, the energy file and
// the JSON pointer named, no result written.
TEST_F(Cli, BadAreaParameterExitsTwoNamingEnergyFileAndPointer) {
  const std::string energy = EditedCopy("arch/energy/horowitz_45nm.json", "energy.json",
                                        [](json& e) { e["area"]["parameters"].erase("mult8_um2"); });
  const std::string arch = ArchCopy("arch.json", [&](json& a) { a["energy"] = energy; });
  const Outcome o = RunInto(arch, Src("workloads/tiny_conv.json"), {});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(
      o.err, "npusim: error: " + energy + ": /area/parameters/mult8_um2: missing required key \"mult8_um2\""))
      << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, InputWithWrongShapeExitsTwoNamingNpyFile) {
  const std::string x = (dir_ / "work" / "x.npy").string();
  core::SaveNpy(x, {1, 8, 8, 4}, std::vector<int32_t>(256, 1), 8, true);
  const Outcome o =
      RunInto(Src("arch/dense_16x16.json"), Src("workloads/tiny_conv.json"), {"--input", x, "--check"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(
      o.err, "npusim: error: " + x + ": expected shape [1, 8, 8, 3] (input \"x\"), got [1, 8, 8, 4]"))
      << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, InputNamingATensorThatIsNoInputExitsTwo) {
  const std::string x = (dir_ / "work" / "x.npy").string();
  core::SaveNpy(x, {1, 8, 8, 3}, std::vector<int32_t>(192, 1), 8, true);
  const std::string net = Src("workloads/tiny_conv.json");
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net, {"--input", "y=" + x});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(
      o.err, "npusim: error: " + net + ": /inputs: --input names \"y\", which is not a network input"))
      << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, InputGivenTwiceExitsTwo) {
  const std::string x = (dir_ / "work" / "x.npy").string();
  core::SaveNpy(x, {1, 8, 8, 3}, std::vector<int32_t>(192, 1), 8, true);
  const std::string net = Src("workloads/tiny_conv.json");
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net, {"--input", "x=" + x, "--input", x});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + net + ": /inputs: --input gives \"x\" twice")) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, DirectoryGivenAsNetworkExitsTwoSayingSo) {
  const std::string net = Src("workloads");
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net, {});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + net + ": is a directory, expected a JSON file")) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

TEST_F(Cli, OutDirThatCannotBeCreatedExitsTwoNamingIt) {
  const fs::path file = dir_ / "work" / "a_file";
  WriteText(file, "x");
  const std::string out = (file / "out").string();
  const Outcome o =
      Run({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"), "--out", out});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + out + ": cannot create the output directory")) << o;
}

TEST_F(Cli, OutDirFailingBelowNewLevelsLeavesNoneOfThem) {
  // "new" can be created, the level below it cannot (a name longer than NAME_MAX): the run fails
  // naming it and removes "new" again, as it would on a stop signal.
  const fs::path fresh = dir_ / "work" / "new";
  const std::string out = (fresh / std::string(300, 'x')).string();
  const Outcome o =
      Run({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"), "--out", out});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(
      Contains(o.err, "npusim: error: " + out + ": cannot create the output directory: File name too long"))
      << o;
  EXPECT_FALSE(fs::exists(fresh));
  EXPECT_TRUE(fs::exists(dir_ / "work"));  // a level that was there before stays
}

// --out is replaced as a whole (support/result_dir.h): what it may be is checked before simulating.

TEST_F(Cli, OutDirThatIsAFileIsRefusedAndKept) {
  const fs::path file = dir_ / "work" / "a_file";
  WriteText(file, "x");
  const Outcome o = Run({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"),
                         "--out", file.string()});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + file.string() +
                                  ": cannot use the output directory: it exists and is not a directory"))
      << o;
  EXPECT_EQ(ReadText(file), "x");
  EXPECT_EQ(o.out, "");  // refused before simulating: no summary
}

TEST_F(Cli, OutDirHoldingForeignFilesIsRefusedAndKept) {
  fs::create_directories(out_dir_);
  WriteText(out_dir_ / "thesis.tex", "mine");
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), Src("workloads/tiny_conv.json"));
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + out_dir_.string() +
                                  ": cannot use the output directory: it holds files that are not an npusim "
                                  "result set (thesis.tex)"))
      << o;
  EXPECT_EQ(ReadText(out_dir_ / "thesis.tex"), "mine");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);  // work, out
}

TEST_F(Cli, OutDirInAReadOnlyParentIsRefusedBeforeSimulating) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  const fs::path parent = dir_ / "work" / "ro";
  fs::create_directories(parent / "out");
  fs::permissions(parent, fs::perms::owner_read | fs::perms::owner_exec);
  const Outcome o = Run({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"),
                         "--out", (parent / "out").string()});
  fs::permissions(parent, fs::perms::owner_all);
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + (parent / "out").string() +
                                  ": cannot replace the output directory: its parent directory " +
                                  parent.string() + " is not writable: Permission denied"))
      << o;
  EXPECT_EQ(o.out, "");
}

TEST_F(Cli, LongOutputNamesGetShortenedFileNamesThatTheReportNames) {
  // A 250-byte tensor name (IR outputs) and a 300-byte model output name (model_io): each file is
  // the first 100 bytes, "-" and 16 hex digits of FNV-1a 64 of the name (computed apart, in Python).
  const std::string tensor(250, 'y'), model(300, 'q');
  const std::string net = EditedCopy("workloads/tiny_conv.json", "long.json", [&](json& j) {
    j["outputs"] = {tensor};
    j["tensors"][tensor] = j["tensors"]["y"];
    j["tensors"].erase("y");
    j["ops"][0]["outputs"] = {tensor};
  });
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), net);
  ASSERT_EQ(o.exit_code, 0) << o;
  const std::string file = "outputs/" + std::string(100, 'y') + "-db51b6ac96a08c5f.npy";
  EXPECT_TRUE(fs::is_regular_file(out_dir_ / file));
  EXPECT_EQ(ReadJson(out_dir_ / "report.json")["outputs"][0]["file"], file);
  EXPECT_EQ(ReadJson(out_dir_ / "report.json")["outputs"][0]["tensor"], tensor);
  const std::string io = EditedCopy("workloads/tiny_conv.json", "long_io.json", [&](json& j) {
    const json id = {0, 1, 2, 3};
    const json in = {
        {"name", "x"}, {"tensor", "x"}, {"shape", {1, 8, 8, 3}}, {"perm", id}, {"dtype", "int8"}};
    const json out = {
        {"name", model}, {"tensor", "y"}, {"shape", {1, 8, 8, 4}}, {"perm", id}, {"dtype", "int8"}};
    j["model_io"] = {{"inputs", {in}}, {"outputs", {out}}};
  });
  const Outcome o2 = RunInto(Src("arch/dense_16x16.json"), io);
  ASSERT_EQ(o2.exit_code, 0) << o2;
  const std::string file2 = "outputs/" + std::string(100, 'q') + "-dab09bcb83d19681.npy";
  EXPECT_TRUE(fs::is_regular_file(out_dir_ / file2));
  EXPECT_FALSE(fs::exists(out_dir_ / file));  // the first run's file went with its set
  EXPECT_EQ(ReadJson(out_dir_ / "report.json")["outputs"][0]["file"], file2);
  EXPECT_EQ(ReadJson(out_dir_ / "report.json")["outputs"][0]["name"], model);
}

// ---------------------------------------------------------------------------------------------
// Successful runs: report.json, layers.csv and outputs/<tensor>.npy, checked against the
// reference executor.

const core::UnitConfig& FirstArray(const core::ArchConfig& arch) {
  for (const core::UnitConfig& u : arch.units) {
    if (u.type == "systolic_array") return u;
  }
  throw std::runtime_error("no systolic_array unit in " + arch.file);
}

reference::TensorMap ReferenceOutputs(const std::string& arch_file, const std::string& net_file,
                                      const reference::TensorMap& inputs = {}) {
  const core::ArchConfig arch = core::LoadArch(arch_file);
  const core::UnitConfig& unit = FirstArray(arch);
  const core::Graph g = core::LoadNetwork(net_file);
  return reference::Run(g, inputs, reference::Options{arch.requant_mode, unit.acc_bits, unit.overflow});
}

// The .npy header as numpy writes it: magic, version 1.0, a dict padded to a multiple of 64
// bytes with '\n' last. Returns the header dict text.
std::string NpyHeader(const fs::path& path) {
  const std::string bytes = ReadText(path);
  EXPECT_GE(bytes.size(), 10u) << path;
  if (bytes.size() < 10) return "";
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY")) << path;
  EXPECT_EQ(bytes[6], 1) << path;
  EXPECT_EQ(bytes[7], 0) << path;
  const size_t len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + len) % 64, 0u) << path;
  EXPECT_LE(10 + len, bytes.size()) << path;
  const std::string header = bytes.substr(10, len);
  EXPECT_EQ(header.back(), '\n') << path;
  return header;
}

struct RunCase {
  const char* net;
  const char* arch;
};

void PrintTo(const RunCase& c, std::ostream* os) { *os << c.net << " on " << c.arch; }

class CliRun : public Cli, public ::testing::WithParamInterface<RunCase> {};

TEST_P(CliRun, IsBitExactAndReportAddsUpAndOutputsEqualReference) {
  const std::string arch_file = Src(std::string("arch/") + GetParam().arch + ".json");
  const std::string net_file = Src(std::string("workloads/") + GetParam().net + ".json");
  const Outcome o = RunInto(arch_file, net_file, {"--check"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(Contains(o.out, "check: bit-exact (")) << o;
  EXPECT_EQ(o.err, "") << o;

  const core::ArchConfig arch = core::LoadArch(arch_file);
  const core::Graph g = core::LoadNetwork(net_file);
  int64_t output_values = 0;
  for (const std::string& name : g.outputs) output_values += g.tensor(name).elements();
  EXPECT_TRUE(Contains(o.out, "check: bit-exact (" + std::to_string(output_values) + " values)")) << o;

  // report.json
  ASSERT_TRUE(fs::exists(out_dir_ / "report.json"));
  const json r = ReadJson(out_dir_ / "report.json");
  for (const char* key :
       {"cycles", "seconds", "energy_pj", "energy_breakdown_pj", "macs", "layers", "check"}) {
    ASSERT_TRUE(r.contains(key)) << key;
  }
  const uint64_t cycles = r["cycles"].get<uint64_t>();
  EXPECT_GT(cycles, 0u);
  EXPECT_DOUBLE_EQ(r["seconds"].get<double>(), static_cast<double>(cycles) / (arch.clock_mhz * 1e6));
  ASSERT_EQ(r["layers"].size(), g.ops.size());
  uint64_t layer_cycles = 0;
  int64_t layer_macs = 0;
  for (size_t l = 0; l < g.ops.size(); ++l) {
    const json& L = r["layers"][l];
    for (const char* key : {"name", "op", "cycles", "energy_pj", "macs", "utilization", "dram_read_bytes",
                            "dram_write_bytes"}) {
      ASSERT_TRUE(L.contains(key)) << "layer " << l << ": " << key;
    }
    EXPECT_EQ(L["name"], g.ops[l].name);
    EXPECT_EQ(L["op"], core::OpTypeName(g.ops[l].type));
    EXPECT_GE(L["utilization"].get<double>(), 0.0);
    EXPECT_LE(L["utilization"].get<double>(), 1.0);
    layer_cycles += L["cycles"].get<uint64_t>();
    layer_macs += L["macs"].get<int64_t>();
  }
  EXPECT_EQ(layer_cycles, cycles);
  EXPECT_EQ(layer_macs, r["macs"].get<int64_t>());
  EXPECT_GT(layer_macs, 0);
  double breakdown = 0;
  for (const auto& [component, pj] : r["energy_breakdown_pj"].items()) breakdown += pj.get<double>();
  const double energy = r["energy_pj"].get<double>();
  EXPECT_GT(energy, 0);
  EXPECT_NEAR(breakdown, energy, 1e-6 * energy);
  EXPECT_EQ(r["check"]["passed"], true);
  EXPECT_EQ(r["check"]["values"].get<int64_t>(), output_values);

  // layers.csv: a header and one row per layer, in order.
  std::istringstream csv(ReadText(out_dir_ / "layers.csv"));
  std::string line;
  ASSERT_TRUE(std::getline(csv, line));
  EXPECT_EQ(line.rfind("name,op,", 0), 0u) << line;
  for (const core::Op& op : g.ops) {
    ASSERT_TRUE(std::getline(csv, line)) << "no row for " << op.name;
    EXPECT_EQ(line.rfind(op.name + "," + core::OpTypeName(op.type) + ",", 0), 0u) << line;
  }
  EXPECT_FALSE(std::getline(csv, line)) << "extra row: " << line;

  // outputs/<tensor>.npy: numpy's format, values equal to the reference executor's.
  const reference::TensorMap want = ReferenceOutputs(arch_file, net_file);
  for (const std::string& name : g.outputs) {
    const fs::path npy = out_dir_ / "outputs" / (name + ".npy");
    ASSERT_TRUE(fs::exists(npy)) << npy;
    const core::TensorInfo& t = g.tensor(name);
    ASSERT_EQ(t.bits, 8);
    ASSERT_TRUE(t.is_signed);
    // numpy writes single-byte dtypes with '|' (no byte order): np.save(f, np.int8(...)) gives '|i1'.
    EXPECT_TRUE(Contains(NpyHeader(npy), "'descr': '|i1', 'fortran_order': False")) << npy;
    const core::NpyArray a = core::LoadNpy(npy.string());
    EXPECT_EQ(a.dtype, "int8");
    EXPECT_EQ(a.shape, t.shape);
    EXPECT_EQ(a.values, want.at(name)) << name;
  }
  // Nothing half-written is left behind.
  for (const auto& e : fs::recursive_directory_iterator(out_dir_)) {
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Networks, CliRun,
    ::testing::Values(RunCase{"tiny_conv", "dense_16x16"}, RunCase{"tiny_conv", "tiny_4x4"},
                      RunCase{"small_resnet", "dense_16x16"}, RunCase{"small_resnet", "tiny_4x4"},
                      RunCase{"small_mlp", "dense_16x16"}, RunCase{"small_mlp", "tiny_4x4"}),
    [](const ::testing::TestParamInfo<RunCase>& info) {
      return std::string(info.param.net) + "_on_" + info.param.arch;
    });

TEST_F(Cli, InputFileReplacesTheNetworkInputData) {
  const std::string arch = Src("arch/dense_16x16.json");
  const std::string net = Src("workloads/tiny_conv.json");
  const core::Graph g = core::LoadNetwork(net);
  const core::TensorInfo& xt = g.tensor("x");
  ASSERT_TRUE(xt.data);
  std::vector<int32_t> x(xt.elements());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int32_t>((i * 37) % 256) - 128;
  ASSERT_NE(x, *xt.data);
  const std::string x_file = (dir_ / "work" / "x.npy").string();
  core::SaveNpy(x_file, xt.shape, x, xt.bits, xt.is_signed);

  const Outcome with = RunInto(arch, net, {"--input", x_file, "--check"});
  ASSERT_EQ(with.exit_code, 0) << with;
  EXPECT_TRUE(Contains(with.out, "check: bit-exact (256 values)")) << with;
  const std::vector<int32_t> y_with = core::LoadNpy((out_dir_ / "outputs" / "y.npy").string()).values;
  EXPECT_EQ(y_with, ReferenceOutputs(arch, net, {{"x", x}}).at("y"));

  const fs::path default_out = dir_ / "out_default";
  const Outcome without = Run({"--arch", arch, "--net", net, "--out", default_out.string(), "--check"});
  ASSERT_EQ(without.exit_code, 0) << without;
  const std::vector<int32_t> y_without = core::LoadNpy((default_out / "outputs" / "y.npy").string()).values;
  EXPECT_NE(y_with, y_without);
}

TEST_F(Cli, NamedInputFileIsAccepted) {
  const std::string x_file = (dir_ / "work" / "x.npy").string();
  std::vector<int32_t> x(192);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int32_t>(i % 100) - 50;
  core::SaveNpy(x_file, {1, 8, 8, 3}, x, 8, true);
  const std::string arch = Src("arch/tiny_4x4.json"), net = Src("workloads/tiny_conv.json");
  const Outcome o = RunInto(arch, net, {"--input", "x=" + x_file, "--check"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(Contains(o.out, "check: bit-exact (256 values)")) << o;
  EXPECT_EQ(core::LoadNpy((out_dir_ / "outputs" / "y.npy").string()).values,
            ReferenceOutputs(arch, net, {{"x", x}}).at("y"));
}

TEST_F(Cli, DefaultOutputDirIsResultsArchDashNet) {
  const fs::path cwd = dir_ / "work";
  const Outcome o =
      Run({"--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json")}, cwd);
  ASSERT_EQ(o.exit_code, 0) << o;
  const fs::path results = cwd / "results" / "dense_16x16-tiny_conv";
  EXPECT_TRUE(fs::exists(results / "report.json"));
  EXPECT_TRUE(fs::exists(results / "layers.csv"));
  EXPECT_TRUE(fs::exists(results / "outputs" / "y.npy"));
  EXPECT_TRUE(Contains(o.out, "report: results/dense_16x16-tiny_conv/report.json")) << o;
  // Without --check there is no check, in the report or on the terminal.
  EXPECT_FALSE(Contains(o.out, "check:")) << o;
  EXPECT_FALSE(ReadJson(results / "report.json").contains("check"));
}

TEST_F(Cli, CompilePrintsListingWithEveryInstructionKindAndDeps) {
  const fs::path cwd = dir_ / "work";
  const Outcome o =
      Run({"compile", "--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json")}, cwd);
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.err, "") << o;
  EXPECT_TRUE(Contains(o.out, "; npusim program for tiny_conv on dense_16x16: ")) << o;
  EXPECT_TRUE(Contains(o.out, "conv1 (conv2d) on array")) << o;
  std::istringstream lines(o.out);
  std::string line;
  std::map<std::string, int> kinds;
  bool deps = false;
  while (std::getline(lines, line)) {
    // Instruction lines: "<id>: <OPCODE> ...".
    const size_t colon = line.find(": ");
    if (line.empty() || line[0] == ';' || colon == std::string::npos) continue;
    const std::string rest = line.substr(colon + 2);
    ++kinds[rest.substr(0, rest.find(' '))];
    deps = deps || Contains(line, " deps=[");
  }
  for (const char* k : {"LOAD", "CONV", "REQUANT", "STORE"}) EXPECT_GE(kinds[k], 1) << k << "\n" << o;
  EXPECT_TRUE(deps) << o;
  // compile writes nothing.
  EXPECT_TRUE(fs::is_empty(cwd));
}

TEST_F(Cli, MobileNetV1IsBitExactOnDense16x16) {
  const Outcome o = RunInto(Src("arch/dense_16x16.json"), Src("workloads/mobilenet_v1_q8.json"), {"--check"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(Contains(o.out, "check: bit-exact (1000 values)")) << o;
  EXPECT_TRUE(fs::exists(out_dir_ / "report.json"));
}

// --objective: validated, applied to compile and run, echoed in the resolved arch of report.json
// with a reconfigurable unit's other keys.
TEST_F(Cli, ObjectiveOptionIsValidatedAppliedAndEchoed) {
  const std::string sagar = Src("arch/sagar_128x128.json"), net = Src("workloads/tiny_conv.json");
  Outcome o = RunInto(sagar, net, {"--objective", "fast"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "--objective: expected cycles, energy or edp, got \"fast\"")) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
  // Every unit takes it (it ranks fusion groups and tilings too: tests/app/objective_cli_test.cpp).
  o = Run({"compile", "--arch", Src("arch/dense_16x16.json"), "--net", net, "--objective", "energy"});
  EXPECT_EQ(o.exit_code, 0) << o;
  o = Run({"compile", "--arch", sagar, "--net", net, "--objective", "energy"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(Contains(o.out, "(best energy; est ")) << o;
  o = RunInto(sagar, net, {"--objective", "edp"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const json u = ReadJson(out_dir_ / "report.json")["arch"]["resolved"]["units"][0];
  EXPECT_EQ(u["objective"], "edp");
  EXPECT_EQ(u["grid_rows"], 32);
  EXPECT_EQ(u["sub_cols"], 4);
  EXPECT_EQ(u["dataflows"], json({"ws", "os", "is"}));
  EXPECT_EQ(u["reconfig_cycles"], 32);
  EXPECT_EQ(u["operand_feed"], "edge");
  EXPECT_EQ(u["row_feed_values_per_cycle"], 128);
  EXPECT_EQ(u["drain_values_per_cycle"], 128);
}

// A malformed ONNX model that once escaped as "internal error: map::at" (results/fuzz.md; a zero point
// that is a graph input on a DequantizeLinear nothing reads): bad input, so exit 2 with the file,
// the node and what is missing, and no file written.
TEST_F(Cli, OnnxZeroPointThatIsNoConstantExitsTwoNamingNode) {
  const std::string model = Src("tests/data/fuzz-regressions/onnx/zero_point_not_constant.onnx");
  const Outcome o = Run({"import", model, "-o", (out_dir_ / "net.json").string()});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_TRUE(Contains(o.err, "npusim: error: " + model +
                                  ": /graph/node/0: node \"dq\" (op DequantizeLinear, "
                                  "domain ai.onnx): zero point \"x_zero_point\" is not a constant"))
      << o;
  EXPECT_FALSE(Contains(o.err, "internal error")) << o;
  EXPECT_TRUE(OutDirAbsentOrEmpty());
}

// An internal error names the files the command read, so that a user can report it with them.
TEST(InputFilesNote, NamesTheArgumentsThatAreFiles) {
  const std::string arch = Src("arch/dense_16x16.json"), npy = Src("workloads/README.md");
  EXPECT_EQ(app::InputFilesNote({"run", "--arch", arch, "--net", "/no/such/file.json", "--input", "x=" + npy,
                                 "--out", Src("results")}),
            " (input files: " + arch + ", " + npy + ")");
  EXPECT_EQ(app::InputFilesNote({"--mode=" + arch}), "");  // an option's own '=' is not a NAME=FILE input
  EXPECT_EQ(app::InputFilesNote({"scalesim", "-c", "missing.cfg"}), "");
}

}  // namespace
}  // namespace npusim

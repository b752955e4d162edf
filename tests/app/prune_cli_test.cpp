// `npusim prune` as a user runs it: a pruned network is written with the network writer, loads
// and runs bit-exact; bad sparsities, methods the arch cannot exploit, N:M patterns that do not
// divide a layer and bad per-layer files exit 2 with a message naming the file and the field, and
// write nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/common/npusim_process.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

fs::path Scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("npusim_prune_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

ProcessOutcome Prune(const fs::path& d, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"prune", "--net", Src("workloads/small_resnet.json"), "-o",
                                   (d / "p.json").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunNpusim(args, d / "err");
}

TEST(PruneCli, SimdPrunedNetworkRunsBitExactAndFaster) {
  const fs::path d = Scratch("ok");
  const ProcessOutcome p =
      Prune(d, {"--arch", Src("arch/scalpel_mcu.json"), "--method", "simd", "--sparsity", "0.75"});
  ASSERT_EQ(p.exit_code, 0) << p;
  EXPECT_NE(p.out.find("% removed"), std::string::npos) << p;
  const ProcessOutcome dense =
      RunNpusim({"--arch", Src("arch/scalpel_mcu.json"), "--net", Src("workloads/small_resnet.json"), "--out",
                 (d / "dense").string()},
                d / "err_dense");
  const ProcessOutcome run = RunNpusim({"--arch", Src("arch/scalpel_mcu.json"), "--net",
                                        (d / "p.json").string(), "--check", "--out", (d / "run").string()},
                                       d / "err_run");
  ASSERT_EQ(dense.exit_code, 0) << dense;
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_NE(run.out.find("check: bit-exact"), std::string::npos) << run;
  const auto rd = nlohmann::json::parse(ReadFileText(d / "dense" / "report.json"));
  const auto rp = nlohmann::json::parse(ReadFileText(d / "run" / "report.json"));
  EXPECT_LT(rp["cycles"].get<int64_t>(), rd["cycles"].get<int64_t>());
  EXPECT_LT(rp["weight_bytes"].get<int64_t>(), rd["weight_bytes"].get<int64_t>());
}

void ExpectBadInput(const ProcessOutcome& o, const std::string& message, const fs::path& d) {
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_NE(o.err.find(message), std::string::npos) << o;
  EXPECT_FALSE(fs::exists(d / "p.json"));
}

TEST(PruneCli, SparsityOutsideZeroToOneIsRefused) {
  const fs::path d = Scratch("sparsity");
  ExpectBadInput(Prune(d, {"--arch", Src("arch/scalpel_mcu.json"), "--method", "simd", "--sparsity", "1"}),
                 "--sparsity: expected a sparsity in [0, 1), got 1", d);
  ExpectBadInput(Prune(d, {"--arch", Src("arch/scalpel_mcu.json"), "--method", "simd", "--sparsity", "-0.1"}),
                 "--sparsity: expected a sparsity in [0, 1), got -0.1", d);
}

TEST(PruneCli, MethodTheUnitCannotExploitIsRefused) {
  const fs::path d = Scratch("exploit");
  ExpectBadInput(
      Prune(d, {"--arch", Src("arch/dense_16x16.json"), "--method", "simd", "--sparsity", "0.5"}),
      "arch/dense_16x16.json: /units/0/type: unit \"array\" is a systolic_array, which runs pruned weights "
      "at dense cost: method simd needs a sparse_array with \"simd_groups\" in its formats",
      d);
  nlohmann::json arch = nlohmann::json::parse(ReadFileText(Src("arch/scalpel_mcu.json")));
  arch["units"][0]["formats"] = {"dense", "simd_groups"};
  arch["energy"] = Src("arch/energy/scalpel_mcu_45nm.json");
  WriteFileText(d / "arch.json", arch.dump());
  ExpectBadInput(
      Prune(d, {"--arch", (d / "arch.json").string(), "--method", "unstructured", "--sparsity", "0.5"}),
      "arch.json: /units/0/formats: unit \"simd\" cannot skip what method unstructured removes: it needs "
      "\"csr\" in its formats",
      d);
}

TEST(PruneCli, NmThatDoesNotDivideALayerNamesIt) {
  const fs::path d = Scratch("nm");
  ExpectBadInput(
      Prune(d, {"--arch", Src("arch/scalpel_mcu.json"), "--method", "2:4"}),
      "workloads/small_resnet.json: /ops/4: layer \"dw\": its reduction of 9 weights per output (3x3x1) is "
      "not a multiple of M = 4",
      d);
  ExpectBadInput(
      Prune(d, {"--arch", Src("arch/scalpel_mcu.json"), "--method", "4:2"}),
      "--method: expected simd, node, unstructured, n:m (2:4) or N:M with 1 <= N < M <= 64, got \"4:2\"", d);
}

TEST(PruneCli, PerLayerFileProblemsNameTheFileAndKey) {
  const fs::path d = Scratch("per_layer");
  WriteFileText(d / "layers.json", R"({"conv1": 1.5, "nope": 0.5})");
  const ProcessOutcome o = Prune(d, {"--arch", Src("arch/scalpel_mcu.json"), "--method", "unstructured",
                                     "--sparsity", "0.5", "--per-layer", (d / "layers.json").string()});
  ExpectBadInput(o, "layers.json: /conv1: expected a sparsity in [0, 1), got 1.5", d);
  EXPECT_NE(o.err.find("layers.json: /nope: expected the name of a conv2d or fully_connected layer of the "
                       "network, got \"nope\""),
            std::string::npos)
      << o;
}

}  // namespace
}  // namespace npusim::testing

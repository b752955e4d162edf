// Replays every input the fuzzers (fuzz/) found, kept under tests/data/fuzz-regressions/<target>/:
// each must load or fail with core::ConfigError, never crash, hang or exhaust memory. Also checks
// the resource limits of docs/formats.md ("Limits"): absurd sizes are refused by validation, with a
// message, before anything is allocated for them. (The ONNX target's inputs are replayed by
// tests/frontends/onnx/fuzz_regressions_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "config/arch.h"
#include "frontends/scalesim/scalesim_input.h"
#include "fuzz/fuzz_support.h"
#include "ir/net_loader.h"
#include "support/error.h"
#include "support/npy.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;
using testing::ScratchDir;
using testing::SourcePath;
using testing::WriteFile;

struct Kept {
  std::string target;  // fuzz target: arch, net, npy, scalesim_cfg, scalesim_topology
  std::string path;
};

std::vector<Kept> KeptInputs() {
  std::vector<Kept> out;
  for (const char* target : {"arch", "net", "npy", "scalesim_cfg", "scalesim_topology"}) {
    const std::filesystem::path dir = SourcePath(std::string("tests/data/fuzz-regressions/") + target);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.is_regular_file()) files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) out.push_back({target, f});
  }
  return out;
}

// Replays one kept input exactly as its fuzz target runs it (fuzz/<target>_fuzzer.cpp).
void Replay(const Kept& k) {
  const fuzz::ScratchDir dir;
  const std::string bytes = fuzz::ReadBytes(k.path);
  if (k.target == "arch") {
    std::filesystem::create_directory_symlink(SourcePath("arch/energy"), dir.File("energy"));
    LoadArch(dir.Write("arch.json", bytes));
  } else if (k.target == "net") {
    const fuzz::NetInput in = fuzz::SplitNetInput(bytes);
    if (in.npy) dir.Write("w.npy", *in.npy);
    LoadNetwork(dir.Write("net.json", in.json));
  } else if (k.target == "npy") {
    const std::string path = dir.Write("x.npy", bytes);
    try {
      LoadNpy(path);
    } catch (const ConfigError&) {
    }
    TensorInfo expected;
    expected.name = "x";
    expected.shape = {1, 4, 4, 3};
    LoadInputNpy(path, expected);
  } else if (k.target == "scalesim_cfg") {
    LoadScaleSimConfig(dir.Write("x.cfg", bytes));
  } else if (k.target == "scalesim_topology") {
    const std::string path = dir.Write("t.csv", bytes);
    try {
      LoadScaleSimTopology(path, ScaleSimTopologyForm::kConv);
    } catch (const ConfigError&) {
    }
    LoadScaleSimTopology(path, ScaleSimTopologyForm::kGemm);
  }
}

class FuzzRegression : public ::testing::TestWithParam<Kept> {};

TEST_P(FuzzRegression, LoadsOrFailsWithConfigError) {
  try {
    Replay(GetParam());
  } catch (const ConfigError&) {
    // A clear refusal is a fine outcome; anything else escapes and fails the test.
  }
}

std::string TestName(const ::testing::TestParamInfo<Kept>& info) {
  std::string name = info.param.target + "_" + std::filesystem::path(info.param.path).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FuzzRegression);
INSTANTIATE_TEST_SUITE_P(Kept, FuzzRegression, ::testing::ValuesIn(KeptInputs()), TestName);

// ------------------------------------------------------------------ what the kept inputs found

TEST(FuzzRegressions, PerChannelRandomScaleOnAnActivationAllocatesNothing) {
  // Used to draw 2^31 - 1 random scales (8 GiB) before reporting that per-channel is for weights.
  const std::string path =
      SourcePath("tests/data/fuzz-regressions/net/per_channel_random_scale_on_activation.json");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNetwork(path); }), path, "/tensors/x/scale",
                         "per-channel quantization is only allowed on constant weights"));
}

TEST(FuzzRegressions, InferredOutputTooLargeIsRefused) {
  // The conv's inferred output has about 2^65 elements: the flatten after it overflowed int64.
  const std::string path = SourcePath("tests/data/fuzz-regressions/net/conv_output_elements_overflow.json");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNetwork(path); }), path, "/ops/0",
                         "expected an output of at most 2147483647 elements"));
}

// ------------------------------------------------------------------ limits (docs/formats.md)

std::string Net(const std::string& tensors, const std::string& ops) {
  return R"({"version": 1, "name": "n", "inputs": ["x"], "outputs": ["y"], "tensors": {)" + tensors +
         R"(}, "ops": )" + ops + "}";
}
const char kReshapeOp[] = R"([{"name": "r", "op": "reshape", "inputs": ["x"], "outputs": ["y"]}])";

TEST(Limits, TensorOfTenToTheTwelveElementsIsRefused) {
  const std::string path =
      WriteFile(ScratchDir() + "/n.json", Net(R"("x": {"shape": [1000000, 1000000], "scale": 1},
                                            "y": {"scale": 1})",
                                              kReshapeOp));
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNetwork(path); }), path, "/tensors/x/shape",
                         "expected at most 2147483647 elements"));
}

TEST(Limits, ConstantDataBeyondTheBudgetIsRefusedBeforeItIsGenerated) {
  const std::string path = SourcePath("tests/data/fuzz-regressions/net/constant_data_too_large.json");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNetwork(path); }), path, "/tensors/c/shape",
                         "elements of data in all tensors with \"data\" together"));
}

TEST(Limits, ConstantDataBudgetCountsAllTensorsTogether) {
  // Each list alone is small; the budget is what they add up to. Shapes only: the data is a .npy
  // name that is never read because the shape is refused first.
  std::string tensors = R"("x": {"shape": [1, 4], "scale": 1}, "y": {"scale": 1})";
  for (int i = 0; i < 20; ++i) {
    tensors +=
        ", \"c" + std::to_string(i) + R"(": {"shape": [16384, 1024], "scale": 1, "data": "missing.npy"})";
  }
  const std::string path = WriteFile(ScratchDir() + "/n.json", Net(tensors, kReshapeOp));
  const auto problems = ProblemsOf([&] { LoadNetwork(path); });
  // 16 tensors of 2^24 fill 2^28; the 17th is over (object keys are visited in sorted order).
  int refused = 0;
  for (const Problem& p : problems) {
    if (p.message.find("together") != std::string::npos) ++refused;
  }
  EXPECT_EQ(refused, 4) << testing::ToString(problems);
}

TEST(Limits, AMillionOpsAreRefused) {
  std::string ops = "[";
  for (int i = 0; i < 1000000; ++i) ops += i ? ",{}" : "{}";
  ops += "]";
  const std::string path = WriteFile(ScratchDir() + "/n.json",
                                     Net(R"("x": {"shape": [1, 4], "scale": 1}, "y": {"scale": 1})", ops));
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNetwork(path); }), path, "/ops",
                         "expected at most 100000 ops, got 1000000"));
}

// A .npy header as numpy writes it (version 1.0).
std::string NpyHeader(const std::string& dict) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + char(1) + char(0);
  out += char(header.size() & 0xff);
  out += char((header.size() >> 8) & 0xff);
  return out + header;
}

TEST(Limits, NpyOfTenToTheTwelveElementsIsRefused) {
  const std::string path =
      WriteFile(ScratchDir() + "/x.npy",
                NpyHeader("{'descr': '|i1', 'fortran_order': False, 'shape': (1000000, 1000000), }"));
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNpy(path); }), path, "",
                         "array too large: shape (1000000, 1000000) (at most 2147483647 elements)"));
}

TEST(Limits, NpyDataIsNotReadUnlessTheFileHasExactlyTheAnnouncedSize) {
  // 2^30 int8 announced, a few bytes present: refused from the file size, nothing read.
  const std::string path =
      WriteFile(ScratchDir() + "/x.npy",
                NpyHeader("{'descr': '|i1', 'fortran_order': False, 'shape': (1073741824,), }") + "abc");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNpy(path); }), path, "",
                         "expected 1073741824 data bytes for shape (1073741824,) of int8, the file has 3"));
}

TEST(Limits, NpyHeaderLengthIsBounded) {
  // Format 2.0 allows a 4 GiB header; numpy writes a few hundred bytes.
  std::string bytes = std::string("\x93NUMPY", 6) + char(2) + char(0) + std::string("\xf0\xff\xff\xff", 4);
  const std::string path = WriteFile(ScratchDir() + "/x.npy", bytes + "{}");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNpy(path); }), path, "",
                         "header of 4294967280 bytes is too large (at most 1048576)"));
}

// Fixed bug (found by fuzzing, results/fuzz.md) in config/arch.cpp : buffers[].size_bytes accepts
// up to 2^40, and models/memory.cpp's Sram allocates size_bytes of backing store, so a validated
// arch with a 1 TiB buffer dies with std::bad_alloc (or the OOM killer) when the simulator is
// built. arch.cpp now bounds buffers to 1 GiB each.
TEST(FuzzRegressions, ArchWithATerabyteBufferIsRefused) {
  EXPECT_FALSE(ProblemsOf([&] {
                 Replay({"arch", SourcePath("tests/data/fuzz-regressions/arch/terabyte_buffer.json")});
               }).empty());
}

// Found while writing the serve_request target (results/fuzz.md): nlohmann's dump, copy and comparison
// recurse, so a value nested 10^5 deep (a 200 KB file, far inside the 1 GiB limit) overflowed the
// stack as soon as a message described it ("got [[[[..."): a crash, not an error.
TEST(Limits, JsonNestedDeeperThan512LevelsIsRefusedWithItsPosition) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string path = WriteFile(ScratchDir() + "/a.json", "{\"version\": 1,\n \"name\": " + deep + "}");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "",
                         "line 2, column 521: JSON nested deeper than 512 levels"));
  const std::string net =
      WriteFile(ScratchDir() + "/n.json", "{\"name\": \"" + deep + "\", \"x\": " + deep + "}");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNetwork(net); }), net, "",
                         "line 1, column 200530: JSON nested deeper"));
  // 512 levels are fine (the message is about the value, not the depth).
  const std::string ok =
      WriteFile(ScratchDir() + "/o.json",
                "{\"version\": 1, \"name\": " + std::string(511, '[') + std::string(511, ']') + "}");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(ok); }), ok, "/name", "expected a non-empty string"));
}

}  // namespace
}  // namespace npusim::core

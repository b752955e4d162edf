// Replays the inputs the ONNX fuzz target (fuzz/onnx_fuzzer.cpp) found, kept under
// tests/data/fuzz-regressions/onnx/: importing each (as a model, and as a serialized TensorProto)
// must succeed or fail with core::ConfigError. Inputs of the bugs it found are also replayed by a named test
// each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "frontends/onnx/onnx_import.h"
#include "support/error.h"

namespace npusim::importer {
namespace {

const std::string kDir = std::string(NPUSIM_SOURCE_DIR) + "/tests/data/fuzz-regressions/onnx/";
// Replayed by their own named tests below.
const std::set<std::string> kKnownBugs = {"tensor_dims_overflow.onnx",     "huge_allocation.onnx",
                                          "huge_allocation_9gb.onnx",      "dequantize_without_outputs.onnx",
                                          "declare_missing_constant.onnx", "zero_point_not_constant.onnx"};

void Replay(const std::string& path) {
  try {
    ImportOnnxModel(path, {});
  } catch (const core::ConfigError&) {
  }
  try {
    LoadOnnxTensor(path);
  } catch (const core::ConfigError&) {
  }
}

std::vector<std::string> KeptInputs() {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(kDir, ec)) return out;
  for (const auto& e : std::filesystem::directory_iterator(kDir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && !kKnownBugs.count(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class OnnxFuzzRegression : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxFuzzRegression, ImportsOrFailsWithConfigError) { Replay(kDir + GetParam()); }

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OnnxFuzzRegression);
INSTANTIATE_TEST_SUITE_P(Kept, OnnxFuzzRegression, ::testing::ValuesIn(KeptInputs()), TestName);

// Fixed bug (found by fuzzing, results/fuzz.md) in frontends/onnx/onnx_tensor.cpp : DecodeTensor
// bounds each dim by 2^31 - 1 but not their product, so OnnxTensor::elements() overflows int64
// (undefined behaviour; UBSan stops here) for the input read as a TensorProto: 28 dims of 1..122,
// whose product is about 10^47. DecodeTensor now refuses dims whose product passes 2^31 - 1.
TEST(OnnxFuzzRegressions, TensorDimsOverflow) { Replay(kDir + "tensor_dims_overflow.onnx"); }

// Fixed bug (found by fuzzing, results/fuzz.md) in frontends/onnx/onnx_tensor.cpp (same root: the product of
// dims is not bounded): DecodeInts calls v.reserve(n) with n = 757454211360000 (dims [3, 10, 1, 120, 18, 1,
// 121, 34, 3, 82, 105, 110], int16, no data) before checking that the data holds n values, so the import dies
// with std::length_error / std::bad_alloc (ASan: allocation size too big), not a ConfigError.
// huge_allocation_9gb.onnx: the same with dims whose product (about 1.2e9) passes every check:
// a 9 GB reserve.
TEST(OnnxFuzzRegressions, HugeAllocation) {
  Replay(kDir + "huge_allocation.onnx");
  Replay(kDir + "huge_allocation_9gb.onnx");
}

// Fixed bug (found by fuzzing, results/fuzz.md) in frontends/onnx/qdq_fold.cpp :
// Folder::AllConsumersFolded calls dq.output(0) on a DequantizeLinear node that has no outputs:
// an out-of-range RepeatedPtrField access (a null dereference: UBSan reports it, a release build
// crashes). Now read through Output0, which gives "" for a node without outputs.
TEST(OnnxFuzzRegressions, DequantizeWithoutOutputs) { Replay(kDir + "dequantize_without_outputs.onnx"); }

// Fixed bug (found by fuzzing, results/fuzz.md) in frontends/onnx/onnx_import.cpp:364 :
// Importer::Declare looks the scale up with constants_.at(n.input(1)); for a lone
// DequantizeLinear whose scale "x_scale" is a graph input, not a constant, std::out_of_range
// escaped instead of a ConfigError (npusim exited 1 with "map::at"); now a node problem.
TEST(OnnxFuzzRegressions, DeclareMissingConstant) { Replay(kDir + "declare_missing_constant.onnx"); }

// Fixed bug (found by CI's fuzz run, results/fuzz.md) in frontends/onnx/onnx_import.cpp : ReadZeroPoint
// looked the zero point up with constants_.at(zp_name). A dead DequantizeLinear (absorbed by the
// QDQ folder, so never checked by CheckNodes) whose zero point is a graph input let
// std::out_of_range escape ("internal error: map::at", exit 1). Every lookup of a model's name now
// goes through ConstantNamed / ConstantInput / ValueInput, which report the node instead.
TEST(OnnxFuzzRegressions, ZeroPointNotConstant) {
  const std::string path = kDir + "zero_point_not_constant.onnx";
  try {
    ImportOnnxModel(path, {});
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("node \"dq\" (op DequantizeLinear, domain ai.onnx): zero point "
                                         "\"x_zero_point\" is not a constant (expected an initializer or a "
                                         "Constant node)"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace npusim::importer

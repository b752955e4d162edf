// The instruction budget (CompileOptions::max_instructions, `--max-instructions`; docs/formats.md
// "Limits"): a program of exactly the limit compiles, one instruction more is refused naming the
// network file and the layer; a conv layer's CONV, REQUANT and STORE instructions are counted from
// its tiling before it emits any (the count equals what it then emits), so a small network that
// asks for 3.4 x 10^8 instructions is refused without emitting them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "ir/net_loader.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

// The message of the ConfigError compiling `g` under `limit` throws ("" when it compiles).
std::string Refusal(const core::Graph& g, const core::ArchConfig& arch, const std::string& file,
                    int64_t limit, CompileOptions::Fusion fusion = CompileOptions::Fusion::kAuto) {
  CompileOptions o;
  o.max_instructions = limit;
  o.fusion = fusion;
  try {
    Compile(g, arch, file, o);
  } catch (const core::ConfigError& e) {
    return e.what();
  }
  return "";
}

// The figure after "at least " in a refusal.
int64_t AtLeast(const std::string& message) {
  const std::string marker = "takes the program to at least ";
  const size_t at = message.find(marker);
  if (at == std::string::npos) return -1;
  return std::stoll(message.substr(at + marker.size()));
}

struct Case {
  const char* arch;
  const char* net;
  CompileOptions::Fusion fusion;
};

// Fused groups, layers alone, a systolic array, a reconfigurable one, a sparse unit, pools, adds.
TEST(InstructionBudget, AProgramOfExactlyTheLimitCompilesAndOneMoreIsRefused) {
  const Case cases[] = {
      {"arch/unpu.json", "workloads/mobilenet_q4.json", CompileOptions::Fusion::kAuto},
      {"arch/unpu.json", "workloads/mobilenet_q4.json", CompileOptions::Fusion::kNone},
      {"arch/dense_16x16.json", "workloads/small_resnet.json", CompileOptions::Fusion::kAuto},
      {"arch/tiny_4x4.json", "workloads/small_resnet.json", CompileOptions::Fusion::kAuto},
      {"tests/data/arch/sagar_128x128_pipe.json", "workloads/small_resnet.json",
       CompileOptions::Fusion::kAuto},
      {"tests/data/arch/scalpel_cpu_pipe.json", "workloads/small_resnet.json", CompileOptions::Fusion::kAuto},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.arch) + " " + c.net);
    const core::ArchConfig arch = core::LoadArch(Src(c.arch));
    const core::Graph g = core::LoadNetwork(Src(c.net));
    CompileOptions o;
    o.fusion = c.fusion;
    const int64_t n = static_cast<int64_t>(Compile(g, arch, c.net, o).instructions.size());
    ASSERT_GT(n, 10);
    EXPECT_EQ(Refusal(g, arch, c.net, n, c.fusion), "");
    const std::string refused = Refusal(g, arch, c.net, n - 1, c.fusion);
    EXPECT_EQ(refused.rfind(std::string(c.net) + ": /ops/", 0), 0u) << refused;
    EXPECT_NE(refused.find("; the limit is " + std::to_string(n - 1) + ", raise it with --max-instructions"),
              std::string::npos)
        << refused;
    // Beyond the limit, and never beyond what the program really has: exactly its size.
    EXPECT_EQ(AtLeast(refused), n) << refused;
  }
}

// A fused group counts before emission too: at least a CONV, REQUANT and STORE per band and
// output-channel tile of its last layer (so at least three per STORE of that layer), never more
// than the group then emits. (conv0..dw1 is the first group of the README command.)
TEST(InstructionBudget, AFusedGroupCountsItsInstructionsBeforeEmission) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/unpu.json"));
  const core::Graph g = core::LoadNetwork(Src("workloads/mobilenet_q4.json"));
  const isa::Program p = Compile(g, arch, "net.json");
  ASSERT_EQ(p.layers[0].group, 0) << p.layers[0].tiling;
  const int last = 1;  // dw1
  ASSERT_EQ(p.layers[last].group, 0) << p.layers[last].tiling;
  ASSERT_NE(p.layers[last + 1].group, 0);
  int64_t group = 0, stores = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.layer > last) continue;
    ++group;
    if (in.layer == last && in.op == isa::Opcode::kStore) ++stores;
  }
  ASSERT_GT(stores, 10);
  const std::string refused = Refusal(g, arch, "net.json", 1);
  EXPECT_EQ(refused.rfind("net.json: /ops/0: layer \"conv0\" takes the program to at least ", 0), 0u)
      << refused;
  EXPECT_GE(AtLeast(refused), 3 * stores) << refused;
  EXPECT_LE(AtLeast(refused), group) << refused;
}

class HugeLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("npusim_budget_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    json arch = json::parse(std::ifstream(Src("arch/unpu.json")));
    arch["energy"] = Src("arch/energy/unpu_65nm.json");
    for (json& b : arch["buffers"]) b["size_bytes"] = 256;  // tiny buffers: tiny tiles
    arch["dram"]["capacity_bytes"] = int64_t{1} << 30;      // room for 2 x 1024 x 1024 x 256 bytes
    std::ofstream(dir_ / "arch.json") << arch.dump();
    arch_ = core::LoadArch((dir_ / "arch.json").string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One 1x1 conv, c -> c channels, on a side x side image (no input data: compiling needs none).
  core::Graph Net(int64_t side, int64_t c) {
    const json net = {{"version", 1},
                      {"name", "wide"},
                      {"layout", "NHWC"},
                      {"inputs", {"x"}},
                      {"outputs", {"y"}},
                      {"tensors",
                       {{"x",
                         {{"shape", {1, side, side, c}},
                          {"bits", 8},
                          {"signed", true},
                          {"scale", 0.05},
                          {"zero_point", 0}}},
                        {"w",
                         {{"shape", {c, 1, 1, c}},
                          {"bits", 8},
                          {"signed", true},
                          {"scale", 0.004},
                          {"zero_point", 0},
                          {"data", {{"random", {{"seed", 2}, {"min", -127}, {"max", 127}}}}}}},
                        {"y",
                         {{"shape", {1, side, side, c}},
                          {"bits", 8},
                          {"signed", true},
                          {"scale", 0.2},
                          {"zero_point", 0}}}}},
                      {"ops",
                       {{{"name", "conv1"},
                         {"op", "conv2d"},
                         {"inputs", {"x", "w"}},
                         {"outputs", {"y"}},
                         {"stride", {1, 1}},
                         {"pads", {0, 0, 0, 0}}}}}};
    file_ = (dir_ / ("wide" + std::to_string(side) + "x" + std::to_string(c) + ".json")).string();
    std::ofstream(file_) << net.dump();
    return core::LoadNetwork(file_);
  }

  // One post-processor or data-movement op ("max_pool", "add" or "concat") over one or two
  // 1 x side x side x c tensors.
  core::Graph PostNet(const std::string& op_type, int64_t side, int64_t c) {
    const auto tensor = [](int64_t h, int64_t w, int64_t ch) {
      return json{
          {"shape", {1, h, w, ch}}, {"bits", 8}, {"signed", true}, {"scale", 0.05}, {"zero_point", 0}};
    };
    json op = {{"name", "post1"}, {"op", op_type}, {"inputs", {"a", "b"}}, {"outputs", {"y"}}};
    json tensors = {{"a", tensor(side, side, c)}, {"b", tensor(side, side, c)}, {"y", tensor(side, side, c)}};
    json inputs = {"a", "b"};
    if (op_type == "max_pool") {
      op["inputs"] = {"a"};
      op["kernel"] = {3, 3};
      op["stride"] = {1, 1};
      op["pads"] = {1, 1, 1, 1};
      tensors.erase("b");
      inputs = {"a"};
    } else if (op_type == "concat") {
      op["axis"] = 3;
      tensors["y"] = tensor(side, side, 2 * c);
    }
    const json net = {{"version", 1},     {"name", "post"},     {"layout", "NHWC"}, {"inputs", inputs},
                      {"outputs", {"y"}}, {"tensors", tensors}, {"ops", {op}}};
    file_ = (dir_ / (op_type + std::to_string(side) + ".json")).string();
    std::ofstream(file_) << net.dump();
    return core::LoadNetwork(file_);
  }

  fs::path dir_;
  std::string file_;
  core::ArchConfig arch_;
};

// Pools, adds and concats count their instructions before emitting any, as conv layers do: the
// refusal at a limit of 1 reports exactly what the layer then emits.
TEST_F(HugeLayer, PoolsAddsAndConcatsCountTheirInstructionsBeforeEmission) {
  for (const char* type : {"max_pool", "add", "concat"}) {
    SCOPED_TRACE(type);
    const core::Graph g = PostNet(type, 12, 20);
    const int64_t n = static_cast<int64_t>(Compile(g, arch_, file_).instructions.size());
    ASSERT_GT(n, 20);
    const std::string refused = Refusal(g, arch_, file_, 1);
    EXPECT_EQ(refused.rfind(file_ + ": /ops/0: layer \"post1\" takes the program to at least ", 0), 0u)
        << refused;
    EXPECT_EQ(AtLeast(refused), n) << refused;
  }
}

// The same ops over a 1024 x 1024 x 64 image through 256-byte buffers ask for over 2 x 10^6
// instructions: refused under a limit of 10^6 by the count before emission (an emission-time
// refusal would report exactly the limit + 1, after building a million instructions).
TEST_F(HugeLayer, HugePoolsAddsAndConcatsAreRefusedBeforeEmittingThem) {
  const int64_t limit = 1000000;
  for (const char* type : {"max_pool", "add", "concat"}) {
    SCOPED_TRACE(type);
    const core::Graph g = PostNet(type, 1024, 64);
    const std::string refused = Refusal(g, arch_, file_, limit);
    EXPECT_NE(refused.find("layer \"post1\" takes the program to at least "), std::string::npos) << refused;
    EXPECT_GT(AtLeast(refused), 2 * limit) << refused;
  }
}

// The count made before emission is exactly the CONV, REQUANT and STORE instructions the layer
// then emits (the program is empty before it, so the refusal at a limit of 1 reports that count).
TEST_F(HugeLayer, TheCountBeforeEmissionEqualsTheLayersComputeAndStoreInstructions) {
  const core::Graph g = Net(16, 32);
  const isa::Program p = Compile(g, arch_, file_);
  int64_t compute_and_store = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.op == isa::Opcode::kConv || in.op == isa::Opcode::kRequant || in.op == isa::Opcode::kStore) {
      ++compute_and_store;
    }
  }
  ASSERT_GT(compute_and_store, 100);
  const std::string refused = Refusal(g, arch_, file_, 1);
  EXPECT_EQ(refused.rfind(file_ + ": /ops/0: layer \"conv1\" takes the program to at least ", 0), 0u)
      << refused;
  EXPECT_EQ(AtLeast(refused), compute_and_store) << refused;
}

// A 1024 x 1024 x 256 image through 256-byte buffers: 3.4 x 10^8 compute and store instructions
// (loads on top), refused at the default limit by the count before emission (an emission-time
// refusal would report limit + 1), in milliseconds.
TEST_F(HugeLayer, ANetworkAskingForHundredsOfMillionsOfInstructionsIsRefusedBeforeEmittingThem) {
  const core::Graph g = Net(1024, 256);
  const std::string refused = Refusal(g, arch_, file_, CompileOptions::kDefaultMaxInstructions);
  EXPECT_NE(refused.find(file_ + ": /ops/0: layer \"conv1\" takes the program to at least "),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.find("the limit is 10000000, raise it with --max-instructions"), std::string::npos)
      << refused;
  EXPECT_GT(AtLeast(refused), 30 * CompileOptions::kDefaultMaxInstructions) << refused;
}

}  // namespace
}  // namespace npusim::compiler

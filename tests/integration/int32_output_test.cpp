// conv2d / fully_connected with 32-bit accumulator outputs (ONNX ConvInteger, MatMulInteger):
// random layers (dense, grouped, depthwise, strided, dilated, padded; per-tensor and per-channel
// weight scales; activation and weight zero points; with and without bias) simulated on the
// shipped arch families must equal the reference executor value for value, including
// accumulators that wrap or saturate at 16 bits; and the 4-byte outputs in tiles, stores, DRAM
// traffic and cycles.
#include <gtest/gtest.h>

#include "config/arch.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

// The shipped arch families, and accumulators of 16 bits that wrap or saturate.
const ArchVariant kInt32Variants[] = {
    {"dense", "tests/data/arch/dense_16x16_pipe.json", 32, core::Overflow::kWrap,
     core::RequantMode::kOnnxFloat},
    {"tiny", "arch/tiny_4x4.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"tiny_acc16_wrap", "arch/tiny_4x4.json", 16, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"dense_acc16_saturate", "tests/data/arch/dense_16x16_pipe.json", 16, core::Overflow::kSaturate,
     core::RequantMode::kFixedPoint},
    {"unpu", "tests/data/arch/unpu_pipe.json", 32, core::Overflow::kWrap, core::RequantMode::kOnnxFloat},
    {"sagar", "tests/data/arch/sagar_128x128_pipe.json", 32, core::Overflow::kWrap,
     core::RequantMode::kOnnxFloat},
    {"scalpel_mcu", "tests/data/arch/scalpel_mcu_pipe.json", 32, core::Overflow::kWrap,
     core::RequantMode::kOnnxFloat},
};

// x -> conv (8-bit output) -> conv (int32 output); x -> conv (int32 output); an [M, K] matmul
// with an int32 output. `weight_zero_points`: the unit runs asymmetric weights (bit-serial ones
// only symmetric).
core::Graph RandomInt32Net(uint64_t seed, bool weight_zero_points) {
  GraphBuilder b(seed);
  const int64_t h = b.Uniform(3, 12), w = b.Uniform(3, 12), c = b.Uniform(1, 10);
  const std::string x = b.Input({1, h, w, c}, b.Coin(0.5));
  auto w_zp = [&] {
    return weight_zero_points && b.Coin(0.7) ? static_cast<int32_t>(b.Uniform(-20, 20)) : 0;
  };
  auto random_conv = [&](const std::string& in, int64_t in_c) {
    const RandomConvShape s(b, h, w, in_c);
    const std::string y =
        b.Conv(in, s.oc, s.k, s.stride, s.dil, s.pads, s.groups, core::Activation::kNone, b.Coin(0.7));
    b.MakeAccumulatorOutput(y, w_zp());
  };
  const int64_t c1 = b.Uniform(2, 24);
  random_conv(b.Conv(x, c1, 3, 1, 1, {1, 1, 1, 1}, 1, RandomActivation(b)), c1);
  random_conv(x, c);
  const std::string m = b.Input({b.Uniform(1, 9), b.Uniform(1, 80)}, b.Coin(0.5), "m");
  const std::string fc = b.FullyConnected(m, b.Uniform(1, 48), core::Activation::kNone);
  b.MakeAccumulatorOutput(fc, w_zp());
  return b.Build();
}

class Int32OutputTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(Int32OutputTest, SimulatedAccumulatorsEqualReference) {
  const auto [seed, variant] = GetParam();
  const ArchVariant& v = kInt32Variants[variant];
  const core::ArchConfig arch = LoadVariant(v);
  const core::Graph g = RandomInt32Net(3000 + seed, arch.units[0].type != "bit_serial_array");
  int int32_outputs = 0;
  for (const std::string& o : g.outputs) int32_outputs += g.tensor(o).bits == 32 ? 1 : 0;
  ASSERT_EQ(int32_outputs, 3);
  const Outcome o = SimulateAndReference(g, arch);
  ExpectBitExact(g, o, v.acc_bits == 32);
  // The accumulators really are wider than any requantized output could be.
  if (v.acc_bits == 32) {
    int32_t widest = 0;
    for (const std::string& name : g.outputs) {
      if (g.tensor(name).bits != 32) continue;
      for (int32_t a : o.ref.at(name)) widest = std::max(widest, a < 0 ? -a : a);
    }
    EXPECT_GT(widest, 1 << 15);
  }
}

std::string Int32ParamName(const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
  return std::string(kInt32Variants[std::get<1>(info.param)].name) + "_seed" +
         std::to_string(std::get<0>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Seeds, Int32OutputTest,
                         ::testing::Combine(::testing::Range(0, 6), ::testing::Range(0, 7)), Int32ParamName);

// A 1x1 conv with an int32 output and weight zero point 3.
core::Graph OneLayerInt32(const std::vector<int64_t>& x_shape, int64_t oc) {
  GraphBuilder b(7);
  const std::string x = b.Input(x_shape);
  const std::string y = b.Conv(x, oc, 1, 1, 1, {0, 0, 0, 0}, 1, core::Activation::kNone);
  b.MakeAccumulatorOutput(y, 3);
  return b.Build();
}

int64_t StoredBytes(const isa::Program& p) {
  int64_t bytes = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.op == isa::Opcode::kStore) bytes += in.dma().bytes();
  }
  return bytes;
}

// [1, 4, 4, 16] -> [1, 4, 4, 16] (E = 256 outputs) on dense_16x16 is one tile. The post-processor
// passes the E accumulators through (counted as `pass`, never `requant`) in P + ceil(E / L) =
// 4 + 256 / 16 cycles; the STORE moves 4E = 1024 bytes, all of it written to DRAM. That STORE is
// one contiguous run of 16 bursts of 64 bytes: each burst is read from obuf in 1 cycle (4 banks x 16 bytes)
// and written to DRAM in 64 / 16 = 4 cycles, the writes back to back, the last complete after the DRAM
// latency, so the store takes 1 + 4E / bytes_per_cycle + latency_cycles.
TEST(Int32Output, PassThroughAndStoreCountFourBytesPerOutput) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("tests/data/arch/dense_16x16_pipe.json"));
  const core::Graph g = OneLayerInt32({1, 4, 4, 16}, 16);
  const int64_t e = 4 * 4 * 16;
  TensorMap inputs{{"x", *g.tensor("x").data}};
  const isa::Program p = compiler::Compile(g, arch, g.name);
  ASSERT_EQ(p.layers[0].tiles, 1);
  EXPECT_EQ(StoredBytes(p), 4 * e);
  EXPECT_EQ(p.outputs[0].type.bytes(), 4);
  const std::string listing = isa::Listing(p);
  EXPECT_NE(listing.find("REQUANT acc=b2+0x0 -> b3+0x0 [16x16]i32 pass"), std::string::npos) << listing;
  core::StatRegistry stats;
  models::Npu npu("npu", arch, p, stats);
  npu.WriteInputs(inputs);
  const models::RunResult r = npu.Run();
  const reference::TensorMap ref =
      reference::Run(g, inputs, reference::Options{arch.requant_mode, 32, core::Overflow::kWrap});
  EXPECT_EQ(r.outputs.at(g.outputs[0]), ref.at(g.outputs[0]));
  EXPECT_EQ(stats.Find("post", "pass")->total, static_cast<uint64_t>(e));
  EXPECT_EQ(stats.Find("post", "requant")->total, 0u);
  EXPECT_EQ(stats.Find("dram", "write_byte")->total, static_cast<uint64_t>(4 * e));
  const auto& busy = r.layer_busy[0];
  EXPECT_EQ(busy[static_cast<int>(isa::Queue::kPost)], 4u + 256 / 16);
  EXPECT_EQ(busy[static_cast<int>(isa::Queue::kStore)],
            static_cast<uint64_t>(1 + 4 * e / arch.dram.bytes_per_cycle + arch.dram.latency_cycles));
}

// On tiny_4x4 (small buffers) the 4-byte outputs shrink the tiles: every REQUANT's int32 output
// tile fits one half of the output buffer, and the STOREs move 4 bytes per output, each once.
TEST(Int32Output, TilesCountFourBytesPerOutputInTheOutputBuffer) {
  const core::ArchConfig arch = core::LoadArch(SourcePath("arch/tiny_4x4.json"));
  const core::Graph g = OneLayerInt32({1, 20, 20, 24}, 40);
  const isa::Program p = compiler::Compile(g, arch, g.name);
  const core::BufferConfig* obuf = arch.FindBuffer(arch.post.output_buffer);
  ASSERT_NE(obuf, nullptr);
  int64_t largest = 0, requants = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.op != isa::Opcode::kRequant) continue;
    ASSERT_TRUE(in.requant().passthrough());
    largest = std::max(largest, in.requant().count * in.requant().channels * 4);
    ++requants;
  }
  EXPECT_GT(requants, 1);
  EXPECT_LE(largest, obuf->size_bytes / 2);
  EXPECT_EQ(StoredBytes(p), 4 * 20 * 20 * 40);
}

}  // namespace
}  // namespace npusim::testing

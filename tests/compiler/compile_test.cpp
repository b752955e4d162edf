// Compiler: tiles cover every output exactly once, fit their buffers, and a network that cannot be
// tiled or run gets a message naming the layer, its JSON pointer and what would do.
#include <gtest/gtest.h>

#include <map>

#include "compiler/compiler.h"
#include "compiler/passes/tiling.h"
#include "config/arch.h"
#include "config/dram.h"
#include "ir/net_loader.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

// Every byte of every layer output is stored exactly once (but those that a fusion group keeps on
// chip), and no instruction touches a buffer outside its size.
void ExpectTilesCoverOutputsOnce(const std::string& arch_file, const std::string& net_file) {
  const core::ArchConfig arch = core::LoadArch(Src(arch_file));
  const core::Graph g = core::LoadNetwork(Src(net_file));
  const isa::Program p = Compile(g, arch, net_file);
  std::map<uint64_t, int> written;  // DRAM byte -> store count
  for (const isa::Instruction& in : p.instructions) {
    if (in.op != isa::Opcode::kStore && in.op != isa::Opcode::kLoad) continue;
    const isa::DmaArgs& d = in.dma();
    const uint64_t sram = in.op == isa::Opcode::kStore ? d.src : d.dst;
    const int buf = isa::AddressSpace(sram);
    ASSERT_GE(buf, 0);
    const std::array<int64_t, 2>& ss = in.op == isa::Opcode::kStore ? d.src_stride : d.dst_stride;
    const uint64_t end = sram + (d.planes - 1) * ss[1] + (d.rows - 1) * ss[0] + d.row_bytes;
    ASSERT_LE(end, isa::BufferBase(buf) + arch.buffers[buf].size_bytes) << isa::FormatInstruction(in);
    if (in.op != isa::Opcode::kStore) continue;
    for (int64_t pl = 0; pl < d.planes; ++pl)
      for (int64_t r = 0; r < d.rows; ++r)
        for (int64_t b = 0; b < d.row_bytes; ++b)
          ++written[d.dst + pl * d.dst_stride[1] + r * d.dst_stride[0] + b];
  }
  int64_t expected_bytes = 0, groups = 0;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const core::Op& op = g.ops[i];
    if (op.type == core::OpType::kReshape) continue;
    // Inside a fusion group a layer's output goes to the next layer on chip, never to DRAM.
    const int group = p.layers[i].group;
    if (group >= 0 && i + 1 < g.ops.size() && p.layers[i + 1].group == group) {
      ++groups;
      continue;
    }
    const core::TensorInfo& y = g.tensor(op.outputs[0]);
    expected_bytes += y.elements() * y.bytes_per_element();
  }
  EXPECT_EQ(static_cast<int64_t>(written.size()), expected_bytes)
      << groups << " tensors inside fusion groups";
  for (const auto& [addr, n] : written)
    ASSERT_EQ(n, 1) << "DRAM byte " << addr << " stored " << n << " times";
}

TEST(Compile, MobileNetTilesCoverEveryOutputOnceOnDense) {
  ExpectTilesCoverOutputsOnce("arch/dense_16x16.json", "workloads/mobilenet_v1_q8.json");
}

TEST(Compile, SmallResnetTilesCoverEveryOutputOnceOnTiny) {
  ExpectTilesCoverOutputsOnce("arch/tiny_4x4.json", "workloads/small_resnet.json");
}

TEST(Compile, DependenciesPointBackwards) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/tiny_4x4.json"));
  const isa::Program p = Compile(core::LoadNetwork(Src("workloads/small_resnet.json")), arch, "n");
  ASSERT_FALSE(p.instructions.empty());
  for (const isa::Instruction& in : p.instructions) {
    for (int64_t d : in.deps) {
      EXPECT_LT(d, in.id);
      EXPECT_NE(isa::QueueOf(p.instructions[d].op), isa::QueueOf(in.op));
    }
  }
}

TEST(Compile, LayerThatFitsNoBufferNamesLayerAndSmallestBuffer) {
  core::ArchConfig arch = core::LoadArch(Src("arch/tiny_4x4.json"));
  for (core::BufferConfig& b : arch.buffers) {
    if (b.name == "ibuf") b.size_bytes = 64;  // two slots of 0 bytes after 64-byte alignment: 32 -> 0
  }
  const core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  try {
    Compile(g, arch, "workloads/tiny_conv.json");
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    const std::string m = e.what();
    // Smallest tile of a 3x3 conv: a 3x3 window of one channel, 9 bytes; two 64-byte-aligned slots.
    EXPECT_NE(m.find("workloads/tiny_conv.json: /ops/0: layer \"conv1\" cannot be tiled"), std::string::npos)
        << m;
    EXPECT_NE(m.find("ibuf needs at least 128 bytes (two tiles of 9 for double buffering), it has 64"),
              std::string::npos)
        << m;
  }
}

TEST(Compile, WeightBitsTheUnitCannotRunNameTheOpAndSupportedWidths) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/dense_16x16.json"));
  core::Graph g = core::LoadNetwork(Src("workloads/tiny_conv.json"));
  g.tensor("conv1_w").bits = 4;
  try {
    Compile(g, arch, "net.json");
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "net.json: /ops/0: layer \"conv1\": weights \"conv1_w\" have 4-bit values; "
                  "unit \"array\" of "),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("runs weight bits {8}"), std::string::npos) << e.what();
  }
}

TEST(Compile, ListingShowsEveryInstructionWithDeps) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/dense_16x16.json"));
  const isa::Program p = Compile(core::LoadNetwork(Src("workloads/tiny_conv.json")), arch, "n");
  const std::string listing = isa::Listing(p);
  for (const char* op : {"LOAD", "CONV", "REQUANT", "STORE", "deps=["}) {
    EXPECT_NE(listing.find(op), std::string::npos) << op;
  }
  EXPECT_EQ(static_cast<size_t>(std::count(listing.begin(), listing.end(), '\n')),
            p.instructions.size() + 1);  // + the layer header line
}

// The cost model's DRAM side pays per run; on the timed DRAM a run costs whole accesses.
TEST(TransferCyclesTest, RunsRoundUpToWholeGranules) {
  EXPECT_EQ(TransferCycles(14, 10, 32), 10);        // the pipe: 14 bytes in one 32-byte cycle
  EXPECT_EQ(TransferCycles(14, 10, 32, 64), 20);    // a 64-byte access: two cycles
  EXPECT_EQ(TransferCycles(65, 3, 32, 64), 3 * 4);  // two accesses per run
  EXPECT_EQ(TransferCycles(4096, 1, 32, 64), 128);  // whole accesses: no rounding
  core::DramConfig pipe, timed;
  timed.model = "dram";
  timed.spec = *core::DramPreset("lpddr4-3200");
  EXPECT_EQ(pipe.granule_bytes(), 1);
  EXPECT_EQ(timed.granule_bytes(), 64);
}

}  // namespace
}  // namespace npusim::compiler

// Schedule: dependency tokens from address ranges (RAW, WAR, WAW), newest per queue only.
#include <gtest/gtest.h>

#include "compiler/passes/passes.h"

namespace npusim::compiler {
namespace {

isa::Instruction Load(int64_t id, uint64_t src, uint64_t dst, int64_t bytes) {
  isa::Instruction in;
  in.id = id;
  in.op = isa::Opcode::kLoad;
  in.dma().src = src;
  in.dma().dst = dst;
  in.dma().row_bytes = bytes;
  return in;
}

isa::Instruction Store(int64_t id, uint64_t src, uint64_t dst, int64_t bytes) {
  isa::Instruction in = Load(id, src, dst, bytes);
  in.op = isa::Opcode::kStore;
  return in;
}

isa::Instruction Conv(int64_t id, uint64_t in_addr, uint64_t w_addr, uint64_t acc, bool first) {
  isa::Instruction in;
  in.id = id;
  in.op = isa::Opcode::kConv;
  in.conv().in_addr = in_addr;
  in.conv().w_addr = w_addr;
  in.conv().acc_addr = acc;
  in.conv().in_h = in.conv().in_w = 2;
  in.conv().in_c = 4;   // 16 input bytes
  in.conv().out_c = 4;  // 16 weight bytes (1x1), 16 accumulator bytes
  in.conv().out_h = in.conv().out_w = 1;
  in.conv().first = first;
  return in;
}

const uint64_t kIbuf = isa::BufferBase(0), kWbuf = isa::BufferBase(1), kAbuf = isa::BufferBase(2);

TEST(Schedule, ComputeWaitsForBothLoadsItReads) {
  isa::Program p;
  p.instructions = {Load(0, 0, kIbuf, 16), Load(1, 64, kWbuf, 16), Conv(2, kIbuf, kWbuf, kAbuf, true)};
  Schedule(p);
  EXPECT_TRUE(p.instructions[0].deps.empty());
  EXPECT_TRUE(p.instructions[1].deps.empty());
  // Both loads are in the load queue, which completes in order: naming the newest suffices.
  EXPECT_EQ(p.instructions[2].deps, std::vector<int64_t>({1}));
}

TEST(Schedule, ReloadOfASlotWaitsForItsLastReader) {
  isa::Program p;
  p.instructions = {Load(0, 0, kIbuf, 16), Load(1, 64, kWbuf, 16), Conv(2, kIbuf, kWbuf, kAbuf, true),
                    Load(3, 128, kIbuf, 16)};
  Schedule(p);
  EXPECT_EQ(p.instructions[3].deps, std::vector<int64_t>({2}));  // WAR on the input slot
}

TEST(Schedule, LoadOfAnotherSlotDoesNotWait) {
  isa::Program p;
  p.instructions = {Load(0, 0, kIbuf, 16), Load(1, 64, kWbuf, 16), Conv(2, kIbuf, kWbuf, kAbuf, true),
                    Load(3, 128, kIbuf + 16, 16)};
  Schedule(p);
  EXPECT_TRUE(p.instructions[3].deps.empty());  // double buffering: the other half is free
}

TEST(Schedule, LoadOfDataAStoreWroteWaitsForTheStore) {
  isa::Program p;
  isa::Instruction c = Conv(2, kIbuf, kWbuf, kAbuf, true);
  p.instructions = {Load(0, 0, kIbuf, 16), Load(1, 64, kWbuf, 16), c,
                    Store(3, kAbuf, 4096, 16),      // writes DRAM [4096, 4112)
                    Load(4, 4100, kIbuf + 32, 4)};  // reads inside it: RAW across layers
  Schedule(p);
  EXPECT_EQ(p.instructions[3].deps, std::vector<int64_t>({2}));
  EXPECT_EQ(p.instructions[4].deps, std::vector<int64_t>({3}));
}

TEST(Schedule, AccumulatingTileReadsThePartialSums) {
  isa::Program p;
  p.instructions = {Load(0, 0, kIbuf, 16),
                    Load(1, 64, kWbuf, 16),
                    Conv(2, kIbuf, kWbuf, kAbuf, true),
                    Load(3, 128, kIbuf + 16, 16),
                    Conv(4, kIbuf + 16, kWbuf, kAbuf, false),
                    Store(5, kAbuf, 4096, 16)};
  Schedule(p);
  EXPECT_EQ(p.instructions[4].deps, std::vector<int64_t>({3}));  // its own queue orders it after 2
  EXPECT_EQ(p.instructions[5].deps, std::vector<int64_t>({4}));
}

// A compressed (sparse array) or packed tile is read as stored, w_bytes, not as the dense layout
// of its shape: the bytes after it (here where the dense 16 bytes would end; the load before
// filled all 16) are another tile's, and loading them must not wait for the CONV. The dense tile
// reads all 16 and does make it wait.
TEST(Schedule, StoredWeightTileIsReadOnlyAsFarAsItsBytes) {
  for (core::WeightFormat f :
       {core::WeightFormat::kSimdGroups, core::WeightFormat::kPacked, core::WeightFormat::kDense}) {
    isa::Program p;
    isa::Instruction c = Conv(2, kIbuf, kWbuf, kAbuf, true);
    c.conv().w_format = f;
    c.conv().w_bytes = 10;
    p.instructions = {Load(0, 0, kIbuf, 16), Load(1, 64, kWbuf, 16), c, Load(3, 128, kWbuf + 10, 6)};
    Schedule(p);
    const std::vector<int64_t> want =
        f == core::WeightFormat::kDense ? std::vector<int64_t>{2} : std::vector<int64_t>{};
    EXPECT_EQ(p.instructions[3].deps, want) << core::WeightFormatName(f);
  }
}

TEST(Schedule, PartialOverlapCountsAsConflict) {
  isa::Program p;
  p.instructions = {Load(0, 0, kIbuf, 16), Store(1, kIbuf + 15, 4096, 1), Load(2, 0, kIbuf + 15, 2)};
  Schedule(p);
  EXPECT_EQ(p.instructions[1].deps, std::vector<int64_t>({0}));  // reads the last byte of load 0
  EXPECT_EQ(p.instructions[2].deps, std::vector<int64_t>({1}));  // overwrites what store 1 reads
}

}  // namespace
}  // namespace npusim::compiler

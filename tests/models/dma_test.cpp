// Dma + Dram + Sram timing against closed forms (to the cycle), and the bytes really moved.
// Each test runs one simulation in its own process (gtest_discover_tests).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "config/arch.h"
#include "models/npu.h"
#include "support/stats.h"

namespace npusim::models {
namespace {

core::ArchConfig DenseArch() {
  return core::LoadArch(std::string(NPUSIM_SOURCE_DIR) +
                        "/tests/data/arch/dense_16x16_pipe.json");  // the pipe's closed forms
}

isa::Instruction LoadInstr(int64_t id, uint64_t src, uint64_t dst, int64_t row_bytes, int64_t rows = 1,
                           int64_t src_stride = 0, int64_t dst_stride = 0) {
  isa::Instruction in;
  in.id = id;
  in.op = isa::Opcode::kLoad;
  in.dma().src = src;
  in.dma().dst = dst;
  in.dma().row_bytes = row_bytes;
  in.dma().rows = rows;
  in.dma().src_stride = {src_stride, 0};
  in.dma().dst_stride = {dst_stride, 0};
  return in;
}

// A program whose DRAM holds bytes 0, 1, 2, ... so moved data can be checked.
isa::Program WithPattern(int64_t dram_bytes) {
  isa::Program p;
  p.dram_bytes_used = dram_bytes;
  isa::DramSegment s;
  s.addr = 0;
  for (int64_t i = 0; i < dram_bytes; ++i) s.bytes.push_back(static_cast<uint8_t>(i * 7 + 3));
  p.dram_init.push_back(s);
  return p;
}

// dense_16x16: 16 B/cycle, 100 cycles latency, 64 B bursts; ibuf: 4 banks x 16 B words.
// K bursts leave DRAM at 4, 8, ..., 4K cycles; the last lands 100 later and takes one SRAM cycle
// (64 B over 4 x 16 B banks): 4K + 101.
TEST(DmaTiming, ContiguousLoadTakesBytesOverBandwidthPlusLatencyPlusOneWrite) {
  const core::ArchConfig arch = DenseArch();
  isa::Program p = WithPattern(8192);
  p.instructions.push_back(LoadInstr(0, 0, isa::BufferBase(0), 8192));
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  const RunResult r = npu.Run();
  EXPECT_EQ(r.cycles, 4u * 128 + 101);
  EXPECT_EQ(stats.Find("dram", "read_byte")->total, 8192u);
  EXPECT_EQ(stats.Find("dma", "burst")->total, 128u);
  EXPECT_EQ(stats.Find("ibuf", "write")->total, 8192u / 16);
  // 512 words rotate through 4 banks: 128 each.
  ASSERT_EQ(r.banks[0].buffer, "ibuf");
  EXPECT_EQ(r.banks[0].writes, std::vector<uint64_t>({128, 128, 128, 128}));
}

// The second descriptor issues one latency before the first lands, so latency is paid once.
TEST(DmaTiming, BackToBackLoadsPipelineTheLatency) {
  const core::ArchConfig arch = DenseArch();
  isa::Program p = WithPattern(8192);
  p.instructions.push_back(LoadInstr(0, 0, isa::BufferBase(0), 4096));
  p.instructions.push_back(LoadInstr(1, 4096, isa::BufferBase(0) + 4096, 4096));
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  EXPECT_EQ(npu.Run().cycles, 4u * 128 + 101);
}

// A strided transfer moves one burst per row when rows are shorter than a burst: 16-byte rows
// take one DRAM cycle each.
TEST(DmaTiming, StridedRowsAreSeparateBursts) {
  const core::ArchConfig arch = DenseArch();
  isa::Program p = WithPattern(4096);
  p.instructions.push_back(LoadInstr(0, 0, isa::BufferBase(0), 16, 64, 64, 16));
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  const RunResult r = npu.Run();
  EXPECT_EQ(r.cycles, 64u + 101);
  EXPECT_EQ(stats.Find("dma", "burst")->total, 64u);
  // 64 rows of one 16-byte word each, packed: words 0..63, 16 per bank.
  EXPECT_EQ(r.banks[0].writes, std::vector<uint64_t>({16, 16, 16, 16}));
}

// Load then store of the same bytes: the data that comes back is the data that went in, and the
// store waits for the load (dependency token) and then pays its own latency.
// A transfer that starts mid-word touches more words than its length alone suggests; bursts are
// aligned on the DRAM side, so a word the two bursts share is written twice.
TEST(DmaTiming, UnalignedTransferCountsEveryWordTouchedPerBank) {
  const core::ArchConfig arch = DenseArch();
  isa::Program p = WithPattern(4096);
  p.instructions.push_back(LoadInstr(0, 0, isa::BufferBase(0) + 8 + 16, 80));  // bytes 24..103
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  const RunResult r = npu.Run();
  // DRAM bytes 0..63 land on SRAM 24..87 (words 1..5: banks 1,2,3,0,1), bytes 64..79 on
  // 88..103 (words 5..6: banks 1,2): 7 word writes.
  EXPECT_EQ(stats.Find("ibuf", "write")->total, 7u);
  EXPECT_EQ(r.banks[0].writes, std::vector<uint64_t>({1, 3, 2, 1}));
}

TEST(DmaTiming, RoundTripMovesTheBytesAndOrdersByDependency) {
  const core::ArchConfig arch = DenseArch();
  isa::Program p = WithPattern(4096);
  p.instructions.push_back(LoadInstr(0, 64, isa::BufferBase(3), 1024));
  isa::Instruction st = LoadInstr(1, isa::BufferBase(3), 2048, 1024);
  st.op = isa::Opcode::kStore;
  st.deps = {0};
  p.instructions.push_back(st);
  isa::TensorPlacement out;
  out.name = "y";
  out.addr = 2048;
  out.shape = {1024};
  out.type = isa::ElemType{8, false};
  p.outputs.push_back(out);
  core::StatRegistry stats;
  Npu npu("npu", arch, p, stats);
  const RunResult r = npu.Run();
  // Load: 16 bursts -> 4*16 + 101 = 165. Store: SRAM reads 1 cycle each (obuf 4x16 B), DRAM
  // writes 4 cycles each from 166 on; the last lands at 165 + 1 + 4*16 + 100 = 330.
  EXPECT_EQ(r.cycles, 330u);
  const std::vector<int32_t>& y = r.outputs.at("y");
  for (int i = 0; i < 1024; ++i) ASSERT_EQ(y[i], static_cast<uint8_t>((64 + i) * 7 + 3)) << i;
}

// Per-bank word counts (kept in O(1) per access: a count for every bank and a difference array of
// the runs that got one more) against counting word by word, on random accesses of 3- and 8-bank
// buffers: ranges shorter and longer than a rotation, wrapping past the last bank, repeated.
TEST(SramBanks, PerBankCountsEqualWordByWordCounts) {
  std::mt19937_64 rng(2026);
  for (int banks : {3, 8}) {
    core::BufferConfig cfg;
    cfg.name = "buf" + std::to_string(banks);
    cfg.size_bytes = 1 << 16;
    cfg.banks = banks;
    cfg.word_bytes = 16;
    core::StatRegistry stats;
    Sram sram(cfg.name.c_str(), cfg, stats);
    std::vector<uint64_t> reads(banks, 0), writes(banks, 0);
    for (int i = 0; i < 2000; ++i) {
      const bool write = rng() % 2 == 0;
      const uint64_t addr = rng() % 60000, bytes = rng() % 3 == 0 ? rng() % 40 : rng() % 2000;
      const uint64_t times = 1 + rng() % 3;
      sram.CountAccess(-1, write, addr, bytes, times);
      if (bytes == 0) continue;
      for (uint64_t w = addr / 16; w <= (addr + bytes - 1) / 16; ++w)
        (write ? writes : reads)[w % banks] += times;
    }
    EXPECT_EQ(sram.bank_reads(), reads) << banks << " banks";
    EXPECT_EQ(sram.bank_writes(), writes) << banks << " banks";
    uint64_t total = 0;
    for (uint64_t v : reads) total += v;
    EXPECT_EQ(stats.Find(cfg.name, "read")->total, total);
  }
}

}  // namespace
}  // namespace npusim::models

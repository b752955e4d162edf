// The DRAM controller (models/timing/dram.h) against closed forms, to the cycle: each test builds a
// small scene on a DDR4 channel whose timing numbers are round and distinct (Spec()) so that each
// rule of the header comment shows on its own, and records the cycle of every command.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "config/dram.h"
#include "models/timing/dram.h"

namespace npusim::models::timing {
namespace {

// ddr4-2400's organisation (one channel, one rank, 4 groups x 4 banks, 128 accesses per row) with
//   CL CWL BL RCD RP RAS RC CCD_S CCD_L CCD_L_WR RRD_S RRD_L FAW WTR_S WTR_L RTP WR  RFC  REFI RTRS
//   20  16  4  18 15  40 60   5     8      10     7     9   50   3     7    11  13  200  5000  2
// (RC > RAS + RP, so that RC shows).
core::DramSpec Spec() {
  core::DramSpec s = *core::DramPreset("ddr4-2400");
  s.t = {20, 16, 4, 18, 15, 40, 60, 5, 8, 10, 7, 9, 50, 3, 7, 11, 13, 200, 5000, 2};
  return s;
}

// RoBaBgRaCoCh with one rank and one channel: row | bank (2 bits) | group (2) | column (7) | 6.
uint64_t Addr(int group, int bank, uint64_t row, uint64_t column) {
  return (((row * 4 + bank) * 4 + group) * 128 + column) * 64;
}

// Drives a DramSystem one cycle at a time (offers of a cycle before its Tick) and records every
// command with its cycle and the request it served (a request's layer is its id).
class Bench {
 public:
  struct Issued {
    uint64_t cycle;
    DramCmd cmd;
    int request;  // REF: the last request accepted
  };

  explicit Bench(const core::DramSpec& s)
      : sys_(s, DramEvents{[this](int layer, DramCmd cmd) {
                             log_.push_back({now_, cmd, layer});
                           },
                           {},
                           {}}) {}

  // Offers a request in the current cycle; returns its id.
  int Offer(uint64_t addr, bool write = false) {
    const int id = next_id_++;
    EXPECT_TRUE(sys_.Offer({static_cast<uint64_t>(id), addr, write, id}, now_)) << "request " << id;
    return id;
  }
  // Runs every cycle before `c`.
  void RunTo(uint64_t c) {
    for (; now_ < c; ++now_) sys_.Tick(now_);
    std::vector<DramCompletion> got;
    sys_.TakeCompletions(got);
    for (const DramCompletion& d : got) done_[static_cast<int>(d.id)] = d.cycle;
  }
  // Offers the addresses one per cycle as the queues accept them (trace mode) and runs to `c`.
  void Stream(const std::vector<uint64_t>& addrs, uint64_t c) {
    size_t i = 0;
    for (; now_ < c; ++now_) {
      if (i < addrs.size() &&
          sys_.Offer({static_cast<uint64_t>(next_id_), addrs[i], false, next_id_}, now_)) {
        ++next_id_;
        ++i;
      }
      sys_.Tick(now_);
    }
  }
  uint64_t Done(int id) const {
    auto it = done_.find(id);
    return it == done_.end() ? 0 : it->second;
  }
  // The cycles of every `cmd` (of request `request`, if given).
  std::vector<uint64_t> Cycles(DramCmd cmd, int request = -1) const {
    std::vector<uint64_t> v;
    for (const Issued& x : log_)
      if (x.cmd == cmd && (request < 0 || x.request == request)) v.push_back(x.cycle);
    return v;
  }
  // The commands issued in cycles [from, to).
  std::vector<Issued> Between(uint64_t from, uint64_t to) const {
    std::vector<Issued> v;
    for (const Issued& x : log_)
      if (x.cycle >= from && x.cycle < to) v.push_back(x);
    return v;
  }
  DramCounts Counts() const { return sys_.Counts(); }

 private:
  uint64_t now_ = 0;
  int next_id_ = 0;
  std::vector<Issued> log_;
  std::map<int, uint64_t> done_;
  DramSystem sys_;  // last: its events refer to the members above
};

using Cycles = std::vector<uint64_t>;

TEST(DramClosedForm, TheTestSpecIsValid) { EXPECT_TRUE(core::DramSpecProblems(Spec()).empty()); }

TEST(DramClosedForm, ReadOnIdleBankCompletesAtRcdPlusClPlusBl) {
  Bench b(Spec());
  const int rd = b.Offer(Addr(0, 0, 7, 3));
  b.RunTo(200);
  EXPECT_EQ(b.Cycles(DramCmd::kAct), Cycles({0}));
  EXPECT_EQ(b.Cycles(DramCmd::kRd), Cycles({18}));  // RCD
  EXPECT_EQ(b.Done(rd), 18u + 20 + 4);              // RCD + CL + BL
}

TEST(DramClosedForm, WriteOnIdleBankCompletesAtRcdPlusCwlPlusBl) {
  Bench b(Spec());
  const int wr = b.Offer(Addr(2, 1, 7, 3), true);
  b.RunTo(200);
  EXPECT_EQ(b.Cycles(DramCmd::kWr), Cycles({18}));
  EXPECT_EQ(b.Done(wr), 18u + 16 + 4);  // RCD + CWL + BL
}

// An ACT, RD or WR holds the command bus for CMD cycles (DDR5's two-cycle commands); a PRE takes
// one. At 100 a read to a closed bank (ACT, RD at +RCD) and a row conflict (PRE, ACT at +RP, RD at
// +RCD) arrive; where two commands want the bus, the later one waits for it:
//   CMD 1: ACT 100, PRE 101, ACT 116, RD 118, RD 134.
//   CMD 2: PRE 102 (ACT's 2nd cycle), ACT 117, RD 119 (ACT 117's 2nd cycle), RD 135.
//   CMD 4: PRE 104, RD 118, ACT 122 (not 119: RD 118 holds the bus), RD 140.
TEST(DramClosedForm, MultiCycleCommandsHoldTheCommandBus) {
  struct Want {
    int cmd;
    uint64_t pre, act, rd_other, rd_conflict;
  };
  for (const Want& w :
       {Want{1, 101, 116, 118, 134}, Want{2, 102, 117, 119, 135}, Want{4, 104, 122, 118, 140}}) {
    core::DramSpec s = Spec();
    s.t.CMD = w.cmd;
    ASSERT_TRUE(core::DramSpecProblems(s).empty());
    Bench b(s);
    b.Offer(Addr(0, 0, 3, 0));
    b.RunTo(100);
    const int other_bank = b.Offer(Addr(1, 0, 1, 0));  // closed bank: ACT
    b.Offer(Addr(0, 0, 4, 0));                         // row conflict: PRE
    b.RunTo(300);
    EXPECT_EQ(b.Cycles(DramCmd::kAct), Cycles({0, 100, w.act})) << "CMD " << w.cmd;
    EXPECT_EQ(b.Cycles(DramCmd::kPre), Cycles({w.pre})) << "CMD " << w.cmd;
    EXPECT_EQ(b.Cycles(DramCmd::kRd), Cycles({18, w.rd_other, w.rd_conflict})) << "CMD " << w.cmd;
    EXPECT_EQ(b.Done(other_bank), w.rd_other + 20 + 4);
  }
  core::DramSpec bad = Spec();
  bad.t.CMD = 0;
  ASSERT_EQ(core::DramSpecProblems(bad).size(), 1u);
  EXPECT_EQ(core::DramSpecProblems(bad)[0],
            "timing CMD (command-bus cycles of ACT, RD, WR) must be at least 1 and at most RCD and RTP");
}

// Row hits in one bank (one group): the n-th RD at RCD + n x CCD_L.
TEST(DramClosedForm, RowHitStreamInOneBankGroupReadsEveryCcdL) {
  Bench b(Spec());
  for (int n = 0; n < 12; ++n) b.Offer(Addr(1, 2, 5, n));
  b.RunTo(400);
  Cycles want;
  for (uint64_t n = 0; n < 12; ++n) want.push_back(18 + 8 * n);
  EXPECT_EQ(b.Cycles(DramCmd::kRd), want);
  EXPECT_EQ(b.Cycles(DramCmd::kAct).size(), 1u);
  EXPECT_EQ(b.Done(11), 18u + 8 * 11 + 20 + 4);
}

// Open rows in groups 0 and 1; then row hits alternating between them: one RD every CCD_S.
Cycles AlternatingStream(const core::DramSpec& s, uint64_t start, int n, Bench* b) {
  b->Offer(Addr(0, 0, 3, 0));
  b->Offer(Addr(1, 0, 3, 0));
  b->RunTo(start);
  const size_t before = b->Cycles(DramCmd::kRd).size();
  for (int i = 0; i < n; ++i) b->Offer(Addr(i % 2, 0, 3, 1 + i / 2));
  b->RunTo(start + n * s.t.CCD_L + 100);
  const Cycles all = b->Cycles(DramCmd::kRd);
  return Cycles(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
}

TEST(DramClosedForm, RowHitStreamAlternatingBankGroupsReadsEveryCcdS) {
  Bench b(Spec());
  const Cycles rd = AlternatingStream(Spec(), 100, 12, &b);
  Cycles want;
  for (uint64_t n = 0; n < 12; ++n) want.push_back(100 + 5 * n);
  EXPECT_EQ(rd, want);
}

// With CCD_S = BL the data bus never idles: access_bytes / BL bytes per cycle, the spec's peak.
TEST(DramClosedForm, AlternatingStreamWithCcdSEqualToBlReachesPeakBandwidth) {
  core::DramSpec s = Spec();
  s.t.CCD_S = s.t.BL;
  Bench b(s);
  const int n = 16;
  const Cycles rd = AlternatingStream(s, 100, n, &b);
  ASSERT_EQ(rd.size(), static_cast<size_t>(n));
  EXPECT_EQ(rd.back() - rd.front(), static_cast<uint64_t>((n - 1) * s.t.BL));
  const uint64_t first_data = rd.front() + s.t.CL, last_done = b.Done(2 + n - 1);
  EXPECT_EQ(last_done, rd.back() + s.t.CL + s.t.BL);
  EXPECT_DOUBLE_EQ(static_cast<double>(n) * s.access_bytes() / static_cast<double>(last_done - first_data),
                   s.peak_bytes_per_cycle());
  EXPECT_DOUBLE_EQ(s.peak_bytes_per_cycle(), 16.0);
}

// Different rows of one bank: ACT every RC; each PRE RAS after its ACT; each read RCD + CL + BL
// after its ACT.
TEST(DramClosedForm, SameBankRowConflictsActivateEveryRc) {
  Bench b(Spec());
  for (uint64_t r = 0; r < 6; ++r) b.Offer(Addr(3, 1, 10 + r, 0));
  b.RunTo(600);
  EXPECT_EQ(b.Cycles(DramCmd::kAct), Cycles({0, 60, 120, 180, 240, 300}));
  EXPECT_EQ(b.Cycles(DramCmd::kPre), Cycles({40, 100, 160, 220, 280}));
  for (int r = 0; r < 6; ++r) EXPECT_EQ(b.Done(r), 60u * r + 18 + 20 + 4) << r;
  const DramCounts c = b.Counts();
  EXPECT_EQ(c.row_misses, 1u);
  EXPECT_EQ(c.row_conflicts, 5u);
}

// Nine reads to nine banks spread over the groups: ACTs RRD_S apart, but the fifth waits for the
// first + FAW, the ninth for the fifth + FAW.
TEST(DramClosedForm, FifthActivateOfARankWaitsForTheFirstPlusFaw) {
  Bench b(Spec());
  for (int n = 0; n < 9; ++n) b.Offer(Addr(n % 4, n / 4, 1, 0));
  b.RunTo(300);
  const Cycles act = b.Cycles(DramCmd::kAct);
  EXPECT_EQ(act, Cycles({0, 7, 14, 21, 50, 57, 64, 71, 100}));
  for (size_t i = 4; i < act.size(); ++i) EXPECT_GE(act[i], act[i - 4] + 50) << i;
  EXPECT_EQ(b.Cycles(DramCmd::kRd), Cycles({18, 25, 32, 39, 68, 75, 82, 89, 118}));
}

// Open rows in groups 0 and 1 (reads at 0), then the scene at cycle 100.
void OpenTwoGroups(Bench* b) {
  b->Offer(Addr(0, 0, 3, 0));
  b->Offer(Addr(1, 0, 3, 0));
  b->RunTo(100);
}

// RD at 100, then a WR of the same rank: CL + BL + 2 - CWL = 10 later, in either bank group.
TEST(DramClosedForm, ReadToWriteTurnaroundIsClPlusBlPlus2MinusCwl) {
  for (int group : {0, 1}) {
    Bench b(Spec());
    OpenTwoGroups(&b);
    b.Offer(Addr(0, 0, 3, 1));
    const int wr = b.Offer(Addr(group, 0, 3, 2), true);
    b.RunTo(300);
    EXPECT_EQ(b.Cycles(DramCmd::kRd).back(), 100u) << group;
    EXPECT_EQ(b.Cycles(DramCmd::kWr), Cycles({110})) << group;
    EXPECT_EQ(b.Done(wr), 110u + 16 + 4) << group;
  }
}

// WR at 100, then a RD: CWL + BL + WTR_L = 27 later in the same group, CWL + BL + WTR_S = 23 in
// another.
TEST(DramClosedForm, WriteToReadTurnaroundIsCwlPlusBlPlusWtr) {
  for (int group : {0, 1}) {
    Bench b(Spec());
    OpenTwoGroups(&b);
    b.Offer(Addr(0, 0, 3, 1), true);
    b.RunTo(101);
    const int rd = b.Offer(Addr(group, 0, 3, 2));
    b.RunTo(300);
    const uint64_t want = group == 0 ? 127 : 123;
    EXPECT_EQ(b.Cycles(DramCmd::kWr), Cycles({100})) << group;
    EXPECT_EQ(b.Cycles(DramCmd::kRd, rd), Cycles({want})) << group;
    EXPECT_EQ(b.Done(rd), want + 20 + 4) << group;
  }
}

TEST(DramClosedForm, IdleRankRefreshesEveryRefi) {
  Bench b(Spec());
  b.RunTo(10 * 5000 + 1);
  Cycles want;
  for (uint64_t k = 1; k <= 10; ++k) want.push_back(5000 * k);
  EXPECT_EQ(b.Cycles(DramCmd::kRef), want);
  EXPECT_EQ(b.Counts().ref, 10u);
}

// Reads to rotating banks and rows keep rows open; each refresh falls due at k x REFI, takes
// only PREs until REF, and the rank stays silent for RFC after it.
TEST(DramClosedForm, BusyRankRefreshesEveryRefiAndIsBlockedForRfc) {
  std::vector<uint64_t> addrs;
  for (uint64_t i = 0; i < 8000; ++i) addrs.push_back(Addr(i % 4, (i / 4) % 4, (i / 256) % 3, i % 128));
  Bench b(Spec());
  const uint64_t end = 4 * 5000 + 2500;
  b.Stream(addrs, end);
  const Cycles ref = b.Cycles(DramCmd::kRef);
  ASSERT_EQ(ref.size(), 4u);
  EXPECT_GT(b.Counts().rd, 3000u);  // the rank was busy
  size_t refresh_pres = 0;
  for (size_t k = 0; k < ref.size(); ++k) {
    const uint64_t due = 5000 * (k + 1);
    EXPECT_GE(ref[k], due);
    // A bound: RC after an ACT just before the due cycle (or RAS to the PREA, then RP).
    EXPECT_LE(ref[k], due + 60 + 16 + 15);
    for (const Bench::Issued& x : b.Between(due, ref[k])) EXPECT_EQ(x.cmd, DramCmd::kPre) << x.cycle;
    refresh_pres += b.Between(due, ref[k]).size();
    EXPECT_TRUE(b.Between(ref[k] + 1, ref[k] + 200).empty()) << "a command within RFC of " << ref[k];
  }
  EXPECT_GT(refresh_pres, 0u);  // rows were open when refreshes fell due
}

TEST(DramClosedForm, ReadJustAfterRefreshWaitsRfc) {
  Bench b(Spec());
  b.RunTo(5001);
  ASSERT_EQ(b.Cycles(DramCmd::kRef), Cycles({5000}));
  const int rd = b.Offer(Addr(0, 0, 1, 0));
  b.RunTo(6000);
  EXPECT_EQ(b.Cycles(DramCmd::kAct), Cycles({5200}));
  EXPECT_EQ(b.Done(rd), 5000u + 200 + 18 + 20 + 4);  // REF + RFC + RCD + CL + BL
}

// Three banks open when refresh falls due: one PREA closes them all once each may precharge (the
// last ACT 4964 + RAS 40 = 5004), then REF once every bank could take an ACT (ACT 4964 + RC 60 =
// 5024, later than PREA + RP = 5019).
TEST(DramClosedForm, RefreshClosesAllOpenBanksWithOnePrea) {
  Bench b(Spec());
  b.RunTo(4950);
  for (int group = 0; group < 3; ++group) b.Offer(Addr(group, 0, 1, 0));
  b.RunTo(5400);
  EXPECT_EQ(b.Cycles(DramCmd::kAct), Cycles({4950, 4957, 4964}));  // RRD_S 7
  EXPECT_EQ(b.Cycles(DramCmd::kPre), Cycles({5004}));
  EXPECT_EQ(b.Cycles(DramCmd::kRef), Cycles({5024}));
  EXPECT_EQ(b.Counts().pre, 1u);
}

// An open bank when refresh falls due: PRE first (as soon as RAS and RTP allow), then REF when
// every bank could take an ACT (RP after the PRE, and RC after the last ACT).
TEST(DramClosedForm, RefreshPrechargesOpenBankFirst) {
  {
    Bench b(Spec());
    b.RunTo(4900);
    b.Offer(Addr(2, 3, 1, 0));
    b.RunTo(5400);
    EXPECT_EQ(b.Cycles(DramCmd::kPre), Cycles({5000}));
    EXPECT_EQ(b.Cycles(DramCmd::kRef), Cycles({5015}));  // PRE + RP
  }
  {
    Bench b(Spec());
    b.RunTo(4970);
    b.Offer(Addr(2, 3, 1, 0));
    b.RunTo(5400);
    EXPECT_EQ(b.Cycles(DramCmd::kPre), Cycles({5010}));  // ACT + RAS
    EXPECT_EQ(b.Cycles(DramCmd::kRef), Cycles({5030}));  // ACT + RC (> PRE + RP = 5025)
  }
}

// Write queue of 16, draining above 8 and down to below 4 while reads wait. 24 row-hit reads in
// group 0 from cycle 0, then writes to group 1 one per cycle from cycle 1: the ninth (cycle 9)
// starts the drain (ACT at 9, WRs CCD_L_WR apart from RCD later); six WRs leave three queued
// (< 4), the reads resume CWL + BL + WTR_S after the last WR, and the last three WRs wait until
// the read queue is empty.
TEST(DramClosedForm, WritesDrainAboveHighWatermarkAndStopBelowLow) {
  core::DramSpec s = Spec();
  s.write_queue = 16;
  s.write_high = 0.5;
  s.write_low = 0.25;
  Bench b(s);
  for (int n = 0; n < 24; ++n) b.Offer(Addr(0, 0, 3, n));
  for (uint64_t n = 0; n < 9; ++n) {
    b.RunTo(1 + n);
    b.Offer(Addr(1, 0, 3, n), true);
  }
  b.RunTo(600);
  EXPECT_EQ(b.Cycles(DramCmd::kAct), Cycles({0, 9}));
  const Cycles wr = b.Cycles(DramCmd::kWr), rd = b.Cycles(DramCmd::kRd);
  ASSERT_EQ(wr.size(), 9u);
  ASSERT_EQ(rd.size(), 24u);
  EXPECT_EQ(Cycles(wr.begin(), wr.begin() + 6), Cycles({27, 37, 47, 57, 67, 77}));
  EXPECT_EQ(rd.front(), 77u + 16 + 4 + 3);
  EXPECT_EQ(rd.back(), rd.front() + 23 * 8);
  EXPECT_EQ(Cycles(wr.begin() + 6, wr.end()), Cycles({rd.back() + 10, rd.back() + 20, rd.back() + 30}));
}

// Writes alone drain at once (the read queue is empty).
TEST(DramClosedForm, WritesWithoutReadsDrainAtOnce) {
  Bench b(Spec());
  for (int n = 0; n < 3; ++n) b.Offer(Addr(0, 0, 3, n), true);
  b.RunTo(200);
  EXPECT_EQ(b.Cycles(DramCmd::kWr), Cycles({18, 28, 38}));  // RCD, then CCD_L_WR apart
}

// A read of a line in the write queue is answered from it, one cycle later, without a command.
TEST(DramClosedForm, ReadOfQueuedWriteIsForwarded) {
  Bench b(Spec());
  b.Offer(Addr(0, 0, 3, 5), true);
  b.RunTo(3);
  const int rd = b.Offer(Addr(0, 0, 3, 5) + 8);  // same 64-byte line
  b.RunTo(200);
  EXPECT_EQ(b.Done(rd), 4u);
  EXPECT_EQ(b.Counts().forwarded, 1u);
  EXPECT_TRUE(b.Cycles(DramCmd::kRd).empty());
}

TEST(DramClosedForm, ClosedPagePrechargesALoneReadAndOpenPageDoesNot) {
  for (core::PagePolicy page : {core::PagePolicy::kOpen, core::PagePolicy::kClosed}) {
    core::DramSpec s = Spec();
    s.page = page;
    Bench b(s);
    b.Offer(Addr(0, 0, 3, 0));
    b.RunTo(100);
    EXPECT_EQ(b.Counts().pre, page == core::PagePolicy::kClosed ? 1u : 0u);
    // Another row of the same bank at 100: closed page activates at once, open page first
    // precharges (RP).
    const int rd = b.Offer(Addr(0, 0, 4, 0));
    b.RunTo(300);
    const uint64_t act = page == core::PagePolicy::kClosed ? 100 : 115;
    EXPECT_EQ(b.Cycles(DramCmd::kAct), Cycles({0, act}));
    EXPECT_EQ(b.Done(rd), act + 18 + 20 + 4);
  }
}

// Closed page keeps the row open while another queued request hits it.
TEST(DramClosedForm, ClosedPageKeepsRowOpenForQueuedHit) {
  core::DramSpec s = Spec();
  s.page = core::PagePolicy::kClosed;
  Bench b(s);
  b.Offer(Addr(0, 0, 3, 0));
  b.Offer(Addr(0, 0, 3, 1));
  b.RunTo(200);
  EXPECT_EQ(b.Cycles(DramCmd::kAct), Cycles({0}));
  EXPECT_EQ(b.Cycles(DramCmd::kRd), Cycles({18, 26}));
  EXPECT_EQ(b.Counts().pre, 1u);
}

core::DramSpec TwoByTwo() {  // 2 channels, 2 ranks
  core::DramSpec s = *core::DramPreset("ddr4-2400");
  s.channels = 2;
  s.ranks = 2;
  return s;
}

TEST(DramClosedForm, DecodeRoBaBgRaCoCh) {
  const core::DramSpec s = TwoByTwo();
  // row 0x1A5, bank 2, group 3, rank 1, column 0x55, channel 1:
  // (((((0x1A5 x 4 + 2) x 4 + 3) x 2 + 1) x 128 + 0x55) x 2 + 1) x 64
  const uint64_t addr = 0xd2deac0 + 17;  // + an offset inside the access
  const DramAddress a = DramDecoder(s).Decode(addr);
  EXPECT_EQ(a.row, 0x1A5u);
  EXPECT_EQ(a.bank, 2);
  EXPECT_EQ(a.bank_group, 3);
  EXPECT_EQ(a.rank, 1);
  EXPECT_EQ(a.column, 0x55u);
  EXPECT_EQ(a.channel, 1);
  EXPECT_EQ(DramDecoder(s).Line(addr), 0xd2deac0u / 64);
}

TEST(DramClosedForm, DecodeChRaBgBaRoCo) {
  core::DramSpec s = TwoByTwo();
  ASSERT_TRUE(core::ParseAddressMapping("ChRaBgBaRoCo", &s.mapping));
  // (((((1 x 2 + 1) x 4 + 3) x 4 + 2) x 65536 + 0x1A5) x 128 + 0x55) x 64
  const DramAddress a = DramDecoder(s).Decode(0x7c034b540);
  EXPECT_EQ(a.channel, 1);
  EXPECT_EQ(a.rank, 1);
  EXPECT_EQ(a.bank_group, 3);
  EXPECT_EQ(a.bank, 2);
  EXPECT_EQ(a.row, 0x1A5u);
  EXPECT_EQ(a.column, 0x55u);
}

// xor_hash: bank ^= row bits 0-1, group ^= row bits 2-3, channel ^= row bit 4.
TEST(DramClosedForm, DecodeWithXorHash) {
  core::DramSpec s = TwoByTwo();
  s.xor_hash = true;
  const DramAddress a = DramDecoder(s).Decode(0xd2deac0);  // row 0x1A5 = 0b1'1010'0101
  EXPECT_EQ(a.row, 0x1A5u);
  EXPECT_EQ(a.bank, 2 ^ 1);
  EXPECT_EQ(a.bank_group, 3 ^ 1);
  EXPECT_EQ(a.channel, 1 ^ 0);
  EXPECT_EQ(a.rank, 1);
  EXPECT_EQ(a.column, 0x55u);
  // Rows 0..31 at one (bank, group, channel, column): every bank, group and channel combination once.
  std::vector<int> seen(2 * 16, 0);
  for (uint64_t row = 0; row < 32; ++row) {
    const DramAddress b = DramDecoder(s).Decode(row << (6 + 1 + 7 + 1 + 2 + 2));
    ++seen[b.channel * 16 + b.bank_group * 4 + b.bank];
  }
  EXPECT_EQ(seen, std::vector<int>(32, 1));
}

// ddr4-2400: tCK = 1/1.2 ns, 8 devices of x8, VDD 1.2 V, so one mA for one cycle over the rank is
// 1.2 x (1/1.2) x 8 = 8 pJ.
TEST(DramClosedForm, Ddr4EnergyFollowsTheIddMethod) {
  const core::DramEnergy e = core::DramPreset("ddr4-2400")->Energy();
  const double mA_cycle = 1.2 * (1000.0 / 1200.0) * 8;
  EXPECT_NEAR(e.act, (48.0 * 55 - 43.0 * 39 - 34.0 * (55 - 39)) * mA_cycle, 1e-9);  // IDD0, RC, RAS
  EXPECT_NEAR(e.act, 3352.0, 1e-9);
  EXPECT_NEAR(e.rd, (135.0 - 43) * 4 * mA_cycle, 1e-9);  // (IDD4R - IDD3N) x BL
  EXPECT_NEAR(e.rd, 2944.0, 1e-9);
  EXPECT_NEAR(e.wr, (123.0 - 43) * 4 * mA_cycle, 1e-9);
  EXPECT_NEAR(e.wr, 2560.0, 1e-9);
  EXPECT_NEAR(e.ref, (250.0 - 43) * 420 * mA_cycle, 1e-6);  // (IDD5B - IDD3N) x RFC
  EXPECT_NEAR(e.ref, 695520.0, 1e-6);
  EXPECT_NEAR(e.active_cycle, 43 * mA_cycle, 1e-9);
  EXPECT_NEAR(e.active_cycle, 344.0, 1e-9);
  EXPECT_NEAR(e.precharged_cycle, 34 * mA_cycle, 1e-9);
  EXPECT_NEAR(e.precharged_cycle, 272.0, 1e-9);
}

}  // namespace
}  // namespace npusim::models::timing

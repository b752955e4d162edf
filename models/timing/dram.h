// A JEDEC-timed DRAM controller, one per channel, in DRAM clock cycles (plain C++: the SystemC
// target models/memory.h, `npusim dram` and the tests drive the same code).
//
// Each cycle a channel issues at most one command (the command bus; an ACT, RD or WR holds it for
// CMD cycles, DDR5's two-cycle commands), chosen so:
//  1. Refresh: from the cycle a rank's refresh falls due (every REFI) it takes only PREA (one
//     command closing every open bank, once each may precharge) and then REF (all banks closed);
//     REF blocks the rank for RFC.
//     REF may issue once every bank of the rank could take an ACT (RP after a PRE, RC after an ACT,
//     RFC after the previous REF); refreshes fall due at k x REFI however late earlier ones were.
//  2. Mode: the controller serves the read queue, or the write queue while draining. Draining
//     starts when the write queue holds more than write_high x capacity requests, or when the read
//     queue is empty and a write waits; it ends when the write queue holds fewer than write_low x
//     capacity and a read waits, or when it is empty. The mode is re-evaluated whenever a queue
//     changes (a request taken, a column command issued).
//  3. FR-FCFS within the served queue: the oldest request whose next command is a column command
//     (a row hit) that may issue this cycle; else the oldest whose next command (ACT on a closed
//     bank, PRE on a bank open on another row) may issue this cycle. Requests to a rank that owes a
//     refresh wait.
//  Open page: rows stay open until a conflict or refresh closes them. Closed page: a column command
//  precharges automatically (RDA/WRA) unless another queued request hits the same row; the bank
//  closes at the earliest legal precharge time.
// A read whose access (access_bytes line) is in the write queue is answered from it (one cycle, no
// command); a full read queue refuses it all the same. An automatic precharge counts as a PRE.
// Timing rules (earliest cycle of a command after another; an _S rule binds the whole rank, the _L
// rule adds to it within a bank group, so _L >= _S is required; CL+BL+2-CWL is at least 1):
//  ACT after ACT same bank RC, same group RRD_L, other group RRD_S, fifth ACT of a rank FAW after
//  the first of four; ACT after PRE RP, after REF RFC; RD/WR after ACT RCD; PRE after ACT RAS,
//  after RD RTP, after WR CWL+BL+WR; RD after RD CCD_L/S; WR after WR CCD_L_WR/CCD_S; WR after RD
//  CL+BL+2-CWL; RD after WR CWL+BL+WTR_L/S; a column command of another rank keeps RTRS between
//  data bursts. A read completes when its data has left (issue + CL + BL), a write when its data
//  has been written (issue + CWL + BL).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "config/dram.h"

namespace npusim::models::timing {

struct DramRequest {
  uint64_t id = 0;  // the caller's
  uint64_t addr = 0;
  bool write = false;
  int layer = -1;  // for per-layer counts
};

struct DramCompletion {
  uint64_t id;
  uint64_t cycle;  // when its data has left (read) or been written (write)
  bool write;
};

enum class DramCmd { kAct, kPre, kRd, kWr, kRef };

// What the controller reports as it goes, for a caller that needs the order or the time (the
// per-layer totals of commands and row outcomes are in DramCounts::by_layer); may be empty.
struct DramEvents {
  // One command of `layer`'s request (REF: the layer of the last request the channel took).
  std::function<void(int layer, DramCmd cmd)> command;
  // A request's first command found the row open (hit), the bank closed (miss) or another row open
  // (conflict): 0, 1, 2.
  std::function<void(int layer, int kind)> row;
  // Background cycles of one rank, active (a bank open or refreshing) or precharged.
  std::function<void(int layer, uint64_t active, uint64_t precharged)> background;
};

struct DramAddress {
  int channel = 0, rank = 0, bank_group = 0, bank = 0;  // bank within its group
  uint64_t row = 0, column = 0;
};

class DramDecoder {
 public:
  explicit DramDecoder(const core::DramSpec& spec);
  DramAddress Decode(uint64_t addr) const;
  uint64_t Line(uint64_t addr) const { return addr >> offset_bits_; }

 private:
  static constexpr int kFields = 6;  // core::AddrField's values
  // Per field (indexed by core::AddrField): its shift in the line number and its mask (0: absent).
  uint64_t shift_[kFields] = {}, mask_[kFields] = {};
  int offset_bits_ = 0;
  int bank_bits_ = 0, group_bits_ = 0, channel_bits_ = 0;
  bool xor_ = false;
};

// Read latency in cycles from acceptance to data, kept exactly up to kMax.
class LatencyHistogram {
 public:
  static constexpr uint64_t kMax = 1 << 16;
  void Add(uint64_t v);
  void Merge(const LatencyHistogram& o);
  uint64_t count() const { return n_; }
  double Mean() const { return n_ ? static_cast<double>(sum_) / n_ : 0.0; }
  uint64_t Percentile(double p) const;  // the smallest v with at least p of the samples <= v

 private:
  std::vector<uint64_t> bins_;  // grown on demand; the last holds everything >= kMax
  uint64_t n_ = 0, sum_ = 0;
};

struct DramCounts {
  uint64_t act = 0, pre = 0, rd = 0, wr = 0, ref = 0;
  uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0, forwarded = 0;
  uint64_t active_cycles = 0, precharged_cycles = 0;  // summed over ranks
  LatencyHistogram read_latency;
  // The commands and row outcomes per layer (index layer + 1, 0 for no layer), as DramEvents
  // reports them one by one: [DramCmd] commands, then [kRowOutcome + kind] hits, misses, conflicts.
  static constexpr int kRowOutcome = 5;
  std::vector<std::array<uint64_t, kRowOutcome + 3>> by_layer;
  void Merge(const DramCounts& o);
};

class DramChannel {
 public:
  DramChannel(const core::DramSpec& spec, const DramDecoder& decoder, const DramEvents* events);
  // (Inline: the front end asks at every cycle it visits.)
  bool Full(bool write) const {
    return write ? Queue(1) >= static_cast<size_t>(spec_.write_queue)
                 : Queue(0) >= static_cast<size_t>(spec_.read_queue);
  }
  // Takes `r` (decoded to this channel) in cycle `cycle`, which is not before the next cycle to run.
  // A read found in the write queue completes at cycle + 1 without entering the read queue.
  void Accept(const DramRequest& r, const DramAddress& a, uint64_t cycle);
  // Runs cycle `c` (not before the previous one + 1): issues at most one command. (Inline: most
  // cycles the front end visits have nothing to issue.)
  void Tick(uint64_t c) {
    if (dirty_ || c >= ready_at_) TickBusy(c);
  }
  // The earliest cycle >= c at which Tick(c) could issue a command, if nothing new arrives; c is not
  // before the next cycle to run (the answer is kept for Tick). Inline: the front end asks after
  // every cycle it visits.
  uint64_t NextActivity(uint64_t c) const {
    if (dirty_) {
      // Until the state changes again, Tick may skip the cycles before it.
      ready_at_ = Scan(c);
      dirty_ = false;
    }
    return std::max(c, ready_at_);
  }
  bool Empty() const { return order_[0].empty() && order_[1].empty(); }
  // The scan behind Tick and NextActivity: the earliest cycle >= c any command may issue.
  uint64_t Scan(uint64_t c) const;
  // Completions found since the last call (a completion's cycle may lie ahead of the last Tick).
  std::vector<DramCompletion>& completions() { return done_; }
  // Accounts background up to `c` (call once at the end of a run).
  void Finish(uint64_t c);
  const DramCounts& counts() const { return counts_; }

 private:
  // A queued request: what scheduling needs of it (the rest of its address is its bank's).
  struct Entry {
    uint64_t id;
    uint64_t line;  // DramDecoder::Line(addr), for forwarding
    uint64_t row;
    uint64_t arrive;
    int layer;
    uint32_t bank;  // BankIndex(a)
    bool write;
    bool classified;
  };
  struct Bank {
    bool open = false;
    uint64_t row = 0;
    uint64_t act_ok = 0, pre_ok = 0, rd_ok = 0, wr_ok = 0;
  };
  struct Group {
    uint64_t act_ok = 0, rd_ok = 0, wr_ok = 0;
  };
  // A bank's requests in one queue: how many, and how many hit its open row.
  struct Queued {
    uint32_t n = 0, hits = 0;
  };
  // When a bank's hits and its other requests in the served queue could issue their next command
  // (kNever if it has none), as of the last scan: valid while the state is unchanged (!dirty_).
  struct Times {
    uint64_t hit_at, other_at;
  };
  struct Rank {
    uint64_t act_ok = 0, rd_ok = 0, wr_ok = 0;
    uint64_t faw[4] = {0, 0, 0, 0};  // last four ACTs, oldest at faw_head
    int faw_head = 0, acts = 0;
    uint64_t next_refresh = 0, busy_until = 0, accounted = 0;
    // Banks open, and the latest cycle a bank closed or will close: a bank's closes only grow (it
    // must open in between), so while none is open this is the latest of their closing cycles.
    int open = 0;
    uint64_t last_close = 0;
    // Background is accounted when the rank's state or layer changes: up to `owed`, a column command
    // that changed neither skipped it (the spans add up to the same figures).
    uint64_t owed = 0;
    int last_layer = -1;
  };
  size_t BankIndex(const DramAddress& a) const {
    return (static_cast<size_t>(a.rank) * spec_.bank_groups + a.bank_group) * spec_.banks_per_group + a.bank;
  }
  DramCmd NextCmd(const Entry& e) const;
  // What bounds a command of every bank of one bank group alike (the group's, its rank's and the
  // command bus's terms): a column command of queue w's kind, an ACT and a PRE (only the bus).
  struct Shared {
    uint64_t column, act, pre;
  };
  Shared GroupTerms(size_t group, int w) const;
  void FillShared(int w) const;  // shared_ for every group
  // Bank `i`'s Times for queue `w` (0 reads, 1 writes), from the state and its group's terms.
  Times BankTimes(size_t i, int w, const Shared& s) const;
  // Fills times_ for the served queue's banks with requests.
  void FillTimes() const;
  void CountHits(size_t bank);  // recounts queued_ hits after an ACT
  void ClearHits(size_t bank) { queued_[0][bank].hits = queued_[1][bank].hits = 0; }
  bool RefreshDue(int rank, uint64_t c) const { return c >= ranks_[rank].next_refresh; }
  // Whether any rank owes a refresh at c (else no bank's requests wait for one).
  bool AnyRefreshDue(uint64_t c) const { return c >= refresh_due_; }
  // Calls f(i) for every bank i with requests in queue w, in increasing order of i.
  template <class F>
  void ForEachBusyBank(int w, F f) const {
    const uint64_t* words = busy_[w].data();
    const size_t n = busy_[w].size();
    for (size_t k = 0; k < n; ++k)
      for (uint64_t m = words[k]; m != 0; m &= m - 1) f(k * 64 + static_cast<size_t>(__builtin_ctzll(m)));
  }
  void MarkBusy(int w, size_t bank, bool busy) {
    const uint64_t bit = uint64_t{1} << (bank % 64);
    busy_[w][bank / 64] = busy ? busy_[w][bank / 64] | bit : busy_[w][bank / 64] & ~bit;
  }
  // The refresh command rank `k` needs next (PREA if a bank is open, else REF) and its earliest
  // cycle; false if no refresh is due at c.
  bool RefreshCandidate(int k, uint64_t c, DramCmd* cmd, uint64_t* at) const;
  void UpdateMode();
  bool TickRefresh(uint64_t c);  // issued a refresh command
  void TickBusy(uint64_t c);     // Tick when a command may issue
  // FR-FCFS: the position in order_[w] of the entry whose command issues at c, or -1; `earliest`:
  // the earliest cycle any of the entries it looked at may issue (all of them when it returns -1).
  // Reads the served queue's banks' times_, not its entries: the scan costs the banks with requests.
  int Pick(int w, uint64_t c, uint64_t* earliest);
  // The walk behind Pick: the oldest entry of queue w whose bank's flags(bank) (bit 0 a hit may
  // issue, bit 1 another) allow its command, hits first; `any`: the union of the flags.
  template <class Flags>
  int Walk(int w, uint8_t any, Flags flags) const;
  // Pick at ready_at_, the cycle the last scan found, from its banks' times as they stand (no pass
  // over the banks), or -1 if the state changed since or a refresh is owed (then Pick decides).
  int PickScanned(int w, uint64_t c) const;
  uint64_t RefreshNext(uint64_t c) const;  // the earliest cycle >= c a refresh command may issue
  void Classify(Entry& e, DramCmd cmd);    // row hit, miss or conflict (once: !e.classified)
  void Issue(DramCmd cmd, size_t bank, uint64_t row, uint64_t c, int layer, bool auto_pre);
  void Close(size_t bank, uint64_t at);  // a precharge of an open bank (explicit, automatic or PREA)
  void IssueRefresh(int k, DramCmd cmd, uint64_t c);
  void Account(int k, uint64_t c);
  // One command (what: a DramCmd) or row outcome (DramCounts::kRowOutcome + kind) of `layer`.
  void Tally(int layer, int what) {
    const auto i = static_cast<size_t>(layer + 1);
    if (i >= counts_.by_layer.size()) counts_.by_layer.resize(i + 1, {});
    ++counts_.by_layer[i][static_cast<size_t>(what)];
  }
  bool OtherHit(const Entry& e) const;
  size_t Queue(int w) const { return order_[w].size(); }

  const core::DramSpec& spec_;
  const core::DramTiming& t_;
  const DramDecoder& decoder_;
  const DramEvents* events_;
  // The read (0) and write (1) queues: entries in fixed slots, and the slots in arrival order (so
  // that taking a request from the middle moves a few indices, not entries).
  std::vector<Entry> slots_[2];
  std::vector<uint32_t> order_[2], free_[2];
  bool write_mode_ = false;
  std::vector<Bank> banks_;
  std::vector<int> rank_of_;       // per bank
  std::vector<size_t> group_of_;   // per bank: its index in groups_
  std::vector<Queued> queued_[2];  // per bank, in the read and write queues
  // Per queue, a bit per bank: it has requests there (queued_[w][bank].n != 0). The scans visit
  // only those banks.
  std::vector<uint64_t> busy_[2];
  mutable std::vector<Times> times_;  // per bank
  std::vector<uint8_t> ready_;        // Pick's scratch: per bank, bit 0 a hit may issue, bit 1 another
  std::vector<Group> groups_;
  std::vector<Rank> ranks_;
  uint64_t refresh_due_ = 0;  // the earliest of the ranks' next_refresh
  uint64_t data_end_ = 0;
  uint64_t cmd_ok_ = 0;  // the command bus is free from here
  int data_rank_ = -1;
  size_t write_high_, write_low_;
  // No command can issue before ready_at_ unless the state changed since it was found (dirty_):
  // cycles in between cost nothing.
  mutable uint64_t ready_at_ = 0;
  mutable bool dirty_ = true;
  // Whether a hit may issue at ready_at_ (false only if none can: PickScanned then takes the first
  // other request it finds), as of the last scan and the requests accepted since.
  mutable bool hit_ready_ = true;
  // Per bank group, for the served queue, as of the last scan or FillTimes: valid while !dirty_.
  mutable std::vector<Shared> shared_;
  std::vector<DramCompletion> done_;
  DramCounts counts_;
};

// All channels of one DRAM behind the address mapping.
class DramSystem {
 public:
  explicit DramSystem(const core::DramSpec& spec, DramEvents events = {});
  DramSystem(const DramSystem&) = delete;  // the channels keep references into it
  DramSystem& operator=(const DramSystem&) = delete;
  const core::DramSpec& spec() const { return spec_; }
  DramAddress Decode(uint64_t addr) const { return decoder_.Decode(addr); }
  // Offers `r` (at address `a`, Decode(r.addr)) in cycle `cycle`: false if its channel's queue is full.
  bool Offer(const DramRequest& r, const DramAddress& a, uint64_t cycle);
  bool Offer(const DramRequest& r, uint64_t cycle) { return Offer(r, Decode(r.addr), cycle); }
  bool WouldAccept(const DramRequest& r, const DramAddress& a) const {
    return !channels_[a.channel].Full(r.write);
  }
  // (Tick, NextActivity and TakeCompletions are inline: the front end calls them at every cycle it
  // visits.)
  void Tick(uint64_t c) {
    for (DramChannel& ch : channels_) ch.Tick(c);
  }
  uint64_t NextActivity(uint64_t c) const {
    uint64_t next = UINT64_MAX;
    for (const DramChannel& ch : channels_) next = std::min(next, ch.NextActivity(c));
    return next;
  }
  bool Empty() const;
  // Moves every channel's completions into `out`.
  void TakeCompletions(std::vector<DramCompletion>& out) {
    for (DramChannel& ch : channels_) {
      if (ch.completions().empty()) continue;
      out.insert(out.end(), ch.completions().begin(), ch.completions().end());
      ch.completions().clear();
    }
  }
  // Calls f(d) for every channel's completions, then forgets them (TakeCompletions without a copy).
  template <class F>
  void DrainCompletions(F f) {
    for (DramChannel& ch : channels_) {
      std::vector<DramCompletion>& done = ch.completions();
      if (done.empty()) continue;
      for (const DramCompletion& d : done) f(d);
      done.clear();
    }
  }
  void Finish(uint64_t c);
  DramCounts Counts() const;

 private:
  core::DramSpec spec_;
  DramDecoder decoder_;
  DramEvents events_;
  std::vector<DramChannel> channels_;
};

}  // namespace npusim::models::timing

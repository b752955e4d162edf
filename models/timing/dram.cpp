#include "models/timing/dram.h"

#include <algorithm>
#include <cmath>

namespace npusim::models::timing {
namespace {

constexpr uint64_t kNever = UINT64_MAX;

int Log2(int64_t v) {
  int b = 0;
  while ((int64_t{1} << b) < v) ++b;
  return b;
}

uint64_t Sub(uint64_t a, int64_t b) { return b >= 0 ? a - std::min<uint64_t>(a, b) : a + (-b); }

}  // namespace

DramDecoder::DramDecoder(const core::DramSpec& s)
    : offset_bits_(Log2(s.access_bytes())),
      bank_bits_(Log2(s.banks_per_group)),
      group_bits_(Log2(s.bank_groups)),
      channel_bits_(Log2(s.channels)),
      xor_(s.xor_hash) {
  int shift = 0;
  for (auto it = s.mapping.rbegin(); it != s.mapping.rend(); ++it) {
    int bits = 0;
    switch (*it) {
      case core::AddrField::kRow: bits = Log2(s.rows); break;
      case core::AddrField::kBank: bits = bank_bits_; break;
      case core::AddrField::kBankGroup: bits = group_bits_; break;
      case core::AddrField::kRank: bits = Log2(s.ranks); break;
      case core::AddrField::kColumn: bits = Log2(s.columns); break;
      case core::AddrField::kChannel: bits = channel_bits_; break;
    }
    const auto f = static_cast<size_t>(*it);
    shift_[f] = static_cast<uint64_t>(shift);
    mask_[f] = (uint64_t{1} << bits) - 1;
    shift += bits;
  }
}

DramAddress DramDecoder::Decode(uint64_t addr) const {
  const uint64_t v = addr >> offset_bits_;
  auto field = [&](core::AddrField f) {
    const auto i = static_cast<size_t>(f);
    return (v >> shift_[i]) & mask_[i];
  };
  DramAddress a;
  a.row = field(core::AddrField::kRow);
  a.bank = static_cast<int>(field(core::AddrField::kBank));
  a.bank_group = static_cast<int>(field(core::AddrField::kBankGroup));
  a.rank = static_cast<int>(field(core::AddrField::kRank));
  a.column = field(core::AddrField::kColumn);
  a.channel = static_cast<int>(field(core::AddrField::kChannel));
  if (xor_) {
    // Rows that differ in their low bits land on different banks (and groups, channels) for the
    // same column: strided streams spread instead of conflicting in one bank.
    uint64_t r = a.row;
    a.bank ^= static_cast<int>(r & ((uint64_t{1} << bank_bits_) - 1));
    r >>= bank_bits_;
    a.bank_group ^= static_cast<int>(r & ((uint64_t{1} << group_bits_) - 1));
    r >>= group_bits_;
    a.channel ^= static_cast<int>(r & ((uint64_t{1} << channel_bits_) - 1));
  }
  return a;
}

void LatencyHistogram::Add(uint64_t v) {
  const uint64_t b = std::min(v, kMax);
  if (bins_.size() <= b) bins_.resize(b + 1, 0);
  ++bins_[b];
  ++n_;
  sum_ += v;
}

void LatencyHistogram::Merge(const LatencyHistogram& o) {
  if (bins_.size() < o.bins_.size()) bins_.resize(o.bins_.size(), 0);
  for (size_t i = 0; i < o.bins_.size(); ++i) bins_[i] += o.bins_[i];
  n_ += o.n_;
  sum_ += o.sum_;
}

uint64_t LatencyHistogram::Percentile(double p) const {
  if (n_ == 0) return 0;
  const uint64_t need = static_cast<uint64_t>(std::ceil(p * static_cast<double>(n_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < bins_.size(); ++i) {
    seen += bins_[i];
    if (seen >= std::max<uint64_t>(need, 1)) return i;
  }
  return bins_.size() - 1;
}

void DramCounts::Merge(const DramCounts& o) {
  act += o.act;
  pre += o.pre;
  rd += o.rd;
  wr += o.wr;
  ref += o.ref;
  row_hits += o.row_hits;
  row_misses += o.row_misses;
  row_conflicts += o.row_conflicts;
  forwarded += o.forwarded;
  active_cycles += o.active_cycles;
  precharged_cycles += o.precharged_cycles;
  read_latency.Merge(o.read_latency);
  if (by_layer.size() < o.by_layer.size()) by_layer.resize(o.by_layer.size(), {});
  for (size_t i = 0; i < o.by_layer.size(); ++i)
    for (size_t k = 0; k < o.by_layer[i].size(); ++k) by_layer[i][k] += o.by_layer[i][k];
}

DramChannel::DramChannel(const core::DramSpec& spec, const DramDecoder& decoder, const DramEvents* events)
    : spec_(spec),
      t_(spec.t),
      decoder_(decoder),
      events_(events),
      banks_(static_cast<size_t>(spec.ranks) * spec.banks()),
      groups_(static_cast<size_t>(spec.ranks) * spec.bank_groups),
      ranks_(spec.ranks),
      write_high_(static_cast<size_t>(spec.write_high * spec.write_queue)),
      write_low_(static_cast<size_t>(std::ceil(spec.write_low * spec.write_queue))) {
  ready_.assign(banks_.size(), 0);
  shared_.resize(groups_.size());
  times_.assign(banks_.size(), {kNever, kNever});
  for (Rank& r : ranks_) r.next_refresh = t_.REFI;
  refresh_due_ = t_.REFI;
  for (size_t i = 0; i < banks_.size(); ++i) {
    rank_of_.push_back(static_cast<int>(i / spec.banks()));
    group_of_.push_back(i / spec.banks_per_group);
  }
  for (auto& q : queued_) q.resize(banks_.size());
  for (auto& b : busy_) b.assign((banks_.size() + 63) / 64, 0);
  for (int w = 0; w < 2; ++w) {
    const auto capacity = static_cast<uint32_t>(w ? spec.write_queue : spec.read_queue);
    slots_[w].resize(capacity);
    order_[w].reserve(capacity);
    for (uint32_t i = capacity; i-- > 0;) free_[w].push_back(i);
  }
}

// Inlined: Accept and TickBusy call it for every request.
[[gnu::always_inline]] inline DramCmd DramChannel::NextCmd(const Entry& e) const {
  const Bank& b = banks_[e.bank];
  if (!b.open) return DramCmd::kAct;
  if (b.row != e.row) return DramCmd::kPre;
  return e.write ? DramCmd::kWr : DramCmd::kRd;
}

// Inlined: Accept and TickBusy call it for every request.
[[gnu::always_inline]] inline void DramChannel::UpdateMode() {
  const size_t reads = Queue(0), writes = Queue(1);
  if (!write_mode_) {
    if (writes > write_high_ || (reads == 0 && writes != 0)) write_mode_ = true;
  } else if (writes == 0 || (writes < write_low_ && reads != 0)) {
    write_mode_ = false;
  }
}

void DramChannel::Accept(const DramRequest& r, const DramAddress& a, uint64_t cycle) {
  Rank& k = ranks_[a.rank];
  if (k.last_layer != r.layer) {
    Account(a.rank, k.owed);  // the cycles before the skipped accounting belong to the old layer
    k.last_layer = r.layer;
  }
  const uint64_t line = decoder_.Line(r.addr);
  const auto bank = static_cast<uint32_t>(BankIndex(a));
  if (!r.write && queued_[1][bank].n) {  // a write of the same line is in the same bank
    for (uint32_t i : order_[1]) {
      if (slots_[1][i].line == line) {
        ++counts_.forwarded;
        counts_.read_latency.Add(1);
        done_.push_back({r.id, cycle + 1, false});
        return;
      }
    }
  }
  const int w = r.write ? 1 : 0;
  const uint32_t slot = free_[w].back();
  free_[w].pop_back();
  Entry& e = slots_[w][slot];
  e = {r.id, line, a.row, cycle, r.layer, bank, r.write, false};
  order_[w].push_back(slot);
  Queued& qd = queued_[w][bank];
  if (++qd.n == 1) MarkBusy(w, bank, true);
  if (banks_[bank].open && banks_[bank].row == a.row) ++qd.hits;
  const bool mode = write_mode_;
  UpdateMode();
  if (dirty_ || mode != write_mode_) {
    dirty_ = true;
  } else if (r.write == write_mode_) {
    // One more candidate: the rest of the queue's earliest cycle and its banks' times stand.
    // (The group's terms are those of the last scan: nothing changed since.)
    const Times t = times_[bank] = BankTimes(bank, w, shared_[group_of_[bank]]);
    if (!RefreshDue(a.rank, cycle)) {
      const bool hit = banks_[bank].open && banks_[bank].row == a.row;
      ready_at_ = std::min(ready_at_, std::max(cycle, hit ? t.hit_at : t.other_at));
      hit_ready_ = hit_ready_ || t.hit_at <= ready_at_;
    }
  }
}

// The earliest cycle of a command to a bank is the latest of its bank's term and these (the timing
// rules of the header comment).
[[gnu::always_inline]] inline DramChannel::Shared DramChannel::GroupTerms(size_t group, int w) const {
  const Group& g = groups_[group];
  const int rank = static_cast<int>(group / static_cast<size_t>(spec_.bank_groups));
  const Rank& k = ranks_[rank];
  Shared s{};
  s.pre = cmd_ok_;
  s.column = std::max({w ? g.wr_ok : g.rd_ok, w ? k.wr_ok : k.rd_ok, cmd_ok_});
  if (data_rank_ >= 0 && data_rank_ != rank)
    s.column = std::max(s.column, Sub(data_end_ + t_.RTRS, w ? t_.CWL : t_.CL));
  s.act = std::max({g.act_ok, k.act_ok, cmd_ok_});
  if (k.acts >= 4) s.act = std::max(s.act, k.faw[k.faw_head] + t_.FAW);
  return s;
}

[[gnu::always_inline]] inline void DramChannel::FillShared(int w) const {
  for (size_t i = 0; i < shared_.size(); ++i) shared_[i] = GroupTerms(i, w);
}

bool DramChannel::RefreshCandidate(int k, uint64_t c, DramCmd* cmd, uint64_t* at) const {
  if (!RefreshDue(k, c)) return false;
  const size_t first = static_cast<size_t>(k) * spec_.banks(), last = first + spec_.banks();
  uint64_t all_closed = ranks_[k].busy_until, all_may_close = 0;
  bool open = false;
  for (size_t i = first; i < last; ++i) {
    if (banks_[i].open) {
      open = true;
      all_may_close = std::max(all_may_close, banks_[i].pre_ok);
    }
    all_closed = std::max(all_closed, banks_[i].act_ok);
  }
  // Open banks: one PREA closes them all, once each of them may precharge.
  *cmd = open ? DramCmd::kPre : DramCmd::kRef;
  *at = std::max(open ? all_may_close : all_closed, cmd_ok_);
  return true;
}

bool DramChannel::OtherHit(const Entry& e) const {
  // e hits its bank's open row, so it is one of the hits counted.
  return queued_[0][e.bank].hits + queued_[1][e.bank].hits > 1;
}

void DramChannel::CountHits(size_t bank) {
  const uint64_t row = banks_[bank].row;
  for (int w = 0; w < 2; ++w) {
    // Up to the bank's last request in the queue.
    uint32_t hits = 0, left = queued_[w][bank].n;
    for (auto it = order_[w].begin(); left != 0; ++it) {
      const Entry& e = slots_[w][*it];
      if (e.bank != bank) continue;
      --left;
      hits += e.row == row;
    }
    queued_[w][bank].hits = hits;
  }
}

// Inlined: the scans call it for every bank with requests after every command.
[[gnu::always_inline]] inline DramChannel::Times DramChannel::BankTimes(size_t i, int w,
                                                                        const Shared& s) const {
  const Queued& qd = queued_[w][i];
  const Bank& b = banks_[i];
  Times t{kNever, kNever};
  if (qd.hits) t.hit_at = std::max(w ? b.wr_ok : b.rd_ok, s.column);
  if (qd.n > qd.hits) t.other_at = b.open ? std::max(b.pre_ok, s.pre) : std::max(b.act_ok, s.act);
  return t;
}

void DramChannel::FillTimes() const {
  const int w = write_mode_ ? 1 : 0;
  FillShared(w);
  ForEachBusyBank(w, [&](size_t i) { times_[i] = BankTimes(i, w, shared_[group_of_[i]]); });
}

bool DramChannel::TickRefresh(uint64_t c) {
  for (int k = 0; k < spec_.ranks; ++k) {
    if (!RefreshDue(k, c)) continue;  // RefreshCandidate's answer, without the call
    DramCmd cmd;
    uint64_t at;
    if (RefreshCandidate(k, c, &cmd, &at) && at <= c) {
      IssueRefresh(k, cmd, c);
      dirty_ = true;
      return true;
    }
  }
  return false;
}

template <class Flags>
int DramChannel::Walk(int w, uint8_t any, Flags flags) const {
  // The oldest ready hit; else the oldest ready ACT or PRE (the first one if no hit is ready).
  int pick = -1;
  const std::vector<uint32_t>& q = order_[w];
  for (size_t i = 0; i < q.size(); ++i) {
    const Entry& e = slots_[w][q[i]];
    const uint8_t ready = flags(e.bank);
    if (!ready) continue;
    const bool hit = banks_[e.bank].open && banks_[e.bank].row == e.row;
    if (hit && (ready & 1)) {
      pick = static_cast<int>(i);
      break;
    }
    if (!hit && (ready & 2) && pick < 0) {
      pick = static_cast<int>(i);
      if (!(any & 1)) break;
    }
  }
  return pick;
}

int DramChannel::PickScanned(int w, uint64_t c) const {
  if (dirty_ || c != ready_at_ || AnyRefreshDue(c)) return -1;
  // The entries' banks' flags as Pick finds them, for the entries the walk looks at only.
  const Times* times = times_.data();
  return Walk(w, hit_ready_ ? 3 : 2, [times, c](uint32_t bank) {
    return static_cast<uint8_t>((times[bank].hit_at <= c ? 1 : 0) | (times[bank].other_at <= c ? 2 : 0));
  });
}

int DramChannel::Pick(int w, uint64_t c, uint64_t* earliest) {
  uint64_t first = kNever;
  uint8_t any = 0;
  // Plain pointers: the byte stores to ready_ would otherwise make the compiler reload every
  // vector's data at each bank.
  const Times* times = times_.data();
  uint8_t* ready = ready_.data();
  const bool due = AnyRefreshDue(c);
  ForEachBusyBank(w, [&](size_t i) {
    // A bank whose rank owes a refresh waits for it. (Every bank with requests gets its flags: the
    // entries below read no others.)
    uint8_t flags = 0;
    if (!due || !RefreshDue(rank_of_[i], c)) {
      const Times& t = times[i];
      first = std::min({first, t.hit_at, t.other_at});
      flags = static_cast<uint8_t>((t.hit_at <= c ? 1 : 0) | (t.other_at <= c ? 2 : 0));
    }
    ready[i] = flags;
    any |= flags;
  });
  *earliest = first;
  if (!any) return -1;
  return Walk(w, any, [ready](uint32_t bank) { return ready[bank]; });
}

void DramChannel::Classify(Entry& e, DramCmd cmd) {
  e.classified = true;
  const int kind = cmd == DramCmd::kAct ? 1 : cmd == DramCmd::kPre ? 2 : 0;
  (kind == 0 ? counts_.row_hits : kind == 1 ? counts_.row_misses : counts_.row_conflicts)++;
  Tally(e.layer, DramCounts::kRowOutcome + kind);
  if (events_ && events_->row) events_->row(e.layer, kind);
}

void DramChannel::TickBusy(uint64_t c) {
  // 1. Refresh owed by a rank comes first.
  if (AnyRefreshDue(c) && TickRefresh(c)) return;
  // 2-3. FR-FCFS in the served queue: at the cycle the last scan found, from its banks' times as
  // they stand; else by Pick (the times are the last scan's unless the state changed since).
  const int w = write_mode_ ? 1 : 0;
  int pick = PickScanned(w, c);
  if (pick < 0) {
    if (dirty_) FillTimes();
    uint64_t earliest = kNever;
    pick = Pick(w, c, &earliest);
    if (pick < 0) {
      // Nothing may issue now: the queue's earliest (Pick saw every entry) or a refresh. Entries
      // of a rank whose refresh falls due meanwhile only make this earlier, never later.
      ready_at_ = std::max(c + 1, std::min(earliest, RefreshNext(c + 1)));
      dirty_ = false;
      hit_ready_ = true;  // (not known: the walk then looks for a hit to the end)
      return;
    }
  }
  dirty_ = true;
  const uint32_t slot = order_[w][pick];
  Entry& e = slots_[w][slot];
  const DramCmd cmd = NextCmd(e);
  if (!e.classified) Classify(e, cmd);
  const bool column = cmd == DramCmd::kRd || cmd == DramCmd::kWr;
  const bool auto_pre = column && spec_.page == core::PagePolicy::kClosed && !OtherHit(e);
  if (column) {
    // e leaves the queue with this command (before it, an automatic precharge clears the hits).
    Queued& qd = queued_[w][e.bank];
    if (--qd.n == 0) MarkBusy(w, e.bank, false);
    --qd.hits;
  }
  Issue(cmd, e.bank, e.row, c, e.layer, auto_pre);
  if (column) {
    const uint64_t done = c + (e.write ? t_.CWL : t_.CL) + t_.BL;
    done_.push_back({e.id, done, e.write});
    if (!e.write) counts_.read_latency.Add(done - e.arrive);
    order_[w].erase(order_[w].begin() + pick);
    free_[w].push_back(slot);
    UpdateMode();
  }
}

void DramChannel::Account(int k, uint64_t c) {
  Rank& r = ranks_[k];
  if (c <= r.accounted) return;
  const uint64_t active_until = r.open ? kNever : std::max(r.busy_until, r.last_close);
  const uint64_t active = active_until > r.accounted ? std::min(c, active_until) - r.accounted : 0;
  const uint64_t precharged = c - r.accounted - active;
  counts_.active_cycles += active;
  counts_.precharged_cycles += precharged;
  if (events_ && events_->background) events_->background(r.last_layer, active, precharged);
  r.accounted = c;
}

void DramChannel::Close(size_t bank, uint64_t at) {
  Bank& b = banks_[bank];
  Rank& k = ranks_[rank_of_[bank]];
  b.open = false;
  --k.open;
  k.last_close = std::max(k.last_close, at);
  b.act_ok = std::max(b.act_ok, at + t_.RP);
  ClearHits(bank);
}

void DramChannel::Issue(DramCmd cmd, size_t bank, uint64_t row, uint64_t c, int layer, bool auto_pre) {
  const int rank = rank_of_[bank];
  Bank& b = banks_[bank];
  Group& g = groups_[group_of_[bank]];
  Rank& k = ranks_[rank];
  // A column command without precharge changes no bank's open state: what is active stays so.
  if (cmd == DramCmd::kAct || cmd == DramCmd::kPre || auto_pre) {
    Account(rank, c);
  } else {
    k.owed = std::max(k.owed, c);
  }
  const core::DramTiming& t = t_;
  auto raise = [](uint64_t& v, uint64_t x) { v = std::max(v, x); };
  auto count = [&](DramCmd x) {
    switch (x) {
      case DramCmd::kAct: ++counts_.act; break;
      case DramCmd::kPre: ++counts_.pre; break;
      case DramCmd::kRd: ++counts_.rd; break;
      case DramCmd::kWr: ++counts_.wr; break;
      case DramCmd::kRef: ++counts_.ref; break;
    }
    Tally(layer, static_cast<int>(x));
    if (events_ && events_->command) events_->command(layer, x);
  };
  count(cmd);
  switch (cmd) {
    case DramCmd::kAct:
      cmd_ok_ = c + t.CMD;
      b.open = true;
      ++k.open;
      b.row = row;
      raise(b.act_ok, c + t.RC);
      raise(b.rd_ok, c + t.RCD);
      raise(b.wr_ok, c + t.RCD);
      raise(b.pre_ok, c + t.RAS);
      raise(g.act_ok, c + t.RRD_L);
      raise(k.act_ok, c + t.RRD_S);
      k.faw[k.faw_head] = c;
      k.faw_head = (k.faw_head + 1) % 4;
      k.acts = std::min(k.acts + 1, 4);
      CountHits(bank);
      return;
    case DramCmd::kPre: Close(bank, c); return;
    case DramCmd::kRd:
    case DramCmd::kWr: {
      const bool wr = cmd == DramCmd::kWr;
      cmd_ok_ = c + t.CMD;
      const int64_t rtw = static_cast<int64_t>(t.CL) + t.BL + 2 - t.CWL;
      if (wr) {
        raise(b.pre_ok, c + t.CWL + t.BL + t.WR);
        raise(g.wr_ok, c + (t.CCD_L_WR > 0 ? t.CCD_L_WR : t.CCD_L));
        raise(k.wr_ok, c + t.CCD_S);
        raise(g.rd_ok, c + t.CWL + t.BL + t.WTR_L);
        raise(k.rd_ok, c + t.CWL + t.BL + t.WTR_S);
        data_end_ = c + t.CWL + t.BL;
      } else {
        raise(b.pre_ok, c + t.RTP);
        raise(g.rd_ok, c + t.CCD_L);
        raise(k.rd_ok, c + t.CCD_S);
        raise(g.wr_ok, c + std::max<int64_t>(rtw, 1));
        raise(k.wr_ok, c + std::max<int64_t>(rtw, 1));
        data_end_ = c + t.CL + t.BL;
      }
      data_rank_ = rank;
      if (auto_pre) {
        Close(bank, b.pre_ok);
        count(DramCmd::kPre);
      }
      return;
    }
    case DramCmd::kRef: return;
  }
}

void DramChannel::IssueRefresh(int k, DramCmd cmd, uint64_t c) {
  Account(k, c);
  Rank& r = ranks_[k];
  const size_t first = static_cast<size_t>(k) * spec_.banks(), last = first + spec_.banks();
  if (cmd == DramCmd::kPre) {  // PREA
    for (size_t i = first; i < last; ++i)
      if (banks_[i].open) Close(i, c);
    ++counts_.pre;
    Tally(r.last_layer, static_cast<int>(DramCmd::kPre));
    if (events_ && events_->command) events_->command(r.last_layer, DramCmd::kPre);
    return;
  }
  for (size_t i = first; i < last; ++i) banks_[i].act_ok = std::max(banks_[i].act_ok, c + t_.RFC);
  r.busy_until = c + t_.RFC;
  r.next_refresh += t_.REFI;
  refresh_due_ = kNever;
  for (const Rank& x : ranks_) refresh_due_ = std::min(refresh_due_, x.next_refresh);
  ++counts_.ref;
  Tally(r.last_layer, static_cast<int>(DramCmd::kRef));
  if (events_ && events_->command) events_->command(r.last_layer, DramCmd::kRef);
}

uint64_t DramChannel::RefreshNext(uint64_t c) const {
  if (!AnyRefreshDue(c)) return refresh_due_;  // the next falls due then
  uint64_t next = kNever;
  for (int k = 0; k < spec_.ranks; ++k) {
    if (!RefreshDue(k, c)) {  // no refresh owed: the next falls due then
      next = std::min(next, ranks_[k].next_refresh);
      continue;
    }
    DramCmd cmd;
    uint64_t at;
    RefreshCandidate(k, c, &cmd, &at);  // owed: its command and cycle
    next = std::min(next, std::max(at, c));
  }
  return next;
}

uint64_t DramChannel::Scan(uint64_t c) const {
  const bool due = AnyRefreshDue(c);
  const uint64_t refresh = due ? RefreshNext(c) : refresh_due_;  // (RefreshNext's answer)
  const int w = write_mode_ ? 1 : 0;
  FillShared(w);
  // The banks' earliest cycle, and their hits' (for PickScanned). (Plain pointers: the stores to
  // times_ would otherwise reload the vectors' data at each bank.)
  const Shared* shared = shared_.data();
  const size_t* group_of = group_of_.data();
  Times* times = times_.data();
  uint64_t first = kNever, first_hit = kNever;
  ForEachBusyBank(w, [&](size_t i) {
    const Times t = times[i] = BankTimes(i, w, shared[group_of[i]]);  // as FillTimes
    // A bank whose rank owes a refresh waits for it, counted above.
    if (!due || !RefreshDue(rank_of_[i], c)) {
      first_hit = std::min(first_hit, t.hit_at);
      first = std::min({first, t.hit_at, t.other_at});
    }
  });
  const uint64_t next = std::min(refresh, std::max(first, c));
  hit_ready_ = first_hit <= next;
  return next;
}

void DramChannel::Finish(uint64_t c) {
  for (int k = 0; k < spec_.ranks; ++k) Account(k, c);
}

DramSystem::DramSystem(const core::DramSpec& spec, DramEvents events)
    : spec_(spec), decoder_(spec_), events_(std::move(events)) {
  channels_.reserve(spec_.channels);
  for (int i = 0; i < spec_.channels; ++i) channels_.emplace_back(spec_, decoder_, &events_);
}

bool DramSystem::Offer(const DramRequest& r, const DramAddress& a, uint64_t cycle) {
  DramChannel& ch = channels_[a.channel];
  if (ch.Full(r.write)) return false;
  ch.Accept(r, a, cycle);
  return true;
}

bool DramSystem::Empty() const {
  return std::all_of(channels_.begin(), channels_.end(), [](const DramChannel& ch) { return ch.Empty(); });
}

void DramSystem::Finish(uint64_t c) {
  for (DramChannel& ch : channels_) ch.Finish(c);
}

DramCounts DramSystem::Counts() const {
  DramCounts all;
  for (const DramChannel& ch : channels_) all.Merge(ch.counts());
  return all;
}

}  // namespace npusim::models::timing

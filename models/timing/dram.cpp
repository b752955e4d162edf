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
    fields_.push_back({*it, bits});
  }
}

DramAddress DramDecoder::Decode(uint64_t addr) const {
  DramAddress a;
  uint64_t v = addr >> offset_bits_;
  for (const Field& f : fields_) {
    const uint64_t x = v & ((uint64_t{1} << f.bits) - 1);
    v >>= f.bits;
    switch (f.f) {
      case core::AddrField::kRow: a.row = x; break;
      case core::AddrField::kBank: a.bank = static_cast<int>(x); break;
      case core::AddrField::kBankGroup: a.bank_group = static_cast<int>(x); break;
      case core::AddrField::kRank: a.rank = static_cast<int>(x); break;
      case core::AddrField::kColumn: a.column = x; break;
      case core::AddrField::kChannel: a.channel = static_cast<int>(x); break;
    }
  }
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
  for (Rank& r : ranks_) r.next_refresh = t_.REFI;
  for (size_t i = 0; i < banks_.size(); ++i) {
    rank_of_.push_back(static_cast<int>(i / spec.banks()));
    group_of_.push_back(i / spec.banks_per_group);
  }
  for (auto& q : queued_) q.resize(banks_.size());
  reads_.reserve(spec.read_queue);
  writes_.reserve(spec.write_queue);
}

bool DramChannel::Full(bool write) const {
  return write ? writes_.size() >= static_cast<size_t>(spec_.write_queue)
               : reads_.size() >= static_cast<size_t>(spec_.read_queue);
}

void DramChannel::Accept(const DramRequest& r, const DramAddress& a, uint64_t cycle) {
  ranks_[a.rank].last_layer = r.layer;
  if (!r.write) {
    const uint64_t line = decoder_.Line(r.addr);
    for (const Entry& w : writes_) {
      if (decoder_.Line(w.r.addr) == line) {
        ++counts_.forwarded;
        counts_.read_latency.Add(1);
        done_.push_back({r.id, cycle + 1, false});
        return;
      }
    }
  }
  const auto bank = static_cast<uint32_t>(BankIndex(a));
  (r.write ? writes_ : reads_).push_back({r, a, cycle, bank, false});
  Queued& qd = queued_[r.write ? 1 : 0][bank];
  ++qd.n;
  if (banks_[bank].open && banks_[bank].row == a.row) ++qd.hits;
  const bool mode = write_mode_;
  UpdateMode();
  if (dirty_ || mode != write_mode_) {
    dirty_ = true;
  } else if (r.write == write_mode_ && !RefreshDue(a.rank, cycle)) {
    // One more candidate: the rest of the queue's earliest cycle stands.
    const Entry& e = (r.write ? writes_ : reads_).back();
    ready_at_ = std::min(ready_at_, std::max(cycle, Earliest(NextCmd(e), bank)));
  }
}

void DramChannel::UpdateMode() {
  if (!write_mode_) {
    if (writes_.size() > write_high_ || (reads_.empty() && !writes_.empty())) write_mode_ = true;
  } else if (writes_.empty() || (writes_.size() < write_low_ && !reads_.empty())) {
    write_mode_ = false;
  }
}

DramCmd DramChannel::NextCmd(const Entry& e) const {
  const Bank& b = banks_[e.bank];
  if (!b.open) return DramCmd::kAct;
  if (b.row != e.a.row) return DramCmd::kPre;
  return e.r.write ? DramCmd::kWr : DramCmd::kRd;
}

uint64_t DramChannel::Earliest(DramCmd cmd, size_t bank) const {
  const Bank& b = banks_[bank];
  const Group& g = groups_[group_of_[bank]];
  const int rank = rank_of_[bank];
  const Rank& k = ranks_[rank];
  switch (cmd) {
    case DramCmd::kAct: {
      uint64_t e = std::max({b.act_ok, g.act_ok, k.act_ok, cmd_ok_});
      if (k.acts >= 4) e = std::max(e, k.faw[k.faw_head] + t_.FAW);
      return e;
    }
    case DramCmd::kPre: return std::max(b.pre_ok, cmd_ok_);
    case DramCmd::kRd: {
      uint64_t e = std::max({b.rd_ok, g.rd_ok, k.rd_ok, cmd_ok_});
      if (data_rank_ >= 0 && data_rank_ != rank) e = std::max(e, Sub(data_end_ + t_.RTRS, t_.CL));
      return e;
    }
    case DramCmd::kWr: {
      uint64_t e = std::max({b.wr_ok, g.wr_ok, k.wr_ok, cmd_ok_});
      if (data_rank_ >= 0 && data_rank_ != rank) e = std::max(e, Sub(data_end_ + t_.RTRS, t_.CWL));
      return e;
    }
    case DramCmd::kRef: break;
  }
  return kNever;
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
    uint32_t hits = 0;
    for (const Entry& e : w ? writes_ : reads_) hits += e.bank == bank && e.a.row == row;
    queued_[w][bank].hits = hits;
  }
}

bool DramChannel::BankTimes(size_t i, int w, uint64_t c, uint64_t* hit_at, uint64_t* other_at) const {
  const Queued& qd = queued_[w][i];
  if (qd.n == 0 || RefreshDue(rank_of_[i], c)) return false;
  *hit_at = qd.hits ? Earliest(w ? DramCmd::kWr : DramCmd::kRd, i) : kNever;
  *other_at = qd.n > qd.hits ? Earliest(banks_[i].open ? DramCmd::kPre : DramCmd::kAct, i) : kNever;
  return true;
}

bool DramChannel::TickRefresh(uint64_t c) {
  for (int k = 0; k < spec_.ranks; ++k) {
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

int DramChannel::Pick(const std::vector<Entry>& q, uint64_t c, uint64_t* earliest) {
  const int w = &q == &writes_ ? 1 : 0;
  *earliest = kNever;
  uint8_t any = 0;
  for (size_t i = 0; i < banks_.size(); ++i) {
    uint64_t hit_at, other_at;
    if (!BankTimes(i, w, c, &hit_at, &other_at)) continue;
    *earliest = std::min({*earliest, hit_at, other_at});
    ready_[i] = static_cast<uint8_t>((hit_at <= c ? 1 : 0) | (other_at <= c ? 2 : 0));
    any |= ready_[i];
  }
  if (!any) return -1;
  // The oldest ready hit; else the oldest ready ACT or PRE.
  int pick = -1;
  for (size_t i = 0; i < q.size(); ++i) {
    const Entry& e = q[i];
    const bool hit = banks_[e.bank].open && banks_[e.bank].row == e.a.row;
    if (hit && (ready_[e.bank] & 1)) {
      pick = static_cast<int>(i);
      break;
    }
    if (!hit && (ready_[e.bank] & 2) && pick < 0) pick = static_cast<int>(i);
  }
  std::fill(ready_.begin(), ready_.end(), 0);
  return pick;
}

void DramChannel::Classify(Entry& e, DramCmd cmd) {
  if (e.classified) return;
  e.classified = true;
  const int kind = cmd == DramCmd::kAct ? 1 : cmd == DramCmd::kPre ? 2 : 0;
  (kind == 0 ? counts_.row_hits : kind == 1 ? counts_.row_misses : counts_.row_conflicts)++;
  if (events_ && events_->row) events_->row(e.r.layer, kind);
}

void DramChannel::Tick(uint64_t c) {
  if (!dirty_ && c < ready_at_) return;
  // 1. Refresh owed by a rank comes first.
  if (TickRefresh(c)) return;
  // 2-3. FR-FCFS in the served queue.
  std::vector<Entry>& q = write_mode_ ? writes_ : reads_;
  uint64_t earliest = kNever;
  const int pick = Pick(q, c, &earliest);
  if (pick < 0) {
    // Nothing may issue now: the queue's earliest (Pick saw every entry) or a refresh. Entries of
    // a rank whose refresh falls due meanwhile only make this earlier, never later.
    ready_at_ = std::max(c + 1, std::min(earliest, RefreshNext(c + 1)));
    dirty_ = false;
    return;
  }
  dirty_ = true;
  Entry& e = q[pick];
  const DramCmd cmd = NextCmd(e);
  Classify(e, cmd);
  const bool column = cmd == DramCmd::kRd || cmd == DramCmd::kWr;
  const bool auto_pre = column && spec_.page == core::PagePolicy::kClosed && !OtherHit(e);
  if (column) {
    // e leaves the queue with this command (before it, an automatic precharge clears the hits).
    Queued& qd = queued_[e.r.write ? 1 : 0][e.bank];
    --qd.n;
    --qd.hits;
  }
  Issue(cmd, e.a, c, e.r.layer, auto_pre);
  if (column) {
    const uint64_t done = c + (e.r.write ? t_.CWL : t_.CL) + t_.BL;
    done_.push_back({e.r.id, done, e.r.write});
    if (!e.r.write) counts_.read_latency.Add(done - e.arrive);
    q.erase(q.begin() + pick);
    UpdateMode();
  }
}

void DramChannel::Account(int k, uint64_t c) {
  Rank& r = ranks_[k];
  if (c <= r.accounted) return;
  uint64_t active_until = r.busy_until;
  const size_t first = static_cast<size_t>(k) * spec_.banks(), last = first + spec_.banks();
  for (size_t i = first; i < last; ++i) active_until = std::max(active_until, banks_[i].close_at);
  const uint64_t active = active_until > r.accounted ? std::min(c, active_until) - r.accounted : 0;
  const uint64_t precharged = c - r.accounted - active;
  counts_.active_cycles += active;
  counts_.precharged_cycles += precharged;
  if (events_ && events_->background) events_->background(r.last_layer, active, precharged);
  r.accounted = c;
}

void DramChannel::Issue(DramCmd cmd, const DramAddress& a, uint64_t c, int layer, bool auto_pre) {
  Account(a.rank, c);
  const size_t bank = BankIndex(a);
  Bank& b = banks_[bank];
  Group& g = groups_[static_cast<size_t>(a.rank) * spec_.bank_groups + a.bank_group];
  Rank& k = ranks_[a.rank];
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
    if (events_ && events_->command) events_->command(layer, x);
  };
  count(cmd);
  switch (cmd) {
    case DramCmd::kAct:
      cmd_ok_ = c + t.CMD;
      b.open = true;
      b.row = a.row;
      b.close_at = kNever;
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
    case DramCmd::kPre:
      b.open = false;
      b.close_at = c;
      raise(b.act_ok, c + t.RP);
      ClearHits(bank);
      return;
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
      data_rank_ = a.rank;
      if (auto_pre) {
        const uint64_t at = b.pre_ok;
        b.open = false;
        b.close_at = at;
        raise(b.act_ok, at + t.RP);
        ClearHits(bank);
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
    for (size_t i = first; i < last; ++i) {
      Bank& b = banks_[i];
      if (!b.open) continue;
      b.open = false;
      b.close_at = c;
      ClearHits(i);
      b.act_ok = std::max(b.act_ok, c + t_.RP);
    }
    ++counts_.pre;
    if (events_ && events_->command) events_->command(r.last_layer, DramCmd::kPre);
    return;
  }
  for (size_t i = first; i < last; ++i) banks_[i].act_ok = std::max(banks_[i].act_ok, c + t_.RFC);
  r.busy_until = c + t_.RFC;
  r.next_refresh += t_.REFI;
  ++counts_.ref;
  if (events_ && events_->command) events_->command(r.last_layer, DramCmd::kRef);
}

uint64_t DramChannel::NextActivity(uint64_t c) const {
  if (dirty_) {
    // Until the state changes again, Tick may skip the cycles before it.
    ready_at_ = Scan(c);
    dirty_ = false;
  }
  return std::max(c, ready_at_);
}

uint64_t DramChannel::RefreshNext(uint64_t c) const {
  uint64_t next = kNever;
  for (int k = 0; k < spec_.ranks; ++k) {
    DramCmd cmd;
    uint64_t at;
    if (RefreshCandidate(k, c, &cmd, &at)) {
      next = std::min(next, std::max(at, c));
    } else {
      next = std::min(next, ranks_[k].next_refresh);
    }
  }
  return next;
}

uint64_t DramChannel::Scan(uint64_t c) const {
  uint64_t next = RefreshNext(c);
  const int w = write_mode_ ? 1 : 0;
  for (size_t i = 0; i < banks_.size(); ++i) {
    uint64_t hit_at, other_at;
    // A bank whose rank owes a refresh waits for it, counted above.
    if (BankTimes(i, w, c, &hit_at, &other_at))
      next = std::min(next, std::max(c, std::min(hit_at, other_at)));
  }
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

void DramSystem::Tick(uint64_t c) {
  for (DramChannel& ch : channels_) ch.Tick(c);
}

uint64_t DramSystem::NextActivity(uint64_t c) const {
  uint64_t next = kNever;
  for (const DramChannel& ch : channels_) next = std::min(next, ch.NextActivity(c));
  return next;
}

bool DramSystem::Empty() const {
  return std::all_of(channels_.begin(), channels_.end(), [](const DramChannel& ch) { return ch.Empty(); });
}

void DramSystem::TakeCompletions(std::vector<DramCompletion>& out) {
  for (DramChannel& ch : channels_) {
    out.insert(out.end(), ch.completions().begin(), ch.completions().end());
    ch.completions().clear();
  }
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

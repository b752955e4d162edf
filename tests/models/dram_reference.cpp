#include "tests/models/dram_reference.h"

#include <algorithm>

namespace npusim::tests {
namespace {

using models::timing::DramRequest;
using Cmd = models::timing::DramCmd;
constexpr uint64_t kNone = UINT64_MAX;

// Where an address lands, by dividing it down through the mapping's fields from the least
// significant one (the spec lists them most significant first).
struct Where {
  int channel = 0, rank = 0, group = 0, bank = 0;  // bank: within its group
  uint64_t row = 0, line = 0;                      // line: the address in accesses
};

int64_t FieldSize(const core::DramSpec& s, core::AddrField f) {
  switch (f) {
    case core::AddrField::kRow: return s.rows;
    case core::AddrField::kBank: return s.banks_per_group;
    case core::AddrField::kBankGroup: return s.bank_groups;
    case core::AddrField::kRank: return s.ranks;
    case core::AddrField::kColumn: return s.columns;
    case core::AddrField::kChannel: return s.channels;
  }
  return 1;
}

Where Locate(const core::DramSpec& s, uint64_t addr) {
  Where w;
  w.line = addr / static_cast<uint64_t>(s.access_bytes());
  uint64_t rest = w.line;
  for (size_t i = s.mapping.size(); i-- > 0;) {
    const uint64_t n = static_cast<uint64_t>(FieldSize(s, s.mapping[i]));
    const uint64_t v = rest % n;
    rest /= n;
    switch (s.mapping[i]) {
      case core::AddrField::kRow: w.row = v; break;
      case core::AddrField::kBank: w.bank = static_cast<int>(v); break;
      case core::AddrField::kBankGroup: w.group = static_cast<int>(v); break;
      case core::AddrField::kRank: w.rank = static_cast<int>(v); break;
      case core::AddrField::kColumn: break;
      case core::AddrField::kChannel: w.channel = static_cast<int>(v); break;
    }
  }
  if (s.xor_hash) {  // the row's lowest bits flip the bank, the next the group, the next the channel
    uint64_t r = w.row;
    w.bank ^= static_cast<int>(r % s.banks_per_group);
    r /= s.banks_per_group;
    w.group ^= static_cast<int>(r % s.bank_groups);
    r /= s.bank_groups;
    w.channel ^= static_cast<int>(r % s.channels);
  }
  return w;
}

// One issued command. An automatic precharge is decided with its column command but takes effect
// (`at`) at the bank's earliest legal precharge time.
struct Command {
  uint64_t at = 0, decided = 0;
  Cmd cmd = Cmd::kAct;
  int rank = 0, group = 0, bank = 0;
};

// Where an earlier command sits relative to a later one.
enum class Scope { kSameBank, kSameGroup, kOtherGroup, kSameRank, kOtherRank, kChannel };

struct Rule {
  Cmd before, after;
  Scope scope;
  int64_t gap;  // the later command's earliest cycle is the earlier one's + gap
};

// The timing rules of the header comment, one line each. Between ranks only the data bus counts:
// RTRS between bursts, turned into a distance between the commands. (REF and the four-activate
// window are checked on their own.)
std::vector<Rule> Rules(const core::DramTiming& t) {
  const int64_t ccd_l_wr = t.CCD_L_WR > 0 ? t.CCD_L_WR : t.CCD_L;
  const int64_t rd_end = t.CL + t.BL, wr_end = t.CWL + t.BL;  // data end after the command
  using C = Cmd;
  using S = Scope;
  std::vector<Rule> rules = {
      {C::kAct, C::kAct, S::kSameBank, t.RC},
      {C::kAct, C::kAct, S::kSameGroup, t.RRD_L},
      {C::kAct, C::kAct, S::kOtherGroup, t.RRD_S},
      {C::kPre, C::kAct, S::kSameBank, t.RP},
      {C::kAct, C::kRd, S::kSameBank, t.RCD},
      {C::kAct, C::kWr, S::kSameBank, t.RCD},
      {C::kAct, C::kPre, S::kSameBank, t.RAS},
      {C::kRd, C::kPre, S::kSameBank, t.RTP},
      {C::kWr, C::kPre, S::kSameBank, wr_end + t.WR},
      {C::kRd, C::kRd, S::kSameGroup, t.CCD_L},
      {C::kRd, C::kRd, S::kOtherGroup, t.CCD_S},
      {C::kWr, C::kWr, S::kSameGroup, ccd_l_wr},
      {C::kWr, C::kWr, S::kOtherGroup, t.CCD_S},
      {C::kRd, C::kWr, S::kSameRank, rd_end + 2 - t.CWL},
      {C::kWr, C::kRd, S::kSameGroup, wr_end + t.WTR_L},
      {C::kWr, C::kRd, S::kOtherGroup, wr_end + t.WTR_S},
      {C::kRd, C::kRd, S::kOtherRank, rd_end + t.RTRS - t.CL},
      {C::kWr, C::kRd, S::kOtherRank, wr_end + t.RTRS - t.CL},
      {C::kRd, C::kWr, S::kOtherRank, rd_end + t.RTRS - t.CWL},
      {C::kWr, C::kWr, S::kOtherRank, wr_end + t.RTRS - t.CWL},
  };
  // The command bus: an ACT, RD or WR holds it for CMD cycles.
  for (C before : {C::kAct, C::kRd, C::kWr})
    for (C after : {C::kAct, C::kPre, C::kRd, C::kWr}) rules.push_back({before, after, S::kChannel, t.CMD});
  return rules;
}

bool InScope(Scope s, const Command& h, int rank, int group, int bank) {
  const bool same_rank = h.rank == rank, same_group = same_rank && h.group == group;
  switch (s) {
    case Scope::kSameBank: return same_group && h.bank == bank;
    case Scope::kSameGroup: return same_group;
    case Scope::kOtherGroup: return same_rank && !same_group;
    case Scope::kSameRank: return same_rank;
    case Scope::kOtherRank: return !same_rank;
    case Scope::kChannel: return true;
  }
  return false;
}

// How far back (in decided cycles) a command can still constrain one issued now: the longest
// rule, after an automatic precharge that lands as late as a PRE rule allows.
uint64_t Horizon(const std::vector<Rule>& rules, const core::DramTiming& t) {
  int64_t longest = t.FAW, close = 0;
  for (const Rule& r : rules) {
    longest = std::max(longest, r.gap);
    if (r.after == Cmd::kPre) close = std::max(close, r.gap);
  }
  return static_cast<uint64_t>(longest + close + 1);
}

class Channel {
 public:
  Channel(const core::DramSpec& s, ReferenceDramResult* out)
      : s_(s),
        t_(s.t),
        out_(out),
        rules_(Rules(s.t)),
        horizon_(Horizon(rules_, s.t)),
        banks_(static_cast<size_t>(s.ranks) * s.banks()),
        next_refresh_(s.ranks, s.t.REFI),
        last_layer_(s.ranks, -1) {}

  bool Full(bool write) const {
    return write ? writes_.size() >= static_cast<size_t>(s_.write_queue)
                 : reads_.size() >= static_cast<size_t>(s_.read_queue);
  }
  bool Idle() const { return reads_.empty() && writes_.empty(); }
  void Accept(size_t index, bool write, int layer, const Where& w, uint64_t c);
  // Adds the background of every rank up to `end` into out_ (after the last Step).
  void Background(uint64_t end) const;
  void Step(uint64_t c) {
    if (!Refresh(c)) Serve(c);
  }

 private:
  struct Pending {
    size_t index;
    bool write;
    Where w;
    bool started;  // a command has issued for it (it has been classified)
  };
  struct Bank {
    bool open = false;
    uint64_t row = 0;
  };
  Bank& BankOf(int rank, int group, int bank) {
    return banks_[(static_cast<size_t>(rank) * s_.bank_groups + group) * s_.banks_per_group + bank];
  }
  Cmd Next(const Pending& p) {
    const Bank& b = BankOf(p.w.rank, p.w.group, p.w.bank);
    if (!b.open) return Cmd::kAct;
    if (b.row != p.w.row) return Cmd::kPre;
    return p.write ? Cmd::kWr : Cmd::kRd;
  }
  bool Allowed(Cmd cmd, int rank, int group, int bank, uint64_t c) const;
  bool RefreshAllowed(int rank, uint64_t c) const;
  bool Refresh(uint64_t c);
  void Serve(uint64_t c);
  void Issue(std::vector<Pending>& q, size_t i, uint64_t c);
  void CloseAfterColumn(const Pending& p, uint64_t c);
  bool AnotherHit(const Pending& p) const;
  void UpdateMode();

  const core::DramSpec& s_;
  const core::DramTiming& t_;
  ReferenceDramResult* out_;
  std::vector<Rule> rules_;
  uint64_t horizon_;
  std::vector<Bank> banks_;
  std::vector<uint64_t> next_refresh_;  // per rank: when its next refresh falls due
  std::vector<Command> history_;        // every command but REF, in the order decided
  std::vector<Command> refreshes_;      // every REF
  std::vector<Pending> reads_, writes_;
  bool write_mode_ = false;
  // Background: per rank the layer of the last request taken, and every command's (cycle, rank,
  // that layer).
  struct Point {
    uint64_t cycle;
    int rank, layer;
  };
  std::vector<int> last_layer_;
  std::vector<Point> points_;
  void Mark(int rank, uint64_t c) { points_.push_back({c, rank, last_layer_[rank]}); }
};

bool Channel::Allowed(Cmd cmd, int rank, int group, int bank, uint64_t c) const {
  int acts_in_window = 0;
  for (auto it = history_.rbegin(); it != history_.rend() && it->decided + horizon_ >= c; ++it) {
    for (const Rule& r : rules_) {
      if (r.before == it->cmd && r.after == cmd && InScope(r.scope, *it, rank, group, bank) &&
          static_cast<int64_t>(c) < static_cast<int64_t>(it->at) + r.gap)
        return false;
    }
    // At most four ACTs of a rank in any FAW window: the fifth waits FAW after the first.
    if (cmd == Cmd::kAct && it->cmd == Cmd::kAct && it->rank == rank && it->at + t_.FAW > c &&
        ++acts_in_window >= 4)
      return false;
  }
  if (cmd == Cmd::kAct) {
    for (const Command& r : refreshes_)
      if (r.rank == rank && c < r.at + t_.RFC) return false;
  }
  return true;
}

// REF needs every bank of the rank closed and able to take an ACT (RC after an ACT, RP after a
// PRE, RFC after the previous REF) and the command bus free.
bool Channel::RefreshAllowed(int rank, uint64_t c) const {
  for (int i = 0; i < s_.banks(); ++i)
    if (banks_[static_cast<size_t>(rank) * s_.banks() + i].open) return false;
  for (auto it = history_.rbegin(); it != history_.rend() && it->decided + horizon_ >= c; ++it) {
    if (it->cmd != Cmd::kPre && c < it->at + t_.CMD) return false;  // the command bus, any rank
    if (it->rank != rank) continue;
    if (it->cmd == Cmd::kAct && c < it->at + t_.RC) return false;
    if (it->cmd == Cmd::kPre && c < it->at + t_.RP) return false;
  }
  for (const Command& r : refreshes_)
    if (r.rank == rank && c < r.at + t_.RFC) return false;
  return true;
}

bool Channel::Refresh(uint64_t c) {
  for (int k = 0; k < s_.ranks; ++k) {
    if (c < next_refresh_[k]) continue;
    // PREA: one command, once every open bank of the rank may take a PRE.
    std::vector<int> open;
    for (int i = 0; i < s_.banks(); ++i)
      if (banks_[static_cast<size_t>(k) * s_.banks() + i].open) open.push_back(i);
    if (!open.empty()) {
      bool allowed = true;
      for (int i : open)
        allowed = allowed && Allowed(Cmd::kPre, k, i / s_.banks_per_group, i % s_.banks_per_group, c);
      if (!allowed) continue;
      Mark(k, c);
      for (int i : open) {
        history_.push_back({c, c, Cmd::kPre, k, i / s_.banks_per_group, i % s_.banks_per_group});
        BankOf(k, i / s_.banks_per_group, i % s_.banks_per_group).open = false;
      }
      ++out_->pre;
      return true;
    }
    if (RefreshAllowed(k, c)) {
      Mark(k, c);
      refreshes_.push_back({c, c, Cmd::kRef, k, 0, 0});
      next_refresh_[k] += t_.REFI;
      ++out_->ref;
      return true;
    }
  }
  return false;
}

void Channel::Serve(uint64_t c) {
  std::vector<Pending>& q = write_mode_ ? writes_ : reads_;
  int hit = -1, other = -1;  // the oldest ready column command; the oldest ready ACT or PRE
  for (size_t i = 0; i < q.size() && hit < 0; ++i) {
    const Pending& p = q[i];
    if (c >= next_refresh_[p.w.rank]) continue;  // its rank owes a refresh
    const Cmd cmd = Next(p);
    const bool column = cmd == Cmd::kRd || cmd == Cmd::kWr;
    if (!column && other >= 0) continue;
    if (!Allowed(cmd, p.w.rank, p.w.group, p.w.bank, c)) continue;
    (column ? hit : other) = static_cast<int>(i);
  }
  const int pick = hit >= 0 ? hit : other;
  if (pick >= 0) Issue(q, static_cast<size_t>(pick), c);
}

void Channel::Issue(std::vector<Pending>& q, size_t i, uint64_t c) {
  Pending& p = q[i];
  const Cmd cmd = Next(p);
  if (!p.started) {
    p.started = true;
    ++(cmd == Cmd::kAct ? out_->row_misses : cmd == Cmd::kPre ? out_->row_conflicts : out_->row_hits);
  }
  history_.push_back({c, c, cmd, p.w.rank, p.w.group, p.w.bank});
  Mark(p.w.rank, c);
  Bank& b = BankOf(p.w.rank, p.w.group, p.w.bank);
  switch (cmd) {
    case Cmd::kAct:
      b.open = true;
      b.row = p.w.row;
      ++out_->act;
      return;
    case Cmd::kPre:
      b.open = false;
      ++out_->pre;
      return;
    default: break;
  }
  ++(p.write ? out_->wr : out_->rd);
  out_->done[p.index] = c + (p.write ? t_.CWL : t_.CL) + t_.BL;
  if (s_.page == core::PagePolicy::kClosed && !AnotherHit(p)) CloseAfterColumn(p, c);
  q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));
  UpdateMode();
}

// Closed page: the bank closes at the first cycle a PRE would be legal.
void Channel::CloseAfterColumn(const Pending& p, uint64_t c) {
  uint64_t at = c;
  while (!Allowed(Cmd::kPre, p.w.rank, p.w.group, p.w.bank, at)) ++at;
  history_.push_back({at, c, Cmd::kPre, p.w.rank, p.w.group, p.w.bank});
  BankOf(p.w.rank, p.w.group, p.w.bank).open = false;
  ++out_->pre;
}

bool Channel::AnotherHit(const Pending& p) const {
  for (const std::vector<Pending>* q : {&reads_, &writes_}) {
    for (const Pending& o : *q) {
      if (o.index != p.index && o.w.rank == p.w.rank && o.w.group == p.w.group && o.w.bank == p.w.bank &&
          o.w.row == p.w.row)
        return true;
    }
  }
  return false;
}

void Channel::Accept(size_t index, bool write, int layer, const Where& w, uint64_t c) {
  last_layer_[w.rank] = layer;
  if (!write) {
    for (const Pending& o : writes_) {
      if (o.w.line == w.line) {  // answered from the write queue
        out_->done[index] = c + 1;
        ++out_->forwarded;
        return;
      }
    }
  }
  (write ? writes_ : reads_).push_back({index, write, w, false});
  UpdateMode();
}

void Channel::Background(uint64_t end) const {
  for (int k = 0; k < s_.ranks; ++k) {
    // Per cycle: how many banks are open or refreshing (+1 from a start, -1 from an end).
    std::vector<int64_t> delta(end + 1, 0);
    auto span = [&](uint64_t from, uint64_t to) {
      ++delta[std::min(from, end)];
      --delta[std::min(to, end)];
    };
    std::vector<uint64_t> opened(s_.banks(), kNone);
    for (const Command& h : history_) {
      if (h.rank != k || (h.cmd != Cmd::kAct && h.cmd != Cmd::kPre)) continue;
      uint64_t& o = opened[static_cast<size_t>(h.group) * s_.banks_per_group + h.bank];
      if (h.cmd == Cmd::kAct) {
        o = h.at;
      } else {
        span(o, h.at);
        o = kNone;
      }
    }
    for (uint64_t o : opened)
      if (o != kNone) span(o, end);
    for (const Command& r : refreshes_)
      if (r.rank == k) span(r.at, r.at + t_.RFC);
    size_t next = 0;  // the first of this rank's points after the cycle
    int64_t busy = 0;
    for (uint64_t x = 0; x < end; ++x) {
      busy += delta[x];
      while (next < points_.size() && (points_[next].rank != k || points_[next].cycle <= x)) ++next;
      const int layer = next < points_.size() ? points_[next].layer : last_layer_[k];
      auto& by_layer = busy > 0 ? out_->active_by_layer : out_->precharged_by_layer;
      const auto i = static_cast<size_t>(layer + 1);
      if (by_layer.size() <= i) by_layer.resize(i + 1, 0);
      ++by_layer[i];
    }
  }
}

void Channel::UpdateMode() {
  const double n = static_cast<double>(writes_.size()), cap = s_.write_queue;
  if (!write_mode_) {
    write_mode_ = n > s_.write_high * cap || (reads_.empty() && n > 0);
  } else {
    write_mode_ = !(n == 0 || (n < s_.write_low * cap && !reads_.empty()));
  }
}

}  // namespace

ReferenceDramResult RunReferenceDramTrace(const core::DramSpec& spec,
                                          const std::vector<DramRequest>& requests, uint64_t background_end) {
  ReferenceDramResult out;
  out.accepted.assign(requests.size(), 0);
  out.done.assign(requests.size(), 0);
  std::vector<Channel> channels;
  for (int i = 0; i < spec.channels; ++i) channels.emplace_back(spec, &out);
  auto idle = [&] {
    return std::all_of(channels.begin(), channels.end(), [](const Channel& ch) { return ch.Idle(); });
  };
  size_t i = 0;
  for (uint64_t c = 0; i < requests.size() || !idle(); ++c) {
    if (c == kMaxTraceCycles) {
      out.finished = false;
      break;
    }
    if (i < requests.size()) {
      const Where w = Locate(spec, requests[i].addr);
      Channel& ch = channels[w.channel];
      if (!ch.Full(requests[i].write)) {
        ch.Accept(i, requests[i].write, requests[i].layer, w, c);
        out.accepted[i] = c;
        out.last_accepted = c;
        ++i;
      }
    }
    for (Channel& ch : channels) ch.Step(c);
  }
  if (background_end)
    for (const Channel& ch : channels) ch.Background(background_end);
  return out;
}

}  // namespace npusim::tests

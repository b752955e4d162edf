#include "models/dram_frontend.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace npusim::models {
namespace {

constexpr uint64_t kNever = UINT64_MAX;

uint64_t CeilMulDiv(uint64_t x, uint64_t mul, uint64_t div) {
  // In 64 bits when the product fits (every cycle of a run): a 128-bit division is a library call.
  uint64_t q = 0;
  if (!__builtin_mul_overflow(x, mul, &q) && q <= UINT64_MAX - (div - 1)) return (q + div - 1) / div;
  const unsigned __int128 p = static_cast<unsigned __int128>(x) * mul;
  return static_cast<uint64_t>((p + div - 1) / div);
}

}  // namespace

DramFrontEnd::DramFrontEnd(const core::DramSpec& spec, double npu_mhz, timing::DramEvents events, int sources)
    : dram_(spec, std::move(events)),
      f_npu_(static_cast<uint64_t>(std::llround(npu_mhz * 1000))),
      f_dram_(static_cast<uint64_t>(std::llround(spec.clock_mhz * 1000))),
      dma_outstanding_(spec.dma_outstanding),
      sources_(sources) {
  const uint64_t g = std::gcd(f_npu_, f_dram_);
  f_npu_ /= g;
  f_dram_ /= g;
}

uint64_t DramFrontEnd::DramCycleAt(uint64_t npu_cycle) const {
  return npu_cycle == kNever ? kNever : CeilMulDiv(npu_cycle, f_dram_, f_npu_);
}

uint64_t DramFrontEnd::NpuCycleAt(uint64_t dram_cycle) const {
  return CeilMulDiv(dram_cycle, f_npu_, f_dram_);
}

void DramFrontEnd::Submit(int source, DramTicket* ticket, bool write, int layer,
                          const std::vector<uint64_t>& addr, const std::vector<uint64_t>& after) {
  Source& s = sources_[source];
  ticket->to_accept = ticket->to_complete = addr.size();
  ticket->piece_done.assign(write ? 0 : addr.size(), 0);
  for (size_t i = 0; i < addr.size(); ++i) {
    timing::DramRequest r;
    r.addr = addr[i];
    r.write = write;
    r.layer = layer;
    // A request the past already covers arrives in the next cycle processed.
    const uint64_t arrival = std::max(DramCycleAt(ticket->origin + after[i]), cycle_);
    s.waiting.push_back({r, dram_.Decode(r.addr), arrival, ticket, i});
  }
}

bool DramFrontEnd::OfferFrom(Source& s, int source, uint64_t c) {
  bool any = false;
  for (int n = 0; n < dram_.spec().channels && !s.waiting.empty(); ++n) {
    Waiting& w = s.waiting.front();
    if (w.arrival > c || (!w.r.write && s.outstanding >= dma_outstanding_)) break;
    if (!dram_.WouldAccept(w.r, w.a)) break;
    if (!w.r.write) {
      if (free_ids_.empty()) {
        free_ids_.push_back(inflight_.size());
        inflight_.emplace_back();
      }
      w.r.id = free_ids_.back();
      free_ids_.pop_back();
      inflight_[w.r.id] = {w.ticket, w.piece, source};
    }
    dram_.Offer(w.r, w.a, c);
    any = true;
    DramTicket* t = w.ticket;
    if (--t->to_accept == 0) {
      notes_.push_back({NpuCycleAt(c), t, false});
      noted_ = true;
    }
    if (w.r.write) {
      if (--t->to_complete == 0) notes_.push_back({NpuCycleAt(c), t, true});
    } else {
      ++s.outstanding;
    }
    s.waiting.pop_front();
  }
  return any;
}

void DramFrontEnd::PushDue(uint64_t cycle, uint64_t id) {
  if (DueEmpty()) {
    due_.clear();
    due_head_ = 0;
  } else if (due_head_ >= 1024 && due_head_ * 2 >= due_.size()) {
    due_.erase(due_.begin(), due_.begin() + static_cast<std::ptrdiff_t>(due_head_));
    due_head_ = 0;
  }
  const Due d{cycle, id};
  due_.push_back(d);
  for (size_t i = due_.size() - 1; i > due_head_ && d < due_[i - 1]; --i) std::swap(due_[i], due_[i - 1]);
}

void DramFrontEnd::Complete(const timing::DramCompletion& d) {
  const InFlight f = inflight_[d.id];
  free_ids_.push_back(d.id);
  --sources_[f.source].outstanding;
  DramTicket* t = f.ticket;
  const uint64_t at = NpuCycleAt(d.cycle);
  t->piece_done[f.piece] = at - std::min(at, t->origin);
  if (--t->to_complete == 0) {
    notes_.push_back({at, t, true});
    noted_ = true;
  }
}

uint64_t DramFrontEnd::NextCycle(uint64_t c) const {
  uint64_t next = dram_.NextActivity(c + 1);
  if (!DueEmpty()) next = std::min(next, due_[due_head_].first);
  for (const Source& s : sources_) {
    // Else it waits for a completion or a command.
    if (!s.waiting.empty() && s.waiting.front().arrival < next && Offerable(s))
      next = s.waiting.front().arrival;
  }
  return std::max(next, c + 1);
}

uint64_t DramFrontEnd::Advance(uint64_t limit) {
  noted_ = false;
  while (cycle_ < limit && !noted_) {
    const uint64_t c = cycle_;
    while (!DueEmpty() && due_[due_head_].first <= c) {
      const auto [cycle, id] = due_[due_head_++];
      Complete({id, cycle, false});
    }
    const size_t sources = sources_.size();
    for (size_t s = 0; s < sources; ++s) {
      Source& src = sources_[s];
      if (!src.waiting.empty() && src.waiting.front().arrival <= c && Offerable(src))
        OfferFrom(src, static_cast<int>(s), c);
    }
    dram_.Tick(c);
    dram_.DrainCompletions([this](const timing::DramCompletion& d) {
      if (!d.write) PushDue(d.cycle, d.id);
    });
    cycle_ = std::min(NextCycle(c), std::max(limit, c + 1));
    // With no limit, run only while something will be noted (writes left in the controller's queue
    // are served when the controller next runs).
    if (limit == kNever && !Pending()) break;
  }
  return cycle_;
}

uint64_t DramFrontEnd::NextNotification() const {
  uint64_t next = kNever;
  for (const Note& n : notes_) next = std::min(next, n.at);
  return next;
}

std::vector<DramTicket*> DramFrontEnd::Deliver(uint64_t npu_now) {
  std::vector<DramTicket*> woken;
  auto due =
      std::stable_partition(notes_.begin(), notes_.end(), [&](const Note& n) { return n.at > npu_now; });
  for (auto it = due; it != notes_.end(); ++it) {
    if (it->done) {
      it->ticket->is_done = true;
      it->ticket->done_at = it->at;
    } else {
      it->ticket->is_issued = true;
      it->ticket->issued_at = it->at;
    }
    woken.push_back(it->ticket);
  }
  notes_.erase(due, notes_.end());
  return woken;
}

bool DramFrontEnd::Pending() const {
  return inflight_.size() > free_ids_.size() ||  // reads in flight
         std::any_of(sources_.begin(), sources_.end(), [](const Source& s) { return !s.waiting.empty(); });
}

void DramFrontEnd::Finish(uint64_t npu_end) {
  const uint64_t end = DramCycleAt(npu_end);
  // Refreshes fall due while the NPU computes too: run the idle controller to the end.
  while (cycle_ < end) {
    dram_.Tick(cycle_);
    cycle_ = std::min(std::max(dram_.NextActivity(cycle_ + 1), cycle_ + 1), std::max(end, cycle_ + 1));
  }
  dram_.Finish(std::max(end, cycle_));
}

}  // namespace npusim::models

// The NPU side of a timed DRAM (models/memory.h Dram, "model": "dram"): the DMA channels' requests
// waiting to enter the controller, the requests in flight, and when each transfer's last request
// was accepted and completed, converted between the DRAM clock and the NPU clock.
//
// Clocks: NPU cycle n starts at n / f_npu and DRAM cycle d at d / f_dram. A request the NPU makes at
// cycle n reaches the controller in DRAM cycle D(n) = ceil(n x f_dram / f_npu) (the first DRAM edge
// not before it); an event of DRAM cycle d is seen by the NPU at N(d) = ceil(d x f_npu / f_dram).
// Both are exact integer arithmetic on the two clocks in kHz reduced by their gcd: no drift.
//
// Sources (one per DMA channel) offer their requests in order: a request is offered from its
// arrival cycle on, while the source has fewer than dma_outstanding reads in flight, at most one
// per DRAM channel and source in a cycle, and waits while the controller's queue refuses it. A
// write is complete for the DMA when the controller takes it (a posted write); a read when its data
// has arrived.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "config/dram.h"
#include "models/timing/dram.h"

namespace npusim::models {

// One DMA transfer's side in DRAM: when its last request was accepted (`issued`) and when all
// have completed (`done`), and for reads when each piece's data arrived.
struct DramTicket {
  uint64_t origin = 0;               // NPU cycle the transfer was made; piece times are after it
  std::vector<uint64_t> piece_done;  // per piece, NPU cycles after origin (reads)
  size_t to_accept = 0, to_complete = 0;
  bool is_issued = false, is_done = false;
  uint64_t issued_at = 0, done_at = 0;  // NPU cycles
};

class DramFrontEnd {
 public:
  DramFrontEnd(const core::DramSpec& spec, double npu_mhz, timing::DramEvents events, int sources = 2);

  uint64_t DramCycleAt(uint64_t npu_cycle) const;  // D(n)
  uint64_t NpuCycleAt(uint64_t dram_cycle) const;  // N(d)
  // The DRAM cycle processed next.
  uint64_t cycle() const { return cycle_; }

  // Queues the requests of one transfer: piece i covers `len[i]` bytes at `addr[i]` and may start at
  // NPU cycle `origin + after[i]`.
  void Submit(int source, DramTicket* ticket, bool write, int layer, const std::vector<uint64_t>& addr,
              const std::vector<uint64_t>& after);
  // Processes DRAM cycles up to (not including) `limit`, stopping early after the cycle in which a
  // new notification appears. Returns the cycle processed next.
  uint64_t Advance(uint64_t limit);
  // Notifications not yet delivered: the earliest NPU cycle one becomes visible (UINT64_MAX if none),
  // and delivering those visible at `npu_now` (marks the tickets; the caller wakes the waiters).
  uint64_t NextNotification() const;
  std::vector<DramTicket*> Deliver(uint64_t npu_now);
  // Requests waiting to enter the controller, or reads in flight: the controller must run for the
  // NPU to go on.
  bool Pending() const;
  // Processes every cycle up to the DRAM cycle of `npu_end` and accounts background to it.
  void Finish(uint64_t npu_end);
  timing::DramCounts Counts() const { return dram_.Counts(); }

 private:
  struct Waiting {
    timing::DramRequest r;
    timing::DramAddress a;  // r.addr decoded
    uint64_t arrival;       // DRAM cycle
    DramTicket* ticket;
    size_t piece;
  };
  struct InFlight {
    DramTicket* ticket;
    size_t piece;
    int source;
  };
  struct Source {
    std::deque<Waiting> waiting;
    int outstanding = 0;  // reads in flight
  };
  struct Note {
    uint64_t at;  // NPU cycle
    DramTicket* ticket;
    bool done;  // else issued
  };
  // The source's first request may be offered once it has arrived: a read within dma_outstanding,
  // and its queue in the controller not full.
  bool Offerable(const Source& s) const {
    if (s.waiting.empty()) return false;
    const Waiting& w = s.waiting.front();
    return (w.r.write || s.outstanding < dma_outstanding_) && dram_.WouldAccept(w.r, w.a);
  }
  bool OfferFrom(Source& s, int source, uint64_t c);
  // Reads in flight by (completion cycle, id), earliest first (from due_head_ on): reads complete in
  // the order they issue, so nearly all are appended; a forwarded read (one cycle) may go before.
  void PushDue(uint64_t cycle, uint64_t id);
  bool DueEmpty() const { return due_head_ == due_.size(); }
  void Complete(const timing::DramCompletion& d);
  uint64_t NextCycle(uint64_t c) const;

  timing::DramSystem dram_;
  uint64_t f_npu_, f_dram_;  // kHz / gcd
  int dma_outstanding_;
  std::vector<Source> sources_;
  // Reads in flight by request id: an id is a slot, reused once its read completes.
  std::vector<InFlight> inflight_;
  std::vector<uint64_t> free_ids_;
  using Due = std::pair<uint64_t, uint64_t>;  // (cycle, id)
  std::vector<Due> due_;
  size_t due_head_ = 0;
  std::vector<Note> notes_;
  uint64_t cycle_ = 0;
  bool noted_ = false;  // a notification appeared in the cycle just processed
};

}  // namespace npusim::models

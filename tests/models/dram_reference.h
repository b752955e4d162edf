// A deliberately naive, cycle-stepped model of the DRAM controller specified by the header comment
// of models/timing/dram.h, written from that comment (not from dram.cpp) for the equivalence test.
//
// It steps every DRAM cycle, keeps the history of every issued command (cycle, command, rank,
// group, bank) and decides whether a command may issue by checking each timing rule of the comment
// pairwise against that history; it caches no "ready" times. Trace driving follows
// models/timing/dram_trace.h: request i is offered from the cycle after request i-1 was accepted,
// before that cycle's commands; a full queue refuses it and it is offered again the next cycle.
//
// Where the comment is silent, this model does what dram.cpp intends (each point is also a
// sentence the comment could state):
//  - the serving mode is re-evaluated after each change of a queue (a request accepted, a column
//    command issued), not once per cycle;
//  - REF waits until every bank of the rank could take an ACT (RP after a PRE, RC after an ACT,
//    RFC after the previous REF); refresh falls due at k x REFI whatever delayed earlier ones;
//  - the ACT-ACT, column-column and turnaround rules bind within a rank; across ranks only the
//    data bus counts (RTRS between bursts). This model applies an _S rule to other bank groups
//    only, as the comment says; dram.cpp applies it to the whole rank, so the two agree only
//    while each _L >= its _S (true of every preset; DramSpecProblems does not require it);
//  - "64-byte line" is one access (access_bytes); a read is refused when the read queue is full
//    even if the write queue holds its line;
//  - an automatic precharge counts as a PRE and closes the bank at once for the scheduler, its
//    timing (RP to the next ACT or REF) counted from the earliest legal precharge cycle.
#pragma once

#include <cstdint>
#include <vector>

#include "config/dram.h"
#include "models/timing/dram.h"

namespace npusim::tests {

// A run still busy after this many cycles stops unfinished (a livelock must not hang the test).
constexpr uint64_t kMaxTraceCycles = 50'000'000;

struct ReferenceDramResult {
  std::vector<uint64_t> accepted;  // per request (index in the trace): the cycle it was accepted
  std::vector<uint64_t> done;      // per request: when its data left (read) or was written (write)
  uint64_t last_accepted = 0;
  uint64_t act = 0, pre = 0, rd = 0, wr = 0, ref = 0;  // PRE includes automatic precharges
  uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0, forwarded = 0;
  bool finished = true;  // false: still busy after kMaxTraceCycles
  // With a background end: rank cycles before it, active (a bank open or a refresh running) and
  // precharged, per layer (index layer + 1). A rank's cycle x belongs to the layer of the last
  // request that rank took by its first command after x (or by the end), as the controller's
  // DramEvents::background attributes them.
  std::vector<uint64_t> active_by_layer, precharged_by_layer;
};

// background_end: 0, or a cycle not before the last one stepped, to account background up to.
ReferenceDramResult RunReferenceDramTrace(const core::DramSpec& spec,
                                          const std::vector<models::timing::DramRequest>& requests,
                                          uint64_t background_end = 0);

}  // namespace npusim::tests

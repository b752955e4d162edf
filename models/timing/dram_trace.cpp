#include "models/timing/dram_trace.h"

#include <algorithm>

namespace npusim::models::timing {

DramTraceResult RunDramTrace(const core::DramSpec& spec, const std::vector<DramRequest>& requests,
                             const DramEvents& events) {
  DramSystem sys(spec, events);
  DramTraceResult r;
  std::vector<DramCompletion> done;
  size_t i = 0;
  uint64_t c = 0;
  while (i < requests.size() || !sys.Empty()) {
    bool refused = false;
    if (i < requests.size()) {
      if (sys.Offer(requests[i], c)) {
        r.last_accepted = c;
        (requests[i].write ? r.writes : r.reads)++;
        ++i;
      } else {
        refused = true;
      }
    }
    sys.Tick(c);
    // The next cycle anything can change: the next one if a request waits to be offered (unless the
    // queue that refused it is still full, which only a command can change), else the next command.
    uint64_t next = c + 1;
    if (i >= requests.size() || (refused && !sys.WouldAccept(requests[i], sys.Decode(requests[i].addr)))) {
      next = std::max(next, sys.NextActivity(c + 1));
    }
    c = next;
  }
  sys.TakeCompletions(done);
  for (const DramCompletion& d : done) r.last_done = std::max(r.last_done, d.cycle);
  sys.Finish(std::max(r.last_done, c));
  r.counts = sys.Counts();
  return r;
}

}  // namespace npusim::models::timing

// Trace mode: a list of requests offered to a DramSystem one per DRAM cycle (`npusim dram`,
// docs/models.md "DRAM"). Request i is offered from the cycle after request i-1 was accepted (the
// first at cycle 0); a full queue refuses it and it is offered again the next cycle.
#pragma once

#include <cstdint>
#include <vector>

#include "models/timing/dram.h"

namespace npusim::models::timing {

struct DramTraceResult {
  uint64_t last_accepted = 0;  // the cycle the last request was accepted
  uint64_t last_done = 0;      // the cycle the last request completed
  uint64_t reads = 0, writes = 0;
  DramCounts counts;
};

DramTraceResult RunDramTrace(const core::DramSpec& spec, const std::vector<DramRequest>& requests,
                             const DramEvents& events = {});

}  // namespace npusim::models::timing

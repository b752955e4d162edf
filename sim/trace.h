// A finished run as a timeline in the Chrome/Perfetto trace-event format (docs/trace.md): loadable in
// ui.perfetto.dev and chrome://tracing. One track per instruction queue (the DMA's load and store
// channels, the matrix unit, the post-processor) with one slice per instruction (its layer, tile
// operands, bytes, and the instruction it waited for), and a track of the layers' spans.
#pragma once

#include <string>

#include "sim/simulate.h"

namespace npusim::sim {

// The trace of run `r` of `c` as JSON text. Times are microseconds at the arch's clock (a slice's
// start and end cycles are also in its args).
std::string TraceJson(const Compiled& c, const Result& r);

}  // namespace npusim::sim

// What a simulation computes besides time. Both modes run the same program through the same
// SystemC modules: the same instructions, DMA transfers, buffer accesses, counters and cycles
// (tests/integration/exec_mode_test.cpp asserts equal cycles and counters). Exact mode also
// computes every output integer from the bytes in the buffers; timing mode skips that arithmetic
// (the units still check that every operand range lies inside its buffer), for design-space
// sweeps and reward loops that need cycles and energy only.
#pragma once

#include <string>

namespace npusim::models {

enum class ExecMode { kExact, kTiming };

inline const char* ExecModeName(ExecMode m) { return m == ExecMode::kExact ? "exact" : "timing"; }

}  // namespace npusim::models

// Simulated time <-> cycles (1 ns is one cycle), shared by every module.
#pragma once

#include <cstdint>

#include <systemc>

namespace npusim::models {

// The kernel's ticks (its time resolution, 1 ps by default) per simulated cycle (1 ns). Times are
// built from and read as integer ticks: sc_time(double, unit) rescales through floating point on
// every call, which showed as the top entry of a timing-mode profile.
inline sc_core::sc_time::value_type TicksPerCycle() {
  static const sc_core::sc_time::value_type ticks = sc_core::sc_time(1.0, sc_core::SC_NS).value();
  return ticks;
}
inline uint64_t NowCycles() { return sc_core::sc_time_stamp().value() / TicksPerCycle(); }
inline sc_core::sc_time Cycles(uint64_t c) { return sc_core::sc_time::from_value(c * TicksPerCycle()); }

}  // namespace npusim::models

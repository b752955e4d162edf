// Post-processor timing: requantize, residual add, activation clamp and pooling on a unit with L
// lanes and a P-stage pipeline.
//
//   "post_processor": {"lanes": 16, "pipeline_cycles": 4, "output_buffer": "obuf"}
//
// counts the cycles of one instruction, from its first read to its last result leaving the
// pipeline.
//
// TIMELINE. Each cycle the lanes read up to L input values (an accumulator to requantize, a pair
// to add, one input of a pooling window); a group read in cycle t passes P pipeline stages in
// cycles t+1 .. t+P and its results are written at the end of cycle t+P. Reads never stall, so
// the last group is read in cycle ceil(values/L) - 1 and
//    cycles = P + ceil(values / L),   values > 0;   0 when there is nothing to do.
// Elementwise instructions read n values. A pool producing `outputs` values, each from `window`
// inputs, reads outputs*window values, and the lanes pack across window boundaries (a segmented
// reduction: one lane may finish output o while the next starts o+1), hence
//    cycles = P + ceil(outputs*window / L),   not P + outputs*ceil(window / L).
// tests/models/timing/post_timing_test.cpp checks both against a cycle-stepped pipeline.
//
// LEFT OUT: buffer bandwidth and bank conflicts (a 16-lane read is assumed to be one buffer access
// per cycle), and overlap of one instruction's drain with the next one's reads (each instruction
// pays its own P).
#pragma once

#include <cstdint>

namespace npusim::models::timing {

// Cycles for n elementwise values (requantize n accumulators, add n pairs): P + ceil(n/L), 0 for
// n == 0. lanes >= 1, pipeline >= 0, n >= 0; otherwise std::invalid_argument.
int64_t PostElementwiseCycles(int lanes, int pipeline, int64_t n);

// Cycles for a pool of `outputs` values each reading `window` inputs: P + ceil(outputs*window/L),
// 0 when outputs*window == 0. lanes >= 1, pipeline >= 0, outputs, window >= 0.
int64_t PostPoolCycles(int lanes, int pipeline, int64_t outputs, int64_t window);

}  // namespace npusim::models::timing

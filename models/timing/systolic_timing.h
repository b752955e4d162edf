// Weight-stationary (WS) systolic array timing: the exact cycle count of one GEMM instruction on a
// rows (R) x cols (C) array, in closed form. Registered as dataflow "ws" (dataflow_timing.h).
//
//   {"name": "array", "type": "systolic_array", "rows": 16, "cols": 16, "dataflow": "ws"}
//
// counts, per GemmShape {m, k, n, groups}: cycles (SystolicWsCycles), folds (SystolicWsFolds),
// useful MACs (GemmMacs), MACs the PEs issue including zero weights (SystolicWsIssuedMacs), and
// PE-cycles available (SystolicWsPeCycles), so utilization = GemmMacs / SystolicWsPeCycles.
//
// The array is the TPU's matrix unit (Jouppi et al., ISCA 2017, Sec. 2) and SCALE-Sim's WS
// dataflow (Samajdar et al., arXiv:1811.02883): weights stay in the PEs, rows index the reduction
// (k), columns index the outputs (n). The cycle formulas below are derived from the mapping and
// the fold timeline stated here, which is the hardware's behaviour; tests/models/timing/
// systolic_stepped.h simulates that behaviour register by register and must agree to the cycle.
//
// MAPPING. A fold is one weight tile resident in the array; folds run one after another.
//  - groups == 1: the k x n weight matrix is cut into ceil(k/R) row folds x ceil(n/C) column
//    folds. A fold uses r = min(R, k remaining) rows and c = min(C, n remaining) columns.
//  - groups > 1, block-diagonal packing (how a systolic array runs grouped and depthwise
//    convolution): g = min(floor(R/k), floor(C/n)) groups share a fold, group i of the fold
//    holding rows [i*k, (i+1)*k) and columns [i*n, (i+1)*n); the PEs off the block diagonal hold
//    weight 0. If g >= 1 there are ceil(groups/g) folds, a fold with g' groups (g' = g except
//    perhaps in the last) using r = g'*k rows and c = g'*n columns. If g == 0 (one group does
//    not fit), each group is folded on its own as in the groups == 1 case.
//    (For groups == 1 both rules give the same folds, so the code applies one rule.)
//
// ONE FOLD, cycle 0 being its first cycle:
//  - Weight preload, cycles [0, r): one row of weights shifts in from the top per cycle. It is
//    not overlapped with streaming (no second weight register in the PEs).
//  - Streaming starts at cycle r; call streaming cycle t = (cycle - r). Input vector x (0 <= x <
//    m) enters row i at t = x + i (skewed); inputs move right one PE per cycle and partial sums
//    down one PE per cycle, so PE(i, j) multiplies input x at t = x + i + j. PE(0, j) takes its
//    partial sum from the accumulator (read-modify-write, so row folds add up); the sum leaves
//    PE(r-1, j) into the accumulator one cycle after PE(r-1, j) computes it, i.e. the fold's
//    last used row drives the accumulator (rows below it are bypassed).
//  - The last product is PE(r-1, c-1) on x = m-1 at t = m + r + c - 3; its write takes t + 1.
//    Fold cycles: T(r, c) = r + (m + r + c - 2) + 1 = m + 2r + c - 1.
// The next fold's preload starts the cycle after the previous fold's last write.
//
// CLOSED FORMS (sum of T over folds; F = number of folds):
//    cycles = F*(m - 1) + 2*(sum of r) + (sum of c)
//  - g >= 1:  F = ceil(G/g), sum r = G*k, sum c = G*n          (G = groups)
//  - g == 0:  per group, with Fr = ceil(k/R), Fc = ceil(n/C): F = Fr*Fc, sum r = Fc*k,
//             sum c = Fr*n; times G.
// An empty GEMM (m, k, n or groups == 0) takes 0 cycles and 0 folds.
//
// LEFT OUT (see docs/models.md): weight double-buffering (preload overlapping streaming), overlap
// of one fold's drain with the next fold's fill, accumulator and buffer bandwidth limits (the
// accumulator serves up to c reads and c writes per cycle), and stalls on operand delivery;
// memory effects belong to the SystemC modules, which wait on real buffer and DMA traffic.
#pragma once

#include <cstdint>

#include "models/timing/dataflow_timing.h"

namespace npusim::models::timing {

// Cycles of one WS fold with m inputs on r rows and c columns: m + 2r + c - 1 (see above).
// r, c >= 1, m >= 1.
int64_t SystolicWsFoldCycles(int64_t m, int64_t r, int64_t c);

// Groups sharing one fold under block-diagonal packing: min(R/k, C/n), 0 when a group does not fit
// (each group is then folded on its own). k, n >= 1.
int64_t SystolicWsGroupsPerFold(int rows, int cols, const GemmShape& shape);

// Cycles from the instruction's first preload cycle to its last accumulator write.
int64_t SystolicWsCycles(int rows, int cols, const GemmShape& shape);

// Weight-preload cycles over all folds (the sum of r); the rest of SystolicWsCycles streams.
int64_t SystolicWsPreloadCycles(int rows, int cols, const GemmShape& shape);

// Number of folds (weight tiles loaded).
int64_t SystolicWsFolds(int rows, int cols, const GemmShape& shape);

// MACs the PEs perform: m*r*c summed over folds. Equals GemmMacs without block-diagonal packing;
// with it, the zero weights off the diagonal are multiplied too (a PE fires whenever an input
// passes it), which is what dynamic energy counts.
int64_t SystolicWsIssuedMacs(int rows, int cols, const GemmShape& shape);

// PE-cycles the array offers during the instruction: rows*cols*SystolicWsCycles.
int64_t SystolicWsPeCycles(int rows, int cols, const GemmShape& shape);

}  // namespace npusim::models::timing

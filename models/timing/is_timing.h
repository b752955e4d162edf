// Input-stationary (IS) systolic array timing: the exact cycle count of one GEMM instruction on a
// rows (R) x cols (C) array, in closed form. Registered as dataflow "is" (dataflow_timing.h).
//
//   {"name": "array", "type": "systolic_array", "rows": 16, "cols": 16, "dataflow": "is"}
//
// counts, per GemmShape {m, k, n, groups}: cycles (SystolicIsCycles), folds (SystolicIsFolds),
// MACs the PEs issue including zero inputs (SystolicIsIssuedMacs) and PE-cycles available
// (SystolicIsPeCycles); utilization = GemmMacs / SystolicIsPeCycles.
//
// The dataflow is SCALE-Sim's IS (Samajdar et al., "A Systematic Methodology for Characterizing
// Scalability of DNN Accelerators using SCALE-Sim", ISPASS 2020): the input (im2col) matrix stays
// in the PEs, rows index the reduction (k), columns index input vectors (m), and the weights
// stream through, one output channel (n) per step. It is the weight-stationary array of
// systolic_timing.h with the roles of the operands exchanged, so of m and n: computing
// y^T = w^T x^T on a WS array holds x^T stationary and streams the columns of w. SARA (Samajdar
// et al., arXiv:2101.04799) switches its sub-arrays among OS, WS and IS per layer. tests/models/
// timing/is_stepped.h simulates the mapping and timeline stated here register by register (with
// its own code, not through the WS model) and must agree to the cycle.
//
// MAPPING. A fold is one input tile resident in the array; folds run one after another.
//  - groups == 1: the k x m (transposed) input matrix is cut into ceil(k/R) row folds x ceil(m/C)
//    column folds. A fold uses r = min(R, k remaining) rows and c = min(C, m remaining) columns.
//  - groups > 1, block-diagonal packing: g = min(floor(R/k), floor(C/m)) groups share a fold,
//    group i of the fold holding rows [i*k, (i+1)*k) and columns [i*m, (i+1)*m); the PEs off the
//    block diagonal hold input 0. If g >= 1 there are ceil(groups/g) folds, a fold of g' groups
//    using r = g'*k rows and c = g'*m columns; streamed weight vector j carries every fold group's
//    weight column j. If g == 0 (one group does not fit), each group is folded alone as for
//    groups == 1.
//
// ONE FOLD, cycle 0 being its first cycle:
//  - Input preload, cycles [0, r): one row of the input tile shifts in from the top per cycle
//    (no second stationary register, so no overlap with streaming).
//  - Streaming starts at cycle r; streaming cycle t = cycle - r. Weight vector j (0 <= j < n,
//    output channel j) enters row i at t = j + i; weights move right and partial sums down one PE
//    per cycle, so PE(i, c') multiplies weight vector j at t = j + i + c'. PE(0, c') reads its
//    partial sum y[x_c'][j] from the accumulator (read-modify-write, so row folds add up); the
//    sum leaves the fold's last used row into the accumulator one cycle after that row computes
//    it (rows below are bypassed).
//  - The last product is PE(r-1, c-1) on j = n-1 at t = n + r + c - 3; its write takes t + 1.
//    Fold cycles: T(r, c) = r + (n + r + c - 2) + 1 = n + 2r + c - 1.
// The next fold's preload starts the cycle after the previous fold's last write.
//
// CLOSED FORMS (sum of T over folds; F = number of folds), the WS forms with m and n exchanged:
//    cycles = F*(n - 1) + 2*(sum of r) + (sum of c)
//  - g >= 1:  F = ceil(G/g), sum r = G*k, sum c = G*m          (G = groups)
//  - g == 0:  per group, with Fr = ceil(k/R), Fc = ceil(m/C): F = Fr*Fc, sum r = Fc*k,
//             sum c = Fr*m; times G.
// An empty GEMM (m, k, n or groups == 0) takes 0 cycles and 0 folds.
//
// PARTIAL FOLDS are charged only the rows and columns they use (r, c), as "ws" does; SCALE-Sim
// pads every fold to the full array (2R + C + T - 2 with T = n), which the separate SCALE-Sim
// compatibility model reproduces.
//
// LEFT OUT (see docs/models.md): the same as "ws": double-buffered stationary registers
// (preload overlapping streaming), overlap of one fold's drain with the next fold's fill, and
// accumulator and buffer bandwidth limits.
#pragma once

#include <cstdint>

#include "models/timing/dataflow_timing.h"

namespace npusim::models::timing {

// Cycles of one IS fold streaming n weight vectors on r rows and c columns: n + 2r + c - 1.
// n, r, c >= 1.
int64_t SystolicIsFoldCycles(int64_t n, int64_t r, int64_t c);

// Groups sharing one fold under block-diagonal packing: min(R/k, C/m), 0 when a group does not fit
// (each group is then folded on its own). k, m >= 1.
int64_t SystolicIsGroupsPerFold(int rows, int cols, const GemmShape& shape);

// Cycles from the instruction's first preload cycle to its last accumulator write.
int64_t SystolicIsCycles(int rows, int cols, const GemmShape& shape);

// Number of folds (input tiles loaded).
int64_t SystolicIsFolds(int rows, int cols, const GemmShape& shape);

// MACs the PEs perform: n*r*c summed over folds. Equals GemmMacs without block-diagonal packing;
// with it, the zero inputs off the diagonal are multiplied too.
int64_t SystolicIsIssuedMacs(int rows, int cols, const GemmShape& shape);

// PE-cycles the array offers during the instruction: rows*cols*SystolicIsCycles.
int64_t SystolicIsPeCycles(int rows, int cols, const GemmShape& shape);

}  // namespace npusim::models::timing

// Output-stationary (OS) systolic array timing: the exact cycle count of one GEMM instruction on a
// rows (R) x cols (C) array, in closed form. Registered as dataflow "os" (dataflow_timing.h).
//
//   {"name": "array", "type": "systolic_array", "rows": 16, "cols": 16, "dataflow": "os"}
//
// counts, per GemmShape {m, k, n, groups}: cycles (SystolicOsCycles), folds (SystolicOsFolds),
// MACs the PEs issue including zero weights (SystolicOsIssuedMacs) and PE-cycles available
// (SystolicOsPeCycles); utilization = GemmMacs / SystolicOsPeCycles.
//
// The dataflow is SCALE-Sim's OS (Samajdar et al., "A Systematic Methodology for Characterizing
// Scalability of DNN Accelerators using SCALE-Sim", ISPASS 2020): each PE owns one output, the
// reduction runs in place over time, both operands stream in skewed. That paper's first-order
// runtime per fold, 2*S_R + S_C + T - 2 with S_R x S_C the array and T the temporal dimension (k
// for OS), is what the fold formula below gives for a full fold. SARA (Samajdar et al.,
// arXiv:2101.04799) reconfigures its sub-arrays between OS, WS and IS per layer; this file is the
// OS member of that family. tests/models/timing/os_stepped.h simulates the mapping and timeline
// stated here register by register and must agree to the cycle.
//
// MAPPING. PE(i, j) accumulates output y[x_i][col_j]: array rows index m (input vectors), array
// columns index output columns. A fold is one r x c block of outputs; folds run one after another.
//  - Row folds: ceil(m/R), a fold using r = min(R, m remaining) rows.
//  - Column folds, per group (k and n per group, GemmShape):
//    * n <= C: g = floor(C/n) groups share a column fold, group i of the fold on columns
//      [i*n, (i+1)*n). The fold streams the g' groups' reductions one after another, kt = g'*k
//      steps (g' = g except perhaps in the last column fold, ceil(G/g) column folds): during
//      group i's k steps every row carries group i's inputs, and the weights entering a column
//      of another group are 0, so each column accumulates only its own group. The fold uses
//      c = g'*n columns. For groups == 1 this is one column fold with kt = k, c = n.
//    * n > C (a group does not fit the columns): each group alone, ceil(n/C) column folds of
//      c = min(C, n remaining) columns, kt = k.
//  Every (row fold, column fold) pair is a fold: F = ceil(m/R) * (column folds).
//
// ONE FOLD, cycle 0 being its first cycle, kt streaming steps s = 0 .. kt-1:
//  - Compute: step s of row i's input enters PE(i, 0) at cycle s + i and moves right one PE per
//    cycle; step s of column j's weight enters PE(0, j) at cycle s + j and moves down one PE per
//    cycle; so PE(i, j) multiplies the step-s pair at cycle s + i + j, starting its accumulator on
//    s = 0. The last MAC is PE(r-1, c-1)'s at cycle kt + r + c - 3.
//  - Drain: from the next cycle, r cycles: each cycle the last used row's accumulators are written
//    (added) into the accumulator buffer, one per column, and every row's accumulators shift down
//    one row. Rows below the fold's last used row are bypassed, as in "ws".
//  Fold cycles: T(kt, r, c) = (kt + r + c - 2) + r = kt + 2r + c - 2.
// The next fold's first input enters the cycle after the previous fold's last write.
//
// CLOSED FORM (sum of T over folds): with Fm = ceil(m/R) row folds, Fc column folds, and the sums
// over column folds of kt (Kt) and of c (Ct):
//    cycles = Fm*(Kt + Ct) + 2*Fc*(m - Fm)
//  - n <= C: Fc = ceil(G/g), Kt = G*k, Ct = G*n              (G = groups, g = floor(C/n))
//  - n > C:  Fc = G*ceil(n/C), Kt = Fc*k, Ct = G*n.
// An empty GEMM (m, k, n or groups == 0) takes 0 cycles and 0 folds.
//
// PARTIAL FOLDS are charged only the rows and columns they use (r, c), as "ws" does; SCALE-Sim
// pads every fold to the full array (2R + C + T - 2), which the separate SCALE-Sim compatibility
// model reproduces.
//
// LEFT OUT (see docs/models.md): overlap of a fold's drain with the next fold's compute (a second
// accumulator register per PE), drain of early-finishing PEs before the last MAC, accumulator and
// buffer bandwidth limits (the drain writes c values per cycle; inputs and weights arrive at r and
// c values per cycle, never stalling).
#pragma once

#include <cstdint>

#include "models/timing/dataflow_timing.h"

namespace npusim::models::timing {

// Cycles of one OS fold with kt streaming steps on r rows and c columns: kt + 2r + c - 2.
// kt, r, c >= 1.
int64_t SystolicOsFoldCycles(int64_t kt, int64_t r, int64_t c);

// Groups sharing one column fold: floor(cols/n), 0 when a group's n exceeds the columns (each
// group is then folded on its own). n >= 1.
int64_t SystolicOsGroupsPerFold(int rows, int cols, const GemmShape& shape);

// Cycles from the instruction's first input to its last accumulator write.
int64_t SystolicOsCycles(int rows, int cols, const GemmShape& shape);

// Drain cycles over all folds (r per fold: the column folds times m); the rest computes.
int64_t SystolicOsDrainCycles(int rows, int cols, const GemmShape& shape);

// Number of folds (output blocks computed).
int64_t SystolicOsFolds(int rows, int cols, const GemmShape& shape);

// MACs the PEs perform: r*c*kt summed over folds. Equals GemmMacs unless groups share a fold;
// then the zero weights of the other groups' steps are multiplied too.
int64_t SystolicOsIssuedMacs(int rows, int cols, const GemmShape& shape);

// PE-cycles the array offers during the instruction: rows*cols*SystolicOsCycles.
int64_t SystolicOsPeCycles(int rows, int cols, const GemmShape& shape);

}  // namespace npusim::models::timing

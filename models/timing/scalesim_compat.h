// SCALE-Sim v2 compatibility: the closed forms of SCALE-Sim v2's compute model, so that
// `npusim scalesim --compat scalesim` reports the "Total Cycles", utilizations and SRAM access
// counts SCALE-Sim v2 reports for the same config and topology (CALC mode, no DRAM stalls).
//
//   ScaleSimGemm g = ScaleSimConvToGemm({10, 10, 3, 3, 4, 20, 1, 1});   // {64, 36, 20}
//   ScaleSimLayerStats s = ScaleSimLayer(4, 4, ScaleSimDataflow::kOs, g);
//   s.reported_total_cycles == 3359, s.cycles == 3360
//
// Sources: Samajdar et al., "A Systematic Methodology for Characterizing Scalability of DNN
// Accelerators using SCALE-Sim", ISPASS 2020, Sec. III (the GEMM view and the fold model); the
// SCALE-Sim v2 repository's compute model (scalesim/compute/systolic_compute_{os,ws,is}.py), its
// topology reader (scalesim/topology_utils.py) and report (scalesim/single_layer_sim.py), read
// for their semantics. docs/scalesim.md derives every formula below; nothing here is SCALE-Sim's
// code.
//
// THE GEMM VIEW. A convolution layer (no padding: the topology gives the padded ifmap) becomes a
// GEMM of Npx ofmap pixels x Win window elements x K filters, Npx = E*F, Win = Fh*Fw*C, where
// SCALE-Sim v2 computes E = ceil((H - Fh + s) / s) (topology_utils.py). That equals the usual
// floor((H - Fh)/s) + 1 whenever s divides H - Fh; otherwise it is one more (SCALE-Sim counts a
// last, partial window whose out-of-range addresses it marks as padding).
//
// THE MAPPING. Each dataflow puts two GEMM dimensions on the array and streams the third over
// time: (Sr, Sc, T) = (Npx, K, Win) for OS, (Win, K, Npx) for WS, (Win, Npx, K) for IS. The
// Sr x Sc plane is cut into ceil(Sr/R) x ceil(Sc/C) folds; every fold occupies the whole R x C
// array in time (a partial fold is padded with idle PEs) and folds run back to back.
//
// CYCLES. One fold lasts T + R + C - 2 cycles for OS (stream T, skew in R - 1, drain C - 1) and
// 2R + C + T - 2 for WS and IS (R more to preload the stationary operand). SCALE-Sim's "Total
// Cycles" is the index of the cycle of the last output write, counted from 0, i.e.
// folds * per_fold - 1; `cycles` below is the count, folds * per_fold.
//
// ACCESS COUNTS are the number of operand-matrix entries each fold requests from (or writes to)
// SRAM, summed over folds, as SCALE-Sim counts them ("SRAM IFMAP Reads" etc. of its detailed
// report): see ScaleSimLayerStats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace npusim::models::timing {

enum class ScaleSimDataflow { kOs, kWs, kIs };

// "os", "ws", "is" (the spelling of SCALE-Sim's Dataflow key); nullopt for anything else.
std::optional<ScaleSimDataflow> ParseScaleSimDataflow(const std::string& name);
const char* ScaleSimDataflowName(ScaleSimDataflow dataflow);

// One convolution as SCALE-Sim's topology row gives it (the ifmap already padded). All >= 1 and
// filter_h <= ifmap_h, filter_w <= ifmap_w (the loader checks; violations throw
// std::invalid_argument).
struct ScaleSimConv {
  int64_t ifmap_h = 1, ifmap_w = 1;
  int64_t filter_h = 1, filter_w = 1;
  int64_t channels = 1, num_filters = 1;
  int64_t stride_h = 1, stride_w = 1;
};

// The GEMM SCALE-Sim runs: ofmap_px (M) x window (K) times window x filters (N).
struct ScaleSimGemm {
  int64_t ofmap_px = 1;  // Npx = E * F
  int64_t window = 1;    // Win = Fh * Fw * C
  int64_t filters = 1;   // K
};

// SCALE-Sim v2's ofmap side: ceil((in - filter + stride) / stride).
int64_t ScaleSimOfmapDim(int64_t in, int64_t filter, int64_t stride);
ScaleSimGemm ScaleSimConvToGemm(const ScaleSimConv& conv);

// What SCALE-Sim v2 reports for one layer (one run of the GEMM), CALC mode.
struct ScaleSimLayerStats {
  int64_t sr = 0, sc = 0, t = 0;         // the mapping (see above)
  int64_t row_folds = 0, col_folds = 0;  // ceil(Sr/R), ceil(Sc/C)
  int64_t folds = 0;                     // row_folds * col_folds
  int64_t cycles_per_fold = 0;           // T+R+C-2 (OS), 2R+C+T-2 (WS, IS)
  int64_t cycles = 0;                    // folds * cycles_per_fold (a count)
  int64_t reported_total_cycles = 0;     // cycles - 1: SCALE-Sim's "Total Cycles"
  int64_t macs = 0;                      // Npx * Win * K
  // "Overall Util %": 100 * macs / (reported_total_cycles * R * C) (0 when the total is 0, where
  // SCALE-Sim itself divides by zero).
  double overall_util_pct = 0;
  // "Mapping Efficiency %": the mean over folds of used PEs / (R*C) = 100 * Sr*Sc / (folds*R*C).
  double mapping_efficiency_pct = 0;
  // "Compute Util %": the mean over folds of used PEs * T / (R * C * L), with L = T+R+C-2 (OS)
  // and L = 2R+2C+T-3 (WS, IS: SCALE-Sim measures those folds on a demand matrix C wide, one
  // column-skew longer than the fold itself) = mapping_efficiency_pct * T / L.
  double compute_util_pct = 0;
  int64_t util_fold_cycles = 0;  // that L
  // SRAM accesses in words (operand-matrix entries, padding entries included):
  //   OS: ifmap = col_folds*Sr*T, filter = row_folds*Sc*T, ofmap = Sr*Sc + folds*(R+C)
  //   WS: ifmap = col_folds*Sr*T, filter = Sr*Sc,          ofmap = row_folds*Sc*T
  //   IS: ifmap = Sr*Sc,          filter = col_folds*Sr*T, ofmap = row_folds*Sc*T
  // The OS ofmap count includes the R + C per fold that SCALE-Sim v2's OS model adds to its
  // write count; the Sr*Sc outputs are the real writes.
  int64_t ifmap_sram_reads = 0;
  int64_t filter_sram_reads = 0;
  int64_t ofmap_sram_writes = 0;
  // SCALE-Sim's "SRAM <operand> Start/Stop Cycle": the cycle of the first and of the last demand
  // line that requests any address of the operand (its memory system scans the SRAM trace
  // matrices for the first/last row holding an entry other than -1). Without stalls (CALC mode)
  // line i is served in cycle i, so these are line indices of the fold stream: folds back to back,
  // column folds outer, row folds inner; within a fold of r used rows and c used columns, with
  // L = cycles_per_fold (OS / WS and IS):
  //   streamed into the rows (OS, WS: ifmap; IS: filter): first 0 / R, last T+r-2 / R+T+r-2
  //   OS filter from the top: first 0, last T+c-2
  //   stationary (WS filter, IS ifmap), loaded bottom row first: first R-r, last R-1
  //   ofmap: OS first T+R-r-1, last T+R+c-3; WS, IS first 2R-1, last 2R+T+c-3
  // start uses the first fold's r (min(R, Sr)), stop the last fold's r, c plus (folds-1)*L.
  int64_t ifmap_sram_start = 0, ifmap_sram_stop = 0;
  int64_t filter_sram_start = 0, filter_sram_stop = 0;
  int64_t ofmap_sram_start = 0, ofmap_sram_stop = 0;
};

// The closed forms for a rows (R) x cols (C) array. rows, cols >= 1 and every GEMM size >= 1,
// else std::invalid_argument; a count beyond int64 throws std::overflow_error.
ScaleSimLayerStats ScaleSimLayer(int64_t rows, int64_t cols, ScaleSimDataflow dataflow,
                                 const ScaleSimGemm& gemm);

}  // namespace npusim::models::timing

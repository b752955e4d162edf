// Sparse array timing (Scalpel-style SIMD unit, Yu et al. ISCA 2017): the exact cycle count and
// action counts of one CONV instruction from the entry counts of its weight tile's rows, in closed
// form. Used by the SparseArray module (which reads the entry counts from the tile header in its
// buffer) and by the compiler's cost model (which counts them on the weights it compresses);
// tests/models/timing/sparse_stepped.h walks the compressed bytes PE by PE, cycle by cycle, and
// must agree to the cycle.
//
//   {"name": "simd", "type": "sparse_array", "pes": 1, "simd_width": 4, "index_bits": 8,
//    "formats": ["dense", "simd_groups", "csr"], "decode_cycles": 1, "row_overhead_cycles": 2,
//    "pipeline_cycles": 4, ...}
//
// THE MACHINE (core::SparseConfig):
//  - Each of `pes` PEs is a dot-product datapath: simd_width multipliers along the reduction (K),
//    an adder tree and one accumulator. One entry per cycle: a SIMD group of simd_width weights
//    (dense and simd_groups; a partial or padding group occupies the whole cycle) or one weight
//    (csr: one lane works, the others idle: why unstructured pruning does not use SIMD width).
//  - An entry of a compressed format first costs decode_cycles to add its relative index to the
//    input pointer (the MAC cannot start before its input's address is known; a dense group's
//    address is the previous one plus simd_width, computed for free).
//  - Rows (output channels of the tile, over all its groups, in tile order) go to PEs round robin:
//    row r to PE r mod pes, each PE holding its rows' weights. Each PE computes its rows' outputs
//    for every one of the m output pixels; an output costs row_overhead_cycles (accumulator set-up
//    from bias or the stored partial sum, write-back) plus its row's entries.
//  - The instruction ends when the busiest PE ends (lane and PE imbalance are paid in full),
//    after pipeline_cycles of fill:
//
//      load_p = sum over rows r with r mod pes = p of (E_r * (1 + d) + row_overhead_cycles)
//      cycles = pipeline_cycles + m * max_p load_p
//
//    with E_r the row's entries (padding included) and d = decode_cycles for simd_groups and csr,
//    0 for dense.
#pragma once

#include <cstdint>
#include <vector>

#include "config/unit_kind_sparse.h"
#include "ir/sparse_format.h"

namespace npusim::models::timing {

// Cycles one entry of format `f` takes on a PE.
int64_t SparseEntryCycles(const core::SparseConfig& s, core::WeightFormat f);

// Busy cycles per output pixel of each PE (load_p above).
std::vector<int64_t> SparsePeLoads(const core::SparseConfig& s, core::WeightFormat f,
                                   const std::vector<int64_t>& row_entries);

// Cycles of one CONV instruction with m output pixels whose weight tile rows have these entries.
int64_t SparseCycles(const core::SparseConfig& s, core::WeightFormat f, int64_t m,
                     const std::vector<int64_t>& row_entries);

struct SparseActions {
  int64_t entry_macs = 0;     // entries processed (simd_width lanes each), over all pixels
  int64_t index_decodes = 0;  // relative indices decoded (compressed formats)
};
SparseActions CountSparseActions(core::WeightFormat f, int64_t m, const std::vector<int64_t>& row_entries);

}  // namespace npusim::models::timing

// The "sparse_array" kind's own block (Scalpel-style, Yu et al. ISCA 2017); its parsing, checks and
// echo are in unit_kind_sparse.cpp.
//
//   {"name": "simd", "type": "sparse_array", "pes": 1, "simd_width": 4, "index_bits": 8,
//    "formats": ["dense", "simd_groups", "csr"], ...}                          arch/scalpel_mcu.json
//
// rows = simd_width, cols = pes, dataflow "sparse". The unit stores weights in its own formats,
// so it refuses "packed_weights", and binary weights (no zero to skip).
#pragma once

#include <vector>

#include "ir/sparse_format.h"

namespace npusim::core {

// `pes` PEs, each a dot-product datapath of `simd_width` lanes along the reduction (K); PEs take
// the tile's output channels round robin and walk each output's weight row entry by entry, one
// entry (a SIMD group of simd_width values, or one value in csr) per cycle, plus `decode_cycles`
// per entry of a compressed format to decode its relative index, plus `row_overhead_cycles` per
// output value (accumulator set-up and write-back), plus `pipeline_cycles` per instruction. The
// compiler stores each layer's weights in whichever of `formats` the unit runs fastest
// (ir/sparse_format.h; docs/models.md, "Sparse array", has the closed form).
struct SparseConfig {
  int pes = 1;
  int simd_width = 4;
  int index_bits = 4;
  std::vector<WeightFormat> formats{WeightFormat::kDense, WeightFormat::kSimdGroups};
  int decode_cycles = 1;
  int row_overhead_cycles = 1;
  int pipeline_cycles = 2;
  bool runs(WeightFormat f) const {
    for (WeightFormat x : formats) {
      if (x == f) return true;
    }
    return false;
  }
};

}  // namespace npusim::core

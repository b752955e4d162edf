// SparseArray: the Scalpel-style matrix unit (Yu et al., ISCA 2017): `pes` dot-product PEs of
// `simd_width` lanes that walk a layer's compressed weights (ir/sparse_format.h) and skip the
// pruned groups. Its SystemC thread takes a CONV instruction, asks models/timing/sparse_timing.h
// for the cycles of the tile's row entry counts that the instruction carries (ConvArgs::w_tile:
// what the tile's row headers hold, so the cycles follow the real density of this tile), waits,
// counts and signals completion. Time and counts come from the instruction alone, so timing mode
// (whose DMA moves no bytes) gives exact mode's figures. Exact mode also decodes the tile out of
// its buffer: headers that disagree with the instruction stop the simulation (SC_REPORT_FATAL:
// a tiling or addressing bug), and the accumulators come from the decoded bytes (a decode bug
// shows as wrong outputs).
//
// Example unit config (arch/scalpel_mcu.json):
//   {"name": "simd", "type": "sparse_array", "pes": 1, "simd_width": 4, "index_bits": 8,
//    "formats": ["dense", "simd_groups", "csr"], "decode_cycles": 1, "row_overhead_cycles": 2,
//    "pipeline_cycles": 4, "input_bits": [8], "weight_bits": [8], "acc_bits": 32, ...}
// Counts (energy): <name>.entry_mac (one entry's SIMD multiply-accumulate on all simd_width lanes,
// padding entries included), <name>.index_decode (one relative index decoded), <name>.leak_per_cycle;
// reads of its input buffer (once per instruction), of its weight buffer (the compressed tile,
// once per instruction: each PE copies its rows into its weight registers), writes (and for a
// later input-channel tile reads) of its accumulator buffer.
#pragma once

#include <cstdint>
#include <vector>

#include "config/unit_kind_sparse.h"
#include "ir/sparse_format.h"
#include "models/matrix_unit.h"

namespace npusim::models {

class SparseArray : public MatrixUnit {
 public:
  SparseArray(sc_core::sc_module_name name, const MatrixUnitArgs& a);

  // The codec and row geometry of an instruction's weight tile on this unit (pure).
  static core::SparseCodec CodecOf(const core::UnitConfig& cfg, const isa::ConvArgs& c);
  static core::RowGeometry GeometryOf(const core::UnitConfig& cfg, const isa::ConvArgs& c);
  // Cycles of one CONV instruction whose tile rows have these entry counts (pure).
  static int64_t CyclesOf(const core::UnitConfig& cfg, const isa::ConvArgs& c,
                          const std::vector<int64_t>& row_entries);

 private:
  // The cycles follow the instruction's row entries; the tile is decoded after the wait and before
  // Done (no one reads the accumulators or overwrites the operands before Done: the schedule's
  // RAW/WAR tokens), so the values are those of the whole span.
  int64_t Begin(const isa::Instruction& in) override;
  void End(const isa::Instruction& in) override;
  // The instruction's row entry counts (Program::weight_tile_rows); fatal if it names none.
  const std::vector<int64_t>& RowEntriesOf(const isa::Instruction& in);
  // The exact arithmetic of one instruction: check the tile's row headers in the buffer against
  // `row_entries`, decode the tile, accumulate.
  void Compute(const isa::Instruction& in, const std::vector<int64_t>& row_entries);
  void Count(const isa::ConvArgs& c, int layer, const std::vector<int64_t>& row_entries);

  const std::vector<int64_t>* entries_ = nullptr;  // the running instruction's (Begin to End)
  core::Counter* entry_macs_ = nullptr;
  core::Counter* decodes_ = nullptr;
};

}  // namespace npusim::models

// A cycle-stepped model of the sparse array (models/timing/sparse_timing.h), for tests: every PE is
// a small state machine that walks the compressed bytes of its rows itself (row header, relative
// index, group values), one cycle per Step(): row set-up cycles, index-decode cycles, one MAC
// cycle per entry, in which it multiplies the entry's values with the inputs at the decoded
// position. It shares no code with the closed form or with core::DecodeTile beyond the codec's
// field widths, so agreement checks both the cycle formula and the format.
#pragma once

#include <cstdint>
#include <vector>

#include "config/arch.h"
#include "ir/sparse_format.h"

namespace npusim::testing {

class SparseStepped {
 public:
  // inputs: m pixels x geo.values() (zero-point corrected) values, the row order of the tile.
  SparseStepped(const core::SparseConfig& cfg, const core::SparseCodec& codec, const core::RowGeometry& geo,
                int64_t rows, const std::vector<uint8_t>& bytes, int64_t m,
                const std::vector<int32_t>& inputs)
      : cfg_(cfg),
        codec_(codec),
        geo_(geo),
        rows_(rows),
        bytes_(bytes),
        m_(m),
        inputs_(inputs),
        out_(m * rows, 0),
        pes_(cfg.pes) {
    int64_t off = codec.format == core::WeightFormat::kDense ? 0 : rows * core::kRowHeaderBytes;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t entries = codec.format == core::WeightFormat::kDense
                                  ? geo.groups()
                                  : static_cast<int64_t>(bytes[2 * r] | (bytes[2 * r + 1] << 8));
      row_entries_.push_back(entries);
      row_offset_.push_back(off);
      if (codec.format != core::WeightFormat::kDense) off += entries * codec.entry_bytes();
      pes_[r % cfg.pes].rows.push_back(r);
    }
    for (Pe& pe : pes_) StartOutput(pe);
  }

  void Step() {
    ++cycle_;
    if (cycle_ <= cfg_.pipeline_cycles) return;  // fill
    for (Pe& pe : pes_) StepPe(pe);
  }
  bool Done() const {
    if (cycle_ < cfg_.pipeline_cycles) return false;
    for (const Pe& pe : pes_) {
      if (pe.phase != Phase::kDone) return false;
    }
    return true;
  }
  // Steps until Done or `limit` cycles; returns the cycles taken.
  int64_t RunUntil(int64_t limit) {
    while (!Done() && cycle_ < limit) Step();
    return cycle_;
  }
  int64_t cycle() const { return cycle_; }
  const std::vector<int64_t>& outputs() const { return out_; }  // [m][rows]
  const std::vector<int64_t>& row_entries() const { return row_entries_; }

 private:
  enum class Phase { kOverhead, kDecode, kMac, kDone };
  struct Pe {
    std::vector<int64_t> rows;
    size_t ri = 0;   // row being computed
    int64_t mi = 0;  // pixel being computed
    Phase phase = Phase::kDone;
    int64_t left = 0;  // cycles left in kOverhead / kDecode
    int64_t k = 0;     // entry of the row
    int64_t off = 0;   // byte offset of the entry
    int64_t pos = -1;  // decoded group position
    int64_t acc = 0;
  };

  bool Compressed() const { return codec_.format != core::WeightFormat::kDense; }
  int64_t Row(const Pe& pe) const { return pe.rows[pe.ri]; }

  void StartOutput(Pe& pe) {
    if (pe.rows.empty() || pe.mi >= m_) {
      pe.phase = Phase::kDone;
      return;
    }
    pe.acc = 0;
    pe.k = 0;
    pe.pos = -1;
    pe.off = row_offset_[Row(pe)];
    pe.phase = Phase::kOverhead;
    pe.left = cfg_.row_overhead_cycles;
    if (pe.left == 0) StartEntry(pe);
  }

  void StartEntry(Pe& pe) {
    if (pe.k == row_entries_[Row(pe)]) {
      FinishOutput(pe);
      return;
    }
    pe.phase = Compressed() && cfg_.decode_cycles > 0 ? Phase::kDecode : Phase::kMac;
    pe.left = cfg_.decode_cycles;
  }

  void FinishOutput(Pe& pe) {
    out_[pe.mi * rows_ + Row(pe)] = pe.acc;
    if (++pe.ri == pe.rows.size()) {
      pe.ri = 0;
      ++pe.mi;
    }
    StartOutput(pe);
  }

  int64_t ReadLe(int64_t off, int bytes) const {
    int64_t v = 0;
    for (int b = 0; b < bytes; ++b) v |= static_cast<int64_t>(bytes_[off + b]) << (8 * b);
    return v;
  }
  int32_t ReadValue(int64_t off) const {
    const int64_t u = ReadLe(off, codec_.value_bytes);
    if (!codec_.is_signed) return static_cast<int32_t>(u);
    return codec_.value_bytes == 1 ? static_cast<int8_t>(u) : static_cast<int16_t>(u);
  }

  void Mac(Pe& pe) {
    const int64_t row = Row(pe);
    const int64_t gps = geo_.groups_per_segment();
    int64_t values_off;
    if (Compressed()) {
      pe.pos += 1 + ReadLe(pe.off, codec_.index_bytes());
      values_off = pe.off + codec_.index_bytes();
      pe.off += codec_.entry_bytes();
    } else {
      pe.pos = pe.k;
      values_off = -1;
    }
    const int64_t seg = pe.pos / gps, j = pe.pos % gps;
    const int64_t begin = seg * geo_.segment_len + j * geo_.group_width;
    const int64_t end = std::min(begin + geo_.group_width, (seg + 1) * geo_.segment_len);
    const int32_t* x = &inputs_[pe.mi * geo_.values()];
    for (int64_t i = begin; i < end; ++i) {
      const int64_t w = values_off >= 0 ? ReadValue(values_off + (i - begin) * codec_.value_bytes)
                                        : ReadValue((row * geo_.values() + i) * codec_.value_bytes);
      pe.acc += (w - codec_.zero_point) * x[i];
    }
    ++pe.k;
    StartEntry(pe);
  }

  void StepPe(Pe& pe) {
    switch (pe.phase) {
      case Phase::kDone: return;
      case Phase::kOverhead:
        if (--pe.left == 0) StartEntry(pe);
        return;
      case Phase::kDecode:
        if (--pe.left == 0) pe.phase = Phase::kMac;
        return;
      case Phase::kMac: Mac(pe); return;
    }
  }

  core::SparseConfig cfg_;
  core::SparseCodec codec_;
  core::RowGeometry geo_;
  int64_t rows_;
  std::vector<uint8_t> bytes_;
  int64_t m_;
  std::vector<int32_t> inputs_;
  std::vector<int64_t> out_, row_entries_, row_offset_;
  std::vector<Pe> pes_;
  int64_t cycle_ = 0;
};

}  // namespace npusim::testing

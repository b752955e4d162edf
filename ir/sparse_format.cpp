#include "ir/sparse_format.h"

#include <algorithm>
#include <stdexcept>

namespace npusim::core {
namespace {

// Values of group `pos` of a row: [begin, end) in the row's tile order.
void GroupSpan(const RowGeometry& geo, int64_t pos, int64_t* begin, int64_t* end) {
  const int64_t gps = geo.groups_per_segment();
  const int64_t s = pos / gps, j = pos % gps;
  *begin = s * geo.segment_len + j * geo.group_width;
  *end = std::min(*begin + geo.group_width, (s + 1) * geo.segment_len);
}

bool GroupIsZero(const SparseCodec& c, const RowGeometry& geo, const int32_t* row, int64_t pos) {
  int64_t b, e;
  GroupSpan(geo, pos, &b, &e);
  for (int64_t i = b; i < e; ++i) {
    if (row[i] != c.zero_point) return false;
  }
  return true;
}

void PutLe(std::vector<uint8_t>& out, int64_t v, int bytes) {
  for (int b = 0; b < bytes; ++b)
    out.push_back(static_cast<uint8_t>((static_cast<uint64_t>(v) >> (8 * b)) & 0xff));
}

int64_t GetLe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int b = 0; b < bytes; ++b) v |= static_cast<uint64_t>(p[b]) << (8 * b);
  return static_cast<int64_t>(v);
}

int32_t GetValue(const SparseCodec& c, const uint8_t* p) {
  const int64_t u = GetLe(p, c.value_bytes);
  if (!c.is_signed) return static_cast<int32_t>(u);
  return c.value_bytes == 1 ? static_cast<int8_t>(u) : static_cast<int16_t>(u);
}

// Walks the entries of one row: calls emit(pos, skip) for every entry (padding included), where
// skip is the relative index. Returns the entry count.
template <typename Emit>
int64_t WalkRow(const SparseCodec& c, const RowGeometry& geo, const int32_t* row, Emit emit) {
  int64_t entries = 0, next = 0;  // next: the first position not yet covered
  const int64_t groups = geo.groups();
  for (int64_t pos = 0; pos < groups; ++pos) {
    if (GroupIsZero(c, geo, row, pos)) continue;
    while (pos - next > c.max_skip()) {  // the gap exceeds the index range: a padding entry
      next += c.max_skip();
      emit(next, c.max_skip());
      ++next;
      ++entries;
    }
    emit(pos, pos - next);
    next = pos + 1;
    ++entries;
  }
  return entries;
}

}  // namespace

const char* WeightFormatName(WeightFormat f) {
  switch (f) {
    case WeightFormat::kSimdGroups: return "simd_groups";
    case WeightFormat::kCsr: return "csr";
    case WeightFormat::kPacked: return "packed";
    case WeightFormat::kDense: break;
  }
  return "dense";
}

bool WeightFormatFromName(const std::string& name, WeightFormat* f) {
  for (WeightFormat x :
       {WeightFormat::kDense, WeightFormat::kSimdGroups, WeightFormat::kCsr, WeightFormat::kPacked}) {
    if (name == WeightFormatName(x)) {
      *f = x;
      return true;
    }
  }
  return false;
}

RowGeometry MakeRowGeometry(int64_t taps, int64_t tile_ic, int64_t layer_icg, int64_t group_width) {
  return TileRowGeometry(taps, tile_ic, layer_icg < group_width, group_width);
}

RowGeometry TileRowGeometry(int64_t taps, int64_t tile_ic, bool groups_span_taps, int64_t group_width) {
  RowGeometry g;
  g.group_width = group_width;
  if (!groups_span_taps) {
    g.segments = taps;
    g.segment_len = tile_ic;
  } else {
    g.segments = 1;
    g.segment_len = taps * tile_ic;
  }
  return g;
}

SparseCodec MakeCodec(WeightFormat f, int simd_width, int index_bits, int weight_bits, bool is_signed,
                      int32_t zero_point) {
  SparseCodec c;
  c.format = f;
  c.group_width = f == WeightFormat::kCsr ? 1 : simd_width;
  c.index_bits = index_bits;
  c.value_bytes = weight_bits <= 8 ? 1 : 2;
  c.is_signed = is_signed;
  c.zero_point = zero_point;
  return c;
}

int64_t RowEntries(const SparseCodec& codec, const RowGeometry& geo, const int32_t* row) {
  if (codec.format == WeightFormat::kDense) return geo.groups();
  return WalkRow(codec, geo, row, [](int64_t, int64_t) {});
}

int64_t TileBytes(const SparseCodec& codec, const RowGeometry& geo, const std::vector<int64_t>& row_entries) {
  const int64_t rows = static_cast<int64_t>(row_entries.size());
  if (codec.format == WeightFormat::kDense) return rows * geo.values() * codec.value_bytes;
  int64_t entries = 0;
  for (int64_t e : row_entries) entries += e;
  return rows * kRowHeaderBytes + entries * codec.entry_bytes();
}

std::vector<uint8_t> EncodeTile(const SparseCodec& codec, const RowGeometry& geo, int64_t rows,
                                const int32_t* values) {
  std::vector<uint8_t> out;
  const int64_t n = geo.values();
  if (codec.format == WeightFormat::kDense) {
    for (int64_t i = 0; i < rows * n; ++i) PutLe(out, values[i], codec.value_bytes);
    return out;
  }
  out.resize(rows * kRowHeaderBytes);
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t* row = values + r * n;
    const int64_t entries = WalkRow(codec, geo, row, [&](int64_t pos, int64_t skip) {
      PutLe(out, skip, codec.index_bytes());
      int64_t b, e;
      GroupSpan(geo, pos, &b, &e);
      for (int64_t i = 0; i < codec.group_width; ++i) {
        PutLe(out, b + i < e ? row[b + i] : codec.zero_point, codec.value_bytes);
      }
    });
    if (entries > kMaxRowEntries) {
      throw std::invalid_argument("weight row " + std::to_string(r) + " needs " + std::to_string(entries) +
                                  " entries, more than the row header's " + std::to_string(kMaxRowEntries));
    }
    out[r * kRowHeaderBytes] = static_cast<uint8_t>(entries & 0xff);
    out[r * kRowHeaderBytes + 1] = static_cast<uint8_t>(entries >> 8);
  }
  return out;
}

std::vector<int64_t> TileRowEntries(const SparseCodec& codec, const RowGeometry& geo, int64_t rows,
                                    const uint8_t* bytes, int64_t size) {
  if (codec.format == WeightFormat::kDense) return std::vector<int64_t>(rows, geo.groups());
  if (size < rows * kRowHeaderBytes) {
    throw std::invalid_argument("compressed weight tile of " + std::to_string(size) +
                                " bytes is shorter than its header of " + std::to_string(rows) + " rows");
  }
  std::vector<int64_t> out(rows);
  for (int64_t r = 0; r < rows; ++r) out[r] = GetLe(bytes + r * kRowHeaderBytes, kRowHeaderBytes);
  return out;
}

std::vector<int32_t> DecodeTile(const SparseCodec& codec, const RowGeometry& geo, int64_t rows,
                                const uint8_t* bytes, int64_t size, std::vector<int64_t>* row_entries) {
  const int64_t n = geo.values();
  std::vector<int32_t> out(rows * n, codec.zero_point);
  std::vector<int64_t> counts = TileRowEntries(codec, geo, rows, bytes, size);
  if (codec.format == WeightFormat::kDense) {
    if (size < rows * n * codec.value_bytes) throw std::invalid_argument("dense weight tile is too short");
    for (int64_t i = 0; i < rows * n; ++i) out[i] = GetValue(codec, bytes + i * codec.value_bytes);
    if (row_entries) *row_entries = counts;
    return out;
  }
  int64_t off = rows * kRowHeaderBytes;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t pos = -1;
    for (int64_t k = 0; k < counts[r]; ++k) {
      if (off + codec.entry_bytes() > size) {
        throw std::invalid_argument("row " + std::to_string(r) + ": entry " + std::to_string(k) +
                                    " at byte " + std::to_string(off) + " runs past the tile's " +
                                    std::to_string(size) + " bytes");
      }
      pos += 1 + GetLe(bytes + off, codec.index_bytes());
      if (pos >= geo.groups()) {
        throw std::invalid_argument("row " + std::to_string(r) + ": entry " + std::to_string(k) +
                                    " at byte " + std::to_string(off) + " points at group " +
                                    std::to_string(pos) + " of a row of " + std::to_string(geo.groups()));
      }
      off += codec.index_bytes();
      int64_t b, e;
      GroupSpan(geo, pos, &b, &e);
      for (int64_t i = 0; i < codec.group_width; ++i, off += codec.value_bytes) {
        if (b + i < e) out[r * n + b + i] = GetValue(codec, bytes + off);
      }
    }
  }
  if (row_entries) *row_entries = counts;
  return out;
}

int64_t PackedBytes(int64_t values, int bits) { return (values * bits + 7) / 8; }

std::vector<uint8_t> PackValues(const int32_t* values, int64_t n, int bits, bool is_signed) {
  std::vector<uint8_t> out(static_cast<size_t>(PackedBytes(n, bits)));
  const bool binary = bits == 1 && is_signed;
  const uint32_t mask = (uint32_t{1} << bits) - 1;
  // The stream's bits not yet written, least significant first: fewer than 8 between values,
  // so at most 7 + 16 are held.
  uint32_t pending = 0;
  int held = 0;
  uint8_t* o = out.data();
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t code = binary ? (values[i] > 0 ? 1u : 0u) : static_cast<uint32_t>(values[i]) & mask;
    pending |= code << held;
    held += bits;
    for (; held >= 8; held -= 8, pending >>= 8) *o++ = static_cast<uint8_t>(pending);
  }
  if (held > 0) *o = static_cast<uint8_t>(pending);  // the last byte, padded with zeros
  return out;
}

namespace {

// Widths that divide a byte: every byte holds 8 / bits whole values, decoded by a table:
// [byte * (8 / bits) + slot], for bits 1, 2, 4 (index 0, 1, 2) x unsigned, signed; built once
// (thread-safe static init).
const std::vector<int32_t>& TableFor(int bits, bool is_signed) {
  static const std::vector<std::vector<int32_t>> tables = [] {
    std::vector<std::vector<int32_t>> t;
    for (int w : {1, 2, 4}) {
      for (bool sig : {false, true}) {
        const int per = 8 / w;
        std::vector<int32_t> v(256 * per);
        for (int b = 0; b < 256; ++b) {
          const uint8_t byte = static_cast<uint8_t>(b);
          UnpackValuesGeneric(&byte, per, w, sig, &v[b * per]);
        }
        t.push_back(std::move(v));
      }
    }
    return t;
  }();
  return tables[(bits == 1 ? 0 : bits == 2 ? 1 : 2) * 2 + (is_signed ? 1 : 0)];
}

}  // namespace

void UnpackValues(const uint8_t* bytes, int64_t n, int bits, bool is_signed, int32_t* out) {
  if (bits == 1 || bits == 2 || bits == 4) {
    const int per = 8 / bits;
    const std::vector<int32_t>& t = TableFor(bits, is_signed);
    const int64_t whole = n / per;
    for (int64_t i = 0; i < whole; ++i) {
      const int32_t* v = &t[bytes[i] * per];
      for (int k = 0; k < per; ++k) out[i * per + k] = v[k];
    }
    if (whole * per < n)
      UnpackValuesGeneric(bytes + whole, n - whole * per, bits, is_signed, out + whole * per);
    return;
  }
  UnpackValuesGeneric(bytes, n, bits, is_signed, out);
}

void UnpackValuesGeneric(const uint8_t* bytes, int64_t n, int bits, bool is_signed, int32_t* out) {
  const int64_t size = PackedBytes(n, bits);
  const bool binary = bits == 1 && is_signed;
  const uint32_t mask = (uint32_t{1} << bits) - 1;
  const uint32_t sign = uint32_t{1} << (bits - 1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = i * bits, b = bit / 8;
    uint32_t window = 0;
    for (int64_t k = 0; k < 3 && b + k < size; ++k) window |= uint32_t{bytes[b + k]} << (8 * k);
    const uint32_t code = (window >> (bit % 8)) & mask;
    if (binary) {
      out[i] = code != 0 ? 1 : -1;
    } else if (is_signed) {
      out[i] = static_cast<int32_t>(code ^ sign) - static_cast<int32_t>(sign);
    } else {
      out[i] = static_cast<int32_t>(code);
    }
  }
}

}  // namespace npusim::core

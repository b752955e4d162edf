// Compressed weight formats of the Scalpel-style sparse unit (Yu et al., "Scalpel: Customizing DNN
// Pruning to the Underlying Hardware Parallelism", ISCA 2017, section 4). Pure C++: the compiler
// encodes weight tiles with it into the DRAM image, the SparseArray decodes the bytes its DMA
// moved, the pruning passes use the same group geometry, and tests check round trips.
//
// A weight tile is `rows` output channels (OHWI order: per row, the kernel taps outer, the tile's
// input channels inner). Each row's reduction sequence is cut into segments and each segment into
// aligned groups of `group_width` consecutive values (RowGeometry):
//   - when the layer has at least group_width input channels per group (icg >= group_width), one
//     segment per kernel tap, of the tile's input channels: groups are aligned runs along the
//     input-channel axis, so tiles that cut the channels at multiples of group_width see the same
//     groups as the whole tensor;
//   - otherwise (depthwise, the RGB first layer) one segment of taps * icg values: groups run along
//     the flattened (tap, channel) order, and tiles never cut the channels.
// The last group of a segment may be partial (its missing lanes hold the zero point).
//
// Formats (docs/formats.md, "Compressed weights"):
//   dense        the values as they are, no header (rows * taps * ic values);
//   simd_groups  Scalpel's SIMD-aware format: per row, the non-zero groups only, each as one entry
//                {relative index, group_width values}; csr is the same with group_width 1 (one
//                index per non-zero value: CSR with relative column indices, as in Deep
//                Compression).
// Compressed tile bytes: a header of one uint16 entry count per row, then the rows' entries in row
// order. An entry is the relative index (little-endian, ceil(index_bits / 8) bytes) followed by
// group_width values (1 byte each for <= 8-bit weights, 2 for <= 16). The relative index is the
// number of all-zero groups skipped since the previous entry of the row (or since the row's start).
// A gap longer than 2^index_bits - 1 groups is bridged by padding entries: an all-zero group at
// index 2^index_bits - 1, which the unit processes like any other entry (it costs a cycle and its
// bytes). A group is zero when every value equals the weights' zero point.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npusim::core {

// kPacked: dense weights at their own bit width (PackValues below), on units with
// "packed_weights"; the sparse formats are a sparse_array's.
enum class WeightFormat : uint8_t { kDense, kSimdGroups, kCsr, kPacked };
const char* WeightFormatName(WeightFormat f);  // "dense", "simd_groups", "csr", "packed"
// False for an unknown name.
bool WeightFormatFromName(const std::string& name, WeightFormat* f);

struct RowGeometry {
  int64_t segments = 1;     // per row
  int64_t segment_len = 1;  // values per segment
  int64_t group_width = 1;
  int64_t groups_per_segment() const { return (segment_len + group_width - 1) / group_width; }
  int64_t groups() const { return segments * groups_per_segment(); }
  int64_t values() const { return segments * segment_len; }  // per row
};
// taps = kh * kw; tile_ic: input channels of the tile; layer_icg: input channels per group of the
// layer (decides the segment rule above).
RowGeometry MakeRowGeometry(int64_t taps, int64_t tile_ic, int64_t layer_icg, int64_t group_width);
// The same with the rule's outcome given: groups_span_taps = layer_icg < group_width.
RowGeometry TileRowGeometry(int64_t taps, int64_t tile_ic, bool groups_span_taps, int64_t group_width);

struct SparseCodec {
  WeightFormat format = WeightFormat::kDense;
  int group_width = 1;  // values per entry: the unit's simd_width for simd_groups, 1 for csr
  int index_bits = 8;   // 1..16
  int value_bytes = 1;  // 1 (<= 8-bit weights) or 2 (<= 16)
  bool is_signed = true;
  int32_t zero_point = 0;
  int index_bytes() const { return (index_bits + 7) / 8; }
  int64_t entry_bytes() const { return index_bytes() + int64_t{group_width} * value_bytes; }
  int64_t max_skip() const { return (int64_t{1} << index_bits) - 1; }
};
constexpr int64_t kMaxRowEntries = 65535;  // the uint16 row header
constexpr int kRowHeaderBytes = 2;

// The codec of a format on a unit with `simd_width` lanes (csr: group width 1).
SparseCodec MakeCodec(WeightFormat f, int simd_width, int index_bits, int weight_bits, bool is_signed,
                      int32_t zero_point);

// Entries row `row` (values in tile order, geo.values() of them) needs: its non-zero groups plus
// padding entries. For dense: geo.groups() (every group is walked).
int64_t RowEntries(const SparseCodec& codec, const RowGeometry& geo, const int32_t* row);
// Bytes of a tile whose rows have these entry counts.
int64_t TileBytes(const SparseCodec& codec, const RowGeometry& geo, const std::vector<int64_t>& row_entries);

// Encodes `rows` rows of geo.values() values each (tile order, contiguous). Throws
// std::invalid_argument when a row needs more than kMaxRowEntries entries (the compiler's tiling
// keeps tiles below that).
std::vector<uint8_t> EncodeTile(const SparseCodec& codec, const RowGeometry& geo, int64_t rows,
                                const int32_t* values);

// Decodes a tile into rows * geo.values() values (zero point where nothing is stored), and fills
// `row_entries` (if given) with each row's entry count. Throws std::invalid_argument naming the
// row and the byte offset when the bytes are inconsistent (an index past the row's end, a tile
// shorter than its header says).
std::vector<int32_t> DecodeTile(const SparseCodec& codec, const RowGeometry& geo, int64_t rows,
                                const uint8_t* bytes, int64_t size,
                                std::vector<int64_t>* row_entries = nullptr);
// Only the header: each row's entry count (dense: geo.groups() each).
std::vector<int64_t> TileRowEntries(const SparseCodec& codec, const RowGeometry& geo, int64_t rows,
                                    const uint8_t* bytes, int64_t size);

// Packed weights (docs/formats.md, "Packed weights"): a tile's values in tile order, `bits` bits
// each, value i in bits [i * bits, (i + 1) * bits) of a little-endian bit stream (least
// significant bit first within each byte), the tile padded to a whole byte. A value is stored as
// its `bits`-bit two's complement (signed) or plain binary (unsigned) code; binary weights (signed
// 1-bit, values -1 and +1) store +1 as 1 and -1 as 0. bits is 1..16.
int64_t PackedBytes(int64_t values, int bits);
std::vector<uint8_t> PackValues(const int32_t* values, int64_t n, int bits, bool is_signed);
// Decodes n values from PackedBytes(n, bits) bytes.
void UnpackValues(const uint8_t* bytes, int64_t n, int bits, bool is_signed, int32_t* out);
// The same, value by value (UnpackValues decodes 1-, 2- and 4-bit weights by a byte table).
void UnpackValuesGeneric(const uint8_t* bytes, int64_t n, int bits, bool is_signed, int32_t* out);
// True when packing a tensor of this width saves memory over one element per 1 or 2 bytes.
inline bool PackingSaves(int bits) { return bits != 8 && bits < 16; }

}  // namespace npusim::core

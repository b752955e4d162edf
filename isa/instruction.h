// The npusim instruction set. The compiler emits a Program; the Controller dispatches each
// instruction to the queue of the unit that runs it; units run concurrently and in order within
// their queue. docs/isa.md describes every field.
//
// Addresses are global: DRAM occupies [0, capacity); on-chip buffer number i (in arch order)
// occupies [BufferBase(i), BufferBase(i) + size). Synchronisation is by dependency tokens: an
// instruction carries the ids of the instructions whose completion it waits for (the compiler's
// schedule pass derives them from the address ranges each instruction reads and writes).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ir/sparse_format.h"

namespace npusim::isa {

constexpr int kAddressSpaceShift = 40;
inline uint64_t BufferBase(int buffer_index) {
  return static_cast<uint64_t>(buffer_index + 1) << kAddressSpaceShift;
}
// -1 for DRAM, else the buffer index.
inline int AddressSpace(uint64_t addr) { return static_cast<int>(addr >> kAddressSpaceShift) - 1; }

enum class Opcode { kLoad, kStore, kConv, kRequant, kAdd, kMul, kLookup, kPool };
enum class Queue { kLoad, kStore, kCompute, kPost };
constexpr int kNumQueues = 4;
const char* OpcodeName(Opcode op);
const char* QueueName(Queue q);
Queue QueueOf(Opcode op);

// A 3-D strided transfer: planes x rows x row_bytes. Byte (p, r, b) moves from
// src + p*src_stride[1] + r*src_stride[0] + b to dst + p*dst_stride[1] + r*dst_stride[0] + b.
struct DmaArgs {
  uint64_t src = 0, dst = 0;
  int64_t row_bytes = 0, rows = 1, planes = 1;
  std::array<int64_t, 2> src_stride{0, 0};
  std::array<int64_t, 2> dst_stride{0, 0};
  int64_t bytes() const { return row_bytes * rows * planes; }
};

// Operand element type in a buffer: bytes per element 1 (<= 8 bits), 2 (<= 16), 4 (32).
struct ElemType {
  int bits = 8;
  bool is_signed = true;
  int bytes() const { return bits <= 8 ? 1 : bits <= 16 ? 2 : 4; }
};

// The dataflow a CONV instruction asks of a reconfigurable array; kUnit: the unit's own (every
// other matrix unit ignores the mapping fields).
enum class Dataflow : uint8_t { kUnit, kWs, kOs, kIs };
// Inline: the timing kernels (which link isa before it in some link lines) use them.
inline const char* DataflowName(Dataflow d) {  // "unit", "ws", "os", "is"
  switch (d) {
    case Dataflow::kWs: return "ws";
    case Dataflow::kOs: return "os";
    case Dataflow::kIs: return "is";
    case Dataflow::kUnit: break;
  }
  return "unit";
}
inline Dataflow DataflowFromName(const std::string& name) {  // kUnit for an unknown name
  if (name == "ws") return Dataflow::kWs;
  if (name == "os") return Dataflow::kOs;
  if (name == "is") return Dataflow::kIs;
  return Dataflow::kUnit;
}

// Convolution tile on the matrix unit (FC/matmul is a 1x1 conv on an M x 1 image).
// Input tile in_addr: [in_h][in_w][in_c] elements, contiguous. Logical input row
// y = oy*stride_h + ky*dilation_h - pad_top maps to tile row y; rows outside [0, in_h) (and
// columns outside [0, in_w)) are padding and read as the input zero point.
// Weights w_addr: [out_c][kh][kw][in_c / groups] contiguous. Accumulators acc_addr: int32
// [out_h*out_w][out_c]. Params params_addr: per output channel 12 bytes {bias int32,
// multiplier (float32 bits or fixed int32), shift int32}; bias is read when init_bias is set.
// groups > 1: in_c = groups*icg, out_c = groups*ocg, group g reads channels [g*icg, (g+1)*icg).
struct ConvArgs {
  uint64_t in_addr = 0, w_addr = 0, params_addr = 0, acc_addr = 0;
  int64_t in_h = 1, in_w = 1, in_c = 1;
  int64_t out_h = 1, out_w = 1, out_c = 1;
  int64_t kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t groups = 1;
  ElemType in_type, w_type;
  int32_t in_zero_point = 0, w_zero_point = 0;
  // true: this tile starts the accumulation (accumulators := bias or 0); false: add to them.
  bool first = true;
  bool init_bias = false;
  // Mapping on a reconfigurable array (models/timing/partition_timing.h): part_rows x part_cols
  // independent arrays, the GEMM split split_m x split_n x split_k over them (split_n divides the
  // groups of a grouped conv), running `dataflow`. 1/1/1/1/1: the monolithic array.
  int32_t part_rows = 1, part_cols = 1;
  int32_t split_m = 1, split_n = 1, split_k = 1;
  Dataflow dataflow = Dataflow::kUnit;
  // The weight tile's format, as the layer's weight store keeps it (compiler/passes/weight_store.h):
  // kDense, the layout above; kPacked, w_bytes bytes at the weights' width; or a sparse array's
  // compressed format (ir/sparse_format.h), w_bytes bytes whose groups run along the flattened
  // (tap, channel) order when w_groups_span_taps, else along the channels of each tap.
  core::WeightFormat w_format = core::WeightFormat::kDense;
  int64_t w_bytes = 0;
  bool w_groups_span_taps = false;
  // Sparse arrays: the tile's entry count per row (what its row headers hold, in every format)
  // is Program::weight_tile_rows[w_tile]; -1 on every other unit. The unit's cycles and counts
  // follow it whether or not the bytes were moved (timing mode moves none), and exact mode checks
  // it against the headers the unit finds in its buffer.
  int32_t w_tile = -1;
  // A line buffer: when in_ring_bytes > 0, the input tile lies in the ring
  // [in_ring_base, in_ring_base + in_ring_bytes) and wraps: tile byte i is at
  // in_ring_base + (in_addr - in_ring_base + i) mod in_ring_bytes. 0: contiguous from in_addr.
  uint64_t in_ring_base = 0;
  int64_t in_ring_bytes = 0;
};

// Bytes of the instruction's input tile.
inline int64_t InputTileBytes(const ConvArgs& c) { return c.in_h * c.in_w * c.in_c * c.in_type.bytes(); }

// The byte ranges [begin, end) the input tile occupies: one, or two when it wraps in its ring.
inline std::vector<std::pair<uint64_t, uint64_t>> InputTileRanges(const ConvArgs& c) {
  const uint64_t n = static_cast<uint64_t>(InputTileBytes(c));
  if (c.in_ring_bytes <= 0) return {{c.in_addr, c.in_addr + n}};
  const uint64_t ring_end = c.in_ring_base + static_cast<uint64_t>(c.in_ring_bytes);
  if (c.in_addr + n <= ring_end) return {{c.in_addr, c.in_addr + n}};
  return {{c.in_addr, ring_end}, {c.in_ring_base, c.in_ring_base + (c.in_addr + n - ring_end)}};
}

// Bytes of the instruction's weight tile in the buffer: one element per 1 or 2 bytes (dense), or
// w_bytes (packed at the weights' width, or a sparse array's compressed tile).
inline int64_t WeightTileBytes(const ConvArgs& c) {
  return c.w_format == core::WeightFormat::kDense
             ? c.out_c * c.kh * c.kw * (c.in_c / c.groups) * c.w_type.bytes()
             : c.w_bytes;
}

// Requantize accumulators [count][channels] (int32) to out_addr [count][channels] elements, with
// per-channel parameters at params_addr (12 bytes each, see ConvArgs). A 32-bit out_type is the
// post-processor's pass-through: the accumulators are written unchanged, 4 bytes each (ONNX
// ConvInteger / MatMulInteger), and neither the parameters nor the zero point and clamp are used.
struct RequantArgs {
  uint64_t acc_addr = 0, params_addr = 0, out_addr = 0;
  int64_t count = 1, channels = 1;
  ElemType out_type;
  int32_t out_zero_point = 0, out_min = -128, out_max = 127;
  bool passthrough() const { return out_type.bits == 32; }
};

// ADD, MUL and LOOKUP: `count` output elements from `count` elements of a and `b_count` of b.
// ADD: b_count == count. MUL: b_count == count, or the channel count C (element i uses
// b[i % C]: chunks start at a pixel). LOOKUP: b is the table (b_count = 2^bits(a) entries of
// out_type), y = b[a - qmin(a)]; scales and zero points are unused.
struct EltwiseArgs {
  uint64_t a_addr = 0, b_addr = 0, out_addr = 0;
  int64_t count = 0, b_count = 0;
  ElemType a_type, b_type, out_type;
  int32_t a_zero_point = 0, b_zero_point = 0, out_zero_point = 0, out_min = -128, out_max = 127;
  float a_scale = 1, b_scale = 1, out_scale = 1;
};

enum class PoolKind { kMax, kAvg };
// Pool tile: input [in_h][in_w][c] with padding offsets as in ConvArgs; output [out_h][out_w][c].
struct PoolArgs {
  uint64_t in_addr = 0, out_addr = 0;
  PoolKind kind = PoolKind::kMax;
  int64_t in_h = 1, in_w = 1, c = 1, out_h = 1, out_w = 1;
  int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
  // The tile holds every in-image row and column its windows read, so a tap outside the tile is
  // padding: ignored by max, and counted by avg only when count_include_pad is set.
  bool count_include_pad = false;
  bool float_accumulate = false;  // avg: core::FloatAveragePool instead of the integer sum
  ElemType in_type, out_type;
  int32_t in_zero_point = 0, out_zero_point = 0, out_min = -128, out_max = 127;
  float in_scale = 1, out_scale = 1;
};

struct Instruction {
  int64_t id = 0;
  Opcode op = Opcode::kLoad;
  int layer = -1;             // index of the network op it belongs to
  std::vector<int64_t> deps;  // ids of earlier instructions that must complete first

  // The operands of `op`: dma() for kLoad/kStore, conv() for kConv, requant(), eltwise() for
  // kAdd/kMul/kLookup, pool(). Only one is stored (a program of a large network on a small arch has ~10^6
  // instructions). The non-const accessors select that kind of operands (default values) if another is held;
  // the const ones require the kind to be held.
  DmaArgs& dma() { return Select<DmaArgs>(); }
  ConvArgs& conv() { return Select<ConvArgs>(); }
  RequantArgs& requant() { return Select<RequantArgs>(); }
  EltwiseArgs& eltwise() { return Select<EltwiseArgs>(); }
  PoolArgs& pool() { return Select<PoolArgs>(); }
  const DmaArgs& dma() const { return std::get<DmaArgs>(args_); }
  const ConvArgs& conv() const { return std::get<ConvArgs>(args_); }
  const RequantArgs& requant() const { return std::get<RequantArgs>(args_); }
  const EltwiseArgs& eltwise() const { return std::get<EltwiseArgs>(args_); }
  const PoolArgs& pool() const { return std::get<PoolArgs>(args_); }

 private:
  template <typename T>
  T& Select() {
    if (!std::holds_alternative<T>(args_)) args_ = T{};
    return std::get<T>(args_);
  }
  std::variant<DmaArgs, ConvArgs, RequantArgs, EltwiseArgs, PoolArgs> args_;
};

// An initial DRAM image segment (weights, parameters, network inputs).
struct DramSegment {
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;
  std::string what;  // e.g. "conv1 weights"
};

// Where a network tensor lives in DRAM.
struct TensorPlacement {
  std::string name;
  uint64_t addr = 0;
  std::vector<int64_t> shape;
  ElemType type;
};

// The mapping choices for one layer, for `npusim compile` and the report.
struct LayerMapping {
  std::string name, op, unit;
  std::string tiling;  // human-readable tile sizes and loop order
  int64_t tiles = 0;
  int64_t estimated_cycles = 0;
  // Reconfigurable arrays only (empty / 0 otherwise): the chosen partition and dataflow
  // ("2x1 arrays of 64x128, split m2 n1 k1, ws"), why ("best cycles", "forced by arch"), and the
  // runner-up; compute-cycle and energy estimates of the layer's CONV instructions under each, and
  // under the best monolithic single-dataflow configuration.
  std::string mapping, mapping_reason, runner_up, monolithic;
  int64_t mapping_cycles = 0, runner_up_cycles = 0, monolithic_cycles = 0;
  double mapping_energy_pj = 0, runner_up_energy_pj = 0, monolithic_energy_pj = 0;
  double mapping_efficiency = 0;  // useful MACs / (mapping_cycles * PEs of the whole array)
  int64_t candidates = 0;         // configurations evaluated
  // Conv/FC layers: the format its weights are stored in ("dense", or a sparse array's
  // "simd_groups" / "csr") and their bytes in DRAM (row headers and indices included).
  std::string weight_format;
  int64_t weight_bytes = 0;
  // The fusion group the layer runs in (compiler/passes/fusion.h): the index of the group's first
  // layer, or -1 when it runs alone; and the cost model's view of the whole group against its
  // layers each run alone (the same in every layer of the group).
  int group = -1;
  int64_t group_estimated_cycles = 0, group_estimated_dram_bytes = 0;
  int64_t group_unfused_cycles = 0, group_unfused_dram_bytes = 0;
  // The energy terms that tell the two apart (compiler/passes/objective.h), in pJ.
  double group_estimated_energy_pj = 0, group_unfused_energy_pj = 0;
  // A conv layer that does not run fused with the next op: why ("" otherwise, or with fusion off).
  std::string fusion_note;
};

struct Program {
  std::vector<Instruction> instructions;
  std::vector<DramSegment> dram_init;
  std::vector<TensorPlacement> inputs;   // network inputs to write into DRAM before the run
  std::vector<TensorPlacement> outputs;  // network outputs to read back after the run
  std::vector<LayerMapping> layers;      // one per network op
  // Per weight tile of a sparse array (ConvArgs::w_tile): its rows' entry counts. One entry per
  // tile, however many CONV instructions reuse it.
  std::vector<std::vector<int64_t>> weight_tile_rows;
  uint64_t dram_bytes_used = 0;
  // How it was compiled (compiler::CompileOptions, resolved): "auto" or "none", and the objective.
  std::string fusion = "none", objective = "cycles";
};

// Readable listing, one instruction per line (docs/isa.md shows an example).
std::string FormatInstruction(const Instruction& in);
std::string Listing(const Program& p);

}  // namespace npusim::isa

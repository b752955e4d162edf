// Shared state of the compiler passes (internal to compiler/).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/passes/objective.h"
#include "config/arch.h"
#include "config/unit_kind.h"
#include "ir/graph.h"
#include "ir/int_math.h"
#include "isa/instruction.h"
#include "models/timing/unit_timing.h"
#include "models/timing/unit_timing_reconfig.h"

namespace npusim::compiler {

// A conv or FC layer seen as a convolution on an NHWC image (FC: H = M, W = 1, C = K).
struct ConvView {
  int op_index = 0;
  const core::Op* op = nullptr;
  const core::TensorInfo* x = nullptr;
  const core::TensorInfo* w = nullptr;
  const core::TensorInfo* bias = nullptr;  // may be null
  const core::TensorInfo* y = nullptr;
  int64_t h = 1, w_ = 1, c = 1, oh = 1, ow = 1, oc = 1, kh = 1, kw = 1;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, groups = 1;
  int64_t icg() const { return c / groups; }
  int64_t ocg() const { return oc / groups; }
};
ConvView MakeConvView(const core::Graph& g, int op_index);

class SparseWeights;  // compiler/passes/sparse_weights.h
struct PlannedConv;   // compiler/passes/weight_store.h

// The replacement policy of two slots: a block found in either is used again; else it replaces
// the one not used last (and must be loaded). One policy for the emitters (string keys, SlotPair)
// and the fusion planner's replay of their weight loads (integer ids), so the two cannot drift.
template <class Key>
struct TwoSlotLru {
  std::array<Key, 2> key;
  int last_used = 1;
  // Returns the slot holding `k`, or picks the least recently used one, gives it `k` and sets
  // *load.
  int Acquire(const Key& k, bool* load) {
    for (int s = 0; s < 2; ++s) {
      if (key[s] == k) {
        last_used = s;
        *load = false;
        return s;
      }
    }
    last_used ^= 1;
    key[last_used] = k;
    *load = true;
    return last_used;
  }
};

// Two equal slots of one buffer (double buffering), with the key of the block each holds so an
// emitter can reuse a tile instead of loading it again.
struct SlotPair : TwoSlotLru<std::string> {
  int buffer = -1;  // arch buffer index
  uint64_t base[2] = {0, 0};
  int64_t bytes = 0;
  int NextFree() {
    last_used ^= 1;
    key[last_used].clear();
    return last_used;
  }
  void Invalidate() { key = {"", ""}; }
};

struct Buffers {
  SlotPair in, w, acc, out;
};

// ceil(n / per) as a double: tiles counted against the instruction budget before emission (the
// totals may exceed what an int64 holds).
inline double InstructionTiles(int64_t n, int64_t per) { return static_cast<double>(core::CeilDiv(n, per)); }

struct Context {
  const core::Graph* graph = nullptr;
  const core::ArchConfig* arch = nullptr;
  const core::UnitConfig* unit = nullptr;
  std::string net_file;
  isa::Program program;
  std::map<std::string, uint64_t> tensor_addr;  // DRAM address of each tensor
  std::map<int, uint64_t> params_addr;          // per conv/FC op: per-channel params blob
  Buffers buffers;
  int current_layer = -1;
  // Reconfigurable arrays: the mapping the tiling's cost model assumes for the layer being tiled
  // (nullptr: the unit's default), and the partition the array is left in by the last layer.
  const models::timing::ArrayMapping* conv_mapping = nullptr;
  models::timing::Partition last_partition;
  // Sparse arrays: the layer's weights in the format being tiled (WeightStore::sparse(); nullptr
  // for the other stores).
  SparseWeights* sparse = nullptr;
  uint64_t dram_next = 0;            // the next free DRAM address (AllocateDram, then compressed weights)
  bool fusion = true;                // CompileOptions::fusion != kNone
  bool plan_memo = true;             // CompileOptions::plan_memo
  std::string objective = "cycles";  // CompileOptions::objective, resolved (never "")
  // ConvEnergyPj by (m, k, n, groups, weight bits, input bits): the objective's estimates ask
  // for the same tile shapes again and again (TiledConvEnergy).
  struct ShapeHash {  // also keys the tiling search's cycles per GEMM shape (tiling.cpp)
    template <size_t N>
    size_t operator()(const std::array<int64_t, N>& a) const {
      size_t h = 0;
      for (int64_t x : a) h = h * 1000003u ^ std::hash<int64_t>()(x);
      return h;
    }
  };
  mutable std::unordered_map<std::array<int64_t, 6>, double, ShapeHash> conv_energy;
  // MatrixUnitCycles by (m, k, n, groups, weight bits, input bits) under the unit's own mapping:
  // the fusion planner's group estimates ask for the same CONV shapes again and again.
  mutable std::unordered_map<std::array<int64_t, 6>, int64_t, ShapeHash> unit_cycles;
  int64_t UnitCycles(const models::timing::GemmShape& gemm, int w_bits, int x_bits) const;
  PlanEnergy plan_energy;                // PlanEnergyOf(arch, unit), once per compile
  int64_t max_instructions = INT64_MAX;  // CompileOptions::max_instructions
  // Layers the fusion planner tiled alone to compare with groups, for EmitConv (PlanConv).
  std::map<int, std::shared_ptr<PlannedConv>> planned;
  mutable const core::UnitConfig* storage_of_ = nullptr;  // the unit storage_ was resolved for
  mutable core::WeightStorage storage_;

  // The matrix unit's weight storage (core::UnitKindOf(*unit).Storage(*unit)), resolved on the
  // first call for `unit`: the tiling search asks for it once or twice per candidate.
  const core::WeightStorage& storage() const;

  // Appends an instruction of layer `current_layer`; throws the instruction budget's ConfigError
  // when the program already has `max_instructions`.
  isa::Instruction& Emit(isa::Opcode op);
  // Throws the instruction budget's ConfigError, naming layer `op_index`, when `more` instructions
  // (a lower bound of what the layer is about to emit) would take the program beyond the limit.
  void CheckInstructionBudget(double more, int op_index) const;
};

isa::ElemType TypeOf(const core::TensorInfo& t);

// A tile of an NHWC tensor in DRAM: rows [y, y + rows), columns [x, x + cols), channels
// [c0, c0 + n) of a tensor `w` wide with `c` channels of `eb` bytes, at `tensor`.
struct TensorTile {
  uint64_t tensor = 0;
  int64_t w = 1, c = 1, eb = 1, y = 0, x = 0, c0 = 0, rows = 1, cols = 1, n = 1;
};
// LOAD (kLoad) the tile into, or STORE (kStore) it from, a contiguous [rows][cols][n] tile at `buffer`.
void EmitTileDma(Context& ctx, isa::Opcode op, const TensorTile& t, uint64_t buffer);
int BufferIndex(const core::ArchConfig& arch, const std::string& name);

// One group of equal CONV instructions of a layer (same GEMM and operand bytes), for the mapper.
struct ConvTileGroup {
  models::timing::GemmShape gemm;
  int64_t in_bytes = 0, w_bytes = 0, acc_bytes = 0;
  int64_t count = 0;  // instructions
  int64_t first = 0;  // of which start the accumulation (no accumulator read)
};

// A scored configuration of a reconfigurable array for one layer.
struct MappingCandidate {
  models::timing::ArrayMapping mapping;
  int64_t cycles = 0;    // compute cycles of all the layer's CONV instructions (+ reconfiguration)
  double energy_pj = 0;  // estimated: action counts x the arch's energy table (+ unit leakage)
  std::string Describe(const core::UnitConfig& unit) const;
};
struct MappingDecision {
  MappingCandidate best, runner_up, monolithic;  // monolithic: fastest 1x1 in any allowed dataflow
  bool have_runner_up = false;
  std::string reason;
  int64_t candidates = 0;
};

// Per layer: every (partition, dataflow) the unit allows and the arch's forcing leaves, scored on
// `tiles` by the unit's objective. Throws ConfigError when a forced mapping cannot run the layer.
MappingDecision ChooseReconfigMapping(const Context& ctx, const ConvView& v,
                                      const std::vector<ConvTileGroup>& tiles);

// Passes.
void Legalize(Context& ctx);
void AllocateDram(Context& ctx);
// A new 64-byte-aligned DRAM region of `bytes` after everything placed so far; throws ConfigError
// (naming the arch's /dram/capacity_bytes) when it does not fit.
uint64_t PlaceDram(Context& ctx, uint64_t bytes);
// True for a layer's constant weights that EmitConv stores tile by tile in the unit's format
// (weight_store.h StoresTiles: compressed formats, or packed weights), so AllocateDram leaves the
// dense tensor out of DRAM.
bool WeightsStoredPerTile(const Context& ctx, const std::string& tensor);
// True when the unit stores weights `w` packed at their bit width (its kind's core::WeightStorage
// says packed, and packing shrinks the width): EmitConv then stores them tile by tile as
// core::PackValues encodes (weight_store.h).
bool PacksWeights(const Context& ctx, const core::TensorInfo& w);
void SetUpBuffers(Context& ctx);
void EmitConv(Context& ctx, int op_index);
void EmitPool(Context& ctx, int op_index);
void EmitEltwise(Context& ctx, int op_index);  // add, mul, lookup
// An add, mul or lookup's operand types, zero points, scales and output clamp (what every chunk,
// or a fusion group's ADD, shares).
isa::EltwiseArgs EltwiseLayerArgs(const core::Graph& g, const core::Op& op);
// An add, mul or lookup run alone (EmitEltwise's chunks) as the fusion planner rates it: its DRAM
// transfers and post-processor cycles, overlapped, and the energy terms that differ from a group.
PlanCost EstimateEltwise(const Context& ctx, int op_index);
void EmitConcat(Context& ctx, int op_index);  // DMA copies only
// A pool's geometry (global average pool: one window over the whole image).
struct PoolGeometry {
  int64_t h, w, c, oh, ow, kh, kw, sh, sw, pt, pl;
};
PoolGeometry PoolOf(const core::Graph& g, const core::Op& op);
// What every tile of a pool layer shares (EmitPool's, or a fusion group's pool tail).
isa::PoolArgs PoolLayerArgs(const core::Op& op, const core::TensorInfo& x, const core::TensorInfo& y,
                            const PoolGeometry& p);
// Output rows [oy, oy + nh), cols [ox, ox + nw) and channels [c0, c0 + nc) of a pool layer.
struct PoolTileAt {
  int64_t oy, ox, c0, nh, nw, nc;
};
// POOL of tile t, its input (every row and column the tile reads, clipped to the image) at `in`
// in the input buffer, into an output slot, and the STORE of the output (EmitPool's tiles after
// their LOAD, and a fusion group's pool tail on its band).
void EmitPoolAndStore(Context& ctx, const core::TensorInfo& y, const PoolGeometry& p,
                      const isa::PoolArgs& layer, const PoolTileAt& t, uint64_t in);
// A pool run alone (EmitPool's tiles) as the fusion planner rates it.
PlanCost EstimatePool(const Context& ctx, int op_index);
void Schedule(isa::Program& program);

// The clamp of a fused activation, intersected with the output type's range.
void OutputRange(const core::TensorInfo& y, core::Activation act, int32_t* lo, int32_t* hi);

}  // namespace npusim::compiler

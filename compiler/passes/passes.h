// Shared state of the compiler passes (internal to compiler/).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/arch.h"
#include "core/graph.h"
#include "isa/instruction.h"

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

// Two equal slots of one buffer (double buffering), with the key of the block each holds so an
// emitter can reuse a tile instead of loading it again.
struct SlotPair {
  int buffer = -1;  // arch buffer index
  uint64_t base[2] = {0, 0};
  int64_t bytes = 0;
  std::array<std::string, 2> key{"", ""};
  int last_used = 1;
  // Returns the slot holding `k`, or picks the least recently used one and sets *load.
  int Acquire(const std::string& k, bool* load);
  int NextFree() { last_used ^= 1; key[last_used].clear(); return last_used; }
  void Invalidate() { key = {"", ""}; }
};

struct Buffers {
  SlotPair in, w, acc, out;
};

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

  isa::Instruction& Emit(isa::Opcode op);
};

isa::ElemType TypeOf(const core::TensorInfo& t);
int BufferIndex(const core::ArchConfig& arch, const std::string& name);

// Passes.
void Legalize(Context& ctx);
void AllocateDram(Context& ctx);
void SetUpBuffers(Context& ctx);
void EmitConv(Context& ctx, int op_index);
void EmitPool(Context& ctx, int op_index);
void EmitAdd(Context& ctx, int op_index);
void Schedule(isa::Program& program);

// The clamp of a fused activation, intersected with the output type's range.
void OutputRange(const core::TensorInfo& y, core::Activation act, int32_t* lo, int32_t* hi);

}  // namespace npusim::compiler

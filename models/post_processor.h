// PostProcessor: requantizes accumulators (with the fused activation clamp) or passes them through
// unchanged (a REQUANT to a 32-bit type), adds residuals and multiplies tensors (elementwise or by
// one factor per channel) with rescaling, maps values through a lookup table, and pools, `lanes`
// values per cycle after a `pipeline_cycles` fill. Its thread takes a REQUANT/ADD/MUL/LOOKUP/POOL
// instruction, asks models/timing/post_timing.h for the cycles, computes the exact result from its
// buffers (not in timing mode), waits, and signals completion. A LOOKUP first reads its table
// into the lanes (L entries per cycle), then maps the values: P + ceil((entries + n) / L) cycles.
//
// Example arch: "post_processor": {"lanes": 16, "pipeline_cycles": 4, "output_buffer": "obuf"}
// Counts: post.requant, post.pass (accumulators passed through), post.add, post.mul and
// post.lookup (values produced), post.pool_op (values read), leak_per_cycle.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>

#include "config/arch.h"
#include "models/buffer_access.h"
#include "models/controller.h"
#include "models/exec_mode.h"
#include "support/stats.h"

namespace npusim::models {

class PostProcessor : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<PostProcessor> sram_isock;

  PostProcessor(sc_core::sc_module_name name, const core::PostProcessorConfig& cfg, core::RequantMode mode,
                Controller& ctrl, const std::vector<Sram*>& srams, core::StatRegistry& stats,
                ExecMode exec = ExecMode::kExact);

  static int64_t CyclesOf(const core::PostProcessorConfig& cfg, const isa::Instruction& in);

 private:
  void Thread();
  void Requant(const isa::RequantArgs& a, int layer);
  void RequantRows(const isa::RequantArgs& a, const uint8_t* acc, uint8_t* out);
  void PassThrough(const isa::RequantArgs& a, int layer);
  // ADD and MUL (the same operand streams; MUL's b may be one factor per channel).
  void Binary(const isa::Instruction& in);
  void Lookup(const isa::EltwiseArgs& a, int layer);
  void Pool(const isa::PoolArgs& a, int layer);

  core::PostProcessorConfig cfg_;
  core::RequantMode mode_;
  bool exact_;  // ExecMode::kExact: compute the values (else only check the ranges and count)
  Controller& ctrl_;
  BufferAccess mem_;
  core::Counter& requants_;
  core::Counter& passes_;
  core::Counter& adds_;
  core::Counter& muls_;
  core::Counter& lookups_;
  core::Counter& pool_ops_;
  // REQUANT scratch: the float multipliers of the tile's channels, one pixel's requantized values.
  std::vector<float> multipliers_;
  std::vector<int32_t> row_;
};

}  // namespace npusim::models

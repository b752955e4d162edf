// Dma: two channels (load: DRAM -> buffer, store: buffer -> DRAM), each an SC_THREAD running its
// instruction queue in order. A 3-D strided transfer is cut into contiguous runs and each run into
// bursts of `burst_bytes` aligned on DRAM addresses; every burst is a real TLM read from the source
// and a real TLM write of the same bytes into the destination. Bursts are issued back to back (the
// channel keeps as many requests in flight as it needs), so the instruction completes when the
// last write does: latency once, then the bandwidth of the slower side and the contention of the
// other channel, all from the targets' annotated delays. A channel issues the next instruction as
// soon as DRAM has taken the current one's last burst (descriptors pipeline, as in a DMA engine
// with a deep request queue); instructions still complete in order.
//
// Example arch: "dram": {"bytes_per_cycle": 16, "latency_cycles": 100, "burst_bytes": 64}
// Counts: dma.burst (per burst moved).
#pragma once

#include <deque>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/arch.h"
#include "core/stats.h"
#include "models/controller.h"

namespace npusim::models {

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Dma> dram_isock;
  tlm_utils::simple_initiator_socket<Dma> sram_isock;

  Dma(sc_core::sc_module_name name, const core::DramConfig& cfg, Controller& ctrl,
      core::StatRegistry& stats);

  // The bytes one instruction moves, in the order the model moves them: {src, dst, len} bursts.
  struct Burst {
    uint64_t src, dst;
    int64_t len;
  };
  static std::vector<Burst> Bursts(const isa::DmaArgs& d, int64_t burst_bytes, bool dram_is_src);

 private:
  // Per channel: an issue thread (takes instructions, moves the bytes, computes when they land)
  // and a completion thread (signals each instruction to the controller when it lands).
  struct Pending {
    const isa::Instruction* in;
    sc_core::sc_time done;
  };
  struct Channel {
    std::deque<Pending> pending;
    sc_core::sc_event pushed;
    sc_core::sc_time last_done = sc_core::SC_ZERO_TIME;
  };
  void LoadThread();
  void StoreThread();
  void LoadCompletionThread();
  void StoreCompletionThread();
  void RunQueue(isa::Queue q, bool dram_is_src);
  void CompleteQueue(int channel);
  // Offsets from now: when DRAM has taken the last burst (the channel may issue the next
  // transfer) and when the last byte has landed (the instruction completes).
  struct Timing {
    sc_core::sc_time issued = sc_core::SC_ZERO_TIME;
    sc_core::sc_time done = sc_core::SC_ZERO_TIME;
  };
  Timing Transfer(const isa::DmaArgs& d, int layer, bool dram_is_src);
  Timing Move(tlm::tlm_initiator_socket<>& from, tlm::tlm_initiator_socket<>& to, const Burst& b,
              int layer, bool dram_is_src);

  core::DramConfig cfg_;
  Controller& ctrl_;
  core::Counter& bursts_;
  std::vector<uint8_t> staging_;
  sc_core::sc_time latency_;
  Channel channels_[2];
};

}  // namespace npusim::models

// Dma: two channels (load: DRAM -> buffer, store: buffer -> DRAM), each an SC_THREAD running its
// instruction queue in order. A 3-D strided transfer is cut into contiguous runs and each run into
// bursts of `burst_bytes` aligned on DRAM addresses; the bursts are read from the source and the
// same bytes written into the destination as two TLM transactions carrying a BurstTrain
// (models/memory.h): the source serves every burst in order, and each burst's write may start
// when its read data has arrived, exactly as burst-by-burst transactions would. Bursts are issued
// back to back (the
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
#include <memory>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "config/arch.h"
#include "models/controller.h"
#include "models/exec_mode.h"
#include "models/memory.h"
#include "support/stats.h"

namespace npusim::models {

struct TimedTransfer {
  DramTicket ticket;
  bool load = false;
  BurstTrain sram_train;  // a load's buffer side, timed when its data has arrived
  uint64_t sram_base = 0;
};

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Dma> dram_isock;
  tlm_utils::simple_initiator_socket<Dma> sram_isock;

  Dma(sc_core::sc_module_name name, const core::DramConfig& cfg, Controller& ctrl, core::StatRegistry& stats,
      ExecMode mode = ExecMode::kExact, Dram* timed_dram = nullptr);

  // The bytes one instruction moves, in the order the model moves them: {src, dst, len} bursts.
  struct Burst {
    uint64_t src, dst;
    int64_t len;
  };
  static std::vector<Burst> Bursts(const isa::DmaArgs& d, int64_t burst_bytes, bool dram_is_src);
  // The same, appended to `out` (no allocation once `out` has grown).
  static void AppendBursts(const isa::DmaArgs& d, int64_t burst_bytes, bool dram_is_src,
                           std::vector<Burst>& out);

 private:
  // Per channel: an issue thread (takes instructions, moves the bytes, computes when they land)
  // and a completion thread (signals each instruction to the controller when it lands).
  struct Pending {
    const isa::Instruction* in;
    sc_core::sc_time done;
    // Timed DRAM: the transfer's DRAM side, and for a load the train its buffer side is timed by
    // once the data has arrived.
    std::shared_ptr<TimedTransfer> timed;
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
  // Timed DRAM ("model": "dram", models/dram_frontend.h): moves the bytes now and hands the DRAM
  // side to the controller; the channel takes its next instruction once the controller has taken
  // every request, and the instruction completes when the data has landed.
  std::shared_ptr<TimedTransfer> TransferTimed(const isa::DmaArgs& d, int layer, bool dram_is_src);
  // When a timed transfer's data has landed (waits for the DRAM side; times a load's buffer writes).
  sc_core::sc_time FinishTimed(TimedTransfer& t, int layer);
  // Bursts of `d` into train_ with offsets on the source side; returns false if there are none.
  bool BuildTrain(const isa::DmaArgs& d, bool dram_is_src);
  // One side of a transfer: `train_` against `sock` at `base` (read or write); the largest done.
  void Issue(tlm::tlm_initiator_socket<>& sock, tlm::tlm_command cmd, uint64_t base, int layer);
  void IssueTrain(tlm::tlm_initiator_socket<>& sock, tlm::tlm_command cmd, uint64_t base, int layer,
                  BurstTrain& train);

  core::DramConfig cfg_;
  Controller& ctrl_;
  Dram* timed_dram_;  // the timed DRAM's events, or nullptr (the simple pipe)
  core::Counter& bursts_;
  // Reused by every transfer (no allocation per instruction once they have grown).
  std::vector<uint8_t> staging_;
  std::vector<Burst> bursts_scratch_;
  BurstTrain train_;
  Channel channels_[2];
};

}  // namespace npusim::models

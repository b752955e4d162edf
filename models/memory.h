// Memories as TLM-2.0 targets. Both hold real bytes: the simulated data path reads and writes
// them, so an address or tiling bug shows up as wrong outputs. The bytes start as zeros and take
// host memory only where a run touches them (core::ZeroedBytes).
//
// Dram: one channel of `bytes_per_cycle` sustained bandwidth and `latency_cycles` latency.
// Transfers are served in arrival order; a transfer occupies the channel for
// ceil(bytes / bytes_per_cycle) cycles and its data is complete `latency_cycles` after that, so
// back-to-back bursts pipeline (latency is paid once on the critical path) and two DMA channels
// contend for bandwidth. Counts read_byte / write_byte.
//
// Sram: `ports` independent ports over `banks` word-interleaved banks of `word_bytes`; a transfer
// of n bytes takes one port for ceil(n / (word_bytes * banks)) cycles (the earliest free port is
// chosen). Counts read / write per word. Compute units reach the bytes by DMI and count their
// accesses with CountAccess (their ports are dedicated: see docs/models.md).
//
// A transaction either moves one burst (a plain generic payload: data length bytes at the address)
// or, with a BurstTrain extension, a train of bursts that the DMA issues back to back: the target
// serves them one after another in order, exactly as if each were its own transaction issued at
// the same simulated time, and reports when each one is done. One transaction per DMA instruction
// and side instead of one per burst (a MobileNetV1 moves ~540k bursts, mostly rows of 16-64 bytes)
// keeps the timing identical (tests/models/dma_test.cpp) and removes the per-call overhead.
//
// Simulated time: 1 ns of SystemC time is one NPU clock cycle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "config/arch.h"
#include "ir/int_math.h"
#include "models/dram_frontend.h"
#include "support/stats.h"
#include "support/zeroed_bytes.h"

namespace npusim::models {

// The layer the current transfer belongs to, carried in the generic payload so targets attribute
// their counts per layer.
struct LayerExtension : tlm::tlm_extension<LayerExtension> {
  int layer = -1;
  tlm::tlm_extension_base* clone() const override {
    auto* e = new LayerExtension;
    e->layer = layer;
    return e;
  }
  void copy_from(const tlm::tlm_extension_base& other) override {
    layer = static_cast<const LayerExtension&>(other).layer;
  }
};

// The bursts of one DMA transfer as one transaction. Piece i covers the `len` bytes at the
// transaction's address + `offset` and the `len` bytes at the data pointer + `data_offset`. On
// entry `start_after` is the earliest offset from now (in cycles) at which it may start (when its
// data arrives from the other side: zero for the first side); on return `done` is the offset from
// now at which it is complete. The payload's delay returns as the largest `done`. (Cycles, not
// sc_time: building an sc_time per burst was a visible cost.)
struct BurstTrain : tlm::tlm_extension<BurstTrain> {
  struct Piece {
    int64_t offset = 0, len = 0, data_offset = 0;
    uint64_t start_after = 0, done = 0;
  };
  static constexpr uint64_t kNow = UINT64_MAX;
  std::vector<Piece> pieces;
  // False in timing mode (models/exec_mode.h): the targets check every piece's range and time it
  // but copy no bytes (no one reads them), and the data pointer may be null.
  bool move_data = true;
  // False: move the bytes only, and book no time (done stays 0); the transfer is timed by a later
  // train over the same pieces with move_data false.
  bool book = true;
  // The cycle start_after and done count from: now, or an earlier cycle (a train timed after the
  // fact, when the times its pieces could start are known).
  uint64_t origin = kNow;
  // Timed DRAM ("model": "dram"): the ticket the target fills in as the controller takes and
  // completes the pieces (models/dram_frontend.h), and the DMA channel they come from.
  DramTicket* ticket = nullptr;
  int source = 0;
  tlm::tlm_extension_base* clone() const override { return new BurstTrain(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const BurstTrain&>(other);
  }
};

class Dram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dram> tsock;
  Dram(sc_core::sc_module_name name, const core::DramConfig& cfg, uint64_t size_bytes,
       core::StatRegistry& stats, double npu_mhz = 0);
  core::ZeroedBytes& image() { return image_; }
  bool timed() const { return front_ != nullptr; }
  // Timed DRAM: wakes the waiters of a ticket as its pieces are taken and completed.
  sc_core::sc_event& issued_event() { return issued_; }
  sc_core::sc_event& done_event() { return done_; }
  // Timed DRAM: runs the controller to the NPU cycle the run ended at (refresh and background).
  void Finish(uint64_t npu_end);
  const DramFrontEnd* front_end() const { return front_.get(); }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Timed DRAM: queues a train's pieces as requests.
  void Submit(tlm::tlm_generic_payload& trans, BurstTrain* train);
  // Timed DRAM: advances the controller while no other process can make a request, and delivers
  // what it finds when the NPU's time reaches it.
  void Run();
  std::unique_ptr<DramFrontEnd> front_;
  sc_core::sc_event submitted_, issued_, done_;
  std::vector<uint64_t> addr_scratch_, after_scratch_;
  // One burst of n bytes that may start `after` cycles after `now`: when (cycles after `now`) its
  // data is complete.
  uint64_t Burst(uint64_t now, int64_t n, uint64_t after);
  core::DramConfig cfg_;
  core::FixedDivisor bandwidth_;  // bytes_per_cycle
  core::ZeroedBytes image_;       // touched pages only (support/zeroed_bytes.h)
  uint64_t channel_free_ = 0;     // cycle at which the channel takes the next burst
  core::Counter& reads_;
  core::Counter& writes_;
  // Timed DRAM: the counters of DramCounts::by_layer's columns (commands, row outcomes), added at
  // Finish.
  core::Counter* tallied_[timing::DramCounts::kRowOutcome + 3] = {};
};

class Sram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Sram> tsock;
  Sram(sc_core::sc_module_name name, const core::BufferConfig& cfg, core::StatRegistry& stats);
  // Counts `times` accesses of [addr, addr + bytes) (buffer-local): one action per word touched,
  // and per bank (word w lives in bank w % banks).
  void CountAccess(int layer, bool write, uint64_t addr, uint64_t bytes, uint64_t times = 1);
  const core::BufferConfig& config() const { return cfg_; }
  const std::vector<uint64_t>& bank_reads() const { return bank_reads_.Sum(); }
  const std::vector<uint64_t>& bank_writes() const { return bank_writes_.Sum(); }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  // One burst of n bytes at buffer address `addr` that may start `after` cycles after `now`: when
  // (cycles after `now`) it is done.
  uint64_t Burst(uint64_t now, int layer, bool write, uint64_t addr, int64_t n, uint64_t after);
  core::BufferConfig cfg_;
  core::FixedDivisor word_, banks_, row_;  // word_bytes, banks, word_bytes * banks
  core::ZeroedBytes data_;
  std::vector<uint64_t> port_free_;  // per port, the cycle at which it is free
  core::Counter& reads_;
  core::Counter& writes_;
  // Words per bank, as a count every bank got and a difference array of the runs of banks that got
  // one more (a burst's words % banks): O(1) per burst.
  struct BankTally {
    explicit BankTally(int banks) : diff(static_cast<size_t>(banks) + 1, 0) {}
    uint64_t each = 0;
    std::vector<uint64_t> diff;                              // modulo 2^64; per bank, the prefix sums
    mutable std::vector<uint64_t> per_bank;                  // Sum()'s answer
    void AddRun(uint64_t bank, uint64_t n, uint64_t times);  // banks bank.. bank + n - 1, wrapping
    const std::vector<uint64_t>& Sum() const;
  };
  BankTally bank_reads_, bank_writes_;
};

}  // namespace npusim::models

#include "models/memory.h"
#include "ir/int_math.h"
#include "models/sim_time.h"

#include <algorithm>
#include <cstring>

namespace npusim::models {
namespace {
using core::CeilDiv;

using sc_core::sc_time;

int LayerOf(tlm::tlm_generic_payload& trans) {
  LayerExtension* e = nullptr;
  trans.get_extension(e);
  return e ? e->layer : -1;
}

// Copies one piece between the payload's data and `mem` at `addr`; false (and an address error
// on the payload) if it does not lie inside `mem`.
bool Copy(tlm::tlm_generic_payload& trans, core::ZeroedBytes& mem, uint64_t addr, uint64_t n,
          uint64_t data_offset, bool move_data = true) {
  if (addr > mem.size() || n > mem.size() - addr) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (!move_data) return true;  // timing mode: range checked, no bytes moved
  uint8_t* data = trans.get_data_ptr() + data_offset;
  if (trans.is_read()) {
    std::memcpy(data, mem.data() + addr, n);
  } else {
    std::memcpy(mem.data() + addr, data, n);
  }
  return true;
}

// Serves a plain payload (one burst) or a BurstTrain: for each piece, copies its bytes and asks
// `burst(now, addr, len, start_after)` when (cycles after now) it is done. Returns false on an
// address error.
template <class BurstFn>
bool ServeTrain(tlm::tlm_generic_payload& trans, core::ZeroedBytes& mem, sc_time& delay, BurstFn burst) {
  BurstTrain* train = nullptr;
  trans.get_extension(train);
  const uint64_t base = trans.get_address();
  const uint64_t now = train != nullptr && train->origin != BurstTrain::kNow ? train->origin : NowCycles();
  if (train == nullptr) {
    if (!Copy(trans, mem, base, trans.get_data_length(), 0)) return false;
    const uint64_t after = delay.value() / TicksPerCycle();
    delay = Cycles(burst(now, base, static_cast<int64_t>(trans.get_data_length()), after));
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return true;
  }
  uint64_t last = 0;
  for (BurstTrain::Piece& p : train->pieces) {
    const uint64_t addr = base + static_cast<uint64_t>(p.offset);
    if (!Copy(trans, mem, addr, static_cast<uint64_t>(p.len), static_cast<uint64_t>(p.data_offset),
              train->move_data)) {
      return false;
    }
    p.done = train->book ? burst(now, addr, p.len, p.start_after) : 0;
    last = std::max(last, p.done);
  }
  delay = Cycles(last);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

}  // namespace

Dram::Dram(sc_core::sc_module_name name, const core::DramConfig& cfg, uint64_t size_bytes,
           core::StatRegistry& stats, double npu_mhz)
    : sc_module(name),
      tsock("tsock"),
      cfg_(cfg),
      bandwidth_(static_cast<uint64_t>(cfg.bytes_per_cycle)),
      image_(size_bytes),
      reads_(stats.Register("dram", "read_byte", "bytes", "bytes read from DRAM")),
      writes_(stats.Register("dram", "write_byte", "bytes", "bytes written to DRAM")) {
  tsock.register_b_transport(this, &Dram::b_transport);
  if (!cfg.timed()) return;
  using timing::DramCmd;
  using timing::DramCounts;
  tallied_[static_cast<int>(DramCmd::kAct)] =
      &stats.Register("dram", "activate", "commands", "ACT commands (with PRE)");
  tallied_[static_cast<int>(DramCmd::kPre)] =
      &stats.Register("dram", "precharge", "commands", "PRE, explicit or automatic");
  tallied_[static_cast<int>(DramCmd::kRd)] =
      &stats.Register("dram", "read", "commands", "RD commands (one access)");
  tallied_[static_cast<int>(DramCmd::kWr)] =
      &stats.Register("dram", "write", "commands", "WR commands (one access)");
  tallied_[static_cast<int>(DramCmd::kRef)] =
      &stats.Register("dram", "refresh", "commands", "all-bank refreshes");
  tallied_[DramCounts::kRowOutcome] =
      &stats.Register("dram", "row_hit", "requests", "requests finding their row open");
  tallied_[DramCounts::kRowOutcome + 1] =
      &stats.Register("dram", "row_miss", "requests", "requests finding their bank closed");
  tallied_[DramCounts::kRowOutcome + 2] =
      &stats.Register("dram", "row_conflict", "requests", "requests finding another row open");
  core::Counter& active =
      stats.Register("dram", "active_cycle", "rank cycles", "DRAM cycles with a bank open");
  core::Counter& precharged =
      stats.Register("dram", "precharged_cycle", "rank cycles", "DRAM cycles with every bank closed");
  // Commands and row outcomes: from the controller's per-layer tallies at the end (Finish).
  timing::DramEvents events;
  events.background = [&active, &precharged](int layer, uint64_t a, uint64_t p) {
    active.Add(layer, a);
    precharged.Add(layer, p);
  };
  front_ = std::make_unique<DramFrontEnd>(cfg.spec, npu_mhz, std::move(events));
  SC_HAS_PROCESS(Dram);
  SC_THREAD(Run);
}

void Dram::Submit(tlm::tlm_generic_payload& trans, BurstTrain* train) {
  addr_scratch_.clear();
  after_scratch_.clear();
  const uint64_t base = trans.get_address();
  for (const BurstTrain::Piece& p : train->pieces) {
    addr_scratch_.push_back(base + static_cast<uint64_t>(p.offset));
    after_scratch_.push_back(p.start_after);
  }
  train->ticket->origin = NowCycles();
  front_->Submit(train->source, train->ticket, trans.is_write(), LayerOf(trans), addr_scratch_,
                 after_scratch_);
  submitted_.notify();
}

void Dram::Run() {
  while (true) {
    const uint64_t now = NowCycles();
    if (!front_->Deliver(now).empty()) {
      issued_.notify();
      done_.notify();
    }
    if (!front_->Pending() && front_->NextNotification() == UINT64_MAX) {
      wait(submitted_);
      continue;
    }
    // No other process acts before `horizon`: requests come only from processes, so the controller
    // may run to the DRAM cycle of that time, or of the first notification, which wakes a DMA
    // channel that may then make a request.
    const sc_time gap = sc_core::sc_time_to_pending_activity();
    const uint64_t horizon = gap == sc_core::sc_max_time() - sc_core::sc_time_stamp()
                                 ? UINT64_MAX
                                 : now + gap.value() / TicksPerCycle();
    uint64_t note = front_->NextNotification();
    while (note > now && front_->cycle() < front_->DramCycleAt(std::min(horizon, note))) {
      front_->Advance(front_->DramCycleAt(std::min(horizon, note)));
      note = front_->NextNotification();
    }
    if (note <= now) continue;
    const uint64_t until = std::min(horizon, note);
    if (until == UINT64_MAX) {
      wait(submitted_);
    } else {
      wait(Cycles(until - now), submitted_);
    }
  }
}

void Dram::Finish(uint64_t npu_end) {
  if (!front_) return;
  front_->Finish(npu_end);
  const timing::DramCounts counts = front_->Counts();
  for (size_t i = 0; i < counts.by_layer.size(); ++i) {
    for (size_t k = 0; k < counts.by_layer[i].size(); ++k)
      if (counts.by_layer[i][k] != 0) tallied_[k]->Add(static_cast<int>(i) - 1, counts.by_layer[i][k]);
  }
}

void Dram::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  BurstTrain* train = nullptr;
  trans.get_extension(train);
  if (front_ && train != nullptr && train->book) {
    if (!ServeTrain(trans, image_, delay,
                    [](uint64_t, uint64_t, int64_t, uint64_t) { return uint64_t{0}; })) {
      return;
    }
    Submit(trans, train);
    delay = sc_core::SC_ZERO_TIME;
    (trans.is_read() ? reads_ : writes_).Add(LayerOf(trans), trans.get_data_length());
    return;
  }
  if (!ServeTrain(trans, image_, delay, [this](uint64_t now, uint64_t, int64_t n, uint64_t after) {
        return Burst(now, n, after);
      })) {
    return;
  }
  (trans.is_read() ? reads_ : writes_).Add(LayerOf(trans), trans.get_data_length());
}

uint64_t Dram::Burst(uint64_t now, int64_t n, uint64_t after) {
  const uint64_t start = std::max(now + after, channel_free_);
  channel_free_ = start + bandwidth_.CeilDiv(static_cast<uint64_t>(n));
  return channel_free_ + static_cast<uint64_t>(cfg_.latency_cycles) - now;
}

Sram::Sram(sc_core::sc_module_name name, const core::BufferConfig& cfg, core::StatRegistry& stats)
    : sc_module(name),
      tsock("tsock"),
      cfg_(cfg),
      word_(static_cast<uint64_t>(cfg.word_bytes)),
      banks_(static_cast<uint64_t>(cfg.banks)),
      row_(static_cast<uint64_t>(cfg.word_bytes) * static_cast<uint64_t>(cfg.banks)),
      data_(static_cast<size_t>(cfg.size_bytes)),
      port_free_(cfg.ports, 0),
      reads_(stats.Register(cfg.name, "read", "words", "word reads of " + cfg.name)),
      writes_(stats.Register(cfg.name, "write", "words", "word writes of " + cfg.name)),
      bank_reads_(cfg.banks),
      bank_writes_(cfg.banks) {
  tsock.register_b_transport(this, &Sram::b_transport);
  tsock.register_get_direct_mem_ptr(this, &Sram::get_direct_mem_ptr);
}

void Sram::CountAccess(int layer, bool write, uint64_t addr, uint64_t bytes, uint64_t times) {
  if (bytes == 0 || times == 0) return;
  const uint64_t first = word_.Div(addr), last = word_.Div(addr + bytes - 1);
  const uint64_t words = last - first + 1;
  (write ? writes_ : reads_).Add(layer, words * times);
  // Consecutive words rotate through the banks: each bank gets words / banks, and the
  // words % banks banks from `first`'s on get one more.
  BankTally& tally = write ? bank_writes_ : bank_reads_;
  uint64_t rest = words;
  if (words >= static_cast<uint64_t>(cfg_.banks)) {
    tally.each += banks_.Div(words) * times;
    rest = banks_.Mod(words);
  }
  if (rest != 0) tally.AddRun(banks_.Mod(first), rest, times);
}

void Sram::BankTally::AddRun(uint64_t bank, uint64_t n, uint64_t times) {
  const uint64_t banks = diff.size() - 1, end = bank + n;  // n < banks
  diff[bank] += times;
  if (end <= banks) {
    diff[end] -= times;
  } else {
    diff[banks] -= times;
    diff[0] += times;
    diff[end - banks] -= times;
  }
}

const std::vector<uint64_t>& Sram::BankTally::Sum() const {
  per_bank.assign(diff.size() - 1, each);
  uint64_t run = 0;
  for (size_t b = 0; b + 1 < diff.size(); ++b) {
    run += diff[b];
    per_bank[b] += run;
  }
  return per_bank;
}

void Sram::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  const int layer = LayerOf(trans);
  const bool write = trans.is_write();
  ServeTrain(trans, data_, delay,
             [this, layer, write](uint64_t now, uint64_t addr, int64_t n, uint64_t after) {
               return Burst(now, layer, write, addr, n, after);
             });
}

uint64_t Sram::Burst(uint64_t now, int layer, bool write, uint64_t addr, int64_t n, uint64_t after) {
  CountAccess(layer, write, addr, n);
  auto port = std::min_element(port_free_.begin(), port_free_.end());
  const uint64_t start = std::max(now + after, *port);
  *port = start + row_.CeilDiv(static_cast<uint64_t>(n));
  return *port - now;
}

bool Sram::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.set_dmi_ptr(data_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(data_.size() - 1);
  dmi.allow_read_write();
  return true;
}

}  // namespace npusim::models

#include "models/dma.h"

#include <algorithm>

#include "ir/int_math.h"
#include "models/memory.h"

namespace npusim::models {

Dma::Dma(sc_core::sc_module_name name, const core::DramConfig& cfg, Controller& ctrl,
         core::StatRegistry& stats, ExecMode mode, Dram* timed_dram)
    : sc_module(name),
      dram_isock("dram_isock"),
      sram_isock("sram_isock"),
      cfg_(cfg),
      ctrl_(ctrl),
      timed_dram_(timed_dram),
      bursts_(stats.Register("dma", "burst", "actions", "DMA bursts moved (either direction)")) {
  train_.move_data = mode == ExecMode::kExact;
  SC_HAS_PROCESS(Dma);
  SC_THREAD(LoadThread);
  SC_THREAD(StoreThread);
  SC_THREAD(LoadCompletionThread);
  SC_THREAD(StoreCompletionThread);
}

void Dma::LoadThread() { RunQueue(isa::Queue::kLoad, true); }
void Dma::StoreThread() { RunQueue(isa::Queue::kStore, false); }
void Dma::LoadCompletionThread() { CompleteQueue(0); }
void Dma::StoreCompletionThread() { CompleteQueue(1); }

void Dma::RunQueue(isa::Queue q, bool dram_is_src) {
  Channel& ch = channels_[q == isa::Queue::kLoad ? 0 : 1];
  while (const isa::Instruction* in = ctrl_.Next(q)) {
    if (timed_dram_ != nullptr) {
      std::shared_ptr<TimedTransfer> t = TransferTimed(in->dma(), in->layer, dram_is_src);
      ch.pending.push_back(Pending{in, sc_core::SC_ZERO_TIME, t});
      ch.pushed.notify(sc_core::SC_ZERO_TIME);
      while (t && !t->ticket.is_issued) wait(timed_dram_->issued_event());
      continue;
    }
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    // Instructions complete in order (the schedule relies on it), even if a later transfer's
    // writes would land earlier.
    const Timing t = Transfer(in->dma(), in->layer, dram_is_src);
    const sc_core::sc_time done = std::max(now + t.done, ch.last_done);
    ch.last_done = done;
    ch.pending.push_back({in, done, nullptr});
    ch.pushed.notify(sc_core::SC_ZERO_TIME);
    // The channel issues the next descriptor once DRAM has taken this one's last burst (its data
    // phase is over), so the latency of one transfer overlaps with the next.
    wait(t.issued);
  }
}

void Dma::CompleteQueue(int channel) {
  Channel& ch = channels_[channel];
  while (true) {
    while (ch.pending.empty()) wait(ch.pushed);
    Pending p = ch.pending.front();
    ch.pending.pop_front();
    if (timed_dram_ != nullptr) {
      // In order, as the simple path: never before the channel's previous instruction.
      p.done =
          std::max(p.timed ? FinishTimed(*p.timed, p.in->layer) : sc_core::sc_time_stamp(), ch.last_done);
      ch.last_done = p.done;
    }
    if (p.done > sc_core::sc_time_stamp()) wait(p.done - sc_core::sc_time_stamp());
    ctrl_.Done(*p.in);
  }
}

std::vector<Dma::Burst> Dma::Bursts(const isa::DmaArgs& d, int64_t burst_bytes, bool dram_is_src) {
  std::vector<Burst> out;
  AppendBursts(d, burst_bytes, dram_is_src, out);
  return out;
}

void Dma::AppendBursts(const isa::DmaArgs& d, int64_t burst_bytes, bool dram_is_src,
                       std::vector<Burst>& out) {
  // Merge rows (and planes) that are contiguous on both sides into one run.
  int64_t run = d.row_bytes, rows = d.rows, planes = d.planes;
  if (rows > 1 && d.src_stride[0] == run && d.dst_stride[0] == run) {
    run *= rows;
    rows = 1;
  }
  if (rows == 1 && planes > 1 && d.src_stride[1] == run && d.dst_stride[1] == run) {
    run *= planes;
    planes = 1;
  }
  const core::FixedDivisor burst(static_cast<uint64_t>(burst_bytes));
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t r = 0; r < rows; ++r) {
      const uint64_t s = d.src + p * d.src_stride[1] + r * d.src_stride[0];
      const uint64_t t = d.dst + p * d.dst_stride[1] + r * d.dst_stride[0];
      const uint64_t dram0 = dram_is_src ? s : t;
      int64_t off = 0;
      while (off < run) {
        // Bursts are aligned on the DRAM side, as a DRAM controller serves them.
        const int64_t to_boundary = burst_bytes - static_cast<int64_t>(burst.Mod(dram0 + off));
        const int64_t len = std::min(run - off, to_boundary);
        out.push_back({s + off, t + off, len});
        off += len;
      }
    }
  }
}

void Dma::Issue(tlm::tlm_initiator_socket<>& sock, tlm::tlm_command cmd, uint64_t base, int layer) {
  IssueTrain(sock, cmd, base, layer, train_);
}

void Dma::IssueTrain(tlm::tlm_initiator_socket<>& sock, tlm::tlm_command cmd, uint64_t base, int layer,
                     BurstTrain& train) {
  LayerExtension ext;
  ext.layer = layer;
  tlm::tlm_generic_payload trans;
  trans.set_extension(&ext);
  trans.set_extension(&train);
  trans.set_command(cmd);
  trans.set_address(base);
  trans.set_data_ptr(staging_.data());
  const unsigned total = static_cast<unsigned>(train.pieces.back().data_offset + train.pieces.back().len);
  trans.set_data_length(total);
  trans.set_streaming_width(total);
  trans.set_byte_enable_ptr(nullptr);
  trans.set_dmi_allowed(false);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  sock->b_transport(trans, delay);
  trans.clear_extension(&ext);
  trans.clear_extension(&train);
  if (trans.is_response_error()) {
    SC_REPORT_FATAL(name(), (std::string(cmd == tlm::TLM_READ_COMMAND ? "read" : "write") +
                             " failed: " + trans.get_response_string())
                                .c_str());
  }
}

bool Dma::BuildTrain(const isa::DmaArgs& d, bool dram_is_src) {
  bursts_scratch_.clear();
  AppendBursts(d, cfg_.burst_bytes, dram_is_src, bursts_scratch_);
  if (bursts_scratch_.empty()) return false;
  // Offsets are relative to the first burst on each side; the data goes through the staging
  // buffer in burst order.
  const uint64_t src0 = bursts_scratch_.front().src;
  train_.pieces.resize(bursts_scratch_.size());
  int64_t total = 0;
  for (size_t i = 0; i < bursts_scratch_.size(); ++i) {
    const Burst& b = bursts_scratch_[i];
    BurstTrain::Piece& p = train_.pieces[i];
    p.offset = static_cast<int64_t>(b.src - src0);
    p.len = b.len;
    p.data_offset = total;
    p.start_after = 0;
    total += b.len;
  }
  if (train_.move_data) staging_.resize(static_cast<size_t>(total));
  return true;
}

std::shared_ptr<TimedTransfer> Dma::TransferTimed(const isa::DmaArgs& d, int layer, bool dram_is_src) {
  if (!BuildTrain(d, dram_is_src)) return nullptr;
  auto t = std::make_shared<TimedTransfer>();
  t->load = dram_is_src;
  const uint64_t src0 = bursts_scratch_.front().src, dst0 = bursts_scratch_.front().dst;
  auto to_dst = [&](bool start_after_done) {
    for (size_t i = 0; i < bursts_scratch_.size(); ++i) {
      BurstTrain::Piece& p = train_.pieces[i];
      p.start_after = start_after_done ? p.done : 0;
      p.offset = static_cast<int64_t>(bursts_scratch_[i].dst - dst0);
    }
  };
  if (t->load) {
    // DRAM reads queued with the controller; the bytes go to the buffer now, timed on arrival.
    train_.ticket = &t->ticket;
    train_.source = 0;
    Issue(dram_isock, tlm::TLM_READ_COMMAND, src0, layer);
    train_.ticket = nullptr;
    to_dst(false);
    train_.book = false;
    Issue(sram_isock, tlm::TLM_WRITE_COMMAND, dst0, layer);
    train_.book = true;
    t->sram_train = train_;
    t->sram_train.move_data = false;
    t->sram_base = dst0;
  } else {
    // Buffer reads timed now; each DRAM write may start when its bytes have been read.
    Issue(sram_isock, tlm::TLM_READ_COMMAND, src0, layer);
    to_dst(true);
    train_.ticket = &t->ticket;
    train_.source = 1;
    Issue(dram_isock, tlm::TLM_WRITE_COMMAND, dst0, layer);
    train_.ticket = nullptr;
  }
  bursts_.Add(layer, bursts_scratch_.size());
  return t;
}

sc_core::sc_time Dma::FinishTimed(TimedTransfer& t, int layer) {
  while (!t.ticket.is_done) wait(timed_dram_->done_event());
  uint64_t end = t.ticket.done_at;
  if (t.load) {
    BurstTrain& train = t.sram_train;
    train.origin = t.ticket.origin;
    for (size_t i = 0; i < train.pieces.size(); ++i) train.pieces[i].start_after = t.ticket.piece_done[i];
    IssueTrain(sram_isock, tlm::TLM_WRITE_COMMAND, t.sram_base, layer, train);
    for (const BurstTrain::Piece& p : train.pieces) end = std::max(end, train.origin + p.done);
  }
  return Cycles(end);
}

Dma::Timing Dma::Transfer(const isa::DmaArgs& d, int layer, bool dram_is_src) {
  Timing all;
  if (!BuildTrain(d, dram_is_src)) return all;
  const uint64_t src0 = bursts_scratch_.front().src, dst0 = bursts_scratch_.front().dst;
  Issue(dram_is_src ? dram_isock : sram_isock, tlm::TLM_READ_COMMAND, src0, layer);
  // Each burst's write may start once its read data has arrived.
  uint64_t dram_done = 0, done = 0;
  for (size_t i = 0; i < bursts_scratch_.size(); ++i) {
    BurstTrain::Piece& p = train_.pieces[i];
    if (dram_is_src) dram_done = std::max(dram_done, p.done);
    p.start_after = p.done;
    p.offset = static_cast<int64_t>(bursts_scratch_[i].dst - dst0);
  }
  Issue(dram_is_src ? sram_isock : dram_isock, tlm::TLM_WRITE_COMMAND, dst0, layer);
  for (const BurstTrain::Piece& p : train_.pieces) {
    if (!dram_is_src) dram_done = std::max(dram_done, p.done);
    done = std::max(done, p.done);
  }
  all.done = Cycles(done);
  // DRAM has taken the last burst `latency` before its data is complete.
  all.issued = Cycles(dram_done - static_cast<uint64_t>(cfg_.latency_cycles));
  bursts_.Add(layer, bursts_scratch_.size());
  return all;
}

}  // namespace npusim::models

#include "models/dma.h"

#include <algorithm>

#include "models/memory.h"

namespace npusim::models {

Dma::Dma(sc_core::sc_module_name name, const core::DramConfig& cfg, Controller& ctrl,
         core::StatRegistry& stats)
    : sc_module(name),
      dram_isock("dram_isock"),
      sram_isock("sram_isock"),
      cfg_(cfg),
      ctrl_(ctrl),
      bursts_(stats.Register("dma", "burst", "actions", "DMA bursts moved (either direction)")),
      staging_(cfg.burst_bytes),
      latency_(Cycles(cfg.latency_cycles)) {
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
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    // Instructions complete in order (the schedule relies on it), even if a later transfer's
    // writes would land earlier.
    const Timing t = Transfer(in->dma(), in->layer, dram_is_src);
    const sc_core::sc_time done = std::max(now + t.done, ch.last_done);
    ch.last_done = done;
    ch.pending.push_back({in, done});
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
    const Pending p = ch.pending.front();
    ch.pending.pop_front();
    if (p.done > sc_core::sc_time_stamp()) wait(p.done - sc_core::sc_time_stamp());
    ctrl_.Done(*p.in);
  }
}

std::vector<Dma::Burst> Dma::Bursts(const isa::DmaArgs& d, int64_t burst_bytes, bool dram_is_src) {
  std::vector<Burst> out;
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
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t r = 0; r < rows; ++r) {
      const uint64_t s = d.src + p * d.src_stride[1] + r * d.src_stride[0];
      const uint64_t t = d.dst + p * d.dst_stride[1] + r * d.dst_stride[0];
      const uint64_t dram0 = dram_is_src ? s : t;
      int64_t off = 0;
      while (off < run) {
        // Bursts are aligned on the DRAM side, as a DRAM controller serves them.
        const int64_t to_boundary = burst_bytes - static_cast<int64_t>((dram0 + off) % burst_bytes);
        const int64_t len = std::min(run - off, to_boundary);
        out.push_back({s + off, t + off, len});
        off += len;
      }
    }
  }
  return out;
}

Dma::Timing Dma::Move(tlm::tlm_initiator_socket<>& from, tlm::tlm_initiator_socket<>& to,
                      const Burst& b, int layer, bool dram_is_src) {
  LayerExtension ext;
  ext.layer = layer;
  tlm::tlm_generic_payload trans;
  trans.set_extension(&ext);
  trans.set_data_ptr(staging_.data());
  trans.set_data_length(static_cast<unsigned>(b.len));
  trans.set_streaming_width(static_cast<unsigned>(b.len));
  trans.set_byte_enable_ptr(nullptr);
  trans.set_dmi_allowed(false);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  trans.set_command(tlm::TLM_READ_COMMAND);
  trans.set_address(b.src);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  from->b_transport(trans, delay);
  if (trans.is_response_error()) SC_REPORT_FATAL(name(), ("read failed: " + trans.get_response_string()).c_str());
  Timing t;
  if (dram_is_src) t.issued = delay - latency_;
  // The write is issued when the read data arrives.
  trans.set_command(tlm::TLM_WRITE_COMMAND);
  trans.set_address(b.dst);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  to->b_transport(trans, delay);
  if (trans.is_response_error()) SC_REPORT_FATAL(name(), ("write failed: " + trans.get_response_string()).c_str());
  if (!dram_is_src) t.issued = delay - latency_;
  t.done = delay;
  trans.clear_extension(&ext);
  bursts_.Add(layer, 1);
  return t;
}

Dma::Timing Dma::Transfer(const isa::DmaArgs& d, int layer, bool dram_is_src) {
  Timing all;
  for (const Burst& b : Bursts(d, cfg_.burst_bytes, dram_is_src)) {
    const Timing t = dram_is_src ? Move(dram_isock, sram_isock, b, layer, true)
                                 : Move(sram_isock, dram_isock, b, layer, false);
    all.done = std::max(all.done, t.done);
    all.issued = std::max(all.issued, t.issued);
  }
  return all;
}

}  // namespace npusim::models

#include "core/int_math.h"
#include "models/memory.h"

#include <algorithm>
#include <cstring>

namespace npusim::models {
namespace {
using core::CeilDiv;

using sc_core::sc_time;
using sc_core::SC_NS;


int LayerOf(tlm::tlm_generic_payload& trans) {
  LayerExtension* e = nullptr;
  trans.get_extension(e);
  return e ? e->layer : -1;
}

// Copies between the payload and `mem`; false (and an address error response) if out of range.
bool Serve(tlm::tlm_generic_payload& trans, std::vector<uint8_t>& mem) {
  const uint64_t a = trans.get_address();
  const uint64_t n = trans.get_data_length();
  if (a > mem.size() || n > mem.size() - a) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (trans.is_read()) {
    std::memcpy(trans.get_data_ptr(), mem.data() + a, n);
  } else {
    std::memcpy(mem.data() + a, trans.get_data_ptr(), n);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

}  // namespace

Dram::Dram(sc_core::sc_module_name name, const core::DramConfig& cfg, uint64_t size_bytes,
           core::StatRegistry& stats)
    : sc_module(name),
      tsock("tsock"),
      cfg_(cfg),
      image_(size_bytes, 0),
      reads_(stats.Register("dram", "read_byte", "bytes", "bytes read from DRAM")),
      writes_(stats.Register("dram", "write_byte", "bytes", "bytes written to DRAM")) {
  tsock.register_b_transport(this, &Dram::b_transport);
}

void Dram::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  if (!Serve(trans, image_)) return;
  const int64_t n = trans.get_data_length();
  (trans.is_read() ? reads_ : writes_).Add(LayerOf(trans), n);
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time start = std::max(now + delay, channel_free_);
  channel_free_ = start + sc_time(static_cast<double>(CeilDiv(n, cfg_.bytes_per_cycle)), SC_NS);
  delay = channel_free_ + sc_time(static_cast<double>(cfg_.latency_cycles), SC_NS) - now;
}

Sram::Sram(sc_core::sc_module_name name, const core::BufferConfig& cfg, core::StatRegistry& stats)
    : sc_module(name),
      tsock("tsock"),
      cfg_(cfg),
      data_(cfg.size_bytes, 0),
      port_free_(cfg.ports, sc_core::SC_ZERO_TIME),
      reads_(stats.Register(cfg.name, "read", "words", "word reads of " + cfg.name)),
      writes_(stats.Register(cfg.name, "write", "words", "word writes of " + cfg.name)),
      bank_reads_(cfg.banks, 0),
      bank_writes_(cfg.banks, 0) {
  tsock.register_b_transport(this, &Sram::b_transport);
  tsock.register_get_direct_mem_ptr(this, &Sram::get_direct_mem_ptr);
}

void Sram::CountAccess(int layer, bool write, uint64_t addr, uint64_t bytes, uint64_t times) {
  if (bytes == 0 || times == 0) return;
  const uint64_t first = addr / cfg_.word_bytes, last = (addr + bytes - 1) / cfg_.word_bytes;
  const uint64_t words = last - first + 1;
  (write ? writes_ : reads_).Add(layer, words * times);
  // Consecutive words rotate through the banks: each bank gets words / banks, and the
  // words % banks banks from `first`'s on get one more.
  std::vector<uint64_t>& per_bank = write ? bank_writes_ : bank_reads_;
  const uint64_t banks = cfg_.banks;
  for (uint64_t i = 0; i < std::min(words, banks); ++i) {
    per_bank[(first + i) % banks] += (words / banks + (i < words % banks ? 1 : 0)) * times;
  }
}

void Sram::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  if (!Serve(trans, data_)) return;
  const int64_t n = trans.get_data_length();
  CountAccess(LayerOf(trans), trans.is_write(), trans.get_address(), n);
  const sc_time now = sc_core::sc_time_stamp();
  auto port = std::min_element(port_free_.begin(), port_free_.end());
  const sc_time start = std::max(now + delay, *port);
  *port = start + sc_time(static_cast<double>(CeilDiv(n, int64_t{cfg_.word_bytes} * cfg_.banks)), SC_NS);
  delay = *port - now;
}

bool Sram::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.set_dmi_ptr(data_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(data_.size() - 1);
  dmi.allow_read_write();
  return true;
}

}  // namespace npusim::models

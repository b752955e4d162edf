// The on-chip interconnect: routes transactions from the DMA and the units to the buffer that owns
// the global address (isa::BufferBase), translating to buffer-local addresses, and forwards DMI
// requests the same way so a unit's direct pointer covers exactly its buffer.
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

#include "isa/instruction.h"

namespace npusim::models {

class Bus : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Bus> tsock;
  // Bound to buffer 0, 1, ... in arch order (Npu::Bind does this).
  tlm_utils::multi_passthrough_initiator_socket<Bus> sram_isock;

  explicit Bus(sc_core::sc_module_name name) : sc_module(name), tsock("tsock"), sram_isock("sram_isock") {
    tsock.register_b_transport(this, &Bus::b_transport);
    tsock.register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr);
  }

 private:
  // Returns the target index, or -1 (and an address error) if no buffer owns the address.
  int Decode(tlm::tlm_generic_payload& trans) {
    const int space = isa::AddressSpace(trans.get_address());
    if (space < 0 || space >= static_cast<int>(sram_isock.size())) {
      trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return -1;
    }
    trans.set_address(trans.get_address() - isa::BufferBase(space));
    return space;
  }

  void b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const uint64_t global = trans.get_address();
    const int t = Decode(trans);
    if (t < 0) return;
    sram_isock[t]->b_transport(trans, delay);
    trans.set_address(global);
  }

  bool get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    const int t = Decode(trans);
    if (t < 0) return false;
    const bool ok = sram_isock[t]->get_direct_mem_ptr(trans, dmi);
    dmi.set_start_address(dmi.get_start_address() + isa::BufferBase(t));
    dmi.set_end_address(dmi.get_end_address() + isa::BufferBase(t));
    return ok;
  }
};

}  // namespace npusim::models

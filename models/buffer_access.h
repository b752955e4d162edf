// How a compute unit reaches buffer bytes: a TLM-2.0 DMI pointer per buffer, obtained once through
// the unit's socket and the Bus, plus the buffer object to count its accesses (energy). Also the
// element codecs (1, 2 or 4 little-endian bytes, signed or unsigned) shared by the units.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "isa/instruction.h"
#include "models/memory.h"

namespace npusim::models {

class BufferAccess {
 public:
  BufferAccess(tlm::tlm_initiator_socket<>& sock, const std::vector<Sram*>& srams, const char* owner)
      : sock_(sock), srams_(srams), owner_(owner), dmi_(srams.size()) {}

  // Pointer to [addr, addr + len) inside one buffer; a range outside every buffer is a broken
  // invariant (the compiler placed a tile wrongly) and stops the simulation with the unit's name.
  uint8_t* Ptr(uint64_t addr, int64_t len) {
    const int space = isa::AddressSpace(addr);
    if (space < 0 || space >= static_cast<int>(srams_.size())) Fail(addr, len);
    tlm::tlm_dmi& d = dmi_[space];
    if (d.get_dmi_ptr() == nullptr) {
      tlm::tlm_generic_payload trans;
      trans.set_address(addr);
      trans.set_command(tlm::TLM_READ_COMMAND);
      if (!sock_->get_direct_mem_ptr(trans, d)) Fail(addr, len);
    }
    if (addr < d.get_start_address() || addr + len - 1 > d.get_end_address()) Fail(addr, len);
    return d.get_dmi_ptr() + (addr - d.get_start_address());
  }
  // Counts `times` accesses of the `bytes` bytes at global address `addr`.
  void Count(uint64_t addr, int layer, bool write, uint64_t bytes, uint64_t times = 1) {
    const int space = isa::AddressSpace(addr);
    srams_[space]->CountAccess(layer, write, addr - isa::BufferBase(space), bytes, times);
  }

 private:
  [[noreturn]] void Fail(uint64_t addr, int64_t len) {
    SC_REPORT_FATAL(owner_, ("access outside every buffer: address 0x" + Hex(addr) + ", " +
                             std::to_string(len) + " bytes")
                                .c_str());
    std::abort();
  }
  static std::string Hex(uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
    return b;
  }
  tlm::tlm_initiator_socket<>& sock_;
  std::vector<Sram*> srams_;
  const char* owner_;
  std::vector<tlm::tlm_dmi> dmi_;
};

inline int32_t LoadElem(const uint8_t* p, const isa::ElemType& t) {
  switch (t.bytes()) {
    case 1: return t.is_signed ? static_cast<int32_t>(static_cast<int8_t>(p[0])) : p[0];
    case 2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return t.is_signed ? static_cast<int32_t>(static_cast<int16_t>(v)) : v;
    }
    default: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
  }
}

inline void StoreElem(uint8_t* p, const isa::ElemType& t, int32_t v) {
  const uint32_t u = static_cast<uint32_t>(v);
  for (int b = 0; b < t.bytes(); ++b) p[b] = static_cast<uint8_t>(u >> (8 * b));
}

inline int32_t LoadI32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline void StoreI32(uint8_t* p, int32_t v) { std::memcpy(p, &v, 4); }

}  // namespace npusim::models

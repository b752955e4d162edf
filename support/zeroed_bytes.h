// A fixed-size array of bytes that starts as zeros and is backed by memory only where it is
// touched: the simulated memories (DRAM image, SRAM buffers) of an arch may add up to gigabytes,
// of which a run reads and writes a small part (docs/formats.md, "Limits").
//
// Large arrays are anonymous private mappings: the kernel supplies a zero page on first touch, so
// nothing is written at construction (no zeroing pass) and only touched pages count in the
// process's resident memory. Small arrays come from calloc. Either way the contents and the
// simulated time are those of a zero-filled std::vector; only the host's memory use changes.
//
//   core::ZeroedBytes b(size_t{1} << 30);   // 1 GiB, ~0 bytes resident
//   b[123] = 7; std::memcpy(b.data() + off, src, n);
#pragma once

#include <cstddef>
#include <cstdint>

namespace npusim::core {

class ZeroedBytes {
 public:
  // At and above this size the bytes are an anonymous mapping, below it a calloc block.
  static constexpr size_t kMapThreshold = size_t{1} << 16;

  ZeroedBytes() = default;
  // Throws std::bad_alloc when the memory cannot be reserved.
  explicit ZeroedBytes(size_t n);
  ~ZeroedBytes();
  ZeroedBytes(const ZeroedBytes&) = delete;
  ZeroedBytes& operator=(const ZeroedBytes&) = delete;
  ZeroedBytes(ZeroedBytes&& o) noexcept;
  ZeroedBytes& operator=(ZeroedBytes&& o) noexcept;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint8_t& operator[](size_t i) { return data_[i]; }
  const uint8_t& operator[](size_t i) const { return data_[i]; }
  uint8_t* begin() { return data_; }
  uint8_t* end() { return data_ + size_; }
  const uint8_t* begin() const { return data_; }
  const uint8_t* end() const { return data_ + size_; }

 private:
  void Release() noexcept;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace npusim::core

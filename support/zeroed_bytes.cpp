#include "support/zeroed_bytes.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include <utility>

namespace npusim::core {

ZeroedBytes::ZeroedBytes(size_t n) : size_(n) {
  if (n == 0) return;
  if (n >= kMapThreshold) {
    // MAP_NORESERVE: untouched pages are not charged against overcommit (a 4 GiB arch on a
    // machine with less free memory still runs when it touches little of it).
    void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<uint8_t*>(p);
    mapped_ = true;
    return;
  }
  data_ = static_cast<uint8_t*>(std::calloc(n, 1));
  if (data_ == nullptr) throw std::bad_alloc();
}

ZeroedBytes::~ZeroedBytes() { Release(); }

ZeroedBytes::ZeroedBytes(ZeroedBytes&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      mapped_(std::exchange(o.mapped_, false)) {}

ZeroedBytes& ZeroedBytes::operator=(ZeroedBytes&& o) noexcept {
  if (this != &o) {
    Release();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, false);
  }
  return *this;
}

void ZeroedBytes::Release() noexcept {
  if (data_ == nullptr) return;
  if (mapped_) {
    munmap(data_, size_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  size_ = 0;
}

}  // namespace npusim::core

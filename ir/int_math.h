// Integer helpers shared by the compiler, the timing kernels and the models.
#pragma once

#include <cstdint>
#include <stdexcept>

namespace npusim::core {

// ceil(a / b) for a >= 0, b > 0.
constexpr int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
// The smallest multiple of `align` (> 0) that is >= v (>= 0).
constexpr int64_t AlignUp(int64_t v, int64_t align) { return CeilDiv(v, align) * align; }

// a + b and a * b, throwing std::overflow_error when the result does not fit int64 (counts
// computed from user-given sizes, where wrapping would report nonsense).
inline int64_t CheckedAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw std::overflow_error("integer sum overflows 64 bits");
  return r;
}
inline int64_t CheckedMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw std::overflow_error("integer product overflows 64 bits");
  return r;
}

// Division by a divisor fixed once (> 0): a shift and a mask when it is a power of two, as buffer
// word sizes, bank counts, DRAM bursts and bandwidths usually are (the models divide once per
// burst, and a 64-bit division costs tens of cycles).
class FixedDivisor {
 public:
  explicit FixedDivisor(uint64_t d) : d_(d), shift_((d & (d - 1)) == 0 ? __builtin_ctzll(d) : -1) {}
  uint64_t Div(uint64_t x) const { return shift_ >= 0 ? x >> shift_ : x / d_; }
  uint64_t Mod(uint64_t x) const { return shift_ >= 0 ? x & (d_ - 1) : x % d_; }
  uint64_t CeilDiv(uint64_t x) const { return Div(x + d_ - 1); }

 private:
  uint64_t d_;
  int shift_;
};

}  // namespace npusim::core

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

}  // namespace npusim::core

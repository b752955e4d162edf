// Integer helpers shared by the compiler, the timing kernels and the models.
#pragma once

#include <cstdint>

namespace npusim::core {

// ceil(a / b) for a >= 0, b > 0.
constexpr int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
// The smallest multiple of `align` (> 0) that is >= v (>= 0).
constexpr int64_t AlignUp(int64_t v, int64_t align) { return CeilDiv(v, align) * align; }

}  // namespace npusim::core

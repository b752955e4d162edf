#include "support/random.h"

#include <stdexcept>

namespace npusim::core {

uint64_t SplitMix64At(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int64_t RandomInt(uint64_t seed, uint64_t index, int64_t min, int64_t max) {
  if (min > max) throw std::invalid_argument("RandomInt: min > max");
  const uint64_t z = SplitMix64At(seed, index);
  // Unsigned arithmetic: max - min + 1 may not fit in int64 (it is 0 for the full 64-bit range).
  const uint64_t range = static_cast<uint64_t>(max) - static_cast<uint64_t>(min) + 1;
  const uint64_t offset = range == 0 ? z : z % range;
  return static_cast<int64_t>(static_cast<uint64_t>(min) + offset);
}

float RandomScale(uint64_t seed, uint64_t index, double min, double max) {
  const uint64_t z = SplitMix64At(seed, index);
  // 53 random bits give a double in [0, 1) exactly; 0x1p-53 is 2^-53.
  const double unit = static_cast<double>(z >> 11) * 0x1p-53;
  return static_cast<float>(min + (max - min) * unit);
}

}  // namespace npusim::core

#include "support/random.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace npusim::core {
namespace {

inline uint64_t SplitMix64(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t SplitMix64At(uint64_t seed, uint64_t index) { return SplitMix64(seed, index); }

int64_t RandomInt(uint64_t seed, uint64_t index, int64_t min, int64_t max) {
  if (min > max) throw std::invalid_argument("RandomInt: min > max");
  const uint64_t z = SplitMix64(seed, index);
  // Unsigned arithmetic: max - min + 1 may not fit in int64 (it is 0 for the full 64-bit range).
  const uint64_t range = static_cast<uint64_t>(max) - static_cast<uint64_t>(min) + 1;
  const uint64_t offset = range == 0 ? z : z % range;
  return static_cast<int64_t>(static_cast<uint64_t>(min) + offset);
}

void RandomInts(uint64_t seed, uint64_t first, int64_t count, int64_t min, int64_t max, int32_t* out) {
  constexpr int64_t kLo = std::numeric_limits<int32_t>::min(), kHi = std::numeric_limits<int32_t>::max();
  if (min > max || min < kLo || max > kHi) throw std::invalid_argument("RandomInts: bad range");
  const auto range = static_cast<uint64_t>(max - min) + 1;  // 1 .. 2^32
  const auto base = static_cast<int32_t>(min);
  // The sum min + offset lies in [min, max], so it fits in int32; unsigned to wrap as RandomInt does.
  auto put = [base](uint64_t offset) {
    return static_cast<int32_t>(static_cast<uint32_t>(base) + static_cast<uint32_t>(offset));
  };
  if ((range & (range - 1)) == 0) {  // 2^k: z mod 2^k is z's low k bits
    const uint64_t mask = range - 1;
    for (int64_t j = 0; j < count; ++j) out[j] = put(SplitMix64(seed, first + j) & mask);
    return;
  }
  const Remainder64 mod(range);
  for (int64_t j = 0; j < count; ++j) out[j] = put(mod.Of(SplitMix64(seed, first + j)));
}

std::vector<int32_t> RandomIntVector(uint64_t seed, int64_t count, int64_t min, int64_t max) {
  std::vector<int32_t> values;
  values.reserve(static_cast<size_t>(count));
  constexpr int64_t kChunk = 1024;  // stays in L1 between generating and appending
  int32_t chunk[kChunk];
  for (int64_t i = 0; i < count; i += kChunk) {
    const int64_t n = std::min(kChunk, count - i);
    RandomInts(seed, static_cast<uint64_t>(i), n, min, max, chunk);
    values.insert(values.end(), chunk, chunk + n);
  }
  return values;
}

float RandomScale(uint64_t seed, uint64_t index, double min, double max) {
  const uint64_t z = SplitMix64(seed, index);
  // 53 random bits give a double in [0, 1) exactly; 0x1p-53 is 2^-53.
  const double unit = static_cast<double>(z >> 11) * 0x1p-53;
  return static_cast<float>(min + (max - min) * unit);
}

}  // namespace npusim::core

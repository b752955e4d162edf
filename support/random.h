// Deterministic pseudo-random values for network files (docs/formats.md, "Random values").
//
// The recipe is splitmix64 evaluated at a position, so any element can be computed on its own and
// scripts (Python, numpy) can reproduce a network's data exactly:
//   z = seed + (index + 1) * 0x9E3779B97F4A7C15            (mod 2^64)
//   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
//   z = (z ^ (z >> 27)) * 0x94D049BB133111EB
//   z = z ^ (z >> 31)
#pragma once

#include <cstdint>
#include <vector>

namespace npusim::core {

// The splitmix64 output for element `index` (0-based) of the stream named by `seed`.
uint64_t SplitMix64At(uint64_t seed, uint64_t index);

// min + z mod (max - min + 1); requires min <= max.
int64_t RandomInt(uint64_t seed, uint64_t index, int64_t min, int64_t max);

// RandomInt(seed, first + j, min, max) for j = 0 .. count-1, written to out[j]: the same values,
// with the range's division prepared once instead of a 64-bit division per element (a range of
// 2^k is a mask; any other range the exact remainder by a 128-bit reciprocal, see random.cpp).
// Requires min <= max, both in int32's range (a tensor's values are stored as int32).
void RandomInts(uint64_t seed, uint64_t first, int64_t count, int64_t min, int64_t max, int32_t* out);

// Elements 0 .. count-1 of RandomInts, as a vector (written once: not zeroed first).
std::vector<int32_t> RandomIntVector(uint64_t seed, int64_t count, int64_t min, int64_t max);

// float32(min + (max - min) * (z >> 11) * 2^-53), the double rounded once to float.
float RandomScale(uint64_t seed, uint64_t index, double min, double max);

// z mod d for every 64-bit z and a fixed d > 0, without a division per call (Lemire, Kaser and
// Kurz, "Faster remainder by direct computation", 2019): with c = ceil(2^128 / d), the fraction
// (c * z mod 2^128) / 2^128 lies within (z mod d) / d and ((z mod d) + 1) / d, so multiplying it by
// d and keeping the integer part gives z mod d exactly; the bound holds when 128 >= 64 + log2(d),
// that is for every 64-bit d. tests/support/random_test.cpp compares it with `%`.
class Remainder64 {
 public:
  // c = floor((2^128 - 1) / d) + 1 is ceil(2^128 / d) for every d > 1; d = 1 wraps c to 0, whose
  // results are 0 = z mod 1 as well.
  explicit Remainder64(uint64_t d) : d_(d), c_(~U128{0} / d + 1) {}
  uint64_t Of(uint64_t z) const {
    const U128 frac = c_ * z;  // mod 2^128
    const U128 lo = static_cast<U128>(static_cast<uint64_t>(frac)) * d_;
    const U128 hi = static_cast<U128>(static_cast<uint64_t>(frac >> 64)) * d_;
    return static_cast<uint64_t>((hi + (lo >> 64)) >> 64);
  }

 private:
  using U128 = unsigned __int128;
  uint64_t d_;
  U128 c_;
};

}  // namespace npusim::core

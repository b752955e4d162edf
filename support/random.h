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

namespace npusim::core {

// The splitmix64 output for element `index` (0-based) of the stream named by `seed`.
uint64_t SplitMix64At(uint64_t seed, uint64_t index);

// min + z mod (max - min + 1); requires min <= max.
int64_t RandomInt(uint64_t seed, uint64_t index, int64_t min, int64_t max);

// float32(min + (max - min) * (z >> 11) * 2^-53), the double rounded once to float.
float RandomScale(uint64_t seed, uint64_t index, double min, double max);

}  // namespace npusim::core

// The npusim arch a SCALE-Sim v2 config stands for (docs/scalesim.md, "The full model"): one
// systolic array of the cfg's shape and dataflow, four buffers sized from its SRAM keys (the
// accumulator buffer holding 32-bit partial sums), a DRAM with the cfg's bandwidth, and a
// Horowitz 45 nm energy table with the source of every figure.
#pragma once

#include <cstdint>
#include <string>

#include "config/arch.h"
#include "frontends/scalesim/scalesim_input.h"

namespace npusim::core {

// Every tensor of the full model lives in a DRAM of this size (one byte per int8 value).
constexpr int64_t kScaleSimDramCapacityBytes = int64_t{256} << 20;

// The arch as arch JSON (written beside the results as arch.json).
std::string ScaleSimArchJson(const ScaleSimConfig& config);

// `json_text` (ScaleSimArchJson's) through the normal validating loader. A problem there is a cfg
// value beyond what npusim's arch accepts (e.g. ArrayHeight > 4096): a ConfigError against the cfg.
ArchConfig LoadScaleSimArch(const ScaleSimConfig& config, const std::string& json_text);

}  // namespace npusim::core

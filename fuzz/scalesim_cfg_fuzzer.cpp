// libFuzzer target: core::LoadScaleSimConfig (SCALE-Sim v2 .cfg) on arbitrary bytes. Loading must
// succeed or throw core::ConfigError.
#include <cstddef>
#include <cstdint>

#include "frontends/scalesim/scalesim_input.h"
#include "fuzz/fuzz_support.h"
#include "support/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const npusim::fuzz::ScratchDir dir;
  const std::string path = dir.Write("x.cfg", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    npusim::core::LoadScaleSimConfig(path);
  } catch (const npusim::core::ConfigError&) {
  }
  return 0;
}

// libFuzzer target: core::LoadNpy, and core::LoadInputNpy against a fixed [1, 4, 4, 3] signed 8-bit
// input, on arbitrary bytes. Reading must succeed or throw core::ConfigError.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "ir/net_loader.h"
#include "support/error.h"
#include "support/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const npusim::fuzz::ScratchDir dir;
  const std::string path = dir.Write("x.npy", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    npusim::core::LoadNpy(path);
  } catch (const npusim::core::ConfigError&) {
  }
  npusim::core::TensorInfo expected;
  expected.name = "x";
  expected.shape = {1, 4, 4, 3};
  try {
    npusim::core::LoadInputNpy(path, expected);
  } catch (const npusim::core::ConfigError&) {
  }
  return 0;
}

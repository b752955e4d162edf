// libFuzzer target: core::LoadNetwork on arbitrary bytes: the network JSON, optionally followed by
// fuzz::kNpyMarker and the bytes of "w.npy" (a weight file the JSON may name). Loading must succeed
// or throw core::ConfigError.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "ir/net_loader.h"
#include "support/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const npusim::fuzz::ScratchDir dir;
  const npusim::fuzz::NetInput in =
      npusim::fuzz::SplitNetInput(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string path = dir.Write("net.json", in.json);
  if (in.npy) dir.Write("w.npy", *in.npy);
  else dir.Remove("w.npy");
  try {
    npusim::core::LoadNetwork(path);
  } catch (const npusim::core::ConfigError&) {
  }
  return 0;
}

// libFuzzer target: core::LoadScaleSimTopology on arbitrary bytes, read both as the convolution
// form and as the GEMM form. Loading must succeed or throw core::ConfigError.
#include <cstddef>
#include <cstdint>

#include "frontends/scalesim/scalesim_input.h"
#include "fuzz/fuzz_support.h"
#include "support/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const npusim::fuzz::ScratchDir dir;
  const std::string path = dir.Write("t.csv", std::string_view(reinterpret_cast<const char*>(data), size));
  for (auto form : {npusim::core::ScaleSimTopologyForm::kConv, npusim::core::ScaleSimTopologyForm::kGemm}) {
    try {
      npusim::core::LoadScaleSimTopology(path, form);
    } catch (const npusim::core::ConfigError&) {
    }
  }
  return 0;
}

// libFuzzer target: core::LoadArch on arbitrary bytes (the arch JSON, with an inline energy table or
// a file name resolved next to it: the scratch directory links "energy" to arch/energy so the
// shipped tables are found), then the area of an arch that loaded with an area section
// (config/area.h). Loading must succeed or throw core::ConfigError; anything else (another
// exception, a sanitizer report, a hang, an OOM) is a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "config/arch.h"
#include "config/area.h"
#include "fuzz/fuzz_support.h"
#include "support/error.h"

namespace {
const npusim::fuzz::ScratchDir& Dir() {
  static const npusim::fuzz::ScratchDir dir;
  static const bool linked = [] {
    std::error_code ec;
    std::filesystem::create_directory_symlink(NPUSIM_SOURCE_DIR "/arch/energy", dir.File("energy"), ec);
    return !ec;
  }();
  (void)linked;
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      Dir().Write("arch.json", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const npusim::core::ArchConfig arch = npusim::core::LoadArch(path);
    if (arch.energy.area.present) npusim::core::ComputeArea(arch);
  } catch (const npusim::core::ConfigError&) {
  }
  return 0;
}

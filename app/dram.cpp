// `npusim dram`: a load/store trace through the timed DRAM alone (sim/dram_trace.h).
#include <iostream>

#include "app/app.h"
#include "app/commands.h"
#include "config/arch.h"
#include "sim/dram_trace.h"
#include "sim/report.h"
#include "support/atomic_file.h"
#include "support/error.h"

namespace npusim::app {

int DramCommand(const DramOptions& o) {
  core::DramSpec spec;
  if (!o.preset.empty()) {
    const core::DramSpec* p = core::DramPreset(o.preset);
    if (p == nullptr) {
      std::string names;
      for (const std::string& n : core::DramPresetNames()) names += (names.empty() ? "" : ", ") + n;
      throw core::ConfigError("--preset", "", "expected one of " + names + ", got \"" + o.preset + "\"");
    }
    spec = *p;
  } else {
    const core::ArchConfig arch = core::LoadArch(o.arch);
    if (!arch.dram.timed()) {
      throw core::ConfigError(
          o.arch, "/dram/model",
          "expected \"dram\" (a timed DRAM) for npusim dram, got \"" + arch.dram.model + "\"");
    }
    spec = arch.dram.spec;
  }
  if (spec.access_bytes() != 64) {
    throw core::ConfigError(o.preset.empty() ? o.arch : "--preset", "/dram",
                            "trace requests are 64 bytes; this DRAM's access is " +
                                std::to_string(spec.access_bytes()) + " bytes (bus_bits / 8 x burst_length)");
  }
  const auto requests = sim::ReadDramTrace(o.trace, spec.capacity_bytes());
  if (!o.out.empty()) sim::PrepareOutputDir(o.out);
  const auto result = models::timing::RunDramTrace(spec, requests);
  const nlohmann::json report = sim::DramTraceReport(spec, result);
  std::cout << sim::DramTraceSummary(report);
  if (!o.out.empty()) {
    core::WriteFileAtomically(o.out + "/report.json", report.dump(2) + "\n");
    std::cout << "  report: " << o.out << "/report.json\n";
  }
  return kExitOk;
}

}  // namespace npusim::app

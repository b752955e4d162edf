// `npusim scalesim -c CONFIG.cfg -t TOPOLOGY.csv [-i conv|gemm] [--out DIR] [--compat scalesim]`.
#include "app/scalesim.h"

#include <cctype>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "app/app.h"
#include "app/commands.h"
#include "support/atomic_file.h"
#include "support/error.h"

namespace npusim::app {
namespace {

namespace fs = std::filesystem;

// results/scalesim-<run_name>, the name reduced to characters safe in a directory name.
std::string DefaultOutDir(const std::string& run_name) {
  std::string safe = run_name;
  for (char& c : safe) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return "results/scalesim-" + safe;
}

void WriteCompatFiles(const std::string& dir, const ScaleSimCompatRun& run) {
  // Everything is computed before the directory is touched: bad input leaves nothing behind.
  const std::string csv = core::ScaleSimComputeReportCsv(run);
  const std::string bandwidth = core::ScaleSimBandwidthReportCsv(run);
  const std::string detailed = core::ScaleSimDetailedAccessReportCsv(run);
  const std::string json = core::ScaleSimReportJson(run);
  sim::PrepareOutputDir(dir);
  core::WriteFileAtomically((fs::path(dir) / "COMPUTE_REPORT.csv").string(), csv);
  core::WriteFileAtomically((fs::path(dir) / "BANDWIDTH_REPORT.csv").string(), bandwidth);
  core::WriteFileAtomically((fs::path(dir) / "DETAILED_ACCESS_REPORT.csv").string(), detailed);
  core::WriteFileAtomically((fs::path(dir) / "report.json").string(), json);
}

}  // namespace

int ScaleSimCommand(const ScaleSimOptions& o) {
  const core::ScaleSimTopologyForm form =
      o.input_type == "gemm" ? core::ScaleSimTopologyForm::kGemm : core::ScaleSimTopologyForm::kConv;
  const ScaleSimInputs in = core::LoadScaleSimInputs(o.config, o.topology, form);
  const std::string dir = o.out.empty() ? DefaultOutDir(in.config.run_name) : o.out;
  if (o.compat.empty()) return RunScaleSimFullModel(in, dir);
  const ScaleSimCompatRun run = core::RunScaleSimCompat(in);
  WriteCompatFiles(dir, run);
  for (const std::string& note : run.notes) std::cerr << "npusim: note: " << note << "\n";
  std::cout << core::ScaleSimSummaryTable(run);
  std::cout << "report: " << dir << "/report.json, " << dir << "/COMPUTE_REPORT.csv, " << dir
            << "/BANDWIDTH_REPORT.csv, " << dir << "/DETAILED_ACCESS_REPORT.csv\n";
  return kExitOk;
}

}  // namespace npusim::app

// `npusim lut`: a latency/energy look-up table for hardware-aware NAS (docs/sweep.md, "lut"); the
// table itself is explore/lut.h's.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "app/app.h"
#include "app/commands.h"
#include "config/arch.h"
#include "explore/lut.h"
#include "explore/nas_space.h"
#include "ir/net_writer.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::app {
namespace {

namespace fs = std::filesystem;
namespace nas = explore::nas;
using nlohmann::json;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// `--emit-net`: one architecture of a block space as a network file (the LUT's own pieces, composed).
int EmitNet(const LutOptions& o, const json& doc) {
  if (!nas::IsBlockSpace(doc)) {
    throw core::ConfigError(o.space, "",
                            "--emit-net needs a block space (with \"stages\"), got a layer space");
  }
  const nas::Space space = nas::LoadSpace(doc, o.space);
  const nas::Piece p = nas::ArchitecturePiece(space, nas::ParseArchitecture(space, o.emit_net, "--emit-net"));
  const fs::path scratch =
      fs::temp_directory_path() / ("npusim_lut_net_" + std::to_string(getpid()) + ".json");
  const core::Graph g = explore::lut::LoadPiece(p, scratch);
  const fs::path out = fs::absolute(o.out);
  core::SaveNetwork(g, out.string(), (out.parent_path() / (out.stem().string() + "_weights")).string());
  std::cout << "lut: network of " << space.name << " [" << o.emit_net << "], " << g.ops.size() << " ops, "
            << p.skip << " residual adds; " << o.out << "\n";
  return kExitOk;
}

}  // namespace

int LutCommand(const LutOptions& o) {
  namespace lut = explore::lut;
  const auto t0 = std::chrono::steady_clock::now();
  const core::ArchConfig arch = core::LoadArch(o.arch);
  const json doc = core::ReadJsonFile(o.space);
  if (!o.emit_net.empty()) return EmitNet(o, doc);
  const lut::LutSpace s = lut::LoadJobs(doc, o.space, o.max_entries);
  const size_t workers_n = std::min<size_t>(static_cast<size_t>(o.jobs), std::max<size_t>(s.jobs.size(), 1));
  const lut::Table table = lut::Tabulate(s, lut::SimulateJobs(arch, s.jobs, workers_n));
  // A .json name gets the same table as a JSON document, else CSV with a comment line first.
  const bool as_json = EndsWith(o.out, ".json");
  core::WriteFileAtomically(o.out, as_json ? lut::LutJson(o.arch, o.space, arch, s, table)
                                           : lut::LutCsv(o.arch, o.space, arch, s, table));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "lut: " << s.all.size() << " entries (" << s.jobs.size() << " simulated) in " << secs << " s ("
            << s.jobs.size() / secs << " simulations/s, " << workers_n << " jobs); " << o.out << "\n";
  return kExitOk;
}

}  // namespace npusim::app

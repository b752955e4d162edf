// libFuzzer target: a `npusim lut` space (explore/lut.h: a layer space or a block space,
// explore/nas_space.h) on arbitrary bytes. Its entries are built as `npusim lut` builds them
// (lut::LoadJobs, under a small entry budget so that a space of 10^12 entries must be refused
// before any is built), never simulated. Loading must succeed or throw core::ConfigError; a block
// space it accepts must give pieces (stem, the first choice of every position, head, and the
// architecture of those choices, by its own name) that load as network files (or are refused with
// ConfigError, e.g. over the data budget) and take their precision maps.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/transforms/precision.h"
#include "explore/lut.h"
#include "explore/nas_space.h"
#include "fuzz/fuzz_support.h"
#include "ir/net_loader.h"
#include "support/error.h"
#include "support/json_util.h"

namespace {

namespace nas = npusim::explore::nas;
namespace lut = npusim::explore::lut;
namespace core = npusim::core;

// Entries one input may build (`npusim lut --max-entries`, far below its default, to stay fast).
constexpr int64_t kMaxEntries = 500;

void Expect(bool ok) {
  if (!ok) std::abort();
}

void LoadPiece(const npusim::fuzz::ScratchDir& dir, const nas::Piece& p) {
  try {
    core::Graph g = core::LoadNetwork(dir.Write("piece.json", p.doc.dump()));
    core::ApplyWeightBits(g, p.weight_bits, "weight_bits");
    core::ApplyActivationBits(g, p.activation_bits, "activation_bits");
  } catch (const core::ConfigError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const npusim::fuzz::ScratchDir dir;
  const std::string path = dir.Write("space.json", std::string(reinterpret_cast<const char*>(data), size));
  try {
    const core::Json doc = core::ReadJsonFile(path);
    const lut::LutSpace jobs = lut::LoadJobs(doc, path, kMaxEntries);
    Expect(static_cast<int64_t>(jobs.all.size()) <= kMaxEntries && jobs.jobs.size() <= jobs.all.size());
    if (!jobs.blocks) return 0;
    const nas::Space s = nas::LoadSpace(doc, path);
    std::string spec;
    for (const nas::Position& p : s.positions) {
      const nas::Choice c = p.choices.All().at(0);
      spec += (spec.empty() ? "" : ",") + c.Name();
      LoadPiece(dir, nas::BlockPiece(s, p, c));
    }
    if (s.stem) LoadPiece(dir, nas::StemPiece(s));
    if (s.head) LoadPiece(dir, nas::HeadPiece(s));
    LoadPiece(dir, nas::ArchitecturePiece(s, nas::ParseArchitecture(s, spec, "fuzz")));
  } catch (const core::ConfigError&) {
  }
  return 0;
}

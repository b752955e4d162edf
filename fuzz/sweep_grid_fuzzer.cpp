// libFuzzer target: a `npusim sweep` grid file (explore/sweep_grid.h) on arbitrary bytes, read,
// validated against arch/unpu.json and checked against the point budget exactly as `npusim sweep`
// does before it runs anything, then a bounded slice of its points decoded. No sweep is run.
// Loading must succeed or throw core::ConfigError; an accepted grid must keep its promises: the
// points counted fit the budget, a selection is ascending, distinct and within the count, every
// decoded choice names one of its knob's values, and a point's arch loads or is refused with a
// ConfigError. Anything else (an exception, a sanitizer report, a hang, an OOM) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/arch.h"
#include "explore/sweep_grid.h"
#include "fuzz/fuzz_support.h"
#include "support/error.h"
#include "support/json_util.h"

namespace {

namespace sweep = npusim::explore::sweep;
namespace core = npusim::core;

constexpr const char* kBaseArch = NPUSIM_SOURCE_DIR "/arch/unpu.json";
// Points decoded per input: enough to cover sampling and sharding, few enough to stay fast.
constexpr int64_t kMaxDecoded = 4096;

void Expect(bool ok) {
  if (!ok) std::abort();
}

void CheckPoint(const sweep::Grid& g, const sweep::Point& p, size_t nets) {
  Expect(p.net < nets && p.choice.size() == g.knobs.size());
  for (size_t k = 0; k < g.knobs.size(); ++k) Expect(p.choice[k] < g.knobs[k].values.size());
  (void)sweep::WeightBitsSpec(g, p);
  (void)sweep::WeightBitsSpec(g, p, true);
}

// The point's arch, written and loaded as `npusim sweep` does for each point it runs.
void LoadPointArch(const npusim::fuzz::ScratchDir& dir, const nlohmann::json& base, const sweep::Grid& g,
                   const sweep::Point& p) {
  try {
    core::LoadArch(dir.Write("point.json", sweep::PointArch(base, kBaseArch, g, p).dump()));
  } catch (const core::ConfigError&) {
  }
}

void CheckSelection(const std::vector<int64_t>& mine, int64_t total) {
  for (size_t i = 0; i < mine.size(); ++i) {
    Expect(mine[i] >= 0 && mine[i] < total);
    Expect(i == 0 || mine[i - 1] < mine[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const npusim::fuzz::ScratchDir dir;
  static const nlohmann::json base = core::ReadJsonFile(kBaseArch);
  const std::string path = dir.Write("grid.json", std::string(reinterpret_cast<const char*>(data), size));
  try {
    const sweep::Grid g = sweep::LoadGrid(path, base);
    const size_t nets = 1 + size % 3;  // `--net` given one to three times
    const int64_t total = sweep::PointCount(g, nets, path);
    sweep::CheckPointBudget(total, g.sample, sweep::kDefaultMaxPoints, path);
    // A column per knob beside the fixed ones (those of a grid without knobs).
    Expect(total >= 1 &&
           sweep::CsvHeader(g).size() == g.knobs.size() + sweep::CsvHeader(sweep::Grid{}).size());
    const int64_t chosen = g.sample > 0 && g.sample < total ? g.sample : total;
    if (chosen <= kMaxDecoded) {
      const int shards = 1 + static_cast<int>(size % 4);
      int64_t selected = 0;
      for (int s = 0; s < shards; ++s) {
        const std::vector<int64_t> mine = sweep::SelectPoints(total, g.sample, g.seed, s, shards);
        CheckSelection(mine, total);
        selected += static_cast<int64_t>(mine.size());
        for (const int64_t i : mine) CheckPoint(g, sweep::DecodePoint(i, total, g, nets), nets);
      }
      Expect(selected == chosen);
    }
    // One point's arch (the input picks which: the first, the last or one between).
    LoadPointArch(dir, base, g, sweep::DecodePoint(static_cast<int64_t>(size) % total, total, g, nets));
  } catch (const core::ConfigError&) {
  }
  return 0;
}

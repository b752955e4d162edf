// The latency/energy look-up table of `npusim lut` (docs/sweep.md, "lut"): the space it
// tabulates, its entries simulated in child processes, and the table as CSV or JSON. Two kinds of
// space. A block space (explore/nas_space.h: MBConv stages with kernel, expansion and
// weight/activation bits chosen per block) gives one entry per choice at every position, each
// block simulated as one network (expand, depthwise, project and its residual add together), plus
// the fixed stem and head. A layer space gives one entry per layer of its cross product:
//
//   {"layers": [{"op": ["conv2d", "depthwise"], "in_channels": [16, 32], "out_channels": [32],
//                "kernel": [1, 3, 5], "stride": [1, 2], "resolution": [56], "weight_bits": [4, 8]}]}
//
// Every entry is a network document, loaded and validated like any network file, re-quantized
// with core::ApplyWeightBits / ApplyActivationBits, and simulated in its own child process by the
// same pipeline `npusim run` uses (sim/figures.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/arch.h"
#include "explore/nas_space.h"
#include "ir/graph.h"

namespace npusim::explore::lut {

// One LUT entry to simulate: its row's own fields, the network and its precision maps; `same`
// names an earlier job with the same figures (a block space repeats shapes), else -1.
struct Job {
  nlohmann::json fields;
  nas::Piece piece;
  long same = -1;
};

// The space a LUT tabulates: its entries (jobs) and what the table's header says of it.
struct LutSpace {
  bool blocks = false;           // a block space (else a layer space)
  std::string name;              // the block space's name, or "layers"
  std::vector<Job> all;          // every row
  std::vector<const Job*> jobs;  // the rows to simulate (the others repeat one of these)
};

// The default of `npusim lut --max-entries`: the entries one table may have (HW-NAS-Bench's
// spaces have 10^2..10^4; each entry is a simulation).
constexpr int64_t kDefaultMaxEntries = 1'000'000;

// The space of a parsed space file (a block space if it has "stages", else a layer space). Throws
// ConfigError naming `path` and the JSON pointer of every problem, and, before building any entry,
// when the space has more than `max_entries` entries (counted before duplicates are merged).
LutSpace LoadJobs(const nlohmann::json& doc, const std::string& path,
                  int64_t max_entries = kDefaultMaxEntries);

// Loads a piece's network (written to `file` and validated like any network file, then removed)
// and applies its precision maps.
core::Graph LoadPiece(const nas::Piece& p, const std::filesystem::path& file);

// Simulates `jobs` on `workers_n` workers, each a child process simulating a contiguous slice
// (sim/child.h), and returns every job's figures (or {"error": message}).
std::map<const Job*, nlohmann::json> SimulateJobs(const core::ArchConfig& arch,
                                                  const std::vector<const Job*>& jobs, size_t workers_n);

// The table: its columns and one record per row of the space (a repeated row has the figures of
// the job it repeats).
struct Table {
  std::vector<std::string> columns;
  nlohmann::json records;
};
Table Tabulate(const LutSpace& s, const std::map<const Job*, nlohmann::json>& figures);

// The table as a JSON document, and as CSV with a comment line first; both name the files.
std::string LutJson(const std::string& arch_file, const std::string& space_file, const core::ArchConfig& arch,
                    const LutSpace& s, const Table& t);
std::string LutCsv(const std::string& arch_file, const std::string& space_file, const core::ArchConfig& arch,
                   const LutSpace& s, const Table& t);

}  // namespace npusim::explore::lut

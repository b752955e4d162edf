// `npusim sweep`: every design point of a grid (explore/sweep_grid.h) run by `npusim run` in its
// own child process (SystemC elaborates once per process), `jobs` at a time, each row of
// DIR/sweep.csv appended and flushed as its point finishes, so an interrupted sweep resumes and a
// failing point is a row, not a stop. And `npusim sweep-merge`, which joins the shards of a sweep
// split with --shard. docs/sweep.md is the user's description.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npusim::explore::sweep {

struct Options {
  std::string arch, grid, out;
  std::vector<std::string> nets;
  int jobs = 1;
  int shard_index = 0, shard_count = 1;  // --shard K/N: points whose position % N == K
  int64_t sample = 0;                    // 0: the whole cross product
  uint64_t seed = 1;
  bool seed_set = false;                // --seed given (else the grid's "seed")
  std::vector<std::string> merge_dirs;  // sweep-merge: shard directories
  std::string mode = "timing";          // --mode of each point's `npusim run`
  int64_t max_points = 10'000'000;      // --max-points (explore/sweep_grid.h kDefaultMaxPoints)
};

// Runs (or resumes) the sweep into o.out with the npusim binary `npusim` (each point is
// `npusim run`), progress on stderr; a stop signal ends it after the running points, with whole
// rows only. Throws ConfigError for an invalid arch, network, grid or directory.
void Sweep(const Options& o, const std::string& npusim);

// Joins the shard directories o.merge_dirs into o.out/sweep.csv.
void SweepMerge(const Options& o);

}  // namespace npusim::explore::sweep

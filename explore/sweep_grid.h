// The design space of `npusim sweep` (docs/sweep.md): a grid file names knobs, each with a list
// of values; the points are their cross product (times the networks), optionally a random sample
// of it, optionally one shard of that. Pure C++: no SystemC, no processes.
//
//   {"knobs": {"/units/0/rows": [8, 16, 32],                 arch field by JSON pointer
//              "/dram/bytes_per_cycle": {"range": [8, 32, 8]},  lo, lo+step, ... <= hi
//              "weight_bits:*": [4, 8],                        net knob: --weight-bits '*=4'
//              "activation_bits:conv1": [8, 16]},              net knob: --activation-bits conv1=16
//    "sample": 10, "seed": 1}                                  optional (the command line wins)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace npusim::explore::sweep {

constexpr const char* kWeightBitsPrefix = "weight_bits:";
constexpr const char* kActivationBitsPrefix = "activation_bits:";

struct Knob {
  // "/units/0/rows" (arch JSON pointer), "weight_bits:LAYER" or "activation_bits:LAYER" ('*' = all)
  std::string key;
  std::vector<nlohmann::json> values;
  bool weight_bits() const { return key.rfind(kWeightBitsPrefix, 0) == 0; }
  bool activation_bits() const { return key.rfind(kActivationBitsPrefix, 0) == 0; }
  bool net_knob() const { return weight_bits() || activation_bits(); }
  std::string layer() const {
    return key.substr(std::string(weight_bits() ? kWeightBitsPrefix : kActivationBitsPrefix).size());
  }
};

struct Grid {
  std::vector<Knob> knobs;  // in file order (the CSV's column order)
  int64_t sample = 0;       // 0: every point
  uint64_t seed = 1;
  nlohmann::json doc;  // the file as read (once: GRID may be a pipe), for sweep.json
};

// Reads GRID once through the JSON reading path every input file takes (support/json_util.h:
// size, nesting, string length, normal numbers) and validates it: every arch pointer must exist
// in `base_arch` (so a typo fails before any point runs), values are non-empty lists or ranges,
// weight bits are 1..16, a clock ("/.../clock_mhz") is in 0.001..100000 MHz. Throws ConfigError
// naming the grid file and the knob's pointer.
Grid LoadGrid(const std::string& path, const nlohmann::json& base_arch);

// The default of --max-points: the points one sweep may run (a demanding sweep runs 10^5).
constexpr int64_t kDefaultMaxPoints = 10'000'000;

// One design point: which network and which value of every knob.
struct Point {
  int64_t index = 0;  // position in the full cross product (networks outermost)
  std::string id;     // "p" + index, zero-padded to the width of the largest index
  size_t net = 0;
  std::vector<size_t> choice;  // per knob, the index of its value
};

// Points in the full cross product of `grid` and `nets` networks; ConfigError if it overflows.
int64_t PointCount(const Grid& grid, size_t nets, const std::string& grid_file);
// Refuses (ConfigError naming the grid file) to run more than `max_points` points: `total`, or
// `sample` of them when sampling. Checked before anything is allocated for the points.
void CheckPointBudget(int64_t total, int64_t sample, int64_t max_points, const std::string& grid_file);
Point DecodePoint(int64_t index, int64_t total, const Grid& grid, size_t nets);

// The indices to run, ascending: all of [0, total), or `sample` distinct ones drawn with `seed`
// (the same for every shard), then those at positions p with p % shard_count == shard_index.
std::vector<int64_t> SelectPoints(int64_t total, int64_t sample, uint64_t seed, int shard_index,
                                  int shard_count);

// The point's arch: `base_arch` with every arch knob set, and a relative energy file name made
// absolute against `base_arch_file`'s directory (the point's arch lives elsewhere).
nlohmann::json PointArch(const nlohmann::json& base_arch, const std::string& base_arch_file, const Grid& grid,
                         const Point& p);
// The point's --weight-bits spec ("" when the grid has no weight-bits knob): '*' first; with
// `activations`, its --activation-bits spec.
std::string WeightBitsSpec(const Grid& grid, const Point& p, bool activations = false);
// A knob value as the CSV shows it: numbers and booleans as JSON, strings bare.
std::string ValueText(const nlohmann::json& v);

// sweep.csv's header for `grid` (docs/sweep.md); its lines are support/csv.h's.
std::vector<std::string> CsvHeader(const Grid& grid);

}  // namespace npusim::explore::sweep

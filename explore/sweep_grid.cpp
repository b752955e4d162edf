// The sweep's design space and sweep.csv's text format (explore/sweep_grid.h).
#include "explore/sweep_grid.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <set>

#include "config/arch.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::explore::sweep {
namespace {

using core::Pointer;
using nlohmann::json;

// {"range": [lo, hi, step]}: lo, lo + step, ... up to hi inclusive; integers stay integers.
// Values of all knobs together: each is a CSV cell of some row, and held in memory for the sweep.
constexpr int64_t kMaxGridValues = 1'000'000;

// {"range": [lo, hi, step]} of at most `max_values` values (what the grid has left).
std::vector<json> ExpandRange(const json& r, const std::string& ptr, int64_t max_values,
                              core::ProblemList& problems) {
  if (!r.is_array() || r.size() != 3 || !r[0].is_number() || !r[1].is_number() || !r[2].is_number()) {
    problems.Add(ptr, "expected [lo, hi, step] (three numbers), got " + core::Describe(r));
    return {};
  }
  const bool ints = r[0].is_number_integer() && r[1].is_number_integer() && r[2].is_number_integer();
  const double lo = r[0].get<double>(), hi = r[1].get<double>(), step = r[2].get<double>();
  if (!(step > 0) || hi < lo) {
    problems.Add(ptr, "expected step > 0 and hi >= lo, got " + core::Describe(r));
    return {};
  }
  if ((hi - lo) / step + 1 > static_cast<double>(max_values)) {
    problems.Add(ptr, "expected at most " + std::to_string(max_values) + " values (a grid holds " +
                          std::to_string(kMaxGridValues) + " in all), got " + core::Describe(r));
    return {};
  }
  std::vector<json> out;
  // An index times the step, not repeated addition, so 0.1-steps do not drift past hi.
  const int64_t n = static_cast<int64_t>(std::floor((hi - lo) / step * (1 + 1e-12))) + 1;
  for (int64_t i = 0; i < n; ++i) {
    if (ints) {
      out.push_back(r[0].get<int64_t>() + i * r[2].get<int64_t>());
    } else {
      out.push_back(lo + static_cast<double>(i) * step);
    }
  }
  return out;
}

void CheckBitsKnob(const Knob& k, const std::string& ptr, core::ProblemList& problems) {
  const std::string kind = k.weight_bits() ? "weight_bits" : "activation_bits";
  const int64_t lo = k.weight_bits() ? 1 : 2;
  if (k.layer().empty()) problems.Add(ptr, "expected \"" + kind + ":LAYER\" or \"" + kind + ":*\"");
  for (size_t i = 0; i < k.values.size(); ++i) {
    const json& v = k.values[i];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > 16) {
      problems.Add(Pointer(ptr, i),
                   "expected an integer in " + std::to_string(lo) + "..16, got " + core::Describe(v));
    }
  }
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A clock knob's values: what config/arch.cpp accepts for a clock, checked before any point runs.
void CheckClockValues(const Knob& k, const std::string& ptr, core::ProblemList& problems) {
  core::JsonChecker check(&problems);
  for (size_t i = 0; i < k.values.size(); ++i) {
    core::CheckClockMhz(check, k.values[i], Pointer(ptr, i));
  }
}

Knob ParseKnob(const std::string& key, const json& spec, const json& base_arch, const std::string& ptr,
               int64_t max_values, core::ProblemList& problems) {
  Knob k;
  k.key = key;
  if (spec.is_array()) {
    k.values.assign(spec.begin(), spec.end());
  } else if (spec.is_object() && spec.size() == 1 && spec.contains("range")) {
    k.values = ExpandRange(spec["range"], Pointer(ptr, "range"), max_values, problems);
  } else {
    problems.Add(ptr,
                 "expected a list of values or {\"range\": [lo, hi, step]}, got " + core::Describe(spec));
    return k;
  }
  if (k.values.empty()) problems.Add(ptr, "expected at least one value");
  if (k.net_knob()) {
    CheckBitsKnob(k, ptr, problems);
    return k;
  }
  if (key.empty() || key[0] != '/') {
    problems.Add(ptr, "expected an arch JSON pointer (\"/units/0/rows\"), \"weight_bits:LAYER\" or "
                      "\"activation_bits:LAYER\", got \"" +
                          key + "\"");
    return k;
  }
  if (EndsWith(key, "/clock_mhz")) CheckClockValues(k, ptr, problems);
  bool present = false;
  try {
    present = base_arch.contains(json::json_pointer(key));
  } catch (const json::exception&) {
  }
  if (!present) problems.Add(ptr, "the base arch has no field \"" + key + "\" (write it there to sweep it)");
  return k;
}

}  // namespace

Grid LoadGrid(const std::string& path, const json& base_arch) {
  nlohmann::ordered_json doc = core::ParseOrderedJsonText(core::ReadJsonFileText(path), path);
  core::ProblemList problems(path);
  Grid g;
  g.doc = json::parse(doc.dump());
  if (!doc.is_object()) throw core::ConfigError(path, "", "expected an object with \"knobs\"");
  for (const auto& [key, value] : doc.items()) {
    if (key != "knobs" && key != "sample" && key != "seed") {
      problems.Add(Pointer("", key), "unknown key \"" + key + "\" (expected one of: knobs, sample, seed)");
    }
  }
  if (doc.contains("sample")) {
    if (doc["sample"].is_number_integer() && doc["sample"].get<int64_t>() > 0) {
      g.sample = doc["sample"].get<int64_t>();
    } else {
      problems.Add("/sample",
                   "expected a positive integer, got " + core::Describe(json::parse(doc["sample"].dump())));
    }
  }
  if (doc.contains("seed")) {
    if (doc["seed"].is_number_unsigned()) {
      g.seed = doc["seed"].get<uint64_t>();
    } else {
      problems.Add("/seed", "expected a non-negative integer");
    }
  }
  if (!doc.contains("knobs") || !doc["knobs"].is_object() || doc["knobs"].empty()) {
    problems.Add("/knobs", "expected an object of at least one knob (\"/units/0/rows\": [8, 16])");
    problems.ThrowIfAny();
  }
  int64_t values = 0;
  for (const auto& item : doc["knobs"].items()) {
    const std::string& key = item.key();
    // ordered_json keeps the file's order; the checks use the plain json type (g.doc).
    const std::string ptr = Pointer("/knobs", key);
    g.knobs.push_back(
        ParseKnob(key, g.doc.at("knobs").at(key), base_arch, ptr, kMaxGridValues - values, problems));
    values += static_cast<int64_t>(g.knobs.back().values.size());
    if (values > kMaxGridValues) {
      problems.Add(ptr, "the knobs have more than " + std::to_string(kMaxGridValues) +
                            " values together (the limit for a grid)");
      break;
    }
  }
  problems.ThrowIfAny();
  return g;
}

int64_t PointCount(const Grid& grid, size_t nets, const std::string& grid_file) {
  int64_t total = static_cast<int64_t>(nets);
  for (const Knob& k : grid.knobs) {
    const int64_t n = static_cast<int64_t>(k.values.size());
    if (total > std::numeric_limits<int64_t>::max() / n) {
      throw core::ConfigError(grid_file, "/knobs",
                              "the cross product has more than 2^63 points: use --sample");
    }
    total *= n;
  }
  return total;
}

void CheckPointBudget(int64_t total, int64_t sample, int64_t max_points, const std::string& grid_file) {
  const std::string how = "raise it with --max-points";
  if (sample > 0 && sample < total) {
    if (sample <= max_points) return;
    throw core::ConfigError(grid_file, "/sample",
                            "a sample of " + std::to_string(sample) + " points; the limit is " +
                                std::to_string(max_points) + ", " + how + " or sample fewer");
  }
  if (total <= max_points) return;
  throw core::ConfigError(grid_file, "/knobs",
                          "grid has " + std::to_string(total) + " points; the limit is " +
                              std::to_string(max_points) + ", " + how + " or add \"sample\"");
}

Point DecodePoint(int64_t index, int64_t total, const Grid& grid, size_t nets) {
  Point p;
  p.index = index;
  const int width = static_cast<int>(std::to_string(std::max<int64_t>(total - 1, 0)).size());
  std::string digits = std::to_string(index);
  p.id = "p" + std::string(width - std::min<int>(width, static_cast<int>(digits.size())), '0') + digits;
  // Mixed radix, the last knob fastest; the network is the most significant digit.
  p.choice.resize(grid.knobs.size());
  int64_t rest = index;
  for (size_t k = grid.knobs.size(); k-- > 0;) {
    const int64_t n = static_cast<int64_t>(grid.knobs[k].values.size());
    p.choice[k] = static_cast<size_t>(rest % n);
    rest /= n;
  }
  p.net = static_cast<size_t>(rest % static_cast<int64_t>(nets));
  return p;
}

std::vector<int64_t> SelectPoints(int64_t total, int64_t sample, uint64_t seed, int shard_index,
                                  int shard_count) {
  std::vector<int64_t> chosen;
  if (sample <= 0 || sample >= total) {
    for (int64_t i = 0; i < total; ++i) chosen.push_back(i);
  } else {
    // Floyd's algorithm: `sample` distinct indices without materialising [0, total).
    std::mt19937_64 rng(seed);
    std::set<int64_t> s;
    for (int64_t j = total - sample; j < total; ++j) {
      const int64_t t = std::uniform_int_distribution<int64_t>(0, j)(rng);
      if (!s.insert(t).second) s.insert(j);
    }
    chosen.assign(s.begin(), s.end());
  }
  std::vector<int64_t> mine;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(shard_count)) == shard_index) mine.push_back(chosen[i]);
  }
  return mine;
}

json PointArch(const json& base_arch, const std::string& base_arch_file, const Grid& grid, const Point& p) {
  json arch = base_arch;
  for (size_t k = 0; k < grid.knobs.size(); ++k) {
    const Knob& knob = grid.knobs[k];
    if (knob.net_knob()) continue;
    arch[json::json_pointer(knob.key)] = knob.values[p.choice[k]];
  }
  if (arch.contains("energy") && arch["energy"].is_string()) {
    const std::string rel = arch["energy"].get<std::string>();
    arch["energy"] =
        std::filesystem::absolute(core::ResolveRelative(base_arch_file, rel)).lexically_normal().string();
  }
  return arch;
}

std::string WeightBitsSpec(const Grid& grid, const Point& p, bool activations) {
  std::string star, named;
  for (size_t k = 0; k < grid.knobs.size(); ++k) {
    const Knob& knob = grid.knobs[k];
    if (activations ? !knob.activation_bits() : !knob.weight_bits()) continue;
    const std::string entry = knob.layer() + "=" + ValueText(knob.values[p.choice[k]]);
    std::string& to = knob.layer() == "*" ? star : named;
    to += (to.empty() ? "" : ",") + entry;
  }
  if (star.empty()) return named;
  return named.empty() ? star : star + "," + named;
}

std::string ValueText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::vector<std::string> CsvHeader(const Grid& grid) {
  std::vector<std::string> h{"id", "net"};
  for (const Knob& k : grid.knobs) h.push_back(k.key);
  for (const char* c : {"status", "cycles", "seconds", "energy_pj", "area_mm2", "tops_per_mm2", "tops_per_w",
                        "edp_pj_s", "dram_read_bytes", "dram_write_bytes", "error"}) {
    h.push_back(c);
  }
  return h;
}

}  // namespace npusim::explore::sweep

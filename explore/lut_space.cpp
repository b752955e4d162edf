// explore/lut.h: the look-up table's space (layer spaces, block spaces) and its entries as network
// documents, without simulating them (explore/lut.cpp simulates and tabulates). Needs no SystemC:
// the lut_space fuzz target (fuzz/lut_space_fuzzer.cpp) links it alone.
#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>
#include <tuple>

#include "compiler/transforms/precision.h"
#include "explore/lut.h"
#include "ir/net_loader.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::explore::lut {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFields[] = {"op",     "in_channels", "out_channels", "kernel",
                                   "stride", "resolution",  "weight_bits"};

struct Entry {
  std::string op;  // conv2d, depthwise, fully_connected
  int64_t in_channels = 0, out_channels = 0, kernel = 1, stride = 1, resolution = 1;
  int weight_bits = 8;
  auto key() const {
    return std::tie(op, in_channels, out_channels, kernel, stride, resolution, weight_bits);
  }
  bool operator<(const Entry& o) const { return key() < o.key(); }
};

// A field's choices: one value or a list.
std::vector<json> Choices(const json& block, const char* field, const json& fallback) {
  if (!block.contains(field)) return {fallback};
  const json& v = block[field];
  return v.is_array() ? std::vector<json>(v.begin(), v.end()) : std::vector<json>{v};
}

// One choice of a field; `ptr` names it.
void CheckChoice(const std::string& field, const json& v, const std::string& ptr,
                 core::ProblemList& problems) {
  if (field == "op") {
    if (v != "conv2d" && v != "depthwise" && v != "fully_connected") {
      problems.Add(ptr, "expected conv2d, depthwise or fully_connected, got " + core::Describe(v));
    }
    return;
  }
  const int64_t max = field == "weight_bits" ? 16 : 65536;
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > max) {
    problems.Add(ptr, "expected an integer in 1.." + std::to_string(max) + ", got " + core::Describe(v));
  }
}

// Problems for the keys of layer block `block` (at `bp`) that are not fields.
void CheckBlockKeys(const json& block, const std::string& bp, core::ProblemList& problems) {
  for (const auto& [k, v] : block.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), k) != std::end(kFields)) continue;
    problems.Add(core::Pointer(bp, k), "unknown key \"" + k +
                                           "\" (expected op, in_channels, out_channels, kernel, "
                                           "stride, resolution, weight_bits)");
  }
}

// The choices of each field (kFields order) of layer block `block` (at `bp`), each checked.
std::vector<std::vector<json>> BlockChoices(const json& block, const std::string& bp,
                                            core::ProblemList& problems) {
  const json defaults = {{"op", "conv2d"}, {"in_channels", 16}, {"out_channels", 16}, {"kernel", 1},
                         {"stride", 1},    {"resolution", 1},   {"weight_bits", 8}};
  std::vector<std::vector<json>> choices;
  for (const char* f : kFields) {
    choices.push_back(Choices(block, f, defaults[f]));
    const bool list = block.contains(f) && block[f].is_array();
    if (list && choices.back().empty()) problems.Add(core::Pointer(bp, f), "expected at least one value");
    for (size_t i = 0; i < choices.back().size(); ++i) {
      const std::string p = list ? core::Pointer(core::Pointer(bp, f), i) : core::Pointer(bp, f);
      CheckChoice(f, choices.back()[i], p, problems);
    }
  }
  return choices;
}

// Every entry of the choices' cross product (the last field fastest) into `entries`.
void AddCrossProduct(const std::vector<std::vector<json>>& choices, std::set<Entry>& entries) {
  std::vector<size_t> at(choices.size(), 0);
  for (;;) {
    json e;
    for (size_t f = 0; f < choices.size(); ++f) e[kFields[f]] = choices[f][at[f]];
    Entry en{e["op"],     e["in_channels"], e["out_channels"], e["kernel"],
             e["stride"], e["resolution"],  e["weight_bits"]};
    if (en.op == "depthwise") en.out_channels = en.in_channels;
    if (en.op == "fully_connected") en.kernel = en.stride = en.resolution = 1;
    entries.insert(en);
    size_t f = choices.size();
    while (f-- > 0 && ++at[f] == choices[f].size()) at[f] = 0;
    if (f == static_cast<size_t>(-1)) return;
  }
}

// a * b, saturated at int64's maximum.
int64_t SaturatingProduct(int64_t a, int64_t b) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  return b != 0 && a > kMax / b ? kMax : a * b;
}

// Refuses `entries` above `max_entries` (ConfigError at `pointer` of `path`).
void CheckEntryBudget(int64_t entries, int64_t max_entries, const std::string& path,
                      const std::string& pointer) {
  if (entries <= max_entries) return;
  const std::string count = entries == std::numeric_limits<int64_t>::max()
                                ? "more than " + std::to_string(entries)
                                : std::to_string(entries);
  throw core::ConfigError(path, pointer,
                          "the space has " + count + " entries; the limit is " + std::to_string(max_entries) +
                              ", raise it with --max-entries or choose fewer values");
}

// The space's entries, each once, in a stable order.
std::vector<Entry> LoadLayerSpace(const json& doc, const std::string& path, int64_t max_entries) {
  core::ProblemList problems(path);
  if (!doc.is_object() || !doc.contains("layers") || !doc["layers"].is_array() || doc["layers"].empty()) {
    throw core::ConfigError(path, "/layers", "expected a non-empty list of layer blocks");
  }
  std::vector<std::vector<std::vector<json>>> blocks;
  int64_t count = 0;
  for (size_t b = 0; b < doc["layers"].size(); ++b) {
    const json& block = doc["layers"][b];
    const std::string bp = core::Pointer("/layers", b);
    if (!block.is_object()) {
      problems.Add(bp, "expected an object");
      continue;
    }
    CheckBlockKeys(block, bp, problems);
    blocks.push_back(BlockChoices(block, bp, problems));
    int64_t n = 1;
    for (const std::vector<json>& c : blocks.back()) n = SaturatingProduct(n, static_cast<int64_t>(c.size()));
    count = std::min(count, std::numeric_limits<int64_t>::max() - n) + n;
  }
  problems.ThrowIfAny();
  CheckEntryBudget(count, max_entries, path, "/layers");
  std::set<Entry> entries;
  for (const auto& choices : blocks) AddCrossProduct(choices, entries);
  return {entries.begin(), entries.end()};
}

int64_t OutSize(const Entry& e) {
  return core::ConvOutSize(e.resolution, e.kernel, e.stride, 1, e.kernel / 2, (e.kernel - 1) / 2);
}

// The entry as a network document: 8-bit activations and weights with fixed random data (the
// weights are then re-quantized to the entry's width, as --weight-bits does).
json EntryNetwork(const Entry& e) {
  const bool fc = e.op == "fully_connected", dw = e.op == "depthwise";
  const int64_t out = OutSize(e);
  const json x_shape = fc ? json{1, e.in_channels} : json{1, e.resolution, e.resolution, e.in_channels};
  const json y_shape = fc ? json{1, e.out_channels} : json{1, out, out, e.out_channels};
  const json w_shape = fc ? json{e.out_channels, e.in_channels}
                          : json{e.out_channels, e.kernel, e.kernel, dw ? 1 : e.in_channels};
  json op = {{"name", "layer"},
             {"op", fc ? "fully_connected" : "conv2d"},
             {"inputs", {"x", "w", "b"}},
             {"outputs", {"y"}},
             {"activation", "relu"}};
  if (!fc) {
    const int64_t lo = e.kernel / 2, hi = (e.kernel - 1) / 2;
    op["stride"] = {e.stride, e.stride};
    op["pads"] = {lo, lo, hi, hi};
    op["groups"] = dw ? e.in_channels : 1;
  }
  return {{"version", 1},
          {"name", "lut_entry"},
          {"layout", "NHWC"},
          {"inputs", {"x"}},
          {"outputs", {"y"}},
          {"tensors",
           {{"x",
             {{"shape", x_shape},
              {"bits", 8},
              {"signed", true},
              {"scale", 0.05},
              {"zero_point", 0},
              {"data", {{"random", {{"seed", 1}}}}}}},
            {"w",
             {{"shape", w_shape},
              {"bits", 8},
              {"signed", true},
              {"scale", {{"random", {{"seed", 3}, {"min", 0.003}, {"max", 0.005}, {"per_channel", true}}}}},
              {"zero_point", 0},
              {"data", {{"random", {{"seed", 2}, {"min", -127}, {"max", 127}}}}}}},
            {"b",
             {{"shape", {e.out_channels}},
              {"bits", 32},
              {"signed", true},
              {"data", {{"random", {{"seed", 4}, {"min", -1000}, {"max", 1000}}}}}}},
            {"y", {{"shape", y_shape}, {"bits", 8}, {"signed", true}, {"scale", 0.2}, {"zero_point", 0}}}}},
          {"ops", {op}}};
}

// A layer entry's own fields, the first columns of its LUT row.
json LayerFields(const Entry& e) {
  return {{"op", e.op},
          {"in_channels", e.in_channels},
          {"out_channels", e.out_channels},
          {"kernel", e.kernel},
          {"stride", e.stride},
          {"resolution", e.resolution},
          {"weight_bits", e.weight_bits},
          {"out_resolution", e.op == "fully_connected" ? 1 : OutSize(e)}};
}

std::vector<Job> LayerJobs(const json& doc, const std::string& path, int64_t max_entries) {
  std::vector<Job> jobs;
  for (const Entry& e : LoadLayerSpace(doc, path, max_entries)) {
    nas::Piece p;
    p.doc = EntryNetwork(e);
    p.weight_bits = {{"layer", e.weight_bits}};
    jobs.push_back({LayerFields(e), std::move(p)});
  }
  return jobs;
}

// A fixed piece's job (the stem or the head: no choice).
Job FixedJob(const std::string& position, const nas::Fixed& f, int64_t in_ch, int64_t out_ch, int64_t res,
             int64_t out_res, nas::Piece piece) {
  json fields = {{"position", position},
                 {"choice", ""},
                 {"kernel", f.kernel},
                 {"weight_bits", f.weight_bits},
                 {"activation_bits", f.activation_bits},
                 {"in_channels", in_ch},
                 {"out_channels", out_ch},
                 {"stride", f.stride},
                 {"resolution", res},
                 {"out_resolution", out_res},
                 {"skip", 0},
                 {"layers", piece.doc["ops"].size()}};
  return {std::move(fields), std::move(piece)};
}

std::vector<Job> BlockJobs(const nas::Space& s) {
  std::vector<Job> jobs;
  if (s.stem) {
    const int64_t out = s.positions.empty() ? s.out_resolution : s.positions[0].resolution;
    jobs.push_back(
        FixedJob("stem", *s.stem, s.channels, s.stem->out_channels, s.resolution, out, nas::StemPiece(s)));
  }
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, nas::Choice>, long> seen;
  for (const nas::Position& p : s.positions) {
    for (const nas::Choice& c : p.choices.All()) {
      Job j;
      j.piece = nas::BlockPiece(s, p, c);
      j.fields = {{"position", p.id},
                  {"stage", p.stage},
                  {"block", p.block},
                  {"choice", c.Name()},
                  {"kernel", c.kernel},
                  {"expansion", c.expansion},
                  {"weight_bits", c.weight_bits},
                  {"activation_bits", c.activation_bits},
                  {"in_channels", p.in_channels},
                  {"out_channels", p.out_channels},
                  {"stride", p.stride},
                  {"resolution", p.resolution},
                  {"out_resolution", p.out_resolution},
                  {"skip", j.piece.skip},
                  {"layers", j.piece.doc["ops"].size()}};
      const auto [it, fresh] =
          seen.emplace(std::make_tuple(p.in_channels, p.out_channels, p.stride, p.resolution, c),
                       static_cast<long>(jobs.size()));
      if (!fresh) j.same = it->second;
      jobs.push_back(std::move(j));
    }
  }
  if (s.head) {
    jobs.push_back(
        FixedJob("head", *s.head, s.out_channels, s.head->classes, s.out_resolution, 1, nas::HeadPiece(s)));
  }
  return jobs;
}

}  // namespace

LutSpace LoadJobs(const json& doc, const std::string& path, int64_t max_entries) {
  LutSpace s;
  s.blocks = nas::IsBlockSpace(doc);
  s.name = "layers";
  if (s.blocks) {
    const nas::Space space = nas::LoadSpace(doc, path);
    s.name = space.name;
    // At most 256 positions of at most 15 * 16 * 16 * 15 choices: no overflow.
    int64_t count = (space.stem ? 1 : 0) + (space.head ? 1 : 0);
    for (const nas::Position& p : space.positions) {
      const nas::ChoiceLists& c = p.choices;
      count += static_cast<int64_t>(c.kernel.size() * c.expansion.size() * c.weight_bits.size() *
                                    c.activation_bits.size());
    }
    CheckEntryBudget(count, max_entries, path, "/stages");
    s.all = BlockJobs(space);
  } else {
    s.all = LayerJobs(doc, path, max_entries);
  }
  for (const Job& j : s.all) {
    if (j.same < 0) s.jobs.push_back(&j);
  }
  return s;
}

// Loads a piece's network (validated like any network file) and applies its precision maps.
core::Graph LoadPiece(const nas::Piece& p, const fs::path& file) {
  core::WriteFileAtomically(file.string(), p.doc.dump());
  core::Graph g = core::LoadNetwork(file.string());
  fs::remove(file);
  core::ApplyWeightBits(g, p.weight_bits, "weight_bits");
  core::ApplyActivationBits(g, p.activation_bits, "activation_bits");
  return g;
}

}  // namespace npusim::explore::lut

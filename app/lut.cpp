// `npusim lut`: a latency/energy look-up table for hardware-aware NAS (docs/sweep.md, "lut").
// Every entry of the layer space becomes a one-layer network (built as a network document, then
// loaded and validated like any network file, weights re-quantized with core::ApplyWeightBits),
// simulated in its own child process by the same models `npusim run` uses.
//
//   {"layers": [{"op": ["conv2d", "depthwise"], "in_channels": [16, 32], "out_channels": [32],
//                "kernel": [1, 3, 5], "stride": [1, 2], "resolution": [56], "weight_bits": [4, 8]}]}
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "app/app.h"
#include "app/commands.h"
#include "app/serve_sim.h"
#include "app/sweep_grid.h"
#include "core/arch.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_util.h"
#include "core/net_loader.h"
#include "core/precision.h"

namespace npusim::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFields[] = {"op", "in_channels", "out_channels", "kernel", "stride", "resolution", "weight_bits"};

struct Entry {
  std::string op;  // conv2d, depthwise, fully_connected
  int64_t in_channels = 0, out_channels = 0, kernel = 1, stride = 1, resolution = 1;
  int weight_bits = 8;
  auto key() const { return std::tie(op, in_channels, out_channels, kernel, stride, resolution, weight_bits); }
  bool operator<(const Entry& o) const { return key() < o.key(); }
};

// A field's choices: one value or a list.
std::vector<json> Choices(const json& block, const char* field, const json& fallback) {
  if (!block.contains(field)) return {fallback};
  const json& v = block[field];
  return v.is_array() ? std::vector<json>(v.begin(), v.end()) : std::vector<json>{v};
}

// One choice of a field; `ptr` names it.
void CheckChoice(const std::string& field, const json& v, const std::string& ptr, core::ProblemList& problems) {
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

// The space's entries, each once, in a stable order.
std::vector<Entry> LoadSpace(const std::string& path) {
  const json doc = core::ReadJsonFile(path);
  core::ProblemList problems(path);
  if (!doc.is_object() || !doc.contains("layers") || !doc["layers"].is_array() || doc["layers"].empty()) {
    throw core::ConfigError(path, "/layers", "expected a non-empty list of layer blocks");
  }
  std::set<Entry> entries;
  for (size_t b = 0; b < doc["layers"].size(); ++b) {
    const json& block = doc["layers"][b];
    const std::string bp = core::Pointer("/layers", b);
    if (!block.is_object()) {
      problems.Add(bp, "expected an object");
      continue;
    }
    for (const auto& [k, v] : block.items()) {
      if (std::find(std::begin(kFields), std::end(kFields), k) == std::end(kFields)) {
        problems.Add(core::Pointer(bp, k), "unknown key \"" + k + "\" (expected op, in_channels, out_channels, kernel, "
                                           "stride, resolution, weight_bits)");
      }
    }
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
    if (!problems.empty()) continue;
    // The block's cross product, the last field fastest.
    std::vector<size_t> at(choices.size(), 0);
    for (;;) {
      json e;
      for (size_t f = 0; f < choices.size(); ++f) e[kFields[f]] = choices[f][at[f]];
      Entry en{e["op"], e["in_channels"], e["out_channels"], e["kernel"], e["stride"], e["resolution"], e["weight_bits"]};
      if (en.op == "depthwise") en.out_channels = en.in_channels;
      if (en.op == "fully_connected") en.kernel = en.stride = en.resolution = 1;
      entries.insert(en);
      size_t f = choices.size();
      while (f-- > 0 && ++at[f] == choices[f].size()) at[f] = 0;
      if (f == static_cast<size_t>(-1)) break;
    }
  }
  problems.ThrowIfAny();
  return {entries.begin(), entries.end()};
}

int64_t OutSize(const Entry& e) { return core::ConvOutSize(e.resolution, e.kernel, e.stride, 1, e.kernel / 2, (e.kernel - 1) / 2); }

// The entry as a network document: 8-bit activations and weights with fixed random data (the
// weights are then re-quantized to the entry's width, as --weight-bits does).
json EntryNetwork(const Entry& e) {
  const bool fc = e.op == "fully_connected", dw = e.op == "depthwise";
  const int64_t out = OutSize(e);
  const json x_shape = fc ? json{1, e.in_channels} : json{1, e.resolution, e.resolution, e.in_channels};
  const json y_shape = fc ? json{1, e.out_channels} : json{1, out, out, e.out_channels};
  const json w_shape = fc ? json{e.out_channels, e.in_channels}
                          : json{e.out_channels, e.kernel, e.kernel, dw ? 1 : e.in_channels};
  json op = {{"name", "layer"}, {"op", fc ? "fully_connected" : "conv2d"}, {"inputs", {"x", "w", "b"}},
             {"outputs", {"y"}}, {"activation", "relu"}};
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
           {{"x", {{"shape", x_shape}, {"bits", 8}, {"signed", true}, {"scale", 0.05}, {"zero_point", 0},
                   {"data", {{"random", {{"seed", 1}}}}}}},
            {"w", {{"shape", w_shape}, {"bits", 8}, {"signed", true},
                   {"scale", {{"random", {{"seed", 3}, {"min", 0.003}, {"max", 0.005}, {"per_channel", true}}}}},
                   {"zero_point", 0}, {"data", {{"random", {{"seed", 2}, {"min", -127}, {"max", 127}}}}}}},
            {"b", {{"shape", {e.out_channels}}, {"bits", 32}, {"signed", true},
                   {"data", {{"random", {{"seed", 4}, {"min", -1000}, {"max", 1000}}}}}}},
            {"y", {{"shape", y_shape}, {"bits", 8}, {"signed", true}, {"scale", 0.2}, {"zero_point", 0}}}}},
          {"ops", {op}}};
}

// One entry's figures (or its error) as a JSON object: the LUT row in both output formats.
json EntryRecord(const Entry& e, const json& f) {
  json r = {{"op", e.op},
            {"in_channels", e.in_channels},
            {"out_channels", e.out_channels},
            {"kernel", e.kernel},
            {"stride", e.stride},
            {"resolution", e.resolution},
            {"weight_bits", e.weight_bits},
            {"out_resolution", e.op == "fully_connected" ? 1 : OutSize(e)}};
  if (f.contains("error")) {
    r["status"] = "error";
    r["error"] = f["error"];
    return r;
  }
  for (const char* k : {"macs", "cycles", "seconds", "energy_pj", "dram_read_bytes", "dram_write_bytes"}) r[k] = f[k];
  r["status"] = "ok";
  return r;
}

const char* const kColumns[] = {"op", "in_channels", "out_channels", "kernel", "stride", "resolution",
                                "weight_bits", "out_resolution", "macs", "cycles", "seconds", "energy_pj",
                                "dram_read_bytes", "dram_write_bytes", "status", "error"};

std::string CsvRow(const json& r) {
  std::string row;
  for (const char* k : kColumns) {
    if (k != kColumns[0]) row += ",";
    if (!r.contains(k)) continue;
    row += r[k].is_string() ? sweep::CsvField(r[k].get<std::string>()) : r[k].dump();
  }
  return row + "\n";
}

// Simulates entries [begin, end) one after another (each in its own child); returns their
// records, one JSON object per line.
std::string RunSlice(const core::ArchConfig& arch, const std::vector<Entry>& entries, size_t begin, size_t end,
                     const fs::path& scratch) {
  std::string lines;
  for (size_t i = begin; i < end; ++i) {
    const fs::path net = scratch / ("entry" + std::to_string(i) + ".json");
    core::WriteFileAtomically(net.string(), EntryNetwork(entries[i]).dump());
    json f;
    try {
      core::Graph g = core::LoadNetwork(net.string());
      core::ApplyWeightBits(g, {{"layer", entries[i].weight_bits}}, "weight_bits");
      f = serve::SimulateInChild(arch, g, net.string(), false, models::ExecMode::kTiming);
    } catch (const std::exception& ex) {
      f = {{"error", ex.what()}};
    }
    fs::remove(net);
    lines += EntryRecord(entries[i], f).dump() + "\n";
  }
  return lines;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int LutCommand(const LutOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const core::ArchConfig arch = core::LoadArch(o.arch);
  const std::vector<Entry> entries = LoadSpace(o.space);
  const fs::path scratch = fs::temp_directory_path() / ("npusim_lut_" + std::to_string(getpid()));
  fs::create_directories(scratch);
  // --jobs workers, each a forked process simulating a contiguous slice into its own file.
  const size_t jobs = std::min<size_t>(static_cast<size_t>(o.jobs), std::max<size_t>(entries.size(), 1));
  std::vector<pid_t> workers;
  for (size_t w = 0; w < jobs; ++w) {
    const size_t begin = entries.size() * w / jobs, end = entries.size() * (w + 1) / jobs;
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int rc = 0;
      try {
        std::ofstream(scratch / ("slice" + std::to_string(w) + ".jsonl")) << RunSlice(arch, entries, begin, end, scratch);
      } catch (const std::exception& e) {
        std::cerr << "npusim lut: " << e.what() << "\n";
        rc = 1;
      }
      _exit(rc);
    }
    workers.push_back(pid);
  }
  bool failed = false;
  json records = json::array();
  for (size_t w = 0; w < workers.size(); ++w) {
    int status = 0;
    waitpid(workers[w], &status, 0);
    failed = failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    std::ifstream in(scratch / ("slice" + std::to_string(w) + ".jsonl"));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) records.push_back(json::parse(line));
    }
  }
  fs::remove_all(scratch);
  if (failed) throw std::runtime_error("a lut worker failed");
  // A .json name gets the same table as a JSON document, else CSV with a comment line first.
  std::string text;
  if (EndsWith(o.out, ".json")) {
    const json doc = {{"npusim_version", "0.1.0"},
                      {"arch", {{"name", arch.name}, {"file", o.arch}}},
                      {"space", o.space},
                      {"columns", kColumns},
                      {"entries", records}};
    text = doc.dump(1) + "\n";
  } else {
    text = "# npusim " + std::string("0.1.0") + " lut: arch " + arch.name + " (" + o.arch + "), space " + o.space +
           ", " + std::to_string(entries.size()) + " entries\n";
    for (const char* k : kColumns) text += std::string(k == kColumns[0] ? "" : ",") + k;
    text += "\n";
    for (const json& r : records) text += CsvRow(r);
  }
  core::WriteFileAtomically(o.out, text);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "lut: " << entries.size() << " entries in " << secs << " s (" << entries.size() / secs
            << " entries/s, " << jobs << " jobs); " << o.out << "\n";
  return kExitOk;
}

}  // namespace npusim::app

// explore/lut.h: the look-up table's simulation and its table (its space: explore/lut_space.cpp).
#include "explore/lut.h"
#include "support/csv.h"

#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "sim/child.h"
#include "sim/figures.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::explore::lut {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kVersion = NPUSIM_VERSION;  // CMake's project version

const std::vector<std::string> kFigures = {"macs",      "cycles",          "seconds",
                                           "energy_pj", "dram_read_bytes", "dram_write_bytes"};
const std::vector<std::string> kLayerColumns = {"op",     "in_channels", "out_channels", "kernel",
                                                "stride", "resolution",  "weight_bits",  "out_resolution"};
const std::vector<std::string> kBlockColumns = {
    "position",  "stage",       "block",           "choice",      "kernel",
    "expansion", "weight_bits", "activation_bits", "in_channels", "out_channels",
    "stride",    "resolution",  "out_resolution",  "skip",        "layers"};

// One entry's row: its fields and its figures (or its error).
json Record(const Job& j, const json& f) {
  json r = j.fields;
  if (f.contains("error")) {
    r["status"] = "error";
    r["error"] = f["error"];
    return r;
  }
  for (const std::string& k : kFigures) r[k] = f[k];
  r["status"] = "ok";
  return r;
}

std::string CsvRow(const json& r, const std::vector<std::string>& columns) {
  std::string row;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) row += ",";
    if (!r.contains(columns[i])) continue;
    const json& v = r[columns[i]];
    row += v.is_string() ? core::CsvField(v.get<std::string>()) : v.dump();
  }
  return row + "\n";
}

// Simulates jobs [begin, end) one after another (each in its own child) and returns their
// figures, one JSON object per line.
std::string RunSlice(const core::ArchConfig& arch, const std::vector<const Job*>& jobs, size_t begin,
                     size_t end, const fs::path& scratch) {
  std::string lines;
  for (size_t i = begin; i < end; ++i) {
    const fs::path net = scratch / ("entry" + std::to_string(i) + ".json");
    json f;
    try {
      core::Graph g = LoadPiece(jobs[i]->piece, net);
      f = sim::FiguresInChild(arch, g, net.string(), false, models::ExecMode::kTiming);
    } catch (const std::exception& ex) {
      f = {{"error", ex.what()}};
    }
    lines += f.dump() + "\n";
  }
  return lines;
}

}  // namespace

// Simulates `jobs` on `workers_n` workers, each a child process simulating a contiguous slice
// (sim/child.h), and returns every job's figures.
std::map<const Job*, json> SimulateJobs(const core::ArchConfig& arch, const std::vector<const Job*>& jobs,
                                        size_t workers_n) {
  const fs::path scratch = fs::temp_directory_path() / ("npusim_lut_" + std::to_string(getpid()));
  fs::create_directories(scratch);
  std::vector<sim::ChildBody> slices;
  for (size_t w = 0; w < workers_n; ++w) {
    const size_t begin = jobs.size() * w / workers_n, end = jobs.size() * (w + 1) / workers_n;
    slices.push_back([&, begin, end] { return RunSlice(arch, jobs, begin, end, scratch); });
  }
  std::vector<sim::ChildOutcome> outcomes;
  try {
    outcomes = sim::RunInChildren(slices);
  } catch (...) {
    fs::remove_all(scratch);
    throw;
  }
  fs::remove_all(scratch);
  std::string failed;
  std::map<const Job*, json> figures;
  size_t next = 0;
  for (const sim::ChildOutcome& worker : outcomes) {
    if (!worker.ok() && failed.empty()) failed = worker.Describe();
    std::istringstream in(worker.output);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && next < jobs.size()) figures[jobs[next++]] = json::parse(line);
    }
  }
  if (!failed.empty() || next != jobs.size()) {
    throw std::runtime_error("a lut worker failed (" +
                             (failed.empty() ? "it answered for too few entries" : failed) + ")");
  }
  return figures;
}

Table Tabulate(const LutSpace& s, const std::map<const Job*, json>& figures) {
  Table t;
  t.records = json::array();
  for (const Job& j : s.all) {
    t.records.push_back(Record(j, figures.at(j.same < 0 ? &j : &s.all[static_cast<size_t>(j.same)])));
  }
  t.columns = s.blocks ? kBlockColumns : kLayerColumns;
  t.columns.insert(t.columns.end(), kFigures.begin(), kFigures.end());
  t.columns.insert(t.columns.end(), {"status", "error"});
  return t;
}

// The LUT as a JSON document (a .json output).
std::string LutJson(const std::string& arch_file, const std::string& space_file, const core::ArchConfig& arch,
                    const LutSpace& s, const Table& t) {
  const std::vector<std::string>& columns = t.columns;
  const json& records = t.records;
  json d = {{"npusim_version", kVersion},
            {"arch", {{"name", arch.name}, {"file", arch_file}, {"clock_mhz", arch.clock_mhz}}},
            {"space", {{"file", space_file}, {"name", s.name}, {"kind", s.blocks ? "blocks" : "layers"}}},
            {"columns", columns},
            {"entries", records}};
  if (s.blocks) {
    // HW-NAS-Bench's shape: position -> choice -> figures (the stem and head under "").
    json lut = json::object();
    for (const json& r : records) {
      json e = {{"status", r["status"]}};
      for (const std::string& k : kFigures) {
        if (r.contains(k)) e[k] = r[k];
      }
      lut[r["position"].get<std::string>()][r["choice"].get<std::string>()] = e;
    }
    d["lut"] = lut;
  }
  return d.dump(1) + "\n";
}

// The LUT as CSV with a comment line first.
std::string LutCsv(const std::string& arch_file, const std::string& space_file, const core::ArchConfig& arch,
                   const LutSpace& s, const Table& t) {
  const std::vector<std::string>& columns = t.columns;
  const json& records = t.records;
  std::string text = "# npusim " + std::string(kVersion) + " lut: arch " + arch.name + " (" + arch_file +
                     "), space " + space_file + " (" + s.name + "), " + std::to_string(s.all.size()) +
                     " entries\n";
  for (size_t i = 0; i < columns.size(); ++i) text += (i ? "," : "") + columns[i];
  text += "\n";
  for (const json& r : records) text += CsvRow(r, columns);
  return text;
}

}  // namespace npusim::explore::lut

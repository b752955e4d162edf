#include "frontends/scalesim/scalesim_input.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <list>
#include <map>
#include <set>
#include <sstream>

#include "support/error.h"

namespace npusim::core {
namespace {

// ---------------------------------------------------------------------------------------------
// Text helpers

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, "", std::string("cannot open the file: ") + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Physical lines, without "\n" or a trailing "\r" (files written on Windows).
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// A decimal integer with an optional sign, nothing else (Python's int() on a stripped string,
// less its "_" digit separators).
std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  const bool minus_allowed = b == s.data();
  if (b == e || !(std::isdigit(static_cast<unsigned char>(*b)) || (minus_allowed && *b == '-')))
    return std::nullopt;
  int64_t v = 0;
  const auto r = std::from_chars(b, e, v);
  if (r.ec != std::errc() || r.ptr != e) return std::nullopt;
  return v;
}

std::string LinePointer(int line) { return "line " + std::to_string(line); }

// ---------------------------------------------------------------------------------------------
// INI, as Python's configparser reads it with its defaults (SCALE-Sim's reader).

struct IniEntry {
  std::string key;  // as written
  std::string value;
  int line = 0;
};

struct IniSection {
  std::string name;
  int line = 0;
  std::map<std::string, IniEntry> entries;  // by lower-case key
  std::vector<std::string> order;           // lower-case keys in file order
};

class IniParser {
 public:
  explicit IniParser(ProblemList& problems) : p_(problems) {}

  std::vector<IniSection> Parse(const std::string& text) {
    const std::vector<std::string> lines = Lines(text);
    for (size_t i = 0; i < lines.size(); ++i) ParseLine(static_cast<int>(i) + 1, lines[i]);
    return {std::make_move_iterator(sections_.begin()), std::make_move_iterator(sections_.end())};
  }

 private:
  void ParseLine(int n, const std::string& raw) {
    const std::string line = Trim(raw);
    if (line.empty()) {
      value_ = nullptr;  // a blank line ends a multi-line value
      return;
    }
    if (line[0] == '#' || line[0] == ';') return;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (indented && value_ != nullptr) {
      *value_ += "\n" + line;  // continuation line
      return;
    }
    value_ = nullptr;
    if (line[0] == '[') return Section(n, line);
    Entry(n, line);
  }

  void Section(int n, const std::string& line) {
    // configparser takes the text up to the last "]" and ignores the rest of the line.
    const size_t close = line.rfind(']');
    if (close == std::string::npos || close < 2) {
      p_.Add(LinePointer(n), "expected a section header \"[name]\", got " + Quoted(line));
      current_ = nullptr;
      return;
    }
    const std::string name = line.substr(1, close - 1);
    for (IniSection& s : sections_) {
      if (s.name != name) continue;
      p_.Add(LinePointer(n) + ", [" + name + "]",
             "duplicate section (first on line " + std::to_string(s.line) + ")");
      current_ = &s;  // keep reading its keys, so they are checked once
      return;
    }
    sections_.push_back({name, n, {}, {}});
    current_ = &sections_.back();
  }

  void Entry(int n, const std::string& line) {
    const size_t eq = line.find_first_of("=:");
    if (eq == std::string::npos || Trim(line.substr(0, eq)).empty()) {
      p_.Add(LinePointer(n),
             "expected \"[section]\", \"key = value\" or \"key: value\", got " + Quoted(line));
      return;
    }
    if (current_ == nullptr) {
      if (sections_.empty() && !orphan_reported_) {
        p_.Add(LinePointer(n), "expected a [section] header before the first key");
      }
      orphan_reported_ = true;
      return;
    }
    const std::string key = Trim(line.substr(0, eq));
    const std::string lower = Lower(key);
    auto [it, inserted] = current_->entries.emplace(lower, IniEntry{key, Trim(line.substr(eq + 1)), n});
    if (!inserted) {
      p_.Add(LinePointer(n) + ", [" + current_->name + "] " + key,
             "duplicate key (first on line " + std::to_string(it->second.line) + ")");
      return;
    }
    current_->order.push_back(lower);
    value_ = &it->second.value;
  }

  ProblemList& p_;
  std::list<IniSection> sections_;  // a list: current_ and value_ point into it while it grows
  IniSection* current_ = nullptr;
  bool orphan_reported_ = false;
  std::string* value_ = nullptr;  // the value a continuation line extends
};

// ---------------------------------------------------------------------------------------------
// The .cfg's meaning: typed reads that record problems and which keys were used.

class CfgReader {
 public:
  CfgReader(std::vector<IniSection> sections, ProblemList& problems)
      : sections_(std::move(sections)), p_(problems) {}

  // The entry, or nullptr; a missing required one (or its missing section) becomes a problem.
  const IniEntry* Get(const std::string& section, const std::string& key, const std::string& need) {
    const IniEntry* e = Find(section, key);
    if (e != nullptr || need.empty()) return e;
    if (FindSection(section) == nullptr) {
      if (missing_sections_.insert(section).second) {
        p_.Add("[" + section + "]", "missing section: SCALE-Sim v2 configs have [general], "
                                    "[architecture_presets] and [run_presets]");
      }
      return nullptr;
    }
    p_.Add("[" + section + "] " + key, "missing key: expected " + need);
    return nullptr;
  }

  const IniEntry* Find(const std::string& section, const std::string& key) {
    const IniSection* s = FindSection(section);
    if (s == nullptr) return nullptr;
    auto it = s->entries.find(Lower(key));
    if (it == s->entries.end()) return nullptr;
    used_.insert(section + "\n" + it->first);
    return &it->second;
  }

  std::string Pointer(const std::string& section, const IniEntry& e) const {
    return LinePointer(e.line) + ", [" + section + "] " + e.key;
  }

  // An integer >= min; `what` describes it for the "missing" message.
  int64_t Int(const std::string& section, const std::string& key, int64_t min, const std::string& what) {
    const std::string expect = min > 0 ? "a positive integer" : "a non-negative integer";
    const IniEntry* e = Get(section, key, expect + " (" + what + ")");
    if (e == nullptr) return 0;
    const std::optional<int64_t> v = ParseInt(e->value);
    if (!v || *v < min) {
      p_.Add(Pointer(section, *e), "expected " + expect + ", got " + Quoted(e->value));
      return 0;
    }
    return *v;
  }

  // One of `choices` (exact spelling), listed in the message as "a, b or c".
  std::string Choice(const std::string& section, const std::string& key,
                     const std::vector<std::string>& choices) {
    std::string list;
    for (size_t i = 0; i < choices.size(); ++i) {
      list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
    }
    const IniEntry* e = Get(section, key, list);
    if (e == nullptr) return "";
    if (std::find(choices.begin(), choices.end(), e->value) != choices.end()) return e->value;
    p_.Add(Pointer(section, *e), "expected " + list + ", got " + Quoted(e->value));
    return "";
  }

  // "[section] Key" of every key present and never read.
  std::vector<std::string> Unused() const {
    std::vector<std::string> out;
    for (const IniSection& s : sections_) {
      for (const std::string& k : s.order) {
        if (!used_.count(s.name + "\n" + k)) out.push_back("[" + s.name + "] " + s.entries.at(k).key);
      }
    }
    return out;
  }

 private:
  const IniSection* FindSection(const std::string& name) const {
    for (const IniSection& s : sections_) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  std::vector<IniSection> sections_;
  ProblemList& p_;
  std::set<std::string> used_;
  std::set<std::string> missing_sections_;
};

constexpr char kArch[] = "architecture_presets";

// Bandwidth is read only in USER mode, as SCALE-Sim reads it: "10" or "10, 20" (one per bank).
void ReadUserBandwidth(CfgReader& r, ProblemList& p, ScaleSimConfig& c) {
  const IniEntry* e =
      r.Get(kArch, "Bandwidth", "the DRAM bandwidth in words per cycle (InterfaceBandwidth is USER)");
  if (e == nullptr) return;
  std::string field;
  std::istringstream in(e->value);
  while (std::getline(in, field, ',')) {
    const std::optional<int64_t> v = ParseInt(Trim(field));
    if (!v || *v < 1) {
      p.Add(r.Pointer(kArch, *e), "expected positive integers separated by commas (words per cycle, one per "
                                  "memory bank), got " +
                                      Quoted(e->value));
      c.bandwidth.clear();
      return;
    }
    c.bandwidth.push_back(*v);
  }
  if (c.bandwidth.empty()) {
    p.Add(r.Pointer(kArch, *e), "expected positive integers separated by commas, got an empty value");
    return;
  }
  if (c.memory_banks && static_cast<int64_t>(c.bandwidth.size()) != *c.memory_banks) {
    p.Add(r.Pointer(kArch, *e),
          "expected one value per memory bank (MemoryBanks = " + std::to_string(*c.memory_banks) + "), got " +
              std::to_string(c.bandwidth.size()));
  }
}

// SCALE-Sim v2's sparse mode changes its compute model; refuse it rather than answer for dense.
void RejectSparsity(CfgReader& r, ProblemList& p) {
  const IniEntry* e = r.Find("sparsity", "SparsitySupport");
  if (e == nullptr) return;
  const std::string v = Lower(e->value);
  if (v == "true" || v == "yes" || v == "on" || v == "1") {
    p.Add(r.Pointer("sparsity", *e),
          "expected false: SCALE-Sim's sparse mode is not reproduced by npusim scalesim");
  }
}

// ---------------------------------------------------------------------------------------------
// Topology CSV

struct Column {
  const char* name;
  int64_t ScaleSimLayer::*field;
};

const Column kConvColumns[] = {
    {"IFMAP Height", &ScaleSimLayer::ifmap_h},   {"IFMAP Width", &ScaleSimLayer::ifmap_w},
    {"Filter Height", &ScaleSimLayer::filter_h}, {"Filter Width", &ScaleSimLayer::filter_w},
    {"Channels", &ScaleSimLayer::channels},      {"Num Filter", &ScaleSimLayer::num_filters},
    {"Strides", &ScaleSimLayer::stride_h},
};
const Column kGemmColumns[] = {
    {"M", &ScaleSimLayer::gemm_m}, {"N", &ScaleSimLayer::gemm_n}, {"K", &ScaleSimLayer::gemm_k}};

// Comma-separated fields, trimmed. The field after a row's trailing comma (empty, or a "#..."
// note as in SCALE-Sim's own topologies) is dropped, as SCALE-Sim drops every row's last field.
std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1) {
    fields.push_back(Trim(line.substr(start, comma - start)));
  }
  fields.push_back(Trim(line.substr(start)));
  if (fields.size() > 1 && (fields.back().empty() || fields.back()[0] == '#')) fields.pop_back();
  return fields;
}

std::string ColumnList(ScaleSimTopologyForm form) {
  std::string list = "Layer name";
  if (form == ScaleSimTopologyForm::kGemm) return list + ", M, N, K";
  for (const Column& c : kConvColumns) list += std::string(", ") + c.name;
  return list;
}

bool ReadNumbers(const std::vector<std::string>& fields, const Column* columns, size_t count, int line,
                 ScaleSimLayer& L, ProblemList& p) {
  bool ok = true;
  for (size_t i = 0; i < count; ++i) {
    const std::string& text = fields[i + 1];
    const std::optional<int64_t> v = ParseInt(text);
    if (!v || *v < 1) {
      p.Add(LinePointer(line), std::string(columns[i].name) + " (column " + std::to_string(i + 2) +
                                   "): expected a positive integer, got " + Quoted(text));
      ok = false;
      continue;
    }
    L.*(columns[i].field) = *v;
  }
  return ok;
}

void CheckFilterFits(const ScaleSimLayer& L, ProblemList& p) {
  const auto check = [&](const char* f, int64_t fv, const char* i, int64_t iv) {
    if (fv <= iv) return;
    p.Add(LinePointer(L.line), "layer " + Quoted(L.name) + ": " + f + " " + std::to_string(fv) +
                                   " is larger than " + i + " " + std::to_string(iv) + ": expected " + f +
                                   " <= " + i + " (the topology gives the padded ifmap)");
  };
  check("Filter Height", L.filter_h, "IFMAP Height", L.ifmap_h);
  check("Filter Width", L.filter_w, "IFMAP Width", L.ifmap_w);
}

// One conv row: 8 fields, or 9 with separate stride height and width (SCALE-Sim repeats a single
// stride for the width).
bool ReadConvRow(const std::vector<std::string>& fields, ScaleSimLayer& L, ProblemList& p) {
  if (fields.size() < 8 || fields.size() > 9) {
    p.Add(LinePointer(L.line), "expected 8 columns (" + ColumnList(ScaleSimTopologyForm::kConv) +
                                   "), or 9 with Stride Height and Stride Width, got " +
                                   std::to_string(fields.size()));
    return false;
  }
  bool ok = ReadNumbers(fields, kConvColumns, 7, L.line, L, p);
  L.stride_w = L.stride_h;
  if (fields.size() == 9) {
    const Column width{"Stride Width", &ScaleSimLayer::stride_w};
    ok = ReadNumbers({fields[0], fields[8]}, &width, 1, L.line, L, p) && ok;
  }
  if (ok) CheckFilterFits(L, p);
  L.depthwise = L.name.find("DP") != std::string::npos;
  return ok;
}

// One GEMM row (name, M, N, K), converted as SCALE-Sim converts it: ifmap M x K, filter 1 x K.
bool ReadGemmRow(const std::vector<std::string>& fields, ScaleSimLayer& L, ProblemList& p) {
  if (fields.size() != 4) {
    p.Add(LinePointer(L.line), "expected 4 columns (" + ColumnList(ScaleSimTopologyForm::kGemm) + "), got " +
                                   std::to_string(fields.size()));
    return false;
  }
  if (!ReadNumbers(fields, kGemmColumns, 3, L.line, L, p)) return false;
  L.ifmap_h = L.gemm_m;
  L.ifmap_w = L.gemm_k;
  L.filter_h = 1;
  L.filter_w = L.gemm_k;
  L.channels = 1;
  L.num_filters = L.gemm_n;
  return true;
}

// SCALE-Sim skips the first line unread; a first line that reads as a layer row would be lost.
void CheckHeader(const std::string& line, ProblemList& p) {
  const std::vector<std::string> fields = Fields(line);
  if (fields.size() > 1 && ParseInt(fields[1])) {
    p.Add(LinePointer(1), "expected the header line (the first line is skipped as the column names), got a "
                          "layer row " +
                              Quoted(Trim(line)));
  }
}

}  // namespace

ScaleSimConfig LoadScaleSimConfig(const std::string& path) {
  const std::string text = ReadWholeFile(path);
  ProblemList p(path);
  CfgReader r(IniParser(p).Parse(text), p);
  ScaleSimConfig c;
  c.file = path;
  if (const IniEntry* e = r.Get("general", "run_name", "a name for the run")) {
    c.run_name = e->value;
    if (c.run_name.empty())
      p.Add(r.Pointer("general", *e), "expected a name for the run, got an empty value");
  }
  c.interface_bandwidth = r.Choice("run_presets", "InterfaceBandwidth", {"CALC", "USER"});
  c.array_height = r.Int(kArch, "ArrayHeight", 1, "rows of the systolic array");
  c.array_width = r.Int(kArch, "ArrayWidth", 1, "columns of the systolic array");
  c.ifmap_sram_kb = r.Int(kArch, "IfmapSramSzkB", 1, "ifmap SRAM size in KiB");
  c.filter_sram_kb = r.Int(kArch, "FilterSramSzkB", 1, "filter SRAM size in KiB");
  c.ofmap_sram_kb = r.Int(kArch, "OfmapSramSzkB", 1, "ofmap SRAM size in KiB");
  c.ifmap_offset = r.Int(kArch, "IfmapOffset", 0, "ifmap base address");
  c.filter_offset = r.Int(kArch, "FilterOffset", 0, "filter base address");
  c.ofmap_offset = r.Int(kArch, "OfmapOffset", 0, "ofmap base address");
  c.dataflow = r.Choice(kArch, "Dataflow", {"os", "ws", "is"});
  if (r.Find(kArch, "MemoryBanks") != nullptr)
    c.memory_banks = r.Int(kArch, "MemoryBanks", 1, "memory banks");
  if (c.interface_bandwidth == "USER") ReadUserBandwidth(r, p, c);
  if (r.Find("npusim", "Padding") != nullptr) c.padding = r.Choice("npusim", "Padding", {"valid", "same"});
  RejectSparsity(r, p);
  p.ThrowIfAny();
  c.ignored_keys = r.Unused();
  // CALC: SCALE-Sim's compute model ignores Bandwidth (so it stays in ignored_keys), but npusim's
  // full model takes its DRAM bandwidth from it when it is well formed.
  if (c.interface_bandwidth == "CALC" && r.Find(kArch, "Bandwidth") != nullptr) {
    ProblemList quiet(path);
    ReadUserBandwidth(r, quiet, c);
    if (!quiet.empty()) c.bandwidth.clear();
  }
  return c;
}

ScaleSimTopology LoadScaleSimTopology(const std::string& path, ScaleSimTopologyForm form) {
  const std::vector<std::string> lines = Lines(ReadWholeFile(path));
  ProblemList p(path);
  ScaleSimTopology t;
  t.file = path;
  t.form = form;
  if (lines.empty()) {
    throw ConfigError(
        path, "", "empty file: expected a header line (" + ColumnList(form) + "), then one row per layer");
  }
  CheckHeader(lines[0], p);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (Trim(lines[i]).empty()) continue;
    const std::vector<std::string> fields = Fields(lines[i]);
    ScaleSimLayer L;
    L.line = static_cast<int>(i) + 1;
    L.name = fields[0];
    if (L.name.empty()) {
      p.Add(LinePointer(L.line), "Layer name (column 1): expected a name, got an empty field");
      continue;
    }
    const bool ok =
        form == ScaleSimTopologyForm::kGemm ? ReadGemmRow(fields, L, p) : ReadConvRow(fields, L, p);
    if (ok) t.layers.push_back(L);
  }
  if (t.layers.empty() && p.empty()) {
    p.Add("", "no layers: expected one row per layer after the header line (" + ColumnList(form) + ")");
  }
  p.ThrowIfAny();
  return t;
}

}  // namespace npusim::core

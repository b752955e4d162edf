// Validated reading of JSON input files (docs/design-decisions.md: inputs validated at the boundary).
//
// Every check adds a Problem (file, JSON pointer, expectation and finding) to a ProblemList and
// returns "nothing" instead of throwing, so a loader can keep going and report every problem of a
// file at once. Messages follow one pattern:
//   /units/0/acc_bits: expected an integer in 8..32, got 40
//   /units/0/overflow: expected one of wrap|saturate, got "wrapp"
//   /ops/0/strid: unknown key "strid" (expected one of: name, op, inputs, outputs, stride, ...)
//   /dram/burst_bytes: missing required key "burst_bytes" (expected a power of two in 1..4096)
//
// Typical use:
//   ProblemList problems(path);
//   nlohmann::json doc = ReadJsonFile(path);          // throws ConfigError on syntax errors
//   JsonChecker check(&problems);
//   if (check.Object(doc, "")) {
//     check.Keys(doc, "", {"version", "name"});
//     auto name = check.GetString(doc, "", "name", Need::kRequired);
//   }
//   problems.ThrowIfAny();
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/error.h"

namespace npusim::core {

using Json = nlohmann::json;

// Reads and parses a JSON file. A missing/unreadable file, a file larger than kMaxJsonFileBytes
// or a syntax error throws ConfigError naming the file; syntax errors say "line L, column C: ...".
constexpr size_t kMaxJsonFileBytes = size_t{1} << 30;
Json ReadJsonFile(const std::string& path);
// The text of a JSON file, read once (a pipe or FIFO works too), with ReadJsonFile's size check.
std::string ReadJsonFileText(const std::string& path);

// Parses JSON text read from `file` (used by ReadJsonFile; exposed for tests). Text nested deeper
// than kMaxJsonDepth is refused before parsing: nlohmann's dump, copy and comparison recurse, so a
// file of 10^5 nested brackets would overflow the stack later (docs/formats.md "Limits").
// After parsing, every string and key longer than kMaxJsonStringBytes and every number that is
// neither 0 nor a normal double (1e-320) is a problem naming its JSON pointer.
constexpr int kMaxJsonDepth = 512;
constexpr size_t kMaxJsonStringBytes = size_t{1} << 20;
Json ParseJsonText(const std::string& text, const std::string& file);
// The same, keeping the objects' keys in file order (a sweep grid's knobs are its CSV columns).
nlohmann::ordered_json ParseOrderedJsonText(const std::string& text, const std::string& file);

// Byte offset of the bracket that opens the (max_depth + 1)-th nested array or object of `text`
// (brackets inside strings do not count), or std::string::npos when the text nests no deeper.
size_t FindExcessNesting(std::string_view text, int max_depth = kMaxJsonDepth);

// 1-based line and column of byte offset `byte_offset` (0-based) in `text`.
std::pair<int64_t, int64_t> LineColumn(const std::string& text, size_t byte_offset);

// JSON pointer of a child: Pointer("/ops", 3) == "/ops/3"; keys are escapes per RFC 6901
// ("~" -> "~0", "/" -> "~1").
std::string Pointer(const std::string& parent, const std::string& key);
std::string Pointer(const std::string& parent, size_t index);

// A short rendering of a JSON value for "got ..." (strings quoted, long values cut).
std::string Describe(const Json& v);

// "[1, 8, 8, 4]"
std::string ShapeString(const std::vector<int64_t>& shape);

// "\"a\", \"b\"" (names listed in a message)
std::string QuotedList(const std::vector<std::string>& names);

// The directory part of a path ("" for a bare file name), and a path resolved against it.
std::string DirName(const std::string& path);
std::string ResolveRelative(const std::string& base_file, const std::string& relative);

// A work budget: the value of environment variable `name` (a positive integer), else `fallback`.
// A bad value throws ConfigError naming the variable. Budgets are environment variables so that
// every command, its child processes and the Python module share them, and no input file can
// raise its own (docs/formats.md "Limits").
int64_t BudgetFromEnv(const char* name, int64_t fallback);

enum class Need { kRequired, kOptional };

// Expectation texts shared by the getters and by loaders that check values themselves.
std::string IntExpectation(int64_t min, int64_t max);
std::string NumberExpectation(double min, bool min_exclusive);

class JsonChecker {
 public:
  static constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();
  static constexpr int64_t kNoMin = std::numeric_limits<int64_t>::min();

  explicit JsonChecker(ProblemList* problems) : problems_(problems) {}
  ProblemList& problems() { return *problems_; }
  void Add(const std::string& pointer, const std::string& message) { problems_->Add(pointer, message); }

  // Value checks: `v` lives at `pointer`. On a mismatch they add
  // "expected <what>, got <value>" and return false / nullopt.
  bool Object(const Json& v, const std::string& pointer);
  bool Array(const Json& v, const std::string& pointer, size_t min_size = 0);
  std::optional<int64_t> Int(const Json& v, const std::string& pointer, int64_t min = kNoMin,
                             int64_t max = kNoMax);
  std::optional<uint64_t> Uint64(const Json& v, const std::string& pointer);
  // A finite number >= min (> min when min_exclusive).
  std::optional<double> Number(const Json& v, const std::string& pointer, double min, bool min_exclusive);
  std::optional<bool> Bool(const Json& v, const std::string& pointer);
  std::optional<std::string> String(const Json& v, const std::string& pointer, bool non_empty = true);
  // A name matching [a-z][a-z0-9_]*.
  std::optional<std::string> Identifier(const Json& v, const std::string& pointer);
  std::optional<std::string> Enum(const Json& v, const std::string& pointer,
                                  const std::vector<std::string>& allowed);
  // A power of two in [min, max].
  std::optional<int64_t> PowerOfTwo(const Json& v, const std::string& pointer, int64_t min, int64_t max);
  // A list of exactly `size` integers in [min, max] (e.g. stride [h, w]).
  std::optional<std::vector<int64_t>> IntList(const Json& v, const std::string& pointer, size_t size,
                                              int64_t min, int64_t max);

  // Unknown keys of object `obj` (at `pointer`) are problems listing the allowed ones.
  void Keys(const Json& obj, const std::string& pointer, const std::vector<std::string>& allowed);

  // Member lookup: nullptr when absent; if required, also adds
  // `missing required key "k" (expected <expectation>)`.
  const Json* Member(const Json& obj, const std::string& pointer, const std::string& key, Need need,
                     const std::string& expectation);

  // Member + value check in one step, for the common cases.
  std::optional<int64_t> GetInt(const Json& obj, const std::string& pointer, const std::string& key,
                                Need need, int64_t min = kNoMin, int64_t max = kNoMax);
  std::optional<double> GetNumber(const Json& obj, const std::string& pointer, const std::string& key,
                                  Need need, double min, bool min_exclusive);
  std::optional<bool> GetBool(const Json& obj, const std::string& pointer, const std::string& key, Need need);
  std::optional<std::string> GetString(const Json& obj, const std::string& pointer, const std::string& key,
                                       Need need);
  std::optional<std::string> GetIdentifier(const Json& obj, const std::string& pointer,
                                           const std::string& key, Need need);
  std::optional<std::string> GetEnum(const Json& obj, const std::string& pointer, const std::string& key,
                                     Need need, const std::vector<std::string>& allowed);
  std::optional<int64_t> GetPowerOfTwo(const Json& obj, const std::string& pointer, const std::string& key,
                                       Need need, int64_t min, int64_t max);
  std::optional<std::vector<int64_t>> GetIntList(const Json& obj, const std::string& pointer,
                                                 const std::string& key, Need need, size_t size, int64_t min,
                                                 int64_t max);

  // "version": 1, required.
  void Version(const Json& obj);

 private:
  void Expected(const std::string& pointer, const std::string& what, const Json& got);
  ProblemList* problems_;
};

// Throws one ConfigError with the problems of all lists (several files), if any.
void ThrowIfAny(const std::vector<const ProblemList*>& lists);

}  // namespace npusim::core

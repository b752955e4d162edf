#include "support/json_util.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

namespace npusim::core {

std::pair<int64_t, int64_t> LineColumn(const std::string& text, size_t byte_offset) {
  int64_t line = 1;
  int64_t column = 1;
  const size_t end = std::min(byte_offset, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

namespace {

// nlohmann's parse_error::what() is "[json.exception.parse_error.101] parse error at line 3,
// column 5: syntax error while parsing ..."; keep only the description after the position.
std::string ParseErrorDescription(const std::string& what) {
  const std::string marker = "parse error";
  size_t pos = what.find(marker);
  if (pos == std::string::npos) return what;
  pos = what.find(": ", pos);
  if (pos == std::string::npos) return what;
  return what.substr(pos + 2);
}

}  // namespace

size_t FindExcessNesting(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string::npos;
}

namespace {

// Strings and keys longer than kMaxJsonStringBytes and numbers that are neither 0 nor normal, under
// `v` at `pointer` (depth is bounded by kMaxJsonDepth, so the recursion is too).
// A problem for each of at most 10 values: a file of a million bad numbers gets ten lines.
class ValueChecks {
 public:
  explicit ValueChecks(ProblemList* problems) : problems_(problems) {}
  bool full() const { return found_ >= 10; }
  // The objects (by pointer) whose long keys were left out of the parsed text (as ""): the value
  // under such a key is not checked, as under any long key.
  void SkipEmptyKeysIn(std::set<std::string> objects) { blanked_ = std::move(objects); }
  bool Skipped(const std::string& object, const std::string& key) const {
    return key.empty() && blanked_.count(object) > 0;
  }
  void Add(const std::string& pointer, const std::string& message) {
    ++found_;
    problems_->Add(pointer, message);
  }

 private:
  ProblemList* problems_;
  size_t found_ = 0;
  std::set<std::string> blanked_;
};

// The problem of a string or key of `bytes` bytes, beyond kMaxJsonStringBytes.
std::string TooLong(bool key, size_t bytes) {
  const std::string limit = std::to_string(kMaxJsonStringBytes) + " bytes (the limit for JSON input), got ";
  return key ? "expected keys of at most " + limit + "one of " + std::to_string(bytes)
             : "expected a string of at most " + limit + std::to_string(bytes);
}

// A string of the text longer than kMaxJsonStringBytes: its quotes at `open` and `close`, its
// length (an escape counted as one byte: at most what it decodes to) and the JSON pointer of its
// value, or of the object whose key it is.
struct LongString {
  size_t open = 0, close = 0;
  size_t bytes = 0;
  bool key = false;
  std::string pointer;
};

// Finds every string longer than kMaxJsonStringBytes before the text is parsed, so that a 500 MB
// name costs a scan, not a parse that builds it several times over, and tracks the JSON pointer
// of each on the way. The text before a string is taken to be JSON: where it is not, the parse
// fails and says where.
class LongStringScan {
 public:
  explicit LongStringScan(std::string_view text) : text_(text) {}

  std::vector<LongString> Run() {
    for (size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] == '"') {
        i = String(i);
      } else {
        Structural(text_[i]);
      }
    }
    return found_;
  }

 private:
  struct Frame {
    bool object = false;
    bool expect_key = false;  // objects: the next string is a key
    size_t index = 0;         // arrays: the element being read
    std::string key;          // objects: the key of the value being read
  };

  // The bytes escape "\\uXXXX" at `i` decodes to in UTF-8 (a surrogate: half of a 4-byte pair).
  size_t UnicodeEscapeBytes(size_t i) const {
    const unsigned long code = std::strtoul(std::string(text_.substr(i + 2, 4)).c_str(), nullptr, 16);
    if (code >= 0xD800 && code <= 0xDFFF) return 2;
    return code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
  }

  // Reads the string whose opening quote is at `open` (counting the bytes it decodes to); returns
  // the index of its closing quote.
  size_t String(size_t open) {
    size_t bytes = 0, i = open + 1;
    while (i < text_.size() && text_[i] != '"') {
      const bool unicode = text_[i] == '\\' && i + 1 < text_.size() && text_[i + 1] == 'u';
      bytes += unicode ? UnicodeEscapeBytes(i) : 1;
      i += unicode ? 6 : text_[i] == '\\' ? 2 : 1;
    }
    const size_t close = std::min(i, text_.size());
    const bool key = !frames_.empty() && frames_.back().expect_key;
    const bool long_string = bytes > kMaxJsonStringBytes;
    if (long_string) found_.push_back({open, close, bytes, key, PointerOf(key)});
    if (key) frames_.back().key = long_string ? "" : KeyText(open, close);
    return close;
  }

  // A key as the parser will read it (escapes decoded), for the pointers of the values under it.
  std::string KeyText(size_t open, size_t close) const {
    const std::string_view raw = text_.substr(open + 1, close - open - 1);
    if (raw.find('\\') == std::string_view::npos) return std::string(raw);
    const Json key = Json::parse(text_.substr(open, close - open + 1), nullptr, false);
    return key.is_string() ? key.get<std::string>() : std::string(raw);
  }

  void Structural(char c) {
    if (c == '{' || c == '[') {
      frames_.push_back({c == '{', c == '{', 0, ""});
    } else if ((c == '}' || c == ']') && !frames_.empty()) {
      frames_.pop_back();
    } else if (c == ',' && !frames_.empty()) {
      ++frames_.back().index;
      frames_.back().expect_key = frames_.back().object;
    } else if (c == ':' && !frames_.empty()) {
      frames_.back().expect_key = false;
    }
  }

  std::string PointerOf(bool key) const {
    std::string p;
    for (size_t f = 0; f + (key ? 1 : 0) < frames_.size(); ++f) {
      p = frames_[f].object ? Pointer(p, frames_[f].key) : Pointer(p, frames_[f].index);
    }
    return p;
  }

  std::string_view text_;
  std::vector<Frame> frames_;
  std::vector<LongString> found_;
};

// `text` with the characters of every long string left out (its quotes kept: an empty string).
std::string WithoutLongStrings(const std::string& text, const std::vector<LongString>& long_strings) {
  std::string out;
  size_t from = 0;
  for (const LongString& s : long_strings) {
    out.append(text, from, s.open + 1 - from);
    from = s.close;
  }
  out.append(text, from, std::string::npos);
  return out;
}

// The offset in the original text of offset `at` of WithoutLongStrings's text.
size_t OriginalOffset(size_t at, const std::vector<LongString>& long_strings) {
  size_t removed = 0;
  for (const LongString& s : long_strings) {
    if (s.open + 1 - removed > at) break;
    removed += s.close - s.open - 1;
  }
  return at + removed;
}

// Whether `v` is something CheckJsonValues looks at (a container, a string or a float).
template <class J>
bool Checked(const J& v) {
  return v.is_structured() || v.is_string() || v.is_number_float();
}

// A string or float `v` at `pointer`.
template <class J>
void CheckScalar(const J& v, const std::string& pointer, ValueChecks& problems) {
  if (v.is_string() && v.template get_ref<const std::string&>().size() > kMaxJsonStringBytes) {
    problems.Add(pointer, TooLong(false, v.template get_ref<const std::string&>().size()));
  } else if (v.is_number_float()) {
    const double d = v.template get<double>();
    if (d != 0 && !std::isnormal(d)) {
      problems.Add(pointer,
                   "expected 0 or a normal number (magnitude >= 2.2250738585072014e-308), got " + v.dump());
    }
  }
}

template <class J>
void CheckJsonValues(const J& v, const std::string& pointer, ValueChecks& problems) {
  if (problems.full()) return;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key().size() > kMaxJsonStringBytes) {
        problems.Add(pointer, TooLong(true, it.key().size()));
      } else if (Checked(it.value()) && !problems.Skipped(pointer, it.key())) {
        CheckJsonValues(it.value(), Pointer(pointer, it.key()), problems);
      }
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (Checked(v[i])) CheckJsonValues(v[i], Pointer(pointer, i), problems);
    }
  } else {
    CheckScalar(v, pointer, problems);
  }
}

// Parses `text`, the file's text with its long strings left out (`long_strings`, so that an error's
// position is the file's).
template <class J>
J ParseWithout(const std::string& file_text, const std::string& text,
               const std::vector<LongString>& long_strings, const std::string& file) {
  try {
    return J::parse(text);
  } catch (const Json::parse_error& e) {
    // e.byte is the 1-based index of the last character read, i.e. where the error was seen.
    const size_t offset = OriginalOffset(e.byte == 0 ? 0 : e.byte - 1, long_strings);
    const auto [line, column] = LineColumn(file_text, offset);
    throw ConfigError(file, "",
                      "line " + std::to_string(line) + ", column " + std::to_string(column) +
                          ": invalid JSON: " + ParseErrorDescription(e.what()));
  } catch (const Json::exception& e) {
    // E.g. out_of_range.406 "number overflow parsing '1e400'", which carries no position.
    std::string what = e.what();
    const size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    throw ConfigError(file, "", "invalid JSON: " + what);
  }
}

template <class J>
J ParseChecked(const std::string& text, const std::string& file) {
  if (const size_t at = FindExcessNesting(text); at != std::string::npos) {
    const auto [line, column] = LineColumn(text, at);
    throw ConfigError(file, "",
                      "line " + std::to_string(line) + ", column " + std::to_string(column) +
                          ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                          " levels (the limit for JSON input)");
  }
  const std::vector<LongString> long_strings = LongStringScan(text).Run();
  J doc = long_strings.empty()
              ? ParseWithout<J>(text, text, long_strings, file)
              : ParseWithout<J>(text, WithoutLongStrings(text, long_strings), long_strings, file);
  ProblemList problems(file);
  ValueChecks checks(&problems);
  std::set<std::string> blanked;
  for (const LongString& s : long_strings) {
    if (!checks.full()) checks.Add(s.pointer, TooLong(s.key, s.bytes));
    if (s.key) blanked.insert(s.pointer);
  }
  checks.SkipEmptyKeysIn(std::move(blanked));
  CheckJsonValues(doc, "", checks);
  problems.ThrowIfAny();
  return doc;
}

}  // namespace

Json ParseJsonText(const std::string& text, const std::string& file) {
  return ParseChecked<Json>(text, file);
}

nlohmann::ordered_json ParseOrderedJsonText(const std::string& text, const std::string& file) {
  return ParseChecked<nlohmann::ordered_json>(text, file);
}

std::string ReadJsonFileText(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path, "", "is a directory, expected a JSON file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, "", "cannot open file");
  // Read at most one byte past the limit, so that an endless or huge file is refused without
  // being held in memory (docs/formats.md "Limits").
  std::string text;
  char buf[1 << 16];
  while (in && text.size() <= kMaxJsonFileBytes) {
    in.read(buf, sizeof buf);
    text.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw ConfigError(path, "", "cannot read file");
  if (text.size() > kMaxJsonFileBytes) {
    throw ConfigError(
        path, "",
        "file larger than " + std::to_string(kMaxJsonFileBytes) + " bytes (the limit for JSON input files)");
  }
  return text;
}

Json ReadJsonFile(const std::string& path) { return ParseJsonText(ReadJsonFileText(path), path); }

int64_t BudgetFromEnv(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v, &end, 10);
  if (errno != 0 || *end != '\0' || x < 1) {
    throw ConfigError(std::string("environment variable ") + name, "",
                      std::string("expected a positive integer, got \"") + v + "\"");
  }
  return x;
}

std::string Pointer(const std::string& parent, const std::string& key) {
  std::string escaped;
  for (char c : key) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return parent + "/" + escaped;
}

std::string Pointer(const std::string& parent, size_t index) { return parent + "/" + std::to_string(index); }

std::string Describe(const Json& v) {
  constexpr size_t kMaxChars = 48;
  std::string s = v.dump();
  if (s.size() > kMaxChars) s = s.substr(0, kMaxChars - 3) + "...";
  return s;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string QuotedList(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "\"" : ", \"") + n + "\"";
  return s;
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  return path.substr(0, slash + 1);
}

std::string ResolveRelative(const std::string& base_file, const std::string& relative) {
  if (!relative.empty() && relative[0] == '/') return relative;
  return DirName(base_file) + relative;
}

namespace {
// " in 8..32", " >= 1", " <= 7" or "".
std::string IntRangeSuffix(int64_t min, int64_t max) {
  const bool has_min = min != JsonChecker::kNoMin;
  const bool has_max = max != JsonChecker::kNoMax;
  if (has_min && has_max) return " in " + std::to_string(min) + ".." + std::to_string(max);
  if (has_min) return " >= " + std::to_string(min);
  if (has_max) return " <= " + std::to_string(max);
  return "";
}
}  // namespace

std::string IntExpectation(int64_t min, int64_t max) {
  if (min == max) return std::to_string(min);
  return "an integer" + IntRangeSuffix(min, max);
}

namespace {
std::string FormatDouble(double d) {
  std::ostringstream s;
  s << d;
  return s.str();
}
std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}
bool IsIdentifier(const std::string& s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}
bool IsPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }
std::string PowerOfTwoExpectation(int64_t min, int64_t max) {
  return "a power of two in " + std::to_string(min) + ".." + std::to_string(max);
}
std::string IntListExpectation(size_t size, int64_t min, int64_t max) {
  return "a list of " + std::to_string(size) + " integers" + IntRangeSuffix(min, max);
}
}  // namespace

std::string NumberExpectation(double min, bool min_exclusive) {
  return std::string("a finite number ") + (min_exclusive ? "> " : ">= ") + FormatDouble(min);
}

void JsonChecker::Expected(const std::string& pointer, const std::string& what, const Json& got) {
  Add(pointer, "expected " + what + ", got " + Describe(got));
}

bool JsonChecker::Object(const Json& v, const std::string& pointer) {
  if (v.is_object()) return true;
  Expected(pointer, "an object", v);
  return false;
}

bool JsonChecker::Array(const Json& v, const std::string& pointer, size_t min_size) {
  if (v.is_array() && v.size() >= min_size) return true;
  Expected(pointer,
           min_size == 0
               ? std::string("a list")
               : "a list of at least " + std::to_string(min_size) + " item" + (min_size == 1 ? "" : "s"),
           v);
  return false;
}

std::optional<int64_t> JsonChecker::Int(const Json& v, const std::string& pointer, int64_t min, int64_t max) {
  // Only JSON integers count: 16.0 or "16" are typos we do not guess about.
  if (v.is_number_unsigned()) {
    // nlohmann stores every non-negative literal as unsigned; it may exceed int64.
    const uint64_t u = v.get<uint64_t>();
    if (u <= static_cast<uint64_t>(max) && static_cast<int64_t>(u) >= min) {
      return static_cast<int64_t>(u);
    }
  } else if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i >= min && i <= max) return i;
  }
  Expected(pointer, IntExpectation(min, max), v);
  return std::nullopt;
}

std::optional<uint64_t> JsonChecker::Uint64(const Json& v, const std::string& pointer) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  Expected(pointer, "an integer in 0..18446744073709551615", v);
  return std::nullopt;
}

std::optional<double> JsonChecker::Number(const Json& v, const std::string& pointer, double min,
                                          bool min_exclusive) {
  if (v.is_number()) {
    const double d = v.get<double>();
    const bool above = min_exclusive ? d > min : d >= min;
    if (std::isfinite(d) && above) return d;
  }
  Expected(pointer, NumberExpectation(min, min_exclusive), v);
  return std::nullopt;
}

std::optional<bool> JsonChecker::Bool(const Json& v, const std::string& pointer) {
  if (v.is_boolean()) return v.get<bool>();
  Expected(pointer, "true or false", v);
  return std::nullopt;
}

std::optional<std::string> JsonChecker::String(const Json& v, const std::string& pointer, bool non_empty) {
  if (v.is_string() && (!non_empty || !v.get<std::string>().empty())) return v.get<std::string>();
  Expected(pointer, non_empty ? "a non-empty string" : "a string", v);
  return std::nullopt;
}

std::optional<std::string> JsonChecker::Identifier(const Json& v, const std::string& pointer) {
  if (v.is_string() && IsIdentifier(v.get<std::string>())) return v.get<std::string>();
  Expected(pointer, "a name matching [a-z][a-z0-9_]*", v);
  return std::nullopt;
}

std::optional<std::string> JsonChecker::Enum(const Json& v, const std::string& pointer,
                                             const std::vector<std::string>& allowed) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    for (const std::string& a : allowed) {
      if (s == a) return s;
    }
  }
  Expected(pointer, "one of " + Join(allowed, "|"), v);
  return std::nullopt;
}

std::optional<int64_t> JsonChecker::PowerOfTwo(const Json& v, const std::string& pointer, int64_t min,
                                               int64_t max) {
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (!v.is_number_unsigned() || v.get<uint64_t>() <= static_cast<uint64_t>(max)) {
      if (i >= min && i <= max && IsPowerOfTwo(i)) return i;
    }
  }
  Expected(pointer, PowerOfTwoExpectation(min, max), v);
  return std::nullopt;
}

std::optional<std::vector<int64_t>> JsonChecker::IntList(const Json& v, const std::string& pointer,
                                                         size_t size, int64_t min, int64_t max) {
  if (!v.is_array() || v.size() != size) {
    Expected(pointer, IntListExpectation(size, min, max), v);
    return std::nullopt;
  }
  std::vector<int64_t> out;
  bool ok = true;
  for (size_t i = 0; i < v.size(); ++i) {
    auto x = Int(v[i], Pointer(pointer, i), min, max);
    ok = ok && x.has_value();
    if (x) out.push_back(*x);
  }
  if (!ok) return std::nullopt;
  return out;
}

void JsonChecker::Keys(const Json& obj, const std::string& pointer, const std::vector<std::string>& allowed) {
  if (!obj.is_object()) return;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const std::string& a : allowed) known = known || it.key() == a;
    if (known) continue;
    Add(Pointer(pointer, it.key()),
        "unknown key \"" + it.key() + "\" (expected one of: " + Join(allowed, ", ") + ")");
  }
}

const Json* JsonChecker::Member(const Json& obj, const std::string& pointer, const std::string& key,
                                Need need, const std::string& expectation) {
  if (obj.is_object()) {
    auto it = obj.find(key);
    if (it != obj.end()) return &*it;
  }
  if (need == Need::kRequired) {
    Add(Pointer(pointer, key), "missing required key \"" + key + "\" (expected " + expectation + ")");
  }
  return nullptr;
}

std::optional<int64_t> JsonChecker::GetInt(const Json& obj, const std::string& pointer,
                                           const std::string& key, Need need, int64_t min, int64_t max) {
  const Json* v = Member(obj, pointer, key, need, IntExpectation(min, max));
  if (!v) return std::nullopt;
  return Int(*v, Pointer(pointer, key), min, max);
}

std::optional<double> JsonChecker::GetNumber(const Json& obj, const std::string& pointer,
                                             const std::string& key, Need need, double min,
                                             bool min_exclusive) {
  const Json* v = Member(obj, pointer, key, need, NumberExpectation(min, min_exclusive));
  if (!v) return std::nullopt;
  return Number(*v, Pointer(pointer, key), min, min_exclusive);
}

std::optional<bool> JsonChecker::GetBool(const Json& obj, const std::string& pointer, const std::string& key,
                                         Need need) {
  const Json* v = Member(obj, pointer, key, need, "true or false");
  if (!v) return std::nullopt;
  return Bool(*v, Pointer(pointer, key));
}

std::optional<std::string> JsonChecker::GetString(const Json& obj, const std::string& pointer,
                                                  const std::string& key, Need need) {
  const Json* v = Member(obj, pointer, key, need, "a non-empty string");
  if (!v) return std::nullopt;
  return String(*v, Pointer(pointer, key));
}

std::optional<std::string> JsonChecker::GetIdentifier(const Json& obj, const std::string& pointer,
                                                      const std::string& key, Need need) {
  const Json* v = Member(obj, pointer, key, need, "a name matching [a-z][a-z0-9_]*");
  if (!v) return std::nullopt;
  return Identifier(*v, Pointer(pointer, key));
}

std::optional<std::string> JsonChecker::GetEnum(const Json& obj, const std::string& pointer,
                                                const std::string& key, Need need,
                                                const std::vector<std::string>& allowed) {
  const Json* v = Member(obj, pointer, key, need, "one of " + Join(allowed, "|"));
  if (!v) return std::nullopt;
  return Enum(*v, Pointer(pointer, key), allowed);
}

std::optional<int64_t> JsonChecker::GetPowerOfTwo(const Json& obj, const std::string& pointer,
                                                  const std::string& key, Need need, int64_t min,
                                                  int64_t max) {
  const Json* v = Member(obj, pointer, key, need, PowerOfTwoExpectation(min, max));
  if (!v) return std::nullopt;
  return PowerOfTwo(*v, Pointer(pointer, key), min, max);
}

std::optional<std::vector<int64_t>> JsonChecker::GetIntList(const Json& obj, const std::string& pointer,
                                                            const std::string& key, Need need, size_t size,
                                                            int64_t min, int64_t max) {
  const Json* v = Member(obj, pointer, key, need, IntListExpectation(size, min, max));
  if (!v) return std::nullopt;
  return IntList(*v, Pointer(pointer, key), size, min, max);
}

void JsonChecker::Version(const Json& obj) { GetInt(obj, "", "version", Need::kRequired, 1, 1); }

void ThrowIfAny(const std::vector<const ProblemList*>& lists) {
  std::vector<Problem> all;
  for (const ProblemList* list : lists) {
    try {
      list->ThrowIfAny();
    } catch (const ConfigError& e) {
      all.insert(all.end(), e.problems().begin(), e.problems().end());
    }
  }
  if (!all.empty()) throw ConfigError(all);
}

}  // namespace npusim::core

// The request side of `npusim serve` (app/serve.cpp), as pure functions of bytes: a peer's byte
// stream cut into lines, one line parsed and checked into a Request, and an answer rendered as
// one line. No I/O, no fork, no simulation, so the fuzzer (fuzz/serve_request_fuzzer.cpp) and
// the unit tests call them directly.
//
//   request:  {"id": 1, "weight_bits": {"*": 4, "conv0": 8}, "activation_bits": {"*": 8},
//              "keep": {"pw3": 0.5}, "layers": true}
//   error:    {"id": 1, "ok": false, "error": "..."}
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "explore/policy.h"

namespace npusim::explore::serve {

// A line longer than this is answered with one error and skipped up to its newline.
constexpr size_t kMaxRequestBytes = size_t{1} << 20;
// Nesting deeper than this is refused before parsing (the id is echoed, and rendering a deeply
// nested value recurses).
constexpr int kMaxRequestDepth = 64;

// The policy (explore/policy.h: weight_bits 1..16, activation_bits 2..16, keep in (0, 1]), the id
// and whether per-layer figures are asked for.
struct Request : Policy {
  nlohmann::json id;    // echoed in the answer; null when absent
  bool layers = false;  // per-layer figures in the answer
  std::string error;    // "" for a valid request, else what is wrong
};

// Parses and checks one request line. Never throws: a bad line gives a Request with `error` set
// (and the id, when the line is an object that has one).
Request ParseRequest(std::string_view line);

// True for a line with nothing but blanks (skipped, not answered).
bool IsBlank(std::string_view line);

// {"ok": false, "error": message} with the id when it is not null.
nlohmann::json ErrorAnswer(const nlohmann::json& id, const std::string& message);

// The answer as one line with its newline. Never throws: bytes that are not UTF-8 (an error
// message may quote the request) are replaced by U+FFFD.
std::string AnswerLine(const nlohmann::json& answer);

// One peer's byte stream cut into lines (every client of a socket has its own, so requests from
// several clients never interleave).
class LineReader {
 public:
  // `max_bytes`: the longest line accepted (npusim serve --max-request-bytes).
  explicit LineReader(size_t max_bytes = kMaxRequestBytes) : max_bytes_(max_bytes) {}
  // Appends bytes; calls `on_line(line)` for each complete line, `on_oversized()` once per
  // line longer than `max_bytes` (which is then skipped up to its newline).
  template <class OnLine, class OnOversized>
  void Feed(const char* data, size_t n, OnLine on_line, OnOversized on_oversized) {
    for (size_t i = 0; i < n; ++i) {
      const char c = data[i];
      if (c == '\n') {
        if (!skipping_) on_line(buf_);
        buf_.clear();
        if (buf_.capacity() > kKeptCapacity) std::string().swap(buf_);  // a long line's memory back
        skipping_ = false;
        continue;
      }
      if (skipping_) continue;
      buf_ += c;
      if (buf_.size() > max_bytes_) {
        on_oversized();
        std::string().swap(buf_);
        skipping_ = true;
      }
    }
  }
  // At end of stream: a last line without its newline still counts.
  template <class OnLine>
  void Finish(OnLine on_line) {
    if (!skipping_ && !buf_.empty()) on_line(buf_);
    buf_.clear();
  }
  // True while a line has begun and its newline has not come (bytes kept, or an oversized line
  // being skipped).
  bool Partial() const { return skipping_ || !buf_.empty(); }

 private:
  static constexpr size_t kKeptCapacity = size_t{64} << 10;
  size_t max_bytes_;
  std::string buf_;
  bool skipping_ = false;
};

}  // namespace npusim::explore::serve

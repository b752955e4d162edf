// libFuzzer target: what `npusim serve` does with a peer's bytes before it forks a simulation
// (explore/serve_request.h): the stream cut into lines (in chunks of a size the input's first byte
// picks, as reads from a socket arrive), each line parsed and checked, and the answer rendered.
// Must never throw; every answer must be one line of JSON that parses back, and a valid request
// must carry widths in 1..16. Anything else (an exception, a sanitizer report, a hang) is a
// finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "explore/serve_request.h"

namespace {

namespace serve = npusim::explore::serve;
using nlohmann::json;

// The longest line read (`npusim serve --max-request-bytes`, 1 MiB by default): low, so that inputs
// within -max_len (8 KB) reach the oversized-line path and what follows it.
constexpr size_t kMaxLineBytes = 4096;

void Expect(bool ok) {
  if (!ok) std::abort();
}

void CheckAnswer(const json& answer) {
  const std::string line = serve::AnswerLine(answer);
  Expect(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1);
  Expect(json::accept(line));
}

void OnLine(const std::string& line) {
  if (serve::IsBlank(line)) return;
  const serve::Request r = serve::ParseRequest(line);
  if (!r.error.empty()) {
    Expect(r.weight_bits.empty());
    CheckAnswer(serve::ErrorAnswer(r.id, r.error));
    return;
  }
  for (const auto& [layer, bits] : r.weight_bits) Expect(bits >= 1 && bits <= 16);
  json ok = {{"ok", true}, {"cycles", 1}};
  if (!r.id.is_null()) ok["id"] = r.id;
  CheckAnswer(ok);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const size_t n = size - 1;
  serve::LineReader reader(kMaxLineBytes);
  for (size_t off = 0; off < n; off += chunk) {
    reader.Feed(bytes + off, std::min(chunk, n - off), OnLine,
                [] { CheckAnswer(serve::ErrorAnswer(nullptr, "request longer than the limit")); });
  }
  reader.Finish(OnLine);
  return 0;
}

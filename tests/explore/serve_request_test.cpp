// serve's request side without a server (explore/serve_request.h): lines cut from a byte stream as
// they arrive, requests parsed and checked with the message a client sees, answers rendered as
// one line of valid JSON whatever bytes the request held; and the inputs the serve_request fuzz
// target (fuzz/serve_request_fuzzer.cpp) keeps under tests/data/fuzz-regressions/serve_request/,
// replayed as that target runs them. The server itself is tested in serve_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/serve_request.h"
#include "fuzz/fuzz_support.h"

namespace npusim::explore::serve {
namespace {

using nlohmann::json;

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

// The answer line a server would write for `line` when the request is refused.
json RefusalOf(const std::string& line) {
  const Request r = ParseRequest(line);
  EXPECT_FALSE(r.error.empty()) << line;
  const std::string out = AnswerLine(ErrorAnswer(r.id, r.error));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_EQ(out.back(), '\n');
  return json::parse(out);
}

TEST(ServeRequest, AValidRequestCarriesIdWidthsAndLayers) {
  const Request r = ParseRequest(R"({"id": [1, "a"], "weight_bits": {"*": 4, "conv0": 8}, "layers": true})");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.id, json::parse(R"([1, "a"])"));
  EXPECT_EQ(r.weight_bits, (std::map<std::string, int>{{"*", 4}, {"conv0", 8}}));
  EXPECT_TRUE(r.layers);
  const Request amc = ParseRequest(R"({"keep": {"*": 0.5, "pw13": 0.25}})");
  EXPECT_EQ(amc.error, "");
  EXPECT_EQ(amc.keep, (std::map<std::string, double>{{"*", 0.5}, {"pw13", 0.25}}));
  const Request bare = ParseRequest("{}");
  EXPECT_EQ(bare.error, "");
  EXPECT_TRUE(bare.id.is_null());
  EXPECT_FALSE(bare.layers);
}

TEST(ServeRequest, BadRequestsAreRefusedWithWhatIsWrongAndTheirId) {
  EXPECT_EQ(RefusalOf(R"({"id": 7, "weight_bits": {"conv1": 99}})")["error"],
            "/weight_bits/conv1: expected an integer in 1..16, got 99");
  EXPECT_EQ(RefusalOf(R"({"id": 7, "weight_bits": {"conv1": 99}})")["id"], 7);
  EXPECT_EQ(RefusalOf(R"({"id": 1, "weight_bits": {"a/b": 4.0}})")["error"],
            "/weight_bits/a~1b: expected an integer in 1..16, got 4.0");
  EXPECT_EQ(RefusalOf(R"({"weight_bits": [4]})")["error"],
            "/weight_bits: expected an object {\"LAYER\": BITS, \"*\": BITS}");
  EXPECT_EQ(RefusalOf(R"({"layers": 1})")["error"], "/layers: expected true or false");
  EXPECT_EQ(RefusalOf(R"({"activation_bits": {"*": 1}})")["error"],
            "/activation_bits/*: expected an integer in 2..16, got 1");
  EXPECT_EQ(RefusalOf(R"({"activation_bits": 8})")["error"],
            "/activation_bits: expected an object {\"LAYER\": BITS, \"*\": BITS}");
  EXPECT_EQ(RefusalOf(R"({"id": "x", "colour": 1})")["error"],
            "unknown key \"colour\" (expected id, weight_bits, activation_bits, keep, layers)");
  EXPECT_EQ(RefusalOf(R"({"keep": {"pw1": 0}})")["error"],
            "/keep/pw1: expected a keep ratio in (0, 1], got 0");
  EXPECT_EQ(RefusalOf(R"({"keep": {"pw1": 1.5}})")["error"],
            "/keep/pw1: expected a keep ratio in (0, 1], got 1.5");
  EXPECT_EQ(RefusalOf(R"({"keep": {"pw1": "half"}})")["error"],
            "/keep/pw1: expected a keep ratio in (0, 1], got \"half\"");
  EXPECT_EQ(RefusalOf(R"({"keep": 0.5})")["error"],
            "/keep: expected an object {\"LAYER\": RATIO, \"*\": RATIO}");
  EXPECT_EQ(RefusalOf("[1, 2]")["error"], "expected a JSON object per line");
  EXPECT_EQ(RefusalOf(R"({"id": 11}{"id": 12})")["error"].get<std::string>().rfind("not a JSON line: ", 0),
            0u);
}

TEST(ServeRequest, ARefusedRequestCarriesNoWidths) {
  const Request r = ParseRequest(R"({"weight_bits": {"a": 4, "b": 0}})");
  EXPECT_NE(r.error, "");
  EXPECT_TRUE(r.weight_bits.empty());
  const Request a = ParseRequest(R"({"activation_bits": {"a": 8}, "weight_bits": {"b": 0}})");
  EXPECT_NE(a.error, "");
  EXPECT_TRUE(a.activation_bits.empty());
  const Request ok = ParseRequest(R"({"activation_bits": {"a": 16, "*": 8}})");
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.activation_bits, (std::map<std::string, int>{{"*", 8}, {"a", 16}}));
}

TEST(ServeRequest, DeepNestingIsRefusedBeforeParsing) {
  // 200000 levels: rendering such an id recursed until the stack overflowed (a crash of the
  // whole server). Brackets inside strings do not count.
  const std::string deep = "{\"id\": " + std::string(200000, '[') + std::string(200000, ']') + "}";
  const json a = RefusalOf(deep);
  EXPECT_EQ(a["error"], "request nested deeper than 64 levels");
  EXPECT_FALSE(a.contains("id"));
  const Request quoted = ParseRequest("{\"id\": \"" + std::string(1000, '[') + "\"}");
  EXPECT_EQ(quoted.error, "");
  EXPECT_EQ(ParseRequest("{\"id\": " + std::string(63, '[') + std::string(63, ']') + "}").error, "");
}

TEST(ServeRequest, AnswersAreValidJsonWhateverBytesTheRequestHeld) {
  // The parser's message quotes the bad byte; a value cut by Describe may end mid-sequence.
  // Rendering used to throw (type_error 316) and end the server.
  const json a = RefusalOf(std::string("\"\xff"));
  EXPECT_NE(a["error"].get<std::string>().find("ill-formed UTF-8"), std::string::npos);
  EXPECT_NE(a["error"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
  std::string e30;
  for (int i = 0; i < 30; ++i) e30 += "\xc3\xa9";
  const json b = RefusalOf("{\"id\": 3, \"weight_bits\": {\"conv0\": \"x" + e30 + "\"}}");
  EXPECT_EQ(b["id"], 3);
  EXPECT_EQ(
      b["error"].get<std::string>().rfind("/weight_bits/conv0: expected an integer in 1..16, got \"x", 0),
      0u);
}

TEST(ServeRequest, LinesAreCutWhereverTheReadsEnd) {
  const std::string stream =
      "{\"id\": 1}\n\n{\"id\": 2}\r\n" + std::string(kMaxRequestBytes + 5, ' ') + "\n{\"id\": 3}";
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, stream.size()}) {
    LineReader reader;
    std::vector<std::string> lines;
    int oversized = 0;
    for (size_t off = 0; off < stream.size(); off += chunk) {
      reader.Feed(
          stream.data() + off, std::min(chunk, stream.size() - off),
          [&](const std::string& l) { lines.push_back(l); }, [&] { ++oversized; });
    }
    reader.Finish([&](const std::string& l) { lines.push_back(l); });
    ASSERT_EQ(lines, (std::vector<std::string>{"{\"id\": 1}", "", "{\"id\": 2}\r", "{\"id\": 3}"})) << chunk;
    EXPECT_EQ(oversized, 1) << chunk;
    EXPECT_TRUE(IsBlank(lines[1]));
    EXPECT_EQ(ParseRequest(lines[2]).id, 2);  // a CRLF line is a request like any other
  }
}

// Every kept input of the serve_request fuzz target, as the target runs it: the first byte picks
// the read size, every line is parsed and its answer rendered, and nothing throws.
TEST(ServeRequestFuzzRegressions, KeptInputsParseAndRender) {
  const std::filesystem::path dir = Src("tests/data/fuzz-regressions/serve_request");
  int replayed = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string bytes = fuzz::ReadBytes(e.path().string());
    ASSERT_FALSE(bytes.empty()) << e.path();
    const size_t chunk = 1 + static_cast<unsigned char>(bytes[0]) % 64;
    LineReader reader;
    auto on_line = [&](const std::string& line) {
      if (IsBlank(line)) return;
      const Request r = ParseRequest(line);
      const std::string out =
          AnswerLine(r.error.empty() ? json{{"ok", true}, {"id", r.id}} : ErrorAnswer(r.id, r.error));
      EXPECT_TRUE(json::accept(out)) << e.path() << ": " << out;
    };
    for (size_t off = 1; off < bytes.size(); off += chunk) {
      reader.Feed(bytes.data() + off, std::min(chunk, bytes.size() - off), on_line, [] {});
    }
    reader.Finish(on_line);
    ++replayed;
  }
  EXPECT_GE(replayed, 2);
}

}  // namespace
}  // namespace npusim::explore::serve

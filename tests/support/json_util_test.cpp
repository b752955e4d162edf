#include "support/json_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;

TEST(JsonUtil, LineColumnCountsFromOne) {
  const std::string text = "ab\ncd\n\nx";
  EXPECT_EQ(LineColumn(text, 0), std::make_pair(int64_t{1}, int64_t{1}));
  EXPECT_EQ(LineColumn(text, 1), std::make_pair(int64_t{1}, int64_t{2}));
  EXPECT_EQ(LineColumn(text, 3), std::make_pair(int64_t{2}, int64_t{1}));
  EXPECT_EQ(LineColumn(text, 7), std::make_pair(int64_t{4}, int64_t{1}));
}

TEST(JsonUtil, SyntaxErrorNamesFileLineAndColumn) {
  // The '}' on line 3, column 8 is where a value was expected.
  const std::string text = "{\n  \"a\": 1,\n  \"b\": }\n";
  auto problems = ProblemsOf([&] { ParseJsonText(text, "x.json"); });
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].file, "x.json");
  EXPECT_EQ(problems[0].pointer, "");
  EXPECT_EQ(problems[0].message.rfind("line 3, column 8: invalid JSON: syntax error", 0), 0u)
      << problems[0].message;
}

TEST(JsonUtil, MissingFileIsAConfigErrorNamingIt) {
  auto problems = ProblemsOf([] { ReadJsonFile("/nonexistent/dir/a.json"); });
  EXPECT_TRUE(HasProblem(problems, "/nonexistent/dir/a.json", "", "cannot open file"));
}

TEST(JsonUtil, PointerEscapesTildeAndSlash) {
  EXPECT_EQ(Pointer("/tensors", "a/b~c"), "/tensors/a~1b~0c");
  EXPECT_EQ(Pointer("/ops", size_t{3}), "/ops/3");
  EXPECT_EQ(Pointer("", "version"), "/version");
}

TEST(JsonUtil, ResolveRelativeUsesTheBaseFilesDirectory) {
  EXPECT_EQ(ResolveRelative("arch/dense.json", "energy/e.json"), "arch/energy/e.json");
  EXPECT_EQ(ResolveRelative("dense.json", "e.json"), "e.json");
  EXPECT_EQ(ResolveRelative("arch/dense.json", "/abs/e.json"), "/abs/e.json");
}

class JsonCheckerTest : public ::testing::Test {
 protected:
  ProblemList problems_{"f.json"};
  JsonChecker check_{&problems_};
  std::vector<Problem> Problems() {
    return ProblemsOf([&] { problems_.ThrowIfAny(); });
  }
};

TEST_F(JsonCheckerTest, IntOutOfRangeSaysRangeAndValue) {
  const Json doc = Json::parse(R"({"acc_bits": 40})");
  EXPECT_FALSE(check_.GetInt(doc, "/units/0", "acc_bits", Need::kRequired, 8, 32));
  EXPECT_TRUE(HasProblem(Problems(), "f.json", "/units/0/acc_bits", "expected an integer in 8..32, got 40"));
}

TEST_F(JsonCheckerTest, IntRejectsFloatsAndStrings) {
  const Json doc = Json::parse(R"({"a": 16.0, "b": "16", "c": 16})");
  EXPECT_FALSE(check_.GetInt(doc, "", "a", Need::kRequired, 1));
  EXPECT_FALSE(check_.GetInt(doc, "", "b", Need::kRequired, 1));
  EXPECT_EQ(check_.GetInt(doc, "", "c", Need::kRequired, 1), 16);
  auto problems = Problems();
  EXPECT_TRUE(HasProblem(problems, "f.json", "/a", "expected an integer >= 1, got 16.0"));
  EXPECT_TRUE(HasProblem(problems, "f.json", "/b", "expected an integer >= 1, got \"16\""));
  EXPECT_EQ(problems.size(), 2u);
}

TEST_F(JsonCheckerTest, EnumListsTheAllowedValues) {
  const Json doc = Json::parse(R"({"overflow": "wrapp"})");
  EXPECT_FALSE(check_.GetEnum(doc, "", "overflow", Need::kRequired, {"wrap", "saturate"}));
  EXPECT_TRUE(HasProblem(Problems(), "f.json", "/overflow", "expected one of wrap|saturate, got \"wrapp\""));
}

TEST_F(JsonCheckerTest, UnknownKeyListsTheKnownOnes) {
  const Json doc = Json::parse(R"({"stride": [1, 1], "strid": [2, 2]})");
  check_.Keys(doc, "/ops/0", {"stride", "pads"});
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(HasProblem(problems, "f.json", "/ops/0/strid",
                         "unknown key \"strid\" (expected one of: stride, pads)"));
}

TEST_F(JsonCheckerTest, MissingRequiredKeySaysWhatWasExpected) {
  const Json doc = Json::parse(R"({})");
  EXPECT_FALSE(check_.GetPowerOfTwo(doc, "/dram", "burst_bytes", Need::kRequired, 1, 4096));
  EXPECT_FALSE(check_.GetInt(doc, "/dram", "capacity_bytes", Need::kOptional, 1));
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(HasProblem(problems, "f.json", "/dram/burst_bytes",
                         "missing required key \"burst_bytes\" (expected a power of two in "
                         "1..4096)"));
}

TEST_F(JsonCheckerTest, NumberMustBeFiniteAndAboveMin) {
  const Json doc = Json::parse(R"({"a": 0, "b": -1.5, "c": 0.5})");
  EXPECT_FALSE(check_.GetNumber(doc, "", "a", Need::kRequired, 0, true));
  EXPECT_FALSE(check_.GetNumber(doc, "", "b", Need::kRequired, 0, false));
  EXPECT_EQ(check_.GetNumber(doc, "", "c", Need::kRequired, 0, true), 0.5);
  auto problems = Problems();
  EXPECT_TRUE(HasProblem(problems, "f.json", "/a", "expected a finite number > 0, got 0"));
  EXPECT_TRUE(HasProblem(problems, "f.json", "/b", "expected a finite number >= 0, got -1.5"));
}

TEST(JsonUtil, NumberOverflowIsAConfigError) {
  // JSON cannot spell infinity; nlohmann refuses 1e400 while parsing.
  auto problems = ProblemsOf([] { ParseJsonText(R"({"scale": 1e400})", "x.json"); });
  EXPECT_TRUE(HasProblem(problems, "x.json", "", "invalid JSON: number overflow parsing '1e400'"));
}

// Every file kind reads through the same checks after parsing: strings and keys of at most
// 1 MiB, numbers that are 0 or normal; each problem names its JSON pointer.
TEST(JsonUtil, LongStringsAndSubnormalNumbersAreRefusedAtTheirPointer) {
  const std::string big(kMaxJsonStringBytes + 1, 's');
  const std::string text = R"({"ok": "x", "list": [1.5, 0.0, 4e-310, {"z": ")" + big + R"("}], ")" + big +
                           R"(": 1, "tiny": -1e-320})";
  auto problems = ProblemsOf([&] { ParseJsonText(text, "x.json"); });
  const std::string subnormal = "expected 0 or a normal number (magnitude >= 2.2250738585072014e-308), got ";
  EXPECT_TRUE(HasProblem(problems, "x.json", "/list/2", subnormal + "4e-310")) << testing::ToString(problems);
  EXPECT_TRUE(
      HasProblem(problems, "x.json", "/list/3/z",
                 "expected a string of at most 1048576 bytes (the limit for JSON input), got 1048577"));
  EXPECT_TRUE(
      HasProblem(problems, "x.json", "",
                 "expected keys of at most 1048576 bytes (the limit for JSON input), got one of 1048577"));
  EXPECT_TRUE(HasProblem(problems, "x.json", "/tiny", subnormal + "-1e-320"));
  EXPECT_EQ(problems.size(), 4u) << testing::ToString(problems);
  // At the limit, and the smallest normal number, are fine.
  const Json ok = ParseJsonText(
      R"({"s": ")" + std::string(kMaxJsonStringBytes, 's') + R"(", "d": 2.2250738585072014e-308, "i": 0})",
      "x.json");
  EXPECT_EQ(ok["s"].get<std::string>().size(), kMaxJsonStringBytes);
}

// Strings beyond the limit are found by a scan before the parse (a 500 MB name is not built several
// times over): each at the pointer and with the decoded size the parse would give (escapes
// decoded, keys with escapes too), and a syntax error after one is still reported at its place in
// the file.
TEST(JsonUtil, LongStringsAreFoundBeforeParsingAtTheirPointersWithTheirDecodedSizes) {
  const std::string big(kMaxJsonStringBytes, 's');
  const std::string text = R"({"a\"b": [1, {"k": ")" + big + R"(\u00e9"}], "t~": [")" + big +
                           R"(\ud83d\ude00"], ")" + big + R"(\n": {"z": 1e-320}})";
  auto problems = ProblemsOf([&] { ParseJsonText(text, "x.json"); });
  const std::string too_long = "expected a string of at most 1048576 bytes (the limit for JSON input), got ";
  EXPECT_TRUE(HasProblem(problems, "x.json", "/a\"b/1/k", too_long + "1048578"))
      << testing::ToString(problems);
  EXPECT_TRUE(HasProblem(problems, "x.json", "/t~0/0", too_long + "1048580")) << testing::ToString(problems);
  EXPECT_TRUE(
      HasProblem(problems, "x.json", "",
                 "expected keys of at most 1048576 bytes (the limit for JSON input), got one of 1048577"))
      << testing::ToString(problems);
  // Nothing under the long key is checked (as when the parse reads it): 3 problems.
  EXPECT_EQ(problems.size(), 3u) << testing::ToString(problems);
  const std::string bad = R"({"s": ")" + big + "x" + R"(", "t": tru})";
  auto syntax = ProblemsOf([&] { ParseJsonText(bad, "x.json"); });
  ASSERT_EQ(syntax.size(), 1u);
  EXPECT_NE(syntax[0].message.find("line 1, column " + std::to_string(bad.size())), std::string::npos)
      << syntax[0].message;
}

// A million bad numbers give ten problems, not a million.
TEST(JsonUtil, ValueProblemsStopAtTen) {
  std::string text = "[";
  for (int i = 0; i < 1000; ++i) text += std::string(i ? "," : "") + "1e-320";
  auto problems = ProblemsOf([&] { ParseJsonText(text + "]", "x.json"); });
  EXPECT_EQ(problems.size(), 10u);
  EXPECT_TRUE(HasProblem(problems, "x.json", "/9", "got 1e-320"));
}

// The ordered variant (a sweep grid's knob order is its CSV's column order) takes the same path.
TEST(JsonUtil, OrderedParsingKeepsKeyOrderAndChecksTheSame) {
  const nlohmann::ordered_json doc = ParseOrderedJsonText(R"({"z": 1, "a": 2, "m": [3]})", "g.json");
  std::vector<std::string> keys;
  for (const auto& [k, v] : doc.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "a", "m"}));
  auto problems = ProblemsOf([] {
    ParseOrderedJsonText("{\"k\": " + std::string(600, '[') + std::string(600, ']') + "}", "g.json");
  });
  EXPECT_TRUE(HasProblem(problems, "g.json", "", "line 1, column 518: JSON nested deeper than 512 levels"))
      << testing::ToString(problems);
  problems = ProblemsOf([] { ParseOrderedJsonText(R"({"k": [1e-320]})", "g.json"); });
  EXPECT_TRUE(HasProblem(problems, "g.json", "/k/0", "expected 0 or a normal number"));
}

// A FIFO (`--grid <(...)`) is read once, to its end.
TEST(JsonUtil, ReadsAFifoOnce) {
  const std::string fifo = testing::ScratchDir() + "/grid.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { std::ofstream(fifo) << R"({"knobs": {"/a": [1, 2]}})"; });
  const std::string text = ReadJsonFileText(fifo);
  writer.join();
  EXPECT_EQ(text, R"({"knobs": {"/a": [1, 2]}})");
}

// Budgets come from the environment: a positive integer, else a ConfigError naming the variable.
TEST(JsonUtil, BudgetFromEnvReadsAPositiveInteger) {
  unsetenv("NPUSIM_TEST_BUDGET");
  EXPECT_EQ(BudgetFromEnv("NPUSIM_TEST_BUDGET", 7), 7);
  setenv("NPUSIM_TEST_BUDGET", "123456789012", 1);
  EXPECT_EQ(BudgetFromEnv("NPUSIM_TEST_BUDGET", 7), 123456789012);
  for (const char* bad : {"0", "-1", "12x", "99999999999999999999"}) {
    setenv("NPUSIM_TEST_BUDGET", bad, 1);
    EXPECT_TRUE(HasProblem(ProblemsOf([] { BudgetFromEnv("NPUSIM_TEST_BUDGET", 7); }),
                           "environment variable NPUSIM_TEST_BUDGET", "",
                           std::string("expected a positive integer, got \"") + bad + "\""));
  }
  unsetenv("NPUSIM_TEST_BUDGET");
}

TEST_F(JsonCheckerTest, IntListChecksLengthAndEachItem) {
  const Json doc = Json::parse(R"({"s": [1], "t": [1, 0]})");
  EXPECT_FALSE(check_.GetIntList(doc, "", "s", Need::kRequired, 2, 1, 16));
  EXPECT_FALSE(check_.GetIntList(doc, "", "t", Need::kRequired, 2, 1, 16));
  auto problems = Problems();
  EXPECT_TRUE(HasProblem(problems, "f.json", "/s", "expected a list of 2 integers in 1..16, got [1]"));
  EXPECT_TRUE(HasProblem(problems, "f.json", "/t/1", "expected an integer in 1..16, got 0"));
}

TEST_F(JsonCheckerTest, VersionMustBeOne) {
  check_.Version(Json::parse(R"({"version": 2})"));
  EXPECT_TRUE(HasProblem(Problems(), "f.json", "/version", "expected 1, got 2"));
}

TEST(JsonUtil, ThrowIfAnyJoinsSeveralFiles) {
  ProblemList a("a.json"), b("b.json"), c("c.json");
  a.Add("/x", "bad x");
  c.Add("/y", "bad y");
  auto problems = ProblemsOf([&] { ThrowIfAny({&a, &b, &c}); });
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(HasProblem(problems, "a.json", "/x", "bad x"));
  EXPECT_TRUE(HasProblem(problems, "c.json", "/y", "bad y"));
  EXPECT_NO_THROW(ThrowIfAny({&b}));
}

}  // namespace
}  // namespace npusim::core

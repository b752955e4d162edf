// support/csv.h: RFC 4180 fields and lines, and parsing them back (with a torn last line).
#include "support/csv.h"

#include <gtest/gtest.h>

namespace npusim::core {
namespace {

TEST(Csv, FieldsAreQuotedOnlyWhenTheyNeedIt) {
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("conv1"), "conv1");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
}

TEST(Csv, LinesParseBackToTheirFields) {
  const std::vector<std::string> a = {"x", "a,b", "q\"q", "", "two\nlines"};
  const std::vector<std::string> b = {"1", "2", "3", "4", "5"};
  size_t torn = 99;
  const auto rows = ParseCsv(CsvLine(a) + CsvLine(b), &torn);
  EXPECT_EQ(torn, 0u);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], a);
  EXPECT_EQ(rows[1], b);
}

TEST(Csv, ATornLastLineIsDroppedAndMeasured) {
  size_t torn = 0;
  const auto rows = ParseCsv("a,b\nc,d", &torn);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(torn, 3u);
}

}  // namespace
}  // namespace npusim::core

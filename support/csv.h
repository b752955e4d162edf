// CSV text as RFC 4180 writes it (sweep.csv, layers.csv, the look-up tables): a field quoted
// when it holds a comma, a quote or a line break, quotes doubled.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace npusim::core {

std::string CsvField(const std::string& s);
// The fields, each CsvField'ed, comma-separated, with the newline.
std::string CsvLine(const std::vector<std::string>& fields);
// Splits CSV text into rows of fields. A last line without its newline (an interrupted write)
// is dropped and reported through `torn_bytes` (its length, else 0).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text, size_t* torn_bytes = nullptr);

}  // namespace npusim::core

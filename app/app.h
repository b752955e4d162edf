// The npusim command, thin over the libraries: parses the command line, loads and validates the
// inputs, compiles, simulates, checks and reports. Exit codes: 0 success; 1 output mismatch under
// --check or an internal error; 2 bad usage or invalid input.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/arch.h"
#include "ir/graph.h"
#include "sim/report.h"

namespace npusim::app {

constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;

int Main(int argc, char** argv);

// " (input files: a.json, b.onnx)" for the arguments (after the program name) that name existing
// regular files, as an option's value or a NAME=FILE input; "" when there are none. Main adds it
// to an internal error so that the user can report the bug with the files it happened on.
std::string InputFilesNote(const std::vector<std::string>& args);

}  // namespace npusim::app

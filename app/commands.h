// The subcommands (internal to app/).
#pragma once

#include <string>
#include <vector>

namespace npusim::app {

struct CommandOptions {
  std::string arch, net, out;
  std::vector<std::string> inputs;  // [NAME=]FILE.npy
  bool check = false;
  std::string weight_bits;  // --weight-bits LAYER=BITS,... (core/precision.h)
};

int RunCommand(const CommandOptions& o);
int CompileCommand(const CommandOptions& o);
// `npusim import MODEL.onnx -o NET.json [--weights-dir DIR]`; `args` are the words after
// "import". Throws ConfigError (bad model or unwritable output) and boost::program_options::error
// (bad usage), which Main turns into exit code 2.
int ImportCommand(const std::vector<std::string>& args);

// `npusim scalesim` (app/scalesim.cpp).
struct ScaleSimOptions {
  std::string config, topology;   // SCALE-Sim v2 .cfg and topology .csv
  std::string input_type = "conv";  // "conv" or "gemm" (the topology's form)
  std::string out;                // default results/scalesim-<run_name>/
  std::string compat;             // "scalesim", or empty for npusim's own models
};

int ScaleSimCommand(const ScaleSimOptions& o);

}  // namespace npusim::app

// The subcommands (internal to app/).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/serve_socket.h"
#include "compiler/compiler.h"
#include "explore/sweep.h"
#include "models/exec_mode.h"

namespace npusim::app {

struct CommandOptions {
  std::string arch, net, out;
  std::vector<std::string> inputs;  // [NAME=]FILE.npy
  bool check = false;
  std::string weight_bits;      // --weight-bits LAYER=BITS,... (compiler/transforms/precision.h)
  std::string activation_bits;  // --activation-bits LAYER=BITS,...: the activations each layer reads
  std::string mode = "exact";   // --mode exact|timing (models/exec_mode.h)
  std::string fusion = "auto";  // --fusion none|auto
  std::string trace;            // run --trace FILE: the timeline (sim/trace.h)
  std::string objective;        // --objective cycles|energy|edp: what the compile's choices minimise
  bool estimate_check = false;  // compile --estimate-check: simulate too, estimate vs simulated per layer
  int64_t max_instructions = compiler::CompileOptions::kDefaultMaxInstructions;  // --max-instructions
};

// "exact" or "timing" as a models::ExecMode; throws boost::program_options::error naming
// `option` otherwise (bad usage, exit 2).
models::ExecMode ParseExecMode(const std::string& text, const std::string& option);

int RunCommand(const CommandOptions& o);
int CompileCommand(const CommandOptions& o);
// `npusim import MODEL.onnx -o NET.json [--weights-dir DIR]`; `args` are the words after
// "import". Throws ConfigError (bad model or unwritable output) and boost::program_options::error
// (bad usage), which Main turns into exit code 2.
int ImportCommand(const std::vector<std::string>& args);
// `npusim prune ...` (app/prune.cpp); `args` are the words after "prune". Errors as ImportCommand.
int PruneCommand(const std::vector<std::string>& args);

// `npusim scalesim` (app/scalesim.cpp).
struct ScaleSimOptions {
  std::string config, topology;     // SCALE-Sim v2 .cfg and topology .csv
  std::string input_type = "conv";  // "conv" or "gemm" (the topology's form)
  std::string out;                  // default results/scalesim-<run_name>/
  std::string compat;               // "scalesim", or empty for npusim's own models
};

int ScaleSimCommand(const ScaleSimOptions& o);

// `npusim sweep` and `npusim sweep-merge` (explore/sweep.h, docs/sweep.md).
using SweepOptions = explore::sweep::Options;

// `npusim serve` (app/serve.cpp) and `npusim lut` (app/lut.cpp).
struct ServeOptions {
  std::string arch, net, socket;
  std::string listen;       // --listen HOST:PORT: a TCP listener instead of the Unix socket
  bool listen_any = false;  // --listen-any: HOST may be other than loopback
  models::ExecMode mode = models::ExecMode::kExact;  // --mode
  size_t cache = 100000;                             // --cache: answers kept (0: none)
  ServeLimits limits;                                // --max-clients, --idle-timeout, --socket-mode...
};
int ServeCommand(const ServeOptions& o);

struct LutOptions {
  std::string arch, space, out;
  std::string emit_net;  // a block space's architecture ("k3_e6_w4_a8,..."): write its network to `out`
  int jobs = 1;
  int64_t max_entries = 1'000'000;  // --max-entries (explore/lut.h kDefaultMaxEntries)
};
int LutCommand(const LutOptions& o);

// `npusim dram` (app/dram.cpp): a trace through the timed DRAM alone.
struct DramOptions {
  std::string preset, arch, trace, out;
};
int DramCommand(const DramOptions& o);

}  // namespace npusim::app

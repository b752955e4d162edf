// Command-line front end: subcommand dispatch and option parsing (Boost.Program_options).
#include <filesystem>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "app/app.h"
#include "app/commands.h"
#include "compiler/compiler.h"
#include "support/error.h"

namespace npusim::app {
namespace {

namespace po = boost::program_options;

const char* kUsage =
    "usage: npusim [run] --arch A.json --net N.json [--input [NAME=]X.npy]... [--out DIR] [--check]\n"
    "                    [--weight-bits LAYER=BITS,...] [--activation-bits LAYER=BITS,...]\n"
    "                    [--mode exact|timing] [--objective cycles|energy|edp] [--max-instructions N]\n"
    "       npusim compile --arch A.json --net N.json [--weight-bits ...] [--activation-bits ...] "
    "[--objective ...]\n"
    "                      [--estimate-check] [--max-instructions N]\n"
    "       npusim import MODEL.onnx -o NET.json [--weights-dir DIR]\n"
    "       npusim prune --arch A.json --net N.json --method simd|node|unstructured|n:m|N:M --sparsity S\n"
    "                    [--per-layer FILE] [--norm l1|l2] -o PRUNED.json [--weights-dir DIR]\n"
    "       npusim scalesim -c CONFIG.cfg -t TOPOLOGY.csv [-i conv|gemm] [--out DIR] [--compat scalesim]\n"
    "       npusim sweep --arch A.json --net N.json [--net ...] --grid G.json [--jobs J] [--shard K/N]\n"
    "                    [--sample S [--seed X]] [--mode timing|exact] [--max-points N] --out DIR\n"
    "       npusim sweep-merge --out DIR SHARD_DIR...\n"
    "       npusim lut --arch A.json --space S.json --out L.csv|L.json [--jobs J] [--emit-net CHOICES]\n"
    "                  [--max-entries N]\n"
    "       npusim serve --arch A.json --net N.json [--socket PATH | --listen HOST:PORT [--listen-any]]\n"
    "                    [--mode exact|timing] [--cache N]\n"
    "                    [--socket-mode OCTAL] [--max-clients N] [--max-request-bytes N]\n"
    "                    [--max-pending-output N] [--idle-timeout S] [--write-timeout S]\n"
    "       npusim dram (--preset NAME | --arch A.json) --trace T.txt [--out DIR]\n";

po::options_description CommonOptions(CommandOptions& o) {
  po::options_description d("options");
  // clang-format off
  d.add_options()
      ("help,h", "show this help")
      ("arch", po::value<std::string>(&o.arch)->required(), "architecture JSON file")
      ("net", po::value<std::string>(&o.net)->required(), "network JSON file, or a quantized ONNX model (.onnx)")
      ("weight-bits", po::value<std::string>(&o.weight_bits),
       "re-quantize layers' weights: LAYER=BITS,... (BITS 1..16; '*' = every conv/FC layer), or @FILE with {\"LAYER\": BITS}")
      ("activation-bits", po::value<std::string>(&o.activation_bits),
       "re-quantize the activations layers read: LAYER=BITS,... (BITS 2..16; '*' = every conv/FC layer), or @FILE")
      ("objective", po::value<std::string>(&o.objective)->notifier([](const std::string& v) {
         const std::string why = compiler::ObjectiveProblem(v);
         if (!why.empty()) throw po::error("--objective: " + why);
       }), "what the compiler's choices minimise: cycles, energy or edp (fusion groups on every unit, a "
           "reconfigurable_array's mappings; overrides the arch's; default the arch's, else cycles)")
      ("fusion", po::value<std::string>(&o.fusion)->notifier([](const std::string& v) {
         const std::string why = compiler::FusionProblem(v);
         if (!why.empty()) throw po::error("--fusion: " + why);
       }), "layer fusion: auto (the compiler fuses conv chains where its cost model prefers it; a net file's "
           "\"fusion\" forces or forbids) or none (every layer alone)")
      ("max-instructions", po::value<int64_t>(&o.max_instructions)->default_value(o.max_instructions)
           ->notifier([](int64_t v) {
         if (v < 1) throw po::error("--max-instructions: expected at least 1");
       }), "refuse (exit 2) a network whose program would have more instructions than this");
  // clang-format on
  return d;
}

// Parses argv[first..] against `desc` (not yet notified, so --help works without the required
// options).
po::variables_map Parse(int argc, char** argv, int first, const po::options_description& desc) {
  const po::parsed_options parsed =
      po::command_line_parser(argc - first + 1, argv + first - 1).options(desc).run();
  // Boost drops arguments that are not options unless told about positionals; a stray word
  // (a misspelt option value, a second file name) must not be silently ignored.
  for (const po::option& opt : parsed.options) {
    if (opt.position_key != -1) throw po::error("unexpected argument \"" + opt.original_tokens.at(0) + "\"");
  }
  po::variables_map vm;
  po::store(parsed, vm);
  return vm;
}

int ScaleSim(int argc, char** argv, int first) {
  ScaleSimOptions o;
  po::options_description desc("options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("config,c", po::value<std::string>(&o.config)->required(), "SCALE-Sim v2 config file (.cfg)")
      ("topology,t", po::value<std::string>(&o.topology)->required(), "SCALE-Sim topology file (.csv)")
      ("input-type,i", po::value<std::string>(&o.input_type)->default_value("conv"),
       "topology form: conv (layer rows) or gemm (M, N, K rows)")
      ("out", po::value<std::string>(&o.out), "output directory (default results/scalesim-<run_name>/)")
      ("compat", po::value<std::string>(&o.compat), "scalesim: SCALE-Sim v2's own compute model (see docs/scalesim.md)");
  // clang-format on
  po::variables_map vm = Parse(argc, argv, first, desc);
  if (vm.count("help")) {
    std::cout << kUsage << desc;
    return kExitOk;
  }
  po::notify(vm);
  if (o.input_type != "conv" && o.input_type != "gemm") {
    throw po::error("-i/--input-type: expected conv or gemm, got \"" + o.input_type + "\"");
  }
  if (vm.count("compat") && o.compat != "scalesim") {
    throw po::error("--compat: expected scalesim, got \"" + o.compat + "\"");
  }
  return ScaleSimCommand(o);
}

// Parses and notifies `desc`; false (after printing the usage) when --help was asked for.
bool ParseOrHelp(int argc, char** argv, int first, const po::options_description& desc,
                 po::variables_map* vm) {
  *vm = Parse(argc, argv, first, desc);
  if (vm->count("help")) {
    std::cout << kUsage << desc;
    return false;
  }
  po::notify(*vm);
  return true;
}

// "K/N" with 0 <= K < N.
// The running npusim binary: a sweep runs each point as `npusim run`.
std::string SelfExe() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the npusim binary (/proc/self/exe): " + ec.message());
  return p.string();
}

void ParseShard(const std::string& spec, SweepOptions* o) {
  const size_t slash = spec.find('/');
  try {
    size_t used = 0;
    if (slash != std::string::npos) {
      o->shard_index = std::stoi(spec.substr(0, slash), &used);
      if (used == slash) o->shard_count = std::stoi(spec.substr(slash + 1), &used);
      if (used == spec.size() - slash - 1 && o->shard_index >= 0 && o->shard_index < o->shard_count) return;
    }
  } catch (const std::exception&) {
  }
  throw po::error("--shard: expected K/N with 0 <= K < N, got \"" + spec + "\"");
}

int Sweep(int argc, char** argv, int first) {
  SweepOptions o;
  std::string shard;
  po::options_description desc("options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("arch", po::value<std::string>(&o.arch)->required(), "base architecture JSON file")
      ("net", po::value<std::vector<std::string>>(&o.nets)->required(), "network JSON file (repeatable)")
      ("grid", po::value<std::string>(&o.grid)->required(), "grid JSON file (docs/sweep.md)")
      ("jobs,j", po::value<int>(&o.jobs)->default_value(1), "points simulated at a time")
      ("shard", po::value<std::string>(&shard), "K/N: run only the points at positions p with p % N == K")
      ("sample", po::value<int64_t>(&o.sample), "run a random sample of this many points")
      ("seed", po::value<uint64_t>(&o.seed), "random seed of --sample (default: the grid's, else 1)")
      ("out", po::value<std::string>(&o.out)->required(), "output directory (sweep.csv, points/)")
      ("max-points", po::value<int64_t>(&o.max_points)->default_value(o.max_points),
       "refuse to run more points than this (the grid's, or --sample's), before running any")
      ("mode", po::value<std::string>(&o.mode)->default_value("timing"),
       "each point's run mode: timing (figures only, the default) or exact (also its outputs/*.npy)");
  // clang-format on
  po::variables_map vm;
  if (!ParseOrHelp(argc, argv, first, desc, &vm)) return kExitOk;
  ParseExecMode(o.mode, "--mode");
  o.seed_set = vm.count("seed") > 0;
  if (o.jobs < 1) throw po::error("--jobs: expected at least 1");
  if (vm.count("sample") && o.sample < 1) throw po::error("--sample: expected at least 1");
  if (o.max_points < 1) throw po::error("--max-points: expected at least 1");
  if (!shard.empty()) ParseShard(shard, &o);
  explore::sweep::Sweep(o, SelfExe());
  return kExitOk;
}

int SweepMerge(int argc, char** argv, int first) {
  SweepOptions o;
  po::options_description desc("options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("out", po::value<std::string>(&o.out)->required(), "directory of the merged sweep.csv");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("dirs", po::value<std::vector<std::string>>(&o.merge_dirs)->required(), "");
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("dirs", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc - first + 1, argv + first - 1).options(all).positional(pos).run(),
            vm);
  if (vm.count("help")) {
    std::cout << kUsage << desc;
    return kExitOk;
  }
  po::notify(vm);
  explore::sweep::SweepMerge(o);
  return kExitOk;
}

// serve's limits as given on the command line (checked by ServeLimitsFrom).
struct ServeLimitFlags {
  int64_t max_clients = 0, max_request = 0, max_output = 0;
  double idle = 0, write = 0;
  std::string mode;
};

void AddServeLimitOptions(po::options_description& desc, ServeLimitFlags& f) {
  const ServeLimits d;
  // clang-format off
  desc.add_options()
      ("socket-mode", po::value<std::string>(&f.mode)->default_value("0600"),
       "permissions of the socket file, octal (0600: only its owner may connect; 0660 adds the group)")
      ("max-clients", po::value<int64_t>(&f.max_clients)->default_value(static_cast<int64_t>(d.max_clients)),
       "connections served at once; one more gets a \"server busy\" error line and is closed")
      ("max-request-bytes",
       po::value<int64_t>(&f.max_request)->default_value(static_cast<int64_t>(d.max_request_bytes)),
       "longest request line; a longer one is answered with an error and skipped")
      ("max-pending-output",
       po::value<int64_t>(&f.max_output)->default_value(static_cast<int64_t>(d.max_pending_output)),
       "bytes of answers a socket client may leave unread; beyond them it is cut off")
      ("idle-timeout", po::value<double>(&f.idle)->default_value(d.idle_timeout_s),
       "seconds a socket client may stay silent in the middle of a request line before it is cut off")
      ("write-timeout", po::value<double>(&f.write)->default_value(d.write_timeout_s),
       "seconds a socket client may leave answers unread without taking any before it is cut off");
  // clang-format on
}

// An integer option in [lo, hi], or po::error naming it.
size_t InRange(const char* option, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    throw po::error(std::string("--") + option + ": expected " + std::to_string(lo) + ".." +
                    std::to_string(hi) + ", got " + std::to_string(v));
  }
  return static_cast<size_t>(v);
}

double Seconds(const char* option, double v) {
  if (!(v > 0.0 && v <= 86400.0)) {  // also refuses NaN
    throw po::error(std::string("--") + option + ": expected seconds in (0, 86400], got " +
                    std::to_string(v));
  }
  return v;
}

ServeLimits ServeLimitsFrom(const ServeLimitFlags& f) {
  ServeLimits l;
  l.max_clients = InRange("max-clients", f.max_clients, 1, 100000);
  l.max_request_bytes = InRange("max-request-bytes", f.max_request, 16, int64_t{1} << 30);
  l.max_pending_output = InRange("max-pending-output", f.max_output, 1024, int64_t{1} << 32);
  l.idle_timeout_s = Seconds("idle-timeout", f.idle);
  l.write_timeout_s = Seconds("write-timeout", f.write);
  const bool octal =
      !f.mode.empty() && f.mode.size() <= 4 && f.mode.find_first_not_of("01234567") == std::string::npos;
  if (!octal || std::stoul(f.mode, nullptr, 8) > 0777) {
    throw po::error("--socket-mode: expected octal permissions 0000..0777, got \"" + f.mode + "\"");
  }
  l.socket_mode = static_cast<unsigned>(std::stoul(f.mode, nullptr, 8));
  return l;
}

int Serve(int argc, char** argv, int first) {
  ServeOptions o;
  std::string mode;
  int64_t cache = 0;
  po::options_description desc("options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("arch", po::value<std::string>(&o.arch)->required(), "architecture JSON file")
      ("net", po::value<std::string>(&o.net)->required(), "network JSON file")
      ("socket", po::value<std::string>(&o.socket), "serve on this Unix socket instead of stdin/stdout")
      ("listen", po::value<std::string>(&o.listen),
       "serve on TCP HOST:PORT instead (loopback only unless --listen-any; port 0: a free one, printed)")
      ("listen-any", po::bool_switch(&o.listen_any),
       "allow --listen on a non-loopback address (the protocol has no authentication)")
      ("mode", po::value<std::string>(&mode)->default_value("exact"),
       "exact: simulate the output arithmetic too; timing: cycles and energy only (the same figures)")
      ("cache", po::value<int64_t>(&cache)->default_value(100000),
       "answers of distinct requests kept in memory (a repeated request is answered from it); 0: none");
  // clang-format on
  ServeLimitFlags limits;
  AddServeLimitOptions(desc, limits);
  po::variables_map vm;
  if (!ParseOrHelp(argc, argv, first, desc, &vm)) return kExitOk;
  o.mode = ParseExecMode(mode, "--mode");
  if (cache < 0) throw po::error("--cache: expected 0 or more entries");
  if (!o.socket.empty() && !o.listen.empty()) throw po::error("--socket and --listen: give one of them");
  if (o.listen_any && o.listen.empty()) throw po::error("--listen-any: needs --listen HOST:PORT");
  o.cache = static_cast<size_t>(cache);
  o.limits = ServeLimitsFrom(limits);
  return ServeCommand(o);
}

int Lut(int argc, char** argv, int first) {
  LutOptions o;
  po::options_description desc("options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("arch", po::value<std::string>(&o.arch)->required(), "architecture JSON file")
      ("space", po::value<std::string>(&o.space)->required(), "block or layer space JSON file (docs/sweep.md)")
      ("out", po::value<std::string>(&o.out)->required(), "look-up table: CSV file, or a .json document")
      ("emit-net", po::value<std::string>(&o.emit_net),
       "instead of a LUT, write the network of one architecture of the block space (k3_e6_w4_a8,... one per block) to --out")
      ("jobs,j", po::value<int>(&o.jobs)->default_value(1), "entries simulated at a time")
      ("max-entries", po::value<int64_t>(&o.max_entries)->default_value(o.max_entries),
       "refuse a space of more entries than this, before building any");
  // clang-format on
  po::variables_map vm;
  if (!ParseOrHelp(argc, argv, first, desc, &vm)) return kExitOk;
  if (o.jobs < 1) throw po::error("--jobs: expected at least 1");
  if (o.max_entries < 1) throw po::error("--max-entries: expected at least 1");
  return LutCommand(o);
}

int Dram(int argc, char** argv, int first) {
  DramOptions o;
  po::options_description desc("options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("preset", po::value<std::string>(&o.preset), "a DRAM preset: ddr4-2400, ddr5-3200, lpddr4-3200, hbm2")
      ("arch", po::value<std::string>(&o.arch), "an architecture JSON file with a timed DRAM (\"model\": \"dram\")")
      ("trace", po::value<std::string>(&o.trace)->required(), "requests, one per line: LD 0xADDRESS or ST 0xADDRESS")
      ("out", po::value<std::string>(&o.out), "directory for report.json");
  // clang-format on
  po::variables_map vm;
  if (!ParseOrHelp(argc, argv, first, desc, &vm)) return kExitOk;
  if (o.preset.empty() == o.arch.empty()) throw po::error("expected one of --preset and --arch");
  return DramCommand(o);
}

int ParseAndRun(int argc, char** argv) {
  std::string command = "run";
  int first = 1;
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    first = 2;
  }
  if (command == "scalesim") return ScaleSim(argc, argv, first);
  if (command == "sweep") return Sweep(argc, argv, first);
  if (command == "sweep-merge") return SweepMerge(argc, argv, first);
  if (command == "serve") return Serve(argc, argv, first);
  if (command == "lut") return Lut(argc, argv, first);
  if (command == "dram") return Dram(argc, argv, first);
  if (command == "import") return ImportCommand(std::vector<std::string>(argv + first, argv + argc));
  // Scalpel-style pruning (app/prune.cpp).
  if (command == "prune") return PruneCommand(std::vector<std::string>(argv + first, argv + argc));
  if (command != "run" && command != "compile") {
    std::cerr << "npusim: unknown command \"" << command << "\"\n" << kUsage;
    return kExitBadInput;
  }
  CommandOptions o;
  po::options_description desc = CommonOptions(o);
  if (command == "run") {
    // clang-format off
    desc.add_options()
        ("input", po::value<std::vector<std::string>>(&o.inputs), "network input as [NAME=]FILE.npy (repeatable)")
        ("out", po::value<std::string>(&o.out), "output directory (default results/<arch>-<net>/)")
        ("check", po::bool_switch(&o.check), "compare every output with the reference executor")
        ("trace", po::value<std::string>(&o.trace),
         "write the run's timeline to FILE.json (Chrome/Perfetto trace events: docs/trace.md)")
        ("mode", po::value<std::string>(&o.mode)->default_value("exact"),
         "exact: compute every output integer; timing: cycles, energy and counts only (identical "
         "figures, no outputs/*.npy)");
    // clang-format on
  } else {
    // clang-format off
    desc.add_options()
        ("estimate-check", po::bool_switch(&o.estimate_check),
         "also simulate the program (timing mode) and print per layer the cost model's estimate, the "
         "simulated cycles and the estimate's error");
    // clang-format on
  }
  po::variables_map vm = Parse(argc, argv, first, desc);
  if (vm.count("help")) {
    std::cout << kUsage << desc;
    return kExitOk;
  }
  po::notify(vm);
  if (command == "run" && ParseExecMode(o.mode, "--mode") == models::ExecMode::kTiming && o.check) {
    throw po::error("--check compares output values, which --mode timing does not compute: use --mode exact");
  }
  return command == "compile" ? CompileCommand(o) : RunCommand(o);
}

}  // namespace

std::string InputFilesNote(const std::vector<std::string>& args) {
  std::string files;
  for (std::string arg : args) {
    if (const size_t eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) != 0)
      arg = arg.substr(eq + 1);
    std::error_code ec;
    if (arg.empty() || arg[0] == '-' || !std::filesystem::is_regular_file(arg, ec)) continue;
    files += (files.empty() ? "" : ", ") + arg;
  }
  return files.empty() ? "" : " (input files: " + files + ")";
}

models::ExecMode ParseExecMode(const std::string& text, const std::string& option) {
  if (text == "exact") return models::ExecMode::kExact;
  if (text == "timing") return models::ExecMode::kTiming;
  throw po::error(option + ": expected exact or timing, got \"" + text + "\"");
}

int Main(int argc, char** argv) {
  try {
    return ParseAndRun(argc, argv);
  } catch (const po::error& e) {
    std::cerr << "npusim: " << e.what() << "\n" << kUsage;
    return kExitBadInput;
  } catch (const core::ConfigError& e) {
    std::cerr << "npusim: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    // A bug, not bad input: name the files it happened on so that the user can report it.
    std::cerr << "npusim: internal error: " << e.what()
              << InputFilesNote(std::vector<std::string>(argv + 1, argv + argc))
              << "\nnpusim: this is a bug; please report it with the command line and these files\n";
    return kExitInternal;
  }
}

}  // namespace npusim::app

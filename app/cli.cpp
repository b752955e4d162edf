// Command-line front end: subcommand dispatch and option parsing (Boost.Program_options).
#include <iostream>

#include <boost/program_options.hpp>

#include "app/app.h"
#include "app/commands.h"
#include "core/error.h"

namespace npusim::app {
namespace {

namespace po = boost::program_options;

const char* kUsage =
    "usage: npusim [run] --arch A.json --net N.json [--input [NAME=]X.npy]... [--out DIR] [--check]\n"
    "                    [--weight-bits LAYER=BITS,...]\n"
    "       npusim compile --arch A.json --net N.json [--weight-bits LAYER=BITS,...]\n"
    "       npusim import MODEL.onnx -o NET.json [--weights-dir DIR]\n"
    "       npusim scalesim -c CONFIG.cfg -t TOPOLOGY.csv [-i conv|gemm] [--out DIR] [--compat scalesim]\n";

po::options_description CommonOptions(CommandOptions& o) {
  po::options_description d("options");
  d.add_options()
      ("help,h", "show this help")
      ("arch", po::value<std::string>(&o.arch)->required(), "architecture JSON file")
      ("net", po::value<std::string>(&o.net)->required(), "network JSON file, or a quantized ONNX model (.onnx)")
      ("weight-bits", po::value<std::string>(&o.weight_bits),
       "re-quantize layers' weights: LAYER=BITS,... (BITS 1..16; '*' = every conv/FC layer)");
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
  desc.add_options()
      ("help,h", "show this help")
      ("config,c", po::value<std::string>(&o.config)->required(), "SCALE-Sim v2 config file (.cfg)")
      ("topology,t", po::value<std::string>(&o.topology)->required(), "SCALE-Sim topology file (.csv)")
      ("input-type,i", po::value<std::string>(&o.input_type)->default_value("conv"),
       "topology form: conv (layer rows) or gemm (M, N, K rows)")
      ("out", po::value<std::string>(&o.out), "output directory (default results/scalesim-<run_name>/)")
      ("compat", po::value<std::string>(&o.compat), "scalesim: SCALE-Sim v2's own compute model (see docs/scalesim.md)");
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

int ParseAndRun(int argc, char** argv) {
  std::string command = "run";
  int first = 1;
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    first = 2;
  }
  if (command == "scalesim") return ScaleSim(argc, argv, first);
  if (command == "import") return ImportCommand(std::vector<std::string>(argv + first, argv + argc));
  if (command != "run" && command != "compile") {
    std::cerr << "npusim: unknown command \"" << command << "\"\n" << kUsage;
    return kExitBadInput;
  }
  CommandOptions o;
  po::options_description desc = CommonOptions(o);
  if (command == "run") {
    desc.add_options()
        ("input", po::value<std::vector<std::string>>(&o.inputs), "network input as [NAME=]FILE.npy (repeatable)")
        ("out", po::value<std::string>(&o.out), "output directory (default results/<arch>-<net>/)")
        ("check", po::bool_switch(&o.check), "compare every output with the reference executor");
  }
  po::variables_map vm = Parse(argc, argv, first, desc);
  if (vm.count("help")) {
    std::cout << kUsage << desc;
    return kExitOk;
  }
  po::notify(vm);
  return command == "compile" ? CompileCommand(o) : RunCommand(o);
}

}  // namespace

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
    std::cerr << "npusim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace npusim::app

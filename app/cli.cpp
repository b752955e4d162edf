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
    "       npusim compile --arch A.json --net N.json\n";

po::options_description CommonOptions(CommandOptions& o) {
  po::options_description d("options");
  d.add_options()
      ("help,h", "show this help")
      ("arch", po::value<std::string>(&o.arch)->required(), "architecture JSON file")
      ("net", po::value<std::string>(&o.net)->required(), "network JSON file");
  return d;
}

int ParseAndRun(int argc, char** argv) {
  std::string command = "run";
  int first = 1;
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    first = 2;
  }
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
  const po::parsed_options parsed =
      po::command_line_parser(argc - first + 1, argv + first - 1).options(desc).run();
  // Boost drops arguments that are not options unless told about positionals; a stray word
  // (a misspelt option value, a second file name) must not be silently ignored.
  for (const po::option& opt : parsed.options) {
    if (opt.position_key != -1) throw po::error("unexpected argument \"" + opt.original_tokens.at(0) + "\"");
  }
  po::variables_map vm;
  po::store(parsed, vm);
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

// The subcommands (internal to app/).
#pragma once

#include <string>
#include <vector>

namespace npusim::app {

struct CommandOptions {
  std::string arch, net, out;
  std::vector<std::string> inputs;  // [NAME=]FILE.npy
  bool check = false;
};

int RunCommand(const CommandOptions& o);
int CompileCommand(const CommandOptions& o);

}  // namespace npusim::app

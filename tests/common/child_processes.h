// The child processes of a process, from /proc: for tests that kill a point of a sweep or the
// simulation child of a server while it runs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/npusim_process.h"

namespace npusim::testing {

// The children of `parent` whose command line contains `needle` ("" matches any).
inline std::vector<pid_t> ChildrenOf(pid_t parent, const std::string& needle = "") {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadFileText(e.path() / "stat");
    const size_t paren = stat.rfind(')');
    char state = 0;
    int ppid = 0;
    if (paren == std::string::npos || std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) != 2 ||
        ppid != parent) {
      continue;
    }
    std::string cmd = ReadFileText(e.path() / "cmdline");
    for (char& c : cmd) c = c == '\0' ? ' ' : c;
    if (cmd.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

// Waits (up to a minute) for such a child; -1 if none appeared.
inline pid_t AwaitChild(pid_t parent, const std::string& needle = "") {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    const std::vector<pid_t> c = ChildrenOf(parent, needle);
    if (!c.empty()) return c[0];
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

}  // namespace npusim::testing

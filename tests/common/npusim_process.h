// Runs the real npusim binary (NPUSIM_BINARY) through the shell, as a user would, and captures
// its exit code, stdout and stderr. For CLI tests in tests/app/.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace npusim::testing {

inline std::string ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFileText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// An empty directory `name` under the temporary directory (whatever was there is removed).
inline std::filesystem::path FreshTempDir(const std::string& name) {
  const std::filesystem::path d = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

inline std::string ShellQuoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct ProcessOutcome {
  int exit_code = -1;  // -1 when the process did not exit normally (a crash)
  std::string out, err;
};

inline std::ostream& operator<<(std::ostream& os, const ProcessOutcome& o) {
  return os << "exit " << o.exit_code << "\n--- stdout:\n" << o.out << "--- stderr:\n" << o.err;
}

// npusim with `args`, in `cwd` when given; stderr goes through `err_file` (removed afterwards).
inline ProcessOutcome RunNpusim(const std::vector<std::string>& args, const std::filesystem::path& err_file,
                                const std::filesystem::path& cwd = {}) {
  std::string cmd;
  if (!cwd.empty()) cmd += "cd " + ShellQuoted(cwd.string()) + " && ";
  cmd += ShellQuoted(NPUSIM_BINARY);
  for (const std::string& a : args) cmd += " " + ShellQuoted(a);
  cmd += " 2>" + ShellQuoted(err_file.string());
  ProcessOutcome o;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "popen failed: " << cmd;
    return o;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  const int status = pclose(p);
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  o.err = ReadFileText(err_file);
  std::filesystem::remove(err_file);
  return o;
}

}  // namespace npusim::testing

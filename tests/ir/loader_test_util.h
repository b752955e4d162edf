// Helpers shared by the loader tests: scratch files and checks on ConfigError problems.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "support/error.h"

namespace npusim::core::testing {

// A fresh directory per test (tests run in parallel processes).
inline std::string ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    (std::string("npusim_") + info->test_suite_name() + "_" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return path;
}

inline std::string SourcePath(const std::string& relative) {
  return std::string(NPUSIM_SOURCE_DIR) + "/" + relative;
}

// Runs `load`, which must throw ConfigError, and returns the error's problems.
inline std::vector<Problem> ProblemsOf(const std::function<void()>& load) {
  try {
    load();
  } catch (const ConfigError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return {};
}

inline std::string ToString(const std::vector<Problem>& problems) {
  std::string s;
  for (const Problem& p : problems) s += "  " + p.ToString() + "\n";
  return s;
}

// True when some problem has exactly this file and pointer and a message containing `text`.
inline ::testing::AssertionResult HasProblem(const std::vector<Problem>& problems, const std::string& file,
                                             const std::string& pointer, const std::string& text) {
  for (const Problem& p : problems) {
    if (p.file == file && p.pointer == pointer && p.message.find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no problem " << file << ": " << pointer << ": ..." << text << "...\namong:\n"
         << ToString(problems);
}

}  // namespace npusim::core::testing

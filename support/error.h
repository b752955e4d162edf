// Errors by kind (see docs/design-decisions.md, "Errors by kind").
//
// ConfigError: the user's input is wrong. It carries every problem found (all at once, not just the
// first), each naming the file, the JSON pointer (or line) and what was expected. app/ turns it into
// a message on stderr and exit code 2; libraries never exit.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace npusim::core {

struct Problem {
  std::string file;     // e.g. "arch/unpu.json"
  std::string pointer;  // JSON pointer, e.g. "/units/0/weight_bits"; "" for the whole file
  std::string message;  // "expected 1..16, got 24"
  std::string ToString() const;
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Problem> problems);
  ConfigError(std::string file, std::string pointer, std::string message);
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

// Collects problems while validating a file; Throw() raises one ConfigError with all of them.
class ProblemList {
 public:
  explicit ProblemList(std::string file) : file_(std::move(file)) {}
  void Add(const std::string& pointer, const std::string& message) {
    problems_.push_back({file_, pointer, message});
  }
  bool empty() const { return problems_.empty(); }
  const std::string& file() const { return file_; }
  void ThrowIfAny() const {
    if (!problems_.empty()) throw ConfigError(problems_);
  }

 private:
  std::string file_;
  std::vector<Problem> problems_;
};

}  // namespace npusim::core

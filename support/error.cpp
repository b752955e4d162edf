#include "support/error.h"

namespace npusim::core {
namespace {
std::string Join(const std::vector<Problem>& problems) {
  std::string out;
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) out += "\n";
    out += problems[i].ToString();
  }
  return out;
}
}  // namespace

std::string Problem::ToString() const {
  std::string out = file;
  if (!pointer.empty()) out += ": " + pointer;
  return out + ": " + message;
}

ConfigError::ConfigError(std::vector<Problem> problems)
    : std::runtime_error(Join(problems)), problems_(std::move(problems)) {}

ConfigError::ConfigError(std::string file, std::string pointer, std::string message)
    : ConfigError(std::vector<Problem>{{std::move(file), std::move(pointer), std::move(message)}}) {}

}  // namespace npusim::core

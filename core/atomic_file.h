// Files that appear complete or not at all (DESIGN.md: bad input "never leaves a half-written
// result file").
#pragma once

#include <string>

namespace npusim::core {

// Writes `bytes` to "<path>.tmp" and renames it to `path`. Throws ConfigError naming `path` if
// either step fails (the temporary file is removed).
void WriteFileAtomically(const std::string& path, const std::string& bytes);

}  // namespace npusim::core

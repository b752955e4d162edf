// Files that appear complete or not at all (docs/design-decisions.md: bad input writes nothing;
// a run killed by SIGINT/SIGTERM or failing midway leaves the previous results intact and no
// partial files).
#pragma once

#include <string>
#include <vector>

namespace npusim::core {

// Result files that replace their previous versions together. Stage() writes each one to a
// temporary "<path>.<pid>.tmp" next to it (removed if a stop signal ends the process, see
// support/stop_signals.h); Commit() renames them all into place, in staging order, with stop signals
// blocked. If staging fails (disk full, no permission) or the set is destroyed uncommitted, the
// temporaries are removed and every previous file is left as it was.
class FileSet {
 public:
  FileSet() = default;
  ~FileSet();
  FileSet(const FileSet&) = delete;
  FileSet& operator=(const FileSet&) = delete;

  // Throws ConfigError naming `path` if the temporary cannot be written in full.
  void Stage(const std::string& path, const std::string& bytes);
  // Throws ConfigError naming the file that could not be renamed (those before it are in place).
  void Commit();

 private:
  struct Staged {
    std::string path, tmp;
  };
  void Discard();
  std::vector<Staged> staged_;
};

// A FileSet of one file.
void WriteFileAtomically(const std::string& path, const std::string& bytes);

}  // namespace npusim::core

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
// blocked. If staging or a rename fails (disk full, no permission) or the set is destroyed
// uncommitted, the temporaries are removed and every previous file is left as it was.
class FileSet {
 public:
  FileSet() = default;
  ~FileSet();
  FileSet(const FileSet&) = delete;
  FileSet& operator=(const FileSet&) = delete;

  // Throws ConfigError naming `path` and the reason (errno) if the temporary cannot be written in
  // full.
  void Stage(const std::string& path, const std::string& bytes);
  // Throws ConfigError naming the file that could not be renamed and why; the files renamed
  // before it are put back as they were (a previous version restored, a new file removed).
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

// Creates `path` (which must not exist: O_EXCL) holding `bytes`. Returns 0, or the errno of the
// call that failed (the partial file is removed).
int WriteNewFile(const std::string& path, const std::string& bytes);

// A file name stem from a name of any length: `stem` itself up to kMaxStemBytes; a longer one is
// cut to its first kStemPrefixBytes bytes (at a UTF-8 character boundary) followed by "-" and 16
// hex digits of a hash of the whole stem (FNV-1a, 64 bits: the same name gives the same file on
// every machine). Leaves room for a suffix and extension within NAME_MAX (255).
constexpr size_t kMaxStemBytes = 200, kStemPrefixBytes = 100;
std::string ShortFileStem(const std::string& stem);

}  // namespace npusim::core

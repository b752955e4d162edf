// A directory of result files replaced as one unit (docs/formats.md, "Results on disk"): a
// reader sees the previous set or the new one, never a mix and never a stale file of the
// previous set beside the new ones.
//
//   core::ResultDir set("results/unpu-mobilenet");  // checks DIR, before any work is done
//   set.Write("report.json", text);                 // into a fresh staging directory beside DIR
//   set.Write("outputs/y.npy", bytes);
//   set.Commit();                                   // one rename swaps the new set in
//
// Which directories may be replaced: DIR absent, an empty directory, a directory holding the
// marker file kResultMarker (written into every set), or a set written before the marker existed
// (report.json and nothing but the files a run writes). Anything else holds files that are not
// ours and is refused, as is a DIR that is not a directory.
#pragma once

#include <string>
#include <vector>

namespace npusim::core {

constexpr const char* kResultMarker = ".npusim-result";

class ResultDir {
 public:
  // Checks DIR as above, creates it (and missing levels above it) if absent, checks that its
  // parent is writable and creates the staging directory "<parent>/.<DIR's name>.<pid>.<n>.tmp",
  // removed if a stop signal ends the process. Throws ConfigError naming the path and errno's text.
  explicit ResultDir(std::string dir);
  // The same checks, creating nothing (the nearest existing level above a missing parent must be
  // writable): for a command to fail at once, before any work, on a directory it cannot use.
  static void Check(const std::string& dir);
  // An uncommitted set is removed; DIR keeps its previous contents.
  ~ResultDir();
  ResultDir(const ResultDir&) = delete;
  ResultDir& operator=(const ResultDir&) = delete;

  const std::string& dir() const { return dir_; }
  // Writes DIR/`rel` (a relative path; its directories are created) into the staging directory.
  // Throws ConfigError naming DIR/`rel` and errno's text.
  void Write(const std::string& rel, const std::string& bytes);
  // Creates directory DIR/`rel` (and the levels above it) in the staging directory: a directory
  // that belongs to the set even when empty. Throws ConfigError naming it and errno's text.
  void AddDirectory(const std::string& rel);
  // Writes the marker and swaps the staging directory in for DIR with one rename (renameat2
  // RENAME_EXCHANGE; where the file system lacks it, DIR is renamed aside first and back on
  // failure), with stop signals held off; then removes the previous set. Throws ConfigError
  // naming DIR and errno's text (DIR then keeps its previous contents).
  void Commit();

 private:
  std::string SwapByRenames();

  std::string dir_;     // as given, for messages
  std::string target_;  // absolute, a symbolic link resolved
  std::string staging_;
  std::vector<std::string> created_;  // levels the constructor created (removed on a stop signal while empty)
  bool committed_ = false;
};

// Creates `dir` and the missing levels above it; the levels created are removed again if a stop
// signal ends the process while they are empty. Returns them (outermost last). Throws ConfigError
// "DIR: cannot create the output directory: <errno text>" (and removes what it created).
std::vector<std::string> CreateOutputDir(const std::string& dir);

}  // namespace npusim::core

// support/result_dir.h: a result set written beside its directory and swapped in with one rename.
#include "support/result_dir.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/stop_signals.h"

namespace npusim::core {
namespace {

namespace fs = std::filesystem;

std::string Why(int err) { return std::strerror(err); }

// What sets written before the marker existed hold: `npusim run`'s files and `npusim scalesim`'s
// additions (their outputs/ holds .npy files only).
bool IsLegacyName(const std::string& name) {
  static const std::set<std::string> names = {"report.json", "layers.csv", "outputs", "arch.json",
                                              "scalesim_comparison.csv"};
  return names.count(name) != 0;
}

std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) throw ConfigError(dir.string(), "", "cannot read the output directory: " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

// The entries of directory `dir` that keep it from being replaced (none: it may be).
std::vector<std::string> ForeignEntries(const fs::path& dir) {
  const std::vector<std::string> names = Entries(dir);
  std::vector<std::string> foreign;
  bool report = false;
  for (const std::string& n : names) {
    if (n == kResultMarker) return {};
    report = report || n == "report.json";
    if (!IsLegacyName(n)) foreign.push_back(n);
  }
  if (!report) return names;  // empty, or files of no set we know
  std::error_code ec;
  if (fs::is_directory(dir / "outputs", ec)) {
    for (const std::string& n : Entries(dir / "outputs")) {
      if (fs::path(n).extension() != ".npy") foreign.push_back("outputs/" + n);
    }
  }
  return foreign;
}

// Throws unless `dir` may be replaced by a result set (the rule in result_dir.h).
void CheckReplaceable(const std::string& dir) {
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (st.type() == fs::file_type::not_found) return;
  if (ec) throw ConfigError(dir, "", "cannot use the output directory: " + ec.message());
  if (!fs::is_directory(st))
    throw ConfigError(dir, "", "cannot use the output directory: it exists and is not a directory");
  const std::vector<std::string> foreign = ForeignEntries(dir);
  if (foreign.empty()) return;
  std::string list;
  for (size_t i = 0; i < foreign.size() && i < 5; ++i) list += (i ? ", " : "") + foreign[i];
  if (foreign.size() > 5) list += ", ... (" + std::to_string(foreign.size()) + " in all)";
  throw ConfigError(dir, "",
                    "cannot use the output directory: it holds files that are not an npusim result set (" +
                        list + "); a new result set replaces the whole directory, so it must be " +
                        "empty or hold an earlier one (with its " + kResultMarker +
                        " file). Remove them or choose another output directory");
}

// `dir` as an absolute path without a trailing separator; a symbolic link to a directory is
// resolved (the set replaces the directory it points to, not the link).
fs::path Target(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  if (fs::is_symlink(p, ec) && fs::is_directory(p, ec)) p = fs::canonical(p, ec);
  return p;
}

// Creates "<parent>/.<name>.<pid>.<n>.tmp", registered for removal on a stop signal.
std::string MakeStaging(const std::string& dir, const fs::path& target) {
  std::string name = target.filename().string();
  if (name.size() > 64) name = ShortFileStem(name).substr(0, 40);  // well within NAME_MAX
  for (int n = 0;; ++n) {
    const std::string path = (target.parent_path() / ("." + name + "." + std::to_string(getpid()) + "." +
                                                      std::to_string(n) + ".tmp"))
                                 .string();
    RemoveTreeOnStop(path);  // before it exists: a signal right after mkdir removes it
    if (mkdir(path.c_str(), 0777) == 0) return path;
    const int err = errno;
    KeepOnStop(path);
    if (err != EEXIST || n >= 100)
      throw ConfigError(dir, "", "cannot create the staging directory " + path + ": " + Why(err));
  }
}

void RemoveEmptyLevels(const std::vector<std::string>& levels) {
  for (const std::string& p : levels) {  // deepest first; only while empty
    std::error_code ignored;
    fs::remove(p, ignored);
    KeepOnStop(p);
  }
}

}  // namespace

std::vector<std::string> CreateOutputDir(const std::string& dir) {
  // Registered before they exist: a signal between creating a level and registering it would
  // leave that level behind (rmdir of a level not yet created does nothing).
  std::vector<std::string> created;
  std::error_code ec;
  for (fs::path p = fs::absolute(dir, ec).lexically_normal(); !p.empty() && !fs::exists(p, ec);
       p = p.parent_path()) {
    created.push_back(p.string());
    if (p == p.parent_path()) break;
  }
  for (auto it = created.rbegin(); it != created.rend(); ++it) RemoveOnStop(*it);
  fs::create_directories(dir, ec);
  if (ec) {
    RemoveEmptyLevels(created);
    throw ConfigError(dir, "", "cannot create the output directory: " + ec.message());
  }
  return created;
}

// Throws unless the level above `target` (or, where levels are missing, the nearest existing one)
// is writable; a level that is no directory is left to CreateOutputDir to report.
static void CheckWritableParent(const std::string& dir, const fs::path& target) {
  std::error_code ec;
  fs::path p = target.parent_path();
  while (!fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  if (!fs::is_directory(p, ec) || access(p.c_str(), W_OK | X_OK) == 0) return;
  const int err = errno;
  if (p == target.parent_path()) {
    throw ConfigError(dir, "",
                      "cannot replace the output directory: its parent directory " + p.string() +
                          " is not writable: " + Why(err));
  }
  throw ConfigError(dir, "",
                    "cannot create the output directory: " + p.string() + " is not writable: " + Why(err));
}

void ResultDir::Check(const std::string& dir) {
  CheckReplaceable(dir);
  CheckWritableParent(dir, Target(dir));
}

ResultDir::ResultDir(std::string dir) : dir_(std::move(dir)) {
  CheckReplaceable(dir_);
  created_ = CreateOutputDir(dir_);
  const fs::path target = Target(dir_);
  target_ = target.string();
  try {
    CheckWritableParent(dir_, target);
    staging_ = MakeStaging(dir_, target);
  } catch (...) {
    RemoveEmptyLevels(created_);
    throw;
  }
}

ResultDir::~ResultDir() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
  KeepOnStop(staging_);
  RemoveEmptyLevels(created_);
}

void ResultDir::AddDirectory(const std::string& rel) {
  std::error_code ec;
  fs::create_directories(fs::path(staging_) / rel, ec);
  if (ec)
    throw ConfigError((fs::path(dir_) / rel).string(), "", "cannot create the directory: " + ec.message());
}

void ResultDir::Write(const std::string& rel, const std::string& bytes) {
  const fs::path path = fs::path(staging_) / rel;
  const std::string shown = (fs::path(dir_) / rel).string();
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw ConfigError(shown, "", "cannot write file: " + ec.message());
  if (const int err = WriteNewFile(path.string(), bytes))
    throw ConfigError(shown, "", "cannot write file: " + Why(err));
}

// Swaps by two renames where RENAME_EXCHANGE is not supported; returns where the previous set is.
std::string ResultDir::SwapByRenames() {
  const std::string aside = staging_ + ".old";
  if (rename(target_.c_str(), aside.c_str()) != 0)
    throw ConfigError(dir_, "", "cannot move the previous result set aside: " + Why(errno));
  if (rename(staging_.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    rename(aside.c_str(), target_.c_str());
    throw ConfigError(dir_, "", "cannot move the new result set into place: " + Why(err));
  }
  return aside;
}

void ResultDir::Commit() {
  Write(kResultMarker, "npusim result set: the next result set written here replaces this directory\n");
  const StopSignalsBlocked blocked;
  CheckReplaceable(dir_);  // as it is now, not as it was before the run
  std::string previous;    // where the previous set is after the swap
  if (renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    previous = staging_;
  } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
    previous = SwapByRenames();
  } else if (errno != ENOENT || rename(staging_.c_str(), target_.c_str()) != 0) {  // ENOENT: DIR gone
    throw ConfigError(dir_, "", "cannot move the new result set into place: " + Why(errno));
  }
  committed_ = true;
  if (!previous.empty()) {
    RemoveTreeOnStop(previous);
    std::error_code ignored;
    fs::remove_all(previous, ignored);
    KeepOnStop(previous);
  }
  KeepOnStop(staging_);
  for (const std::string& p : created_) KeepOnStop(p);
}

}  // namespace npusim::core

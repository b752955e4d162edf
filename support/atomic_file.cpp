#include "support/atomic_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "support/error.h"
#include "support/stop_signals.h"

namespace npusim::core {

FileSet::~FileSet() { Discard(); }

void FileSet::Discard() {
  for (const Staged& s : staged_) {
    std::remove(s.tmp.c_str());
    KeepOnStop(s.tmp);
  }
  staged_.clear();
}

void FileSet::Stage(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + "." + std::to_string(getpid()) + ".tmp";
  RemoveOnStop(tmp);  // before it exists: a signal while writing removes it
  staged_.push_back({path, tmp});
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (out) out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    Discard();
    throw ConfigError(path, "", "cannot write file");
  }
}

void FileSet::Commit() {
  const StopSignalsBlocked blocked;
  for (size_t i = 0; i < staged_.size(); ++i) {
    if (std::rename(staged_[i].tmp.c_str(), staged_[i].path.c_str()) != 0) {
      const std::string path = staged_[i].path;
      staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(i));
      Discard();
      throw ConfigError(path, "", "cannot write file");
    }
    KeepOnStop(staged_[i].tmp);
  }
  staged_.clear();
}

void WriteFileAtomically(const std::string& path, const std::string& bytes) {
  FileSet f;
  f.Stage(path, bytes);
  f.Commit();
}

}  // namespace npusim::core

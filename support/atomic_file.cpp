#include "support/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

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
  std::remove(tmp.c_str());  // left by a killed process of the same pid
  if (const int err = WriteNewFile(tmp, bytes)) {
    Discard();
    throw ConfigError(path, "", std::string("cannot write file: ") + std::strerror(err));
  }
}

void FileSet::Commit() {
  const StopSignalsBlocked blocked;
  // Each previous file is kept as a hard link "<tmp>.old" until every rename has succeeded, so
  // that a failing rename can put back the files renamed before it.
  std::vector<bool> had(staged_.size());
  for (size_t i = 0; i < staged_.size(); ++i) {
    const Staged& s = staged_[i];
    had[i] = link(s.path.c_str(), (s.tmp + ".old").c_str()) == 0;
    if (std::rename(s.tmp.c_str(), s.path.c_str()) == 0) continue;
    const int err = errno;
    const std::string path = s.path;
    for (size_t j = 0; j <= i; ++j) {  // back to the previous files (none where there was none)
      const Staged& r = staged_[j];
      const std::string old = r.tmp + ".old";
      if (j == i) {
        if (had[j]) unlink(old.c_str());
      } else if (had[j]) {
        std::rename(old.c_str(), r.path.c_str());
      } else {
        unlink(r.path.c_str());
      }
    }
    Discard();
    throw ConfigError(path, "", std::string("cannot write file: ") + std::strerror(err));
  }
  for (size_t i = 0; i < staged_.size(); ++i) {
    if (had[i]) unlink((staged_[i].tmp + ".old").c_str());
    KeepOnStop(staged_[i].tmp);
  }
  staged_.clear();
}

void WriteFileAtomically(const std::string& path, const std::string& bytes) {
  FileSet f;
  f.Stage(path, bytes);
  f.Commit();
}

int WriteNewFile(const std::string& path, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return errno;
  int err = 0;
  for (size_t done = 0; done < bytes.size() && err == 0;) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      err = n == 0 ? EIO : errno;
    }
  }
  if (close(fd) != 0 && err == 0) err = errno;
  if (err != 0) unlink(path.c_str());
  return err;
}

std::string ShortFileStem(const std::string& stem) {
  if (stem.size() <= kMaxStemBytes) return stem;
  uint64_t h = 14695981039346656037ull;  // FNV-1a offset basis
  for (unsigned char c : stem) h = (h ^ c) * 1099511628211ull;
  size_t cut = kStemPrefixBytes;
  while (cut > 0 && (static_cast<unsigned char>(stem[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return stem.substr(0, cut) + "-" + hex;
}

}  // namespace npusim::core

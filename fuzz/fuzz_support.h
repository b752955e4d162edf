// Shared by the libFuzzer targets (fuzz/*_fuzzer.cpp) and the regression tests that replay what
// they found (tests/integration/fuzz_regressions_test.cpp): the loaders take file paths, so each input is
// written to a private scratch directory (in /dev/shm when there is one, so no disk I/O), and the
// net target's input may carry a weight file after a marker line.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace npusim::fuzz {

// Net target input: the network JSON, then optionally this marker and the bytes of "w.npy" (the
// file a tensor's `"data": "w.npy"` names, next to the network file).
inline constexpr std::string_view kNpyMarker = "\n#w.npy#\n";

struct NetInput {
  std::string json;
  std::optional<std::string> npy;
};

inline NetInput SplitNetInput(std::string_view data) {
  const size_t at = data.find(kNpyMarker);
  if (at == std::string_view::npos) return {std::string(data), std::nullopt};
  return {std::string(data.substr(0, at)), std::string(data.substr(at + kNpyMarker.size()))};
}

// A directory of its own for this process, removed by the destructor.
class ScratchDir {
 public:
  ScratchDir() {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string tmpl = (base / "npusim-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + base.string());
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  // Writes `bytes` to <dir>/<name> (replacing it) and returns the path.
  std::string Write(const std::string& name, std::string_view bytes) const {
    const std::string p = File(name);
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + p);
    return p;
  }
  void Remove(const std::string& name) const {
    std::error_code ec;
    std::filesystem::remove(File(name), ec);
  }

 private:
  std::string path_;
};

// The whole content of a file (for replaying a kept input).
inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace npusim::fuzz

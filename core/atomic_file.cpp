#include "core/atomic_file.h"

#include <cstdio>
#include <fstream>

#include "core/error.h"

namespace npusim::core {

void WriteFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw ConfigError(path, "", "cannot write file");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw ConfigError(path, "", "cannot write file");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw ConfigError(path, "", "cannot write file");
  }
}

}  // namespace npusim::core

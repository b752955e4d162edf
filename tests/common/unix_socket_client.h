// A minimal Unix-socket client for the `npusim serve --socket` tests: connect, send, read one
// answer line.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

namespace npusim::testing {

// A connected socket, or -1 when nothing listens at `path` (yet).
inline int Connect(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline void Send(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << "send failed";
    off += static_cast<size_t>(n);
  }
}

// The next answer line, parsed (a parse error if the server closed the connection).
inline nlohmann::json ReadAnswer(int fd) {
  std::string line;
  char c;
  while (recv(fd, &c, 1, 0) == 1 && c != '\n') line += c;
  return nlohmann::json::parse(line);
}

}  // namespace npusim::testing

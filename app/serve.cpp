// `npusim serve`: JSON lines in, JSON lines out (docs/sweep.md, "serve"), for HAQ/AMC-style search
// loops. The arch and network are loaded once; each request forks a child that re-quantizes its
// copy-on-write image of the network, compiles and simulates it (SystemC elaborates once per
// process), so an answer equals what `npusim run --weight-bits ...` reports for the same network.
//
//   request:  {"id": 1, "weight_bits": {"*": 4, "conv0": 8}, "layers": true}
//   answer:   {"id": 1, "ok": true, "cycles": ..., "seconds": ..., "energy_pj": ..., "macs": ...,
//              "dram_read_bytes": ..., "dram_write_bytes": ..., "layers": [...], "wall_ms": ...}
//   error:    {"id": 1, "ok": false, "error": "..."}     (the server keeps serving)
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>

#include "app/app.h"
#include "app/commands.h"
#include "app/serve_sim.h"
#include "core/arch.h"
#include "core/error.h"
#include "core/net_loader.h"
#include "core/precision.h"

namespace npusim::app {
namespace {

using nlohmann::json;

constexpr size_t kMaxRequestBytes = 1 << 20;

struct Server {
  core::ArchConfig arch;
  core::Graph graph;
  std::string net_file;
  models::ExecMode mode;
};

json ErrorAnswer(const json& id, const std::string& message) {
  json a = {{"ok", false}, {"error", message}};
  if (!id.is_null()) a["id"] = id;
  return a;
}

// Checks a request's shape; returns "" or what is wrong.
std::string CheckRequest(const json& r, std::map<std::string, int>* bits) {
  if (!r.is_object()) return "expected a JSON object per line";
  for (const auto& [k, v] : r.items()) {
    if (k != "id" && k != "weight_bits" && k != "layers") {
      return "unknown key \"" + k + "\" (expected id, weight_bits, layers)";
    }
  }
  if (r.contains("layers") && !r["layers"].is_boolean()) return "/layers: expected true or false";
  if (!r.contains("weight_bits")) return "";
  const json& wb = r["weight_bits"];
  if (!wb.is_object()) return "/weight_bits: expected an object {\"LAYER\": BITS, \"*\": BITS}";
  for (const auto& [layer, b] : wb.items()) {
    if (!b.is_number_integer() || b.get<int64_t>() < 1 || b.get<int64_t>() > 16) {
      return "/weight_bits/" + layer + ": expected an integer in 1..16, got " + b.dump();
    }
    (*bits)[layer] = b.get<int>();
  }
  return "";
}

json Answer(Server& s, const std::string& line) {
  const auto t0 = std::chrono::steady_clock::now();
  json r;
  try {
    r = json::parse(line);
  } catch (const json::exception& e) {
    return ErrorAnswer(nullptr, std::string("not a JSON line: ") + e.what());
  }
  const json id = r.is_object() && r.contains("id") ? r["id"] : json();
  std::map<std::string, int> bits;
  const std::string problem = CheckRequest(r, &bits);
  if (!problem.empty()) return ErrorAnswer(id, problem);
  json a = serve::SimulateInChild(s.arch, s.graph, s.net_file, r.value("layers", false), s.mode, [&bits](core::Graph& g) {
    if (!bits.empty()) core::ApplyWeightBits(g, bits, "request /weight_bits");
  });
  if (a.contains("error")) return ErrorAnswer(id, a["error"].get<std::string>());
  a["ok"] = true;
  if (!id.is_null()) a["id"] = id;
  a["wall_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return a;
}

bool WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) {
      const ssize_t w = write(fd, s.data() + off, s.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      off += static_cast<size_t>(w);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// One peer's byte stream cut into lines. A line longer than kMaxRequestBytes is answered with an
// error once and skipped up to its newline.
class LineReader {
 public:
  // Appends bytes; calls `on_line(line)` for each complete line, `on_oversized()` once per
  // oversized line.
  template <class OnLine, class OnOversized>
  void Feed(const char* data, size_t n, OnLine on_line, OnOversized on_oversized) {
    for (size_t i = 0; i < n; ++i) {
      const char c = data[i];
      if (c == '\n') {
        if (!skipping_) on_line(buf_);
        buf_.clear();
        skipping_ = false;
        continue;
      }
      if (skipping_) continue;
      buf_ += c;
      if (buf_.size() > kMaxRequestBytes) {
        on_oversized();
        buf_.clear();
        skipping_ = true;
      }
    }
  }
  // At end of stream: a last line without its newline still counts.
  template <class OnLine>
  void Finish(OnLine on_line) {
    if (!skipping_ && !buf_.empty()) on_line(buf_);
    buf_.clear();
  }

 private:
  std::string buf_;
  bool skipping_ = false;
};

// Serves one line-oriented peer (stdin -> stdout, or a socket) until it closes. Returns false
// when the peer can no longer be written to.
bool HandleBytes(Server& s, LineReader& reader, int out_fd, const char* data, size_t n) {
  bool alive = true;
  auto reply = [&](const json& a) { alive = alive && WriteAll(out_fd, a.dump() + "\n"); };
  reader.Feed(
      data, n,
      [&](const std::string& line) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) reply(Answer(s, line));
      },
      [&] { reply(ErrorAnswer(nullptr, "request longer than " + std::to_string(kMaxRequestBytes) + " bytes")); });
  return alive;
}

int ServeStdio(Server& s) {
  LineReader reader;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!HandleBytes(s, reader, STDOUT_FILENO, buf, static_cast<size_t>(n))) return kExitOk;
  }
  reader.Finish([&](const std::string& line) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) WriteAll(STDOUT_FILENO, Answer(s, line).dump() + "\n");
  });
  return kExitOk;
}

int Listen(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) throw core::ConfigError(path, "", "socket path too long");
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw core::ConfigError(path, "", "exists and is not a socket");
    unlink(path.c_str());  // a stale socket of an earlier server
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 16) != 0) {
    throw core::ConfigError(path, "", std::string("cannot listen: ") + std::strerror(errno));
  }
  return fd;
}

// Every client has its own line buffer, so requests from several clients never interleave; a
// client that disconnects (even mid-line or before its answer) is dropped, the server goes on.
int ServeSocket(Server& s, const std::string& path) {
  const int lfd = Listen(path);
  std::cerr << "npusim serve: listening on " << path << "\n";
  std::map<int, LineReader> clients;
  for (;;) {
    std::vector<pollfd> fds{{lfd, POLLIN, 0}};
    for (const auto& [fd, r] : clients) fds.push_back({fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("poll failed");
    }
    if (fds[0].revents & POLLIN) {
      const int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) clients[c];
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      const int fd = fds[i].fd;
      char buf[65536];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0 && HandleBytes(s, clients[fd], fd, buf, static_cast<size_t>(n))) continue;
      // A request cut off by the client's leaving gets no answer: there is no one to read it.
      close(fd);
      clients.erase(fd);
    }
  }
}

}  // namespace

int ServeCommand(const ServeOptions& o) {
  signal(SIGPIPE, SIG_IGN);  // a client gone before its answer is an error on write, not death
  Server s{core::LoadArch(o.arch), core::LoadNetwork(o.net), o.net, o.mode};
  if (o.socket.empty()) return ServeStdio(s);
  return ServeSocket(s, o.socket);
}

}  // namespace npusim::app

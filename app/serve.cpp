// `npusim serve`: JSON lines in, JSON lines out (docs/sweep.md, "serve"), for HAQ/AMC-style search
// loops. The arch and network are loaded once; each request forks a child that re-quantizes its
// copy-on-write image of the network, compiles and simulates it (SystemC elaborates once per
// process), so an answer equals what `npusim run --weight-bits ...` reports for the same network.
//
//   request:  {"id": 1, "weight_bits": {"*": 4, "conv0": 8}, "activation_bits": {"*": 8}, "layers": true}
//   answer:   {"id": 1, "ok": true, "cycles": ..., "seconds": ..., "energy_pj": ..., "macs": ...,
//              "dram_read_bytes": ..., "dram_write_bytes": ..., "layers": [...], "wall_ms": ...}
//   error:    {"id": 1, "ok": false, "error": "..."}     (the server keeps serving)
// A request equal to an earlier one (ids aside) is answered from memory, with "cached": true
// (--cache N entries, default 100000; 0 simulates every request).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "app/app.h"
#include "app/commands.h"
#include "compiler/transforms/precision.h"
#include "compiler/transforms/prune.h"
#include "config/arch.h"
#include "explore/serve_request.h"
#include "frontends/load.h"
#include "ir/net_loader.h"
#include "sim/figures.h"
#include "support/error.h"
#include "support/json_util.h"
#include "support/stop_signals.h"

namespace npusim::app {
namespace {

namespace serve = explore::serve;

using nlohmann::json;

struct Server {
  core::ArchConfig arch;
  core::Graph graph;
  std::string net_file;
  models::ExecMode mode;
  // Answers by canonical request (its actions and "layers", without the id): a search loop asks
  // the same policy again and again, and an answer is a pure function of it. At most
  // `cache_limit` entries (0: no cache); errors are not kept.
  size_t cache_limit = 0;
  std::unordered_map<std::string, json> cache;
};

// The request's actions and "layers" flag as one string (object keys sorted, ids left out).
std::string CacheKey(const serve::Request& r) {
  return json{{"w", r.weight_bits}, {"a", r.activation_bits}, {"k", r.keep}, {"l", r.layers}}.dump();
}

// The request's keep ratios per conv/FC layer ("*": every one, a named layer overrides it);
// throws ConfigError for a name that is not a conv/FC layer of the network.
std::map<std::string, double> KeepRatios(const core::Graph& g, const std::map<std::string, double>& keep) {
  const std::vector<std::string> layers = compiler::ConvLayers(g);
  std::map<std::string, double> out;
  const auto all = keep.find("*");
  if (all != keep.end()) {
    for (const std::string& l : layers) out[l] = all->second;
  }
  for (const auto& [layer, ratio] : keep) {
    if (layer == "*") continue;
    if (std::find(layers.begin(), layers.end(), layer) == layers.end()) {
      throw core::ConfigError("request", core::Pointer("/keep", layer),
                              "no conv2d or fully_connected layer is named \"" + layer + "\"");
    }
    out[layer] = ratio;
  }
  return out;
}

json Answer(Server& s, const std::string& line) {
  const auto t0 = std::chrono::steady_clock::now();
  const serve::Request r = serve::ParseRequest(line);
  if (!r.error.empty()) return serve::ErrorAnswer(r.id, r.error);
  const std::string key = s.cache_limit ? CacheKey(r) : "";
  if (auto hit = s.cache.find(key); s.cache_limit && hit != s.cache.end()) {
    json a = hit->second;
    a["cached"] = true;
    if (!r.id.is_null()) a["id"] = r.id;
    a["wall_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return a;
  }
  json a = sim::FiguresInChild(s.arch, s.graph, s.net_file, r.layers, s.mode, [&r](core::Graph& g) {
    if (!r.keep.empty()) compiler::PruneNodes(g, KeepRatios(g, r.keep));
    if (!r.weight_bits.empty()) core::ApplyWeightBits(g, r.weight_bits, "request /weight_bits");
    if (!r.activation_bits.empty())
      core::ApplyActivationBits(g, r.activation_bits, "request /activation_bits");
  });
  if (a.contains("error")) return serve::ErrorAnswer(r.id, a["error"].get<std::string>());
  a["ok"] = true;
  if (s.cache_limit && s.cache.size() < s.cache_limit) s.cache.emplace(key, a);
  if (!r.id.is_null()) a["id"] = r.id;
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

// Serves one line-oriented peer (stdin -> stdout, or a socket) until it closes. Returns false
// when the peer can no longer be written to.
bool HandleBytes(Server& s, serve::LineReader& reader, int out_fd, const char* data, size_t n) {
  bool alive = true;
  auto reply = [&](const json& a) { alive = alive && WriteAll(out_fd, serve::AnswerLine(a)); };
  reader.Feed(
      data, n,
      [&](const std::string& line) {
        if (!serve::IsBlank(line)) reply(Answer(s, line));
      },
      [&] {
        reply(serve::ErrorAnswer(
            nullptr, "request longer than " + std::to_string(serve::kMaxRequestBytes) + " bytes"));
      });
  return alive;
}

int ServeStdio(Server& s) {
  serve::LineReader reader;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!HandleBytes(s, reader, STDOUT_FILENO, buf, static_cast<size_t>(n))) return kExitOk;
  }
  reader.Finish([&](const std::string& line) {
    if (!serve::IsBlank(line)) WriteAll(STDOUT_FILENO, serve::AnswerLine(Answer(s, line)));
  });
  return kExitOk;
}

int Listen(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) throw core::ConfigError(path, "", "socket path too long");
  struct stat st {};
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
  core::RemoveOnStop(path);  // SIGTERM/SIGINT leave no stale socket behind
  return fd;
}

// Waits until the listener (first) or a client can be read; returns the poll set.
std::vector<pollfd> WaitReadable(int lfd, const std::map<int, serve::LineReader>& clients) {
  std::vector<pollfd> fds{{lfd, POLLIN, 0}};
  for (const auto& [fd, r] : clients) fds.push_back({fd, POLLIN, 0});
  while (poll(fds.data(), fds.size(), -1) < 0) {
    if (errno != EINTR) throw std::runtime_error("poll failed");
  }
  return fds;
}

// Reads what client `fd` sent and answers its complete lines; false once the client is gone
// (closed, or no longer writable).
bool ServeClient(Server& s, int fd, serve::LineReader& reader) {
  char buf[65536];
  const ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n < 0 && errno == EINTR) return true;
  return n > 0 && HandleBytes(s, reader, fd, buf, static_cast<size_t>(n));
}

// Every client has its own line buffer, so requests from several clients never interleave; a
// client that disconnects (even mid-line or before its answer) is dropped, the server goes on.
int ServeSocket(Server& s, const std::string& path) {
  const int lfd = Listen(path);
  std::cerr << "npusim serve: listening on " << path << "\n";
  std::map<int, serve::LineReader> clients;
  for (;;) {
    const std::vector<pollfd> fds = WaitReadable(lfd, clients);
    if (fds[0].revents & POLLIN) {
      const int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) clients[c];
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      const int fd = fds[i].fd;
      if (!fds[i].revents || ServeClient(s, fd, clients[fd])) continue;
      // A request cut off by the client's leaving gets no answer: there is no one to read it.
      close(fd);
      clients.erase(fd);
    }
  }
}

}  // namespace

int ServeCommand(const ServeOptions& o) {
  signal(SIGPIPE, SIG_IGN);  // a client gone before its answer is an error on write, not death
  Server s{core::LoadArch(o.arch), frontends::LoadNetworkFile(o.net), o.net, o.mode, o.cache, {}};
  if (o.socket.empty()) return ServeStdio(s);
  return ServeSocket(s, o.socket);
}

}  // namespace npusim::app

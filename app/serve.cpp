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
// (--cache N entries, the least recently used dropped first, default 100000; 0 simulates every
// request). The session (explore/cost_session.h) is the Python module's too.
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

#include "app/app.h"
#include "app/commands.h"
#include "app/serve_socket.h"
#include "config/arch.h"
#include "explore/cost_session.h"
#include "explore/serve_request.h"
#include "frontends/load.h"
#include "ir/net_loader.h"
#include "support/error.h"
#include "support/json_util.h"
#include "support/stop_signals.h"

namespace npusim::app {
namespace {

namespace serve = explore::serve;

using nlohmann::json;

json Answer(explore::CostSession& s, const std::string& line) {
  const auto t0 = std::chrono::steady_clock::now();
  const serve::Request r = serve::ParseRequest(line);
  if (!r.error.empty()) return serve::ErrorAnswer(r.id, r.error);
  explore::CostAnswer c = s.Cost(r, r.layers);
  if (!c.ok()) return serve::ErrorAnswer(r.id, c.figures["error"].get<std::string>());
  json a = std::move(c.figures);
  a["ok"] = true;
  if (c.cached) a["cached"] = true;
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

// Serves stdin -> stdout, one request at a time, until stdin ends (or stdout is closed).
int ServeStdio(explore::CostSession& s, size_t max_request_bytes) {
  serve::LineReader reader(max_request_bytes);
  bool alive = true;
  auto reply = [&](const std::string& answer) { alive = alive && WriteAll(STDOUT_FILENO, answer); };
  auto on_line = [&](const std::string& line) {
    if (alive && !serve::IsBlank(line)) reply(serve::AnswerLine(Answer(s, line)));
  };
  char buf[65536];
  while (alive) {
    const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reader.Feed(buf, static_cast<size_t>(n), on_line, [&] { reply(OversizedAnswerLine(max_request_bytes)); });
  }
  if (alive) reader.Finish(on_line);
  return kExitOk;
}

}  // namespace

int ServeCommand(const ServeOptions& o) {
  signal(SIGPIPE, SIG_IGN);  // a client gone before its answer is an error on write, not death
  explore::CostSession s(core::LoadArch(o.arch), frontends::LoadNetworkFile(o.net), o.net,
                         {o.mode, {}, o.cache});
  if (o.socket.empty() && o.listen.empty()) return ServeStdio(s, o.limits.max_request_bytes);
  std::string where = o.socket;
  const int lfd = o.listen.empty() ? ClaimSocket(o.socket, o.limits.socket_mode)
                                   : ListenTcp(o.listen, o.listen_any, &where);
  std::cerr << "npusim serve: listening on " << where << "\n";
  RunSocketServer(lfd, o.limits,
                  [&s](const std::string& line) { return serve::AnswerLine(Answer(s, line)); });
}

}  // namespace npusim::app

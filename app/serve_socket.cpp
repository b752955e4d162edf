// app/serve_socket.h: serve's socket claimed race-free, and a poll loop no client can stall.
#include "app/serve_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "explore/serve_request.h"
#include "support/error.h"
#include "support/stop_signals.h"

namespace npusim::app {
namespace {

namespace serve = explore::serve;
using Clock = std::chrono::steady_clock;

// How long the listener rests when accept fails for want of descriptors or kernel memory.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
// Bytes read from one client per round.
constexpr size_t kReadChunk = 65536;
// Descriptors held in reserve and freed while the server works: a connection refused when the
// process is out of them takes one, a simulation child's pipe two, and the rest are headroom (a
// sanitizer build's runtime makes a pipe to check memory on a type-cache miss).
constexpr size_t kReserveFds = 4;
// Descriptors the process holds beside its clients' (stdio, the listener, the reserve, a
// simulation child's pipe), with room to spare: within this many of its limit it is near it.
constexpr size_t kFdsBesideClients = 16;

sockaddr_un Address(const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    throw core::ConfigError(
        path, "",
        "socket path is empty or longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

std::string Errno(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

// True when a server accepts connections on `addr` (a full backlog counts as live); false for
// a socket file nobody listens on.
bool SomeoneListens(const std::string& path, const sockaddr_un& addr) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw core::ConfigError(path, "", Errno("cannot create a socket", errno));
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  close(fd);
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS) return true;
  if (err == ECONNREFUSED || err == ENOENT) return false;
  throw core::ConfigError(path, "", Errno("cannot tell whether a server listens on this socket", err));
}

// One connection: what it sent, what it is owed, and since when it has been quiet or blocked.
struct Client {
  explicit Client(size_t max_request, Clock::time_point now)
      : reader(max_request), quiet_since(now), blocked_since(now) {}
  serve::LineReader reader;
  std::deque<std::optional<std::string>> queued;  // complete lines; nullopt: an oversized one
  std::string out;                                // answers; out[0, sent) already sent
  size_t sent = 0;
  Clock::time_point quiet_since;    // last bytes received (or last request answered)
  Clock::time_point blocked_since;  // output pending since, with no byte taken
  bool eof = false;                 // the client sent its last byte
  size_t Pending() const { return out.size() - sent; }
};

class EventLoop {
 public:
  EventLoop(int lfd, const ServeLimits& limits, const LineAnswerer& answer)
      : lfd_(lfd),
        lim_(limits),
        answer_(answer),
        busy_line_(ErrorLine("server busy: " + std::to_string(limits.max_clients) +
                             " clients connected (--max-clients); try again later")),
        no_fd_line_(ErrorLine("server out of file descriptors; try again later")),
        fd_limit_(FileLimit()) {
    HoldReserve();
  }

  [[noreturn]] void Run() {
    for (;;) {
      std::vector<pollfd> fds = PollSet();
      if (poll(fds.data(), fds.size(), PollTimeoutMs()) < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(Errno("poll failed", errno));
      }
      for (const pollfd& p : fds) {
        if (p.fd == lfd_ && p.revents) AcceptAll();
        if (p.fd != lfd_ && p.revents) OnEvents(p.fd, p.revents);
      }
      AnswerRound();
      Expire(Clock::now());
    }
  }

 private:
  std::vector<pollfd> PollSet() const {
    std::vector<pollfd> fds;
    if (Clock::now() >= listen_paused_until_) fds.push_back({lfd_, POLLIN, 0});
    for (const auto& [fd, c] : clients_) {
      // A client with requests waiting is not read further until they are answered.
      const short read = !c.eof && c.queued.empty() ? POLLIN : 0;
      fds.push_back({fd, static_cast<short>(read | (c.Pending() ? POLLOUT : 0)), 0});
    }
    return fds;
  }

  // 0 while requests wait; else until the next timeout or the end of the listener's rest.
  int PollTimeoutMs() const {
    std::optional<Clock::time_point> next;
    auto consider = [&next](Clock::time_point t) { next = next ? std::min(*next, t) : t; };
    const Clock::time_point now = Clock::now();
    if (now < listen_paused_until_) consider(listen_paused_until_);
    for (const auto& [fd, c] : clients_) {
      if (!c.queued.empty()) return 0;
      if (c.Pending()) consider(c.blocked_since + Seconds(lim_.write_timeout_s));
      if (WaitsMidLine(c)) consider(c.quiet_since + Seconds(lim_.idle_timeout_s));
    }
    if (!next) return -1;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
    return static_cast<int>(std::clamp<decltype(ms)>(ms, 0, 3600 * 1000));
  }

  static Clock::duration Seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }
  static bool WaitsMidLine(const Client& c) { return !c.eof && c.queued.empty() && c.reader.Partial(); }

  void AcceptAll() {
    for (int i = 0; i < 64; ++i) {  // bounded, so a flood of connections cannot starve the clients
      const int fd = accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        Admit(fd);
        continue;
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (!RefuseWithReserve(errno)) {
        BackOff(errno);
        return;
      }
    }
  }

  void Admit(int fd) {
    if (clients_.size() >= lim_.max_clients) {
      Refuse(fd, busy_line_);
      return;
    }
    const int one = 1;  // answers go out at once (fails harmlessly on a Unix socket)
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    clients_.emplace(fd, Client(lim_.max_request_bytes, Clock::now()));
    backing_off_ = false;
  }

  // Out of descriptors: the reserve, freed for a moment, takes the waiting connection, which gets
  // an error line; false when that is not possible (another error, or the reserve gone).
  bool RefuseWithReserve(int err) {
    if (err != EMFILE && err != ENFILE) return false;
    out_of_fds_ = true;
    if (reserve_.empty()) return false;
    ReleaseReserve();
    const int fd = accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0 && !backing_off_)  // logged before the client sees its refusal
      std::cerr << "npusim serve: out of file descriptors; refusing connections\n";
    if (fd >= 0) Refuse(fd, no_fd_line_);
    HoldReserve();
    backing_off_ = backing_off_ || fd >= 0;
    return fd >= 0 && !reserve_.empty();
  }

  // Takes up to kReserveFds descriptors (fewer, or none, when the process is out of them).
  void HoldReserve() {
    while (reserve_.size() < kReserveFds) {
      const int fd = reserve_.empty() ? open("/dev/null", O_RDONLY | O_CLOEXEC)
                                      : fcntl(reserve_.front(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return;
      reserve_.push_back(fd);
    }
  }
  void ReleaseReserve() {
    for (const int fd : reserve_) close(fd);
    reserve_.clear();
  }

  // accept failed for want of resources and no connection could be refused: the listener rests
  // a moment instead of waking the loop again at once.
  void BackOff(int err) {
    if (!backing_off_) std::cerr << "npusim serve: " << Errno("accept", err) << "; backing off\n";
    backing_off_ = true;
    listen_paused_until_ = Clock::now() + kAcceptBackoff;
  }

  static std::string ErrorLine(const std::string& why) {
    return serve::AnswerLine(serve::ErrorAnswer(nullptr, why));
  }
  // Sends the refusal line, rendered at start: nothing is allocated while out of descriptors.
  static void Refuse(int fd, const std::string& line) {
    (void)!send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
  }

  void OnEvents(int fd, short revents) {
    const auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    Client& c = it->second;
    if ((revents & (POLLOUT | POLLERR | POLLHUP)) && c.Pending() && !Flush(fd, c)) return;
    if ((revents & (POLLIN | POLLERR | POLLHUP)) && !c.eof && c.queued.empty()) {
      Read(fd, c);
      return;
    }
    // Hung up after its last request, with nothing left to send it.
    if ((revents & (POLLERR | POLLHUP)) && c.eof && c.queued.empty()) Drop(fd, nullptr);
  }

  void Read(int fd, Client& c) {
    char buf[kReadChunk];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) Drop(fd, nullptr);
      return;
    }
    if (n == 0) {
      // A request cut off by the client's leaving gets no answer; complete ones still do.
      c.eof = true;
      FinishIfDone(fd, c);
      return;
    }
    c.quiet_since = Clock::now();
    c.reader.Feed(
        buf, static_cast<size_t>(n),
        [&c](const std::string& line) {
          if (!serve::IsBlank(line)) c.queued.emplace_back(line);
        },
        [&c] { c.queued.emplace_back(std::nullopt); });
  }

  // Sends what the socket takes; false (and the client dropped) when it is gone.
  bool Flush(int fd, Client& c) {
    while (c.Pending()) {
      const ssize_t n = send(fd, c.out.data() + c.sent, c.Pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) {
        Drop(fd, nullptr);
        return false;
      }
      c.sent += static_cast<size_t>(n);
      c.blocked_since = Clock::now();
    }
    c.out.clear();
    c.sent = 0;
    if (c.out.capacity() > lim_.max_pending_output) std::string().swap(c.out);
    return true;
  }

  // One request of every client that has one waiting, in turn.
  void AnswerRound() {
    std::vector<int> ready;
    for (const auto& [fd, c] : clients_) {
      if (!c.queued.empty()) ready.push_back(fd);
    }
    for (const int fd : ready) {
      auto it = clients_.find(fd);
      if (it != clients_.end()) AnswerOne(fd, it->second);
    }
  }

  void AnswerOne(int fd, Client& c) {
    const std::optional<std::string> line = std::move(c.queued.front());
    c.queued.pop_front();
    const std::string answer = line ? AnswerOrError(*line) : OversizedAnswerLine(lim_.max_request_bytes);
    if (!c.Pending()) c.blocked_since = Clock::now();
    if (c.queued.empty()) c.quiet_since = Clock::now();  // it was not read while it waited
    c.out += answer;
    if (!Flush(fd, c)) return;
    if (c.Pending() > lim_.max_pending_output) {
      Drop(fd, ("more than " + std::to_string(lim_.max_pending_output) +
                " bytes of answers unread (--max-pending-output)")
                   .c_str());
      return;
    }
    FinishIfDone(fd, c);
  }

  // The answer; a failure of the server itself (out of memory) is that request's error answer.
  // Near the descriptor limit the reserve is freed meanwhile, so that connected clients use up no
  // descriptor the answer needs (a simulation child's pipe). Not always: on some machines the 8
  // system calls cost as much as an answer from the cache.
  std::string AnswerOrError(const std::string& line) {
    const bool near_limit = out_of_fds_ || clients_.size() + kFdsBesideClients >= fd_limit_;
    if (near_limit) ReleaseReserve();
    std::string answer;
    try {
      answer = answer_(line);
    } catch (const std::exception& e) {
      answer = ErrorLine(std::string("server error: ") + e.what());
    }
    if (near_limit) HoldReserve();
    return answer;
  }

  // The process's descriptor limit (its soft RLIMIT_NOFILE; unlimited: the largest size_t).
  static size_t FileLimit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
    return static_cast<size_t>(lim.rlim_cur);
  }

  void FinishIfDone(int fd, const Client& c) {
    if (c.eof && c.queued.empty() && !c.Pending()) Drop(fd, nullptr);
  }

  void Expire(Clock::time_point now) {
    std::vector<std::pair<int, std::string>> cut;
    for (const auto& [fd, c] : clients_) {
      if (c.Pending() && now - c.blocked_since >= Seconds(lim_.write_timeout_s)) {
        cut.emplace_back(fd, "answers unread for " + Format(lim_.write_timeout_s) + " s (--write-timeout)");
      } else if (WaitsMidLine(c) && now - c.quiet_since >= Seconds(lim_.idle_timeout_s)) {
        cut.emplace_back(fd, "silent mid-request for " + Format(lim_.idle_timeout_s) + " s (--idle-timeout)");
      }
    }
    for (const auto& [fd, why] : cut) Drop(fd, why.c_str());
  }

  static std::string Format(double s) {
    std::string t = std::to_string(s);
    t.erase(t.find_last_not_of('0') + 1);
    if (!t.empty() && t.back() == '.') t.pop_back();
    return t;
  }

  // Closes the client's connection; `why` (a cut, not a normal leave) goes to stderr.
  void Drop(int fd, const char* why) {
    if (why) std::cerr << "npusim serve: client cut off: " << why << "\n";  // before the client sees it
    close(fd);
    clients_.erase(fd);
    out_of_fds_ = false;  // until accept fails for want of one again
  }

  int lfd_;
  ServeLimits lim_;
  const LineAnswerer& answer_;
  const std::string busy_line_;   // the refusal beyond --max-clients
  const std::string no_fd_line_;  // the refusal while out of descriptors
  std::map<int, Client> clients_;
  std::vector<int> reserve_;  // kReserveFds descriptors, freed while the server refuses or answers
  size_t fd_limit_;           // RLIMIT_NOFILE at start
  bool out_of_fds_ = false;   // accept failed for want of a descriptor, and no client left since
  Clock::time_point listen_paused_until_{};
  bool backing_off_ = false;  // an accept failure was reported and no connection came since
};

}  // namespace

std::string OversizedAnswerLine(size_t max_bytes) {
  return serve::AnswerLine(
      serve::ErrorAnswer(nullptr, "request longer than " + std::to_string(max_bytes) + " bytes"));
}

int ClaimSocket(const std::string& path, unsigned mode) {
  const sockaddr_un addr = Address(path);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw core::ConfigError(path, "", "exists and is not a socket; not replacing it");
    if (SomeoneListens(path, addr)) {
      throw core::ConfigError(
          path, "", "another server is listening on this socket (stop it or choose another --socket)");
    }
    unlink(path.c_str());  // a stale socket of a server that was killed hard
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw core::ConfigError(path, "", Errno("cannot create a socket", errno));
  const mode_t old_mask = umask(~static_cast<mode_t>(mode) & 0777);  // the file is born with `mode`
  const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  umask(old_mask);
  if (bound != 0) {
    close(fd);
    throw core::ConfigError(path, "", Errno("cannot bind", err));
  }
  core::RemoveOnStop(path);  // SIGTERM/SIGINT leave no stale socket behind
  if (listen(fd, SOMAXCONN) != 0) throw core::ConfigError(path, "", Errno("cannot listen", errno));
  return fd;
}

namespace {

// A TCP address parsed from "HOST:PORT": IPv4, "[IPv6]" or "localhost".
struct TcpAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool loopback = false;
};

uint16_t ParsePort(const std::string& text, const std::string& spec) {
  const bool digits =
      !text.empty() && text.size() <= 5 && text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoul(text) > 65535) {
    throw core::ConfigError("--listen", "", "expected HOST:PORT with PORT in 0..65535, got \"" + spec + "\"");
  }
  return static_cast<uint16_t>(std::stoul(text));
}

TcpAddress ParseTcpAddress(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos) {
    throw core::ConfigError("--listen", "", "expected HOST:PORT (127.0.0.1:7000), got \"" + spec + "\"");
  }
  std::string host = spec.substr(0, colon);
  const uint16_t port = ParsePort(spec.substr(colon + 1), spec);
  if (host == "localhost") host = "127.0.0.1";
  TcpAddress a;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.addr);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) == 1) {
      a.len = sizeof *in6;
      a.loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
      return a;
    }
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&a.addr);
  in4->sin_family = AF_INET;
  in4->sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1) {
    throw core::ConfigError(
        "--listen", "",
        "expected an IPv4 address, [IPv6 address] or localhost before the port, got \"" + host + "\"");
  }
  a.len = sizeof *in4;
  a.loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
  return a;
}

std::string AddressText(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&addr);
  inet_ntop(AF_INET, &in4->sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(in4->sin_port));
}

}  // namespace

int ListenTcp(const std::string& spec, bool allow_any, std::string* bound) {
  const TcpAddress a = ParseTcpAddress(spec);
  if (!a.loopback && !allow_any) {
    throw core::ConfigError("--listen", "",
                            "\"" + spec +
                                "\" is not a loopback address; the protocol has no authentication, "
                                "so serving beyond this machine needs --listen-any");
  }
  const int fd = socket(a.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw core::ConfigError("--listen", "", Errno("cannot create a socket", errno));
  const int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // a restart within TIME_WAIT
  if (bind(fd, reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0 || listen(fd, SOMAXCONN) != 0) {
    const int err = errno;
    close(fd);
    throw core::ConfigError("--listen", "", Errno(("cannot listen on " + spec).c_str(), err));
  }
  sockaddr_storage actual{};
  socklen_t len = sizeof actual;
  getsockname(fd, reinterpret_cast<sockaddr*>(&actual), &len);
  *bound = AddressText(actual);
  return fd;
}

void RunSocketServer(int lfd, const ServeLimits& limits, const LineAnswerer& answer) {
  EventLoop(lfd, limits, answer).Run();
}

}  // namespace npusim::app

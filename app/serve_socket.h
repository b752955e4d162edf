// The socket side of `npusim serve` (docs/sweep.md, "npusim serve"): claiming the Unix socket path
// or a loopback TCP port, and one non-blocking event loop over every client, so that no client can
// stall the others. Both listeners get the same loop, protocol and limits.
//
//   const int lfd = ClaimSocket("/tmp/npu.sock", limits.socket_mode);   // throws ConfigError
//   // or: std::string at; const int lfd = ListenTcp("127.0.0.1:0", false, &at);
//   RunSocketServer(lfd, limits, [&](const std::string& line) { return AnswerLineFor(line); });
//
// Each client has its own input line buffer (at most `max_request_bytes` kept), a queue of the
// complete lines it sent and an output buffer. Requests are answered one per client per round
// (round robin), so a client that pipelines thousands of requests delays the others by at most
// one answer each round. A client is cut off (its connection closed, a line on stderr) when
//   - its pending output exceeds `max_pending_output` bytes, or it has pending output and has
//     taken none of it for `write_timeout_s` seconds (it sends requests and does not read);
//   - it has sent part of a line and nothing more for `idle_timeout_s` seconds.
// A connection beyond `max_clients`, or one that comes while the process is out of file
// descriptors, gets one error line and is closed. Out of descriptors, the listener is not polled
// for a short while (no busy loop). A few descriptors kept in reserve, freed while the server
// refuses a connection (or answers a request near its descriptor limit), let it answer that
// connection instead of leaving it in the backlog, and let it still answer its connected clients
// (a simulation child needs a pipe) when they hold every other descriptor.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace npusim::app {

struct ServeLimits {
  size_t max_request_bytes = size_t{1} << 20;   // --max-request-bytes: longest request line
  size_t max_pending_output = size_t{1} << 20;  // --max-pending-output: answers not yet read, bytes
  size_t max_clients = 256;                     // --max-clients: connections served at once
  double idle_timeout_s = 30;                   // --idle-timeout: silence within a line
  double write_timeout_s = 30;                  // --write-timeout: answers pending, none taken
  unsigned socket_mode = 0600;                  // --socket-mode: the socket file's permissions
};

// The error answer line to a request longer than `max_bytes`.
std::string OversizedAnswerLine(size_t max_bytes);

// Binds and listens on `path` with permissions `mode` (set through the umask around bind, so
// the socket never exists with wider ones). A socket file nobody listens on (an earlier server
// killed hard) is replaced. Throws core::ConfigError when the path is too long, exists and is
// not a socket, is held by a live server (it accepted a connection), or cannot be bound. The
// path is removed when a stop signal ends the process. Returns the non-blocking listener.
int ClaimSocket(const std::string& path, unsigned mode);

// Binds and listens on TCP address `spec`, "HOST:PORT" (HOST an IPv4 address, "[IPv6]" or
// "localhost"; PORT 0 picks a free one). Only a loopback address (127.0.0.0/8, ::1) unless
// `allow_any`: the protocol has no authentication. Throws core::ConfigError naming "--listen" for
// a malformed address, a non-loopback one without `allow_any`, or a failed bind. Returns the
// non-blocking listener; *bound is set to the address it listens on, with the port chosen.
int ListenTcp(const std::string& spec, bool allow_any, std::string* bound);

// Answers one complete, non-blank request line with one answer line (newline included).
using LineAnswerer = std::function<std::string(const std::string& line)>;

// Serves the clients of listener `lfd` until the process is stopped by a signal.
[[noreturn]] void RunSocketServer(int lfd, const ServeLimits& limits, const LineAnswerer& answer);

}  // namespace npusim::app

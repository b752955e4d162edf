// `npusim serve --socket` against hostile clients (docs/sweep.md), with the real binary: malformed,
// oversized, too deeply nested and non-UTF-8 requests are answered with an error line each; a
// client that leaves in the middle of an oversized line does not disturb the others; a simulation
// child that dies by a signal becomes an error answer and the next request is served; SIGTERM ends
// the server and removes its socket file. (Parsing alone: serve_request_test.cpp; answers against
// `npusim run`: serve_test.cpp.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/common/child_processes.h"
#include "tests/common/npusim_process.h"
#include "tests/common/unix_socket_client.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// An AddressSanitizer build: its allocator's redzones and quarantine make a process's resident
// memory larger than the product's, so bounds on it hold for the other builds only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

std::string ErrorOf(const json& a) { return a.value("ok", true) ? "(ok)" : a.value("error", "(none)"); }

// Gives up on a blocked send or recv after `seconds` (so a server that stalls fails the test
// instead of hanging it).
void SetTimeouts(int fd, int seconds) {
  const timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Sends as much of `s` as the server takes before it closes the connection.
void SendUntilClosed(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Every line a client is sent until the server closes the connection (closed = true) or nothing
// comes for the client's receive timeout (closed = false).
struct Received {
  std::vector<std::string> lines;
  bool closed = false;
};
Received ReadToClose(int fd, bool first_line_only = false) {
  Received r;
  std::string line;
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return r;
    if (n <= 0) break;  // end of stream, or reset: the server closed it
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line += buf[i];
        continue;
      }
      r.lines.push_back(line);
      line.clear();
      if (first_line_only) return r;
    }
  }
  r.closed = true;
  return r;
}

Received ReadUntilLine(int fd) { return ReadToClose(fd, true); }

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// True when this process may hold `n` descriptors (its soft limit raised up to the hard one if
// needed): a test's own clients need them, whatever limit the shell running the tests set.
bool CanOpenFiles(rlim_t n) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= n) return true;
  if (lim.rlim_max < n) return false;
  lim.rlim_cur = n;
  return setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

// A field of /proc/PID/status in kB ("VmHWM": peak resident memory).
long StatusKb(pid_t pid, const std::string& field) {
  const std::string text = ReadFileText("/proc/" + std::to_string(pid) + "/status");
  const size_t at = text.find(field + ":");
  return at == std::string::npos ? -1 : std::atol(text.c_str() + at + field.size() + 1);
}

// User + system CPU time of a process, in clock ticks.
long CpuTicks(pid_t pid) {
  const std::string stat = ReadFileText("/proc/" + std::to_string(pid) + "/stat");
  long utime = 0, stime = 0;
  const size_t paren = stat.rfind(')');
  // After the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime.
  std::sscanf(stat.c_str() + paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime,
              &stime);
  return utime + stime;
}

// How many of the lines, from the first, answer request i (id i) as `like` answers (same cycles
// and per-layer figures).
size_t InOrderAnswers(const Received& r, const json& like) {
  size_t i = 0;
  for (; i < r.lines.size(); ++i) {
    const json got = json::parse(r.lines[i]);
    if (got["id"] != i || got["cycles"] != like["cycles"] || got["layers"] != like["layers"]) break;
  }
  return i;
}

// Reads every client to its close: how many got exactly the error line `refusal`, and how many
// were closed without any line.
std::pair<size_t, size_t> RefusedAndClosedSilently(const std::vector<int>& clients,
                                                   const std::string& refusal) {
  size_t refused = 0, silent = 0;
  for (const int c : clients) {
    const Received r = ReadToClose(c);
    if (r.closed && r.lines.empty()) ++silent;
    if (r.closed && r.lines.size() == 1 && ErrorOf(json::parse(r.lines[0])) == refusal) ++refused;
  }
  return {refused, silent};
}

class ServeSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    // A socket's path holds at most 107 bytes (sun_path): the directory is named after the process,
    // not the test, and falls back to /tmp under a long TMPDIR.
    const std::string name = "npusim_ss_" + std::to_string(getpid());
    dir_ = fs::temp_directory_path() / name;
    if ((dir_ / "s.sock").string().size() > 100) dir_ = fs::path("/tmp") / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sock_ = (dir_ / "s.sock").string();
  }
  void TearDown() override {
    if (server_ > 0 && waitpid(server_, nullptr, WNOHANG) == 0) {
      kill(server_, SIGKILL);
      waitpid(server_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  // Starts the server (umask 0, stderr to server.err, at most `max_files` descriptors when not 0)
  // and returns a connected client.
  int Start(const std::string& arch, const std::string& net, const std::vector<std::string>& extra = {},
            rlim_t max_files = 0) {
    std::vector<std::string> args{NPUSIM_BINARY, "serve",  "--arch",   Src(arch),
                                  "--net",       Src(net), "--socket", sock_};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string err = (dir_ / "server.err").string();
    server_ = fork();
    if (server_ == 0) {
      umask(0);
      const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0 && dup2(fd, STDERR_FILENO) >= 0) close(fd);
      const rlimit lim{max_files, max_files};
      if (max_files) setrlimit(RLIMIT_NOFILE, &lim);
      execv(NPUSIM_BINARY, argv.data());
      _exit(127);
    }
    for (int i = 0; i < 2000; ++i) {
      const int fd = Connect(sock_);
      if (fd >= 0) return fd;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the server did not start";
    return -1;
  }
  // SIGTERM: the server ends by it and leaves no socket file.
  void ExpectStopsCleanly() {
    ASSERT_EQ(waitpid(server_, nullptr, WNOHANG), 0) << "the server died";
    kill(server_, SIGTERM);
    int status = 0;
    waitpid(server_, &status, 0);
    server_ = -1;
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    EXPECT_FALSE(fs::exists(sock_)) << "stale socket file";
  }

  // `n` connected clients (with receive and send timeouts); fewer when connecting failed.
  std::vector<int> ConnectMany(int n) const {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) {
      const int fd = Connect(sock_);
      if (fd < 0) break;
      SetTimeouts(fd, 120);
      out.push_back(fd);
    }
    return out;
  }
  // Asks `request` (id "b") on a fresh connection, up to `attempts` times 0.1 s apart, until it
  // is answered; the answer ({} when none came).
  json AnswerWhenServed(const std::string& request = "{\"id\": \"b\"}\n", int attempts = 600) const {
    json answer = json::object();
    for (int i = 0; i < attempts && !answer.value("ok", false); ++i) {
      if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const std::vector<int> b = ConnectMany(1);
      if (b.empty()) continue;
      Send(b[0], request);
      const Received r = ReadUntilLine(b[0]);
      if (!r.lines.empty()) answer = json::parse(r.lines[0]);
      close(b[0]);
    }
    return answer.value("id", "") == "b" ? answer : json::object();
  }
  std::string ServerErr() const { return ReadFileText(dir_ / "server.err"); }
  // Waits (generously) until the server's stderr holds `text`.
  bool AwaitServerErr(const std::string& text) const {
    for (int i = 0; i < 1200; ++i) {
      if (ServerErr().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // `npusim serve` on this test's socket with `extra` flags, run to its end.
  ProcessOutcome RunServe(const std::vector<std::string>& extra) {
    std::vector<std::string> args{
        "serve",    "--arch", Src("arch/dense_16x16.json"), "--net", Src("workloads/tiny_conv.json"),
        "--socket", sock_};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunNpusim(args, dir_ / "second.err");
  }
  // A stuck client (sends `requests` requests for per-layer answers, never reads) is cut off by
  // the limit whose message is `cut`, while another client is answered.
  void ExpectStuckClientCut(const std::vector<std::string>& flags, int requests, const std::string& cut);

  fs::path dir_;
  std::string sock_;
  pid_t server_ = -1;
};

void ServeSocket::ExpectStuckClientCut(const std::vector<std::string>& flags, int requests,
                                       const std::string& cut) {
  const int stuck = Start("arch/dense_16x16.json", "workloads/tiny_conv.json", flags);
  ASSERT_GE(stuck, 0);
  SetTimeouts(stuck, 120);
  std::string burst;
  for (int i = 0; i < requests; ++i) burst += "{\"id\": " + std::to_string(i) + ", \"layers\": true}\n";
  SendUntilClosed(stuck, burst);
  const json answer = AnswerWhenServed("{\"id\": \"b\", \"layers\": true}\n", 1);  // within 120 s
  ASSERT_TRUE(answer.value("ok", false)) << answer.dump();
  ASSERT_TRUE(AwaitServerErr("npusim serve: client cut off: " + cut)) << ServerErr();
  // The stuck client gets the answers that were on their way, in order, then the connection ends.
  const Received r = ReadToClose(stuck);
  EXPECT_TRUE(r.closed);
  EXPECT_GT(r.lines.size(), 0u);
  EXPECT_LT(r.lines.size(), static_cast<size_t>(requests));
  EXPECT_EQ(InOrderAnswers(r, answer), r.lines.size());
  EXPECT_EQ(CountOf(ServerErr(), "client cut off"), 1u) << ServerErr();
  close(stuck);
  ExpectStopsCleanly();
}

TEST_F(ServeSocket, HostileRequestsGetAnErrorEachAndServingGoesOn) {
  const int a = Start("arch/dense_16x16.json", "workloads/tiny_conv.json");
  ASSERT_GE(a, 0);
  // b leaves in the middle of an oversized line; c in the middle of a request.
  const int b = Connect(sock_), c = Connect(sock_);
  Send(b, std::string(1536 * 1024, '['));
  close(b);
  Send(c, "{\"id\": \"c\", \"weight");
  close(c);
  Send(a, "not json\n");
  Send(a, "{\"id\": \"" + std::string(2 << 20, 'x') + "\"}\n");
  Send(a, "{\"id\": " + std::string(100000, '[') + std::string(100000, ']') + "}\n");
  Send(a, "\"\xff\xfe\"\n");
  Send(a, "{\"id\": \"after\"}\n");
  EXPECT_EQ(ErrorOf(ReadAnswer(a)).rfind("not a JSON line", 0), 0u);
  EXPECT_EQ(ErrorOf(ReadAnswer(a)), "request longer than 1048576 bytes");
  EXPECT_EQ(ErrorOf(ReadAnswer(a)), "request nested deeper than 64 levels");
  const json bad_utf8 = ReadAnswer(a);  // parses: the answer is valid JSON
  EXPECT_NE(ErrorOf(bad_utf8).find("ill-formed UTF-8"), std::string::npos) << bad_utf8.dump();
  const json after = ReadAnswer(a);
  EXPECT_EQ(after["id"], "after");
  EXPECT_TRUE(after.value("ok", false)) << after.dump();
  close(a);
  const int d = Connect(sock_);
  Send(d, "{\"id\": \"d\"}\n");
  EXPECT_EQ(ReadAnswer(d)["cycles"], after["cycles"]);
  close(d);
  ExpectStopsCleanly();
}

TEST_F(ServeSocket, ASimulationKilledByASignalIsAnErrorAnswer) {
  const int a = Start("arch/dense_16x16.json", "workloads/mobilenet_v1_q8.json");
  ASSERT_GE(a, 0);
  Send(a, "{\"id\": 1}\n");
  const pid_t child = AwaitChild(server_);  // the request's simulation: a forked child of the server
  ASSERT_GT(child, 0) << "no simulation child appeared";
  kill(child, SIGKILL);  // a sanitizer would turn SIGSEGV into an exit
  const json died = ReadAnswer(a);
  EXPECT_EQ(died["id"], 1);
  EXPECT_EQ(ErrorOf(died), "simulation died (signal 9)") << died.dump();
  Send(a, "{\"id\": 2}\n");
  const json next = ReadAnswer(a);
  EXPECT_EQ(next["id"], 2);
  EXPECT_TRUE(next.value("ok", false)) << next.dump();
  EXPECT_GT(next.value("cycles", 0), 1000000);
  close(a);
  ExpectStopsCleanly();
}

TEST_F(ServeSocket, AClientThatSendsAndNeverReadsIsCutAtItsOutputLimit) {
  // 5000 answers of about 800 bytes: far more than the socket buffers and the 64 KiB allowed.
  ExpectStuckClientCut({"--max-pending-output", "65536"}, 5000,
                       "more than 65536 bytes of answers unread (--max-pending-output)");
}

TEST_F(ServeSocket, AClientThatStopsReadingIsCutAfterTheWriteTimeout) {
  // 2000 answers (about 800 bytes each) fill the socket buffers but stay under the output limit.
  ExpectStuckClientCut({"--write-timeout", "1", "--max-pending-output", "16777216"}, 2000,
                       "answers unread for 1 s (--write-timeout)");
}

TEST_F(ServeSocket, IdleClientsWithPartialLinesAreLimitedAndCutAfterTheIdleTimeout) {
  if (!CanOpenFiles(200)) GTEST_SKIP() << "120 clients need more descriptors than this process may open";
  const int probe = Start("arch/dense_16x16.json", "workloads/tiny_conv.json",
                          {"--max-clients", "40", "--idle-timeout", "2"});
  ASSERT_GE(probe, 0);
  SetTimeouts(probe, 120);
  const long peak_before_kb = StatusKb(server_, "VmHWM");
  const std::vector<int> clients = ConnectMany(120);
  ASSERT_EQ(clients.size(), 120u);
  const std::string partial = "{\"id\": \"" + std::string(1000000, 'x');  // no newline, under 1 MiB
  for (const int c : clients) SendUntilClosed(c, partial);
  // The probe and the first 39 are served; the other 81 get one error line and are closed; the 39
  // are closed after 2 s of silence mid-line, without an answer.
  const auto [refused, cut] =
      RefusedAndClosedSilently(clients, "server busy: 40 clients connected (--max-clients); try again later");
  for (const int c : clients) close(c);
  EXPECT_EQ(refused, 81u);
  EXPECT_EQ(cut, 39u);
  EXPECT_EQ(CountOf(ServerErr(), "client cut off: silent mid-request for 2 s (--idle-timeout)"), 39u)
      << ServerErr();
  // 39 partial lines of ~1 MB are held at once (each string up to 2 MiB of capacity), not 120
  // (a product build's memory; under AddressSanitizer the counts above are the bound).
  const long grown_mb = (StatusKb(server_, "VmHWM") - peak_before_kb) / 1024;
  if (!kAddressSanitizer) {
    EXPECT_LT(grown_mb, 39 * 2 + 40) << "peak memory grew by " << grown_mb << " MB";
  }
  // The probe, quiet between requests, is still served.
  Send(probe, "{\"id\": \"probe\"}\n");
  EXPECT_TRUE(ReadAnswer(probe).value("ok", false));
  close(probe);
  ExpectStopsCleanly();
}

TEST_F(ServeSocket, ASecondServerOnALiveSocketExits2AndTheFirstKeepsServing) {
  const int a = Start("arch/dense_16x16.json", "workloads/tiny_conv.json");
  ASSERT_GE(a, 0);
  SetTimeouts(a, 120);
  const ProcessOutcome second = RunServe({});
  EXPECT_EQ(second.exit_code, 2) << second;
  EXPECT_EQ(second.err,
            "npusim: error: " + sock_ +
                ": another server is listening on this socket (stop it or choose another --socket)\n");
  Send(a, "{\"id\": 1}\n");
  EXPECT_TRUE(ReadAnswer(a).value("ok", false));
  close(a);
  const int b = Connect(sock_);
  ASSERT_GE(b, 0);
  SetTimeouts(b, 120);
  Send(b, "{\"id\": 2}\n");
  EXPECT_EQ(ReadAnswer(b)["id"], 2);
  close(b);
  ExpectStopsCleanly();
}

TEST_F(ServeSocket, AStaleSocketFileIsReplacedAndAnyOtherFileIsKept) {
  {  // a socket file nobody listens on, as a server killed by SIGKILL leaves it
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, sock_.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    close(fd);
    ASSERT_TRUE(fs::is_socket(sock_));
  }
  const int a = Start("arch/dense_16x16.json", "workloads/tiny_conv.json");
  ASSERT_GE(a, 0);
  SetTimeouts(a, 120);
  Send(a, "{\"id\": 1}\n");
  EXPECT_TRUE(ReadAnswer(a).value("ok", false));
  close(a);
  ExpectStopsCleanly();
  WriteFileText(sock_, "not a socket\n");
  const ProcessOutcome o = RunServe({});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_EQ(o.err, "npusim: error: " + sock_ + ": exists and is not a socket; not replacing it\n");
  EXPECT_EQ(ReadFileText(sock_), "not a socket\n");
}

TEST_F(ServeSocket, TheSocketIsOwnerOnlyUnderUmask0UnlessWidened) {
  const int a = Start("arch/dense_16x16.json", "workloads/tiny_conv.json");  // umask 0
  ASSERT_GE(a, 0);
  struct stat st {};
  ASSERT_EQ(lstat(sock_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  close(a);
  ExpectStopsCleanly();
  const int b = Start("arch/dense_16x16.json", "workloads/tiny_conv.json", {"--socket-mode", "0660"});
  ASSERT_GE(b, 0);
  ASSERT_EQ(lstat(sock_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  close(b);
  ExpectStopsCleanly();
}

TEST_F(ServeSocket, BadLimitFlagsExit2WithoutASocket) {
  for (const auto& [flag, value, message] :
       {std::make_tuple("--socket-mode", "999",
                        "--socket-mode: expected octal permissions 0000..0777, got \"999\""),
        std::make_tuple("--socket-mode", "01777",
                        "--socket-mode: expected octal permissions 0000..0777, got \"01777\""),
        std::make_tuple("--max-clients", "0", "--max-clients: expected 1..100000, got 0"),
        std::make_tuple("--idle-timeout", "0",
                        "--idle-timeout: expected seconds in (0, 86400], got 0.000000")}) {
    const ProcessOutcome o = RunServe({flag, value});
    EXPECT_EQ(o.exit_code, 2) << o;
    EXPECT_EQ(o.err.rfind(std::string("npusim: ") + message + "\n", 0), 0u) << o.err;
    EXPECT_FALSE(fs::exists(sock_));
  }
}

TEST_F(ServeSocket, ALineOverTheRequestLimitIsAnErrorAnswerAndTheNextIsServed) {
  const int a = Start("arch/dense_16x16.json", "workloads/tiny_conv.json", {"--max-request-bytes", "1000"});
  ASSERT_GE(a, 0);
  SetTimeouts(a, 120);
  Send(a, "{\"id\": \"" + std::string(5000, 'x') + "\"}\n{\"id\": \"" + std::string(900, 'y') + "\"}\n");
  EXPECT_EQ(ErrorOf(ReadAnswer(a)), "request longer than 1000 bytes");
  const json next = ReadAnswer(a);
  EXPECT_EQ(next["id"], std::string(900, 'y'));
  EXPECT_TRUE(next.value("ok", false)) << next.dump();
  close(a);
  ExpectStopsCleanly();
}

TEST_F(ServeSocket, OutOfFileDescriptorsConnectionsAreRefusedWithoutBusyLooping) {
  if (!CanOpenFiles(200)) GTEST_SKIP() << "150 clients need more descriptors than this process may open";
  const int probe = Start("arch/dense_16x16.json", "workloads/tiny_conv.json", {}, 48);
  ASSERT_GE(probe, 0);
  const std::vector<int> clients = ConnectMany(150);
  ASSERT_EQ(clients.size(), 150u);
  // The last connections cannot get a descriptor of their own: each is told so and closed.
  EXPECT_EQ(RefusedAndClosedSilently({clients.back()}, "server out of file descriptors; try again later"),
            std::make_pair(size_t{1}, size_t{0}));
  EXPECT_NE(ServerErr().find("npusim serve: out of file descriptors; refusing connections"),
            std::string::npos);
  // Meanwhile the server sleeps in poll (a busy loop would burn about 2 s of CPU here).
  const long ticks = CpuTicks(server_);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_LT(CpuTicks(server_) - ticks, sysconf(_SC_CLK_TCK) / 2);
  // A connected client is still answered while the others hold every descriptor: the server frees
  // its reserve for the simulation child's pipe (else "cannot make a pipe for a child process").
  SetTimeouts(probe, 120);
  Send(probe, "{\"id\": \"at the limit\"}\n");
  const json at_limit = ReadAnswer(probe);
  EXPECT_EQ(at_limit["id"], "at the limit");
  EXPECT_TRUE(at_limit.value("ok", false)) << at_limit.dump();
  for (const int c : clients) close(c);
  close(probe);
  // Descriptors free again (once the server has seen the clients leave): a new client is served.
  const json answer = AnswerWhenServed();
  EXPECT_TRUE(answer.value("ok", false)) << answer.dump();
  ExpectStopsCleanly();
}

}  // namespace
}  // namespace npusim::testing

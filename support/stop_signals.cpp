// support/stop_signals.h: cleanup and deferral of SIGINT, SIGTERM and SIGHUP.
#include "support/stop_signals.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace npusim::core {
namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr size_t kMaxPaths = 256, kMaxPathBytes = 4096, kMaxPids = 1024;

// A slot is free (0), being filled (1) or ready (2); the handler reads ready slots only.
struct PathSlot {
  std::atomic<int> state{0};
  pid_t owner = 0;
  char path[kMaxPathBytes];
};
PathSlot g_paths[kMaxPaths];
std::atomic<pid_t> g_forward[kMaxPids];
std::atomic<int> g_deferred{0}, g_signal{0};
std::once_flag g_installed;

void RemoveRegistered() {
  const pid_t self = getpid();
  for (size_t i = kMaxPaths; i-- > 0;) {
    PathSlot& s = g_paths[i];
    if (s.state.load() != 2 || s.owner != self) continue;
    if (unlink(s.path) != 0 && (errno == EISDIR || errno == EPERM)) rmdir(s.path);
  }
}

void OnStopSignal(int sig) {
  const int saved_errno = errno;
  if (g_deferred.load()) {
    g_signal.store(sig);
    for (auto& p : g_forward) {
      const pid_t pid = p.load();
      if (pid > 0) kill(pid, sig);
    }
    errno = saved_errno;
    return;
  }
  RemoveRegistered();
  signal(sig, SIG_DFL);
  raise(sig);
}

// Installs the handler for each stop signal that is not ignored (nohup's SIGHUP stays ignored).
void Install() {
  std::call_once(g_installed, [] {
    for (int sig : kStopSignals) {
      struct sigaction old {};
      if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
      struct sigaction sa {};
      sa.sa_handler = OnStopSignal;
      sigemptyset(&sa.sa_mask);
      for (int s : kStopSignals) sigaddset(&sa.sa_mask, s);
      sa.sa_flags = SA_RESTART;  // deferred: waitpid and writes carry on; the caller polls
      sigaction(sig, &sa, nullptr);
    }
  });
}

}  // namespace

void RemoveOnStop(const std::string& path) {
  if (path.size() >= kMaxPathBytes) return;
  Install();
  for (PathSlot& s : g_paths) {
    int expected = 0;
    if (!s.state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(s.path, path.c_str(), path.size() + 1);
    s.owner = getpid();
    s.state.store(2);
    return;
  }
}

void KeepOnStop(const std::string& path) {
  const pid_t self = getpid();
  for (size_t i = kMaxPaths; i-- > 0;) {
    PathSlot& s = g_paths[i];
    if (s.state.load() != 2 || s.owner != self || path != s.path) continue;
    s.state.store(0);
    return;
  }
}

void DeferStopSignals() {
  Install();
  g_deferred.store(1);
}

int StopSignal() { return g_signal.load(); }

void ForwardStopTo(pid_t pid) {
  for (auto& p : g_forward) {
    pid_t expected = 0;
    if (p.compare_exchange_strong(expected, pid)) break;
  }
  // A signal that came between the fork and this registration was passed on to the others but
  // not to `pid`: send it now (if the handler also sent it, the second one changes nothing).
  if (const int sig = g_signal.load()) kill(pid, sig);
}

void StopForwardingTo(pid_t pid) {
  for (auto& p : g_forward) {
    pid_t expected = pid;
    if (p.compare_exchange_strong(expected, 0)) return;
  }
}

void EndByStopSignal() {
  const int sig = g_signal.load();
  if (sig == 0) return;
  RemoveRegistered();
  signal(sig, SIG_DFL);
  raise(sig);
}

StopSignalsBlocked::StopSignalsBlocked() {
  sigset_t block;
  sigemptyset(&block);
  for (int s : kStopSignals) sigaddset(&block, s);
  sigprocmask(SIG_BLOCK, &block, &saved_);
}

StopSignalsBlocked::~StopSignalsBlocked() { sigprocmask(SIG_SETMASK, &saved_, nullptr); }

}  // namespace npusim::core

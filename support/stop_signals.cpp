// support/stop_signals.h: cleanup and deferral of SIGINT, SIGTERM and SIGHUP.
#include "support/stop_signals.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace npusim::core {
namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr size_t kMaxPids = 1024;
constexpr int kMaxTreeDepth = 4;  // result sets are two levels deep (outputs/*.npy)

// One registered path. Nodes are allocated by the registering thread, linked at the list's head
// and never freed: a node whose path was kept (state 0) is reused, so the list is as long as the
// most paths registered at once, with no fixed limit. The handler reads ready nodes (state 2)
// only, in the reverse order of registration (seq).
struct PathNode {
  std::atomic<int> state{0};  // free (0), being filled (1), ready (2)
  pid_t owner = 0;
  bool tree = false;  // a directory removed with everything in it
  uint64_t seq = 0;
  size_t capacity = 0;
  char* path = nullptr;
  PathNode* next = nullptr;  // set before the node is published, never changed after
};
std::atomic<PathNode*> g_paths{nullptr};
std::atomic<uint64_t> g_seq{0};
std::atomic<pid_t> g_forward[kMaxPids];
std::atomic<int> g_deferred{0}, g_signal{0};
std::once_flag g_installed;

void RemoveEntryAt(int dir_fd, const char* name, int depth);

// Removes everything in the directory open as `fd`, with async-signal-safe calls only (getdents64,
// unlinkat, openat, close). Entries removed while listing may hide others: lists again until a
// pass finds nothing (or gives up on entries that cannot be removed).
void EmptyDirectory(int fd, int depth) {
  alignas(8) char buf[1024];
  for (int pass = 0; pass < 64; ++pass) {
    if (lseek(fd, 0, SEEK_SET) != 0) return;
    bool any = false;
    ssize_t n;
    while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
      for (ssize_t off = 0; off < n;) {
        const auto* d = reinterpret_cast<const struct dirent64*>(buf + off);
        off += d->d_reclen;
        if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
        any = true;
        RemoveEntryAt(fd, d->d_name, depth);
      }
    }
    if (!any) return;
  }
}

void RemoveEntryAt(int dir_fd, const char* name, int depth) {
  if (unlinkat(dir_fd, name, 0) == 0 || (errno != EISDIR && errno != EPERM)) return;
  if (depth < kMaxTreeDepth) {
    const int sub = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0) {
      EmptyDirectory(sub, depth + 1);
      close(sub);
    }
  }
  unlinkat(dir_fd, name, AT_REMOVEDIR);
}

void RemovePath(const PathNode& n) {
  if (n.tree) {
    const int fd = open(n.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      EmptyDirectory(fd, 1);
      close(fd);
    }
  }
  if (unlink(n.path) != 0 && (errno == EISDIR || errno == EPERM)) rmdir(n.path);
}

// The ready nodes of this process, newest registration first (a selection by seq: the handler
// may not allocate, and the list is short).
void RemoveRegistered() {
  const pid_t self = getpid();
  uint64_t below = UINT64_MAX;
  for (;;) {
    const PathNode* next = nullptr;
    for (const PathNode* n = g_paths.load(); n; n = n->next) {
      if (n->state.load() != 2 || n->owner != self || n->seq >= below) continue;
      if (!next || n->seq > next->seq) next = n;
    }
    if (!next) return;
    below = next->seq;
    RemovePath(*next);
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

void Register(const std::string& path, bool tree) {
  Install();
  PathNode* node = nullptr;
  for (PathNode* n = g_paths.load(); n && !node; n = n->next) {
    int expected = 0;
    if (n->capacity > path.size() && n->state.compare_exchange_strong(expected, 1)) node = n;
  }
  if (!node) {  // a new node, published already being filled
    node = new PathNode;
    node->state.store(1);
    node->capacity = std::max<size_t>(path.size() + 1, 256);
    node->path = new char[node->capacity];
    node->next = g_paths.load();
    while (!g_paths.compare_exchange_weak(node->next, node)) {
    }
  }
  std::memcpy(node->path, path.c_str(), path.size() + 1);
  node->owner = getpid();
  node->tree = tree;
  node->seq = g_seq.fetch_add(1) + 1;
  node->state.store(2);
}

}  // namespace

void RemoveOnStop(const std::string& path) { Register(path, false); }

void RemoveTreeOnStop(const std::string& dir) { Register(dir, true); }

void KeepOnStop(const std::string& path) {
  const pid_t self = getpid();
  PathNode* newest = nullptr;
  for (PathNode* n = g_paths.load(); n; n = n->next) {
    if (n->state.load() != 2 || n->owner != self || path != n->path) continue;
    if (!newest || n->seq > newest->seq) newest = n;
  }
  if (newest) newest->state.store(0);
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

#include "sim/child.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include "support/error.h"
#include "support/stop_signals.h"

namespace npusim::sim {
namespace {

struct Child {
  pid_t pid = -1;
  int fd = -1;  // the read end of its pipe; -1 once read to the end
  ChildOutcome outcome;
};

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone: nobody to answer
    off += static_cast<size_t>(n);
  }
}

// In the child: run the body, answer, end without unwinding anything of the parent's.
[[noreturn]] void BeChild(const ChildBody& body, int read_fd, int write_fd) {
  close(read_fd);
  std::string out;
  int code = 0;
  try {
    out = body();
  } catch (const core::ConfigError& e) {
    out = e.what();
    code = 2;  // invalid input, as the command line's exit code says
  } catch (const std::exception& e) {
    out = e.what();
    code = 1;
  } catch (...) {
    out = "unknown exception";
    code = 1;
  }
  WriteAll(write_fd, out);
  _exit(code);
}

Child Start(const ChildBody& body) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("cannot make a pipe for a child process");
  std::fflush(nullptr);  // else buffered output would be written twice, by both processes
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("cannot fork a child process");
  }
  if (pid == 0) BeChild(body, fds[0], fds[1]);
  close(fds[1]);
  core::ForwardStopTo(pid);
  return Child{pid, fds[0], {}};
}

// Reads every child's pipe to its end, whichever answers first (a child blocked on a full pipe
// must not wait for its sibling's reader).
void ReadAll(std::vector<Child>& children) {
  char buf[65536];
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Child*> owner;
    for (Child& c : children) {
      if (c.fd < 0) continue;
      fds.push_back({c.fd, POLLIN, 0});
      owner.push_back(&c);
    }
    if (fds.empty()) return;
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("poll failed while reading child processes");
    }
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      const ssize_t n = read(fds[k].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        owner[k]->outcome.output.append(buf, static_cast<size_t>(n));
        continue;
      }
      close(fds[k].fd);
      owner[k]->fd = -1;
    }
  }
}

// How a reaped child ended (its output left as it is).
void SetEnd(int status, ChildOutcome& o) {
  o.exited = WIFEXITED(status);
  o.exit_code = o.exited ? WEXITSTATUS(status) : 0;
  o.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

void Reap(Child& c) {
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  core::StopForwardingTo(c.pid);
  SetEnd(status, c.outcome);
}

// In the child: stdout and stderr to the files, then the program; exit 127 when it cannot start.
[[noreturn]] void BeProgram(std::vector<std::string> argv, const std::string& out_file,
                            const std::string& err_file) {
  const int fo = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int fe = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fo < 0 || fe < 0) _exit(127);
  dup2(fo, STDOUT_FILENO);
  dup2(fe, STDERR_FILENO);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

}  // namespace

std::string ChildOutcome::Describe() const {
  if (ok()) return "ok";
  if (!exited) return "killed by signal " + std::to_string(signal);
  return "exit " + std::to_string(exit_code) + (output.empty() ? "" : ": " + output);
}

ChildOutcome RunInChild(const ChildBody& body) { return RunInChildren({body}).front(); }

std::vector<ChildOutcome> RunInChildren(const std::vector<ChildBody>& bodies) {
  std::vector<Child> children;
  children.reserve(bodies.size());
  std::exception_ptr failed;
  for (const ChildBody& body : bodies) {
    try {
      children.push_back(Start(body));
    } catch (...) {
      failed = std::current_exception();
      break;
    }
  }
  try {
    ReadAll(children);
  } catch (...) {
    if (!failed) failed = std::current_exception();
    for (Child& c : children) {
      if (c.fd >= 0) close(c.fd);
    }
  }
  for (Child& c : children) Reap(c);
  if (failed) std::rethrow_exception(failed);
  std::vector<ChildOutcome> out;
  for (Child& c : children) out.push_back(std::move(c.outcome));
  return out;
}

pid_t StartProgram(const std::vector<std::string>& argv, const std::string& out_file,
                   const std::string& err_file) {
  std::fflush(nullptr);  // else buffered output would be written twice, by both processes
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot fork a child process");
  if (pid == 0) BeProgram(argv, out_file, err_file);
  core::ForwardStopTo(pid);
  return pid;
}

Ended WaitAnyChild() {
  int status = 0;
  const pid_t pid = waitpid(-1, &status, 0);
  if (pid < 0 && errno == EINTR) return {};
  if (pid < 0) throw std::runtime_error("waitpid failed");
  core::StopForwardingTo(pid);
  Ended e;
  e.pid = pid;
  SetEnd(status, e.outcome);
  return e;
}

}  // namespace npusim::sim

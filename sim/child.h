// Functions run in forked child processes, each answer back through a pipe.
//
// SystemC elaborates once per process (docs/design-decisions.md), so every simulation after the
// first in a process runs in a child: `npusim serve` per request, `npusim lut` per worker and
// entry, the tests per case. The child inherits the parent's loaded arch and network
// copy-on-write, runs the body, writes the string it returns to a pipe and ends with _exit (no
// destructors, no atexit handlers: the parent owns every resource the child inherited). The
// parent reads every pipe to its end, then reaps each child (waitpid retried on EINTR), and passes
// a deferred stop signal on to the children while they run (support/stop_signals.h).
//
//   sim::ChildOutcome o = sim::RunInChild([&] { return Simulate(arch, g).dump(); });
//   if (!o.ok()) ... o.Describe() ...   // "exit 1: <message>" or "killed by signal 9"
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace npusim::sim {

struct ChildOutcome {
  bool exited = false;  // ended by _exit (else killed by a signal)
  // When exited: 0 after the body returned, 2 after it threw core::ConfigError (invalid input,
  // the command line's exit code), 1 after it threw anything else.
  int exit_code = 0;
  int signal = 0;      // when killed
  std::string output;  // what the body returned, or the message of what it threw
  bool ok() const { return exited && exit_code == 0; }
  // "exit N: <output>" or "killed by signal N" (for messages; "ok" when ok()).
  std::string Describe() const;
};

using ChildBody = std::function<std::string()>;

// Runs `body` in a child process and waits for it. Throws std::runtime_error when the pipe or the
// fork cannot be made.
ChildOutcome RunInChild(const ChildBody& body);

// Runs bodies[i] in child i, all at once (their pipes read as the answers come), and waits for
// every one; outcomes in the order of `bodies`. The children started before a failed fork are
// still reaped before it throws.
std::vector<ChildOutcome> RunInChildren(const std::vector<ChildBody>& bodies);

// A program (exec'd, not a function of this one) in a child process, for a command that runs
// `npusim run` once per design point: stdout and stderr to the two files, stop signals forwarded
// to it until it is reaped. Returns its pid; a program that cannot start ends with exit 127.
// Throws std::runtime_error when it cannot fork.
pid_t StartProgram(const std::vector<std::string>& argv, const std::string& out_file,
                   const std::string& err_file);

// Waits for any child process to end and stops forwarding stop signals to it: its pid and how it
// ended (no output), or pid 0 when a signal interrupted the wait (the caller checks
// core::StopSignal and waits again). Throws std::runtime_error when there is no child.
struct Ended {
  pid_t pid = 0;
  ChildOutcome outcome;
};
Ended WaitAnyChild();

}  // namespace npusim::sim

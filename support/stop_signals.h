// What a SIGINT, SIGTERM or SIGHUP leaves behind (docs/design-decisions.md). By default
// these signals end the process as they always do, after removing the paths registered here
// (temporary files of writes in progress, output directories a run created and has not filled
// yet), so a killed run leaves the previous results intact and no partial files. A process that
// must finish a step before stopping (`npusim sweep` records whole rows and reaps its children)
// defers them instead: the handler then only records the signal and passes it on to the child
// processes registered here.
//
//   core::RemoveOnStop(tmp);       // write tmp ...
//   rename(tmp, path);
//   core::KeepOnStop(tmp);
//
// The handler uses only async-signal-safe calls (unlink, rmdir, getdents64, unlinkat, kill,
// raise). The registered paths are a list that grows as needed (no fixed limit: a result set
// registers one staging directory, removed with its contents, not each of its files); paths are
// removed only by the process that registered them, so a forked child (serve) killed on its own
// never removes its parent's files.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>

namespace npusim::core {

// Removes `path` (a file, or an empty directory) if a stop signal ends this process before
// KeepOnStop(path). Paths are removed in the reverse order of registration (a directory's files
// before it).
void RemoveOnStop(const std::string& path);
// Removes directory `dir` with everything in it (up to four levels deep; symbolic links are
// removed, never followed) if a stop signal ends this process before KeepOnStop(dir).
void RemoveTreeOnStop(const std::string& dir);
// Ends the latest registration of `path` by this process.
void KeepOnStop(const std::string& path);

// From now on a stop signal does not end the process: StopSignal() returns it (0 before any)
// and the signal is sent on to every pid registered with ForwardStopTo (a pid registered after
// the signal came gets it on registration). The process must poll StopSignal() and finally call
// EndByStopSignal().
void DeferStopSignals();
int StopSignal();
void ForwardStopTo(pid_t pid);
void StopForwardingTo(pid_t pid);

// Cleans up as the default handler would and ends the process by the recorded signal (so its
// parent sees it killed by that signal). Returns only if no stop signal was recorded.
void EndByStopSignal();

// Stop signals blocked for the lifetime of the object (renaming a set of result files into place
// is all or nothing); a signal that arrives meanwhile is delivered when it ends.
class StopSignalsBlocked {
 public:
  StopSignalsBlocked();
  ~StopSignalsBlocked();
  StopSignalsBlocked(const StopSignalsBlocked&) = delete;
  StopSignalsBlocked& operator=(const StopSignalsBlocked&) = delete;

 private:
  sigset_t saved_;
};

}  // namespace npusim::core

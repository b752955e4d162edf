// Result files replace their previous versions together or not at all (support/atomic_file.h), and
// a process ended by SIGINT/SIGTERM leaves no temporary behind (support/stop_signals.h): checked on
// files in a scratch directory, with the signals raised in forked children. The whole program's
// behaviour (a long run killed, a sweep stopped and resumed) is in tests/app/interrupt_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/stop_signals.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::WriteFile;

// Every file under `dir` with its content.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    out[fs::relative(e.path(), dir).string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

// Runs `body` in a forked child; returns its wait status.
template <class Body>
int InChild(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(FileSet, CommitReplacesEveryFileAndLeavesNoTemporary) {
  const std::string d = ScratchDir();
  WriteFile(d + "/a", "old a");
  FileSet f;
  f.Stage(d + "/a", "new a");
  f.Stage(d + "/b", "new b");
  EXPECT_EQ(Contents(d).at("a"), "old a");  // nothing replaced before Commit
  f.Commit();
  EXPECT_EQ(Contents(d), (std::map<std::string, std::string>{{"a", "new a"}, {"b", "new b"}}));
}

TEST(FileSet, AFailingStageLeavesThePreviousFilesAndNoTemporary) {
  const std::string d = ScratchDir();
  WriteFile(d + "/a", "old a");
  FileSet f;
  f.Stage(d + "/a", "new a");
  try {
    f.Stage(d + "/no/such/dir/b", "new b");
    FAIL() << "staging into a missing directory succeeded";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(d + "/no/such/dir/b: cannot write file"), std::string::npos)
        << e.what();
  }
  f.Commit();  // nothing left to commit: the failure discarded the set
  EXPECT_EQ(Contents(d), (std::map<std::string, std::string>{{"a", "old a"}}));
}

TEST(FileSet, AnUncommittedSetIsDiscarded) {
  const std::string d = ScratchDir();
  WriteFile(d + "/a", "old a");
  {
    FileSet f;
    f.Stage(d + "/a", "new a");
  }
  EXPECT_EQ(Contents(d), (std::map<std::string, std::string>{{"a", "old a"}}));
}

TEST(StopSignals, ATerminatedWriterLeavesThePreviousFilesAndNoTemporary) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    const std::string d = ScratchDir();
    WriteFile(d + "/a", "old a");
    const int status = InChild([&] {
      FileSet f;
      f.Stage(d + "/a", "new a");
      f.Stage(d + "/b", "new b");
      raise(sig);
      f.Commit();
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << sig;
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_EQ(Contents(d), (std::map<std::string, std::string>{{"a", "old a"}})) << sig;
  }
}

TEST(StopSignals, ASignalDuringCommitWaitsUntilEveryFileIsInPlace) {
  const std::string d = ScratchDir();
  const int status = InChild([&] {
    FileSet f;
    f.Stage(d + "/a", "new a");
    f.Stage(d + "/b", "new b");
    const StopSignalsBlocked blocked;  // as inside Commit
    raise(SIGTERM);
    f.Commit();
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(Contents(d), (std::map<std::string, std::string>{{"a", "new a"}, {"b", "new b"}}));
}

TEST(StopSignals, RegisteredDirectoriesAreRemovedOnlyWhenEmptyAndOnlyByTheirOwner) {
  const std::string d = ScratchDir();
  fs::create_directories(d + "/empty");
  fs::create_directories(d + "/full");
  WriteFile(d + "/full/x", "x");
  const int status = InChild([&] {
    RemoveOnStop(d + "/empty");
    RemoveOnStop(d + "/full");
    RemoveOnStop(d + "/kept");
    KeepOnStop(d + "/kept");
    // A forked child of this process, killed on its own, removes nothing of its parent's.
    const int grandchild = InChild([] { raise(SIGTERM); });
    if (!WIFSIGNALED(grandchild) || !fs::exists(d + "/empty")) _exit(3);
    fs::create_directories(d + "/kept");
    raise(SIGTERM);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_FALSE(fs::exists(d + "/empty"));
  EXPECT_TRUE(fs::exists(d + "/full/x"));
  EXPECT_TRUE(fs::exists(d + "/kept"));
}

TEST(StopSignals, DeferredSignalsAreRecordedForwardedAndEndTheProcessLater) {
  const std::string d = ScratchDir();
  const int status = InChild([&] {
    DeferStopSignals();
    int ready[2];
    if (pipe(ready) != 0) _exit(5);
    const pid_t sleeper = fork();
    if (sleeper == 0) {  // as a point's process after exec: default handlers
      signal(SIGTERM, SIG_DFL);
      if (write(ready[1], "r", 1) != 1) _exit(5);
      pause();
      _exit(0);
    }
    char c;
    if (read(ready[0], &c, 1) != 1) _exit(5);
    ForwardStopTo(sleeper);
    RemoveOnStop(d + "/tmp");
    WriteFile(d + "/tmp", "partial");
    raise(SIGTERM);
    int s = 0;
    waitpid(sleeper, &s, 0);
    // Still running: the signal was recorded and passed on, the file is still there.
    if (StopSignal() != SIGTERM || !WIFSIGNALED(s) || WTERMSIG(s) != SIGTERM || !fs::exists(d + "/tmp"))
      _exit(3);
    EndByStopSignal();
    _exit(4);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_FALSE(fs::exists(d + "/tmp"));
}

// The sweep forks a point, then registers it: a signal in between must still reach the point
// (a CI run once recorded the result of a point that ran on after its sweep was stopped).
TEST(StopSignals, AChildRegisteredAfterTheSignalGetsItOnRegistration) {
  const int status = InChild([&] {
    DeferStopSignals();
    int ready[2];
    if (pipe(ready) != 0) _exit(5);
    const pid_t sleeper = fork();
    if (sleeper == 0) {
      signal(SIGTERM, SIG_DFL);
      alarm(10);  // unstopped, it ends by SIGALRM instead of hanging the test
      if (write(ready[1], "r", 1) != 1) _exit(5);
      pause();
      _exit(0);
    }
    char c;
    if (read(ready[0], &c, 1) != 1) _exit(5);
    raise(SIGTERM);  // before the registration: passed on to nobody yet
    if (StopSignal() != SIGTERM) _exit(3);
    ForwardStopTo(sleeper);
    int s = 0;
    waitpid(sleeper, &s, 0);
    StopForwardingTo(sleeper);
    _exit(WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM ? 0 : 6);
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "6: the child was not stopped";
}

}  // namespace
}  // namespace npusim::core

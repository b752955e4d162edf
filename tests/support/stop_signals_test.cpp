// Result files replace their previous versions together or not at all (support/atomic_file.h), a
// result set replaces its whole directory with one rename (support/result_dir.h), and a process
// ended by SIGINT/SIGTERM leaves no temporary behind (support/stop_signals.h): checked on
// files in a scratch directory, with the signals raised in forked children. The whole program's
// behaviour (a long run killed, a sweep stopped and resumed) is in tests/app/interrupt_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/result_dir.h"
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

// The names in directory `dir` (not recursive), sorted.
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The ConfigError message of `body`, or "" when it throws none.
template <class Body>
std::string ErrorOf(Body body) {
  try {
    body();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
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

TEST(FileSet, AFailingRenamePutsBackTheFilesRenamedBeforeIt) {
  const std::string d = ScratchDir();
  WriteFile(d + "/a", "old a");
  fs::create_directories(d + "/c/x");  // a directory where the third file goes: its rename fails
  FileSet f;
  f.Stage(d + "/a", "new a");
  f.Stage(d + "/b", "new b");
  f.Stage(d + "/c", "new c");
  const std::string e = ErrorOf([&] { f.Commit(); });
  EXPECT_EQ(e.find(d + "/c: cannot write file: "), 0u) << e;
  EXPECT_EQ(Contents(d), (std::map<std::string, std::string>{{"a", "old a"}}));
  EXPECT_EQ(Names(d), (std::vector<std::string>{"a", "c"}));
}

TEST(FileSet, AFailedStageSaysWhy) {
  const std::string d = ScratchDir();
  FileSet f;
  EXPECT_EQ(ErrorOf([&] { f.Stage(d + "/missing/a", "a"); }),
            d + "/missing/a: cannot write file: No such file or directory");
}

// ---- result sets (support/result_dir.h) ----

TEST(ResultDir, ReplacesTheWholeSetLeavingNoStaleFileAndNoStaging) {
  const std::string d = ScratchDir(), out = d + "/out";
  {
    ResultDir first(out);
    first.Write("report.json", "old report");
    first.Write("outputs/old_net.npy", "old values");
    first.Commit();
  }
  ResultDir second(out);
  second.Write("outputs/y.npy", "new values");
  second.Write("report.json", "new report");
  // Until the commit a reader sees the first set, and the new one only in its staging directory.
  EXPECT_EQ(Contents(out).at("outputs/old_net.npy"), "old values");
  EXPECT_EQ(Names(d).size(), 2u);
  second.Commit();
  const std::string marker = "npusim result set: the next result set written here replaces this directory\n";
  EXPECT_EQ(Contents(out),
            (std::map<std::string, std::string>{
                {".npusim-result", marker}, {"outputs/y.npy", "new values"}, {"report.json", "new report"}}));
  EXPECT_EQ(Names(d), std::vector<std::string>{"out"});
}

TEST(ResultDir, AnUncommittedSetLeavesThePreviousOneAndNoStaging) {
  const std::string d = ScratchDir(), out = d + "/out";
  fs::create_directories(out);
  WriteFile(out + "/report.json", "old");  // a set written before the marker existed
  {
    ResultDir set(out);
    set.Write("report.json", "new");
  }
  EXPECT_EQ(Contents(out), (std::map<std::string, std::string>{{"report.json", "old"}}));
  EXPECT_EQ(Names(d), std::vector<std::string>{"out"});
  // One created for the set is removed again.
  { ResultDir set(d + "/fresh"); }
  EXPECT_EQ(Names(d), std::vector<std::string>{"out"});
}

TEST(ResultDir, RefusesAFileADirectoryOfForeignFilesAndAnUnwritableParent) {
  const std::string d = ScratchDir();
  WriteFile(d + "/file", "x");
  EXPECT_EQ(ErrorOf([&] { ResultDir set(d + "/file"); }),
            d + "/file: cannot use the output directory: it exists and is not a directory");
  EXPECT_EQ(ErrorOf([&] { ResultDir::Check(d + "/file"); }),
            d + "/file: cannot use the output directory: it exists and is not a directory");
  ResultDir::Check(d + "/new/deeper");  // usable, and nothing is created to find that out
  EXPECT_FALSE(fs::exists(d + "/new"));
  fs::create_directories(d + "/home/outputs");
  WriteFile(d + "/home/report.json", "r");
  WriteFile(d + "/home/notes.txt", "mine");
  WriteFile(d + "/home/outputs/plot.png", "mine");
  const std::string e = ErrorOf([&] { ResultDir set(d + "/home"); });
  EXPECT_EQ(e.find(d + "/home: cannot use the output directory: it holds files that are not an npusim result "
                       "set (notes.txt, outputs/plot.png); "),
            0u)
      << e;
  EXPECT_EQ(Contents(d + "/home").size(), 3u);
  if (geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  fs::create_directories(d + "/ro/out");
  fs::permissions(d + "/ro", fs::perms::owner_read | fs::perms::owner_exec);
  const std::string ro = ErrorOf([&] { ResultDir set(d + "/ro/out"); });
  fs::permissions(d + "/ro", fs::perms::owner_all);
  EXPECT_EQ(ro, d + "/ro/out: cannot replace the output directory: its parent directory " + d +
                    "/ro is not writable: Permission denied");
}

TEST(ResultDir, AWriteErrorNamesTheFileAndSaysWhy) {
  const std::string d = ScratchDir();
  ResultDir set(d + "/out");
  set.Write("outputs/a.npy", "a");
  EXPECT_EQ(ErrorOf([&] { set.Write("outputs/a.npy/b.npy", "b"); }),
            d + "/out/outputs/a.npy/b.npy: cannot write file: Not a directory");
}

TEST(ShortFileStem, KeepsShortNamesAndHashesLongOnes) {
  EXPECT_EQ(ShortFileStem("y"), "y");
  EXPECT_EQ(ShortFileStem(std::string(200, 'n')), std::string(200, 'n'));
  // FNV-1a 64 of the whole stem, computed apart (Python).
  EXPECT_EQ(ShortFileStem(std::string(300, 'n')), std::string(100, 'n') + "-a4cf91b7088f4495");
  EXPECT_NE(ShortFileStem(std::string(299, 'n') + "m"), ShortFileStem(std::string(300, 'n')));
  // The prefix ends at a character boundary: 99 bytes and a 2-byte character do not fit in 100.
  const std::string utf8 = std::string(99, 'a') + "\xc3\xa9" + std::string(200, 'b');
  EXPECT_EQ(ShortFileStem(utf8).substr(0, 100), std::string(99, 'a') + "-");
}

TEST(StopSignals, ATerminatedResultSetLeavesNoStagingWhateverItsSize) {
  // 1000 files: more than any fixed table of temporaries held (it had 256 slots).
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    const std::string d = ScratchDir(), out = d + "/out";
    fs::create_directories(out);
    WriteFile(out + "/" + kResultMarker, "");
    WriteFile(out + "/report.json", "old");
    const int status = InChild([&] {
      ResultDir set(out);
      for (int i = 0; i < 1000; ++i) set.Write("outputs/y" + std::to_string(i) + ".npy", "v");
      FileSet loose;  // and 1000 files staged one by one beside their targets
      for (int i = 0; i < 1000; ++i) loose.Stage(d + "/f" + std::to_string(i), "f");
      raise(sig);
      set.Commit();
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << sig;
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_EQ(Contents(out),
              (std::map<std::string, std::string>{{kResultMarker, ""}, {"report.json", "old"}}));
    EXPECT_EQ(Names(d), std::vector<std::string>{"out"}) << sig;
  }
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

// sim::RunInChild / RunInChildren: answers come back whole and in order, a throwing body is an
// exit 1 with its message (a ConfigError exit 2), a killed child is reported by its signal, the parent's
// memory is never changed by a child, and a large answer from several children at once does not deadlock.
#include "sim/child.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/error.h"

namespace npusim::sim {
namespace {

TEST(RunInChild, ReturnsTheBodysAnswer) {
  const ChildOutcome o =
      RunInChild([] { return std::string("answer from ") + (getpid() > 0 ? "child" : "?"); });
  EXPECT_TRUE(o.ok()) << o.Describe();
  EXPECT_EQ(o.output, "answer from child");
  EXPECT_EQ(o.Describe(), "ok");
}

TEST(RunInChild, RunsInAnotherProcessAndLeavesTheParentsMemoryAlone) {
  int value = 1;
  const pid_t parent = getpid();
  const ChildOutcome o = RunInChild([&] {
    value = 2;  // the child's copy-on-write image only
    return std::to_string(getpid() != parent);
  });
  EXPECT_EQ(o.output, "1");
  EXPECT_EQ(value, 1);
}

TEST(RunInChild, AThrowingBodyIsExitOneWithItsMessage) {
  const ChildOutcome o =
      RunInChild([]() -> std::string { throw std::runtime_error("no such layer \"fc9\""); });
  EXPECT_FALSE(o.ok());
  EXPECT_TRUE(o.exited);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.output, "no such layer \"fc9\"");
  EXPECT_EQ(o.Describe(), "exit 1: no such layer \"fc9\"");
}

// Invalid input in the child is the command line's exit 2 (FiguresInChild marks it "invalid_input").
TEST(RunInChild, AConfigErrorIsExitTwoWithItsMessage) {
  const ChildOutcome o = RunInChild([]() -> std::string {
    throw core::ConfigError("request", "/weight_bits/conv9", "no layer named \"conv9\"");
  });
  EXPECT_TRUE(o.exited);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.output, "request: /weight_bits/conv9: no layer named \"conv9\"");
}

TEST(RunInChild, AKilledChildIsReportedByItsSignal) {
  const ChildOutcome o = RunInChild([]() -> std::string {
    raise(SIGKILL);
    return "unreachable";
  });
  EXPECT_FALSE(o.ok());
  EXPECT_FALSE(o.exited);
  EXPECT_EQ(o.signal, SIGKILL);
  EXPECT_EQ(o.output, "");
  EXPECT_EQ(o.Describe(), "killed by signal 9");
}

// Each answer is larger than a pipe's buffer (64 KiB on Linux): children block until the parent
// reads them, so the parent must read all pipes as they fill, not one child at a time.
TEST(RunInChildren, ManyLargeAnswersComeBackWholeAndInOrder) {
  std::vector<ChildBody> bodies;
  for (int k = 0; k < 4; ++k) {
    bodies.push_back([k] { return std::string(300000, static_cast<char>('a' + k)); });
  }
  const std::vector<ChildOutcome> out = RunInChildren(bodies);
  ASSERT_EQ(out.size(), 4u);
  for (int k = 0; k < 4; ++k) {
    EXPECT_TRUE(out[k].ok()) << k << ": " << out[k].Describe();
    EXPECT_EQ(out[k].output, std::string(300000, static_cast<char>('a' + k))) << k;
  }
}

TEST(RunInChildren, NoBodiesNoChildren) { EXPECT_TRUE(RunInChildren({}).empty()); }

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(StartProgram, WritesItsOutputToTheFilesAndIsReapedWithItsExitCode) {
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "/npusim_start_program.out", err = dir + "/npusim_start_program.err";
  const pid_t pid = StartProgram({"/bin/sh", "-c", "echo to out; echo to err >&2; exit 3"}, out, err);
  Ended e;
  while (e.pid == 0) e = WaitAnyChild();
  EXPECT_EQ(e.pid, pid);
  EXPECT_TRUE(e.outcome.exited);
  EXPECT_EQ(e.outcome.exit_code, 3);
  EXPECT_EQ(e.outcome.Describe(), "exit 3");
  EXPECT_EQ(ReadText(out), "to out\n");
  EXPECT_EQ(ReadText(err), "to err\n");
}

TEST(StartProgram, AProgramThatCannotStartEndsWithExit127) {
  const std::string dir = ::testing::TempDir();
  StartProgram({"/nonexistent/npusim"}, dir + "/npusim_no_program.out", dir + "/npusim_no_program.err");
  Ended e;
  while (e.pid == 0) e = WaitAnyChild();
  EXPECT_TRUE(e.outcome.exited);
  EXPECT_EQ(e.outcome.exit_code, 127);
}

TEST(WaitAnyChild, ThrowsWhenThereIsNoChild) { EXPECT_THROW(WaitAnyChild(), std::runtime_error); }

}  // namespace
}  // namespace npusim::sim

// `npusim serve --socket` against hostile clients (docs/sweep.md), with the real binary: malformed,
// oversized, too deeply nested and non-UTF-8 requests are answered with an error line each; a
// client that leaves in the middle of an oversized line does not disturb the others; a simulation
// child that dies by a signal becomes an error answer and the next request is served; SIGTERM ends
// the server and removes its socket file. (Parsing alone: serve_request_test.cpp; answers against
// `npusim run`: serve_test.cpp.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

std::string ErrorOf(const json& a) { return a.value("ok", true) ? "(ok)" : a.value("error", "(none)"); }

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

  // Starts the server and returns a connected client.
  int Start(const std::string& arch, const std::string& net) {
    server_ = fork();
    if (server_ == 0) {
      execl(NPUSIM_BINARY, NPUSIM_BINARY, "serve", "--arch", Src(arch).c_str(), "--net", Src(net).c_str(),
            "--socket", sock_.c_str(), static_cast<char*>(nullptr));
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

  fs::path dir_;
  std::string sock_;
  pid_t server_ = -1;
};

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

}  // namespace
}  // namespace npusim::testing

// `npusim serve` as a client uses it (the real binary): answers equal `npusim run` on the same
// network and weight bits; malformed, oversized and unknown requests get an error line and the
// server goes on; on a Unix socket, clients' partial lines do not mix and a client that leaves
// mid-request does not stop the server; over TCP (--listen, loopback only unless --listen-any)
// the same protocol and limits hold.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/common/npusim_process.h"
#include "tests/common/unix_socket_client.h"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("npusim_serve_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Serves `requests` on stdin; returns the answer lines.
  std::vector<json> ServeStdio(const std::string& arch, const std::string& net, const std::string& requests,
                               const std::string& extra = "") {
    WriteFileText(dir_ / "requests.txt", requests);
    const std::string cmd = ShellQuoted(NPUSIM_BINARY) + " serve --arch " + ShellQuoted(Src(arch)) +
                            " --net " + ShellQuoted(Src(net)) + " " + extra + " <" +
                            ShellQuoted((dir_ / "requests.txt").string()) + " >" +
                            ShellQuoted((dir_ / "answers.txt").string());
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::vector<json> out;
    std::istringstream in(ReadFileText(dir_ / "answers.txt"));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
  json RunReport(const std::string& arch, const std::string& net, const std::string& bits,
                 const std::string& activation_bits = "") {
    std::vector<std::string> args{"--arch", Src(arch), "--net", Src(net), "--out", (dir_ / "run").string(),
                                  "--check"};
    if (!bits.empty()) args.insert(args.end(), {"--weight-bits", bits});
    if (!activation_bits.empty()) args.insert(args.end(), {"--activation-bits", activation_bits});
    const ProcessOutcome o = RunNpusim(args, dir_ / "err.txt");
    EXPECT_EQ(o.exit_code, 0) << o;
    return json::parse(ReadFileText(dir_ / "run" / "report.json"));
  }

  fs::path dir_;
};

void ExpectSameAsRun(const json& a, const json& rep) {
  ASSERT_TRUE(a.value("ok", false)) << a.dump();
  EXPECT_EQ(a["cycles"], rep["cycles"]);
  EXPECT_EQ(a["seconds"], rep["seconds"]);
  EXPECT_EQ(a["energy_pj"], rep["energy_pj"]);  // bit for bit: the same sum in the same order
  EXPECT_EQ(a["macs"], rep["macs"]);
  EXPECT_EQ(a["dram_read_bytes"], rep["counters"]["dram.read_byte"]);
  EXPECT_EQ(a["dram_write_bytes"], rep["counters"]["dram.write_byte"]);
  for (const char* k : {"tops_per_w", "peak_tops", "area_mm2", "area", "tops_per_mm2", "peak_tops_per_mm2"}) {
    ASSERT_TRUE(rep.contains(k)) << k;  // every shipped energy file has an area section
    EXPECT_EQ(a[k], rep[k]) << k;
  }
  ASSERT_EQ(a["layers"].size(), rep["layers"].size());
  for (size_t l = 0; l < rep["layers"].size(); ++l) {
    for (const char* k : {"name", "cycles", "energy_pj", "macs", "dram_read_bytes", "dram_write_bytes"}) {
      EXPECT_EQ(a["layers"][l][k], rep["layers"][l][k]) << "layer " << l << " " << k;
    }
  }
}

TEST_F(Serve, AnswersEqualRunWithTheSameWeightBits) {
  const std::string arch = "tests/data/arch/unpu_pipe.json", net = "workloads/small_resnet.json";
  const std::vector<json> a =
      ServeStdio(arch, net,
                 "{\"id\": 1, \"layers\": true}\n"
                 "{\"id\": 2, \"layers\": true, \"weight_bits\": {\"*\": 4}}\n"
                 "{\"id\": 3, \"layers\": true, \"weight_bits\": {\"*\": 2, \"conv1\": 8}}\n");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0]["id"], 1);
  ExpectSameAsRun(a[0], RunReport(arch, net, ""));
  ExpectSameAsRun(a[1], RunReport(arch, net, "*=4"));
  ExpectSameAsRun(a[2], RunReport(arch, net, "*=2,conv1=8"));
  // Fewer weight bits, fewer bit-serial passes: the request reached the simulation.
  EXPECT_LT(a[1]["cycles"].get<int64_t>(), a[0]["cycles"].get<int64_t>());
}

// HAQ's second action: the activations a layer reads, here 16-bit on UNPU (whose array runs 8- and
// 16-bit features), answered as `npusim run --activation-bits` reports (and that run is bit-exact
// against the reference: --check). A width the unit cannot run is an error answer naming it.
TEST_F(Serve, ActivationBitsAnswerWhatARunWithThemReports) {
  const std::string arch = "tests/data/arch/unpu_pipe.json", net = "workloads/small_resnet.json";
  const std::vector<json> a = ServeStdio(
      arch, net,
      "{\"id\": 1, \"layers\": true, \"activation_bits\": {\"*\": 16}, \"weight_bits\": {\"*\": 4}}\n"
      "{\"id\": 2, \"layers\": true, \"activation_bits\": {\"conv1\": 16}}\n"
      "{\"id\": 3, \"activation_bits\": {\"*\": 4}}\n"
      "{\"id\": 4, \"activation_bits\": {\"*\": 1}}\n"
      "{\"id\": 5, \"layers\": true}\n");
  ASSERT_EQ(a.size(), 5u);
  ExpectSameAsRun(a[0], RunReport(arch, net, "*=4", "*=16"));
  ExpectSameAsRun(a[1], RunReport(arch, net, "", "conv1=16"));
  EXPECT_FALSE(a[2]["ok"].get<bool>());
  EXPECT_NE(a[2]["error"].get<std::string>().find("4-bit"), std::string::npos) << a[2].dump();
  EXPECT_EQ(a[3]["error"], "/activation_bits/*: expected an integer in 2..16, got 1");
  // Wider activations move more bytes.
  EXPECT_GT(a[1]["dram_read_bytes"].get<int64_t>(), a[4]["dram_read_bytes"].get<int64_t>());
}

// A request equal to an earlier one (its id aside) is answered from the cache with the same
// figures; "layers" makes a different request; --cache 0 simulates every one.
TEST_F(Serve, RepeatedRequestsAreAnsweredFromTheCache) {
  const std::string arch = "tests/data/arch/unpu_pipe.json", net = "workloads/small_resnet.json";
  const std::string requests = "{\"id\": 1, \"weight_bits\": {\"*\": 4}}\n"
                               "{\"id\": 2, \"weight_bits\": {\"*\": 8}}\n"
                               "{\"weight_bits\": {\"*\": 4}, \"id\": \"again\"}\n"
                               "{\"id\": 4, \"weight_bits\": {\"*\": 4}, \"layers\": true}\n";
  for (const char* extra : {"", "--cache 0"}) {
    SCOPED_TRACE(extra);
    const std::vector<json> a = ServeStdio(arch, net, requests, extra);
    ASSERT_EQ(a.size(), 4u);
    for (const json& x : a) ASSERT_TRUE(x["ok"].get<bool>()) << x.dump();
    EXPECT_EQ(a[2]["id"], "again");
    EXPECT_EQ(a[2]["cycles"], a[0]["cycles"]);
    EXPECT_EQ(a[2]["energy_pj"], a[0]["energy_pj"]);
    EXPECT_NE(a[1]["cycles"], a[0]["cycles"]);
    EXPECT_EQ(a[2].value("cached", false), std::string(extra).empty());
    EXPECT_FALSE(a[0].contains("cached"));
    EXPECT_FALSE(a[3].contains("cached"));  // asks for per-layer figures too
    EXPECT_EQ(a[3]["cycles"], a[0]["cycles"]);
  }
}

// Timing mode answers with the same figures as exact mode (and as `npusim run`), the reward
// loops' mode.
TEST_F(Serve, TimingModeAnswersEqualRun) {
  const std::string arch = "tests/data/arch/unpu_pipe.json", net = "workloads/small_resnet.json";
  WriteFileText(dir_ / "requests.txt", "{\"id\": 1, \"layers\": true, \"weight_bits\": {\"*\": 3}}\n");
  const std::string cmd = ShellQuoted(NPUSIM_BINARY) + " serve --mode timing --arch " +
                          ShellQuoted(Src(arch)) + " --net " + ShellQuoted(Src(net)) + " <" +
                          ShellQuoted((dir_ / "requests.txt").string()) + " >" +
                          ShellQuoted((dir_ / "answers.txt").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const json a = json::parse(ReadFileText(dir_ / "answers.txt"));
  EXPECT_EQ(a["id"], 1);
  ExpectSameAsRun(a, RunReport(arch, net, "*=3"));
}

// AMC's action: per-layer channel keep ratios answer what `npusim run` reports for the network
// `npusim prune --method node` writes with the same ratios; a name that is no conv/FC layer is an
// error answer.
TEST_F(Serve, KeepRatiosAnswerWhatARunOfTheNodePrunedNetworkReports) {
  const std::string arch = "tests/data/arch/dense_16x16_pipe.json", net = "workloads/mobilenet_v1_q8.json";
  const ProcessOutcome p = RunNpusim({"prune", "--arch", Src(arch), "--net", Src(net), "--method", "node",
                                      "--sparsity", "0.5", "-o", (dir_ / "pruned.json").string()},
                                     dir_ / "err.txt");
  ASSERT_EQ(p.exit_code, 0) << p;
  const ProcessOutcome run = RunNpusim({"--arch", Src(arch), "--net", (dir_ / "pruned.json").string(),
                                        "--out", (dir_ / "run").string(), "--mode", "timing"},
                                       dir_ / "err.txt");
  ASSERT_EQ(run.exit_code, 0) << run;
  const json rep = json::parse(ReadFileText(dir_ / "run" / "report.json"));
  const std::vector<json> a = ServeStdio(arch, net,
                                         "{\"id\": 1, \"layers\": true, \"keep\": {\"*\": 0.5}}\n"
                                         "{\"id\": 2, \"keep\": {\"conv7\": 0.5}}\n");
  ASSERT_EQ(a.size(), 2u);
  ExpectSameAsRun(a[0], rep);
  EXPECT_LT(a[0]["macs"].get<int64_t>(), 568740352 / 3);  // about a quarter of MobileNetV1's MACs
  EXPECT_EQ(a[1]["ok"], false);
  EXPECT_EQ(a[1]["error"], "request: /keep/conv7: no conv2d or fully_connected layer is named \"conv7\"");
}

TEST_F(Serve, BadRequestsGetAnErrorLineAndServingGoesOn) {
  const std::string big = "{\"id\": \"" + std::string(2 << 20, 'x') + "\"}";
  const std::vector<json> a = ServeStdio("tests/data/arch/dense_16x16_pipe.json", "workloads/tiny_conv.json",
                                         "not json\n"
                                         "[1, 2]\n"
                                         "{\"id\": 7, \"weight_bits\": {\"conv1\": 99}}\n"
                                         "{\"id\": 8, \"weight_bits\": {\"nosuch\": 4}}\n"
                                         "{\"id\": 9, \"weight_bits\": {\"*\": 4}}\n"
                                         "{\"id\": 10, \"colour\": 1}\n" +
                                             big + "\n{\"id\": 11}{\"id\": 12}\n\n{\"id\": \"last\"}");
  ASSERT_EQ(a.size(), 9u);
  for (size_t i = 0; i < 8; ++i) EXPECT_FALSE(a[i]["ok"].get<bool>()) << a[i].dump();
  EXPECT_NE(a[0]["error"].get<std::string>().find("not a JSON line"), std::string::npos);
  EXPECT_NE(a[1]["error"].get<std::string>().find("expected a JSON object"), std::string::npos);
  EXPECT_EQ(a[2]["id"], 7);
  EXPECT_NE(a[2]["error"].get<std::string>().find("expected an integer in 1..16, got 99"), std::string::npos);
  EXPECT_NE(a[3]["error"].get<std::string>().find("no layer named \"nosuch\""), std::string::npos);
  // dense_16x16 runs 8-bit weights only: the compiler's refusal comes back as an answer.
  EXPECT_NE(a[4]["error"].get<std::string>().find("weight bits {8}"), std::string::npos) << a[4].dump();
  EXPECT_NE(a[5]["error"].get<std::string>().find("unknown key \"colour\""), std::string::npos);
  EXPECT_NE(a[6]["error"].get<std::string>().find("request longer than"), std::string::npos);
  EXPECT_NE(a[7]["error"].get<std::string>().find("not a JSON line"), std::string::npos);
  EXPECT_TRUE(a[8]["ok"].get<bool>());
  EXPECT_EQ(a[8]["id"], "last");
  EXPECT_EQ(a[8]["cycles"],
            RunReport("tests/data/arch/dense_16x16_pipe.json", "workloads/tiny_conv.json", "")["cycles"]);
}

TEST_F(Serve, SocketClientsDoNotMixAndALeavingClientDoesNotStopTheServer) {
  const std::string sock = (dir_ / "npusim.sock").string();
  const pid_t server = fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    execl(NPUSIM_BINARY, NPUSIM_BINARY, "serve", "--arch",
          Src("tests/data/arch/dense_16x16_pipe.json").c_str(), "--net",
          Src("workloads/tiny_conv.json").c_str(), "--socket", sock.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int a = -1;
  for (int i = 0; i < 200 && a < 0; ++i) {
    a = Connect(sock);
    if (a < 0) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_GE(a, 0) << "server did not start";
  const int b = Connect(sock), c = Connect(sock);
  // a and b interleave halves of their requests; c leaves mid-request and then with one pending.
  Send(a, "{\"id\": \"a\",");
  Send(b, "{\"id\": \"b\",");
  Send(c, "{\"id\": \"c\"");
  close(c);
  Send(a, " \"layers\": true}\n");
  Send(b, " \"layers\": false}\n");
  const json ra = ReadAnswer(a), rb = ReadAnswer(b);
  EXPECT_EQ(ra["id"], "a");
  EXPECT_EQ(rb["id"], "b");
  EXPECT_TRUE(ra.contains("layers"));
  EXPECT_FALSE(rb.contains("layers"));
  EXPECT_EQ(ra["cycles"], rb["cycles"]);
  const int d = Connect(sock);
  Send(d, "{\"id\": \"d\"}\n");
  close(d);  // gone before its answer
  const int e = Connect(sock);
  ASSERT_GE(e, 0);
  Send(e, "{\"id\": \"e\"}\n");
  EXPECT_EQ(ReadAnswer(e)["cycles"], ra["cycles"]);
  close(a);
  close(b);
  close(e);
  EXPECT_EQ(waitpid(server, nullptr, WNOHANG), 0) << "the server died";
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
}

// A TCP connection to 127.0.0.1:`port`, or -1.
int ConnectTcp(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  const timeval tv{60, 0};  // a server that stalls fails the test instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// `npusim serve ARGS` in the background, its stderr in `err`; killed (SIGTERM) by the destructor.
class Background {
 public:
  Background(const std::vector<std::string>& args, const fs::path& err) : err_(err) {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 2);
      std::vector<char*> argv{const_cast<char*>(NPUSIM_BINARY)};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(NPUSIM_BINARY, argv.data());
      _exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  bool Alive() const { return waitpid(pid_, nullptr, WNOHANG) == 0; }
  // The port of the "npusim serve: listening on HOST:PORT" line, or -1 after 10 s without one.
  int Port() const {
    const std::string marker = "listening on 127.0.0.1:";
    for (int i = 0; i < 400; ++i) {
      const std::string err = fs::exists(err_) ? ReadFileText(err_) : "";
      const size_t at = err.find(marker);
      if (at != std::string::npos && err.find('\n', at) != std::string::npos) {
        return std::stoi(err.substr(at + marker.size()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return -1;
  }

 private:
  fs::path err_;
  pid_t pid_ = -1;
};

// The same protocol as the Unix socket, on an ephemeral loopback port the server prints: two
// clients' interleaved partial lines do not mix, answers equal the stdin/stdout server's, and the
// same limits apply (--max-request-bytes).
TEST_F(Serve, TcpOnAnEphemeralLoopbackPortServesTheSameProtocolAndLimits) {
  const std::string arch = "tests/data/arch/dense_16x16_pipe.json", net = "workloads/tiny_conv.json";
  const std::vector<json> expected = ServeStdio(arch, net, "{\"id\": 1, \"layers\": true}\n");
  ASSERT_EQ(expected.size(), 1u);
  const Background server({"serve", "--arch", Src(arch), "--net", Src(net), "--listen", "127.0.0.1:0",
                           "--max-request-bytes", "100"},
                          dir_ / "serve.err");
  const int port = server.Port();
  ASSERT_GT(port, 0) << ReadFileText(dir_ / "serve.err");
  const int a = ConnectTcp(port), b = ConnectTcp(port);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  Send(a, "{\"id\": \"a\",");
  Send(b, "{\"id\": \"b\",");
  Send(a, " \"layers\": true}\n");
  Send(b, " \"layers\": false}\n");
  const json ra = ReadAnswer(a), rb = ReadAnswer(b);
  EXPECT_EQ(ra["id"], "a");
  EXPECT_EQ(rb["id"], "b");
  EXPECT_EQ(ra["cycles"], expected[0]["cycles"]);
  EXPECT_EQ(ra["energy_pj"], expected[0]["energy_pj"]);
  EXPECT_EQ(ra["layers"], expected[0]["layers"]);
  EXPECT_FALSE(rb.contains("layers"));
  Send(b, "{\"id\": \"" + std::string(200, 'x') + "\"}\n");
  const json too_long = ReadAnswer(b);
  EXPECT_EQ(too_long["ok"], false);
  EXPECT_EQ(too_long["error"], "request longer than 100 bytes");
  Send(b, "{\"id\": 3}\n");
  EXPECT_EQ(ReadAnswer(b)["cycles"], expected[0]["cycles"]);  // the connection goes on
  close(a);
  close(b);
  EXPECT_TRUE(server.Alive());
}

// Loopback only unless asked: a non-loopback address is refused (exit 2, naming --listen and
// --listen-any) before the network is served; malformed addresses and misused flags are bad usage.
TEST_F(Serve, TcpBeyondLoopbackNeedsListenAny) {
  const std::vector<std::string> base{"serve", "--arch", Src("tests/data/arch/dense_16x16_pipe.json"),
                                      "--net", Src("workloads/tiny_conv.json")};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return RunNpusim(args, dir_ / "err.txt");
  };
  const ProcessOutcome any = run({"--listen", "0.0.0.0:0"});
  EXPECT_EQ(any.exit_code, 2) << any;
  EXPECT_NE(any.err.find("--listen: \"0.0.0.0:0\" is not a loopback address"), std::string::npos) << any;
  EXPECT_NE(any.err.find("needs --listen-any"), std::string::npos) << any;
  for (const char* bad : {"127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1", "host.example:80", "[::1:80"}) {
    const ProcessOutcome o = run({"--listen", bad});
    EXPECT_EQ(o.exit_code, 2) << bad << "\n" << o;
    EXPECT_NE(o.err.find("--listen: expected"), std::string::npos) << bad << "\n" << o;
  }
  const ProcessOutcome both = run({"--listen", "127.0.0.1:0", "--socket", (dir_ / "s.sock").string()});
  EXPECT_EQ(both.exit_code, 2) << both;
  EXPECT_NE(both.err.find("--socket and --listen"), std::string::npos) << both;
  const ProcessOutcome alone = run({"--listen-any"});
  EXPECT_EQ(alone.exit_code, 2) << alone;
  EXPECT_NE(alone.err.find("--listen-any: needs --listen"), std::string::npos) << alone;
  // With --listen-any the same address is served.
  Background server({"serve", "--arch", Src("tests/data/arch/dense_16x16_pipe.json"), "--net",
                     Src("workloads/tiny_conv.json"), "--listen", "0.0.0.0:0", "--listen-any"},
                    dir_ / "any.err");
  std::string err;
  for (int i = 0; i < 400 && err.find("listening on 0.0.0.0:") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    err = fs::exists(dir_ / "any.err") ? ReadFileText(dir_ / "any.err") : "";
  }
  EXPECT_NE(err.find("listening on 0.0.0.0:"), std::string::npos) << err;
  EXPECT_TRUE(server.Alive());
}

}  // namespace
}  // namespace npusim::testing

// Differential tests against a real redis-server 7.0, started by this test on a free loopback
// port and stopped at the end:
//  - request parsing: for each input, Redis's reply bytes must equal its replies to the commands
//    our RequestParser extracted (re-encoded as multibulks), followed by our protocol error
//    reply when we report one; the connection must be closed exactly then.
//  - encoder: DEBUG PROTOCOL and ZSCORE replies in RESP2 and RESP3 must equal what Encoder
//    writes for the same sequence of addReply* calls.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "resp/encoder.h"
#include "resp/request_parser.h"

extern char** environ;

namespace slotproxy::resp {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kReadTimeout = std::chrono::seconds(10);

int PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

int ConnectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

struct Exchange {
  std::string reply;
  bool closed = false;  // the server closed the connection (EOF or reset)
};

// Sends `bytes`, then reads until the server closes the connection or `until` (when not empty)
// ends the bytes read, bounded by kReadTimeout.
Exchange Send(int port, const std::string& bytes, std::string_view until = {}) {
  Exchange ex;
  const int fd = ConnectTo(port);
  REQUIRE(fd >= 0);
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on a protocol error
    sent += static_cast<size_t>(n);
  }
  const auto deadline = Clock::now() + kReadTimeout;
  char buf[65536];
  while (Clock::now() < deadline) {
    if (!until.empty() && ex.reply.size() >= until.size() &&
        ex.reply.compare(ex.reply.size() - until.size(), until.size(), until) == 0) {
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      ex.closed = true;
      break;
    }
    ex.reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return ex;
}

// A redis-server child process on a free port, stopped and reaped when this goes out of scope.
class RedisProcess {
 public:
  explicit RedisProcess(std::vector<std::string> extra = {}) : port_(PickFreePort()) {
    std::vector<std::string> args = {
        "redis-server", "--port", std::to_string(port_),    "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no",     "--enable-debug-command", "yes"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    // Ready once it accepts a connection (bounded: 100 tries, 5 s).
    for (int i = 0; pid_ > 0 && i < 100 && !ready_; ++i) {
      const int fd = ConnectTo(port_);
      if (fd >= 0) {
        close(fd);
        ready_ = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  ~RedisProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // up to 5 s, then SIGKILL
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  // False when redis-server is not installed or did not start: the test is then skipped.
  bool ready() const { return ready_; }
  int port() const { return port_; }

 private:
  int port_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

const std::string kQuit = "*1\r\n$4\r\nQUIT\r\n";

struct OurParse {
  std::vector<std::vector<std::string>> commands;
  ParseResult last;  // the final result (kError or kNeedMore)
  size_t unconsumed = 0;
};

OurParse ParseOnePiece(std::string_view input, RequestLimits limits) {
  OurParse out;
  RequestParser parser(limits);
  for (;;) {
    out.last = parser.Parse(input);
    if (out.last.status != RequestStatus::kComplete) break;
    out.commands.emplace_back(out.last.args.begin(), out.last.args.end());
    input.remove_prefix(out.last.consumed);
  }
  out.unconsumed = input.size() - out.last.consumed;
  return out;
}

// Checks Redis's reaction to `input` against our parser's reading of it.
void CheckAgainstRedis(int port, const std::string& input, RequestLimits limits = {}) {
  const OurParse ours = ParseOnePiece(input, limits);
  INFO("input (" << input.size() << " bytes): " << input.substr(0, 80));
  // Redis's replies to the commands we extracted, sent in canonical form.
  std::string canonical;
  for (const auto& command : ours.commands) {
    std::vector<std::string_view> views(command.begin(), command.end());
    EncodeCommand(views, &canonical);
  }
  Exchange expected = Send(port, canonical + kQuit);
  REQUIRE(expected.closed);
  REQUIRE(expected.reply.size() >= 5);
  REQUIRE(expected.reply.substr(expected.reply.size() - 5) == "+OK\r\n");
  expected.reply.resize(expected.reply.size() - 5);

  if (ours.last.status == RequestStatus::kError) {
    const Exchange actual = Send(port, input);
    CHECK(actual.closed);
    CHECK(actual.reply == expected.reply + ours.last.ErrorReply());
  } else {
    REQUIRE(ours.unconsumed == 0);  // a partial command cannot be told from a slow server
    const Exchange actual = Send(port, input + kQuit);
    CHECK(actual.closed);
    CHECK(actual.reply == expected.reply + "+OK\r\n");
  }
}

TEST_CASE("request parsing matches redis-server byte for byte", "[request_parser][redis]") {
  RedisProcess redis;
  if (!redis.ready()) {
    WARN("redis-server not available; skipped");
    return;
  }
  const int port = redis.port();
  const std::vector<std::string> inputs = {
      // Valid streams.
      "*1\r\n$4\r\nPING\r\n",
      "PING\r\n\r\n\n  \r\n*0\r\n*-1\r\nECHO hello\n",
      "*1\r\n$4\r\nPINGxx\r\n",
      "*1\rx$4\rxPING\r\n",
      "ECHO \"a\\x41\\nb\" 'it\\'s' \"\" \"\\q\\t\"\r\n",
      "ECHO a\vb\r\n",
      "ECHO \"a\"\vb\r\n",
      "ECHO ab\"c d\"\r\n",
      "$4\r\nPING\r\n",
      "*3\r\n$4\r\nECHO\r\n$0\r\n\r\n$1\r\nx\r\n",
      "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
      std::string("*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\0b\n\r\n", 26),
      "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nPING\r\nECHO 'x y'\r\n*1\r\n$4\r\nPING\r\n",
      // Multibulk count errors.
      "*abc\r\n",
      "*+1\r\n",
      "* 1\r\n",
      "*-0\r\n",
      "*01\r\n",
      "*1\n$4\r\nPING\r\n",
      "*3000000000\r\n",
      "*2147483648\r\n",
      "*\r\n",
      // Bulk length errors.
      "*1\r\n$-1\r\n",
      "*1\r\n$-5\r\n",
      "*1\r\n$ 3\r\n",
      "*1\r\n$1x\r\n",
      "*1\r\n$01\r\n",
      "*1\r\n$536870913\r\n",
      "*1\r\n$99999999999999999999999\r\n",
      // Wrong element type.
      "*1\r\n+PING\r\n",
      "*1\r\n\r\n",
      "*2\r\n$4\r\nECHO\r\n:1\r\n",
      "*1\r\n\xff\r\n",
      // Inline quoting.
      "set a \"b\r\n",
      "ECHO \"ab\"c\r\n",
      "ECHO 'a'b\r\n",
      "ECHO \"a\\\r\n",
      // Errors after good commands: those are answered first.
      "*1\r\n$3\r\nfoo\r\n*1\r\n$1x\r\n",
      "PING\r\nECHO x\r\n*1\r\n+x\r\n",
      "PING\nECHO \"x\r\n",
      // Lines without terminator beyond 64 KiB (sized so Redis reads everything first).
      std::string(70000, 'a'),
      std::string("PING\r\n") + std::string(70000, 'a'),
      std::string("*") + std::string(70000, '1'),
      std::string("*1\r\n$") + std::string(70000, '1'),
      std::string("*1\r\n+") + std::string(70000, 'P'),
      // A NUL hides the terminator (Redis's strchr).
      std::string("PING\0\nPING\r\n", 12) + std::string(70000, 'b'),
      std::string("*1\0\r\n", 5) + std::string(70000, 'c'),
  };
  for (const std::string& input : inputs) CheckAgainstRedis(port, input);
}

TEST_CASE("unauthenticated limits match redis-server", "[request_parser][redis]") {
  RedisProcess redis({"--requirepass", "secret"});
  if (!redis.ready()) {
    WARN("redis-server not available; skipped");
    return;
  }
  RequestLimits unauth;
  unauth.unauthenticated = true;
  for (const std::string& input : {std::string("*11\r\n"), std::string("*1\r\n$16385\r\n"),
                                   std::string("*x\r\n"), std::string("*1\r\n$-1\r\n")}) {
    const OurParse ours = ParseOnePiece(input, unauth);
    REQUIRE(ours.last.status == RequestStatus::kError);
    const Exchange actual = Send(redis.port(), input);
    CHECK(actual.closed);
    CHECK(actual.reply == ours.last.ErrorReply());
  }
  // Within the limits Redis waits for the rest (no reply); we ask for more.
  CHECK(ParseOnePiece("*10\r\n$16384\r\n", unauth).last.status == RequestStatus::kNeedMore);
}

// Redis's reply to `command` on a connection switched to `protocol` with HELLO.
std::string ReplyIn(int port, Protocol protocol, const std::vector<std::string_view>& command) {
  const std::string marker = "slotproxy-marker-91c2";
  std::string request = protocol == Protocol::kResp3 ? EncodeCommand({"HELLO", "3"}) : "";
  request += EncodeCommand({"ECHO", marker});
  EncodeCommand(command, &request);
  const Exchange ex = Send(port, request + kQuit, "+OK\r\n");
  const std::string echoed =
      std::string("$") + std::to_string(marker.size()) + std::string("\r\n") + marker + "\r\n";
  const size_t at = ex.reply.find(echoed);
  REQUIRE(at != std::string::npos);
  REQUIRE(ex.reply.size() >= at + echoed.size() + 5);
  return ex.reply.substr(at + echoed.size(), ex.reply.size() - at - echoed.size() - 5);
}

template <typename F>
std::string Written(Protocol protocol, F&& write) {
  std::string out;
  Encoder e(&out, protocol);
  write(e);
  return out;
}

TEST_CASE("encoder output matches redis-server replies", "[encoder][redis]") {
  RedisProcess redis;
  if (!redis.ready()) {
    WARN("redis-server not available; skipped");
    return;
  }
  const int port = redis.port();
  for (Protocol p : {Protocol::kResp2, Protocol::kResp3}) {
    INFO("protocol " << static_cast<int>(p));
    // The addReply* sequences of debugCommand's "DEBUG PROTOCOL <type>" (src/debug.c).
    auto debug = [&](std::string_view type) {
      return ReplyIn(port, p, {"DEBUG", "PROTOCOL", type});
    };
    CHECK(debug("string") == Written(p, [](Encoder& e) { e.Bulk("Hello World"); }));
    CHECK(debug("integer") == Written(p, [](Encoder& e) { e.Integer(12345); }));
    CHECK(debug("double") == Written(p, [](Encoder& e) { e.Double(3.141); }));
    CHECK(debug("bignum") ==
          Written(p, [](Encoder& e) { e.BigNumber("1234567999999999999999999999999999999"); }));
    CHECK(debug("null") == Written(p, [](Encoder& e) { e.Null(); }));
    CHECK(debug("array") == Written(p, [](Encoder& e) {
            e.ArrayHeader(3);
            for (int j = 0; j < 3; ++j) e.Integer(j);
          }));
    CHECK(debug("set") == Written(p, [](Encoder& e) {
            e.SetHeader(3);
            for (int j = 0; j < 3; ++j) e.Integer(j);
          }));
    CHECK(debug("map") == Written(p, [](Encoder& e) {
            e.MapHeader(3);
            for (int j = 0; j < 3; ++j) {
              e.Integer(j);
              e.Boolean(j == 1);
            }
          }));
    CHECK(debug("attrib") == Written(p, [](Encoder& e) {
            if (e.AttributeHeader(1)) {
              e.Bulk("key-popularity");
              e.ArrayHeader(2);
              e.Bulk("key:123");
              e.Integer(90);
            }
            e.Bulk("Some real reply following the attribute");
          }));
    CHECK(debug("verbatim") ==
          Written(p, [](Encoder& e) { e.Verbatim("This is a verbatim\nstring", "txt"); }));
    CHECK(debug("true") == Written(p, [](Encoder& e) { e.Boolean(true); }));
    CHECK(debug("false") == Written(p, [](Encoder& e) { e.Boolean(false); }));
    if (p == Protocol::kResp3) {
      CHECK(debug("push") == Written(p, [](Encoder& e) {
              e.PushHeader(2);
              e.Bulk("server-cpu-usage");
              e.Integer(42);
              e.Bulk("Some real reply following the push reply");
            }));
    }
    // Scores go through addReplyDouble.
    for (const char* score : {"0.1", "1.5", "-2.25e-10", "1e100", "3", "123456789.123456789", "inf",
                              "-inf", "5e-324"}) {
      ReplyIn(port, p, {"ZADD", "fixture:z", score, "m"});
      CHECK(ReplyIn(port, p, {"ZSCORE", "fixture:z", "m"}) ==
            Written(p, [&](Encoder& e) { e.Double(std::strtod(score, nullptr)); }));
    }
    CHECK(ReplyIn(port, p, {"GET", "fixture:missing"}) == Written(p, [](Encoder& e) { e.Null(); }));
    CHECK(ReplyIn(port, p, {"BLPOP", "fixture:missing", "0.01"}) ==
          Written(p, [](Encoder& e) { e.NullArray(); }));
    CHECK(ReplyIn(port, p, {"SET", "fixture:k", "v"}) ==
          Written(p, [](Encoder& e) { e.SimpleString("OK"); }));
    CHECK(ReplyIn(port, p, {"NOSUCHCMD"}) == Written(p, [](Encoder& e) {
            e.Error("ERR unknown command 'NOSUCHCMD', with args beginning with: ");
          }));
  }
}

}  // namespace
}  // namespace slotproxy::resp

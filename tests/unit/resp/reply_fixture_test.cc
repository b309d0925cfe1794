// Frames and decodes replies captured live from a real redis-server 7.0 (RESP2 and RESP3),
// started by this test on a free loopback port and stopped at the end.
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
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "resp/reply_parser.h"
#include "resp/value.h"

extern char** environ;

namespace slotproxy::resp {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimeout = std::chrono::seconds(10);
constexpr std::string_view kMarker = "slotproxy-fixture-end-7f3a";

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
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

std::string Command(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }
  return out;
}

// A redis-server child process, killed and reaped when this goes out of scope.
class RedisServer {
 public:
  explicit RedisServer(int port) {
    std::string port_text = std::to_string(port);
    std::vector<std::string> args = {
        "redis-server", "--port", port_text,      "--bind", "127.0.0.1",
        "--save",       "",       "--appendonly", "no",     "--enable-debug-command",
        "yes"};
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
  }
  ~RedisServer() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // up to 5 s, then SIGKILL
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // True once the process has exited (e.g. its port was taken); it is then reaped.
  bool Exited() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
    return pid_ <= 0;
  }

 private:
  pid_t pid_ = -1;
};

class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  // Connects and waits for +PONG, retrying while the server starts (bounded to ~10 s). Fails
  // when the server exits, or when the port answers from another process (never touch a
  // server this test did not start).
  bool Open(int port, RedisServer& server) {
    for (int attempt = 0; attempt < 200 && !server.Exited(); ++attempt) {
      if (fd_ >= 0) close(fd_);
      fd_ = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        std::string reply;
        if (RoundTrip(Command({"PING"}), &reply) && reply == "+PONG\r\n") {
          std::string pid = "process_id:" + std::to_string(server.pid()) + "\r\n";
          return RoundTrip(Command({"INFO", "server"}), &reply) &&
                 reply.find(pid) != std::string::npos;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Sends `request` followed by ECHO <marker> and returns, in *reply, every byte the server sent
  // before the marker's reply. Independent of ReplyParser, so it can judge its framing.
  bool RoundTrip(const std::string& request, std::string* reply) {
    std::string out = request + Command({"ECHO", std::string(kMarker)});
    if (send(fd_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
      return false;
    }
    std::string tail = "$";
    tail += std::to_string(kMarker.size());
    tail += "\r\n";
    tail += kMarker;
    tail += "\r\n";
    std::string in;
    const auto deadline = Clock::now() + kTimeout;
    while (!in.ends_with(tail)) {
      if (Clock::now() > deadline || in.size() > (64u << 20)) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
    *reply = in.substr(0, in.size() - tail.size());
    return true;
  }

 private:
  int fd_ = -1;
};

// Frames every reply in `bytes`, which must hold whole replies only; checks that feeding the
// same bytes one at a time gives the same spans; returns the decoded values.
std::vector<Value> FrameAndDecode(std::string_view bytes, std::vector<ReplyInfo>* infos) {
  std::vector<Value> values;
  ReplyParser parser;
  ReplyParser byte_by_byte;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    REQUIRE(parser.Parse(rest) == ReplyStatus::kComplete);
    const ReplyInfo info = parser.info();
    ReplyStatus status = ReplyStatus::kNeedMore;
    size_t have = 0;
    while (status == ReplyStatus::kNeedMore && have < rest.size()) {
      status = byte_by_byte.Parse(rest.substr(0, ++have));
    }
    REQUIRE(status == ReplyStatus::kComplete);
    CHECK(byte_by_byte.info().length == info.length);
    CHECK(byte_by_byte.info().type == info.type);
    size_t consumed = 0;
    Result<Value> value = DecodeValue(rest, &consumed);
    REQUIRE(value.ok());
    CHECK(consumed == info.length);
    values.push_back(std::move(value.value()));
    infos->push_back(info);
    rest.remove_prefix(info.length);
  }
  return values;
}

// One reply for `args`, framed and decoded; `expected_type` is the parser's top-level type.
Value One(Connection& conn, const std::vector<std::string>& args, ValueType expected_type) {
  std::string bytes;
  INFO(args[0] + (args.size() > 1 ? " " + args[1] : ""));
  REQUIRE(conn.RoundTrip(Command(args), &bytes));
  INFO(bytes.substr(0, 200));
  std::vector<ReplyInfo> infos;
  std::vector<Value> values = FrameAndDecode(bytes, &infos);
  REQUIRE(values.size() == 1);
  CHECK(infos[0].length == bytes.size());
  CHECK(infos[0].type == expected_type);
  CHECK(values[0].type == expected_type);
  return values[0];
}

std::vector<std::string> Strings(const Value& value) {
  std::vector<std::string> out;
  for (const Value& e : value.elements) {
    out.push_back(e.type == ValueType::kInteger ? std::to_string(e.integer) : e.str);
  }
  return out;
}

void CheckCommonReplies(Connection& conn, bool resp3) {
  using V = ValueType;
  CHECK(One(conn, {"GET", "missing"}, V::kNull).type == V::kNull);
  Value hash = One(conn, {"HGETALL", "h"}, resp3 ? V::kMap : V::kArray);
  CHECK(Strings(hash) == std::vector<std::string>{"f1", "v1", "f2", "v2"});
  CHECK(Strings(One(conn, {"SMEMBERS", "s"}, resp3 ? V::kSet : V::kArray)) ==
        std::vector<std::string>{"a"});
  Value score = One(conn, {"ZSCORE", "z", "m"}, resp3 ? V::kDouble : V::kBulkString);
  if (resp3) {
    CHECK(score.number == 1.5);
  } else {
    CHECK(score.str == "1.5");
  }
  CHECK(Strings(One(conn, {"CONFIG", "GET", "maxmemory-policy"}, resp3 ? V::kMap : V::kArray)) ==
        std::vector<std::string>{"maxmemory-policy", "noeviction"});
  Value info = One(conn, {"INFO", "server"}, resp3 ? V::kVerbatim : V::kBulkString);
  CHECK(info.str.starts_with("# Server\r\nredis_version:7."));
  if (resp3) CHECK(info.format == "txt");
  CHECK(One(conn, {"GET", "big"}, V::kBulkString).str == std::string(300000, 'x'));
  CHECK(One(conn, {"LRANGE", "list", "0", "-1"}, V::kArray).elements.size() == 2000);
  Value err = One(conn, {"HGETALL", "big"}, V::kError);
  CHECK(err.str.starts_with("WRONGTYPE "));
}

void CheckDebugProtocol(Connection& conn, bool resp3) {
  using V = ValueType;
  auto debug = [&](const char* type, V expected) {
    return One(conn, {"DEBUG", "PROTOCOL", type}, expected);
  };
  CHECK(debug("string", V::kBulkString).str == "Hello World");
  CHECK(debug("integer", V::kInteger).integer == 12345);
  if (resp3) {
    CHECK(debug("double", V::kDouble).number == 3.141);
  } else {
    CHECK(debug("double", V::kBulkString).str == "3.141");
  }
  CHECK(debug("bignum", resp3 ? V::kBigNumber : V::kBulkString).str ==
        "1234567999999999999999999999999999999");
  debug("null", V::kNull);
  CHECK(Strings(debug("array", V::kArray)) == std::vector<std::string>{"0", "1", "2"});
  CHECK(Strings(debug("set", resp3 ? V::kSet : V::kArray)) ==
        std::vector<std::string>{"0", "1", "2"});
  Value map = debug("map", resp3 ? V::kMap : V::kArray);
  REQUIRE(map.elements.size() == 6);
  CHECK(map.elements[3].type == (resp3 ? V::kBoolean : V::kInteger));
  Value attrib = debug("attrib", V::kBulkString);
  CHECK(attrib.str == "Some real reply following the attribute");
  if (resp3) {
    REQUIRE(attrib.attributes.size() == 2);
    CHECK(attrib.attributes[0].str == "key-popularity");
    CHECK(Strings(attrib.attributes[1]) == std::vector<std::string>{"key:123", "90"});
  } else {
    CHECK(attrib.attributes.empty());
  }
  Value verbatim = debug("verbatim", resp3 ? V::kVerbatim : V::kBulkString);
  CHECK(verbatim.str == "This is a verbatim\nstring");
  if (resp3) {
    CHECK(debug("true", V::kBoolean).boolean);
    CHECK_FALSE(debug("false", V::kBoolean).boolean);
  } else {
    CHECK(debug("true", V::kInteger).integer == 1);
    CHECK(debug("false", V::kInteger).integer == 0);
  }
}

void CheckPush(Connection& conn, bool resp3) {
  std::string bytes;
  REQUIRE(conn.RoundTrip(Command({"DEBUG", "PROTOCOL", "push"}), &bytes));
  std::vector<ReplyInfo> infos;
  std::vector<Value> values = FrameAndDecode(bytes, &infos);
  if (!resp3) {
    REQUIRE(values.size() == 1);
    CHECK(values[0].str == "ERR RESP2 is not supported by this command");
    CHECK(infos[0].error_kind == ErrorKind::kOther);
    return;
  }
  // The push is out of band: a reply of its own, followed by the command's real reply.
  REQUIRE(values.size() == 2);
  CHECK(infos[0].type == ValueType::kPush);
  CHECK(Strings(values[0]) == std::vector<std::string>{"server-cpu-usage", "42"});
  CHECK(values[1].str == "Some real reply following the push reply");
}

}  // namespace

TEST_CASE("ReplyParser and DecodeValue on replies captured from redis-server 7") {
  // The free port may be taken between our probe and redis-server's bind: try a few.
  std::unique_ptr<RedisServer> server;
  Connection conn;
  bool open = false;
  for (int attempt = 0; attempt < 3 && !open; ++attempt) {
    const int port = FreePort();
    server.reset();
    server = std::make_unique<RedisServer>(port);
    REQUIRE(server->started());
    open = conn.Open(port, *server);
  }
  REQUIRE(open);

  std::string setup;
  std::string list = Command({"DEL", "list"});
  for (int i = 0; i < 2000; ++i) list += Command({"RPUSH", "list", std::to_string(i)});
  REQUIRE(conn.RoundTrip(Command({"HSET", "h", "f1", "v1", "f2", "v2"}) +
                             Command({"SADD", "s", "a"}) + Command({"ZADD", "z", "1.5", "m"}) +
                             Command({"SET", "big", std::string(300000, 'x')}) + list,
                         &setup));
  std::vector<ReplyInfo> infos;
  CHECK(FrameAndDecode(setup, &infos).size() == 2005);

  SECTION("RESP2") {
    CheckCommonReplies(conn, false);
    CheckDebugProtocol(conn, false);
    CheckPush(conn, false);
  }
  SECTION("RESP3") {
    Value hello = One(conn, {"HELLO", "3"}, ValueType::kMap);
    std::vector<std::string> fields = Strings(hello);
    REQUIRE(fields.size() == 14);
    CHECK(fields[4] == "proto");
    CHECK(fields[5] == "3");
    CheckCommonReplies(conn, true);
    CheckDebugProtocol(conn, true);
    CheckPush(conn, true);
  }
}

}  // namespace slotproxy::resp

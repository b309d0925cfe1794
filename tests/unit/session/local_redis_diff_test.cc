// Differential test: the proxy's local commands against a live redis-server 7.0.15 started with
// `databases 1` and persistence off (the settings the proxy reports), byte for byte in RESP2 and
// RESP3. Skipped, with a warning, when redis-server cannot be started.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "command/command_table.h"
#include "resp/encoder.h"
#include "resp/reply_parser.h"
#include "session/local_commands.h"

namespace slotproxy::session {
namespace {

using Args = std::vector<std::string_view>;

// A blocking RESP connection to 127.0.0.1:port with a 5 s receive timeout.
class Conn {
 public:
  explicit Conn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Conn() { ::close(fd_); }
  bool ok() const { return ok_; }

  // Sends `args` and returns the raw bytes of the one reply (empty on timeout or EOF).
  std::string Call(const Args& args) {
    std::string request;
    resp::EncodeCommand(std::span<const std::string_view>(args), &request);
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return {};
    }
    resp::ReplyParser parser;
    while (parser.Parse(buffer_) != resp::ReplyStatus::kComplete) {
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    std::string reply = buffer_.substr(0, parser.info().length);
    buffer_.erase(0, parser.info().length);
    return reply;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string buffer_;
};

// A standalone redis-server on a free port; the destructor always ends it.
class RedisServer {
 public:
  ~RedisServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      bool reaped = false;
      for (int i = 0; i < 100 && !reaped; ++i) {
        reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
        if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!reaped) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool Start() {
    char templ[] = "/tmp/slotproxy-local-XXXXXX";
    if (::mkdtemp(templ) == nullptr) return false;
    dir_ = templ;
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreePort();
      if (port_ == 0) return false;
      const std::string port = std::to_string(port_);
      const std::string log = dir_ + "/redis.log";
      pid_ = ::fork();
      if (pid_ == 0) {
        const char* argv[] = {"redis-server", "--port", port.c_str(), "--bind",    "127.0.0.1",
                              "--databases",  "1",      "--save",     "",          "--appendonly",
                              "no",           "--dir",  dir_.c_str(), "--logfile", log.c_str(),
                              "--daemonize",  "no",     nullptr};
        ::execvp("redis-server", const_cast<char* const*>(argv));
        ::_exit(127);
      }
      if (pid_ < 0) return false;
      for (int i = 0; i < 100; ++i) {  // 5 s at most
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        Conn conn(port_);
        if (conn.ok() && conn.Call({"PING"}) == "+PONG\r\n") return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    return false;
  }
  uint16_t port() const { return port_; }

 private:
  static uint16_t FreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
  }

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;
};

std::string Local(const Args& args, LocalSession& session, const LocalContext& ctx) {
  const command::CommandInfo* info = ctx.table->Lookup(args);
  REQUIRE(info != nullptr);
  std::string out;
  resp::Encoder encoder(&out, session.protocol);
  HandleLocal(*info, args, ctx, session, encoder);
  return out;
}

TEST_CASE("local commands answer byte for byte as redis-server 7.0.15", "[local][redis]") {
  RedisServer server;
  if (!server.Start()) {
    WARN("redis-server could not be started: test skipped");
    return;
  }
  Conn redis(server.port());
  REQUIRE(redis.ok());
  LocalSession session;
  LocalContext ctx;
  ctx.table = &command::CommandTable::BuiltIn();
  ctx.allow_resp3 = true;
  // Same client id on both sides, so HELLO and CLIENT ID compare equal.
  const std::string id = redis.Call({"CLIENT", "ID"});
  session.id = std::stoull(id.substr(1));

  const std::vector<Args> commands = {
      {"PING"},
      {"ping", "hello"},
      {"PING", "a", "b"},
      {"ECHO", "x y"},
      {"ECHO"},
      {"SELECT", "0"},
      {"SELECT", "1"},
      {"SELECT", "-1"},
      {"SELECT", "01"},
      {"SELECT", "abc"},
      {"SELECT", "99999999999999"},
      {"SELECT"},
      {"ROLE"},
      {"AUTH", "a"},
      {"AUTH", "a", "b"},
      {"AUTH", "default", "b"},
      {"AUTH", "a", "b", "c"},
      {"HELLO"},
      {"HELLO", "2"},
      {"HELLO", "4"},
      {"HELLO", "x"},
      {"HELLO", "2", "foo"},
      {"HELLO", "2", "auth", "a"},
      {"HELLO", "2", "AUTH", "default", "pw"},
      {"HELLO", "2", "AUTH", "nobody", "pw"},
      {"HELLO", "2", "SETNAME", "a b"},
      {"HELLO", "2", "SETNAME", "svc"},
      {"CLIENT", "GETNAME"},
      {"CLIENT", "SETNAME", "ab"},
      {"CLIENT", "GETNAME"},
      {"CLIENT", "SETNAME", "a b"},
      {"CLIENT", "SETNAME", ""},
      {"CLIENT", "GETNAME"},
      {"CLIENT", "ID"},
      {"CLIENT", "NO-EVICT", "on"},
      {"CLIENT", "NO-EVICT", "maybe"},
      {"CLIENT", "SETNAME"},
      {"CLIENT"},
      {"CLIENT", "LIST", "TYPE", "foo"},
      {"CLIENT", "LIST", "ID", "abc"},
      {"CLIENT", "LIST", "x"},
      {"CONFIG", "GET", "save"},
      {"CONFIG", "GET", "appendonly"},
      {"CONFIG", "GET", "MAXMEMORY"},
      {"CONFIG", "GET", "max*policy"},
      {"CONFIG", "GET", "databases"},
      {"CONFIG", "GET", "nosuch"},
      {"COMMAND", "COUNT"},
      {"COMMAND", "INFO", "get"},
      {"COMMAND", "INFO", "get", "mset", "nosuch", "client|list", "zunionstore"},
      {"COMMAND", "DOCS", "get"},
      {"COMMAND", "DOCS", "set"},
      {"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"},
      {"COMMAND", "GETKEYS", "PING", "x"},
      {"COMMAND", "GETKEYS", "NOSUCH", "x"},
      {"COMMAND", "GETKEYS", "GET", "a", "b"},
      {"COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"},
      {"COMMAND", "LIST", "FILTERBY", "PATTERN", "GE?"},
      {"COMMAND", "LIST", "FILTERBY", "MODULE", "x"},
      {"COMMAND", "LIST", "x"},
      {"HELLO", "3"},
      {"PING"},
      {"CONFIG", "GET", "save"},
      {"COMMAND", "INFO", "get"},
      {"COMMAND", "DOCS", "get"},
      {"COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"},
      {"CLIENT", "GETNAME"},
      {"SELECT", "1"},
      {"HELLO", "2"},
  };
  for (const Args& args : commands) {
    std::string text;
    for (std::string_view a : args) text.append(a).append(" ");
    INFO(text);
    CHECK(Local(args, session, ctx) == redis.Call(args));
  }
}

}  // namespace
}  // namespace slotproxy::session

// CLUSTER subcommands against a real redis-server 7.0 in cluster mode: a lone node owning every
// slot (ADDSLOTSRANGE 0 16383), and our ClusterState given the same id and port, so every reply
// can be compared byte for byte, in RESP2 and RESP3. Without redis-server the differential
// cases only warn.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cluster/crc16.h"
#include "command/command_table.h"
#include "resp/reply_parser.h"
#include "server/commands/cluster_commands.h"
#include "server/handler_registry.h"

namespace slotproxy::server {
namespace {

using Args = std::vector<std::string>;

class NullEvents : public ShardEvents {
 public:
  void KeyModified(std::string_view) override {}
  void KeyReady(std::string_view) override {}
  void Propagate(std::span<const std::string_view>) override {}
  void Block(std::span<const std::string_view>, int64_t) override {}
};

// Binds 127.0.0.1:port (0: any); returns the bound port, 0 on failure.
uint16_t TryBind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  socklen_t len = sizeof(a);
  uint16_t bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    bound = ntohs(a.sin_port);
  }
  ::close(fd);
  return bound;
}

// A free port whose cluster bus port (+10000) is free too; 0 after 50 tries.
uint16_t FreeClusterPort() {
  for (int i = 0; i < 50; ++i) {
    uint16_t p = TryBind(0);
    if (p != 0 && p < 55535 && TryBind(static_cast<uint16_t>(p + 10000)) != 0) return p;
  }
  return 0;
}

// A blocking RESP connection with a bounded receive timeout.
class Conn {
 public:
  explicit Conn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  // The raw bytes of the reply to `args`; "" on a failure or timeout.
  std::string Call(const Args& args) {
    std::string req = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      return "";
    }
    resp::ReplyParser parser;
    std::string buf;
    char chunk[16384];
    for (int i = 0; i < 10000; ++i) {
      if (!buf.empty()) {
        resp::ReplyStatus st = parser.Parse(buf);
        if (st == resp::ReplyStatus::kComplete) return buf.substr(0, parser.info().length);
        if (st == resp::ReplyStatus::kError) return "";
      }
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return "";
      buf.append(chunk, static_cast<size_t>(n));
    }
    return "";
  }

 private:
  int fd_ = -1;
};

// redis-server in cluster mode, alone, owning every slot; killed in the destructor.
class RedisClusterNode {
 public:
  RedisClusterNode() {
    if (::access("/usr/bin/redis-server", X_OK) != 0) return;
    port_ = FreeClusterPort();
    if (port_ == 0) return;
    std::random_device rd;
    dir_ = (std::filesystem::temp_directory_path() / ("sp-cluster-cmd-" + std::to_string(rd())))
               .string();
    std::filesystem::create_directories(dir_);
    std::string port = std::to_string(port_), conf = dir_ + "/nodes.conf";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
              "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir_.c_str(),
              "--cluster-enabled", "yes", "--cluster-config-file", conf.c_str(), "--logfile",
              "/dev/null", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ready_ = pid_ > 0 && WaitUp();
  }
  ~RedisClusterNode() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  bool ready() const { return ready_; }
  uint16_t port() const { return port_; }

 private:
  // PING answered, all slots added, cluster_state:ok; bounded to about 15 s.
  bool WaitUp() {
    for (int i = 0; i < 300; ++i) {
      Conn c(port_);
      if (c.ok() && c.Call({"PING"}) == "+PONG\r\n") {
        if (c.Call({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}) != "+OK\r\n") return false;
        for (int j = 0; j < 300; ++j) {
          if (c.Call({"CLUSTER", "INFO"}).find("cluster_state:ok") != std::string::npos) {
            return true;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
  bool ready_ = false;
};

// Our side: a keyspace with an attached lone ClusterState, running the cluster handlers.
class OurNode {
 public:
  OurNode(const std::string& id, uint16_t port) : db_(&cluster::KeySlot) {
    ClusterStateOptions o;
    o.self_id = id;
    o.port = port;
    state_ = std::move(ClusterState::Open(o).value());
    AttachClusterState(&db_, state_.get());
    for (const HandlerRow& row : ClusterHandlers()) handlers_[std::string(row.name)] = row.handler;
  }
  ~OurNode() { AttachClusterState(&db_, nullptr); }

  // The reply bytes; command-table errors (unknown subcommand, arity) as the dispatcher sends.
  std::string Call(const Args& args, resp::Protocol protocol) {
    std::vector<std::string_view> views(args.begin(), args.end());
    const auto& table = command::CommandTable::BuiltIn();
    const command::CommandInfo* info = table.Lookup(views);
    if (info == nullptr) return "-" + command::UnknownCommandError(table, views) + "\r\n";
    if (!command::CheckArity(*info, views.size())) {
      return "-" + command::WrongArityError(*info) + "\r\n";
    }
    auto it = handlers_.find(std::string(info->name));
    if (it == handlers_.end()) return "<no handler for " + std::string(info->name) + ">";
    std::string out;
    resp::Encoder enc(&out, protocol);
    ClientState client;
    client.protocol = protocol;
    CommandContext ctx(db_, enc, client, events_, views, 1700000000000, info);
    it->second(ctx);
    return out;
  }

  engine::Keyspace& db() { return db_; }

 private:
  engine::Keyspace db_;
  std::unique_ptr<ClusterState> state_;
  NullEvents events_;
  std::map<std::string, Handler> handlers_;
};

std::string Printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("cluster commands: every row is a known command and the registry takes them") {
  const auto& table = command::CommandTable::BuiltIn();
  std::span<const HandlerRow> extra[] = {ClusterHandlers()};
  HandlerRegistry registry(table, extra);
  CHECK(registry.unknown_names().empty());
  for (const HandlerRow& row : ClusterHandlers()) {
    std::string name(row.name);
    std::string sub = name.substr(name.find('|') + 1);
    std::vector<std::string_view> args = {"cluster", sub};
    const command::CommandInfo* info = table.Lookup(args);
    REQUIRE(info != nullptr);
    const HandlerEntry* entry = registry.Find(info);
    REQUIRE(entry != nullptr);
    CHECK(entry->handler == row.handler);
  }
}

TEST_CASE("cluster commands: a keyspace without a state answers a clear error") {
  engine::Keyspace db(&cluster::KeySlot);
  std::string out;
  resp::Encoder enc(&out, resp::Protocol::kResp2);
  ClientState client;
  NullEvents events;
  std::vector<std::string_view> args = {"cluster", "myid"};
  CommandContext ctx(db, enc, client, events, args, 0, nullptr);
  ClusterHandlers()[4].handler(ctx);
  CHECK(out == "-ERR This shard has no cluster state attached\r\n");
}

TEST_CASE("cluster commands: unsupported subcommands say so") {
  OurNode node(std::string(40, 'a'), 7000);
  CHECK(node.Call({"CLUSTER", "meet", "1.2.3.4", "5"}, resp::Protocol::kResp2) ==
        "-ERR CLUSTER MEET is not supported by this shard (static fleet, no cluster bus)\r\n");
  CHECK(node.Call({"CLUSTER", "SETSLOT", "5", "STABLE"}, resp::Protocol::kResp2) ==
        "-ERR CLUSTER SETSLOT is not supported by this shard (static fleet, no cluster bus)\r\n");
  CHECK(node.Call({"CLUSTER", "REPLICAS", std::string(40, 'a')}, resp::Protocol::kResp2) ==
        "*0\r\n");
  CHECK(node.Call({"CLUSTER", "COUNT-FAILURE-REPORTS", std::string(40, 'a')},
                  resp::Protocol::kResp2) == ":0\r\n");
}

TEST_CASE("cluster commands: byte-exact with a lone redis-server 7.0 cluster node") {
  RedisClusterNode server;  // killed at the end of the test case
  RedisClusterNode* redis = &server;
  if (!redis->ready()) {
    WARN("no redis-server 7.0 in cluster mode: differential test skipped");
    return;
  }
  Conn conn(redis->port());
  REQUIRE(conn.ok());
  std::string id_reply = conn.Call({"CLUSTER", "MYID"});
  REQUIRE(id_reply.size() == 40 + 7);
  OurNode ours(id_reply.substr(5, 40), redis->port());
  REQUIRE(conn.Call({"FLUSHALL"}) == "+OK\r\n");
  // One key alone in its slot, three sharing a slot, so GETKEYSINSLOT's order is only compared
  // where it is defined.
  for (std::string key : {"foo", "{t}1", "{t}2", "{t}3", "123456789"}) {
    REQUIRE(conn.Call({"SET", key, "v"}) == "+OK\r\n");
    ours.db().SetString(key, "v");
  }
  const std::vector<Args> exact = {
      {"CLUSTER", "SLOTS"},
      {"CLUSTER", "SHARDS"},
      {"CLUSTER", "NODES"},
      {"CLUSTER", "INFO"},
      {"CLUSTER", "MYID"},
      {"CLUSTER", "KEYSLOT", "foo"},
      {"CLUSTER", "KEYSLOT", "{user1000}.following"},
      {"CLUSTER", "KEYSLOT", ""},
      {"CLUSTER", "KEYSLOT"},
      {"CLUSTER", "COUNTKEYSINSLOT", "12182"},
      {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(cluster::KeySlot("{t}1"))},
      {"CLUSTER", "COUNTKEYSINSLOT", "0"},
      {"CLUSTER", "COUNTKEYSINSLOT", "16384"},
      {"CLUSTER", "COUNTKEYSINSLOT", "-1"},
      {"CLUSTER", "COUNTKEYSINSLOT", "abc"},
      {"CLUSTER", "COUNTKEYSINSLOT", "00012"},
      {"CLUSTER", "GETKEYSINSLOT", "12182", "10"},
      {"CLUSTER", "GETKEYSINSLOT", "12739", "1"},
      {"CLUSTER", "GETKEYSINSLOT", "12182", "0"},
      {"CLUSTER", "GETKEYSINSLOT", "0", "5"},
      {"CLUSTER", "GETKEYSINSLOT", "16384", "1"},
      {"CLUSTER", "GETKEYSINSLOT", "1", "-1"},
      {"CLUSTER", "GETKEYSINSLOT", "x", "1"},
      {"CLUSTER", "GETKEYSINSLOT", "1", "x"},
      {"CLUSTER", "NOSUCH"},
      {"CLUSTER", "LINKS"},
      {"CLUSTER", "HELP"},
      {"CLUSTER", "REPLICAS", "abc"},
      {"CLUSTER", "SLAVES", "abc"},
      {"CLUSTER", "COUNT-FAILURE-REPORTS", "abc"},
      {"CLUSTER", "SAVECONFIG"},
  };
  for (resp::Protocol protocol : {resp::Protocol::kResp2, resp::Protocol::kResp3}) {
    if (protocol == resp::Protocol::kResp3) REQUIRE(conn.Call({"HELLO", "3"}).rfind("%7", 0) == 0);
    for (const Args& args : exact) {
      std::string want = conn.Call(args);
      std::string got = ours.Call(args, protocol);
      INFO("RESP" << static_cast<int>(protocol) << " " << args[0] << " " << args[1]);
      CHECK(Printable(got) == Printable(want));
    }
    // Several keys of one slot: the same keys, in whatever order each side keeps them.
    std::string slot = std::to_string(cluster::KeySlot("{t}1"));
    std::string want = conn.Call({"CLUSTER", "GETKEYSINSLOT", slot, "10"});
    std::string got = ours.Call({"CLUSTER", "GETKEYSINSLOT", slot, "10"}, protocol);
    CHECK(got.size() == want.size());
    CHECK(got.rfind("*3\r\n", 0) == 0);
    for (std::string key : {"{t}1", "{t}2", "{t}3"}) {
      CHECK(got.find("$4\r\n" + key + "\r\n") != std::string::npos);
      CHECK(want.find("$4\r\n" + key + "\r\n") != std::string::npos);
    }
    std::string two = ours.Call({"CLUSTER", "GETKEYSINSLOT", slot, "2"}, protocol);
    CHECK(two.rfind("*2\r\n", 0) == 0);
  }
}

}  // namespace slotproxy::server

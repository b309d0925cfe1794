// Transactions, blocking commands, HELLO 3 and authentication through a Worker, against
// scripted fake nodes (fake_cluster.h): what reaches which node, on which connection, and what
// the client reads.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "auth/acl.h"
#include "cluster/crc16.h"
#include "metrics/worker_stats.h"
#include "resp/encoder.h"
#include "session/worker.h"
#include "unit/session/fake_cluster.h"

namespace slotproxy::testing {
namespace {

// "b" and "{b}..." hash to node A's half, "a" to node B's.
struct Fixture {
  net::EventLoop loop;
  FakeNode a{loop};
  FakeNode b{loop};
  cluster::SlotMapHolder holder;
  session::WorkerShared shared;
  std::unique_ptr<session::Worker> worker;

  explicit Fixture(std::shared_ptr<const auth::AccessTable> access = nullptr,
                   metrics::WorkerStats* stats = nullptr, uint64_t slow_ns = 10'000'000) {
    holder.Store(TwoNodeMap(a.port(), b.port()));
    session::WorkerOptions options;
    options.listen.port = 0;
    options.dispatcher.op_timeout_ms = 300;
    options.limits.access = std::move(access);
    options.limits.slowlog_threshold_ns = slow_ns;
    options.stats = stats;
    worker = std::make_unique<session::Worker>(loop, holder, command::CommandTable::BuiltIn(),
                                               options, shared);
    REQUIRE(worker->Listen().ok());
  }
  ~Fixture() { worker.reset(); }

  std::unique_ptr<TestClient> Client() {
    return std::make_unique<TestClient>(loop, worker->Port());
  }
  void Expect(TestClient& c, const std::string& expected, uint64_t timeout_ms = 5000) {
    RunUntil(
        loop, [&] { return c.data().size() >= expected.size(); }, timeout_ms);
    CHECK(c.data() == expected);
  }
};

std::string Cmd(std::initializer_list<std::string_view> args) { return resp::EncodeCommand(args); }

// A node answering like Redis inside a transaction (no state: enough for the proxy's side).
FakeNode::Script TxNode() {
  return [](const std::vector<std::string>& args) -> std::optional<std::string> {
    const std::string& c = args[0];
    if (c == "MULTI" || c == "DISCARD" || c == "WATCH" || c == "UNWATCH") return "+OK\r\n";
    if (c == "HELLO") return "%1\r\n$5\r\nproto\r\n:3\r\n";
    if (c == "EXEC") return "*2\r\n+PONG\r\n+OK\r\n";
    if (c == "BLPOP") return "*2\r\n$1\r\nb\r\n$1\r\nx\r\n";
    if (c == "GET") return "_\r\n";
    return "+QUEUED\r\n";
  };
}

TEST_CASE("MULTI is held until the first key names the node; held replies are not doubled") {
  Fixture f;
  f.a.set_script(TxNode());
  f.b.set_script(TxNode());
  auto c = f.Client();
  c->Send(Cmd({"MULTI"}) + Cmd({"PING"}) + Cmd({"SET", "b", "1"}) + Cmd({"EXEC"}));
  f.Expect(*c, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+PONG\r\n+OK\r\n");
  CHECK(f.a.received() == std::vector<std::string>{"MULTI", "PING", "SET b 1", "EXEC"});
  CHECK(f.b.received().empty());
}

TEST_CASE("a second slot in a transaction is refused when queued and EXEC aborts") {
  Fixture f;
  f.a.set_script(TxNode());
  f.b.set_script(TxNode());
  auto c = f.Client();
  c->Send(Cmd({"MULTI"}) + Cmd({"SET", "b", "1"}) + Cmd({"SET", "a", "1"}) + Cmd({"EXEC"}));
  f.Expect(*c,
           "+OK\r\n+QUEUED\r\n-CROSSSLOT Keys in request don't hash to the same slot\r\n"
           "-EXECABORT Transaction discarded because of previous errors.\r\n");
  RunUntil(
      f.loop, [&] { return f.a.received().size() >= 3; }, 2000);
  // The node saw MULTI and the first SET, then DISCARD: nothing of it can apply.
  CHECK(f.a.received() == std::vector<std::string>{"MULTI", "SET b 1", "DISCARD"});
  CHECK(f.b.received().empty());
}

TEST_CASE("EXEC, DISCARD and WATCH outside their context get Redis's errors") {
  Fixture f;
  auto c = f.Client();
  c->Send(Cmd({"EXEC"}) + Cmd({"DISCARD"}) + Cmd({"UNWATCH"}) + Cmd({"MULTI"}) + Cmd({"MULTI"}) +
          Cmd({"WATCH", "b"}) + Cmd({"DISCARD"}));
  f.Expect(*c,
           "-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n+OK\r\n+OK\r\n"
           "-ERR MULTI calls can not be nested\r\n-ERR WATCH inside MULTI is not allowed\r\n"
           "+OK\r\n");
  CHECK(f.a.received().empty());
  CHECK(f.b.received().empty());
}

TEST_CASE("a blocking command waits past the op timeout on its own connection") {
  Fixture f;
  f.b.set_script([](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (args[0] == "BLPOP") return std::nullopt;  // blocked until released
    return "+OK\r\n";
  });
  f.a.set_script(TxNode());
  auto c = f.Client();
  c->Send(Cmd({"BLPOP", "a", "0"}) + Cmd({"SET", "b", "1"}));
  // Longer than the 300 ms op timeout: no timeout error for the blocked command.
  RunUntil(
      f.loop, [] { return false; }, 700);
  CHECK(c->data().empty());
  CHECK(f.b.accepted() == 1);                                    // the dedicated connection
  CHECK(f.a.received() == std::vector<std::string>{"SET b 1"});  // answered, held in order
  f.b.Release("*2\r\n$1\r\na\r\n$1\r\nv\r\n");
  f.Expect(*c, "*2\r\n$1\r\na\r\n$1\r\nv\r\n+QUEUED\r\n");
}

TEST_CASE("HELLO 3: RESP3 backend connections say HELLO 3 before the client's commands") {
  Fixture f;
  f.a.set_script(TxNode());
  auto c = f.Client();
  c->Send(Cmd({"HELLO", "3"}));
  RunUntil(
      f.loop, [&] { return c->data().size() > 20; }, 2000);
  REQUIRE(c->data().rfind("%7\r\n$6\r\nserver\r\n", 0) == 0);
  c->Send(Cmd({"GET", "b"}));
  RunUntil(
      f.loop, [&] { return c->data().find("_\r\n") != std::string::npos; }, 2000);
  CHECK(f.a.received() == std::vector<std::string>{"HELLO 3", "GET b"});
}

std::shared_ptr<const auth::AccessTable> Access() {
  config::AuthConfig cfg;
  cfg.requirepass = "sekret";
  config::UserConfig app;
  app.name = "app";
  app.password = "pw";
  app.commands = {"+get"};
  app.keys = {"b*"};
  cfg.users.push_back(app);
  auto table = auth::AccessTable::Build(cfg, command::CommandTable::BuiltIn());
  REQUIRE(table.ok());
  return std::shared_ptr<const auth::AccessTable>(std::move(table.value()));
}

TEST_CASE("requirepass and ACL users: NOAUTH, WRONGPASS, NOPERM, then commands pass") {
  Fixture f(Access());
  f.a.set_script(TxNode());
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}) + Cmd({"AUTH", "nope"}) + Cmd({"AUTH", "app", "pw"}) +
          Cmd({"GET", "b"}) + Cmd({"GET", "a"}) + Cmd({"SET", "b", "1"}) + Cmd({"ACL", "WHOAMI"}));
  f.Expect(*c,
           "-NOAUTH Authentication required.\r\n"
           "-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n_\r\n"
           "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
           "-NOPERM this user has no permissions to run the 'set' command\r\n"
           "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n");
  CHECK(f.a.received() == std::vector<std::string>{"GET b"});
}

TEST_CASE("before AUTH a request is bounded as in Redis: more than 10 arguments is an error") {
  Fixture f(Access());
  auto c = f.Client();
  std::vector<std::string_view> args(11, "x");
  std::string big;
  resp::EncodeCommand(args, &big);
  c->Send(big);
  f.Expect(*c, "-ERR Protocol error: unauthenticated multibulk length\r\n");
  RunUntil(
      f.loop, [&] { return c->closed(); }, 2000);
  CHECK(c->closed());
}

// Records what the session reports.
struct StatsRecorder final : metrics::WorkerStats {
  struct Call {
    std::string row;
    uint64_t total_ns;
    uint64_t backend_ns;
    bool failed;
  };
  std::vector<Call> commands;
  std::vector<std::string> slow;  // first argument of each slow entry
  int protocol_errors = 0;
  uint64_t bytes_in = 0;
  void RecordCommand(const command::CommandInfo* row, uint64_t total_ns, uint64_t backend_ns,
                     bool failed) override {
    commands.push_back(
        {row != nullptr ? std::string(row->name) : "?", total_ns, backend_ns, failed});
  }
  void RecordBackendRtt(std::string_view, uint64_t) override {}
  void CountMoved() override {}
  void CountAsk() override {}
  void CountTryAgain() override {}
  void CountBackendConnect(std::string_view, bool) override {}
  void CountBackendTimeout(std::string_view) override {}
  void CountProtocolError() override { ++protocol_errors; }
  void AddBytes(uint64_t in, uint64_t) override { bytes_in += in; }
  void RecordSlow(const std::string_view* args, size_t argc, uint64_t, uint64_t, std::string_view,
                  std::string_view) override {
    std::string line;
    for (size_t i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(args[i]);
    slow.push_back(line);
  }
};

TEST_CASE("every command is reported once with its row, times and outcome") {
  StatsRecorder stats;
  Fixture f(nullptr, &stats, /*slow_ns=*/0);  // threshold 0: every request is "slow"
  f.a.set_script(TxNode());
  f.b.set_script(TxNode());
  auto c = f.Client();
  const std::string sent = Cmd({"PING"}) + Cmd({"GET", "b"}) + Cmd({"NOSUCH"}) +
                           Cmd({"MGET", "a", "b"}) + Cmd({"CLIENT", "ID"});
  c->Send(sent);
  RunUntil(
      f.loop, [&] { return stats.commands.size() >= 5; }, 3000);
  REQUIRE(stats.commands.size() == 5);
  // Reported when each reply is complete (local ones first), once each.
  auto find = [&](const std::string& row) {
    auto it = std::find_if(stats.commands.begin(), stats.commands.end(),
                           [&](const StatsRecorder::Call& call) { return call.row == row; });
    REQUIRE(it != stats.commands.end());
    return *it;
  };
  CHECK(find("ping").backend_ns == 0);
  CHECK_FALSE(find("ping").failed);
  CHECK(find("get").backend_ns == find("get").total_ns);
  CHECK(find("?").failed);
  CHECK(find("mget").backend_ns > 0);
  CHECK(find("client|id").backend_ns == 0);
  CHECK(stats.slow.size() == 5);
  CHECK(std::find(stats.slow.begin(), stats.slow.end(), "GET b") != stats.slow.end());
  CHECK(stats.bytes_in == sent.size());
  c->Send("*1\r\n$x\r\n");
  RunUntil(
      f.loop, [&] { return stats.protocol_errors > 0; }, 3000);
  CHECK(stats.protocol_errors == 1);
}

}  // namespace
}  // namespace slotproxy::testing

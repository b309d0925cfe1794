// Dispatcher tests against an in-process shard over real sockets: fake list/string handlers
// (registered as overrides) exercise blocking, WATCH, the AOF sink, the cluster check, AUTH and
// MULTI queueing, independently of the command families.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "command/command_table.h"
#include "engine/numbers.h"
#include "server/aof_sink.h"
#include "server/cluster_check.h"
#include "server/handler_registry.h"
#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::Bulk;
using testing::ShardFixture;
using testing::TestClient;

// Lists of the fake handlers; touched only on the shard's thread.
std::map<std::string, std::deque<std::string>>& Lists() {
  static auto* lists = new std::map<std::string, std::deque<std::string>>();
  return *lists;
}

void FakeRPush(CommandContext& ctx) {
  auto& list = Lists()[std::string(ctx.args[1])];
  for (size_t i = 2; i < ctx.argc(); ++i) list.emplace_back(ctx.args[i]);
  ctx.reply.Integer(static_cast<int64_t>(list.size()));
  ctx.MarkDirty();
  ctx.events.KeyModified(ctx.args[1]);
  ctx.events.KeyReady(ctx.args[1]);
}

void FakeLLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(Lists()[std::string(ctx.args[1])].size()));
}

void FakeBLPop(CommandContext& ctx) {
  for (size_t i = 1; i + 1 < ctx.argc(); ++i) {
    auto& list = Lists()[std::string(ctx.args[i])];
    if (list.empty()) continue;
    std::string v = list.front();
    list.pop_front();
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.Bulk(v);
    std::string_view rec[] = {"LPOP", ctx.args[i]};
    ctx.events.Propagate(rec);
    ctx.MarkPropagated();
    ctx.MarkDirty();
    return;
  }
  if (!ctx.may_block) {
    ctx.reply.NullArray();
    return;
  }
  long double secs = 0;
  engine::ParseLongDouble(ctx.args[ctx.argc() - 1], &secs);
  int64_t deadline = secs > 0 ? ctx.now_ms + static_cast<int64_t>(secs * 1000) : 0;
  ctx.events.Block(ctx.args.subspan(1, ctx.argc() - 2), deadline);
}

void FakeSet(CommandContext& ctx) {
  ctx.db.SetString(ctx.args[1], ctx.args[2]);
  ctx.events.KeyModified(ctx.args[1]);
  ctx.MarkDirty();
  ctx.reply.SimpleString("OK");
}

constexpr HandlerRow kFakes[] = {
    {"rpush", &FakeRPush}, {"llen", &FakeLLen}, {"blpop", &FakeBLPop}, {"set", &FakeSet}};

const HandlerRegistry& FakeRegistry() {
  static const std::span<const HandlerRow> extra[] = {kFakes};
  static auto* registry = new HandlerRegistry(command::CommandTable::BuiltIn(), extra);
  return *registry;
}

class RecordingAof : public AofSink {
 public:
  void Append(std::span<const std::string_view> args) override {
    std::string rec;
    for (auto a : args) rec += std::string(a) + " ";
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(rec);
  }
  std::vector<std::string> records() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> records_;
};

// Sends MOVED for any key named "moved"; otherwise the one-node answer.
class FakeCluster : public ClusterCheck {
 public:
  std::optional<std::string> Check(const command::CommandInfo& info,
                                   std::span<const std::string_view> args, bool asking) override {
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "moved" && !asking) return std::string("MOVED 3999 127.0.0.1:6381");
    }
    return own_.Check(info, args, asking);
  }

 private:
  OwnAllSlotsCheck own_;
};

ShardOptions FakeOptions() {
  ShardOptions o;
  o.registry = &FakeRegistry();
  return o;
}

TEST_CASE("blocked client is served when a key gets data, then runs its pipeline") {
  ShardFixture shard(FakeOptions());
  REQUIRE(shard.ok());
  TestClient a(shard.port()), b(shard.port());
  REQUIRE(a.Send(resp::EncodeCommand({"BLPOP", "bq1", "0"}) + "PING\r\n"));
  REQUIRE(a.Quiet(50));  // parked: neither the BLPOP nor the PING answered yet
  REQUIRE(b.Call({"RPUSH", "bq1", "v1"}) == ":1\r\n");
  CHECK(a.Read() == "*2\r\n" + Bulk("bq1") + Bulk("v1"));
  CHECK(a.Read() == "+PONG\r\n");
  CHECK(b.Call({"LLEN", "bq1"}) == ":0\r\n");
}

TEST_CASE("clients blocked on one key are served in FIFO order") {
  ShardFixture shard(FakeOptions());
  REQUIRE(shard.ok());
  TestClient first(shard.port()), second(shard.port()), pusher(shard.port());
  REQUIRE(first.SendCommand({"BLPOP", "{f}q", "0"}));
  REQUIRE(first.Quiet(30));
  REQUIRE(second.SendCommand({"BLPOP", "{f}other", "{f}q", "0"}));
  REQUIRE(second.Quiet(30));
  REQUIRE(pusher.Call({"RPUSH", "{f}q", "x"}) == ":1\r\n");
  CHECK(first.Read() == "*2\r\n" + Bulk("{f}q") + Bulk("x"));
  CHECK(second.Quiet(30));
  REQUIRE(pusher.Call({"RPUSH", "{f}q", "y"}) == ":1\r\n");
  CHECK(second.Read() == "*2\r\n" + Bulk("{f}q") + Bulk("y"));
}

TEST_CASE("a blocked client times out with a null array in its protocol") {
  ShardFixture shard(FakeOptions());
  REQUIRE(shard.ok());
  TestClient a(shard.port());
  CHECK(a.Call({"BLPOP", "never", "0.01"}) == "*-1\r\n");
  REQUIRE(a.Call({"HELLO", "3"}).substr(0, 4) == "%7\r\n");
  CHECK(a.Call({"BLPOP", "never", "0.01"}) == "_\r\n");
}

TEST_CASE("a blocked client that disconnects is released at once") {
  ShardFixture shard(FakeOptions());
  REQUIRE(shard.ok());
  TestClient b(shard.port());
  {
    TestClient a(shard.port());
    REQUIRE(a.SendCommand({"BLPOP", "gone", "0"}));
    REQUIRE(a.Quiet(30));
    REQUIRE(b.Call({"INFO", "clients"}).find("blocked_clients:1\r\n") != std::string::npos);
  }
  bool released = false;
  for (int i = 0; i < 200 && !released; ++i) {
    released = b.Call({"INFO", "clients"}).find("blocked_clients:0\r\n") != std::string::npos;
  }
  REQUIRE(released);
  CHECK(b.Call({"RPUSH", "gone", "v"}) == ":1\r\n");
  CHECK(b.Call({"LLEN", "gone"}) == ":1\r\n");  // nobody took it
}

TEST_CASE("blocking commands inside MULTI answer at once") {
  ShardFixture shard(FakeOptions());
  REQUIRE(shard.ok());
  TestClient a(shard.port());
  REQUIRE(a.Call({"MULTI"}) == "+OK\r\n");
  REQUIRE(a.Call({"BLPOP", "mq", "0"}) == "+QUEUED\r\n");
  REQUIRE(a.Call({"PING"}) == "+QUEUED\r\n");
  CHECK(a.Call({"EXEC"}) == "*2\r\n*-1\r\n+PONG\r\n");
}

TEST_CASE("WATCH: a write by another client fails EXEC; untouched keys do not") {
  ShardFixture shard(FakeOptions());
  REQUIRE(shard.ok());
  TestClient a(shard.port()), b(shard.port());
  REQUIRE(a.Call({"WATCH", "wk"}) == "+OK\r\n");
  REQUIRE(b.Call({"SET", "wk", "1"}) == "+OK\r\n");
  REQUIRE(a.Call({"MULTI"}) == "+OK\r\n");
  REQUIRE(a.Call({"PING"}) == "+QUEUED\r\n");
  CHECK(a.Call({"EXEC"}) == "*-1\r\n");
  // The failed EXEC unwatched everything: the next transaction runs.
  REQUIRE(b.Call({"SET", "wk", "2"}) == "+OK\r\n");
  REQUIRE(a.Call({"MULTI"}) == "+OK\r\n");
  REQUIRE(a.Call({"PING"}) == "+QUEUED\r\n");
  CHECK(a.Call({"EXEC"}) == "*1\r\n+PONG\r\n");
  // FLUSHALL breaks a WATCH only when the watched key existed.
  REQUIRE(a.Call({"WATCH", "wk"}) == "+OK\r\n");
  REQUIRE(b.Call({"FLUSHALL"}) == "+OK\r\n");
  REQUIRE(a.Call({"MULTI"}) == "+OK\r\n");
  CHECK(a.Call({"EXEC"}) == "*-1\r\n");
}

TEST_CASE("writes reach the AOF sink as sent or as rewritten; reads do not") {
  RecordingAof aof;
  ShardOptions o = FakeOptions();
  o.aof = &aof;
  ShardFixture shard(o);
  REQUIRE(shard.ok());
  TestClient a(shard.port());
  REQUIRE(a.Call({"RPUSH", "aofk", "x"}) == ":1\r\n");
  REQUIRE(a.Call({"LLEN", "aofk"}) == ":1\r\n");
  REQUIRE(a.Call({"BLPOP", "aofk", "0"}) == "*2\r\n" + Bulk("aofk") + Bulk("x"));
  REQUIRE(a.Call({"MULTI"}) == "+OK\r\n");
  REQUIRE(a.Call({"SET", "s", "1"}) == "+QUEUED\r\n");
  REQUIRE(a.Call({"EXEC"}) == "*1\r\n+OK\r\n");
  CHECK(aof.records() == std::vector<std::string>{"RPUSH aofk x ", "LPOP aofk ", "SET s 1 "});
}

TEST_CASE("cluster check: redirect errors, EXECABORT, CROSSSLOT across a transaction") {
  FakeCluster cluster;
  ShardOptions o = FakeOptions();
  o.cluster_check = &cluster;
  ShardFixture shard(o);
  REQUIRE(shard.ok());
  TestClient a(shard.port());
  CHECK(a.Call({"SET", "moved", "1"}) == "-MOVED 3999 127.0.0.1:6381\r\n");
  CHECK(a.Call({"ASKING"}) == "+OK\r\n");
  CHECK(a.Call({"SET", "moved", "1"}) == "+OK\r\n");  // ASKING lets one command through
  CHECK(a.Call({"SET", "moved", "1"}) == "-MOVED 3999 127.0.0.1:6381\r\n");
  CHECK(a.Call({"RPUSH", "a", "b"}).substr(0, 1) == ":");
  CHECK(a.Call({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}) ==
        "*2\r\n" + Bulk("a") + Bulk("b"));
  CHECK(a.Call({"BLPOP", "a", "b", "0"}) ==
        "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
  REQUIRE(a.Call({"MULTI"}) == "+OK\r\n");
  CHECK(a.Call({"SET", "moved", "1"}) == "-MOVED 3999 127.0.0.1:6381\r\n");
  CHECK(a.Call({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  REQUIRE(a.Call({"MULTI"}) == "+OK\r\n");
  REQUIRE(a.Call({"SET", "a", "1"}) == "+QUEUED\r\n");
  REQUIRE(a.Call({"SET", "b", "1"}) == "+QUEUED\r\n");
  CHECK(a.Call({"EXEC"}) == "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
  CHECK(a.Call({"EXEC"}) == "-ERR EXEC without MULTI\r\n");
}

TEST_CASE("a table command without a handler answers like an unknown command") {
  ShardFixture shard(FakeOptions());
  REQUIRE(shard.ok());
  TestClient a(shard.port());
  // LATENCY DOCTOR is in the table; nothing here implements it.
  CHECK(a.Call({"LATENCY", "DOCTOR"}) == "-ERR unknown subcommand 'DOCTOR'. Try LATENCY HELP.\r\n");
  CHECK(a.Call({"MULTI"}) == "+OK\r\n");
  CHECK(a.Call({"WAIT", "0", "0"}).substr(0, 20) == "-ERR unknown command");
  CHECK(a.Call({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
}

TEST_CASE("requirepass: NOAUTH until AUTH, unauthenticated parser limits") {
  ShardOptions o = FakeOptions();
  o.requirepass = "secret";
  ShardFixture shard(o);
  REQUIRE(shard.ok());
  TestClient a(shard.port());
  CHECK(a.Call({"PING"}) == "-NOAUTH Authentication required.\r\n");
  CHECK(a.Call({"AUTH", "nope"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(a.Call({"AUTH", "secret"}) == "+OK\r\n");
  CHECK(a.Call({"PING"}) == "+PONG\r\n");
  CHECK(a.Call({"RESET"}) == "+RESET\r\n");
  CHECK(a.Call({"PING"}) == "-NOAUTH Authentication required.\r\n");
  TestClient b(shard.port());
  REQUIRE(b.Send("*11\r\n"));
  bool eof = false;
  CHECK(b.ReadToEof(&eof) == "-ERR Protocol error: unauthenticated multibulk length\r\n");
  CHECK(eof);
}

}  // namespace
}  // namespace slotproxy::server

// EVAL / EVALSHA / SCRIPT end to end in an in-process shard with the real command handlers:
// redis.call reaching the keyspace, the AOF receiving the script's effects (not the EVAL), the
// cluster check on keys the script touches, WATCH, MULTI and the numkeys errors.
#include <catch2/catch.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/aof_sink.h"
#include "server/cluster_check.h"
#include "server/scripting/sha1.h"
#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::Bulk;
using testing::ShardFixture;
using testing::TestClient;

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

// Keys named "remote" belong to another node; the rest is the one-node answer.
class RemoteKeyCheck : public ClusterCheck {
 public:
  std::optional<std::string> Check(const command::CommandInfo& info,
                                   std::span<const std::string_view> args, bool asking) override {
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "remote") return std::string("MOVED 3999 127.0.0.1:6381");
    }
    return own_.Check(info, args, asking);
  }

 private:
  OwnAllSlotsCheck own_;
};

std::string At(std::string_view body, int line = 1) {
  return " script: " + scripting::Sha1Hex(body) + ", on @user_script:" + std::to_string(line) + ".";
}

TEST_CASE("EVAL runs real commands and logs their effects, not the EVAL") {
  RecordingAof aof;
  ShardOptions options;
  options.aof = &aof;
  ShardFixture shard(options);
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  CHECK(c.Call({"EVAL",
                "redis.call('set', KEYS[1], ARGV[1]) redis.call('set', KEYS[2], 'x', 'EX', "
                "'100') return redis.call('incrby', KEYS[1], 2)",
                "2", "{t}a", "{t}b", "5"}) == ":7\r\n");
  CHECK(c.Call({"GET", "{t}a"}) == Bulk("7"));
  std::vector<std::string> recs = aof.records();
  REQUIRE(recs.size() == 3);
  CHECK(recs[0] == "set {t}a 5 ");
  CHECK(recs[1].starts_with("SET {t}b x PXAT "));  // the handler's own rewrite survives
  CHECK(recs[2] == "incrby {t}a 2 ");
  // Reads, refused writes and set_repl(REPL_NONE) add nothing.
  CHECK(c.Call({"EVAL", "return redis.call('get', KEYS[1])", "1", "{t}a"}) == Bulk("7"));
  std::string ro = "return redis.call('set', KEYS[1], '1')";
  CHECK(c.Call({"EVAL_RO", ro, "1", "{t}a"}) ==
        "-ERR Write commands are not allowed from read-only scripts." + At(ro) + "\r\n");
  CHECK(c.Call({"EVAL", "redis.set_repl(redis.REPL_NONE) return redis.call('del', KEYS[1])", "1",
                "{t}b"}) == ":1\r\n");
  CHECK(aof.records().size() == 3);
}

TEST_CASE("EVALSHA, SCRIPT LOAD / EXISTS / FLUSH / KILL and numkeys errors") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  std::string sha = scripting::Sha1Hex("return ARGV[1]");
  CHECK(c.Call({"EVALSHA", sha, "0", "x"}) == "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  CHECK(c.Call({"SCRIPT", "LOAD", "return ARGV[1]"}) == Bulk(sha));
  CHECK(c.Call({"EVALSHA", sha, "0", "x"}) == Bulk("x"));
  CHECK(c.Call({"EVALSHA_RO", sha, "0", "y"}) == Bulk("y"));
  CHECK(c.Call({"SCRIPT", "EXISTS", sha, "abc"}) == "*2\r\n:1\r\n:0\r\n");
  CHECK(c.Call({"SCRIPT", "FLUSH", "ASYNC"}) == "+OK\r\n");
  CHECK(c.Call({"SCRIPT", "EXISTS", sha}) == "*1\r\n:0\r\n");
  CHECK(c.Call({"SCRIPT", "FLUSH", "x"}) == "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n");
  CHECK(c.Call({"SCRIPT", "KILL"}) == "-NOTBUSY No scripts in execution right now.\r\n");
  CHECK(c.Call({"EVAL", "return 1", "2", "a"}) ==
        "-ERR Number of keys can't be greater than number of args\r\n");
  CHECK(c.Call({"EVAL", "return 1", "-1"}) == "-ERR Number of keys can't be negative\r\n");
  CHECK(c.Call({"EVAL", "return 1", "x"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(c.Call({"EVAL", "return 1", "2", "a", "b"}) ==
        "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
  CHECK(c.Call({"EVAL", "return 1"}) == "-ERR wrong number of arguments for 'eval' command\r\n");
}

TEST_CASE("commands scripts may not call, and the cluster check on a script's keys") {
  ShardOptions options;
  RemoteKeyCheck check;
  options.cluster_check = &check;
  ShardFixture shard(options);
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  std::string b = "return redis.call('get', 'remote')";
  CHECK(c.Call({"EVAL", b, "0"}) ==
        "-ERR Script attempted to access a non local key in a cluster node" + At(b) + "\r\n");
  CHECK(c.Call({"EVAL", "return redis.pcall('get', 'remote')", "0"}) ==
        "-ERR Script attempted to access a non local key in a cluster node\r\n");
  CHECK(c.Call({"EVAL", "return 1", "1", "remote"}) == "-MOVED 3999 127.0.0.1:6381\r\n");
  b = "return redis.call('mget', 'a', 'b')";
  CHECK(c.Call({"EVAL", b, "0"}) ==
        "-ERR Script attempted to access a non local key in a cluster node" + At(b) + "\r\n");
  for (const char* cmd : {"'multi'", "'eval', 'return 1', '0'", "'blpop', 'l', '0'",
                          "'subscribe', 'x'", "'script', 'load', 'x'", "'client', 'id'"}) {
    b = std::string("return redis.pcall(") + cmd + ")";
    CHECK(c.Call({"EVAL", b, "0"}) == "-ERR This Redis command is not allowed from script\r\n");
  }
  CHECK(c.Call({"EVAL", "return redis.pcall('nosuch')", "0"}) ==
        "-ERR Unknown Redis command called from script\r\n");
  CHECK(c.Call({"EVAL", "return redis.pcall('get')", "0"}) ==
        "-ERR Wrong number of args calling Redis command from script\r\n");
  CHECK(c.Call({"EVAL", "return redis.call('ping')", "0"}) == "+PONG\r\n");
  CHECK(c.Call({"EVAL", "return redis.call('echo', 'hi')", "0"}) == Bulk("hi"));
  CHECK(c.Call({"EVAL_RO", "return redis.pcall('publish', 'ch', 'm')", "0"}) ==
        "-ERR Write commands are not allowed from read-only scripts.\r\n");
}

TEST_CASE("a script's writes touch WATCHed keys; EVAL queues inside MULTI") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient a(shard.port());
  TestClient b(shard.port());
  CHECK(a.Call({"WATCH", "w"}) == "+OK\r\n");
  CHECK(b.Call({"EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "w"}) == "+OK\r\n");
  CHECK(a.Call({"MULTI"}) == "+OK\r\n");
  CHECK(a.Call({"EVAL", "return redis.call('set', KEYS[1], 'y')", "1", "w"}) == "+QUEUED\r\n");
  CHECK(a.Call({"EXEC"}) == "*-1\r\n");
  CHECK(a.Call({"MULTI"}) == "+OK\r\n");
  CHECK(a.Call({"EVAL", "return redis.call('set', KEYS[1], 'y')", "1", "w"}) == "+QUEUED\r\n");
  CHECK(a.Call({"EVAL", "return redis.call('get', KEYS[1])", "1", "w"}) == "+QUEUED\r\n");
  CHECK(a.Call({"EXEC"}) == "*2\r\n+OK\r\n$1\r\ny\r\n");
  CHECK(a.Call({"HELLO", "3"}).starts_with("%7\r\n"));
  CHECK(a.Call({"EVAL", "return redis.call('get', 'nokey')", "0"}) == "_\r\n");
  CHECK(a.Call({"EVAL", "redis.setresp(3) return redis.call('hgetall', 'h')", "0"}) == "%0\r\n");
}

}  // namespace
}  // namespace slotproxy::server

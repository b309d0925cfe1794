// What the string and key handlers report to the shard, at fixed clock values: AOF records
// (relative times rewritten to absolute PXAT / PEXPIREAT, DEL for past times, INCRBYFLOAT as
// SET ... KEEPTTL, GETDEL as DEL), KeyModified / KeyReady, MarkDirty, and expiry at exact times.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>

#include "engine/types/list_value.h"
#include "string_test_util.h"

namespace slotproxy::server::testing {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

struct Fixture {
  HandlerHarness h;

  // Runs `args` at `now` with fresh event records.
  std::string Run(const Args& args, int64_t now = kNow) {
    h.events.Clear();
    return h.Call(args, resp::Protocol::kResp2, now);
  }
  const std::vector<Args>& propagated() const { return h.events.propagated; }
  const std::vector<std::string>& modified() const { return h.events.modified; }
  void MakeList(const std::string& key) {
    auto v = std::make_unique<engine::ListValue>();
    v->PushBack("x");
    h.db().Store(key, std::move(v));
  }
};

const std::string kNowPlus100s = std::to_string(kNow + 100'000);

TEST_CASE("SET with a relative time is logged as SET ... PXAT absolute", "[server][strings]") {
  Fixture f;
  for (const Args& cmd : {Args{"SET", "k", "v", "EX", "100"}, Args{"set", "k", "v", "px", "100000"},
                          Args{"SETEX", "k", "100", "v"}, Args{"PSETEX", "k", "100000", "v"},
                          Args{"SET", "k", "v", "NX", "EX", "100", "GET"}}) {
    f.h.db().Flush();
    INFO(cmd[0] << " " << cmd[3]);
    f.Run(cmd);
    REQUIRE(f.propagated() == std::vector<Args>{{"SET", "k", "v", "PXAT", kNowPlus100s}});
    CHECK(f.h.last_propagated);
    CHECK(f.h.last_dirty > 0);
    CHECK(f.modified() == std::vector<std::string>{"k"});
    CHECK(f.Run({"PTTL", "k"}) == ":100000\r\n");
  }
  f.Run({"SET", "k", "v", "EXAT", "2000000000"});
  CHECK(f.propagated() == std::vector<Args>{{"SET", "k", "v", "PXAT", "2000000000000"}});
  f.Run({"SET", "k", "v", "PXAT", "2000000000001"});
  CHECK(f.propagated() == std::vector<Args>{{"SET", "k", "v", "PXAT", "2000000000001"}});
}

TEST_CASE("SET without a time is logged as sent, or without GET", "[server][strings]") {
  Fixture f;
  CHECK(f.Run({"SET", "k", "v"}) == "+OK\r\n");
  CHECK(f.propagated().empty());
  CHECK_FALSE(f.h.last_propagated);
  CHECK(f.h.last_dirty == 1);
  CHECK(f.Run({"SET", "k", "v2", "GET"}) == "$1\r\nv\r\n");
  CHECK(f.propagated() == std::vector<Args>{{"SET", "k", "v2"}});
  CHECK(f.Run({"SET", "k", "v3", "get", "KEEPTTL"}) == "$2\r\nv2\r\n");
  CHECK(f.propagated() == std::vector<Args>{{"SET", "k", "v3", "KEEPTTL"}});
  // A SET that does nothing is not a write.
  CHECK(f.Run({"SET", "k", "x", "NX"}) == "$-1\r\n");
  CHECK(f.h.last_dirty == 0);
  CHECK(f.modified().empty());
  CHECK(f.Run({"SETNX", "k", "x"}) == ":0\r\n");
  CHECK(f.h.last_dirty == 0);
  CHECK(f.Run({"SET", "k", "v", "EX", "0"}) == "-ERR invalid expire time in 'set' command\r\n");
  CHECK(f.h.last_dirty == 0);
}

TEST_CASE("GETEX, GETDEL, GETSET and INCRBYFLOAT are logged in their plain forms",
          "[server][strings]") {
  Fixture f;
  f.Run({"SET", "k", "v"});
  CHECK(f.Run({"GETEX", "k"}) == "$1\r\nv\r\n");
  CHECK(f.h.last_dirty == 0);
  f.Run({"GETEX", "k", "EX", "100"});
  CHECK(f.propagated() == std::vector<Args>{{"PEXPIREAT", "k", kNowPlus100s}});
  CHECK(f.modified() == std::vector<std::string>{"k"});
  f.Run({"GETEX", "k", "PXAT", "2000000000000"});
  CHECK(f.propagated() == std::vector<Args>{{"PEXPIREAT", "k", "2000000000000"}});
  f.Run({"GETEX", "k", "PERSIST"});
  CHECK(f.propagated() == std::vector<Args>{{"PERSIST", "k"}});
  f.Run({"GETEX", "k", "PERSIST"});  // no TTL left: nothing to log
  CHECK(f.propagated().empty());
  CHECK(f.h.last_dirty == 0);
  CHECK(f.Run({"GETEX", "k", "EXAT", "1"}) == "$1\r\nv\r\n");
  CHECK(f.propagated() == std::vector<Args>{{"DEL", "k"}});
  CHECK(f.h.db().Size() == 0);

  f.Run({"SET", "k", "v"});
  CHECK(f.Run({"GETDEL", "k"}) == "$1\r\nv\r\n");
  CHECK(f.propagated() == std::vector<Args>{{"DEL", "k"}});
  CHECK(f.Run({"GETDEL", "k"}) == "$-1\r\n");
  CHECK(f.h.last_dirty == 0);

  CHECK(f.Run({"GETSET", "k", "1"}) == "$-1\r\n");
  CHECK(f.propagated() == std::vector<Args>{{"SET", "k", "1"}});

  f.Run({"SET", "f", "1", "EX", "100"});
  CHECK(f.Run({"INCRBYFLOAT", "f", "0.5"}) == "$3\r\n1.5\r\n");
  CHECK(f.propagated() == std::vector<Args>{{"SET", "f", "1.5", "KEEPTTL"}});
  CHECK(f.Run({"PTTL", "f"}) == ":100000\r\n");
  CHECK(f.Run({"INCRBYFLOAT", "f", "x"}) == "-ERR value is not a valid float\r\n");
  CHECK(f.propagated().empty());
}

TEST_CASE("counters and in-place writes mark dirty only when they change something",
          "[server][strings]") {
  Fixture f;
  CHECK(f.Run({"INCR", "n"}) == ":1\r\n");
  CHECK(f.h.last_dirty == 1);
  CHECK(f.modified() == std::vector<std::string>{"n"});
  CHECK(f.Run({"INCRBY", "n", "x"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(f.h.last_dirty == 0);
  CHECK(f.Run({"SETRANGE", "s", "3", ""}) == ":0\r\n");
  CHECK(f.h.last_dirty == 0);
  CHECK(f.Run({"SETRANGE", "s", "3", "ab"}) == ":5\r\n");
  CHECK(f.h.last_dirty == 1);
  CHECK(f.Run({"SETRANGE", "s", "0", ""}) == ":5\r\n");
  CHECK(f.h.last_dirty == 0);
  CHECK(f.Run({"APPEND", "s", "!"}) == ":6\r\n");
  CHECK(f.h.last_dirty == 1);
  CHECK(f.Run({"MSET", "a", "1", "b", "2"}) == "+OK\r\n");
  CHECK(f.modified() == std::vector<std::string>{"a", "b"});
  CHECK(f.Run({"MSETNX", "a", "1", "c", "2"}) == ":0\r\n");
  CHECK(f.h.last_dirty == 0);
}

TEST_CASE("EXPIRE family is logged as PEXPIREAT absolute or DEL", "[server][keys]") {
  Fixture f;
  f.Run({"SET", "k", "v"});
  for (const Args& cmd : {Args{"EXPIRE", "k", "100"}, Args{"PEXPIRE", "k", "100000"},
                          Args{"EXPIREAT", "k", std::to_string((kNow + 100'000) / 1000)},
                          Args{"PEXPIREAT", "k", kNowPlus100s, "LT"}}) {
    INFO(cmd[0]);
    f.h.db().Persist(f.h.db().Find("k", kNow));
    CHECK(f.Run(cmd) == ":1\r\n");
    CHECK(f.modified() == std::vector<std::string>{"k"});
  }
  CHECK(f.Run({"EXPIRE", "k", "100"}) == ":1\r\n");
  CHECK(f.propagated() == std::vector<Args>{{"PEXPIREAT", "k", kNowPlus100s}});
  CHECK(f.Run({"EXPIRE", "k", "50", "GT"}) == ":0\r\n");
  CHECK(f.propagated().empty());
  CHECK(f.h.last_dirty == 0);
  CHECK(f.Run({"EXPIRE", "missing", "50"}) == ":0\r\n");
  CHECK(f.h.last_dirty == 0);
  CHECK(f.Run({"PEXPIREAT", "k", std::to_string(kNow)}) == ":1\r\n");
  CHECK(f.propagated() == std::vector<Args>{{"DEL", "k"}});
  CHECK(f.modified() == std::vector<std::string>{"k"});
  CHECK(f.h.db().Size() == 0);
  f.Run({"SET", "k", "v"});
  CHECK(f.Run({"PERSIST", "k"}) == ":0\r\n");
  CHECK(f.h.last_dirty == 0);
  f.Run({"EXPIRE", "k", "10"});
  CHECK(f.Run({"PERSIST", "k"}) == ":1\r\n");
  CHECK(f.h.last_dirty == 1);
  CHECK_FALSE(f.h.last_propagated);
}

TEST_CASE("a key whose TTL passed is missing, at the exact millisecond", "[server][keys]") {
  Fixture f;
  f.Run({"SET", "k", "v", "PX", "100"});
  CHECK(f.Run({"PTTL", "k"}, kNow + 40) == ":60\r\n");
  CHECK(f.Run({"TTL", "k"}, kNow + 40) == ":0\r\n");
  CHECK(f.Run({"GET", "k"}, kNow + 100) == "$1\r\nv\r\n");
  CHECK(f.Run({"PTTL", "k"}, kNow + 100) == ":0\r\n");
  CHECK(f.Run({"DBSIZE"}, kNow + 101) == ":1\r\n");  // Redis counts it until it is touched
  CHECK(f.Run({"GET", "k"}, kNow + 101) == "$-1\r\n");
  CHECK(f.Run({"DBSIZE"}, kNow + 101) == ":0\r\n");
  f.Run({"SET", "k", "v", "PX", "100"});
  CHECK(f.Run({"EXISTS", "k"}, kNow + 101) == ":0\r\n");
  f.Run({"SET", "k", "v", "PX", "100"});
  CHECK(f.Run({"TYPE", "k"}, kNow + 101) == "+none\r\n");
  f.Run({"SET", "k", "v", "PX", "100"});
  CHECK(f.Run({"INCR", "k"}, kNow + 101) == ":1\r\n");
  CHECK(f.Run({"TTL", "k"}, kNow + 101) == ":-1\r\n");
  f.Run({"SET", "k", "v", "PX", "100"});
  CHECK(f.Run({"RENAME", "k", "j"}, kNow + 101) == "-ERR no such key\r\n");
  f.Run({"SET", "k", "v", "PX", "100"});
  CHECK(f.Run({"KEYS", "*"}, kNow + 101) == "*0\r\n");
  CHECK(f.Run({"RANDOMKEY"}, kNow + 101) == "$-1\r\n");
}

TEST_CASE("DEL, RENAME, COPY and FLUSHALL report modified and ready keys", "[server][keys]") {
  Fixture f;
  CHECK(f.Run({"DEL", "a", "b"}) == ":0\r\n");
  CHECK(f.h.last_dirty == 0);
  f.Run({"MSET", "a", "1", "b", "2"});
  CHECK(f.Run({"DEL", "a", "b", "a"}) == ":2\r\n");
  CHECK(f.modified() == std::vector<std::string>{"a", "b"});
  CHECK(f.h.last_dirty > 0);

  f.MakeList("l");
  CHECK(f.Run({"RENAME", "l", "m"}) == "+OK\r\n");
  CHECK(f.modified() == std::vector<std::string>{"l", "m"});
  CHECK(f.h.events.ready == std::vector<std::string>{"m"});
  CHECK(f.Run({"COPY", "m", "n"}) == ":1\r\n");
  CHECK(f.h.events.ready == std::vector<std::string>{"n"});
  CHECK(f.Run({"RENAMENX", "m", "n"}) == ":0\r\n");
  CHECK(f.h.last_dirty == 0);
  CHECK(f.h.events.ready.empty());
  f.Run({"SET", "s", "v"});
  CHECK(f.Run({"RENAME", "s", "t"}) == "+OK\r\n");
  CHECK(f.h.events.ready.empty());
  CHECK(f.Run({"RENAME", "t", "t"}) == "+OK\r\n");
  CHECK(f.h.last_dirty == 0);

  CHECK(f.Run({"COPY", "t", "u", "DB", "1"}) ==
        "-ERR Copying to another database is not allowed in cluster mode\r\n");
  CHECK(f.Run({"COPY", "t", "u", "DB", "16"}) == "-ERR DB index is out of range\r\n");
  CHECK(f.Run({"COPY", "t", "u", "DB", "4294967296"}) ==
        "-ERR value is not an integer or out of range\r\n");

  CHECK(f.Run({"FLUSHALL"}) == "+OK\r\n");
  std::vector<std::string> flushed = f.modified();
  std::sort(flushed.begin(), flushed.end());
  CHECK(flushed == std::vector<std::string>{"m", "n", "t"});
  CHECK(f.h.db().Size() == 0);
  CHECK(f.Run({"FLUSHDB"}) == "+OK\r\n");
  CHECK(f.h.last_dirty > 0);  // logged even when empty, as Redis forces
}

TEST_CASE("RESP3 replies use RESP3 nulls", "[server][strings][keys]") {
  Fixture f;
  CHECK(f.h.Call({"GET", "k"}, resp::Protocol::kResp3) == "_\r\n");
  CHECK(f.h.Call({"RANDOMKEY"}, resp::Protocol::kResp3) == "_\r\n");
  CHECK(f.h.Call({"MGET", "k"}, resp::Protocol::kResp3) == "*1\r\n_\r\n");
  CHECK(f.h.Call({"OBJECT", "ENCODING", "k"}, resp::Protocol::kResp3) == "_\r\n");
}

}  // namespace
}  // namespace slotproxy::server::testing

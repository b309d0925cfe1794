// What the list and sorted-set handlers report to the shard: KeyModified / KeyReady, dirty
// counts, rewritten propagation of the blocking pops, Block calls, expiry and empty-key deletion.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "handler_fixture.h"

namespace slotproxy::server::list_zset_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)
namespace {

using resp::Protocol;
using Keys = std::vector<std::string>;

TEST_CASE("list events: pushes signal ready, pops delete and log", "[server][list][events]") {
  Harness h;
  CHECK(h.Run({"LPUSH", "l", "a", "b", "c"}) == ":3\r\n");
  CHECK(h.last().ready == Keys{"l"});
  CHECK(h.last().modified == Keys{"l"});
  CHECK(h.last().dirty == 3);
  CHECK_FALSE(h.last().marked_propagated);
  CHECK(h.Run({"LPUSHX", "nokey", "a"}) == ":0\r\n");
  CHECK(h.last().ready.empty());
  CHECK(h.last().dirty == 0);
  CHECK(h.Run({"LTRIM", "l", "0", "-1"}) == "+OK\r\n");
  CHECK(h.last().modified == Keys{"l"});  // touched even when nothing went
  CHECK(h.last().dirty == 0);
  CHECK(h.Run({"RPOP", "l", "5"}) == "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  CHECK(h.last().dirty == 3);
  CHECK(h.Run({"EXISTS", "l"}) == ":0\r\n");
  CHECK(h.Run({"LREM", "l", "0", "a"}) == ":0\r\n");
  CHECK(h.last().modified.empty());
}

TEST_CASE("list events: blocking pops log the non-blocking form", "[server][list][events]") {
  Harness h;
  h.Run({"RPUSH", "l", "a", "b"});
  CHECK(h.Run({"BLPOP", "nokey", "l", "0"}) == "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
  CHECK(h.last().propagated == std::vector<Args>{{"LPOP", "l"}});
  CHECK(h.last().marked_propagated);
  CHECK(h.last().modified == Keys{"l"});
  CHECK(h.Run({"BRPOP", "l", "1"}) == "*2\r\n$1\r\nl\r\n$1\r\nb\r\n");
  CHECK(h.last().propagated == std::vector<Args>{{"RPOP", "l"}});
  CHECK(h.Run({"EXISTS", "l"}) == ":0\r\n");

  h.Run({"RPUSH", "src", "x", "y"});
  CHECK(h.Run({"BLMOVE", "src", "dst", "left", "RIGHT", "0"}) == "$1\r\nx\r\n");
  CHECK(h.last().propagated == std::vector<Args>{{"LMOVE", "src", "dst", "left", "RIGHT"}});
  CHECK(h.last().ready == Keys{"dst"});
  CHECK(h.Run({"BRPOPLPUSH", "src", "dst", "0"}) == "$1\r\ny\r\n");
  CHECK(h.last().propagated == std::vector<Args>{{"RPOPLPUSH", "src", "dst"}});
  CHECK(h.Run({"EXISTS", "src"}) == ":0\r\n");
  CHECK(h.Run({"LMOVE", "dst", "src", "left", "left"}) == "$1\r\ny\r\n");
  CHECK(h.last().propagated.empty());  // logged as sent
  CHECK(h.last().dirty == 1);
}

TEST_CASE("list events: nothing to pop blocks with the deadline", "[server][list][events]") {
  Harness h;
  CHECK(h.Run({"BLPOP", "a", "b", "1.5"}).empty());  // no reply: the dispatcher parks the client
  REQUIRE(h.last().blocked.size() == 1);
  CHECK(h.last().blocked[0] == Keys{"a", "b"});
  CHECK(h.last().block_deadline_ms == h.now_ms + 1500);
  CHECK(h.Run({"BRPOP", "a", "0"}).empty());
  CHECK(h.last().block_deadline_ms == 0);
  CHECK(h.Run({"BLMOVE", "a", "d", "left", "left", "0.0001"}).empty());
  CHECK(h.last().blocked[0] == Keys{"a"});
  CHECK(h.last().block_deadline_ms == h.now_ms + 1);  // rounded up to a whole ms
  CHECK(h.Run({"BZPOPMIN", "z", "2"}).empty());
  CHECK(h.last().blocked[0] == Keys{"z"});
  h.may_block = false;
  CHECK(h.Run({"BLPOP", "a", "0"}) == "*-1\r\n");
  CHECK(h.Run({"BLMOVE", "a", "d", "left", "left", "0"}, Protocol::kResp3) == "_\r\n");
  CHECK(h.last().blocked.empty());
}

TEST_CASE("zset events: adds signal ready, pops log, stores", "[server][zset][events]") {
  Harness h;
  CHECK(h.Run({"ZADD", "z", "1", "a", "2", "b"}) == ":2\r\n");
  CHECK(h.last().ready == Keys{"z"});
  CHECK(h.last().dirty == 2);
  CHECK(h.Run({"ZADD", "z", "XX", "5", "a"}) == ":0\r\n");
  CHECK(h.last().ready.empty());
  CHECK(h.last().modified == Keys{"z"});
  CHECK(h.last().dirty == 1);
  CHECK(h.Run({"ZADD", "z", "5", "a"}) == ":0\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.last().modified.empty());
  CHECK(h.Run({"ZINCRBY", "z", "1", "a"}) == "$1\r\n6\r\n");
  CHECK(h.last().dirty == 1);
  CHECK_FALSE(h.last().marked_propagated);
  CHECK(h.Run({"BZPOPMAX", "nokey", "z", "0"}) == "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n6\r\n");
  CHECK(h.last().propagated == std::vector<Args>{{"ZPOPMAX", "z"}});
  CHECK(h.Run({"BZPOPMIN", "z", "0"}, Protocol::kResp3) == "*3\r\n$1\r\nz\r\n$1\r\nb\r\n,2\r\n");
  CHECK(h.last().propagated == std::vector<Args>{{"ZPOPMIN", "z"}});
  CHECK(h.Run({"EXISTS", "z"}) == ":0\r\n");
  h.Run({"ZADD", "src", "1", "a"});
  CHECK(h.Run({"ZUNIONSTORE", "dst", "1", "src"}) == ":1\r\n");
  CHECK(h.last().ready == Keys{"dst"});
  CHECK(h.last().dirty == 1);
  CHECK(h.Run({"ZRANGESTORE", "dst", "src", "5", "9"}) == ":0\r\n");
  CHECK(h.last().modified == Keys{"dst"});
  CHECK(h.Run({"EXISTS", "dst"}) == ":0\r\n");
  CHECK(h.Run({"ZINTERSTORE", "dst", "1", "nokey"}) == ":0\r\n");
  CHECK(h.last().dirty == 0);  // nothing existed, nothing changed
}

TEST_CASE("list and zset: a key whose TTL passed is missing", "[server][list][zset][events]") {
  Harness h;
  h.Run({"RPUSH", "l", "a"});
  h.Run({"ZADD", "z", "1", "a"});
  h.Run({"RPUSH", "src", "a"});
  h.Run({"SET", "s", "v"});
  for (const char* key : {"l", "z", "src", "s"}) h.Run({"PEXPIRE", key, "100"});
  h.now_ms += 200;
  CHECK(h.Run({"LLEN", "l"}) == ":0\r\n");
  CHECK(h.Run({"RPUSHX", "l", "x"}) == ":0\r\n");
  CHECK(h.Run({"ZCARD", "z"}) == ":0\r\n");
  CHECK(h.Run({"ZSCORE", "z", "a"}) == "$-1\r\n");
  CHECK(h.Run({"ZADD", "z", "XX", "1", "a"}) == ":0\r\n");
  CHECK(h.Run({"LPUSH", "s", "x"}) == ":1\r\n");  // the expired string is gone, no WRONGTYPE
  CHECK(h.Run({"LMOVE", "src", "l", "left", "left"}) == "$-1\r\n");
  CHECK(h.Run({"TTL", "s"}) == ":-1\r\n");
}

}  // namespace
}  // namespace slotproxy::server::list_zset_testing

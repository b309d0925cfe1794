// The side-effect contract of the hash handlers (KeyModified, MarkDirty, Propagate), lazy
// expiry as the handlers see it, and the random replies' distributions, run through our
// handlers only (the replies themselves are compared with Redis in hash_redis_diff_test.cc).
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "handler_fixture.h"

namespace slotproxy::server::hash_set_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)
namespace {

using resp::Protocol;
using Strings = std::vector<std::string>;

TEST_CASE("hash events: HSET and HMSET signal the key and count every pair", "[server][hash]") {
  Harness h;
  CHECK(h.Run({"HSET", "k", "a", "1", "b", "2"}) == ":2\r\n");
  CHECK(h.last().modified == Strings{"k"});
  CHECK(h.last().dirty == 2);
  CHECK(h.last().propagated.empty());
  CHECK_FALSE(h.last().marked_propagated);
  CHECK(h.last().ready.empty());
  // Setting the same value again is still a write for Redis (dirty, WATCH touched).
  CHECK(h.Run({"HSET", "k", "a", "1"}) == ":0\r\n");
  CHECK(h.last().modified == Strings{"k"});
  CHECK(h.last().dirty == 1);
  CHECK(h.Run({"HMSET", "k", "c", "3"}) == "+OK\r\n");
  CHECK(h.last().dirty == 1);
  CHECK(h.Run({"HSET", "k", "c"}) == "-ERR wrong number of arguments for 'hset' command\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.Run({"HMSET", "k", "c"}) == "-ERR wrong number of arguments for 'hmset' command\r\n");
}

TEST_CASE("hash events: failed and no-op writes are not dirty", "[server][hash]") {
  Harness h;
  h.Run({"SET", "s", "x"});
  for (const Args& cmd : std::vector<Args>{{"HSET", "s", "a", "1"},
                                           {"HSETNX", "s", "a", "1"},
                                           {"HDEL", "s", "a"},
                                           {"HINCRBY", "s", "a", "1"},
                                           {"HINCRBYFLOAT", "s", "a", "1"}}) {
    INFO(cmd[0]);
    CHECK(h.Run(cmd) == "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    CHECK(h.last().dirty == 0);
    CHECK(h.last().modified.empty());
  }
  h.Run({"HSET", "k", "a", "x"});
  CHECK(h.Run({"HSETNX", "k", "a", "2"}) == ":0\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.Run({"HDEL", "k", "zz"}) == ":0\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.last().modified.empty());
  CHECK(h.Run({"HINCRBY", "k", "a", "1"}) == "-ERR hash value is not an integer\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.Run({"HINCRBYFLOAT", "k", "a", "1"}) == "-ERR hash value is not a float\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.Run({"HINCRBY", "fresh", "a", "x"}) ==
        "-ERR value is not an integer or out of range\r\n");
  CHECK(h.Run({"EXISTS", "fresh"}) == ":0\r\n");  // no empty hash left behind
  for (const Args& cmd : std::vector<Args>{{"HGET", "k", "a"},
                                           {"HMGET", "k", "a"},
                                           {"HGETALL", "k"},
                                           {"HLEN", "k"},
                                           {"HSCAN", "k", "0"},
                                           {"HRANDFIELD", "k", "-3"}}) {
    h.Run(cmd);
    CHECK(h.last().dirty == 0);
    CHECK(h.last().modified.empty());
  }
}

TEST_CASE("hash events: HDEL counts deletions and removes the emptied key", "[server][hash]") {
  Harness h;
  h.Run({"HSET", "k", "a", "1", "b", "2", "c", "3"});
  CHECK(h.Run({"HDEL", "k", "a", "b", "nope"}) == ":2\r\n");
  CHECK(h.last().dirty == 2);
  CHECK(h.last().modified == Strings{"k"});
  CHECK(h.Run({"HDEL", "k", "c"}) == ":1\r\n");
  CHECK(h.db().Peek("k") == nullptr);
  CHECK(h.db().Size() == 0);
}

TEST_CASE("hash events: HINCRBYFLOAT is propagated as HSET with the result", "[server][hash]") {
  Harness h;
  CHECK(h.Run({"HINCRBYFLOAT", "k", "f", "10.5"}) == "$4\r\n10.5\r\n");
  CHECK(h.last().marked_propagated);
  CHECK(h.last().dirty == 1);
  CHECK(h.last().modified == Strings{"k"});
  REQUIRE(h.last().propagated.size() == 1);
  CHECK(h.last().propagated[0] == Args{"HSET", "k", "f", "10.5"});
  CHECK(h.Run({"HINCRBYFLOAT", "k", "f", "1.0e1"}) == "$4\r\n20.5\r\n");
  REQUIRE(h.last().propagated.size() == 1);
  CHECK(h.last().propagated[0] == Args{"HSET", "k", "f", "20.5"});
  // HINCRBY is logged as sent.
  CHECK(h.Run({"HINCRBY", "k", "n", "3"}) == ":3\r\n");
  CHECK(h.last().propagated.empty());
  CHECK_FALSE(h.last().marked_propagated);
  CHECK(h.last().dirty == 1);
}

TEST_CASE("hash expiry: a hash whose TTL passed is missing to every command", "[server][hash]") {
  Harness h;
  h.Run({"HSET", "k", "a", "1", "b", "2"});
  CHECK(h.Run({"PEXPIRE", "k", "1000"}) == ":1\r\n");
  h.now_ms += 999;
  CHECK(h.Run({"HGET", "k", "a"}) == "$1\r\n1\r\n");
  h.now_ms += 2;
  CHECK(h.Run({"HGET", "k", "a"}) == "$-1\r\n");
  CHECK(h.Run({"HGET", "k", "a"}, Protocol::kResp3) == "_\r\n");
  CHECK(h.db().Peek("k") == nullptr);  // deleted on access
  CHECK(h.Run({"HGETALL", "k"}, Protocol::kResp3) == "%0\r\n");

  // A write after expiry starts a fresh hash without the old fields or TTL.
  h.Run({"HSET", "w", "old", "1"});
  h.Run({"PEXPIRE", "w", "10"});
  h.now_ms += 11;
  CHECK(h.Run({"HSET", "w", "new", "1"}) == ":1\r\n");
  CHECK(h.Run({"HKEYS", "w"}) == "*1\r\n$3\r\nnew\r\n");
  CHECK(h.Run({"TTL", "w"}) == ":-1\r\n");

  h.Run({"HSET", "x", "n", "5"});
  h.Run({"PEXPIRE", "x", "10"});
  h.now_ms += 11;
  CHECK(h.Run({"HINCRBY", "x", "n", "1"}) == ":1\r\n");
  h.Run({"PEXPIRE", "x", "10"});
  h.now_ms += 11;
  for (const Args& cmd : std::vector<Args>{
           {"HLEN", "x"}, {"HEXISTS", "x", "n"}, {"HSTRLEN", "x", "n"}, {"HDEL", "x", "n"}}) {
    CHECK(h.Run(cmd) == ":0\r\n");
  }
}

TEST_CASE("hash random: HRANDFIELD picks distinct fields and covers the hash", "[server][hash]") {
  Harness h;
  Args hset = {"HSET", "k"};
  for (int i = 0; i < 20; i++) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back("v" + std::to_string(i));
  }
  h.Run(hset);
  std::set<std::string> seen;
  for (int round = 0; round < 200; round++) {
    Reply r;
    REQUIRE(ParseReply(h.Run({"HRANDFIELD", "k", "5", "WITHVALUES"}, Protocol::kResp3), &r));
    REQUIRE(r.type == '*');
    REQUIRE(r.elems.size() == 5);
    std::set<std::string> fields;
    for (const Reply& pair : r.elems) {
      REQUIRE(pair.elems.size() == 2);
      CHECK(pair.elems[1].text == "v" + pair.elems[0].text.substr(1));
      fields.insert(pair.elems[0].text);
    }
    CHECK(fields.size() == 5);
    seen.insert(fields.begin(), fields.end());
  }
  CHECK(seen.size() == 20);  // 1000 picks miss a field with probability ~20 * 0.75^200

  // A negative count repeats: one field asked for 50 times.
  h.Run({"HSET", "one", "only", "x"});
  CHECK(h.Run({"HRANDFIELD", "one", "-3", "WITHVALUES"}) ==
        "*6\r\n$4\r\nonly\r\n$1\r\nx\r\n$4\r\nonly\r\n$1\r\nx\r\n$4\r\nonly\r\n$1\r\nx\r\n");
  // Our bound on absurd negative counts (Redis would build the reply until memory runs out).
  CHECK(h.Run({"HRANDFIELD", "one", "-9223372036854775807"}) == "-ERR value is out of range\r\n");
  CHECK(h.Run({"HRANDFIELD", "nokey", "-9223372036854775807"}) == "*0\r\n");
}

TEST_CASE("hash scan: a hashtable hash is scanned completely across modifications",
          "[server][hash]") {
  Harness h;
  Args hset = {"HSET", "k"};
  for (int i = 0; i < 2000; i++) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back("v");
  }
  h.Run(hset);
  std::set<std::string> seen;
  std::string cursor = "0";
  int steps = 0;
  do {
    Reply r;
    REQUIRE(ParseReply(h.Run({"HSCAN", "k", cursor, "COUNT", "50"}), &r));
    REQUIRE(r.elems.size() == 2);
    for (size_t i = 0; i < r.elems[1].elems.size(); i += 2) seen.insert(r.elems[1].elems[i].text);
    cursor = r.elems[0].text;
    // Churn between steps: fields added and removed must not hide the stable ones.
    h.Run({"HSET", "k", "tmp" + std::to_string(steps), "x"});
    h.Run({"HDEL", "k", "tmp" + std::to_string(steps - 1)});
  } while (cursor != "0" && ++steps < 10000);
  CHECK(cursor == "0");
  for (int i = 0; i < 2000; i++) CHECK(seen.count("f" + std::to_string(i)) == 1);
}

}  // namespace
}  // namespace slotproxy::server::hash_set_testing

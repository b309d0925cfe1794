// The side-effect contract of the set handlers (KeyModified, MarkDirty, Propagate: SPOP as
// SREM / DEL), lazy expiry as the handlers see it, and SPOP / SRANDMEMBER results, run through
// our handlers only (the replies are compared with Redis in set_redis_diff_test.cc).
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "command/command_table.h"
#include "handler_fixture.h"
#include "server/handler_tables.h"

namespace slotproxy::server::hash_set_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)
namespace {

using resp::Protocol;
using Strings = std::vector<std::string>;

Args Sadd(const std::string& key, int n, const std::string& prefix) {
  Args a = {"SADD", key};
  for (int i = 0; i < n; i++) a.push_back(prefix + std::to_string(i));
  return a;
}

std::set<std::string> Members(Harness& h, const std::string& key) {
  Reply r;
  if (!ParseReply(h.Run({"SMEMBERS", key}), &r)) return {};
  std::set<std::string> out;
  for (const Reply& e : r.elems) out.insert(e.text);
  return out;
}

TEST_CASE("set events: SADD and SREM are dirty only when they change the set", "[server][set]") {
  Harness h;
  CHECK(h.Run({"SADD", "s", "a", "b", "a"}) == ":2\r\n");
  CHECK(h.last().modified == Strings{"s"});
  CHECK(h.last().dirty == 2);
  CHECK(h.Run({"SADD", "s", "a"}) == ":0\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.last().modified.empty());
  CHECK(h.Run({"SREM", "s", "zz"}) == ":0\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.Run({"SREM", "s", "a", "zz"}) == ":1\r\n");
  CHECK(h.last().dirty == 1);
  CHECK(h.last().modified == Strings{"s"});
  CHECK(h.Run({"SREM", "s", "b"}) == ":1\r\n");
  CHECK(h.db().Peek("s") == nullptr);
  CHECK(h.last().ready.empty());
}

TEST_CASE("set events: SPOP is propagated as SREM of the popped members", "[server][set]") {
  Harness h;
  h.Run(Sadd("s", 10, "m"));
  const std::set<std::string> before = Members(h, "s");

  Reply one;
  REQUIRE(ParseReply(h.Run({"SPOP", "s"}), &one));
  REQUIRE(one.type == '$');
  CHECK(before.count(one.text) == 1);
  CHECK(h.last().marked_propagated);
  CHECK(h.last().dirty >= 1);
  CHECK(h.last().modified == Strings{"s"});
  REQUIRE(h.last().propagated.size() == 1);
  CHECK(h.last().propagated[0] == Args{"SREM", "s", one.text});

  Reply some;
  REQUIRE(ParseReply(h.Run({"SPOP", "s", "4"}, Protocol::kResp3), &some));
  CHECK(some.type == '~');
  REQUIRE(some.elems.size() == 4);
  REQUIRE(h.last().propagated.size() == 1);
  const Args& rec = h.last().propagated[0];
  REQUIRE(rec.size() == 6);
  CHECK(rec[0] == "SREM");
  CHECK(rec[1] == "s");
  std::set<std::string> popped;
  for (const Reply& e : some.elems) popped.insert(e.text);
  CHECK(popped.size() == 4);
  CHECK(std::set<std::string>(rec.begin() + 2, rec.end()) == popped);

  // What is left plus what was popped is what there was, with nothing twice.
  std::set<std::string> after = Members(h, "s");
  CHECK(after.size() == 5);
  for (const auto& m : popped) CHECK(after.count(m) == 0);
  CHECK(after.count(one.text) == 0);
  after.insert(popped.begin(), popped.end());
  after.insert(one.text);
  CHECK(after == before);

  // Taking everything deletes the key and is logged as DEL, as Redis does.
  CHECK(h.Run({"SPOP", "s", "5"}).rfind("*5\r\n", 0) == 0);
  REQUIRE(h.last().propagated.size() == 1);
  CHECK(h.last().propagated[0] == Args{"DEL", "s"});
  CHECK(h.db().Peek("s") == nullptr);

  // The last member by the count-less form deletes the key too.
  h.Run({"SADD", "t", "x"});
  CHECK(h.Run({"SPOP", "t"}) == "$1\r\nx\r\n");
  CHECK(h.db().Peek("t") == nullptr);

  // Nothing to pop: nothing logged.
  CHECK(h.Run({"SPOP", "t"}) == "$-1\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.last().propagated.empty());
  h.Run({"SADD", "u", "x"});
  CHECK(h.Run({"SPOP", "u", "0"}) == "*0\r\n");
  CHECK(h.last().dirty == 0);
}

TEST_CASE("set events: a big SPOP is logged in bounded SREM records", "[server][set]") {
  Harness h;
  h.Run(Sadd("s", 5000, "m"));
  Reply r;
  REQUIRE(ParseReply(h.Run({"SPOP", "s", "3000"}), &r));
  REQUIRE(r.elems.size() == 3000);
  std::set<std::string> logged;
  for (const Args& rec : h.last().propagated) {
    REQUIRE(rec.size() >= 3);
    CHECK(rec.size() <= 1026);
    CHECK(rec[0] == "SREM");
    logged.insert(rec.begin() + 2, rec.end());
  }
  CHECK(logged.size() == 3000);
  CHECK(h.Run({"SCARD", "s"}) == ":2000\r\n");
}

TEST_CASE("set events: SMOVE signals both keys", "[server][set]") {
  Harness h;
  h.Run({"SADD", "a", "1", "2"});
  h.Run({"SADD", "b", "2"});
  CHECK(h.Run({"SMOVE", "a", "b", "1"}) == ":1\r\n");
  CHECK(h.last().modified == Strings{"a", "b"});
  CHECK(h.last().dirty == 2);
  CHECK(h.Run({"SMOVE", "a", "b", "2"}) == ":1\r\n");  // already in b; a goes
  CHECK(h.last().modified == Strings{"a"});
  CHECK(h.last().dirty == 1);
  CHECK(h.db().Peek("a") == nullptr);
  CHECK(h.Run({"SMOVE", "b", "b", "2"}) == ":1\r\n");
  CHECK(h.last().dirty == 0);
  CHECK(h.Run({"SMOVE", "b", "c", "nope"}) == ":0\r\n");
  CHECK(h.last().dirty == 0);
}

TEST_CASE("set events: STORE forms signal the destination", "[server][set]") {
  Harness h;
  h.Run({"SADD", "a", "1", "2"});
  h.Run({"SADD", "b", "2", "3"});
  CHECK(h.Run({"SUNIONSTORE", "d", "a", "b"}) == ":3\r\n");
  CHECK(h.last().modified == Strings{"d"});
  CHECK(h.last().dirty == 1);
  CHECK_FALSE(h.last().marked_propagated);
  CHECK(h.Run({"SINTERSTORE", "d", "a", "nokey"}) == ":0\r\n");  // deletes d
  CHECK(h.last().modified == Strings{"d"});
  CHECK(h.last().dirty == 1);
  CHECK(h.Run({"SDIFFSTORE", "d", "a", "a"}) == ":0\r\n");  // nothing to delete
  CHECK(h.last().modified.empty());
  CHECK(h.last().dirty == 0);
  for (const Args& cmd : std::vector<Args>{{"SINTER", "a", "b"},
                                           {"SINTERCARD", "2", "a", "b"},
                                           {"SMEMBERS", "a"},
                                           {"SRANDMEMBER", "a", "-5"},
                                           {"SSCAN", "a", "0"}}) {
    h.Run(cmd);
    CHECK(h.last().dirty == 0);
    CHECK(h.last().modified.empty());
  }
}

TEST_CASE("set expiry: a set whose TTL passed is missing to every command", "[server][set]") {
  Harness h;
  h.Run({"SADD", "s", "a", "b"});
  h.Run({"SADD", "o", "b", "c"});
  h.Run({"PEXPIRE", "s", "100"});
  h.now_ms += 101;
  CHECK(h.Run({"SISMEMBER", "s", "a"}) == ":0\r\n");
  CHECK(h.db().Peek("s") == nullptr);
  h.Run({"SADD", "s", "a"});
  h.Run({"PEXPIRE", "s", "100"});
  h.now_ms += 101;
  // SUNION builds a hashtable set, whose order follows a per-process hash seed (as Redis's
  // order is undefined): either order of the two members is right.
  const std::string union_reply = h.Run({"SUNION", "s", "o"}, Protocol::kResp3);
  CHECK((union_reply == "~2\r\n$1\r\nb\r\n$1\r\nc\r\n" ||
         union_reply == "~2\r\n$1\r\nc\r\n$1\r\nb\r\n"));
  h.Run({"SADD", "s", "a"});
  h.Run({"PEXPIRE", "s", "100"});
  h.now_ms += 101;
  CHECK(h.Run({"SMOVE", "s", "o", "a"}) == ":0\r\n");
  CHECK(h.Run({"SMEMBERS", "s"}, Protocol::kResp3) == "~0\r\n");
  CHECK(h.Run({"SPOP", "s"}, Protocol::kResp3) == "_\r\n");
  CHECK(h.Run({"SRANDMEMBER", "s", "2"}, Protocol::kResp3) == "*0\r\n");
  // An expired destination of SMOVE is replaced by a fresh set.
  h.Run({"SADD", "d", "old"});
  h.Run({"PEXPIRE", "d", "100"});
  h.now_ms += 101;
  CHECK(h.Run({"SMOVE", "o", "d", "b"}) == ":1\r\n");
  CHECK(Members(h, "d") == std::set<std::string>{"b"});
  CHECK(h.Run({"TTL", "d"}) == ":-1\r\n");
}

TEST_CASE("set random: SRANDMEMBER distinctness, coverage and repeats", "[server][set]") {
  Harness h;
  h.Run(Sadd("big", 1000, "m"));  // a hashtable
  h.Run(Sadd("small", 30, ""));   // an intset
  for (const std::string key : {"big", "small"}) {
    INFO(key);
    std::set<std::string> seen;
    for (int round = 0; round < 300; round++) {
      Reply r;
      REQUIRE(ParseReply(h.Run({"SRANDMEMBER", key, "20"}), &r));
      REQUIRE(r.elems.size() == 20);
      std::set<std::string> distinct;
      for (const Reply& e : r.elems) distinct.insert(e.text);
      CHECK(distinct.size() == 20);
      seen.insert(distinct.begin(), distinct.end());
    }
    CHECK(seen.size() >= (key == "big" ? 900u : 30u));  // 6000 picks of 1000
  }
  h.Run({"SADD", "one", "x"});
  CHECK(h.Run({"SRANDMEMBER", "one", "-3"}) == "*3\r\n$1\r\nx\r\n$1\r\nx\r\n$1\r\nx\r\n");
  CHECK(h.Run({"SRANDMEMBER", "one", "-9223372036854775807"}) == "-ERR value is out of range\r\n");
  CHECK(h.Run({"SRANDMEMBER", "nokey", "-9223372036854775807"}) == "*0\r\n");
}

}  // namespace
}  // namespace slotproxy::server::hash_set_testing

namespace slotproxy::server::hash_set_testing {
namespace {

TEST_CASE("hash/set tables: every row names a command of the table", "[server][hash][set]") {
  std::set<std::string> names;
  for (auto table : {HashHandlers(), SetHandlers()}) {
    for (const HandlerRow& row : table) {
      INFO(row.name);
      CHECK(row.handler != nullptr);
      CHECK(command::FindCommand(row.name) != nullptr);
      CHECK(names.insert(std::string(row.name)).second);
    }
  }
  CHECK(names.size() == 33);  // 16 hash and 17 set commands
}

}  // namespace
}  // namespace slotproxy::server::hash_set_testing

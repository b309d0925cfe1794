// Differential tests of the set handlers against a real redis-server 7.0: every step's reply
// must be byte-identical in RESP2 and RESP3, except where Redis's order or choice is random or
// hash-table dependent (then shapes, counts and membership are compared; see hash_set_diff.h).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hash_set_diff.h"

namespace slotproxy::server::hash_set_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)
namespace {

// SADD key <prefix>0 .. <prefix><n-1>: with a non-numeric prefix the set is a hashtable; with
// prefix "" the members are integers (an intset up to 512 of them).
Args BigSadd(const std::string& key, int n, const std::string& prefix, int start = 0) {
  Args a = {"SADD", key};
  for (int i = start; i < start + n; i++) a.push_back(prefix + std::to_string(i));
  return a;
}

const Mode U = Mode::kUnordered;

TEST_CASE("set diff: SADD SREM SCARD SISMEMBER SMISMEMBER", "[server][set][redis]") {
  RunDiff({
      {{"SADD", "s", "3", "1", "2"}},
      {{"SADD", "s", "2", "4", "4"}},
      {{"SMEMBERS", "s"}},
      {{"SADD", "s", "-5", "0"}},
      {{"SMEMBERS", "s"}},
      {{"SADD", "s", "007", "+1", "-0", " 1"}},  // not integers in Redis's strict sense
      {{"SMEMBERS", "s"}, U},
      {{"SCARD", "s"}},
      {{"SCARD", "nokey"}},
      {{"SISMEMBER", "s", "1"}},
      {{"SISMEMBER", "s", "007"}},
      {{"SISMEMBER", "s", "7"}},
      {{"SISMEMBER", "nokey", "1"}},
      {{"SMISMEMBER", "s", "1", "7", "007", "-0"}},
      {{"SMISMEMBER", "nokey", "a", "b"}},
      {{"SREM", "s", "1", "9", "1"}},
      {{"SREM", "nokey", "1"}},
      {{"SCARD", "s"}},
      {{"SREM", "s", "2", "3", "4", "-5", "0", "007", "+1", "-0", " 1", "x"}},
      {{"EXISTS", "s"}},
      {{"SET", "str", "x"}},
      {{"SADD", "str", "a"}},
      {{"SREM", "str", "a"}},
      {{"SCARD", "str"}},
      {{"SISMEMBER", "str", "a"}},
      {{"SMISMEMBER", "str", "a"}},
      {{"SMEMBERS", "str"}},
      {{"SADD", "e", ""}},
      {{"SISMEMBER", "e", ""}},
      {{"SMEMBERS", "e"}},
      {{"SMEMBERS", "nokey"}},
      {{"SADD", "n", "9223372036854775807", "-9223372036854775808", "9223372036854775808"}},
      {{"SMEMBERS", "n"}, U},
      {{"SADD", "only", "-9223372036854775808", "9223372036854775807", "5"}},
      {{"SMEMBERS", "only"}},
  });
}

TEST_CASE("set diff: intset to hashtable conversion keeps replies", "[server][set][redis]") {
  RunDiff({
      BigSadd("i", 512, ""),
      {{"SCARD", "i"}},
      {{"SMEMBERS", "i"}},  // still an intset: ascending
      {{"SADD", "i", "512"}},
      {{"SMEMBERS", "i"}, U},
      {{"SISMEMBER", "i", "511"}},
      BigSadd("j", 100, "m"),
      {{"SMEMBERS", "j"}, U},
      {{"SREM", "j", "m1", "m2"}},
      {{"SCARD", "j"}},
  });
}

TEST_CASE("set diff: SINTER SUNION SDIFF", "[server][set][redis]") {
  RunDiff({
      {{"SADD", "a", "1", "2", "3", "4", "5"}},
      {{"SADD", "b", "4", "5", "6", "2"}},
      {{"SADD", "c", "5", "2", "x"}},
      {{"SINTER", "a"}},
      {{"SINTER", "a", "b"}},
      {{"SINTER", "b", "a"}},
      {{"SINTER", "a", "b", "c"}, U},
      {{"SINTER", "a", "nokey"}},
      {{"SINTER", "nokey", "a"}},
      {{"SINTER", "a", "a"}},
      {{"SUNION", "a", "b"}},
      {{"SUNION", "a", "nokey", "b"}},
      {{"SUNION", "nokey"}},
      {{"SUNION", "a", "c"}, U},
      {{"SDIFF", "a", "b"}},
      {{"SDIFF", "b", "a"}},
      {{"SDIFF", "a", "b", "c"}},
      {{"SDIFF", "a", "nokey"}},
      {{"SDIFF", "nokey", "a"}},
      {{"SDIFF", "a", "a"}},
      {{"SDIFF", "c", "a"}},
      {{"SET", "str", "v"}},
      {{"SINTER", "a", "str"}},
      {{"SINTER", "nokey", "str"}},  // every key is type-checked, even after a missing one
      {{"SUNION", "str", "a"}},
      {{"SDIFF", "a", "str"}},
      {{"SDIFF", "nokey", "str"}},
      BigSadd("big1", 600, "e"),
      BigSadd("big2", 600, "e", 300),
      {{"SINTER", "big1", "big2"}, U},
      {{"SUNION", "big1", "big2"}, U},
      {{"SDIFF", "big1", "big2"}, U},
  });
}

TEST_CASE("set diff: SINTERSTORE SUNIONSTORE SDIFFSTORE", "[server][set][redis]") {
  RunDiff({
      {{"SADD", "a", "1", "2", "3"}},
      {{"SADD", "b", "2", "3", "4"}},
      {{"SINTERSTORE", "d", "a", "b"}},
      {{"SMEMBERS", "d"}},
      {{"SUNIONSTORE", "d", "a", "b"}},
      {{"SMEMBERS", "d"}},
      {{"SDIFFSTORE", "d", "a", "b"}},
      {{"SMEMBERS", "d"}},
      {{"SINTERSTORE", "d", "a", "nokey"}},  // empty result deletes the destination
      {{"EXISTS", "d"}},
      {{"SUNIONSTORE", "d", "nokey"}},
      {{"EXISTS", "d"}},
      {{"SDIFFSTORE", "d", "a", "a"}},
      {{"EXISTS", "d"}},
      {{"SET", "str", "v"}},
      {{"SINTERSTORE", "str", "a", "b"}},  // the destination's type does not matter
      {{"SMEMBERS", "str"}},
      {{"SET", "str", "v"}},
      {{"SUNIONSTORE", "d", "a", "str"}},
      {{"SDIFFSTORE", "str", "nokey"}},
      {{"EXISTS", "str"}},
      {{"SUNIONSTORE", "a", "a", "b"}},  // destination among the sources
      {{"SMEMBERS", "a"}},
      {{"SDIFFSTORE", "a", "a", "b"}},
      {{"SMEMBERS", "a"}},
      {{"SADD", "t", "x"}},
      {{"PEXPIRE", "t", "100000"}},
      {{"SUNIONSTORE", "t", "a", "b"}},
      {{"TTL", "t"}},  // a stored result has no TTL
      {{"SINTERSTORE", "e", "nokey", "alsono"}},
      {{"EXISTS", "e"}},
      {{"SADD", "w", "a", "b"}},
      {{"SINTERSTORE", "x", "w", "b"}},
      {{"SUNIONSTORE", "x", "w", "b"}},
      {{"SMEMBERS", "x"}, U},
  });
}

TEST_CASE("set diff: SINTERCARD", "[server][set][redis]") {
  RunDiff({
      {{"SADD", "a", "1", "2", "3", "4", "x"}},
      {{"SADD", "b", "2", "3", "4", "x", "y"}},
      {{"SINTERCARD", "1", "a"}},
      {{"SINTERCARD", "2", "a", "b"}},
      {{"SINTERCARD", "2", "a", "b", "LIMIT", "2"}},
      {{"SINTERCARD", "2", "a", "b", "limit", "0"}},
      {{"SINTERCARD", "2", "a", "b", "LIMIT", "100"}},
      {{"SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "3"}},
      {{"SINTERCARD", "2", "a", "nokey"}},
      {{"SINTERCARD", "0", "a"}},
      {{"SINTERCARD", "-1", "a"}},
      {{"SINTERCARD", "x", "a"}},
      {{"SINTERCARD", "3", "a", "b"}},
      {{"SINTERCARD", "2", "a", "b", "LIMIT"}},
      {{"SINTERCARD", "2", "a", "b", "LIMIT", "-1"}},
      {{"SINTERCARD", "2", "a", "b", "LIMIT", "x"}},
      {{"SINTERCARD", "2", "a", "b", "COUNT", "1"}},
      {{"SINTERCARD", "1", "a", "b"}},  // "b" is then an unknown option
      {{"SET", "str", "v"}},
      {{"SINTERCARD", "2", "a", "str"}},
      {{"SINTERCARD", "2", "nokey", "str"}},
      {{"SINTERCARD", "2", "a", "str", "LIMIT", "x"}},  // options before keys
  });
}

TEST_CASE("set diff: SMOVE", "[server][set][redis]") {
  RunDiff({
      {{"SADD", "a", "1", "2", "x"}},
      {{"SADD", "b", "3"}},
      {{"SMOVE", "a", "b", "1"}},
      {{"SMEMBERS", "b"}},
      {{"SMOVE", "a", "b", "nope"}},
      {{"SMOVE", "nokey", "b", "1"}},
      {{"SMOVE", "a", "a", "2"}},
      {{"SMOVE", "a", "a", "nope"}},
      {{"SMOVE", "a", "new", "x"}},
      {{"SMEMBERS", "new"}},
      {{"SMOVE", "a", "b", "2"}},  // last member: the source goes
      {{"EXISTS", "a"}},
      {{"SMEMBERS", "b"}},
      {{"SADD", "c", "3"}},
      {{"SMOVE", "c", "b", "3"}},  // already in the destination
      {{"EXISTS", "c"}},
      {{"SET", "str", "v"}},
      {{"SMOVE", "str", "b", "1"}},
      {{"SMOVE", "b", "str", "1"}},
      {{"SMOVE", "nokey", "str", "1"}},  // a missing source answers 0 before type checks
      {{"SMOVE", "b", "str", "nope"}},
      {{"SMEMBERS", "b"}},
  });
}

TEST_CASE("set diff: SPOP and SRANDMEMBER", "[server][set][redis]") {
  const Mode R = Mode::kRandom;
  RunDiff({
      {{"SPOP", "nokey"}},
      {{"SPOP", "nokey", "3"}},
      {{"SPOP", "nokey", "0"}},
      {{"SPOP", "nokey", "-1"}},
      {{"SPOP", "nokey", "x"}},
      {{"SPOP", "nokey", "1", "2"}},
      {{"SRANDMEMBER", "nokey"}},
      {{"SRANDMEMBER", "nokey", "5"}},
      {{"SRANDMEMBER", "nokey", "-5"}},
      {{"SRANDMEMBER", "nokey", "x"}},
      {{"SRANDMEMBER", "nokey", "1", "2"}},
      {{"SADD", "s", "1", "2", "3", "4", "5"}},
      {{"SRANDMEMBER", "s"}, R},
      {{"SRANDMEMBER", "s", "0"}},
      {{"SRANDMEMBER", "s", "1"}, R},
      {{"SRANDMEMBER", "s", "3"}, R},
      {{"SRANDMEMBER", "s", "5"}},  // the whole set, in order
      {{"SRANDMEMBER", "s", "50"}},
      {{"SRANDMEMBER", "s", "-3"}, R},
      {{"SRANDMEMBER", "s", "-20"}, R},
      {{"SRANDMEMBER", "s", "1.5"}},
      {{"SRANDMEMBER", "s", "-9223372036854775808"}},
      {{"SRANDMEMBER", "s", "9223372036854775807"}},
      {{"SPOP", "s", "0"}},
      {{"SPOP", "s", "-2"}},
      {{"SPOP", "s", "abc"}},
      {{"SPOP", "s", "1", "2"}},
      {{"SPOP", "s", "5"}},  // the whole set, in order; the key goes
      {{"EXISTS", "s"}},
      {{"SADD", "t", "a", "b", "c"}},
      {{"SPOP", "t", "10"}, U},
      {{"EXISTS", "t"}},
      {{"SADD", "u", "7"}},
      {{"SPOP", "u"}},
      {{"EXISTS", "u"}},
      {{"SET", "str", "v"}},
      {{"SPOP", "str"}},
      {{"SPOP", "str", "1"}},
      {{"SPOP", "str", "x"}},  // the count is parsed before the type check
      {{"SRANDMEMBER", "str"}},
      {{"SRANDMEMBER", "str", "1"}},
      {{"SADD", "big", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}},
      {{"SRANDMEMBER", "big", "4"}, R},
      {{"SRANDMEMBER", "big", "9"}, R},
      {{"SRANDMEMBER", "big", "-15"}, R},
      {{"SRANDMEMBER", "big", "10"}, U},
      // Pops diverge in content, so each popped key is only counted afterwards.
      BigSadd("p1", 10, ""),
      {{"SPOP", "p1"}, R},
      {{"SCARD", "p1"}},
      BigSadd("p2", 10, "x"),
      {{"SPOP", "p2", "3"}, R},
      {{"SCARD", "p2"}},
      BigSadd("p3", 10, ""),
      {{"SPOP", "p3", "9"}, R},
      {{"SCARD", "p3"}},
      BigSadd("p4", 600, "y"),
      {{"SPOP", "p4", "550"}, R},
      {{"SCARD", "p4"}},
  });
}

TEST_CASE("set diff: SSCAN", "[server][set][redis]") {
  RunDiff({
      {{"SSCAN", "nokey", "0"}},
      {{"SSCAN", "nokey", "0", "MATCH"}},  // missing key: options never parsed
      {{"SSCAN", "nokey", "abc"}},
      {{"SADD", "i", "10", "2", "33", "-4"}},
      {{"SSCAN", "i", "0"}},
      {{"SSCAN", "i", "0", "MATCH", "3*"}},
      {{"SSCAN", "i", "0", "MATCH", "-*", "COUNT", "1"}},
      {{"SSCAN", "i", "0", "count", "100", "match", "*"}},
      {{"SSCAN", "i", "0", "COUNT", "0"}},
      {{"SSCAN", "i", "0", "COUNT", "x"}},
      {{"SSCAN", "i", "0", "MATCH"}},
      {{"SSCAN", "i", "0", "TYPE", "set"}},
      {{"SSCAN", "i", "0", "FOO", "bar"}},
      {{"SSCAN", "i", "-1"}},
      {{"SSCAN", "i", "12abc"}},
      {{"SET", "str", "v"}},
      {{"SSCAN", "str", "0"}},
      BigSadd("h", 700, "member:"),
      {{"SSCAN", "h", "0"}, Mode::kScanAll},
      {{"SSCAN", "h", "0", "COUNT", "3"}, Mode::kScanAll},
      {{"SSCAN", "h", "0", "MATCH", "member:1?", "COUNT", "50"}, Mode::kScanAll},
      {{"SSCAN", "h", "0", "MATCH", "[mn]ember:*9"}, Mode::kScanAll},
  });
}

}  // namespace
}  // namespace slotproxy::server::hash_set_testing

// Differential tests of the hash handlers against a real redis-server 7.0: every step's reply
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

// HSET key f0 v0 ... f<n-1> v<n-1>: more than 512 fields makes the hash a hashtable.
Args BigHset(const std::string& key, int n, const std::string& prefix = "f") {
  Args a = {"HSET", key};
  for (int i = 0; i < n; i++) {
    a.push_back(prefix + std::to_string(i));
    a.push_back("v" + std::to_string(i));
  }
  return a;
}

const std::string kLong(70, 'x');  // longer than hash-max-listpack-value (64)

TEST_CASE("hash diff: HSET HMSET HSETNX", "[server][hash][redis]") {
  RunDiff({
      {{"HSET", "h", "a", "1"}},
      {{"HSET", "h", "a", "2", "b", "3"}},
      {{"HSET", "h", "a", "2", "a", "4"}},  // repeated field: last value wins, counts once
      {{"HGETALL", "h"}},
      {{"HSET", "h", "c"}},  // odd field/value count
      {{"HSET", "h", "c", "1", "d"}},
      {{"hset", "h", "", ""}},  // empty field and value
      {{"HSET", "h", "e", kLong}},
      {{"HGETALL", "h"}, Mode::kUnordered},
      {{"HMSET", "m", "x", "1", "y", "2"}},
      {{"HMSET", "m", "x"}},
      {{"HmSet", "m", "x", "9"}},
      {{"HGETALL", "m"}},
      {{"SET", "s", "str"}},
      {{"HSET", "s", "a", "1"}},
      {{"HMSET", "s", "a", "1"}},
      {{"HSETNX", "s", "a", "1"}},
      {{"HSETNX", "n", "a", "1"}},
      {{"HSETNX", "n", "a", "2"}},
      {{"HSETNX", "n", "b", "2"}},
      {{"HSETNX", "n", "c", kLong}},
      {{"HGET", "n", "a"}},
      {{"HGETALL", "n"}, Mode::kUnordered},
      {{"HSETNX", "n", "c", "again"}},
      {{"HLEN", "n"}},
      {{"EXISTS", "n", "m", "h"}},
  });
}

TEST_CASE("hash diff: HGET HMGET HEXISTS HSTRLEN HLEN", "[server][hash][redis]") {
  RunDiff({
      {{"HGET", "nokey", "a"}},
      {{"HMGET", "nokey", "a", "b"}},
      {{"HEXISTS", "nokey", "a"}},
      {{"HSTRLEN", "nokey", "a"}},
      {{"HLEN", "nokey"}},
      {{"HSET", "h", "a", "hello", "b", "-12", "c", ""}},
      {{"HGET", "h", "a"}},
      {{"HGET", "h", "b"}},
      {{"HGET", "h", "c"}},
      {{"HGET", "h", "zz"}},
      {{"HMGET", "h", "a", "zz", "b", "a", "c"}},
      {{"HEXISTS", "h", "a"}},
      {{"HEXISTS", "h", "A"}},
      {{"HSTRLEN", "h", "a"}},
      {{"HSTRLEN", "h", "b"}},
      {{"HSTRLEN", "h", "c"}},
      {{"HSTRLEN", "h", "zz"}},
      {{"HLEN", "h"}},
      {{"SET", "s", "x"}},
      {{"HGET", "s", "a"}},
      {{"HMGET", "s", "a"}},
      {{"HEXISTS", "s", "a"}},
      {{"HSTRLEN", "s", "a"}},
      {{"HLEN", "s"}},
      {{"HSET", "big", "f", kLong, "n", "12345"}},
      {{"HGET", "big", "f"}},
      {{"HSTRLEN", "big", "f"}},
      {{"HSTRLEN", "big", "n"}},
      {{"HMGET", "big", "n", "f", "none"}},
      {{"HLEN", "big"}},
  });
}

TEST_CASE("hash diff: HDEL and empty-key deletion", "[server][hash][redis]") {
  RunDiff({
      {{"HDEL", "nokey", "a"}},
      {{"HSET", "h", "a", "1", "b", "2", "c", "3"}},
      {{"HDEL", "h", "zz"}},
      {{"HDEL", "h", "a", "a", "zz"}},
      {{"HGETALL", "h"}},
      {{"HDEL", "h", "b", "c", "d"}},
      {{"EXISTS", "h"}},
      {{"HLEN", "h"}},
      {{"HGETALL", "h"}},
      {{"SET", "s", "x"}},
      {{"HDEL", "s", "a"}},
      BigHset("big", 600),
      {{"HDEL", "big", "f0", "f1", "nope"}},
      {{"HLEN", "big"}},
      {{"HSET", "one", "f", kLong}},
      {{"HDEL", "one", "f"}},
      {{"EXISTS", "one"}},
  });
}

TEST_CASE("hash diff: HKEYS HVALS HGETALL", "[server][hash][redis]") {
  RunDiff({
      {{"HKEYS", "nokey"}},
      {{"HVALS", "nokey"}},
      {{"HGETALL", "nokey"}},
      {{"HSET", "h", "z", "1", "a", "2", "m", "3", "1", "x"}},
      {{"HKEYS", "h"}},
      {{"HVALS", "h"}},
      {{"HGETALL", "h"}},
      {{"HSET", "h", "a", "changed"}},
      {{"HGETALL", "h"}},
      {{"SET", "s", "x"}},
      {{"HKEYS", "s"}},
      {{"HVALS", "s"}},
      {{"HGETALL", "s"}},
      BigHset("big", 530),
      {{"HKEYS", "big"}, Mode::kUnordered},
      {{"HVALS", "big"}, Mode::kUnordered},
      {{"HGETALL", "big"}, Mode::kUnordered},
  });
}

TEST_CASE("hash diff: HINCRBY", "[server][hash][redis]") {
  RunDiff({
      {{"HINCRBY", "h", "n", "5"}},
      {{"HINCRBY", "h", "n", "-7"}},
      {{"HINCRBY", "h", "n", "0"}},
      {{"HINCRBY", "h", "n", "abc"}},
      {{"HINCRBY", "h", "n", "1.5"}},
      {{"HINCRBY", "h", "n", " 1"}},
      {{"HINCRBY", "h", "n", "+1"}},
      {{"HINCRBY", "h", "n", "9223372036854775807"}},
      {{"HINCRBY", "h", "n", "9223372036854775808"}},
      {{"HINCRBY", "h", "m", "9223372036854775807"}},
      {{"HINCRBY", "h", "m", "1"}},
      {{"HINCRBY", "h", "k", "-9223372036854775808"}},
      {{"HINCRBY", "h", "k", "-1"}},
      {{"HSET", "h", "s", "text", "sp", " 5", "f", "1.0", "e", ""}},
      {{"HINCRBY", "h", "s", "1"}},
      {{"HINCRBY", "h", "sp", "1"}},
      {{"HINCRBY", "h", "f", "1"}},
      {{"HINCRBY", "h", "e", "1"}},
      {{"HINCRBY", "nokey", "f", "x"}},
      {{"EXISTS", "nokey"}},
      {{"SET", "str", "1"}},
      {{"HINCRBY", "str", "f", "1"}},
      {{"HINCRBY", "str", "f", "x"}},  // the increment is parsed before the type check
      {{"HGETALL", "h"}},
  });
}

TEST_CASE("hash diff: HINCRBYFLOAT", "[server][hash][redis]") {
  RunDiff({
      {{"HINCRBYFLOAT", "h", "f", "10.5"}},
      {{"HINCRBYFLOAT", "h", "f", "0.1"}},
      {{"HINCRBYFLOAT", "h", "f", "-5"}},
      {{"HINCRBYFLOAT", "h", "f", "5.0e3"}},
      {{"HINCRBYFLOAT", "h", "f", "abc"}},
      {{"HINCRBYFLOAT", "h", "f", ""}},
      {{"HINCRBYFLOAT", "h", "f", " 1"}},
      {{"HINCRBYFLOAT", "h", "f", "inf"}},
      {{"HINCRBYFLOAT", "h", "f", "-inf"}},
      {{"HINCRBYFLOAT", "h", "f", "nan"}},
      {{"HINCRBYFLOAT", "h", "g", "1e308"}},
      {{"HINCRBYFLOAT", "h", "g", "1e308"}},
      {{"HINCRBYFLOAT", "h", "i", "3"}},
      {{"HINCRBY", "h", "i", "1"}},
      {{"HINCRBY", "h", "f", "1"}},
      {{"HSET", "h", "t", "text", "n", "  2"}},
      {{"HINCRBYFLOAT", "h", "t", "1"}},
      {{"HINCRBYFLOAT", "h", "n", "1"}},
      {{"HINCRBYFLOAT", "h", "z", "-0.0"}},
      {{"HINCRBYFLOAT", "h", "y", "1.23456789012345678"}},
      {{"HINCRBYFLOAT", "nokey", "f", "bad"}},
      {{"HINCRBYFLOAT", "nokey", "f", "inf"}},
      {{"EXISTS", "nokey"}},
      {{"SET", "str", "1"}},
      {{"HINCRBYFLOAT", "str", "f", "1"}},
      {{"HGETALL", "h"}, Mode::kUnordered},  // the 309-byte value made it a hashtable
  });
}

TEST_CASE("hash diff: HRANDFIELD", "[server][hash][redis]") {
  const Mode R = Mode::kRandom;
  RunDiff({
      {{"HRANDFIELD", "nokey"}},
      {{"HRANDFIELD", "nokey", "3"}},
      {{"HRANDFIELD", "nokey", "-3", "WITHVALUES"}},
      {{"HRANDFIELD", "nokey", "0"}},
      {{"HRANDFIELD", "nokey", "abc"}},
      {{"HRANDFIELD", "nokey", "1", "bad"}},
      {{"HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"}},
      {{"HRANDFIELD", "h"}, R},
      {{"HRANDFIELD", "h", "0"}},
      {{"HRANDFIELD", "h", "0", "WITHVALUES"}},
      {{"HRANDFIELD", "h", "1"}, R},
      {{"HRANDFIELD", "h", "2"}, R},
      {{"HRANDFIELD", "h", "4"}},  // the whole hash, in order
      {{"HRANDFIELD", "h", "10"}},
      {{"HRANDFIELD", "h", "10", "withvalues"}},
      {{"HRANDFIELD", "h", "3", "WITHVALUES"}, R},
      {{"HRANDFIELD", "h", "-1"}, R},
      {{"HRANDFIELD", "h", "-10"}, R},
      {{"HRANDFIELD", "h", "-6", "WithValues"}, R},
      {{"HRANDFIELD", "h", "abc"}},
      {{"HRANDFIELD", "h", "1.5"}},
      {{"HRANDFIELD", "h", "1", "WITHVALUES", "x"}},
      {{"HRANDFIELD", "h", "1", "WITHVALUE"}},
      {{"HRANDFIELD", "h", "-9223372036854775808"}},
      {{"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"}},
      {{"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}},
      {{"HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"}},
      {{"HRANDFIELD", "h", "9223372036854775807"}},
      {{"SET", "s", "x"}},
      {{"HRANDFIELD", "s"}},
      {{"HRANDFIELD", "s", "1"}},
      {{"HRANDFIELD", "s", "x"}},
      BigHset("big", 700),
      {{"HRANDFIELD", "big"}, R},
      {{"HRANDFIELD", "big", "5"}, R},
      {{"HRANDFIELD", "big", "300", "WITHVALUES"}, R},
      {{"HRANDFIELD", "big", "650"}, R},
      {{"HRANDFIELD", "big", "-50", "WITHVALUES"}, R},
      {{"HRANDFIELD", "big", "1000"}, Mode::kUnordered},
  });
}

TEST_CASE("hash diff: HSCAN", "[server][hash][redis]") {
  RunDiff({
      {{"HSCAN", "nokey", "0"}},
      {{"HSCAN", "nokey", "0", "COUNT", "abc"}},  // missing key: options never parsed
      {{"HSCAN", "nokey", "x"}},
      {{"HSET", "h", "alpha", "1", "beta", "2", "gamma", "3", "al", "4"}},
      {{"HSCAN", "h", "0"}},
      {{"HSCAN", "h", "0", "MATCH", "a*"}},
      {{"HSCAN", "h", "0", "match", "*a", "count", "1"}},
      {{"HSCAN", "h", "0", "COUNT", "1", "MATCH", "?eta"}},
      {{"HSCAN", "h", "0", "MATCH", "*"}},
      {{"HSCAN", "h", "0", "MATCH", "a*", "MATCH", "b*"}},
      {{"HSCAN", "h", "0", "COUNT", "0"}},
      {{"HSCAN", "h", "0", "COUNT", "-1"}},
      {{"HSCAN", "h", "0", "COUNT", "x"}},
      {{"HSCAN", "h", "0", "COUNT"}},
      {{"HSCAN", "h", "0", "MATCH"}},
      {{"HSCAN", "h", "0", "TYPE", "hash"}},
      {{"HSCAN", "h", "0", "NOPE", "1"}},
      {{"HSCAN", "h", "-1"}},
      {{"HSCAN", "h", "+3"}},
      {{"HSCAN", "h", ""}},
      {{"HSCAN", "h", " 1"}},
      {{"HSCAN", "h", "1x"}},
      {{"HSCAN", "h", "-"}},
      {{"HSCAN", "h", "18446744073709551615"}},
      {{"HSCAN", "h", "18446744073709551616"}},
      {{"SET", "s", "x"}},
      {{"HSCAN", "s", "0"}},
      {{"HSCAN", "s", "0", "COUNT", "x"}},
      BigHset("big", 800),
      {{"HSCAN", "big", "0"}, Mode::kScanAll},
      {{"HSCAN", "big", "0", "COUNT", "7"}, Mode::kScanAll},
      {{"HSCAN", "big", "0", "MATCH", "f1*", "COUNT", "100"}, Mode::kScanAll},
      {{"HSCAN", "big", "0", "MATCH", "nothing*"}, Mode::kScanAll},
  });
}

TEST_CASE("hash diff: expiry and TTL of hashes", "[server][hash][redis]") {
  RunDiff({
      {{"HSET", "h", "a", "1"}},
      {{"PEXPIRE", "h", "100000"}},
      {{"HSET", "h", "b", "2"}},
      {{"TTL", "h"}},  // writes keep the TTL
      {{"HDEL", "h", "a", "b"}},
      {{"TTL", "h"}},  // deleted with its last field
      {{"HINCRBY", "h", "n", "1"}},
      {{"TTL", "h"}},
  });
}

}  // namespace
}  // namespace slotproxy::server::hash_set_testing

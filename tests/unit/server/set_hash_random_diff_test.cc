// Randomised differential test: seeded random sequences of hash and set commands over a few
// keys, fields and members (mixing integers, strings, wrong types and deletions), run against
// redis-server 7.0 and our handlers in RESP2 and RESP3. Listings of sets are compared
// unordered (a set with a non-integer member is a hash table in Redis); hashes stay listpacks,
// so their listings are compared byte for byte.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "hash_set_diff.h"

namespace slotproxy::server::hash_set_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)
namespace {

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Step Next() {
    switch (Pick(6)) {
      case 0:
      case 1:
        return Hash();
      case 2:
      case 3:
        return Set();
      case 4:
        return SetAlgebra();
      default:
        return Misc();
    }
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  template <size_t N>
  std::string One(const char* const (&options)[N]) {
    return options[Pick(N)];
  }
  std::string Key() { return One({"a", "b", "c", "str"}); }
  std::string Field() { return One({"f1", "f2", "f3", "n", "x", ""}); }
  std::string Value() { return One({"1", "-7", "3.5", "v", "", "10", "1e3", " 2", "007"}); }
  std::string Member() { return One({"1", "2", "3", "-4", "10", "m", "n", "", "01"}); }
  std::string Incr() { return One({"1", "-2", "100", "x", "9223372036854775807", "0"}); }
  std::string FloatIncr() { return One({"1.5", "-0.25", "2", "inf", "abc", "1e2"}); }

  Step Hash() {
    const std::string k = Key();
    switch (Pick(13)) {
      case 0:
        return Args{"HSET", k, Field(), Value(), Field(), Value()};
      case 1:
        return Args{"HSETNX", k, Field(), Value()};
      case 2:
        return Args{"HGET", k, Field()};
      case 3:
        return Args{"HMGET", k, Field(), Field()};
      case 4:
        return Args{"HDEL", k, Field(), Field()};
      case 5:
        return Args{"HEXISTS", k, Field()};
      case 6:
        return Args{"HSTRLEN", k, Field()};
      case 7:
        return Args{"HINCRBY", k, Field(), Incr()};
      case 8:
        return Args{"HINCRBYFLOAT", k, Field(), FloatIncr()};
      case 9:
        return Args{"HGETALL", k};
      case 10:
        return Args{"HKEYS", k};
      case 11:
        return Args{"HSCAN", k, "0", "MATCH", One({"*", "f*", "?", "[fn]*"})};
      default:
        return Args{"HRANDFIELD", k, "100", "WITHVALUES"};  // the whole hash, in order
    }
  }

  Step Set() {
    const std::string k = Key();
    switch (Pick(9)) {
      case 0:
      case 1:
        return Args{"SADD", k, Member(), Member()};
      case 2:
        return Args{"SREM", k, Member(), Member()};
      case 3:
        return Args{"SISMEMBER", k, Member()};
      case 4:
        return Args{"SMISMEMBER", k, Member(), Member()};
      case 5:
        return Args{"SCARD", k};
      case 6:
        return {Args{"SMEMBERS", k}, Mode::kUnordered};
      case 7:
        return {Args{"SSCAN", k, "0", "COUNT", "3"}, Mode::kScanAll};
      default:
        return Args{"SMOVE", k, Key(), Member()};
    }
  }

  Step SetAlgebra() {
    switch (Pick(7)) {
      case 0:
        return {Args{"SINTER", Key(), Key()}, Mode::kUnordered};
      case 1:
        return {Args{"SUNION", Key(), Key()}, Mode::kUnordered};
      case 2:
        return {Args{"SDIFF", Key(), Key(), Key()}, Mode::kUnordered};
      case 3:
        return Args{"SINTERSTORE", Key(), Key(), Key()};
      case 4:
        return Args{"SUNIONSTORE", Key(), Key(), Key()};
      case 5:
        return Args{"SDIFFSTORE", Key(), Key(), Key()};
      default:
        return Args{"SINTERCARD", "2", Key(), Key(), "LIMIT", One({"0", "1", "2"})};
    }
  }

  Step Misc() {
    switch (Pick(3)) {
      case 0:
        return Args{"DEL", Key()};
      case 1:
        return Args{"SET", "str", "text"};
      default:
        return Args{"EXISTS", Key()};
    }
  }

  std::mt19937_64 rng_;
};

TEST_CASE("hash/set random diff: seeded command sequences match Redis",
          "[server][hash][set][redis]") {
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
    INFO("seed " << seed);
    Generator gen(seed);
    std::vector<Step> steps;
    for (int i = 0; i < 600; i++) steps.push_back(gen.Next());
    RunDiff(steps);
  }
}

}  // namespace
}  // namespace slotproxy::server::hash_set_testing

// Differential tests of the list handlers against a real redis-server 7.0: every step's reply
// must be byte-identical in RESP2 and RESP3.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "list_zset_diff.h"

namespace slotproxy::server::list_zset_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)
namespace {

const Mode M = Mode::kInMulti;

TEST_CASE("list diff: pushes, LLEN, LRANGE, LINDEX", "[server][list][redis]") {
  RunDiff({
      {{"LPUSH", "l", "a", "b", "c"}},
      {{"RPUSH", "l", "d", "1", "-2", ""}},
      {{"LRANGE", "l", "0", "-1"}},
      {{"LPUSHX", "l", "x"}},
      {{"RPUSHX", "l", "y", "z"}},
      {{"LPUSHX", "nokey", "x"}},
      {{"RPUSHX", "nokey", "x"}},
      {{"EXISTS", "nokey"}},
      {{"LLEN", "l"}},
      {{"LLEN", "nokey"}},
      {{"LRANGE", "l", "0", "2"}},
      {{"LRANGE", "l", "-3", "-1"}},
      {{"LRANGE", "l", "-100", "100"}},
      {{"LRANGE", "l", "5", "2"}},
      {{"LRANGE", "l", "20", "30"}},
      {{"LRANGE", "l", "0", "-100"}},
      {{"LRANGE", "l", "a", "1"}},
      {{"LRANGE", "l", "0", "1.5"}},
      {{"LRANGE", "nokey", "0", "-1"}},
      {{"LRANGE", "nokey", "x", "-1"}},
      {{"LRANGE", "l", "-9223372036854775808", "9223372036854775807"}},
      {{"LINDEX", "l", "0"}},
      {{"LINDEX", "l", "-1"}},
      {{"LINDEX", "l", "100"}},
      {{"LINDEX", "l", "-100"}},
      {{"LINDEX", "l", "x"}},
      {{"LINDEX", "nokey", "x"}},
      {{"LINDEX", "nokey", "0"}},
      {{"SET", "s", "v"}},
      {{"LPUSH", "s", "a"}},
      {{"RPUSH", "s", "a"}},
      {{"LPUSHX", "s", "a"}},
      {{"RPUSHX", "s", "a"}},
      {{"LLEN", "s"}},
      {{"LRANGE", "s", "0", "1"}},
      {{"LRANGE", "s", "x", "1"}},
      {{"LINDEX", "s", "0"}},
      {{"LINDEX", "s", "x"}},
      {{"OBJECT", "ENCODING", "l"}},
  });
}

TEST_CASE("list diff: LPOP RPOP with and without count", "[server][list][redis]") {
  RunDiff({
      {{"RPUSH", "l", "a", "b", "c", "d", "e"}},
      {{"LPOP", "l"}},
      {{"RPOP", "l"}},
      {{"LPOP", "l", "0"}},
      {{"LPOP", "l", "1"}},
      {{"RPOP", "l", "1"}},
      {{"LPOP", "l", "-1"}},
      {{"LPOP", "l", "x"}},
      {{"RPOP", "l", "1", "2"}},
      {{"LPOP", "nokey"}},
      {{"LPOP", "nokey", "0"}},
      {{"LPOP", "nokey", "3"}},
      {{"RPOP", "nokey", "3"}},
      {{"LPOP", "nokey", "-3"}},
      {{"RPOP", "l", "100"}},
      {{"EXISTS", "l"}},
      {{"RPUSH", "l", "a", "b", "c"}},
      {{"RPOP", "l", "2"}},
      {{"LPOP", "l"}},
      {{"EXISTS", "l"}},
      {{"LPOP", "l"}},
      {{"RPOP", "l"}},
      {{"SET", "s", "v"}},
      {{"LPOP", "s"}},
      {{"RPOP", "s", "1"}},
      {{"LPOP", "s", "x"}},
      {{"RPUSH", "l", "a", "b"}},
      {{"LPOP", "l", "9223372036854775807"}},
      {{"EXISTS", "l"}},
  });
}

TEST_CASE("list diff: LSET LREM LTRIM LINSERT", "[server][list][redis]") {
  RunDiff({
      {{"RPUSH", "l", "a", "b", "a", "c", "a", "b"}},
      {{"LSET", "l", "0", "A"}},
      {{"LSET", "l", "-1", "B"}},
      {{"LSET", "l", "6", "x"}},
      {{"LSET", "l", "-7", "x"}},
      {{"LSET", "l", "x", "x"}},
      {{"LSET", "nokey", "0", "x"}},
      {{"LSET", "nokey", "x", "x"}},
      {{"LRANGE", "l", "0", "-1"}},
      {{"LREM", "l", "1", "a"}},
      {{"LRANGE", "l", "0", "-1"}},
      {{"RPUSH", "l", "a", "a", "b"}},
      {{"LREM", "l", "-2", "a"}},
      {{"LRANGE", "l", "0", "-1"}},
      {{"LREM", "l", "0", "b"}},
      {{"LREM", "l", "0", "zz"}},
      {{"LREM", "l", "x", "a"}},
      {{"LREM", "nokey", "1", "a"}},
      {{"LREM", "nokey", "x", "a"}},
      {{"LREM", "l", "-9223372036854775808", "a"}},
      {{"LRANGE", "l", "0", "-1"}},
      {{"RPUSH", "t", "1", "2", "3", "4", "5", "6"}},
      {{"LTRIM", "t", "1", "-2"}},
      {{"LRANGE", "t", "0", "-1"}},
      {{"LTRIM", "t", "-100", "100"}},
      {{"LTRIM", "t", "0", "x"}},
      {{"LTRIM", "nokey", "0", "1"}},
      {{"LTRIM", "nokey", "x", "1"}},
      {{"LTRIM", "t", "2", "1"}},
      {{"EXISTS", "t"}},
      {{"RPUSH", "i", "a", "b", "c"}},
      {{"LINSERT", "i", "BEFORE", "b", "x"}},
      {{"LINSERT", "i", "after", "c", "y"}},
      {{"LINSERT", "i", "After", "zz", "y"}},
      {{"LINSERT", "i", "middle", "a", "y"}},
      {{"LINSERT", "nokey", "before", "a", "y"}},
      {{"LINSERT", "nokey", "bad", "a", "y"}},
      {{"LRANGE", "i", "0", "-1"}},
      {{"SET", "s", "v"}},
      {{"LSET", "s", "0", "x"}},
      {{"LREM", "s", "0", "x"}},
      {{"LTRIM", "s", "0", "1"}},
      {{"LINSERT", "s", "before", "a", "b"}},
      {{"LINSERT", "s", "bad", "a", "b"}},
  });
}

TEST_CASE("list diff: LPOS options", "[server][list][redis]") {
  RunDiff({
      {{"RPUSH", "l", "a", "b", "c", "a", "b", "c", "a"}},
      {{"LPOS", "l", "a"}},
      {{"LPOS", "l", "c"}},
      {{"LPOS", "l", "zz"}},
      {{"LPOS", "l", "a", "RANK", "2"}},
      {{"LPOS", "l", "a", "rank", "-1"}},
      {{"LPOS", "l", "a", "rank", "-2"}},
      {{"LPOS", "l", "a", "rank", "4"}},
      {{"LPOS", "l", "a", "rank", "0"}},
      {{"LPOS", "l", "a", "rank", "x"}},
      {{"LPOS", "l", "a", "rank", "-9223372036854775808"}},
      {{"LPOS", "l", "a", "COUNT", "0"}},
      {{"LPOS", "l", "a", "count", "2"}},
      {{"LPOS", "l", "a", "count", "2", "rank", "-1"}},
      {{"LPOS", "l", "a", "count", "-1"}},
      {{"LPOS", "l", "a", "count", "x"}},
      {{"LPOS", "l", "zz", "count", "5"}},
      {{"LPOS", "l", "a", "maxlen", "3"}},
      {{"LPOS", "l", "c", "maxlen", "2"}},
      {{"LPOS", "l", "a", "maxlen", "-1"}},
      {{"LPOS", "l", "a", "maxlen", "x"}},
      {{"LPOS", "l", "a", "count", "0", "maxlen", "4", "rank", "1"}},
      {{"LPOS", "l", "a", "rank"}},
      {{"LPOS", "l", "a", "bogus", "1"}},
      {{"LPOS", "l", "a", "rank", "0", "count", "-1"}},
      {{"LPOS", "l", "a", "count", "-1", "rank", "0"}},
      {{"LPOS", "nokey", "a"}},
      {{"LPOS", "nokey", "a", "count", "1"}},
      {{"LPOS", "nokey", "a", "rank", "0"}},
      {{"SET", "s", "v"}},
      {{"LPOS", "s", "a"}},
      {{"LPOS", "s", "a", "rank", "0"}},
  });
}

TEST_CASE("list diff: LMOVE RPOPLPUSH", "[server][list][redis]") {
  RunDiff({
      {{"RPUSH", "src", "a", "b", "c"}},
      {{"LMOVE", "src", "dst", "LEFT", "RIGHT"}},
      {{"LMOVE", "src", "dst", "right", "left"}},
      {{"LMOVE", "src", "dst", "left", "left"}},
      {{"EXISTS", "src"}},
      {{"LRANGE", "dst", "0", "-1"}},
      {{"LMOVE", "dst", "dst", "left", "right"}},
      {{"LRANGE", "dst", "0", "-1"}},
      {{"LMOVE", "dst", "dst", "right", "right"}},
      {{"LMOVE", "src", "dst", "left", "right"}},
      {{"LMOVE", "src", "dst", "up", "right"}},
      {{"LMOVE", "src", "dst", "left", "down"}},
      {{"RPOPLPUSH", "dst", "other"}},
      {{"RPOPLPUSH", "nokey", "other"}},
      {{"LRANGE", "other", "0", "-1"}},
      {{"SET", "s", "v"}},
      {{"LMOVE", "dst", "s", "left", "left"}},
      {{"LMOVE", "s", "dst", "left", "left"}},
      {{"LMOVE", "nokey", "s", "left", "left"}},
      {{"RPOPLPUSH", "dst", "s"}},
      {{"RPOPLPUSH", "s", "dst"}},
      {{"RPUSH", "one", "x"}},
      {{"RPOPLPUSH", "one", "one"}},
      {{"LRANGE", "one", "0", "-1"}},
  });
}

TEST_CASE("list diff: blocking pops with data, timeouts, MULTI", "[server][list][redis]") {
  RunDiff({
      {{"RPUSH", "l", "a", "b", "c"}},
      {{"BLPOP", "nokey", "l", "0"}},
      {{"BRPOP", "nokey", "l", "1.5"}},
      {{"BLPOP", "l", "x"}},
      {{"BLPOP", "l", "-1"}},
      {{"BLPOP", "l", "-0.001"}},
      {{"BLPOP", "l", "inf"}},
      {{"BLPOP", "l", "1e20"}},
      {{"BLPOP", "l", ""}},
      {{"BLPOP", "l", " 1"}},
      {{"RPUSH", "l", "x", "y"}},
      {{"BRPOP", "l", "0x10"}},
      {{"BRPOP", "l", "1e-10"}},
      {{"EXISTS", "l"}},
      {{"BLPOP", "nokey", "0"}, M},
      {{"BRPOP", "nokey", "other", "1"}, M},
      {{"SET", "s", "v"}},
      {{"BLPOP", "nokey", "s", "0"}},
      {{"BLPOP", "s", "x"}},
      {{"RPUSH", "src", "a", "b"}},
      {{"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"}},
      {{"BRPOPLPUSH", "src", "dst", "0"}},
      {{"LRANGE", "dst", "0", "-1"}},
      {{"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"}, M},
      {{"BRPOPLPUSH", "src", "dst", "0"}, M},
      {{"BLMOVE", "src", "dst", "bad", "RIGHT", "0"}},
      {{"BLMOVE", "src", "dst", "left", "right", "x"}},
      {{"BLMOVE", "src", "dst", "left", "right", "-1"}},
      {{"BRPOPLPUSH", "src", "dst", "x"}},
      {{"BRPOPLPUSH", "s", "dst", "0"}},
      {{"BRPOPLPUSH", "dst", "s", "0"}},
      {{"BLMOVE", "s", "dst", "left", "right", "0"}},
  });
}

}  // namespace
}  // namespace slotproxy::server::list_zset_testing

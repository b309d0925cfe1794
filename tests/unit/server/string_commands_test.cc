// Differential tests of the string handlers against a real redis-server 7.0: every command with
// normal and edge cases, options in any order and case, error texts, in RESP2 and RESP3.
#include <catch2/catch.hpp>

#include <string>

#include "string_test_util.h"

namespace slotproxy::server::testing {
namespace {

// 2100-01-01T00:00:00Z: an absolute deadline whose EXPIRETIME is the same on both sides.
const std::string kFutureS = "4102444800";
const std::string kFutureMs = "4102444800123";

// The harness must see a difference where there is one: SCAN cursors are ours, not Redis's.
TEST_CASE("the differential harness reports a mismatch", "[server][strings][redis][!shouldfail]") {
  RunDifferential([](Differ& d) {
    for (int i = 0; i < 50; ++i) {
      std::string key = "k";  // not "k" + ...: GCC 12 -O3 warns (-Wrestrict false positive)
      key += std::to_string(i);
      d.Same({"SET", key, "v"});
    }
    d.Same({"SCAN", "0", "COUNT", "2"});
  });
}

TEST_CASE("GET and SET with every option match redis-server", "[server][strings][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"GET", "k"});
    d.Same({"SET", "k", "v"});
    d.Same({"GET", "k"});
    d.Same({"SET", "k", "v2", "NX"});
    d.Same({"SET", "k", "v3", "xx"});
    d.Same({"SET", "nokey", "v", "XX"});
    d.Same({"EXISTS", "nokey"});
    d.Same({"SET", "fresh", "v", "nx"});
    d.Same({"SET", "k", "v", "NX", "XX"});
    d.Same({"SET", "k", "v", "xx", "nx"});
    d.Same({"SET", "k", "v", "NX", "NX"});
    d.Same({"SET", "k", "v", "EX", "100"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"SET", "k", "v", "Px", "100000"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"SET", "k", "v", "EXAT", kFutureS});
    d.Same({"EXPIRETIME", "k"});
    d.Same({"SET", "k", "v", "pxat", kFutureMs});
    d.Same({"PEXPIRETIME", "k"});
    d.Same({"SET", "k", "v", "KEEPTTL"});
    d.Same({"PEXPIRETIME", "k"});
    d.Same({"SET", "k", "v"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"SET", "k", "v", "EX", "0"});
    d.Same({"SET", "k", "v", "EX", "-1"});
    d.Same({"SET", "k", "v", "PX", "0"});
    d.Same({"SET", "k", "v", "EX", "abc"});
    d.Same({"SET", "k", "v", "EX", "1.5"});
    d.Same({"SET", "k", "v", "EX", "9223372036854775807"});
    d.Same({"SET", "k", "v", "EX", "9223372036854775"});
    d.Same({"SET", "k", "v", "PX", "9223372036854775807"});
    d.Same({"SET", "k", "v", "EXAT", "9223372036854775"});
    d.Same({"SET", "k", "v", "EX"});
    d.Same({"SET", "k", "v", "EX", "10", "EX", "20"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"SET", "k", "v", "EX", "10", "PX", "20"});
    d.Same({"SET", "k", "v", "KEEPTTL", "EX", "10"});
    d.Same({"SET", "k", "v", "EX", "10", "KEEPTTL"});
    d.Same({"SET", "k", "v", "PERSIST"});
    d.Same({"SET", "k", "v", "FOO"});
    d.Same({"SET", "k", "new", "GET"});
    d.Same({"SET", "k", "newer", "get", "get"});
    d.Same({"SET", "absent", "x", "GET"});
    d.Same({"SET", "k", "other", "NX", "GET"});
    d.Same({"GET", "k"});
    d.Same({"SET", "absent2", "x", "XX", "GET"});
    d.Same({"EXISTS", "absent2"});
    d.Same({"sEt", "k", "v", "gEt", "eX", "100", "xX"});
    d.Near({"TTL", "k"}, 1);
    d.MakeContainer("list", "list");
    d.Same({"SET", "list", "v", "GET"});
    d.Same({"TYPE", "list"});
    d.Same({"SET", "list", "v", "GET", "EX", "0"});
    d.Same({"SET", "list", "v"});
    d.Same({"TYPE", "list"});
    d.Same({"GET", "list"});
    d.MakeContainer("hash", "hash");
    d.Same({"GET", "hash"});
    d.Same({"SET", "empty", ""});
    d.Same({"GET", "empty"});
    d.Same({"SET", "past", "v", "PXAT", "1"});
    d.Same({"DBSIZE"});
    d.Same({"GET", "past"});
    d.Same({"DBSIZE"});
    d.Same({"SET", "bin", std::string("a\0b\r\nc", 6)});
    d.Same({"GET", "bin"});
    d.Same({"SET", "k", "v", std::string("nx\0junk", 7)});
  });
}

TEST_CASE("SETNX SETEX PSETEX GETSET match redis-server", "[server][strings][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"SETNX", "k", "1"});
    d.Same({"SETNX", "k", "2"});
    d.Same({"GET", "k"});
    d.MakeContainer("set", "set");
    d.Same({"SETNX", "set", "x"});
    d.Same({"SETEX", "k", "100", "v"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"SETEX", "k", "0", "v"});
    d.Same({"SETEX", "k", "-5", "v"});
    d.Same({"SETEX", "k", "abc", "v"});
    d.Same({"SETEX", "k", "9223372036854775807", "v"});
    d.Same({"SETEX", "set", "100", "v"});
    d.Same({"TYPE", "set"});
    d.Same({"PSETEX", "p", "100000", "v"});
    d.Near({"TTL", "p"}, 1);
    d.Near({"PTTL", "p"}, 1000);
    d.Same({"PSETEX", "p", "0", "v"});
    d.Same({"PSETEX", "p", "-1", "v"});
    d.Same({"PSETEX", "p", "9223372036854775807", "v"});
    d.Same({"PSETEX", "p", "x1", "v"});
    d.Same({"GETSET", "gs", "1"});
    d.Same({"GETSET", "gs", "2"});
    d.Same({"GET", "gs"});
    d.Same({"SETEX", "gs", "100", "3"});
    d.Same({"GETSET", "gs", "4"});
    d.Near({"TTL", "gs"}, 1);
    d.MakeContainer("list", "list");
    d.Same({"GETSET", "list", "x"});
    d.Same({"TYPE", "list"});
  });
}

TEST_CASE("GETDEL and GETEX match redis-server", "[server][strings][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"GETDEL", "k"});
    d.Same({"SET", "k", "v"});
    d.Same({"GETDEL", "k"});
    d.Same({"EXISTS", "k"});
    d.MakeContainer("list", "list");
    d.Same({"GETDEL", "list"});
    d.Same({"EXISTS", "list"});
    d.Same({"GETEX", "k"});
    d.Same({"SET", "k", "v"});
    d.Same({"GETEX", "k"});
    d.Same({"GETEX", "k", "EX", "100"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"GETEX", "k", "px", "200000"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"GETEX", "k", "EXAT", kFutureS});
    d.Same({"EXPIRETIME", "k"});
    d.Same({"GETEX", "k", "PXAT", kFutureMs});
    d.Same({"PEXPIRETIME", "k"});
    d.Same({"GETEX", "k", "PERSIST"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"GETEX", "k", "PERSIST"});
    d.Same({"GETEX", "k", "PERSIST", "EX", "10"});
    d.Same({"GETEX", "k", "EX", "10", "PERSIST"});
    d.Same({"GETEX", "k", "EX", "10", "PX", "10"});
    d.Same({"GETEX", "k", "EX", "10", "EX", "20"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"GETEX", "k", "KEEPTTL"});
    d.Same({"GETEX", "k", "NX"});
    d.Same({"GETEX", "k", "GET"});
    d.Same({"GETEX", "k", "EX"});
    d.Same({"GETEX", "k", "EX", "0"});
    d.Same({"GETEX", "k", "EX", "-3"});
    d.Same({"GETEX", "k", "EX", "abc"});
    d.Same({"GETEX", "k", "EX", "9223372036854775807"});
    d.Same({"GETEX", "missing", "EX", "0"});
    d.Same({"GETEX", "missing", "FOO"});
    d.Same({"GETEX", "list", "EX", "0"});
    d.MakeContainer("list", "list");
    d.Same({"GETEX", "list", "EX", "0"});
    d.Same({"GETEX", "list"});
    d.Same({"GETEX", "k", "PXAT", "1"});
    d.Same({"EXISTS", "k"});
    d.Same({"SET", "k", "v"});
    d.Same({"GETEX", "k", "exat", "1"});
    d.Same({"DBSIZE"});
  });
}

TEST_CASE("MGET MSET MSETNX match redis-server", "[server][strings][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"MGET", "a", "b"});
    d.Same({"MSET", "a", "1", "b", "2"});
    d.Same({"MGET", "a", "b", "c", "a"});
    d.MakeContainer("list", "list");
    d.Same({"MGET", "a", "list", "b"});
    d.Same({"MSET", "a", "1", "b"});
    d.Same({"MSET", "a", "x", "a", "y"});
    d.Same({"GET", "a"});
    d.Same({"SETEX", "b", "100", "v"});
    d.Same({"MSET", "b", "z"});
    d.Near({"TTL", "b"}, 1);
    d.Same({"MSET", "list", "now-a-string"});
    d.Same({"TYPE", "list"});
    d.Same({"MSETNX", "c", "1", "a", "2"});
    d.Same({"EXISTS", "c"});
    d.Same({"MSETNX", "c", "1", "d", "2"});
    d.Same({"MGET", "c", "d"});
    d.Same({"MSETNX", "e", "1", "e", "2"});
    d.Same({"GET", "e"});
    d.Same({"MSETNX", "f", "1", "g"});
    d.MakeContainer("set", "set");
    d.Same({"MSETNX", "set", "1"});
  });
}

TEST_CASE("INCR DECR INCRBY DECRBY INCRBYFLOAT match redis-server", "[server][strings][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"INCR", "n"});
    d.Same({"INCR", "n"});
    d.Same({"DECR", "n"});
    d.Same({"DECR", "m"});
    d.Same({"INCRBY", "n", "100"});
    d.Same({"INCRBY", "n", "-300"});
    d.Same({"DECRBY", "n", "7"});
    d.Same({"DECRBY", "n", "-7"});
    d.Same({"INCRBY", "n", "abc"});
    d.Same({"INCRBY", "n", "1.5"});
    d.Same({"INCRBY", "n", " 1"});
    d.Same({"INCRBY", "n", "+1"});
    d.Same({"DECRBY", "n", "-9223372036854775808"});
    d.Same({"DECRBY", "n", "9223372036854775808"});
    d.Same({"SET", "max", "9223372036854775807"});
    d.Same({"INCR", "max"});
    d.Same({"INCRBY", "max", "0"});
    d.Same({"SET", "min", "-9223372036854775808"});
    d.Same({"DECR", "min"});
    d.Same({"INCRBY", "min", "-1"});
    for (const char* bad : {"abc", " 1", "010", "1.5", "", "+1", "1 "}) {
      d.Same({"SET", "s", bad});
      d.Same({"INCR", "s"});
      d.Same({"DECRBY", "s", "1"});
    }
    d.MakeContainer("list", "list");
    d.Same({"INCR", "list"});
    d.Same({"INCRBY", "list", "abc"});
    d.Same({"DECRBY", "list", "-9223372036854775808"});
    d.Same({"SETEX", "t", "100", "5"});
    d.Same({"INCR", "t"});
    d.Near({"TTL", "t"}, 1);
    d.Same({"OBJECT", "ENCODING", "t"});
    d.Same({"INCRBYFLOAT", "f", "1.5"});
    d.Same({"INCRBYFLOAT", "f", "0.1"});
    d.Same({"INCRBYFLOAT", "f", "-1.6"});
    d.Same({"INCRBYFLOAT", "f", "5.0e3"});
    d.Same({"INCRBYFLOAT", "f", "1e-5"});
    d.Same({"OBJECT", "ENCODING", "f"});
    d.Same({"SET", "f2", "10.50"});
    d.Same({"INCRBYFLOAT", "f2", "0.1"});
    d.Same({"INCRBYFLOAT", "f2", "abc"});
    d.Same({"INCRBYFLOAT", "f2", ""});
    d.Same({"INCRBYFLOAT", "f2", " 1"});
    d.Same({"INCRBYFLOAT", "f2", "inf"});
    d.Same({"INCRBYFLOAT", "f2", "-inf"});
    d.Same({"INCRBYFLOAT", "f2", "nan"});
    d.Same({"INCRBYFLOAT", "f2", "1e400"});
    d.Same({"SET", "i", "3"});
    d.Same({"INCRBYFLOAT", "i", "3e5"});
    d.Same({"INCRBYFLOAT", "i", "-300003"});
    d.Same({"GET", "i"});
    d.Same({"SET", "bad", "x1"});
    d.Same({"INCRBYFLOAT", "bad", "1"});
    d.Same({"INCRBYFLOAT", "bad", "y"});
    d.Same({"INCRBYFLOAT", "list", "y"});
    d.Same({"INCRBYFLOAT", "list", "1"});
    d.Same({"SETEX", "ft", "100", "1.25"});
    d.Same({"INCRBYFLOAT", "ft", "1.25"});
    d.Near({"TTL", "ft"}, 1);
    d.Same({"INCRBYFLOAT", "big", "12345678901234567890123456789"});
  });
}

TEST_CASE("APPEND STRLEN GETRANGE SUBSTR SETRANGE match redis-server", "[server][strings][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"APPEND", "a", "hello"});
    d.Same({"APPEND", "a", " world"});
    d.Same({"GET", "a"});
    d.Same({"OBJECT", "ENCODING", "a"});
    d.Same({"APPEND", "a", ""});
    d.Same({"SET", "n", "12"});
    d.Same({"APPEND", "n", "3"});
    d.Same({"OBJECT", "ENCODING", "n"});
    d.Same({"APPEND", "fresh", "42"});
    d.Same({"OBJECT", "ENCODING", "fresh"});
    d.Same({"SETEX", "t", "100", "x"});
    d.Same({"APPEND", "t", "y"});
    d.Near({"TTL", "t"}, 1);
    d.MakeContainer("list", "list");
    d.Same({"APPEND", "list", "x"});
    d.Same({"STRLEN", "a"});
    d.Same({"STRLEN", "missing"});
    d.Same({"STRLEN", "n"});
    d.Same({"SET", "neg", "-12345"});
    d.Same({"STRLEN", "neg"});
    d.Same({"STRLEN", "list"});
    d.Same({"SET", "e", ""});
    d.Same({"STRLEN", "e"});
    for (const auto& [s, e] : std::initializer_list<std::pair<const char*, const char*>>{
             {"0", "-1"},
             {"0", "4"},
             {"-3", "-1"},
             {"5", "2"},
             {"-1", "-5"},
             {"0", "100"},
             {"100", "200"},
             {"-100", "-50"},
             {"-100", "2"},
             {"3", "-100"},
             {"-9223372036854775808", "9223372036854775807"},
             {"0", "0"},
             {"-1", "-1"}}) {
      d.Same({"GETRANGE", "a", s, e});
      d.Same({"SUBSTR", "a", s, e});
      d.Same({"GETRANGE", "neg", s, e});
      d.Same({"GETRANGE", "e", s, e});
    }
    d.Same({"GETRANGE", "missing", "0", "-1"});
    d.Same({"GETRANGE", "a", "x", "1"});
    d.Same({"GETRANGE", "a", "1", "1.0"});
    d.Same({"GETRANGE", "list", "0", "1"});
    d.Same({"GETRANGE", "list", "x", "1"});
    d.Same({"SETRANGE", "s", "0", ""});
    d.Same({"EXISTS", "s"});
    d.Same({"SETRANGE", "s", "5", "hi"});
    d.Same({"GET", "s"});
    d.Same({"SETRANGE", "s", "1", "XYZ"});
    d.Same({"GET", "s"});
    d.Same({"SETRANGE", "s", "100", ""});
    d.Same({"STRLEN", "s"});
    d.Same({"SETRANGE", "s", "-1", "x"});
    d.Same({"SETRANGE", "s", "abc", "x"});
    d.Same({"SETRANGE", "s", "536870912", "x"});
    d.Same({"SETRANGE", "s", "536870911", ""});
    d.Same({"SETRANGE", "s", "9223372036854775807", "x"});
    d.Same({"SETRANGE", "missing2", "536870912", "x"});
    d.Same({"SETRANGE", "list", "0", "x"});
    d.Same({"SETRANGE", "list", "-1", "x"});
    d.Same({"SETRANGE", "n", "0", "9"});
    d.Same({"GET", "n"});
    d.Same({"OBJECT", "ENCODING", "n"});
    d.Same({"SETRANGE", "t", "0", "z"});
    d.Near({"TTL", "t"}, 1);
  });
}

}  // namespace
}  // namespace slotproxy::server::testing

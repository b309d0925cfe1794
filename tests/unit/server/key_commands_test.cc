// Differential tests of the generic key handlers against a real redis-server 7.0, in RESP2 and
// RESP3: every command with normal and edge cases, options in any order and case, error texts.
#include <catch2/catch.hpp>

#include <string>

#include "string_test_util.h"

namespace slotproxy::server::testing {
namespace {

const std::string kFutureS = "4102444800";
const std::string kFutureMs = "4102444800123";

TEST_CASE("DEL UNLINK EXISTS TYPE TOUCH match redis-server", "[server][keys][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"DEL", "a"});
    d.Same({"MSET", "a", "1", "b", "2", "c", "3"});
    d.Same({"EXISTS", "a", "a", "b", "x"});
    d.Same({"TOUCH", "a", "a", "b", "x"});
    d.Same({"DEL", "a", "a", "x"});
    d.Same({"UNLINK", "b", "c", "b"});
    d.Same({"EXISTS", "a", "b", "c"});
    d.Same({"TYPE", "a"});
    d.Same({"SET", "s", "v"});
    d.Same({"TYPE", "s"});
    d.MakeContainer("list", "l");
    d.MakeContainer("set", "st");
    d.MakeContainer("hash", "h");
    d.Same({"TYPE", "l"});
    d.Same({"TYPE", "st"});
    d.Same({"TYPE", "h"});
    d.Same({"DEL", "l", "st", "h", "s"});
    d.Same({"SET", "gone", "v", "PXAT", "1"});
    d.Same({"EXISTS", "gone"});
    d.Same({"SET", "gone", "v", "PXAT", "1"});
    d.Same({"TYPE", "gone"});
    d.Same({"SET", "gone", "v", "PXAT", "1"});
    d.Same({"DEL", "gone"});
    d.Same({"DBSIZE"});
  });
}

TEST_CASE("EXPIRE family with NX XX GT LT matches redis-server", "[server][keys][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"EXPIRE", "k", "100"});
    d.Same({"SET", "k", "v"});
    d.Same({"EXPIRE", "k", "100", "XX"});
    d.Same({"EXPIRE", "k", "100", "GT"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"EXPIRE", "k", "100", "NX"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"EXPIRE", "k", "200", "NX"});
    d.Same({"EXPIRE", "k", "200", "xx"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"EXPIRE", "k", "100", "gt"});
    d.Same({"EXPIRE", "k", "300", "GT"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"EXPIRE", "k", "400", "LT"});
    d.Same({"EXPIRE", "k", "150", "lt"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"EXPIRE", "k", "140", "XX", "GT"});  // 150 would depend on the ms elapsed
    d.Same({"EXPIRE", "k", "160", "GT", "XX"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"PERSIST", "k"});
    d.Same({"EXPIRE", "k", "100", "LT"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"EXPIRE", "k", "100", "NX", "XX"});
    d.Same({"EXPIRE", "k", "100", "NX", "GT"});
    d.Same({"EXPIRE", "k", "100", "LT", "NX"});
    d.Same({"EXPIRE", "k", "100", "GT", "LT"});
    d.Same({"EXPIRE", "k", "100", "FOO"});
    d.Same({"EXPIRE", "k", "100", "NX", "FOO"});
    d.Same({"EXPIRE", "k", "abc"});
    d.Same({"EXPIRE", "k", "abc", "FOO"});
    d.Same({"EXPIRE", "k", "1.5"});
    d.Same({"EXPIRE", "k", "9223372036854775807"});
    d.Same({"EXPIRE", "k", "-9223372036854775808"});
    d.Same({"EXPIRE", "k", "9223372036854775"});
    d.Same({"PEXPIRE", "k", "9223372036854775807"});
    d.Same({"PEXPIRE", "k", "100000"});
    d.Near({"PTTL", "k"}, 1000);
    d.Near({"TTL", "k"}, 1);
    d.Same({"EXPIREAT", "k", kFutureS});
    d.Same({"EXPIRETIME", "k"});
    d.Same({"PEXPIRETIME", "k"});
    d.Same({"PEXPIREAT", "k", kFutureMs});
    d.Same({"EXPIRETIME", "k"});
    d.Same({"PEXPIRETIME", "k"});
    d.Same({"EXPIREAT", "k", "9223372036854775807"});
    d.Same({"PEXPIREAT", "k", "9223372036854775807"});
    d.Same({"PEXPIRETIME", "k"});
    d.Same({"EXPIREAT", "k", kFutureS, "LT"});
    d.Same({"PEXPIRETIME", "k"});
    d.Same({"EXPIRE", "k", "0"});
    d.Same({"EXISTS", "k"});
    d.Same({"SET", "k", "v"});
    d.Same({"EXPIRE", "k", "-10"});
    d.Same({"EXISTS", "k"});
    d.Same({"SET", "k", "v"});
    d.Same({"PEXPIREAT", "k", "1"});
    d.Same({"EXISTS", "k"});
    d.Same({"SET", "k", "v"});
    d.Same({"EXPIREAT", "k", "-9223372036854775808"});
    d.Same({"PEXPIREAT", "k", "-9223372036854775808"});
    d.Same({"EXISTS", "k"});
    d.Same({"SET", "k", "v", "EX", "100"});
    d.Same({"EXPIRE", "k", "-1", "GT"});
    d.Same({"EXPIRE", "k", "-1", "LT"});
    d.Same({"EXISTS", "k"});
    d.MakeContainer("list", "l");
    d.Same({"EXPIRE", "l", "100"});
    d.Near({"TTL", "l"}, 1);
    d.Same({"PEXPIRE", "missing", "100", "NX"});
  });
}

TEST_CASE("TTL PTTL EXPIRETIME PEXPIRETIME PERSIST match redis-server", "[server][keys][redis]") {
  RunDifferential([](Differ& d) {
    for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"}) {
      d.Same({cmd, "missing"});
    }
    d.Same({"SET", "k", "v"});
    for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"}) {
      d.Same({cmd, "k"});
    }
    d.Same({"PEXPIREAT", "k", kFutureMs});
    d.Same({"EXPIRETIME", "k"});
    d.Same({"PEXPIRETIME", "k"});
    d.Near({"TTL", "k"}, 1);
    d.Near({"PTTL", "k"}, 1000);
    d.Same({"PERSIST", "k"});
    d.Same({"PERSIST", "k"});
    d.Near({"TTL", "k"}, 1);
    d.Same({"PEXPIREAT", "k", "4102444800499"});
    d.Same({"EXPIRETIME", "k"});
    d.Same({"PEXPIREAT", "k", "4102444800500"});
    d.Same({"EXPIRETIME", "k"});
    d.MakeContainer("hash", "h");
    d.Same({"EXPIRE", "h", "1000"});
    d.Near({"TTL", "h"}, 1);
    d.Same({"PERSIST", "h"});
    d.Near({"TTL", "h"}, 1);
  });
}

TEST_CASE("RENAME RENAMENX COPY match redis-server", "[server][keys][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"RENAME", "a", "b"});
    d.Same({"RENAME", "a", "a"});
    d.Same({"RENAMENX", "a", "b"});
    d.Same({"RENAMENX", "a", "a"});
    d.Same({"SET", "a", "1"});
    d.Same({"RENAME", "a", "a"});
    d.Same({"RENAMENX", "a", "a"});
    d.Same({"SETEX", "a", "100", "1"});
    d.Same({"RENAME", "a", "b"});
    d.Same({"EXISTS", "a"});
    d.Same({"GET", "b"});
    d.Near({"TTL", "b"}, 1);
    d.Same({"SET", "c", "3"});
    d.Same({"RENAME", "b", "c"});
    d.Same({"GET", "c"});
    d.Near({"TTL", "c"}, 1);
    d.Same({"SET", "d", "4"});
    d.Same({"RENAMENX", "c", "d"});
    d.Same({"RENAMENX", "c", "e"});
    d.Same({"MGET", "c", "d", "e"});
    d.MakeContainer("list", "l");
    d.Same({"RENAME", "l", "e"});
    d.Same({"TYPE", "e"});
    d.Same({"COPY", "missing", "x"});
    d.Same({"COPY", "d", "d"});
    d.Same({"COPY", "missing", "missing"});
    d.Same({"COPY", "d", "x"});
    d.Same({"GET", "x"});
    d.Same({"COPY", "d", "e"});
    d.Same({"COPY", "d", "e", "REPLACE"});
    d.Same({"TYPE", "e"});
    d.Same({"COPY", "d", "e", "replace", "REPLACE"});
    d.Same({"SETEX", "t", "100", "v"});
    d.Same({"COPY", "t", "t2"});
    d.Near({"TTL", "t2"}, 1);
    d.Same({"OBJECT", "ENCODING", "t2"});
    d.Same({"COPY", "d", "y", "DB", "0"});
    d.Same({"COPY", "d", "z", "db", "0", "REPLACE"});
    d.Same({"COPY", "d", "z", "DB", "abc"});
    d.Same({"COPY", "d", "z", "DB", "16"});
    d.Same({"COPY", "d", "z", "DB", "-1"});
    d.Same({"COPY", "d", "z", "DB"});
    d.Same({"COPY", "d", "z", "FOO"});
    d.MakeContainer("set", "st");
    d.Same({"COPY", "st", "st2"});
    d.Same({"TYPE", "st2"});
    d.Same({"OBJECT", "ENCODING", "st2"});
  });
}

TEST_CASE("KEYS SCAN RANDOMKEY DBSIZE match redis-server", "[server][keys][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"KEYS", "*"});
    d.Same({"RANDOMKEY"});
    d.Same({"DBSIZE"});
    d.Same({"SCAN", "0"});
    d.Same({"SET", "only", "v"});
    d.Same({"RANDOMKEY"});
    d.Same({"SCAN", "0"});
    d.Same({"MSET", "hello", "1", "hallo", "2", "hxllo", "3", "heeello", "4", "a[b", "5", "", "e"});
    d.MakeContainer("list", "hlist");
    d.MakeContainer("set", "hset");
    d.MakeContainer("hash", "hhash");
    for (int i = 0; i < 300; ++i) d.Same({"SET", "key:" + std::to_string(i), "v"});
    d.Same({"DBSIZE"});
    for (const char* p : {"*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "a\\[b", "",
                          "key:1*", "nomatch*", "*list", "[", "h[a-"}) {
      d.SameUnordered({"KEYS", p});
      d.SameScan({"MATCH", p});
    }
    d.SameScan({});
    d.SameScan({"COUNT", "1"});
    d.SameScan({"COUNT", "1000"});
    d.SameScan({"COUNT", "9223372036854775807"});
    d.Same({"SCAN", "0", "COUNT", "9223372036854775808"});
    d.SameScan({"count", "7", "match", "key:2*"});
    d.SameScan({"TYPE", "string"});
    d.SameScan({"TYPE", "LIST"});
    d.SameScan({"type", "set", "MATCH", "h*"});
    d.SameScan({"TYPE", "hash"});
    d.SameScan({"TYPE", "zset"});
    d.SameScan({"TYPE", "foo"});
    d.SameScan({"MATCH", "x", "MATCH", "key:3*"});
    d.Same({"SCAN", "abc"});
    d.Same({"SCAN", " 0"});
    d.Same({"SCAN", "0x1"});
    d.Same({"SCAN", "18446744073709551616"});
    d.Same({"SCAN", "-", "COUNT", "0"});
    d.Same({"SCAN", "0", "COUNT", "0"});
    d.Same({"SCAN", "0", "COUNT", "-1"});
    d.Same({"SCAN", "0", "COUNT", "abc"});
    d.Same({"SCAN", "0", "COUNT"});
    d.Same({"SCAN", "0", "MATCH"});
    d.Same({"SCAN", "0", "FOO", "bar"});
    d.Same({"SCAN", "0", "TYPE"});
    d.Same({"DEL", "only"});
    d.Same({"SET", "gone", "v", "PXAT", "1"});
    d.Same({"DBSIZE"});
    d.SameUnordered({"KEYS", "go*"});
    d.SameScan({"MATCH", "go*"});
  });
}

TEST_CASE("FLUSHDB FLUSHALL and OBJECT match redis-server", "[server][keys][redis]") {
  RunDifferential([](Differ& d) {
    d.Same({"SET", "int", "12345"});
    d.Same({"SET", "neg", "-1"});
    d.Same({"SET", "big", "99999999999999999999"});
    d.Same({"SET", "lead0", "0123"});
    d.Same({"SET", "emb", std::string(44, 'x')});
    d.Same({"SET", "raw", std::string(45, 'x')});
    d.Same({"SET", "small", "7"});
    d.Same({"SET", "edge", "10000"});
    d.MakeContainer("list", "l");
    d.MakeContainer("set", "st");
    d.MakeContainer("hash", "h");
    for (const char* k :
         {"int", "neg", "big", "lead0", "emb", "raw", "small", "edge", "l", "st", "h", "missing"}) {
      d.Same({"OBJECT", "ENCODING", k});
      d.Same({"OBJECT", "REFCOUNT", k});
      d.Same({"OBJECT", "FREQ", k});
      d.Same({"object", "idletime", k});
    }
    d.Same({"OBJECT", "HELP"});
    d.Same({"object", "help"});
    d.Same({"FLUSHDB", "FOO"});
    d.Same({"FLUSHALL", "SYNC", "ASYNC"});
    d.Same({"DBSIZE"});
    d.Same({"FLUSHDB"});
    d.Same({"DBSIZE"});
    d.Same({"FLUSHDB"});
    d.Same({"SET", "a", "b"});
    d.Same({"FLUSHALL", "async"});
    d.Same({"DBSIZE"});
    d.Same({"SET", "a", "b"});
    d.Same({"FLUSHALL", "SYNC"});
    d.Same({"SET", "a", "b"});
    d.Same({"FLUSHDB", "Async"});
    d.Same({"FLUSHALL"});
    d.Same({"KEYS", "*"});
  });
}

}  // namespace
}  // namespace slotproxy::server::testing

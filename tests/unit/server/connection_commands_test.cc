// Connection-level commands of the shard (exact bytes as Redis 7.0 sends them; the integration
// test compares the same scripts with a live redis-server).
#include <catch2/catch.hpp>

#include <string>

#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::Bulk;
using testing::ShardFixture;
using testing::TestClient;

TEST_CASE("PING ECHO SELECT CLIENT names") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  CHECK(c.Call({"PING"}) == "+PONG\r\n");
  CHECK(c.Call({"PING", "x"}) == Bulk("x"));
  CHECK(c.Call({"PING", "a", "b"}) == "-ERR wrong number of arguments for 'ping' command\r\n");
  CHECK(c.Call({"ECHO", "hi"}) == Bulk("hi"));
  CHECK(c.Call({"SELECT", "0"}) == "+OK\r\n");
  CHECK(c.Call({"SELECT", "1"}) == "-ERR SELECT is not allowed in cluster mode\r\n");
  CHECK(c.Call({"CLIENT", "GETNAME"}) == "$-1\r\n");
  CHECK(c.Call({"CLIENT", "SETNAME", "a b"}) ==
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  CHECK(c.Call({"CLIENT", "SETNAME", "me"}) == "+OK\r\n");
  CHECK(c.Call({"CLIENT", "GETNAME"}) == Bulk("me"));
  CHECK(c.Call({"CLIENT", "LIST"}).find(" name=me ") != std::string::npos);
  CHECK(c.Call({"NOPE", "x"}) == "-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n");
}

TEST_CASE("HELLO switches protocol and validates its arguments") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  CHECK(c.Call({"HELLO", "4"}) == "-NOPROTO unsupported protocol version\r\n");
  CHECK(c.Call({"HELLO", "x"}) == "-ERR Protocol version is not an integer or out of range\r\n");
  CHECK(c.Call({"HELLO", "3", "bogus"}) == "-ERR Syntax error in HELLO option 'bogus'\r\n");
  std::string hello = c.Call({"HELLO", "3", "SETNAME", "n"});
  CHECK(hello.rfind("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n", 0) ==
        0);
  CHECK(hello.find("$4\r\nmode\r\n$7\r\ncluster\r\n") != std::string::npos);
  CHECK(c.Call({"CLIENT", "GETNAME"}) == Bulk("n"));
  CHECK(c.Call({"CONFIG", "GET", "maxmemory"}) == "%1\r\n" + Bulk("maxmemory") + Bulk("0"));
  std::string info = c.Call({"INFO", "cluster"});
  CHECK(info == "=34\r\ntxt:# Cluster\r\ncluster_enabled:1\r\n\r\n");
  CHECK(c.Call({"AUTH", "pw"}) ==
        "-ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?\r\n");
}

TEST_CASE("subscribed RESP2 clients may only run the pub/sub commands") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient sub(shard.port()), pub(shard.port());
  CHECK(sub.Call({"SUBSCRIBE", "ch"}) == "*3\r\n" + Bulk("subscribe") + Bulk("ch") + ":1\r\n");
  CHECK(sub.Call({"PING"}) == "*2\r\n" + Bulk("pong") + Bulk(""));
  CHECK(sub.Call({"ECHO", "x"}) ==
        "-ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        "RESET are allowed in this context\r\n");
  CHECK(sub.Call({"CLIENT", "ID"}).find("'client|id'") != std::string::npos);
  CHECK(sub.Call({"PSUBSCRIBE", "c*"}) == "*3\r\n" + Bulk("psubscribe") + Bulk("c*") + ":2\r\n");
  CHECK(pub.Call({"PUBLISH", "ch", "m"}) == ":2\r\n");
  CHECK(sub.Read() == "*3\r\n" + Bulk("message") + Bulk("ch") + Bulk("m"));
  CHECK(sub.Read() == "*4\r\n" + Bulk("pmessage") + Bulk("c*") + Bulk("ch") + Bulk("m"));
  CHECK(sub.Call({"UNSUBSCRIBE", "ch"}) == "*3\r\n" + Bulk("unsubscribe") + Bulk("ch") + ":1\r\n");
  CHECK(sub.Call({"PUNSUBSCRIBE"}) == "*3\r\n" + Bulk("punsubscribe") + Bulk("c*") + ":0\r\n");
  CHECK(sub.Call({"UNSUBSCRIBE"}) == "*3\r\n" + Bulk("unsubscribe") + "$-1\r\n:0\r\n");
  CHECK(sub.Call({"ECHO", "x"}) == Bulk("x"));
  CHECK(pub.Call({"PUBLISH", "ch", "m"}) == ":0\r\n");
}

TEST_CASE("RESP3 subscribers get pushes and may run any command") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient sub(shard.port()), pub(shard.port());
  REQUIRE(sub.Call({"HELLO", "3"}).rfind("%7", 0) == 0);
  CHECK(sub.Call({"SSUBSCRIBE", "s"}) == ">3\r\n" + Bulk("ssubscribe") + Bulk("s") + ":1\r\n");
  CHECK(sub.Call({"PING"}) == "+PONG\r\n");
  CHECK(pub.Call({"SPUBLISH", "s", "m"}) == ":1\r\n");
  CHECK(sub.Read() == ">3\r\n" + Bulk("smessage") + Bulk("s") + Bulk("m"));
  CHECK(sub.Call({"RESET"}) == "+RESET\r\n");
  CHECK(pub.Call({"SPUBLISH", "s", "m"}) == ":0\r\n");
}

}  // namespace
}  // namespace slotproxy::server

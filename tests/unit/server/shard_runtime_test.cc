// The shard runtime over real sockets: embedded start/stop, pipelining, protocol errors, QUIT,
// output limits (back-pressure and the hard limit), maxclients, client ids.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::Bulk;
using testing::ShardFixture;
using testing::TestClient;

TEST_CASE("EmbeddedShards starts N shards on their own ports and ids, and stops them") {
  std::vector<EmbeddedShardSpec> specs(3);
  auto started = EmbeddedShards::Start(std::move(specs));
  REQUIRE(started.ok());
  auto& fleet = *started.value();
  REQUIRE(fleet.size() == 3);
  std::set<uint16_t> ports(fleet.ports().begin(), fleet.ports().end());
  std::set<std::string> ids(fleet.node_ids().begin(), fleet.node_ids().end());
  CHECK(ports.size() == 3);
  CHECK(ids.size() == 3);
  for (const std::string& id : ids) {
    CHECK(id.size() == 40);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
  for (uint16_t port : ports) {
    TestClient c(port);
    REQUIRE(c.connected());
    CHECK(c.Call({"PING"}) == "+PONG\r\n");
  }
  uint16_t first = fleet.ports()[0];
  fleet.Stop();
  TestClient after(first);
  CHECK_FALSE(after.connected());
}

TEST_CASE("EmbeddedShards reports a port in use and stops what it started") {
  ShardFixture busy;
  REQUIRE(busy.ok());
  std::vector<EmbeddedShardSpec> specs(2);
  specs[1].options.port = busy.port();
  auto started = EmbeddedShards::Start(std::move(specs));
  REQUIRE_FALSE(started.ok());
  CHECK(started.status().message().rfind("shard 1: ", 0) == 0);
  CHECK(started.status().message().find("in use") != std::string::npos);
}

TEST_CASE("pipelines of any depth are answered in order") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  std::string batch, expected;
  for (int i = 0; i < 20000; ++i) {
    std::string v = std::to_string(i);
    batch += resp::EncodeCommand({"ECHO", v});
    expected += Bulk(v);
  }
  batch += "PING\r\n";  // inline
  expected += "+PONG\r\n";
  REQUIRE(c.Send(batch));
  std::string got;
  for (int i = 0; i <= 20000; ++i) got += c.Read();
  CHECK(got == expected);
}

TEST_CASE("a protocol error answers earlier commands, then the error, then closes") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  REQUIRE(c.Send("PING\r\n*1\r\n$4\r\nECHO\r\n*1\r\n$x\r\nPING\r\n"));
  bool eof = false;
  CHECK(c.ReadToEof(&eof) ==
        "+PONG\r\n-ERR wrong number of arguments for 'echo' command\r\n"
        "-ERR Protocol error: invalid bulk length\r\n");
  CHECK(eof);
}

TEST_CASE("QUIT answers OK and closes; nothing after it runs") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  REQUIRE(c.Send("PING\r\nQUIT\r\nPING\r\n"));
  bool eof = false;
  CHECK(c.ReadToEof(&eof) == "+PONG\r\n+OK\r\n");
  CHECK(eof);
}

TEST_CASE("client ids increase from 1") {
  ShardFixture shard;
  REQUIRE(shard.ok());
  TestClient a(shard.port()), b(shard.port());
  CHECK(a.Call({"CLIENT", "ID"}) == ":1\r\n");
  CHECK(b.Call({"CLIENT", "ID"}) == ":2\r\n");
}

TEST_CASE("output past the high-water mark pauses the client, and it resumes on drain") {
  ShardOptions o;
  o.output_high_water = 100;  // every reply below passes it
  ShardFixture shard(o);
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  std::string big(5000, 'x'), batch, expected;
  for (int i = 0; i < 50; ++i) {
    batch += resp::EncodeCommand({"ECHO", big});
    expected += Bulk(big);
  }
  REQUIRE(c.Send(batch));
  std::string got;
  for (int i = 0; i < 50; ++i) got += c.Read();
  CHECK(got == expected);
}

TEST_CASE("a reply past the hard limit closes the client") {
  ShardOptions o;
  o.output_hard_limit = 1000;
  ShardFixture shard(o);
  REQUIRE(shard.ok());
  TestClient c(shard.port());
  CHECK(c.Call({"ECHO", "small"}) == Bulk("small"));
  REQUIRE(c.SendCommand({"ECHO", std::string(5000, 'y')}));
  bool eof = false;
  CHECK(c.ReadToEof(&eof).empty());
  CHECK(eof);
  TestClient other(shard.port());
  CHECK(other.Call({"PING"}) == "+PONG\r\n");
}

TEST_CASE("maxclients: the next connection gets Redis's error and is closed") {
  ShardOptions o;
  o.maxclients = 1;
  ShardFixture shard(o);
  REQUIRE(shard.ok());
  TestClient a(shard.port());
  REQUIRE(a.Call({"PING"}) == "+PONG\r\n");
  TestClient b(shard.port());
  bool eof = false;
  CHECK(b.ReadToEof(&eof) == "-ERR max number of clients reached\r\n");
  CHECK(eof);
  CHECK(a.Call({"INFO", "stats"}).find("rejected_connections:1\r\n") != std::string::npos);
}

}  // namespace
}  // namespace slotproxy::server

// StartEmbeddedFleet: the proxy's embedded shards wired like standalone ones: a fleet view with
// the ports the OS really picked (MOVED and CLUSTER NODES name them), an AOF per shard that a
// restart replays, node ids stable across restarts, BGREWRITEAOF served.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "config/config.h"
#include "persistence_test_util.h"
#include "server/embedded.h"
#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::TempDir;
using testing::TestClient;

EmbeddedFleetOptions ThreeShards(const TempDir& dir) {
  config::EmbeddedConfig embedded;
  embedded.shards = 3;
  embedded.data_dir = dir.path;
  EmbeddedFleetOptions o;
  o.fleet = config::EmbeddedFleet(embedded);
  for (int i = 0; i < 3; ++i) o.dirs.push_back(config::ShardDataDir(embedded, i));
  o.appendfsync = config::AppendFsync::kAlways;
  return o;
}

// A key that hashes to a slot of node `node` of the even three-way split.
std::string KeyOn(int node) {
  for (int i = 0;; ++i) {
    std::string k = "key" + std::to_string(i);
    const uint16_t slot = cluster::KeySlot(k);
    const int owner = slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
    if (owner == node) return k;
  }
}

TEST_CASE("the embedded fleet knows its real ports, keeps its ids and replays its AOF",
          "[embedded_fleet]") {
  TempDir dir;
  const EmbeddedFleetOptions options = ThreeShards(dir);
  REQUIRE(options.fleet.size() == 3);
  REQUIRE(options.fleet[0].port == 0);  // the OS picks: the views learn the ports after start
  std::vector<cluster::FleetNode> running;
  std::vector<std::string> ids;
  {
    auto started = StartEmbeddedFleet(options, &running);
    REQUIRE(started.ok());
    auto& shards = *started.value();
    REQUIRE(running.size() == 3);
    ids = shards.node_ids();
    for (size_t i = 0; i < 3; ++i) {
      CHECK(running[i].port == shards.ports()[i]);
      CHECK(running[i].id == ids[i]);
      CHECK(ids[i] == cluster::NodeIdFromSeed("slotproxy-embedded:" + std::to_string(i)));
    }
    TestClient c0(shards.ports()[0]);
    REQUIRE(c0.connected());
    const std::string k1 = KeyOn(1);
    CHECK(c0.Call({"GET", k1}) == "-MOVED " + std::to_string(cluster::KeySlot(k1)) +
                                      " 127.0.0.1:" + std::to_string(shards.ports()[1]) + "\r\n");
    const std::string nodes = c0.Call({"CLUSTER", "NODES"});
    for (size_t i = 0; i < 3; ++i) {
      INFO(nodes);
      CHECK(nodes.find(ids[i] + " 127.0.0.1:" + std::to_string(shards.ports()[i]) + "@") !=
            std::string::npos);
    }
    CHECK(nodes.find("myself,master") != std::string::npos);
    for (int node = 0; node < 3; ++node) {
      TestClient c(shards.ports()[node]);
      REQUIRE(c.connected());
      CHECK(c.Call({"SET", KeyOn(node), "v" + std::to_string(node)}) == "+OK\r\n");
      CHECK(c.Call({"BGREWRITEAOF"}) == "+Background append only file rewriting started\r\n");
    }
    shards.Stop();
  }
  // Restarted: same ids from the stored views, new ports learned again, the data replayed.
  auto again = StartEmbeddedFleet(options, &running);
  REQUIRE(again.ok());
  CHECK(again.value()->node_ids() == ids);
  for (int node = 0; node < 3; ++node) {
    TestClient c(again.value()->ports()[node]);
    REQUIRE(c.connected());
    CHECK(c.Call({"GET", KeyOn(node)}) == testing::Bulk("v" + std::to_string(node)));
    CHECK(c.Call({"DBSIZE"}) == ":1\r\n");
    const std::string nodes = c.Call({"CLUSTER", "NODES"});
    INFO(nodes);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(nodes.find(ids[i] + " 127.0.0.1:" + std::to_string(again.value()->ports()[i]) + "@") !=
            std::string::npos);
    }
  }
}

TEST_CASE("FleetShardSpec rejects an index or dir it does not have", "[embedded_fleet]") {
  TempDir dir;
  EmbeddedFleetOptions options = ThreeShards(dir);
  CHECK_FALSE(FleetShardSpec(options, 3).ok());
  options.dirs.pop_back();
  CHECK_FALSE(FleetShardSpec(options, 2).ok());
}

}  // namespace
}  // namespace slotproxy::server

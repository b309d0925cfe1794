#include "cluster/topology.h"

#include <catch2/catch.hpp>
#include <string>

#include "value_builders.h"

namespace slotproxy::cluster {
namespace {

using testing::Arr;
using testing::Bulk;
using testing::Err;
using testing::Int;
using testing::Map;
using testing::Null;

const std::string kId0 = "83224ee7" + std::string(27, '0') + "b8160";
const std::string kId1 = "6f2c1a90" + std::string(28, '1') + "aaaa";
const std::string kId2 = "3a450256" + std::string(28, '2') + "bbbb";
const std::string kId5 = "bc62406c" + std::string(28, '5') + "f318";

resp::Value SlotsNode(resp::Value endpoint, int64_t port, const std::string& id,
                      resp::Value meta = Arr({})) {
  return Arr({std::move(endpoint), Int(port), Bulk(id), std::move(meta)});
}

// The captured 3-master, 3-replica reply (RESP2 shape) of section 2.
resp::Value CapturedSlots() {
  return Arr({
      Arr({Int(0), Int(5460), SlotsNode(Bulk("127.0.0.1"), 7400, kId0),
           SlotsNode(Bulk("127.0.0.1"), 7405, kId5)}),
      Arr({Int(5461), Int(10922), SlotsNode(Bulk("127.0.0.1"), 7401, kId1),
           SlotsNode(Bulk("127.0.0.1"), 7403, std::string(40, '3'))}),
      Arr({Int(10923), Int(16383), SlotsNode(Bulk("127.0.0.1"), 7402, kId2),
           SlotsNode(Bulk("127.0.0.1"), 7404, std::string(40, '4'))}),
  });
}

TEST_CASE("ParseClusterSlots reads the captured 3+3 cluster") {
  Result<SlotMapPtr> parsed = ParseClusterSlots(CapturedSlots(), "127.0.0.1", 5);
  REQUIRE(parsed.ok());
  const SlotMap& map = *parsed.value();
  CHECK(map.version() == 5);
  CHECK(map.FullyCovered());
  CHECK(map.node_count() == 6);
  CHECK(map.NodeForSlot(12182)->port == 7402);
  CHECK(map.NodeForSlot(0)->id == kId0);
  const NodeIndex replica = map.FindNode("127.0.0.1", 7405);
  REQUIRE(replica != kNoNode);
  CHECK(map.node(replica).role == NodeRole::kReplica);
  CHECK(map.node(replica).master == map.FindNodeById(kId0));
  CHECK(map.node(map.FindNodeById(kId0)).replicas == std::vector<NodeIndex>{replica});
  CHECK(map.SlotsOwnedBy(map.FindNodeById(kId1)) == std::vector<SlotRange>{{5461, 10922}});
}

TEST_CASE("ParseClusterSlots accepts old and new node shapes") {
  // Pre-4.0: [ip, port]; pre-7.0: [ip, port, id]; RESP3 metadata map with a hostname.
  resp::Value reply = Arr({
      Arr({Int(0), Int(99), Arr({Bulk("10.0.0.1"), Int(6379)})}),
      Arr({Int(100), Int(199), Arr({Bulk("10.0.0.2"), Int(6379), Bulk(kId1)})}),
      Arr({Int(200), Int(16383),
           SlotsNode(Bulk("10.0.0.3"), 6379, kId2,
                     Map({Bulk("hostname"), Bulk("node2.example")}))}),
  });
  Result<SlotMapPtr> parsed = ParseClusterSlots(reply, "seed", 1);
  REQUIRE(parsed.ok());
  const SlotMap& map = *parsed.value();
  CHECK(map.node(0).id.empty());
  CHECK(map.node(1).id == kId1);
  CHECK(map.node(2).hostname == "node2.example");
  CHECK(map.FullyCovered());
}

TEST_CASE("ParseClusterSlots: NULL and empty endpoints mean the answering host") {
  resp::Value reply = Arr({
      Arr({Int(0), Int(8191), SlotsNode(Null(), 7400, kId0, Arr({Bulk("ip"), Bulk("10.9.9.9")}))}),
      Arr({Int(8192), Int(16383), SlotsNode(Bulk(""), 7401, kId1)}),
  });
  Result<SlotMapPtr> parsed = ParseClusterSlots(reply, "seed.example", 1);
  REQUIRE(parsed.ok());
  CHECK(parsed.value()->NodeForSlot(0)->Address() == "seed.example:7400");
  CHECK(parsed.value()->NodeForSlot(9000)->Address() == "seed.example:7401");
}

TEST_CASE("ParseClusterSlots: split ownership and gaps") {
  resp::Value reply = Arr({
      Arr({Int(2), Int(5460), SlotsNode(Bulk("h"), 7400, kId0)}),
      Arr({Int(10923), Int(15494), SlotsNode(Bulk("h"), 7402, kId2)}),
      Arr({Int(15495), Int(15495), SlotsNode(Bulk("h"), 7400, kId0)}),
      Arr({Int(15496), Int(16383), SlotsNode(Bulk("h"), 7402, kId2)}),
  });
  Result<SlotMapPtr> parsed = ParseClusterSlots(reply, "h", 1);
  REQUIRE(parsed.ok());
  const SlotMap& map = *parsed.value();
  CHECK(map.node_count() == 2);
  CHECK(map.SlotsOwnedBy(0) == std::vector<SlotRange>{{2, 5460}, {15495, 15495}});
  CHECK(map.Gaps() == std::vector<SlotRange>{{0, 1}, {5461, 10922}});
}

TEST_CASE("ParseClusterSlots: an empty reply is an empty map") {
  Result<SlotMapPtr> parsed = ParseClusterSlots(Arr({}), "h", 1);
  REQUIRE(parsed.ok());
  CHECK(parsed.value()->node_count() == 0);
  CHECK(parsed.value()->covered_slots() == 0);
}

std::string SlotsError(const resp::Value& reply) {
  Result<SlotMapPtr> parsed = ParseClusterSlots(reply, "h", 1);
  REQUIRE_FALSE(parsed.ok());
  return parsed.status().message();
}

TEST_CASE("ParseClusterSlots rejects malformed replies with clear errors") {
  const auto node = [](int64_t port) { return SlotsNode(Bulk("h"), port, ""); };
  CHECK(SlotsError(Err("ERR This instance has cluster support disabled")) ==
        "CLUSTER SLOTS: ERR This instance has cluster support disabled");
  CHECK(SlotsError(Int(3)) == "CLUSTER SLOTS: not an array");
  CHECK(SlotsError(Arr({Int(1)})) == "CLUSTER SLOTS entry 0: not an array of at least 3 elements");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(1)})})) ==
        "CLUSTER SLOTS entry 0: not an array of at least 3 elements");
  CHECK(SlotsError(Arr({Arr({Bulk("0"), Int(1), node(1)})})) ==
        "CLUSTER SLOTS entry 0: slot is not an integer");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(16384), node(1)})})) ==
        "CLUSTER SLOTS entry 0: slot 16384 out of range");
  CHECK(SlotsError(Arr({Arr({Int(-1), Int(5), node(1)})})) ==
        "CLUSTER SLOTS entry 0: slot -1 out of range");
  CHECK(SlotsError(Arr({Arr({Int(9), Int(5), node(1)})})) ==
        "CLUSTER SLOTS entry 0: start slot is greater than end slot");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), node(0)})})) ==
        "CLUSTER SLOTS entry 0 node 0: port 0 out of range");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), node(65536)})})) ==
        "CLUSTER SLOTS entry 0 node 0: port 65536 out of range");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), Arr({Bulk("h")})})})) ==
        "CLUSTER SLOTS entry 0 node 0: node is not an array of at least 2 elements");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), Arr({Int(1), Int(2)})})})) ==
        "CLUSTER SLOTS entry 0 node 0: endpoint is not a string");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), Arr({Bulk("h"), Bulk("7000")})})})) ==
        "CLUSTER SLOTS entry 0 node 0: port is not an integer");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), Arr({Bulk("h"), Int(1), Int(3)})})})) ==
        "CLUSTER SLOTS entry 0 node 0: node id is not a string");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), SlotsNode(Bulk("h"), 1, "x", Bulk("m"))})})) ==
        "CLUSTER SLOTS entry 0 node 0 metadata: expected a map");
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), SlotsNode(Bulk("h"), 1, "x", Arr({Bulk("a")}))})}))
            .find("odd number") != std::string::npos);
  CHECK(SlotsError(Arr({Arr({Int(0), Int(5), SlotsNode(Bulk("?"), 7402, kId2)})}))
            .starts_with("CLUSTER SLOTS entry 0 node 0: endpoint '?'"));
}

TEST_CASE("ParseClusterSlots rejects inconsistent topologies") {
  // The same slot twice.
  CHECK(SlotsError(Arr({
            Arr({Int(0), Int(10), SlotsNode(Bulk("h"), 1, kId0)}),
            Arr({Int(10), Int(20), SlotsNode(Bulk("h"), 2, kId1)}),
        })) == "CLUSTER SLOTS entry 1 node 0: slot 10 assigned to both h:1 and h:2");
  // One id at two addresses.
  CHECK(SlotsError(Arr({
                       Arr({Int(0), Int(10), SlotsNode(Bulk("h"), 1, kId0)}),
                       Arr({Int(11), Int(20), SlotsNode(Bulk("h"), 2, kId0)}),
                   }))
            .find("conflicts with") != std::string::npos);
  // A master that is also listed as a replica.
  CHECK(SlotsError(Arr({
                       Arr({Int(0), Int(10), SlotsNode(Bulk("h"), 1, kId0)}),
                       Arr({Int(11), Int(20), SlotsNode(Bulk("h"), 2, kId1),
                            SlotsNode(Bulk("h"), 1, kId0)}),
                   }))
            .find("owns slots and is also a replica") != std::string::npos);
  // A replica of two masters.
  CHECK(
      SlotsError(
          Arr({
              Arr({Int(0), Int(10), SlotsNode(Bulk("h"), 1, kId0), SlotsNode(Bulk("h"), 3, kId5)}),
              Arr({Int(11), Int(20), SlotsNode(Bulk("h"), 2, kId1), SlotsNode(Bulk("h"), 3, kId5)}),
          }))
          .find("replicates two masters") != std::string::npos);
}

// A CLUSTER SHARDS node map, RESP2 (flat array) or RESP3 (map) shaped.
resp::Value ShardNode(bool resp3, const std::string& id, int64_t port, const std::string& role,
                      const std::string& health, resp::Value endpoint = Bulk("127.0.0.1")) {
  std::initializer_list<resp::Value> fields = {Bulk("id"),
                                               Bulk(id),
                                               Bulk("port"),
                                               Int(port),
                                               Bulk("ip"),
                                               Bulk("127.0.0.1"),
                                               Bulk("endpoint"),
                                               std::move(endpoint),
                                               Bulk("role"),
                                               Bulk(role),
                                               Bulk("replication-offset"),
                                               Int(238),
                                               Bulk("health"),
                                               Bulk(health)};
  return resp3 ? Map(fields) : Arr(fields);
}

resp::Value Shard(bool resp3, resp::Value slots, resp::Value nodes) {
  std::initializer_list<resp::Value> fields = {Bulk("slots"), std::move(slots), Bulk("nodes"),
                                               std::move(nodes)};
  return resp3 ? Map(fields) : Arr(fields);
}

TEST_CASE("ParseClusterShards reads RESP2 and RESP3 shapes") {
  for (bool resp3 : {false, true}) {
    INFO("resp3: " << resp3);
    resp::Value reply = Arr({
        Shard(resp3, Arr({Int(0), Int(5460)}),
              Arr({ShardNode(resp3, kId0, 7400, "master", "online"),
                   ShardNode(resp3, kId5, 7405, "replica", "loading")})),
        Shard(resp3, Arr({Int(5461), Int(10922), Int(15495), Int(15495)}),
              Arr({ShardNode(resp3, kId1, 7401, "master", "online")})),
        Shard(resp3, Arr({Int(10923), Int(15494), Int(15496), Int(16383)}),
              Arr({ShardNode(resp3, std::string(40, '4'), 7404, "replica", "fail"),
                   ShardNode(resp3, kId2, 7402, "master", "online")})),
        Shard(resp3, Arr({}),
              Arr({ShardNode(resp3, std::string(40, '9'), 7409, "master",
                             "online")})),  // a master without slots
    });
    Result<SlotMapPtr> parsed = ParseClusterShards(reply, "127.0.0.1", 3);
    REQUIRE(parsed.ok());
    const SlotMap& map = *parsed.value();
    CHECK(map.version() == 3);
    CHECK(map.FullyCovered());
    CHECK(map.node_count() == 6);
    CHECK(map.NodeForSlot(15495)->port == 7401);
    CHECK(map.NodeForSlot(16383)->port == 7402);
    const SlotMap::OwnedRange first = map.OwnedRanges().front();
    CHECK(first.range == SlotRange{0, 5460});
    const Node& replica = map.node(map.FindNodeById(std::string(40, '4')));
    CHECK(replica.role == NodeRole::kReplica);
    CHECK(replica.health == NodeHealth::kFail);
    CHECK(replica.replication_offset == 238);
    CHECK(map.node(replica.master).port == 7402);
    CHECK(map.node(map.FindNodeById(kId5)).health == NodeHealth::kLoading);
    const NodeIndex idle = map.FindNode("127.0.0.1", 7409);
    REQUIRE(idle != kNoNode);
    CHECK(map.SlotsOwnedBy(idle).empty());
    CHECK(map.node(idle).role == NodeRole::kMaster);
  }
}

TEST_CASE("ParseClusterShards: empty endpoint, failed old master, health merge") {
  resp::Value reply =
      Arr({Shard(false, Arr({Int(0), Int(16383)}),
                 Arr({ShardNode(false, kId0, 7400, "master", "fail", Bulk("")),
                      ShardNode(false, kId1, 7401, "master", "online", Bulk("")),
                      ShardNode(false, kId5, 7405, "replica", "online", Null())}))});
  Result<SlotMapPtr> parsed = ParseClusterShards(reply, "seed", 1);
  REQUIRE(parsed.ok());
  const SlotMap& shards = *parsed.value();
  CHECK(shards.NodeForSlot(0)->id == kId1);
  CHECK(shards.NodeForSlot(0)->host == "seed");
  CHECK(shards.node(shards.FindNodeById(kId5)).master == shards.FindNodeById(kId1));

  // SHARDS as a second source for replica health over a SLOTS snapshot.
  SlotMapPtr slots = ParseClusterSlots(CapturedSlots(), "127.0.0.1", 9).value();
  SlotMapPtr merged = slots->WithHealthFrom(shards);
  CHECK(merged->node(merged->FindNodeById(kId0)).health == NodeHealth::kFail);
  CHECK(merged->node(merged->FindNodeById(kId2)).health == NodeHealth::kUnknown);
  CHECK(merged->version() == 9);
}

std::string ShardsError(const resp::Value& reply) {
  Result<SlotMapPtr> parsed = ParseClusterShards(reply, "h", 1);
  REQUIRE_FALSE(parsed.ok());
  return parsed.status().message();
}

TEST_CASE("ParseClusterShards rejects malformed replies with clear errors") {
  const auto master = ShardNode(false, kId0, 7400, "master", "online");
  CHECK(ShardsError(Err("ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.")) ==
        "CLUSTER SHARDS: ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.");
  CHECK(ShardsError(Bulk("x")) == "CLUSTER SHARDS: not an array");
  CHECK(ShardsError(Arr({Int(1)})) == "CLUSTER SHARDS shard 0: expected a map");
  CHECK(ShardsError(Arr({Arr({Bulk("slots")})})) ==
        "CLUSTER SHARDS shard 0: map with an odd number of elements");
  CHECK(ShardsError(Arr({Arr({Int(1), Int(2)})})) ==
        "CLUSTER SHARDS shard 0: map key is not a string");
  CHECK(ShardsError(Arr({Shard(false, Arr({Int(0)}), Arr({master}))})) ==
        "CLUSTER SHARDS shard 0: slots is not an array of start/end pairs");
  CHECK(ShardsError(Arr({Shard(false, Arr({Int(0), Int(20000)}), Arr({master}))})) ==
        "CLUSTER SHARDS shard 0: slot 20000 out of range");
  CHECK(ShardsError(Arr({Shard(false, Arr({Int(0), Int(1)}), Int(3))})) ==
        "CLUSTER SHARDS shard 0: nodes is not an array");
  CHECK(ShardsError(Arr({Shard(false, Arr({Int(0), Int(1)}),
                               Arr({ShardNode(false, kId0, 7400, "replica", "online")}))})) ==
        "CLUSTER SHARDS shard 0: slots but no master");
  CHECK(
      ShardsError(Arr({Shard(false, Arr({Int(0), Int(1)}),
                             Arr({master, ShardNode(false, kId1, 7401, "master", "online")}))})) ==
      "CLUSTER SHARDS shard 0: several masters");
  CHECK(ShardsError(Arr(
            {Shard(false, Arr({}), Arr({ShardNode(false, kId0, 7400, "primary", "online")}))})) ==
        "CLUSTER SHARDS shard 0 node 0: role is neither master nor replica");
  CHECK(ShardsError(Arr({Shard(false, Arr({}),
                               Arr({Arr({Bulk("id"), Bulk(kId0), Bulk("tls-port"), Int(1),
                                         Bulk("ip"), Bulk("h")})}))})) ==
        "CLUSTER SHARDS shard 0 node 0: node has only a TLS port");
  CHECK(ShardsError(Arr({Shard(false, Arr({}), Arr({Arr({Bulk("id"), Bulk(kId0)})}))})) ==
        "CLUSTER SHARDS shard 0 node 0: node has no endpoint");
  CHECK(
      ShardsError(Arr({Shard(false, Arr({}),
                             Arr({ShardNode(false, kId0, 7400, "master", "online", Bulk("?"))}))}))
          .starts_with("CLUSTER SHARDS shard 0 node 0: endpoint '?'"));
  // Slot owned by two shards.
  CHECK(ShardsError(Arr({Shard(false, Arr({Int(0), Int(10)}), Arr({master})),
                         Shard(false, Arr({Int(5), Int(6)}),
                               Arr({ShardNode(false, kId1, 7401, "master", "online")}))})) ==
        "CLUSTER SHARDS shard 1: slot 5 assigned to both 127.0.0.1:7400 and 127.0.0.1:7401");
}

}  // namespace
}  // namespace slotproxy::cluster

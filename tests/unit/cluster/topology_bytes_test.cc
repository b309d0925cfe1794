// CLUSTER SLOTS / SHARDS replies as raw bytes (the shapes captured from redis-server 7.0.15 in
// the protocol notes, section 2), decoded by resp::DecodeValue and parsed into slot maps.
#include <catch2/catch.hpp>
#include <string>

#include "cluster/topology.h"
#include "cluster/topology_reply.h"
#include "resp/encoder.h"
#include "resp/value.h"

namespace slotproxy::cluster {
namespace {

const std::string kId0 = "83224ee7c0b3c3a7c38f37a1a9e5de4c5d6b8160";  // 7400
const std::string kId1 = "6f2c1a90d8b1c8e4b4f6e0b47c1ab7d2e2f0aaaa";  // 7401
const std::string kId2 = "3a450256f7d5e40bd0e7a4f0c6ad2cba8e1bbbbb";  // 7402
const std::string kId3 = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234503";  // 7403
const std::string kId4 = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234504";  // 7404
const std::string kId5 = "bc62406c1fa0c5fb7d5ac7e1e7f8b4d2c3e4f318";  // 7405

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// A CLUSTER SLOTS node in ip mode; `meta` is "*0\r\n" (RESP2) or "%0\r\n" (RESP3).
std::string SlotsNode(int port, const std::string& id, const std::string& meta) {
  return "*4\r\n" + Bulk("127.0.0.1") + ":" + std::to_string(port) + "\r\n" + Bulk(id) + meta;
}

std::string CapturedSlots(const std::string& meta) {
  return "*3\r\n"
         "*4\r\n:0\r\n:5460\r\n" +
         SlotsNode(7400, kId0, meta) + SlotsNode(7405, kId5, meta) + "*4\r\n:5461\r\n:10922\r\n" +
         SlotsNode(7401, kId1, meta) + SlotsNode(7403, kId3, meta) + "*4\r\n:10923\r\n:16383\r\n" +
         SlotsNode(7402, kId2, meta) + SlotsNode(7404, kId4, meta);
}

Result<SlotMapPtr> DecodeAndParse(const std::string& bytes, bool shards) {
  size_t consumed = 0;
  Result<resp::Value> value = resp::DecodeValue(bytes, &consumed);
  REQUIRE(value.ok());
  REQUIRE(consumed == bytes.size());
  return shards ? ParseClusterShards(value.value(), "127.0.0.1", 1)
                : ParseClusterSlots(value.value(), "127.0.0.1", 1);
}

void CheckCapturedCluster(const SlotMap& map) {
  CHECK(map.FullyCovered());
  CHECK(map.node_count() == 6);
  CHECK(map.NodeForSlot(12182)->id == kId2);  // "foo"
  CHECK(map.NodeForSlot(0)->Address() == "127.0.0.1:7400");
  const Node& replica = map.node(map.FindNodeById(kId5));
  CHECK(replica.role == NodeRole::kReplica);
  CHECK(map.node(replica.master).id == kId0);
  CHECK(map.SlotsOwnedBy(map.FindNodeById(kId1)) == std::vector<SlotRange>{{5461, 10922}});
}

TEST_CASE("Captured CLUSTER SLOTS bytes, RESP2 and RESP3") {
  for (const char* meta : {"*0\r\n", "%0\r\n"}) {
    INFO("metadata: " << meta);
    Result<SlotMapPtr> map = DecodeAndParse(CapturedSlots(meta), false);
    REQUIRE(map.ok());
    CheckCapturedCluster(*map.value());
  }
}

TEST_CASE("EncodeClusterSlots gives back the captured bytes") {
  for (auto protocol : {resp::Protocol::kResp2, resp::Protocol::kResp3}) {
    const std::string captured =
        CapturedSlots(protocol == resp::Protocol::kResp2 ? "*0\r\n" : "%0\r\n");
    Result<SlotMapPtr> map = DecodeAndParse(captured, false);
    REQUIRE(map.ok());
    std::string encoded;
    resp::Encoder encoder(&encoded, protocol);
    EncodeClusterSlots(*map.value(), encoder);
    CHECK(encoded == captured);
  }
}

TEST_CASE("Captured CLUSTER SLOTS bytes in hostname mode") {
  const std::string named =
      "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$13\r\nnode0.example\r\n:7400\r\n" + Bulk(kId0) +
      "*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n" + "*3\r\n:5461\r\n:10922\r\n*4\r\n$-1\r\n:7401\r\n" +
      Bulk(kId1) + "*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n" +
      "*3\r\n:10923\r\n:16383\r\n*4\r\n$0\r\n\r\n:7402\r\n" + Bulk(kId2) + "*0\r\n";
  Result<SlotMapPtr> map = DecodeAndParse(named, false);
  REQUIRE(map.ok());
  CHECK(map.value()->NodeForSlot(0)->Address() == "node0.example:7400");
  CHECK(map.value()->NodeForSlot(6000)->Address() == "127.0.0.1:7401");   // NULL endpoint
  CHECK(map.value()->NodeForSlot(16000)->Address() == "127.0.0.1:7402");  // "" endpoint

  const std::string unnamed = "*1\r\n*3\r\n:10923\r\n:16383\r\n*4\r\n$1\r\n?\r\n:7402\r\n" +
                              Bulk(kId2) + "*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n";
  Result<SlotMapPtr> bad = DecodeAndParse(unnamed, false);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("endpoint '?'") != std::string::npos);
}

// One CLUSTER SHARDS node as Redis 7.0 sends it (7 fields); `resp3` selects %7 over *14.
std::string ShardNode(bool resp3, const std::string& id, int port, const std::string& role,
                      const std::string& health) {
  return std::string(resp3 ? "%7\r\n" : "*14\r\n") + Bulk("id") + Bulk(id) + Bulk("port") + ":" +
         std::to_string(port) + "\r\n" + Bulk("ip") + Bulk("127.0.0.1") + Bulk("endpoint") +
         Bulk("127.0.0.1") + Bulk("role") + Bulk(role) + Bulk("replication-offset") + ":238\r\n" +
         Bulk("health") + Bulk(health);
}

std::string Shard(bool resp3, const std::string& slots, const std::string& nodes) {
  return std::string(resp3 ? "%2\r\n" : "*4\r\n") + Bulk("slots") + slots + Bulk("nodes") + nodes;
}

TEST_CASE("Captured CLUSTER SHARDS bytes, RESP2 and RESP3") {
  for (bool resp3 : {false, true}) {
    INFO("resp3: " << resp3);
    const std::string bytes = "*3\r\n" +
                              Shard(resp3, "*2\r\n:0\r\n:5460\r\n",
                                    "*2\r\n" + ShardNode(resp3, kId0, 7400, "master", "online") +
                                        ShardNode(resp3, kId5, 7405, "replica", "online")) +
                              Shard(resp3, "*2\r\n:5461\r\n:10922\r\n",
                                    "*2\r\n" + ShardNode(resp3, kId1, 7401, "master", "online") +
                                        ShardNode(resp3, kId3, 7403, "replica", "fail")) +
                              Shard(resp3, "*2\r\n:10923\r\n:16383\r\n",
                                    "*2\r\n" + ShardNode(resp3, kId2, 7402, "master", "online") +
                                        ShardNode(resp3, kId4, 7404, "replica", "loading"));
    Result<SlotMapPtr> map = DecodeAndParse(bytes, true);
    REQUIRE(map.ok());
    CheckCapturedCluster(*map.value());
    CHECK(map.value()->node(map.value()->FindNodeById(kId3)).health == NodeHealth::kFail);
    CHECK(map.value()->node(map.value()->FindNodeById(kId4)).health == NodeHealth::kLoading);
    CHECK(map.value()->node(map.value()->FindNodeById(kId0)).replication_offset == 238);
    std::string encoded;
    resp::Encoder encoder(&encoded, resp3 ? resp::Protocol::kResp3 : resp::Protocol::kResp2);
    EncodeClusterShards(*map.value(), encoder);
    CHECK(encoded == bytes);
  }
}

}  // namespace
}  // namespace slotproxy::cluster

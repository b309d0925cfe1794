// Topology parsing against real redis-server 7.0 nodes: a single node owning every slot, and a
// 3-master, 3-replica cluster built by redis-cli --cluster create. The SLOTS and SHARDS parses
// are checked against CLUSTER MYID / CLUSTER NODES, an independent source.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_nodes.h"
#include "cluster/redirect.h"
#include "cluster/topology.h"
#include "cluster/topology_reply.h"
#include "redis_process.h"
#include "resp/encoder.h"
#include "resp/value.h"

namespace slotproxy::cluster {
namespace {

using testing::EncodeCommand;
using testing::RedisProcess;
using testing::TestConnection;

std::string QueryRaw(TestConnection& conn, const std::vector<std::string>& command) {
  REQUIRE(conn.Send(EncodeCommand(command)));
  const std::string raw = conn.ReadRawReply();
  REQUIRE_FALSE(raw.empty());
  return raw;
}

resp::Value Decode(const std::string& raw) {
  size_t consumed = 0;
  Result<resp::Value> value = resp::DecodeValue(raw, &consumed);
  REQUIRE(value.ok());
  return value.value();
}

// The raw bytes of each element of a top-level array reply, sorted (CLUSTER SHARDS lists shards
// in the order of Redis's node dict, which is not ours).
std::vector<std::string> SortedElements(const std::string& raw) {
  const size_t header = raw.find("\r\n") + 2;
  std::vector<std::string> elements;
  for (size_t pos = header; pos < raw.size();) {
    size_t consumed = 0;
    REQUIRE(resp::DecodeValue(std::string_view(raw).substr(pos), &consumed).ok());
    elements.push_back(raw.substr(pos, consumed));
    pos += consumed;
  }
  std::sort(elements.begin(), elements.end());
  return elements;
}

resp::Value Query(TestConnection& conn, const std::vector<std::string>& command) {
  REQUIRE(conn.Send(EncodeCommand(command)));
  const std::string raw = conn.ReadRawReply();
  REQUIRE_FALSE(raw.empty());
  size_t consumed = 0;
  Result<resp::Value> value = resp::DecodeValue(raw, &consumed);
  REQUIRE(value.ok());
  return value.value();
}

TEST_CASE("A real single node owning all slots, RESP2 and RESP3") {
  std::string error;
  auto redis = RedisProcess::Start(&error);
  REQUIRE(redis != nullptr);
  auto conn = TestConnection::Connect(redis->port());
  REQUIRE(conn != nullptr);
  REQUIRE(Query(*conn, {"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str == "OK");
  const std::string myid = Query(*conn, {"CLUSTER", "MYID"}).str;

  for (int protocol : {2, 3}) {
    INFO("RESP" << protocol);
    if (protocol == 3) REQUIRE(Query(*conn, {"HELLO", "3"}).type == resp::ValueType::kMap);
    // A node that never met another reports an empty endpoint: the answering host is used.
    Result<SlotMapPtr> slots =
        ParseClusterSlots(Query(*conn, {"CLUSTER", "SLOTS"}), "127.0.0.1", 1);
    REQUIRE(slots.ok());
    REQUIRE(slots.value()->node_count() == 1);
    CHECK(slots.value()->FullyCovered());
    CHECK(slots.value()->node(0).id == myid);
    CHECK(slots.value()->node(0).Address() == "127.0.0.1:" + std::to_string(redis->port()));

    Result<SlotMapPtr> shards =
        ParseClusterShards(Query(*conn, {"CLUSTER", "SHARDS"}), "127.0.0.1", 1);
    REQUIRE(shards.ok());
    CHECK(shards.value()->FullyCovered());
    CHECK(shards.value()->node(0).id == myid);
    CHECK(shards.value()->node(0).health == NodeHealth::kOnline);
  }
}

// One line of CLUSTER NODES: id, address, master id ("-" for masters) and slot ranges.
struct NodesLine {
  std::string id;
  std::string address;  // ip:port (the @cport part removed)
  std::string master;
  std::vector<SlotRange> slots;
  NodeRuntime runtime;  // bus port, epoch, ping/pong times, link, as the line shows them
};

std::vector<NodesLine> ParseNodesText(const std::string& text) {
  std::vector<NodesLine> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    NodesLine out;
    std::string flags, ping, pong, epoch, link, slot;
    fields >> out.id >> out.address >> flags >> out.master >> ping >> pong >> epoch >> link;
    const size_t at = out.address.find('@');
    out.runtime.bus_port = static_cast<uint16_t>(std::stoi(out.address.substr(at + 1)));
    out.address = out.address.substr(0, at);
    out.runtime.ping_sent_ms = std::stoull(ping);
    out.runtime.pong_received_ms = std::stoull(pong);
    out.runtime.config_epoch = std::stoull(epoch);
    out.runtime.connected = link == "connected";
    while (fields >> slot && slot[0] != '[') {  // migration markers come last
      const size_t dash = slot.find('-');
      const int start = std::stoi(slot.substr(0, dash));
      const int end = dash == std::string::npos ? start : std::stoi(slot.substr(dash + 1));
      out.slots.push_back({static_cast<uint16_t>(start), static_cast<uint16_t>(end)});
    }
    lines.push_back(out);
  }
  return lines;
}

// Every master and replica relation in `map` agrees with CLUSTER NODES.
void CheckAgainstNodes(const SlotMap& map, const std::vector<NodesLine>& nodes) {
  REQUIRE(map.node_count() == nodes.size());
  for (const NodesLine& line : nodes) {
    INFO("node " << line.id << " " << line.address);
    const NodeIndex index = map.FindNodeById(line.id);
    REQUIRE(index != kNoNode);
    CHECK(map.node(index).Address() == line.address);
    if (line.master == "-") {
      CHECK(map.node(index).role == NodeRole::kMaster);
      CHECK(map.SlotsOwnedBy(index) == line.slots);
    } else {
      REQUIRE(map.node(index).role == NodeRole::kReplica);
      CHECK(map.node(map.node(index).master).id == line.master);
    }
  }
}

// CheckAgainstNodes as a predicate, for waiting until a node's view has converged.
bool AgreesWith(const SlotMap& map, const std::vector<NodesLine>& nodes) {
  if (map.node_count() != nodes.size()) return false;
  for (const NodesLine& line : nodes) {
    const NodeIndex index = map.FindNodeById(line.id);
    if (index == kNoNode) return false;
    const Node& node = map.node(index);
    const bool agrees =
        line.master == "-"
            ? node.role == NodeRole::kMaster && map.SlotsOwnedBy(index) == line.slots
            : node.role == NodeRole::kReplica && map.node(node.master).id == line.master;
    if (!agrees) return false;
  }
  return true;
}

// Waits (at most ~30 s) until the node on `port` sees the topology of `map`: gossip reaches the
// nodes one by one after redis-cli --cluster create returns.
void WaitUntilAgrees(const SlotMap& map, uint16_t port) {
  auto conn = TestConnection::Connect(port);
  REQUIRE(conn != nullptr);
  for (int attempt = 0; attempt < 150; ++attempt) {
    if (AgreesWith(map, ParseNodesText(Query(*conn, {"CLUSTER", "NODES"}).str))) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  FAIL("node " << port << " never agreed with the topology");
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// ClusterNodesText(map) as seen from the node on `port` equals that node's CLUSTER NODES, given
// the runtime facts (bus ports, epochs, ping/pong times) taken from that very text.
void CheckNodesText(const SlotMap& map, uint16_t port) {
  auto conn = TestConnection::Connect(port);
  REQUIRE(conn != nullptr);
  const std::string text = Query(*conn, {"CLUSTER", "NODES"}).str;
  INFO("CLUSTER NODES from " << port << ":\n" << text);
  std::vector<NodeRuntime> runtime(map.node_count());
  for (const NodesLine& line : ParseNodesText(text)) {
    const NodeIndex index = map.FindNodeById(line.id);
    REQUIRE(index != kNoNode);
    runtime[index] = line.runtime;
  }
  const std::string ours = ClusterNodesText(map, map.FindNode("127.0.0.1", port), runtime);
  CHECK(ours.back() == '\n');
  CHECK(SortedLines(ours) == SortedLines(text));
}

// Opens slot `slot` for migration between its owner and another master, as redis-cli reshard
// does, and checks the markers on both sides.
void CheckMigrationMarkers(const SlotMapPtr& map, uint16_t slot) {
  const NodeIndex source = map->OwnerOf(slot);
  NodeIndex target = kNoNode;
  for (size_t i = 0; i < map->node_count() && target == kNoNode; ++i) {
    const auto index = static_cast<NodeIndex>(i);
    if (index != source && map->node(index).role == NodeRole::kMaster) target = index;
  }
  REQUIRE(target != kNoNode);
  auto src = TestConnection::Connect(map->node(source).port);
  auto dst = TestConnection::Connect(map->node(target).port);
  REQUIRE((src != nullptr && dst != nullptr));
  const std::string s = std::to_string(slot);
  REQUIRE(Query(*dst, {"CLUSTER", "SETSLOT", s, "IMPORTING", map->node(source).id}).str == "OK");
  REQUIRE(Query(*src, {"CLUSTER", "SETSLOT", s, "MIGRATING", map->node(target).id}).str == "OK");

  SlotMapBuilder migrating(*map);
  REQUIRE(migrating.SetMigrating(slot, target).ok());
  CheckNodesText(*migrating.Build(), map->node(source).port);
  SlotMapBuilder importing(*map);
  REQUIRE(importing.SetImporting(slot, source).ok());
  CheckNodesText(*importing.Build(), map->node(target).port);
}

// True once CLUSTER SLOTS shows the whole cluster: all slots, and every replica listed (a
// replica appears only after its first sync).
bool Converged(TestConnection& conn, SlotMapPtr* out) {
  Result<SlotMapPtr> map = ParseClusterSlots(Query(conn, {"CLUSTER", "SLOTS"}), "127.0.0.1", 1);
  REQUIRE(map.ok());
  *out = map.value();
  return map.value()->FullyCovered() && map.value()->node_count() == 6;
}

TEST_CASE("A real 3-master 3-replica cluster: SLOTS and SHARDS agree with CLUSTER NODES") {
  std::vector<std::unique_ptr<RedisProcess>> servers;
  std::string command = "timeout 60 redis-cli --cluster create --cluster-replicas 1 --cluster-yes";
  for (int i = 0; i < 6; ++i) {
    std::string error;
    servers.push_back(RedisProcess::Start(&error));
    REQUIRE(servers.back() != nullptr);
    command += " 127.0.0.1:" + std::to_string(servers.back()->port());
  }
  const std::string output = testing::RunShell(command, "");
  INFO("redis-cli said: " << output);
  REQUIRE(output.find("[OK] All 16384 slots covered") != std::string::npos);

  auto conn = TestConnection::Connect(servers[0]->port());
  REQUIRE(conn != nullptr);
  SlotMapPtr slots;
  for (int attempt = 0; attempt < 150 && !Converged(*conn, &slots); ++attempt) {  // <= 30 s
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE(slots->FullyCovered());
  REQUIRE(slots->node_count() == 6);
  const std::vector<NodesLine> nodes = ParseNodesText(Query(*conn, {"CLUSTER", "NODES"}).str);
  CheckAgainstNodes(*slots, nodes);

  // Every master that does not own "foo" redirects to the owner we parsed, in our wording.
  const uint16_t foo = KeySlot("foo");
  for (const auto& server : servers) {
    const NodeIndex index = slots->FindNode("127.0.0.1", server->port());
    REQUIRE(index != kNoNode);
    if (slots->node(index).role != NodeRole::kMaster || slots->OwnerOf(foo) == index) continue;
    auto other = TestConnection::Connect(server->port());
    REQUIRE(other != nullptr);
    const resp::Value reply = Query(*other, {"GET", "foo"});
    CHECK(reply.type == resp::ValueType::kError);
    CHECK(reply.str == MovedError(foo, *slots->NodeForSlot(foo)));
  }

  for (int protocol : {2, 3}) {
    INFO("RESP" << protocol);
    if (protocol == 3) REQUIRE(Query(*conn, {"HELLO", "3"}).type == resp::ValueType::kMap);
    const auto proto = protocol == 3 ? resp::Protocol::kResp3 : resp::Protocol::kResp2;
    const std::string shards_raw = QueryRaw(*conn, {"CLUSTER", "SHARDS"});
    Result<SlotMapPtr> shards = ParseClusterShards(Decode(shards_raw), "127.0.0.1", 1);
    REQUIRE(shards.ok());
    CheckAgainstNodes(*shards.value(), nodes);
    const std::string slots_raw = QueryRaw(*conn, {"CLUSTER", "SLOTS"});
    Result<SlotMapPtr> again = ParseClusterSlots(Decode(slots_raw), "127.0.0.1", 1);
    REQUIRE(again.ok());
    CheckAgainstNodes(*again.value(), nodes);

    // Encoding what we parsed gives Redis's bytes back (SHARDS: up to the order of shards).
    std::string encoded;
    resp::Encoder slots_encoder(&encoded, proto);
    EncodeClusterSlots(*again.value(), slots_encoder);
    CHECK(encoded == slots_raw);
    encoded.clear();
    resp::Encoder shards_encoder(&encoded, proto);
    EncodeClusterShards(*shards.value(), shards_encoder);
    CHECK(SortedElements(encoded) == SortedElements(shards_raw));

    // SHARDS as the health source over the SLOTS map: every node is online by now or loading.
    SlotMapPtr merged = again.value()->WithHealthFrom(*shards.value());
    for (const Node& node : merged->nodes()) CHECK(node.health != NodeHealth::kUnknown);
  }

  // CLUSTER NODES generated from the map, from every node's point of view, then with a slot
  // open for migration.
  for (const auto& server : servers) WaitUntilAgrees(*slots, server->port());
  for (const auto& server : servers) CheckNodesText(*slots, server->port());
  CheckMigrationMarkers(slots, 15495);
}

}  // namespace
}  // namespace slotproxy::cluster

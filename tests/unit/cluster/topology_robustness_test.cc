// Untrusted topology replies: random mutations of valid CLUSTER SLOTS / SHARDS trees must give
// either an error or a consistent SlotMap, never a crash (run under ASan in CI).
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "cluster/topology.h"
#include "value_builders.h"

namespace slotproxy::cluster {
namespace {

using testing::Arr;
using testing::Bulk;
using testing::Int;
using testing::Map;
using testing::Null;

resp::Value SlotsNode(int64_t port, char id) {
  return Arr({Bulk("127.0.0.1"), Int(port), Bulk(std::string(40, id)),
              Arr({Bulk("hostname"), Bulk("n.example")})});
}

resp::Value ValidSlots() {
  return Arr({Arr({Int(0), Int(5460), SlotsNode(7000, 'a'), SlotsNode(7003, 'd')}),
              Arr({Int(5461), Int(10922), SlotsNode(7001, 'b'), SlotsNode(7004, 'e')}),
              Arr({Int(10923), Int(16383), SlotsNode(7002, 'c'), SlotsNode(7005, 'f')})});
}

resp::Value ShardNode(int64_t port, char id, const char* role) {
  return Map({Bulk("id"), Bulk(std::string(40, id)), Bulk("port"), Int(port), Bulk("ip"),
              Bulk("127.0.0.1"), Bulk("endpoint"), Bulk("127.0.0.1"), Bulk("role"), Bulk(role),
              Bulk("replication-offset"), Int(5), Bulk("health"), Bulk("online")});
}

resp::Value ValidShards() {
  return Arr({Map({Bulk("slots"), Arr({Int(0), Int(8000)}), Bulk("nodes"),
                   Arr({ShardNode(7000, 'a', "master"), ShardNode(7003, 'd', "replica")})}),
              Map({Bulk("slots"), Arr({Int(8001), Int(16383)}), Bulk("nodes"),
                   Arr({ShardNode(7001, 'b', "master"), ShardNode(7004, 'e', "replica")})})});
}

// A random replacement for any node of the tree.
resp::Value RandomLeaf(std::mt19937& rng) {
  static const int64_t kInts[] = {-1, 0, 1, 7000, 7003, 16383, 16384, 65535, 65536, INT64_MIN};
  static const char* kStrings[] = {"",      "?",    "127.0.0.1", "master", "replica", "slots",
                                   "nodes", "port", "endpoint",  "id",     "health"};
  switch (rng() % 5) {
    case 0:
      return Int(kInts[rng() % std::size(kInts)]);
    case 1:
      return Bulk(kStrings[rng() % std::size(kStrings)]);
    case 2:
      return Null();
    case 3:
      return Arr({});
    default:
      return Map({Bulk("port"), Int(7000)});
  }
}

// Collects pointers to every value in the tree.
void Walk(resp::Value* value, std::vector<resp::Value*>* all) {
  all->push_back(value);
  for (resp::Value& child : value->elements) Walk(&child, all);
}

void Mutate(resp::Value* root, std::mt19937& rng) {
  std::vector<resp::Value*> all;
  Walk(root, &all);
  resp::Value* target = all[rng() % all.size()];
  switch (rng() % 4) {
    case 0:
      *target = RandomLeaf(rng);
      break;
    case 1:
      if (!target->elements.empty()) target->elements.pop_back();
      break;
    case 2:
      if (!target->elements.empty()) {
        target->elements.push_back(target->elements[rng() % target->elements.size()]);
      }
      break;
    default:
      target->type = rng() % 2 ? resp::ValueType::kMap : resp::ValueType::kArray;
      break;
  }
}

// The invariants every SlotMap must hold, whatever it was parsed from. Returns the broken one.
std::string Inconsistency(const SlotMap& map) {
  size_t covered = 0;
  for (int slot = 0; slot < kSlotCount; ++slot) {
    const NodeIndex owner = map.OwnerOf(static_cast<uint16_t>(slot));
    if (owner == kNoNode) continue;
    ++covered;
    if (owner >= map.node_count()) return "owner index out of range";
    if (map.node(owner).role != NodeRole::kMaster) return "slot owned by a replica";
  }
  if (covered != map.covered_slots()) return "covered_slots() is wrong";
  for (size_t i = 0; i < map.node_count(); ++i) {
    const Node& node = map.node(static_cast<NodeIndex>(i));
    if (node.port == 0) return "port 0";
    if (node.role != NodeRole::kReplica) continue;
    if (node.master >= map.node_count()) return "replica without a master";
    const auto& siblings = map.node(node.master).replicas;
    if (std::count(siblings.begin(), siblings.end(), i) != 1) return "replica link not mutual";
  }
  return "";
}

TEST_CASE("Mutated CLUSTER SLOTS and SHARDS replies never break the parser") {
  std::mt19937 rng(1234);
  int parsed_ok = 0;
  for (int round = 0; round < 1000; ++round) {
    const bool shards = round % 2 == 1;
    resp::Value reply = shards ? ValidShards() : ValidSlots();
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) Mutate(&reply, rng);
    Result<SlotMapPtr> map =
        shards ? ParseClusterShards(reply, "seed", 1) : ParseClusterSlots(reply, "seed", 1);
    if (!map.ok()) {
      REQUIRE_FALSE(map.status().message().empty());
      continue;
    }
    ++parsed_ok;
    REQUIRE(Inconsistency(*map.value()).empty());
  }
  // Both outcomes must occur, or the mutations test nothing.
  CHECK(parsed_ok > 50);
  CHECK(parsed_ok < 950);
}

// A reply with one master per slot (16384 nodes) and one with more nodes than indexes exist:
// lookups are hashed, so both finish quickly; the second is a clear error.
TEST_CASE("Huge CLUSTER SLOTS replies") {
  resp::Value reply = Arr({});
  for (int slot = 0; slot < kSlotCount; ++slot) {
    reply.elements.push_back(Arr({Int(slot), Int(slot), Arr({Bulk("10.0.0.1"), Int(1 + slot)})}));
  }
  Result<SlotMapPtr> map = ParseClusterSlots(reply, "seed", 1);
  REQUIRE(map.ok());
  CHECK(map.value()->node_count() == kSlotCount);
  CHECK(map.value()->FullyCovered());
  CHECK(map.value()->FindNode("10.0.0.1", 16384) == kSlotCount - 1);

  // 16384 masters with 3 replicas each: 65536 nodes, one more than a NodeIndex can name.
  for (int slot = 0; slot < kSlotCount; ++slot) {
    for (int r = 1; r <= 3; ++r) {
      reply.elements[static_cast<size_t>(slot)].elements.push_back(
          Arr({Bulk("10.0.0." + std::to_string(1 + r)), Int(1 + slot)}));
    }
  }
  Result<SlotMapPtr> too_big = ParseClusterSlots(reply, "seed", 1);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.status().message().find("too many cluster nodes") != std::string::npos);
}

}  // namespace
}  // namespace slotproxy::cluster

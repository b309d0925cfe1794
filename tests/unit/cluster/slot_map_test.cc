#include "cluster/slot_map.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace slotproxy::cluster {
namespace {

Node MakeNode(std::string host, uint16_t port, std::string id = "") {
  Node node;
  node.id = std::move(id);
  node.host = std::move(host);
  node.port = port;
  return node;
}

// Three masters with the redis-cli layout, one replica on the first.
SlotMapPtr ThreeMasters(uint64_t version = 1) {
  SlotMapBuilder b;
  const NodeIndex a = b.AddNode(MakeNode("127.0.0.1", 7000, std::string(40, 'a'))).value();
  const NodeIndex c = b.AddNode(MakeNode("127.0.0.1", 7001, std::string(40, 'b'))).value();
  const NodeIndex d = b.AddNode(MakeNode("127.0.0.1", 7002, std::string(40, 'c'))).value();
  const NodeIndex r = b.AddNode(MakeNode("127.0.0.1", 7003, std::string(40, 'd'))).value();
  REQUIRE(b.AssignSlots({0, 5460}, a).ok());
  REQUIRE(b.AssignSlots({5461, 10922}, c).ok());
  REQUIRE(b.AssignSlots({10923, 16383}, d).ok());
  REQUIRE(b.SetReplicaOf(r, a).ok());
  b.set_version(version);
  return b.Build();
}

TEST_CASE("SlotMap built from ranges answers lookups") {
  SlotMapPtr map = ThreeMasters();
  CHECK(map->version() == 1);
  CHECK(map->node_count() == 4);
  CHECK(map->FullyCovered());
  CHECK(map->covered_slots() == kSlotCount);
  CHECK(map->Gaps().empty());
  CHECK(map->OwnerOf(0) == 0);
  CHECK(map->OwnerOf(5460) == 0);
  CHECK(map->OwnerOf(5461) == 1);
  CHECK(map->OwnerOf(16383) == 2);
  REQUIRE(map->NodeForSlot(KeySlot("foo")) != nullptr);
  CHECK(map->NodeForSlot(KeySlot("foo"))->port == 7002);  // slot 12182
  CHECK(map->FindNode("127.0.0.1", 7001) == 1);
  CHECK(map->FindNode("127.0.0.1", 7009) == kNoNode);
  CHECK(map->FindNode("localhost", 7001) == kNoNode);
  CHECK(map->FindNodeById(std::string(40, 'c')) == 2);
  CHECK(map->FindNodeById("") == kNoNode);
  CHECK(map->SlotsOwnedBy(1) == std::vector<SlotRange>{{5461, 10922}});
  CHECK(map->SlotsOwnedBy(3).empty());  // a replica
  CHECK(map->SlotsOwnedBy(kNoNode).empty());
  CHECK(map->node(3).role == NodeRole::kReplica);
  CHECK(map->node(3).master == 0);
  CHECK(map->node(0).replicas == std::vector<NodeIndex>{3});
  CHECK(map->node(0).Address() == "127.0.0.1:7000");
  auto ranges = map->OwnedRanges();
  REQUIRE(ranges.size() == 3);
  CHECK(ranges[1].range == SlotRange{5461, 10922});
  CHECK(ranges[1].owner == 1);
}

TEST_CASE("SlotMap reports gaps and split ownership") {
  SlotMapBuilder b;
  const NodeIndex a = b.AddNode(MakeNode("10.0.0.1", 6379)).value();
  const NodeIndex c = b.AddNode(MakeNode("10.0.0.2", 6379)).value();
  REQUIRE(b.AssignSlots({2, 100}, a).ok());
  REQUIRE(b.AssignSlots({101, 200}, c).ok());
  REQUIRE(b.AssignSlots({15495, 15495}, a).ok());
  REQUIRE(b.AssignSlots({16383, 16383}, c).ok());
  SlotMapPtr map = b.Build();
  CHECK_FALSE(map->FullyCovered());
  CHECK(map->covered_slots() == 99 + 100 + 1 + 1);
  CHECK(map->Gaps() == std::vector<SlotRange>{{0, 1}, {201, 15494}, {15496, 16382}});
  CHECK(map->SlotsOwnedBy(a) == std::vector<SlotRange>{{2, 100}, {15495, 15495}});
  CHECK(map->NodeForSlot(0) == nullptr);
  CHECK(map->OwnerOf(201) == kNoNode);
  CHECK(map->OwnedRanges().size() == 4);
}

TEST_CASE("SlotMapBuilder rejects inconsistent topologies") {
  SlotMapBuilder b;
  const NodeIndex a = b.AddNode(MakeNode("h", 1, "id-a")).value();
  const NodeIndex c = b.AddNode(MakeNode("h", 2, "id-b")).value();
  const NodeIndex r = b.AddNode(MakeNode("h", 3)).value();
  CHECK_FALSE(b.AddNode(MakeNode("h", 1)).ok());          // same address
  CHECK_FALSE(b.AddNode(MakeNode("x", 9, "id-a")).ok());  // same id
  CHECK_FALSE(b.AddNode(MakeNode("x", 0)).ok());          // port 0
  REQUIRE(b.AssignSlots({0, 10}, a).ok());
  REQUIRE(b.AssignSlots({5, 10}, a).ok());  // same owner again is fine
  Status twice = b.AssignSlots({10, 12}, c);
  CHECK_FALSE(twice.ok());
  CHECK(twice.message() == "slot 10 assigned to both h:1 and h:2");
  CHECK_FALSE(b.AssignSlots({12, 11}, c).ok());
  CHECK_FALSE(b.AssignSlots({16383, 16384}, c).ok());
  CHECK_FALSE(b.AssignSlots({0, 0}, 77).ok());
  CHECK_FALSE(b.SetReplicaOf(a, c).ok());  // a owns slots
  CHECK_FALSE(b.SetReplicaOf(r, r).ok());
  REQUIRE(b.SetReplicaOf(r, c).ok());
  CHECK(b.SetReplicaOf(r, c).ok());        // idempotent
  CHECK_FALSE(b.SetReplicaOf(r, a).ok());  // two masters
  CHECK_FALSE(b.SetReplicaOf(c, r).ok());  // master is a replica
  CHECK_FALSE(b.AssignSlots({20, 20}, r).ok());
  CHECK_FALSE(b.SetMigrating(16384, a).ok());
  CHECK_FALSE(b.SetImporting(1, 99).ok());
}

TEST_CASE("SlotMapBuilder reassigns slots through UnassignSlots") {
  SlotMapPtr base = ThreeMasters();
  SlotMapBuilder b(*base);
  CHECK_FALSE(b.AssignSlots({10923, 10923}, 1).ok());  // still owned by node 2
  REQUIRE(b.UnassignSlots({10923, 16383}).ok());
  CHECK(b.SetReplicaOf(2, 1).ok());  // owns nothing any more: may become a replica
  REQUIRE(b.AssignSlots({10923, 16383}, 1).ok());
  CHECK_FALSE(b.UnassignSlots({5, 4}).ok());
  CHECK_FALSE(b.UnassignSlots({0, 16384}).ok());
  SlotMapPtr map = b.Build();
  CHECK(map->SlotsOwnedBy(1) == std::vector<SlotRange>{{5461, 16383}});
  CHECK(map->node(2).role == NodeRole::kReplica);
  CHECK(map->FullyCovered());

  SlotMapBuilder c(*base);
  REQUIRE(c.UnassignSlots({100, 199}).ok());
  REQUIRE(c.UnassignSlots({10923, 16000}).ok());
  CHECK_FALSE(c.SetReplicaOf(2, 1).ok());  // still owns 16001-16383
  CHECK_FALSE(c.SetReplicaOf(0, 1).ok());  // has a replica of its own
  CHECK(c.Build()->Gaps() == std::vector<SlotRange>{{100, 199}, {10923, 16000}});
}

TEST_CASE("WithSlotMoved patches one slot copy-on-write") {
  SlotMapPtr base = ThreeMasters(7);
  const uint16_t slot = KeySlot("foo");

  auto known = base->WithSlotMoved(slot, "127.0.0.1", 7000);
  REQUIRE(known.ok());
  SlotMapPtr moved = known.value();
  CHECK(moved->version() == 8);
  CHECK(moved->OwnerOf(slot) == 0);
  CHECK(base->OwnerOf(slot) == 2);           // the base is untouched
  CHECK(&moved->nodes() == &base->nodes());  // node table shared: nothing changed in it
  CHECK(moved->SlotsOwnedBy(2) == std::vector<SlotRange>{{10923, 12181}, {12183, 16383}});

  auto unknown = moved->WithSlotMoved(slot, "10.1.1.1", 7500);
  REQUIRE(unknown.ok());
  SlotMapPtr added = unknown.value();
  CHECK(added->version() == 9);
  CHECK(added->node_count() == 5);
  CHECK(added->NodeForSlot(slot)->Address() == "10.1.1.1:7500");
  CHECK(added->NodeForSlot(slot)->id.empty());
  CHECK(moved->node_count() == 4);

  // A MOVED to a known replica: it was promoted.
  SlotMapPtr promoted = base->WithSlotMoved(3, "127.0.0.1", 7003).value();
  CHECK(promoted->node(3).role == NodeRole::kMaster);
  CHECK(promoted->node(3).master == kNoNode);
  CHECK(promoted->node(0).replicas.empty());
  CHECK(base->node(3).role == NodeRole::kReplica);
}

TEST_CASE("WithSlotMoved on an unowned slot increases coverage") {
  SlotMapBuilder b;
  const NodeIndex a = b.AddNode(MakeNode("h", 1)).value();
  REQUIRE(b.AssignSlots({0, 16382}, a).ok());
  SlotMapPtr map = b.Build();
  CHECK_FALSE(map->FullyCovered());
  SlotMapPtr fixed = map->WithSlotMoved(16383, "h", 1).value();
  CHECK(fixed->FullyCovered());
  CHECK(fixed->node_count() == 1);
}

TEST_CASE("Migration state is kept per slot") {
  SlotMapBuilder b;
  const NodeIndex a = b.AddNode(MakeNode("h", 1)).value();
  const NodeIndex c = b.AddNode(MakeNode("h", 2)).value();
  REQUIRE(b.AssignSlots({0, 16383}, a).ok());
  REQUIRE(b.SetMigrating(15495, c).ok());
  REQUIRE(b.SetImporting(3, c).ok());
  REQUIRE(b.SetMigrating(40, c).ok());
  REQUIRE(b.SetMigrating(40, kNoNode).ok());  // cleared again: not listed
  SlotMapPtr map = b.Build();
  CHECK(map->StateOf(15495).owner == a);
  CHECK(map->StateOf(15495).migrating_to == c);
  CHECK(map->StateOf(15495).importing_from == kNoNode);
  CHECK(map->StateOf(3).importing_from == c);
  CHECK(map->StateOf(40).migrating_to == kNoNode);
  REQUIRE(map->migrations().size() == 2);
  CHECK(map->migrations()[0].slot == 3);

  // A builder from a snapshot keeps everything and can finish the migration.
  SlotMapBuilder next(*map);
  REQUIRE(next.SetMigrating(15495, kNoNode).ok());
  next.set_version(map->version() + 1);
  SlotMapPtr after = next.Build();
  CHECK(after->migrations().size() == 1);
  CHECK(after->OwnerOf(100) == a);
  CHECK(after->FullyCovered());
}

TEST_CASE("WithHealthFrom copies health by id") {
  SlotMapPtr base = ThreeMasters();
  SlotMapBuilder b;
  Node replica = MakeNode("elsewhere", 1, std::string(40, 'd'));
  replica.health = NodeHealth::kFail;
  replica.replication_offset = 238;
  REQUIRE(b.AddNode(replica).ok());
  SlotMapPtr health = b.Build();
  SlotMapPtr merged = base->WithHealthFrom(*health);
  CHECK(merged->node(3).health == NodeHealth::kFail);
  CHECK(merged->node(3).replication_offset == 238);
  CHECK(merged->node(0).health == NodeHealth::kUnknown);
  CHECK(base->node(3).health == NodeHealth::kUnknown);
  CHECK(merged->version() == base->version());
}

TEST_CASE("SlotMapHolder publishes snapshots") {
  SlotMapHolder holder;
  CHECK(holder.Load() == nullptr);
  SlotMapPtr v1 = ThreeMasters(1);
  CHECK(holder.StoreIfNewer(v1));
  CHECK(holder.Load() == v1);
  SlotMapPtr v2 = v1->WithSlotMoved(0, "127.0.0.1", 7001).value();
  SlotMapPtr other = v1->WithSlotMoved(1, "127.0.0.1", 7001).value();
  CHECK(holder.CompareAndSwap(v1, v2));
  CHECK_FALSE(holder.CompareAndSwap(v1, other));  // v1 is no longer current
  CHECK(holder.Load() == v2);
  CHECK_FALSE(holder.StoreIfNewer(ThreeMasters(2)));  // not newer than v2
  CHECK(holder.StoreIfNewer(ThreeMasters(3)));
  CHECK(holder.Load()->version() == 3);
  holder.Store(v1);
  CHECK(holder.Load() == v1);
}

TEST_CASE("SlotMapHolder readers on other threads see versions only grow") {
  SlotMapHolder holder(ThreeMasters(1));
  constexpr int kUpdates = 2000;
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<int> regressions{0};
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      uint64_t last = 0;
      while (!done.load()) {
        SlotMapPtr map = holder.Load();
        if (map->version() < last) ++regressions;
        last = map->version();
        // Touch the snapshot: it must stay alive while held even if replaced meanwhile.
        if (map->NodeForSlot(static_cast<uint16_t>(last % kSlotCount)) == nullptr) ++regressions;
      }
    });
  }
  for (int i = 0; i < kUpdates; ++i) {
    SlotMapPtr current = holder.Load();
    const auto slot = static_cast<uint16_t>(i % kSlotCount);
    SlotMapPtr next = current->WithSlotMoved(slot, "127.0.0.1", 7000 + i % 3).value();
    REQUIRE(holder.CompareAndSwap(current, next));
  }
  done = true;
  for (auto& t : readers) t.join();
  CHECK(regressions == 0);
  CHECK(holder.Load()->version() == 1 + kUpdates);
}

}  // namespace
}  // namespace slotproxy::cluster

namespace slotproxy::cluster {
namespace {

TEST_CASE("DiffSlotMaps tells a real change from a rebuilt identical map") {
  SlotMapPtr before = ThreeMasters(1);
  SlotMapDiff same = DiffSlotMaps(*before, *ThreeMasters(2));
  CHECK(same.empty());
  CHECK(same.Summary() == "no change");

  SlotMapPtr moved = before->WithSlotMoved(0, "127.0.0.1", 7001).value();
  moved = moved->WithSlotMoved(1, "10.0.0.9", 7009).value();
  moved = moved->WithSlotMoved(2, "127.0.0.1", 7003).value();  // replica promoted
  SlotMapDiff diff = DiffSlotMaps(*before, *moved);
  CHECK(diff.slots_changed == 3);
  CHECK(diff.nodes_added == std::vector<std::string>{"10.0.0.9:7009"});
  CHECK(diff.nodes_removed.empty());
  CHECK(diff.roles_changed == std::vector<std::string>{"127.0.0.1:7003"});
  CHECK(diff.Summary() ==
        "3 slots changed owner; added 10.0.0.9:7009; role changed: 127.0.0.1:7003");

  SlotMapDiff back = DiffSlotMaps(*moved, *before);
  CHECK(back.slots_changed == 3);
  CHECK(back.nodes_removed == std::vector<std::string>{"10.0.0.9:7009"});

  SlotMapBuilder empty;
  CHECK(DiffSlotMaps(*empty.Build(), *before).slots_changed == kSlotCount);
}

}  // namespace
}  // namespace slotproxy::cluster

// Immutable snapshots of the cluster topology (which node owns which of the 16384 slots), their
// builder, and the holder that publishes the current snapshot to every worker thread.
//
// A SlotMap never changes once built: readers on any thread use it without locks. A change
// (MOVED, a refresh, later SETSLOT) makes a new snapshot; the node table is shared between a
// snapshot and its patched copies when the nodes did not change, so a MOVED patch costs one
// 32 KB copy of the owner array.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "cluster/crc16.h"

namespace slotproxy::cluster {

// Index of a node in a SlotMap's node table. Indexes are only meaningful within one snapshot
// and the snapshots derived from it.
using NodeIndex = uint16_t;
inline constexpr NodeIndex kNoNode = 0xFFFF;  // "no owner" / "no such node"
inline constexpr size_t kMaxNodes = kNoNode;  // indexes 0 .. 0xFFFE

// An inclusive range of slots, start <= end < kSlotCount.
struct SlotRange {
  uint16_t start = 0;
  uint16_t end = 0;

  size_t size() const { return static_cast<size_t>(end) - start + 1; }
  bool operator==(const SlotRange&) const = default;
};

enum class NodeRole : uint8_t { kMaster, kReplica };

// Health as CLUSTER SHARDS reports it; kUnknown when the source (CLUSTER SLOTS) does not say.
// CLUSTER SLOTS lists only replicas that are available, so those count as usable.
enum class NodeHealth : uint8_t { kUnknown, kOnline, kLoading, kFail };

struct Node {
  std::string id;        // 40 hex characters; empty when the source did not give one
  std::string host;      // where to connect (IP or hostname)
  uint16_t port = 0;     // plaintext port
  std::string hostname;  // announced hostname (metadata), empty when none
  NodeRole role = NodeRole::kMaster;
  NodeIndex master = kNoNode;       // a replica's master
  std::vector<NodeIndex> replicas;  // a master's replicas
  NodeHealth health = NodeHealth::kUnknown;
  int64_t replication_offset = -1;  // -1 when unknown

  // "host:port", the form MOVED/ASK and CLUSTER NODES use.
  std::string Address() const;
};

// Per-slot migration state (CLUSTER SETSLOT MIGRATING / IMPORTING). Only our shard server sets
// it; the proxy's snapshots from CLUSTER SLOTS never carry any (that command does not show it).
struct SlotMigration {
  uint16_t slot = 0;
  NodeIndex migrating_to = kNoNode;    // set on the source of a migration
  NodeIndex importing_from = kNoNode;  // set on the target of a migration
};

// Everything known about one slot.
struct SlotState {
  NodeIndex owner = kNoNode;
  NodeIndex migrating_to = kNoNode;
  NodeIndex importing_from = kNoNode;
};

// The nodes of a topology with hash indexes by address and by id, so every lookup is O(1) even
// for a hostile reply listing thousands of nodes. Shared, immutable, between a snapshot and its
// patched copies; only SlotMapBuilder and the copy-on-write helpers mutate a private copy.
class NodeTable {
 public:
  const std::vector<Node>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }
  const Node& operator[](NodeIndex index) const { return nodes_[index]; }
  // A node's fields except id, host and port (the indexed ones) may be changed through this.
  Node& mutable_node(NodeIndex index) { return nodes_[index]; }

  // kNoNode when absent (FindById: also for an empty id).
  NodeIndex FindByAddress(std::string_view host, uint16_t port) const;
  NodeIndex FindById(std::string_view id) const;

  // Appends `node` unchecked (callers check uniqueness and the size limit) and returns its index.
  NodeIndex Add(Node node);

 private:
  std::vector<Node> nodes_;
  std::unordered_map<std::string, NodeIndex> by_address_;  // "host:port"
  std::unordered_map<std::string, NodeIndex> by_id_;       // non-empty ids only
};

class SlotMap;
using SlotMapPtr = std::shared_ptr<const SlotMap>;

class SlotMap {
 public:
  using Clock = std::chrono::steady_clock;

  // Monotonic per process: a patched copy has its base's version + 1; a full refresh is built
  // with a version above the one it replaces (the caller picks it).
  uint64_t version() const { return version_; }

  // When this snapshot was made (for "slot map age" and refresh rate limits).
  Clock::time_point created() const { return created_; }

  const std::vector<Node>& nodes() const { return nodes_->nodes(); }
  size_t node_count() const { return nodes_->size(); }
  // The node at `index`; `index` must be < node_count().
  const Node& node(NodeIndex index) const { return (*nodes_)[index]; }

  // The owner's index for `slot` (< kSlotCount), or kNoNode when the slot is not served.
  NodeIndex OwnerOf(uint16_t slot) const { return owner_[slot]; }

  // The owner of `slot` (< kSlotCount), or nullptr when the slot is not served.
  const Node* NodeForSlot(uint16_t slot) const {
    const NodeIndex owner = owner_[slot];
    return owner == kNoNode ? nullptr : &(*nodes_)[owner];
  }

  // Owner plus migration state of `slot` (< kSlotCount).
  SlotState StateOf(uint16_t slot) const;

  // All slots with a migration state, ordered by slot.
  const std::vector<SlotMigration>& migrations() const { return migrations_; }

  // The whole owner array, indexed by slot (kSlotCount entries).
  std::span<const NodeIndex> owners() const { return owner_; }

  // The index of the node at host:port (exact, case-sensitive host match), or kNoNode.
  NodeIndex FindNode(std::string_view host, uint16_t port) const;

  // The index of the node with this id, or kNoNode (also for an empty id).
  NodeIndex FindNodeById(std::string_view id) const;

  // The slots owned by `node`, as maximal ranges in slot order; empty for an unknown index.
  std::vector<SlotRange> SlotsOwnedBy(NodeIndex node) const;

  // Maximal runs of consecutive slots with the same owner, in slot order, unowned runs left
  // out: the layout of a CLUSTER SLOTS reply.
  struct OwnedRange {
    SlotRange range;
    NodeIndex owner;
  };
  std::vector<OwnedRange> OwnedRanges() const;

  // How many slots have an owner.
  size_t covered_slots() const { return covered_; }
  // True when every one of the 16384 slots has an owner.
  bool FullyCovered() const { return covered_ == kSlotCount; }
  // The maximal ranges of slots nobody owns, in slot order (empty when fully covered).
  std::vector<SlotRange> Gaps() const;

  // A copy where `slot` (< kSlotCount) is owned by host:port, as a MOVED reply says; the node is
  // added as a master with an unknown id when it is not in the table, and a known replica is
  // promoted to master (a MOVED to a replica means it took over). Version is version() + 1.
  // Returns an error only when the node table is full. Always a new snapshot: callers skip the
  // patch when FindNode(host, port) already is OwnerOf(slot) (a late MOVED after a refresh).
  Result<SlotMapPtr> WithSlotMoved(uint16_t slot, std::string_view host, uint16_t port) const;

  // A copy whose nodes take health and replication offset from the node with the same id (or,
  // without ids, the same address) in `other`, typically a snapshot parsed from CLUSTER SHARDS.
  // Ownership and version are unchanged.
  SlotMapPtr WithHealthFrom(const SlotMap& other) const;

 private:
  friend class SlotMapBuilder;
  SlotMap() = default;

  uint64_t version_ = 0;
  Clock::time_point created_;
  std::shared_ptr<const NodeTable> nodes_;
  std::vector<NodeIndex> owner_;           // kSlotCount entries
  std::vector<SlotMigration> migrations_;  // sorted by slot, no duplicates
  size_t covered_ = 0;
};

// Collects nodes and slot assignments, checks them, and makes a SlotMap. Errors are Status
// messages fit for a log line ("slot 5 assigned to both 127.0.0.1:7000 and ...").
class SlotMapBuilder {
 public:
  // An empty topology: no nodes, no slot served.
  SlotMapBuilder();
  // Starts from a copy of `base` (nodes, owners, migrations), e.g. to apply SETSLOT.
  explicit SlotMapBuilder(const SlotMap& base);

  // Adds `node` (its replicas/master links are cleared: use SetReplicaOf) and returns its index.
  // Error when another node has the same non-empty id or the same host:port, when the port is
  // 0, or when the table is full.
  Result<NodeIndex> AddNode(Node node);

  // Index lookups over the nodes added so far; kNoNode when absent.
  NodeIndex FindNode(std::string_view host, uint16_t port) const;
  NodeIndex FindNodeById(std::string_view id) const;

  size_t node_count() const { return nodes_.size(); }
  // Mutable access to an added node's descriptive fields (health, hostname, offset). Do not
  // change id/host/port/role/links through it: use the methods below.
  Node& node(NodeIndex index) { return nodes_.mutable_node(index); }

  // Makes `replica` a replica of `master`. Error when either index is unknown, they are the same
  // node, `master` is itself a replica, `replica` owns slots, or `replica` already replicates
  // another master.
  Status SetReplicaOf(NodeIndex replica, NodeIndex master);

  // Gives every slot in `range` to `owner`. Error when the range is invalid, `owner` is unknown
  // or a replica, or a slot already has a different owner.
  Status AssignSlots(SlotRange range, NodeIndex owner);

  // Leaves every slot in `range` without an owner (CLUSTER DELSLOTS; SETSLOT NODE is Unassign
  // then Assign). Error when the range is invalid.
  Status UnassignSlots(SlotRange range);

  // Sets or clears (kNoNode) the migration state of `slot`. Error on an unknown node index or an
  // out-of-range slot.
  Status SetMigrating(uint16_t slot, NodeIndex target);
  Status SetImporting(uint16_t slot, NodeIndex source);

  void set_version(uint64_t version) { version_ = version; }

  // Makes the snapshot. The builder is left empty.
  SlotMapPtr Build();

 private:
  SlotMigration* MigrationFor(uint16_t slot);

  uint64_t version_ = 0;
  NodeTable nodes_;
  std::vector<NodeIndex> owner_;
  std::vector<uint32_t> owned_count_;  // slots per node, so SetReplicaOf needs no scan
  std::vector<SlotMigration> migrations_;
};

// What differs between two snapshots, by node address (ids may be missing): lets a refresh skip
// publishing an identical map and log one line for a real change.
struct SlotMapDiff {
  size_t slots_changed = 0;                // slots whose owner address differs (or appeared)
  std::vector<std::string> nodes_added;    // addresses only in `after`
  std::vector<std::string> nodes_removed;  // addresses only in `before`
  std::vector<std::string> roles_changed;  // nodes whose role or master changed

  bool empty() const {
    return slots_changed == 0 && nodes_added.empty() && nodes_removed.empty() &&
           roles_changed.empty();
  }
  // One log line, e.g. "12 slots changed owner; added 10.0.0.4:6379; removed 10.0.0.3:6379".
  std::string Summary() const;
};

// Compares `before` and `after`. Health, offsets and versions are not compared.
SlotMapDiff DiffSlotMaps(const SlotMap& before, const SlotMap& after);

// Publishes the current snapshot to all threads. Workers Load() once per loop turn and keep the
// shared_ptr for the turn; writers Store() or CompareAndSwap() a new snapshot.
class SlotMapHolder {
 public:
  explicit SlotMapHolder(SlotMapPtr initial = nullptr) : current_(std::move(initial)) {}

  // The current snapshot (nullptr before the first topology is known).
  SlotMapPtr Load() const { return current_.load(std::memory_order_acquire); }

  // Replaces the current snapshot unconditionally.
  void Store(SlotMapPtr map) { current_.store(std::move(map), std::memory_order_release); }

  // Replaces the snapshot only if it is still `expected` (a MOVED patch must not overwrite a
  // refresh published meanwhile). Returns false, and leaves the current one alone, otherwise.
  bool CompareAndSwap(const SlotMapPtr& expected, SlotMapPtr desired);

  // Publishes `map` (not nullptr) unless the current snapshot has a version >= map->version().
  // Returns true when `map` was published.
  bool StoreIfNewer(SlotMapPtr map);

 private:
  std::atomic<SlotMapPtr> current_;
};

}  // namespace slotproxy::cluster

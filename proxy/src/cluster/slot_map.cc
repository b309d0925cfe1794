#include "cluster/slot_map.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace slotproxy::cluster {
namespace {

std::string AddressKey(std::string_view host, uint16_t port) {
  std::string key(host);
  key += ':';
  key += std::to_string(port);
  return key;
}

// Maximal runs of slots for which `match(owner)` holds.
template <typename Match>
std::vector<SlotRange> Runs(const std::vector<NodeIndex>& owner, Match match) {
  std::vector<SlotRange> runs;
  for (int slot = 0; slot < kSlotCount; ++slot) {
    if (!match(owner[slot])) continue;
    const auto s = static_cast<uint16_t>(slot);
    if (!runs.empty() && runs.back().end + 1 == slot) {
      runs.back().end = s;
    } else {
      runs.push_back({s, s});
    }
  }
  return runs;
}

}  // namespace

std::string Node::Address() const { return AddressKey(host, port); }

NodeIndex NodeTable::FindByAddress(std::string_view host, uint16_t port) const {
  auto it = by_address_.find(AddressKey(host, port));
  return it == by_address_.end() ? kNoNode : it->second;
}

NodeIndex NodeTable::FindById(std::string_view id) const {
  if (id.empty()) return kNoNode;
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? kNoNode : it->second;
}

NodeIndex NodeTable::Add(Node node) {
  const auto index = static_cast<NodeIndex>(nodes_.size());
  by_address_.emplace(node.Address(), index);
  if (!node.id.empty()) by_id_.emplace(node.id, index);
  nodes_.push_back(std::move(node));
  return index;
}

SlotState SlotMap::StateOf(uint16_t slot) const {
  SlotState state;
  state.owner = owner_[slot];
  auto it = std::lower_bound(migrations_.begin(), migrations_.end(), slot,
                             [](const SlotMigration& m, uint16_t s) { return m.slot < s; });
  if (it != migrations_.end() && it->slot == slot) {
    state.migrating_to = it->migrating_to;
    state.importing_from = it->importing_from;
  }
  return state;
}

NodeIndex SlotMap::FindNode(std::string_view host, uint16_t port) const {
  return nodes_->FindByAddress(host, port);
}

NodeIndex SlotMap::FindNodeById(std::string_view id) const { return nodes_->FindById(id); }

std::vector<SlotRange> SlotMap::SlotsOwnedBy(NodeIndex node) const {
  if (node == kNoNode || node >= nodes_->size()) return {};
  return Runs(owner_, [node](NodeIndex owner) { return owner == node; });
}

std::vector<SlotMap::OwnedRange> SlotMap::OwnedRanges() const {
  std::vector<OwnedRange> ranges;
  for (int slot = 0; slot < kSlotCount; ++slot) {
    const NodeIndex owner = owner_[slot];
    if (owner == kNoNode) continue;
    const auto s = static_cast<uint16_t>(slot);
    if (!ranges.empty() && ranges.back().owner == owner && ranges.back().range.end + 1 == slot) {
      ranges.back().range.end = s;
    } else {
      ranges.push_back({{s, s}, owner});
    }
  }
  return ranges;
}

std::vector<SlotRange> SlotMap::Gaps() const {
  if (FullyCovered()) return {};
  return Runs(owner_, [](NodeIndex owner) { return owner == kNoNode; });
}

Result<SlotMapPtr> SlotMap::WithSlotMoved(uint16_t slot, std::string_view host,
                                          uint16_t port) const {
  assert(slot < kSlotCount);
  std::shared_ptr<SlotMap> copy(new SlotMap(*this));  // shares nodes_ until they change
  copy->version_ = version_ + 1;
  copy->created_ = Clock::now();
  NodeIndex target = FindNode(host, port);
  if (target == kNoNode || (*nodes_)[target].role == NodeRole::kReplica) {
    auto nodes = std::make_shared<NodeTable>(*nodes_);
    if (target == kNoNode) {
      if (nodes->size() >= kMaxNodes) return Status::Error("too many cluster nodes");
      Node added;
      added.host = std::string(host);
      added.port = port;
      target = nodes->Add(std::move(added));
    } else {
      // A MOVED to a replica means it was promoted: detach it from its old master.
      Node& promoted = nodes->mutable_node(target);
      auto& siblings = nodes->mutable_node(promoted.master).replicas;
      siblings.erase(std::remove(siblings.begin(), siblings.end(), target), siblings.end());
      promoted.role = NodeRole::kMaster;
      promoted.master = kNoNode;
    }
    copy->nodes_ = std::move(nodes);
  }
  if (copy->owner_[slot] == kNoNode) ++copy->covered_;
  copy->owner_[slot] = target;
  return SlotMapPtr(std::move(copy));
}

SlotMapPtr SlotMap::WithHealthFrom(const SlotMap& other) const {
  std::shared_ptr<SlotMap> copy(new SlotMap(*this));
  auto nodes = std::make_shared<NodeTable>(*nodes_);
  for (size_t i = 0; i < nodes->size(); ++i) {
    Node& node = nodes->mutable_node(static_cast<NodeIndex>(i));
    NodeIndex match = other.FindNodeById(node.id);
    if (match == kNoNode && node.id.empty()) match = other.FindNode(node.host, node.port);
    if (match == kNoNode) continue;
    node.health = other.node(match).health;
    node.replication_offset = other.node(match).replication_offset;
  }
  copy->nodes_ = std::move(nodes);
  return copy;
}

SlotMapBuilder::SlotMapBuilder() : owner_(kSlotCount, kNoNode) {}

SlotMapBuilder::SlotMapBuilder(const SlotMap& base)
    : version_(base.version_),
      nodes_(*base.nodes_),
      owner_(base.owner_),
      owned_count_(base.node_count(), 0),
      migrations_(base.migrations_) {
  for (NodeIndex owner : owner_) {
    if (owner != kNoNode) ++owned_count_[owner];
  }
}

Result<NodeIndex> SlotMapBuilder::AddNode(Node node) {
  if (nodes_.size() >= kMaxNodes) return Status::Error("too many cluster nodes");
  if (node.port == 0) return Status::Error("node " + node.Address() + " has port 0");
  if (nodes_.FindById(node.id) != kNoNode) {
    return Status::Error("node id " + node.id + " appears twice");
  }
  if (nodes_.FindByAddress(node.host, node.port) != kNoNode) {
    return Status::Error("node address " + node.Address() + " appears twice");
  }
  node.role = NodeRole::kMaster;
  node.master = kNoNode;
  node.replicas.clear();
  owned_count_.push_back(0);
  return nodes_.Add(std::move(node));
}

NodeIndex SlotMapBuilder::FindNode(std::string_view host, uint16_t port) const {
  return nodes_.FindByAddress(host, port);
}

NodeIndex SlotMapBuilder::FindNodeById(std::string_view id) const { return nodes_.FindById(id); }

Status SlotMapBuilder::SetReplicaOf(NodeIndex replica, NodeIndex master) {
  if (replica >= nodes_.size() || master >= nodes_.size()) {
    return Status::Error("unknown node index");
  }
  Node& r = nodes_.mutable_node(replica);
  const Node& m = nodes_[master];
  if (replica == master) return Status::Error("node " + r.Address() + " cannot replicate itself");
  if (m.role == NodeRole::kReplica) {
    return Status::Error("node " + m.Address() + " is a replica and also has replicas");
  }
  if (r.role == NodeRole::kReplica) {
    if (r.master == master) return Status();
    return Status::Error("node " + r.Address() + " replicates two masters");
  }
  if (owned_count_[replica] > 0) {
    return Status::Error("node " + r.Address() + " owns slots and is also a replica");
  }
  if (!r.replicas.empty()) {
    return Status::Error("node " + r.Address() + " has replicas and is also a replica");
  }
  r.role = NodeRole::kReplica;
  r.master = master;
  nodes_.mutable_node(master).replicas.push_back(replica);
  return Status();
}

Status SlotMapBuilder::AssignSlots(SlotRange range, NodeIndex owner) {
  if (range.start > range.end || range.end >= kSlotCount) {
    return Status::Error("invalid slot range " + std::to_string(range.start) + "-" +
                         std::to_string(range.end));
  }
  if (owner >= nodes_.size()) return Status::Error("unknown node index");
  if (nodes_[owner].role == NodeRole::kReplica) {
    return Status::Error("node " + nodes_[owner].Address() + " is a replica and also owns slots");
  }
  for (int slot = range.start; slot <= range.end; ++slot) {
    const NodeIndex current = owner_[slot];
    if (current != kNoNode && current != owner) {
      return Status::Error("slot " + std::to_string(slot) + " assigned to both " +
                           nodes_[current].Address() + " and " + nodes_[owner].Address());
    }
  }
  for (int slot = range.start; slot <= range.end; ++slot) {
    if (owner_[slot] == kNoNode) ++owned_count_[owner];
    owner_[slot] = owner;
  }
  return Status();
}

Status SlotMapBuilder::UnassignSlots(SlotRange range) {
  if (range.start > range.end || range.end >= kSlotCount) {
    return Status::Error("invalid slot range " + std::to_string(range.start) + "-" +
                         std::to_string(range.end));
  }
  for (int slot = range.start; slot <= range.end; ++slot) {
    if (owner_[slot] == kNoNode) continue;
    --owned_count_[owner_[slot]];
    owner_[slot] = kNoNode;
  }
  return Status();
}

SlotMigration* SlotMapBuilder::MigrationFor(uint16_t slot) {
  auto it = std::lower_bound(migrations_.begin(), migrations_.end(), slot,
                             [](const SlotMigration& m, uint16_t s) { return m.slot < s; });
  if (it == migrations_.end() || it->slot != slot) {
    it = migrations_.insert(it, SlotMigration{slot, kNoNode, kNoNode});
  }
  return &*it;
}

Status SlotMapBuilder::SetMigrating(uint16_t slot, NodeIndex target) {
  if (slot >= kSlotCount) return Status::Error("invalid slot " + std::to_string(slot));
  if (target != kNoNode && target >= nodes_.size()) return Status::Error("unknown node index");
  MigrationFor(slot)->migrating_to = target;
  return Status();
}

Status SlotMapBuilder::SetImporting(uint16_t slot, NodeIndex source) {
  if (slot >= kSlotCount) return Status::Error("invalid slot " + std::to_string(slot));
  if (source != kNoNode && source >= nodes_.size()) return Status::Error("unknown node index");
  MigrationFor(slot)->importing_from = source;
  return Status();
}

SlotMapPtr SlotMapBuilder::Build() {
  std::shared_ptr<SlotMap> map(new SlotMap());
  map->version_ = version_;
  map->created_ = SlotMap::Clock::now();
  map->nodes_ = std::make_shared<const NodeTable>(std::move(nodes_));
  map->covered_ = static_cast<size_t>(
      std::count_if(owner_.begin(), owner_.end(), [](NodeIndex o) { return o != kNoNode; }));
  map->owner_ = std::move(owner_);
  // Cleared states are dropped so migrations() lists only slots really in migration.
  std::erase_if(migrations_, [](const SlotMigration& m) {
    return m.migrating_to == kNoNode && m.importing_from == kNoNode;
  });
  map->migrations_ = std::move(migrations_);
  nodes_ = NodeTable();
  owner_.assign(kSlotCount, kNoNode);
  owned_count_.clear();
  migrations_.clear();
  version_ = 0;
  return map;
}

namespace {

// "master" or "replica of <address>".
std::string RoleOf(const SlotMap& map, const Node& node) {
  return node.role == NodeRole::kMaster ? "master"
                                        : "replica of " + map.node(node.master).Address();
}

void AppendList(std::string* out, std::string_view label, const std::vector<std::string>& items) {
  if (items.empty()) return;
  if (!out->empty()) *out += "; ";
  *out += label;
  for (size_t i = 0; i < items.size(); ++i) *out += (i == 0 ? " " : ", ") + items[i];
}

}  // namespace

std::string SlotMapDiff::Summary() const {
  std::string out;
  if (slots_changed > 0) out = std::to_string(slots_changed) + " slots changed owner";
  AppendList(&out, "added", nodes_added);
  AppendList(&out, "removed", nodes_removed);
  AppendList(&out, "role changed:", roles_changed);
  return out.empty() ? "no change" : out;
}

SlotMapDiff DiffSlotMaps(const SlotMap& before, const SlotMap& after) {
  SlotMapDiff diff;
  // before's index -> after's index of the same address.
  std::vector<NodeIndex> to_after(before.node_count(), kNoNode);
  for (size_t i = 0; i < before.node_count(); ++i) {
    const Node& node = before.node(static_cast<NodeIndex>(i));
    to_after[i] = after.FindNode(node.host, node.port);
    if (to_after[i] == kNoNode) {
      diff.nodes_removed.push_back(node.Address());
    } else if (RoleOf(before, node) != RoleOf(after, after.node(to_after[i]))) {
      diff.roles_changed.push_back(node.Address());
    }
  }
  for (const Node& node : after.nodes()) {
    if (before.FindNode(node.host, node.port) == kNoNode) {
      diff.nodes_added.push_back(node.Address());
    }
  }
  for (int slot = 0; slot < kSlotCount; ++slot) {
    const NodeIndex old_owner = before.OwnerOf(static_cast<uint16_t>(slot));
    const NodeIndex mapped = old_owner == kNoNode ? kNoNode : to_after[old_owner];
    if (mapped != after.OwnerOf(static_cast<uint16_t>(slot))) ++diff.slots_changed;
  }
  return diff;
}

bool SlotMapHolder::CompareAndSwap(const SlotMapPtr& expected, SlotMapPtr desired) {
  SlotMapPtr current = expected;
  return current_.compare_exchange_strong(current, std::move(desired), std::memory_order_acq_rel,
                                          std::memory_order_acquire);
}

bool SlotMapHolder::StoreIfNewer(SlotMapPtr map) {
  assert(map != nullptr);
  SlotMapPtr current = current_.load(std::memory_order_acquire);
  while (current == nullptr || current->version() < map->version()) {
    if (current_.compare_exchange_weak(current, map, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      return true;
    }
  }
  return false;
}

}  // namespace slotproxy::cluster

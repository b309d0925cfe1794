#include "server/cluster_state.h"

#include <algorithm>
#include <iterator>
#include <random>

#include "cluster/cluster_nodes.h"
#include "server/cluster_view_store.h"

namespace slotproxy::server {
namespace {

std::string NewRandomId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string id(cluster::kNodeIdLength, '0');
  for (char& ch : id) ch = kHex[rng() & 15];
  return id;
}

uint16_t ClampSlot(int v) {
  return static_cast<uint16_t>(std::clamp(v, 0, cluster::kSlotCount - 1));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void Field(std::string* out, std::string_view name, uint64_t value) {
  out->append(name);
  out->push_back(':');
  out->append(std::to_string(value));
  out->append("\r\n");
}

}  // namespace

std::vector<cluster::FleetNode> FleetFromConfig(const std::vector<config::FleetNode>& fleet) {
  std::vector<cluster::FleetNode> out;
  out.reserve(fleet.size());
  for (const config::FleetNode& n : fleet) {
    cluster::FleetNode node;
    node.id = Lower(n.id);
    node.host = n.host;
    node.port = n.port;
    for (const config::SlotRange& r : n.slots) {
      node.slots.push_back({ClampSlot(r.first), ClampSlot(r.last)});
    }
    out.push_back(std::move(node));
  }
  return out;
}

Result<std::unique_ptr<ClusterState>> ClusterState::Open(const ClusterStateOptions& options) {
  std::unique_ptr<ClusterState> state(new ClusterState());
  state->require_full_coverage_ = options.require_full_coverage;
  if (!options.dir.empty()) state->path_ = options.dir + "/" + options.file_name;
  std::optional<std::string> stored;
  if (!state->path_.empty()) {
    auto read = ReadFileIfExists(state->path_);
    if (!read.ok()) return read.status();
    stored = std::move(read.value());
  }
  Status st = stored.has_value() ? state->InitFromStored(*stored) : state->InitFromFleet(options);
  if (!st.ok()) return st;
  if (stored.has_value() && !options.fleet.empty()) {
    if (Lower(options.self_id) != state->my_id()) {
      return Status::Error(state->path_ + " belongs to node " + state->my_id() +
                           " but the fleet config says this node is '" + options.self_id +
                           "' (remove the file to start from the fleet)");
    }
    st = state->CheckSameMasters(options.fleet);
    if (!st.ok()) return st;
  }
  if (!stored.has_value()) {
    st = state->Save();
    if (!st.ok()) return st;
  }
  return state;
}

Status ClusterState::CheckSameMasters(const std::vector<cluster::FleetNode>& fleet) const {
  std::vector<std::string> configured;
  for (const cluster::FleetNode& n : fleet) configured.push_back(Lower(n.id));
  std::vector<std::string> stored;
  for (const cluster::Node& n : map_->nodes()) {
    if (n.role == cluster::NodeRole::kMaster) stored.push_back(n.id);
  }
  std::sort(configured.begin(), configured.end());
  std::sort(stored.begin(), stored.end());
  if (configured == stored) return Status();
  std::vector<std::string> only_stored, only_configured;
  std::set_difference(stored.begin(), stored.end(), configured.begin(), configured.end(),
                      std::back_inserter(only_stored));
  std::set_difference(configured.begin(), configured.end(), stored.begin(), stored.end(),
                      std::back_inserter(only_configured));
  auto list = [](const std::vector<std::string>& ids) {
    std::string out;
    for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
    return out.empty() ? std::string("none") : out;
  };
  // The stored view wins over the fleet, so starting anyway would route slots to masters that
  // are not running (or leave new ones without slots): the keys of those slots unreachable.
  return Status::Error(path_ + " describes a cluster of " + std::to_string(stored.size()) +
                       " master(s) but the fleet config has " + std::to_string(configured.size()) +
                       " (only in the file: " + list(only_stored) +
                       "; only in the config: " + list(only_configured) +
                       "); start with the fleet that wrote it, or move the data dir away to "
                       "start empty");
}

Status ClusterState::InitFromFleet(const ClusterStateOptions& options) {
  std::string self = Lower(options.self_id);
  if (options.fleet.empty()) {
    // Built directly: a lone node's host may be empty (Redis's never-MEETed node), which a
    // fleet does not allow.
    cluster::SlotMapBuilder b;
    cluster::Node me;
    me.id = self.empty() ? NewRandomId() : self;
    me.host = options.host;
    me.port = options.port == 0 ? 6379 : options.port;
    auto index = b.AddNode(std::move(me));
    if (!index.ok()) return index.status();
    Status st = b.AssignSlots({0, cluster::kSlotCount - 1}, index.value());
    if (!st.ok()) return st;
    b.set_version(1);
    map_ = b.Build();
    myself_ = index.value();
  } else {
    auto map = cluster::SlotMapFromFleet(options.fleet, 1);
    if (!map.ok()) return map.status();
    map_ = std::move(map.value());
    myself_ = map_->FindNodeById(self);
    if (myself_ == cluster::kNoNode) {
      return Status::Error("this node's id '" + options.self_id + "' is not in the fleet");
    }
  }
  // A lone node starts at epoch 0 like a fresh Redis; a fleet gets the epochs
  // `redis-cli --cluster create` gives (1, 2, ... in node order).
  bool lone = options.fleet.empty();
  epochs_.assign(map_->node_count(), 0);
  bus_ports_.assign(map_->node_count(), 0);
  for (size_t i = 0; i < epochs_.size(); ++i) epochs_[i] = lone ? 0 : i + 1;
  current_epoch_ = lone ? 0 : epochs_.size();
  return Status();
}

Status ClusterState::InitFromStored(const std::string& text) {
  auto parsed = ParseStoredView(text);
  if (!parsed.ok()) return Status::Error(path_ + ": " + parsed.status().message());
  const StoredView& view = parsed.value();
  cluster::SlotMapBuilder b;
  std::vector<uint64_t> epochs;
  std::vector<uint16_t> bus;
  for (const StoredNode& n : view.nodes) {
    cluster::Node node;
    node.id = n.id;
    node.host = n.host;
    node.port = n.port;
    node.hostname = n.hostname;
    auto idx = b.AddNode(std::move(node));
    if (!idx.ok()) return Status::Error(path_ + ": " + idx.status().message());
    if (n.myself) myself_ = idx.value();
    epochs.push_back(n.config_epoch);
    // Redis's default bus port is port + 10000 computed in an int, so for ports above 55535 it
    // passes 65535 (CLUSTER NODES prints it as is). It stays implicit (0), also when a file
    // written by an older build holds it wrapped to 16 bits.
    const uint32_t bus_port = n.bus_port;
    const uint32_t default_bus = n.port + 10000u;
    const bool is_default = bus_port == default_bus || bus_port == (default_bus & 0xFFFFu);
    bus.push_back(is_default || bus_port > 65535 ? 0 : static_cast<uint16_t>(bus_port));
  }
  for (size_t i = 0; i < view.nodes.size(); ++i) {
    const StoredNode& n = view.nodes[i];
    auto index = static_cast<cluster::NodeIndex>(i);
    if (!n.master) {
      Status st = b.SetReplicaOf(index, b.FindNodeById(n.master_id));
      if (!st.ok()) return Status::Error(path_ + ": " + st.message());
    }
    for (const cluster::SlotRange& r : n.slots) {
      Status st = b.AssignSlots(r, index);
      if (!st.ok()) return Status::Error(path_ + ": " + st.message());
    }
  }
  for (const StoredMigration& m : view.migrations) {
    cluster::NodeIndex peer = b.FindNodeById(m.peer_id);
    Status st = m.migrating ? b.SetMigrating(m.slot, peer) : b.SetImporting(m.slot, peer);
    if (!st.ok()) return Status::Error(path_ + ": " + st.message());
  }
  b.set_version(1);
  map_ = b.Build();
  epochs_ = std::move(epochs);
  bus_ports_ = std::move(bus);
  current_epoch_ = view.current_epoch;
  last_vote_epoch_ = view.last_vote_epoch;
  return Status();
}

uint64_t ClusterState::config_epoch(cluster::NodeIndex node) const {
  if (node >= epochs_.size()) return 0;
  const cluster::Node& n = map_->node(node);
  if (n.role == cluster::NodeRole::kReplica && n.master < epochs_.size()) return epochs_[n.master];
  return epochs_[node];
}

Status ClusterState::SetMyAddress(const std::string& host, uint16_t port) {
  const cluster::Node& me = my_node();
  if (me.host == host && me.port == port) return Status();
  cluster::NodeIndex other = map_->FindNode(host, port);
  if (other != cluster::kNoNode && other != myself_) {
    return Status::Error("address " + host + ":" + std::to_string(port) + " belongs to node " +
                         map_->node(other).id);
  }
  // Node addresses are indexed, so the table is rebuilt in the same order (indexes unchanged).
  cluster::SlotMapBuilder b;
  for (size_t i = 0; i < map_->node_count(); ++i) {
    cluster::Node n = map_->node(static_cast<cluster::NodeIndex>(i));
    if (i == myself_) {
      n.host = host;
      n.port = port;
    }
    auto added = b.AddNode(std::move(n));
    if (!added.ok()) return added.status();
  }
  for (size_t i = 0; i < map_->node_count(); ++i) {
    const cluster::Node& n = map_->node(static_cast<cluster::NodeIndex>(i));
    if (n.role == cluster::NodeRole::kReplica) {
      Status st = b.SetReplicaOf(static_cast<cluster::NodeIndex>(i), n.master);
      if (!st.ok()) return st;
    }
  }
  for (const auto& r : map_->OwnedRanges()) {
    Status st = b.AssignSlots(r.range, r.owner);
    if (!st.ok()) return st;
  }
  for (const cluster::SlotMigration& m : map_->migrations()) {
    if (m.migrating_to != cluster::kNoNode) b.SetMigrating(m.slot, m.migrating_to);
    if (m.importing_from != cluster::kNoNode) b.SetImporting(m.slot, m.importing_from);
  }
  b.set_version(map_->version() + 1);
  map_ = b.Build();
  return Save();
}

Status ClusterState::Replace(cluster::SlotMapPtr map, uint64_t current_epoch) {
  cluster::NodeIndex me = map->FindNodeById(my_id());
  if (me == cluster::kNoNode) return Status::Error("the new view does not contain this node");
  std::vector<uint64_t> epochs(map->node_count(), 0);
  std::vector<uint16_t> bus(map->node_count(), 0);
  for (size_t i = 0; i < map->node_count(); ++i) {
    cluster::NodeIndex old = map_->FindNodeById(map->node(static_cast<cluster::NodeIndex>(i)).id);
    if (old != cluster::kNoNode) {
      epochs[i] = epochs_[old];
      bus[i] = bus_ports_[old];
    }
  }
  map_ = std::move(map);
  myself_ = me;
  epochs_ = std::move(epochs);
  bus_ports_ = std::move(bus);
  current_epoch_ = std::max(current_epoch_, current_epoch);
  return Save();
}

std::string ClusterState::NodesText(int64_t now_ms) const {
  std::vector<cluster::NodeRuntime> rt(map_->node_count());
  for (size_t i = 0; i < rt.size(); ++i) {
    rt[i].bus_port = bus_ports_[i];
    rt[i].config_epoch = config_epoch(static_cast<cluster::NodeIndex>(i));
    rt[i].pong_received_ms = (i == myself_ || now_ms < 0) ? 0 : static_cast<uint64_t>(now_ms);
  }
  return cluster::ClusterNodesText(*map_, myself_, rt);
}

std::string ClusterState::InfoText() const {
  size_t size = 0;
  for (size_t i = 0; i < map_->node_count(); ++i) {
    const cluster::Node& n = map_->node(static_cast<cluster::NodeIndex>(i));
    if (n.role == cluster::NodeRole::kMaster &&
        !map_->SlotsOwnedBy(static_cast<cluster::NodeIndex>(i)).empty()) {
      ++size;
    }
  }
  std::string out = ok() ? "cluster_state:ok\r\n" : "cluster_state:fail\r\n";
  Field(&out, "cluster_slots_assigned", map_->covered_slots());
  Field(&out, "cluster_slots_ok", map_->covered_slots());
  Field(&out, "cluster_slots_pfail", 0);
  Field(&out, "cluster_slots_fail", 0);
  Field(&out, "cluster_known_nodes", map_->node_count());
  Field(&out, "cluster_size", size);
  Field(&out, "cluster_current_epoch", current_epoch_);
  Field(&out, "cluster_my_epoch", config_epoch(myself_));
  // No cluster bus: no messages, and Redis prints only the two totals then.
  Field(&out, "cluster_stats_messages_sent", 0);
  Field(&out, "cluster_stats_messages_received", 0);
  Field(&out, "total_cluster_links_buffer_limit_exceeded", 0);
  return out;
}

std::string ClusterState::StoredText() const {
  std::string out = NodesText(-1);
  out += "vars currentEpoch " + std::to_string(current_epoch_) + " lastVoteEpoch " +
         std::to_string(last_vote_epoch_) + "\n";
  return out;
}

Status ClusterState::Save() const {
  if (path_.empty()) return Status();
  return WriteFileAtomically(path_, StoredText());
}

}  // namespace slotproxy::server

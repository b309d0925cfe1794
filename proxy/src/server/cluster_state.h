// ClusterState: what one shard knows about its cluster: its own id and address, the fleet, the
// owner and migration state of every slot (a cluster::SlotMap snapshot), the config epochs,
// and whether the cluster is up. It is loaded from / saved to nodes.conf in the data dir
// (cluster_view_store.h) so a restarted shard keeps its id and view.
//
// Loop-thread-only, like the Shard that uses it. A change (later: SETSLOT) builds a new
// snapshot and saves it; readers never see a half-applied change.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "cluster/fleet.h"
#include "cluster/slot_map.h"
#include "config/config.h"

namespace slotproxy::server {

struct ClusterStateOptions {
  // Data dir holding nodes.conf; empty: the view is neither loaded nor saved.
  std::string dir;
  std::string file_name = "nodes.conf";
  // With a fleet: the id of this node in it (required). Without: the id to use when no stored
  // view exists (empty: a random one).
  std::string self_id;
  // Without a fleet: this node's announced address ("" like a Redis node that was never MEETed).
  std::string host;
  uint16_t port = 0;
  // Empty: a one-node cluster owning all 16384 slots.
  std::vector<cluster::FleetNode> fleet;
  // cluster-require-full-coverage: the cluster is down while a slot has no owner.
  bool require_full_coverage = true;
};

// The config file's fleet as cluster::FleetNode values (slot ranges converted; ranges that do
// not fit a slot are the config validator's business and are clamped here).
std::vector<cluster::FleetNode> FleetFromConfig(const std::vector<config::FleetNode>& fleet);

class ClusterState {
 public:
  // Loads nodes.conf from options.dir when it exists (the stored view wins over the fleet, as
  // Redis's nodes.conf wins over its config; error when the fleet names a different self id
  // or a different set of masters: the slots would be routed to nodes that are not running),
  // else builds the view from the fleet (or the one-node default) and saves it. Error: an
  // invalid fleet, a self id not in it, an unreadable or corrupt nodes.conf, a failed save.
  static Result<std::unique_ptr<ClusterState>> Open(const ClusterStateOptions& options);

  // The current snapshot (never null).
  const cluster::SlotMapPtr& map() const { return map_; }
  cluster::NodeIndex myself() const { return myself_; }
  const std::string& my_id() const { return map_->node(myself_).id; }
  const cluster::Node& my_node() const { return map_->node(myself_); }

  // cluster_state:ok (every slot served, or full coverage not required).
  bool ok() const { return !require_full_coverage_ || map_->FullyCovered(); }

  uint64_t current_epoch() const { return current_epoch_; }
  // A node's config epoch (a replica's: its master's); 0 for an unknown index.
  uint64_t config_epoch(cluster::NodeIndex node) const;

  // Replaces this node's announced address (the shard learns its port after binding port 0).
  // Saves the view. Error: the address belongs to another node, or the save failed.
  Status SetMyAddress(const std::string& host, uint16_t port);

  // Replaces the snapshot (it must still contain a node with my id) and saves the view; the
  // hook for SETSLOT and friends. Error: my id is missing, or the save failed.
  Status Replace(cluster::SlotMapPtr map, uint64_t current_epoch);

  // CLUSTER NODES text; other nodes show pong = now_ms (no bus: we take them as reachable).
  std::string NodesText(int64_t now_ms) const;
  // CLUSTER INFO text (CRLF lines, Redis 7.0's fields in its order).
  std::string InfoText() const;
  // The nodes.conf contents: NodesText with zero ping/pong plus the vars line.
  std::string StoredText() const;
  // Writes nodes.conf (no-op without a dir). Error: the write failed.
  Status Save() const;

 private:
  ClusterState() = default;
  Status InitFromFleet(const ClusterStateOptions& options);
  Status InitFromStored(const std::string& text);
  // OK when the loaded view's masters are exactly the fleet's nodes (by id); else an error
  // naming the ids only one side has.
  Status CheckSameMasters(const std::vector<cluster::FleetNode>& fleet) const;

  std::string path_;
  cluster::SlotMapPtr map_;
  cluster::NodeIndex myself_ = cluster::kNoNode;
  std::vector<uint64_t> epochs_;  // by node index
  std::vector<uint16_t> bus_ports_;
  uint64_t current_epoch_ = 0;
  uint64_t last_vote_epoch_ = 0;
  bool require_full_coverage_ = true;
};

}  // namespace slotproxy::server

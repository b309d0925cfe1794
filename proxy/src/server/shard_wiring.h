// ShardWiring: what every shard of ours gets around its Shard object, whether it runs alone
// (bin/shard_main.cc) or embedded in the proxy (embedded.h): its cluster view (ClusterState,
// kept in the data dir), the redirect check over that view, a handler registry with the CLUSTER
// and persistence commands, and the append-only file (Persistence: replay, logging, rewrite).
// One place, so a standalone shard and an embedded one behave the same.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "cluster/fleet.h"
#include "config/config.h"
#include "engine/aof/aof_file.h"
#include "server/aof_rewrite_driver.h"
#include "server/cluster_check_impl.h"
#include "server/cluster_state.h"
#include "server/handler_registry.h"
#include "server/persistence.h"
#include "server/shard.h"

namespace slotproxy::server {

struct ShardWiringOptions {
  std::string dir = ".";  // data dir (created): appendonly.aof and nodes.conf
  // With a fleet: this node's id in it (required). Without: the id to use when no stored view
  // exists (empty: a random one).
  std::string self_id;
  // Without a fleet: the announced address ("" for a wildcard bind, as Redis) and port (0: the
  // bound port is announced once the shard listens).
  std::string host;
  uint16_t port = 0;
  std::vector<cluster::FleetNode> fleet;  // empty: a one-node cluster owning every slot
  bool appendonly = true;
  engine::aof::FsyncPolicy appendfsync = engine::aof::FsyncPolicy::kEverysec;
  RewriteOptions rewrite;
};

// The ShardWiringOptions fields of a shard's config (dir made absolute by the caller).
ShardWiringOptions WiringFromConfig(const config::ShardConfig& cfg, std::string dir);

class ShardWiring {
 public:
  // Creates the data dir, opens the cluster view (nodes.conf wins over the fleet, as in Redis),
  // builds the check, the registry and the persistence, and points `options` at them
  // (cluster_check, registry, aof, node_id, dir, appendonly, appendfsync). Any thread. Error: the
  // directory cannot be created, or ClusterState::Open's error.
  static Result<std::unique_ptr<ShardWiring>> Create(const ShardWiringOptions& wiring,
                                                     ShardOptions* options);

  // Calls Detach() if the caller did not.
  ~ShardWiring();
  ShardWiring(const ShardWiring&) = delete;
  ShardWiring& operator=(const ShardWiring&) = delete;

  // On the shard's thread, after Shard::Start() and before the loop serves: attaches the view
  // and the keyspace to each other, replays the AOF (Persistence::Load) and, for a lone node
  // configured with port 0, announces the bound port. Error: the AOF could not be loaded (the
  // message names the file and offset) or the view could not be saved.
  Status Attach(Shard& shard);

  // On the shard's thread, before the shard is destroyed: undoes Attach (the keyspace is not
  // touched afterwards; a running rewrite is abandoned). Idempotent.
  void Detach();

  // Replaces the address of every node of the view whose id is in `nodes` (the embedded fleet's
  // OS-picked ports, known only once every shard listens) and saves the view. On the shard's
  // thread. Error: the new addresses clash, or the save failed.
  Status UpdateAddresses(std::span<const cluster::FleetNode> nodes);

  ClusterState& cluster_state() { return *state_; }
  // Null with appendonly off.
  Persistence* persistence() { return persistence_.get(); }

 private:
  ShardWiring() = default;

  bool announce_port_ = false;  // a lone node started on port 0
  std::unique_ptr<ClusterState> state_;
  std::unique_ptr<ClusterCheckImpl> check_;
  std::unique_ptr<HandlerRegistry> registry_;
  std::unique_ptr<Persistence> persistence_;
  const engine::Keyspace* attached_ = nullptr;
};

}  // namespace slotproxy::server

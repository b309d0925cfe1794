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
#include "metrics/shard_metrics.h"
#include "net/event_loop.h"
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
  // The metrics add process_* families (the standalone shard binary; not embedded shards, whose
  // process is the proxy's).
  bool process_metrics = false;
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
  // and the keyspace to each other, replays the AOF (Persistence::Load), for a lone node
  // configured with port 0 announces the bound port, and starts the shard's metrics
  // (labelled shard="host:port" with the bound port; the dispatcher records commands through
  // Shard::metrics(), a 1 s timer samples keys per slot range, memory, AOF size and rewrites,
  // the AOF writer reports each fsync). Error: the AOF could not be loaded (the message names
  // the file and offset) or the view could not be saved.
  Status Attach(Shard& shard);

  // On the shard's thread, before the shard is destroyed: undoes Attach (the keyspace is not
  // touched afterwards; a running rewrite is abandoned; the metrics stop moving but stay
  // readable until this object is destroyed). Idempotent.
  void Detach();

  // Replaces the address of every node of the view whose id is in `nodes` (the embedded fleet's
  // OS-picked ports, known only once every shard listens) and saves the view. On the shard's
  // thread. Error: the new addresses clash, or the save failed.
  Status UpdateAddresses(std::span<const cluster::FleetNode> nodes);

  ClusterState& cluster_state() { return *state_; }
  // Null with appendonly off.
  Persistence* persistence() { return persistence_.get(); }
  // Null until Attach succeeded far enough to know the port. Its collectable may be scraped
  // from any thread while this object lives.
  metrics::ShardMetrics* metrics() { return metrics_.get(); }

  // On the shard's thread, after Attach: stores into the metrics what they cannot see by
  // themselves (keys per slot range, memory, AOF size, finished rewrites) and makes the
  // current AOF writer report its fsyncs. A 1 s timer calls it; tests call it to sample now.
  // No-op before Attach or after Detach.
  void SampleMetrics();

 private:
  ShardWiring() = default;
  void StartMetrics(Shard& shard);

  bool announce_port_ = false;  // a lone node started on port 0
  bool process_metrics_ = false;
  // Declared before persistence_: the AOF writer's fsync observer points at it.
  std::unique_ptr<metrics::ShardMetrics> metrics_;
  std::unique_ptr<net::Timer> metrics_timer_;
  Shard* shard_ = nullptr;                                   // set by Attach
  const engine::aof::AofWriter* observed_writer_ = nullptr;  // the writer we observe
  uint64_t rewrites_seen_ = 0;  // rewrites already counted into the metrics
  std::unique_ptr<ClusterState> state_;
  std::unique_ptr<ClusterCheckImpl> check_;
  std::unique_ptr<HandlerRegistry> registry_;
  std::unique_ptr<Persistence> persistence_;
  const engine::Keyspace* attached_ = nullptr;
};

}  // namespace slotproxy::server

// EmbeddedShards: the in-process API the proxy's embedded mode uses: N shards, each on its own
// thread and event loop, listening on loopback, reached by the proxy over TCP like remote nodes.
// StartEmbeddedFleet builds and starts them from the proxy's fleet config.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "cluster/fleet.h"
#include "config/config.h"
#include "net/worker_thread.h"
#include "prometheus/collectable.h"
#include "server/aof_rewrite_driver.h"
#include "server/shard.h"
#include "server/shard_wiring.h"

namespace slotproxy::server {

// One shard to start. `options.port` 0 lets the OS pick; `options.node_id` empty gets a random
// 40-hex-digit id. Objects the options point at (cluster check, AOF sink, registry) must outlive
// the shard and are used only from its thread once started.
struct EmbeddedShardSpec {
  ShardOptions options;
  // Runs on the shard's thread after it listens and before it serves (e.g. AOF replay through
  // Shard::Replay). An error stops the start-up.
  std::function<Status(Shard&)> on_start;
  // Runs on the shard's thread before the shard is destroyed, whenever on_start ran (even if it
  // failed): undoes what on_start attached. Both closures are destroyed on the shard's thread
  // after the shard, so objects they own (the options' targets) outlive it.
  std::function<void(Shard&)> on_stop;
};

struct EmbeddedFleetOptions;

class EmbeddedShards {
 public:
  // Starts every shard and waits until each listens (or failed). Error: the first failure
  // ("shard 1: bind 127.0.0.1:7001: Address already in use"); shards already started are
  // stopped again.
  static Result<std::unique_ptr<EmbeddedShards>> Start(std::vector<EmbeddedShardSpec> specs);

  // Stop().
  ~EmbeddedShards();
  EmbeddedShards(const EmbeddedShards&) = delete;
  EmbeddedShards& operator=(const EmbeddedShards&) = delete;

  // Stops every shard (clients closed, listeners gone) and joins the threads. Idempotent. Call
  // from any thread but a shard's own.
  void Stop();

  // Runs fn(shard `index`) on that shard's thread and returns its result once it ran. Only while
  // the shards run (after Start, before Stop), from any thread but a shard's own.
  Status RunOn(size_t index, std::function<Status(Shard&)> fn);

  size_t size() const { return ports_.size(); }
  // The bound ports and node ids, in spec order.
  const std::vector<uint16_t>& ports() const { return ports_; }
  const std::vector<std::string>& node_ids() const { return node_ids_; }
  // Each shard's metrics (ShardMetrics::collectable(), labelled shard="host:port"), in spec
  // order, for the proxy's /metrics (metrics::MergeCollectables). Filled by StartEmbeddedFleet;
  // empty for shards started from bare specs. They read the shards' state: stop scraping them
  // before Stop().
  const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables() const {
    return collectables_;
  }

 private:
  EmbeddedShards() = default;

  std::vector<std::unique_ptr<net::WorkerThread>> threads_;
  std::vector<Shard*> shards_;  // set by each shard's thread before it reports ready
  std::vector<uint16_t> ports_;
  std::vector<std::string> node_ids_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  friend Result<std::unique_ptr<EmbeddedShards>> StartEmbeddedFleet(
      const EmbeddedFleetOptions& options, std::vector<cluster::FleetNode>* nodes);
};

// A random Redis-style node id: 40 lowercase hex digits.
std::string RandomNodeId();

// The proxy's embedded fleet, wired like standalone shards (ShardWiring: the fleet's cluster
// view kept in each data dir, MOVED between the shards, CLUSTER and BGREWRITEAOF commands, the
// append-only file with replay, fsync policy and background rewrite).
struct EmbeddedFleetOptions {
  // config::EmbeddedFleet(): port 0 lets the OS pick; an empty id becomes
  // cluster::NodeIdFromSeed(id_seed + ":" + index), stable across restarts.
  std::vector<config::FleetNode> fleet;
  std::vector<std::string> dirs;  // one data dir per node (config::ShardDataDir)
  bool appendonly = true;
  config::AppendFsync appendfsync = config::AppendFsync::kEverysec;
  RewriteOptions rewrite;
  std::string id_seed = "slotproxy-embedded";
};

// The spec of fleet node `index` and its wiring (owned by the spec's closures). Nodes on port 0
// get a placeholder port in the views until StartEmbeddedFleet knows the real ones. Error: an
// index out of range, a missing dir, or ShardWiring::Create's error.
Result<EmbeddedShardSpec> FleetShardSpec(const EmbeddedFleetOptions& options, size_t index,
                                         ShardWiring** wiring = nullptr);

// Starts every node of the fleet (FleetShardSpec), then gives every shard's cluster view the
// addresses the shards really got, before anyone is told about them. `*nodes` (optional)
// receives the fleet as it runs: real ids and ports, the configured slots (what the proxy's
// first slot map is built from). Error: as EmbeddedShards::Start, or a view update failed
// (the shards are then stopped).
Result<std::unique_ptr<EmbeddedShards>> StartEmbeddedFleet(
    const EmbeddedFleetOptions& options, std::vector<cluster::FleetNode>* nodes = nullptr);

}  // namespace slotproxy::server

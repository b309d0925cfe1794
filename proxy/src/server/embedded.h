// EmbeddedShards: the in-process API the proxy's embedded mode uses: N shards, each on its own
// thread and event loop, listening on loopback, reached by the proxy over TCP like remote nodes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/worker_thread.h"
#include "server/shard.h"

namespace slotproxy::server {

// One shard to start. `options.port` 0 lets the OS pick; `options.node_id` empty gets a random
// 40-hex-digit id. Objects the options point at (cluster check, AOF sink, registry) must outlive
// the shard and are used only from its thread once started.
struct EmbeddedShardSpec {
  ShardOptions options;
  // Runs on the shard's thread after it listens and before it serves (e.g. AOF replay through
  // Shard::Replay). An error stops the start-up.
  std::function<Status(Shard&)> on_start;
};

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

  size_t size() const { return ports_.size(); }
  // The bound ports and node ids, in spec order.
  const std::vector<uint16_t>& ports() const { return ports_; }
  const std::vector<std::string>& node_ids() const { return node_ids_; }

 private:
  EmbeddedShards() = default;

  std::vector<std::unique_ptr<net::WorkerThread>> threads_;
  std::vector<uint16_t> ports_;
  std::vector<std::string> node_ids_;
};

// A random Redis-style node id: 40 lowercase hex digits.
std::string RandomNodeId();

}  // namespace slotproxy::server

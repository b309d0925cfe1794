// Shard: one shard server on one event loop: the listener, its clients, the keyspace and the
// shard-wide state commands share (WATCH table, Pub/Sub, blocked clients, statistics).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/keyspace.h"
#include "metrics/shard_metrics.h"
#include "net/event_loop.h"
#include "net/tcp_listener.h"
#include "server/aof_sink.h"
#include "server/blocking.h"
#include "server/cluster_check.h"
#include "server/dispatch.h"
#include "server/handler_registry.h"
#include "server/multi.h"
#include "server/pubsub.h"

namespace slotproxy::server {

class Client;

struct ShardOptions {
  std::string bind = "127.0.0.1";
  uint16_t port = 0;        // 0: the OS picks (see Shard::Port)
  std::string requirepass;  // empty: no AUTH needed
  int maxclients = 10000;
  // Back-pressure: past this much unsent output a client's further commands wait (reading
  // pauses) until it drains.
  size_t output_high_water = size_t{1} << 20;
  // Past this much unsent output a client is closed (a reply it cannot take).
  size_t output_hard_limit = size_t{512} << 20;
  // Redis's client-output-buffer-limit pubsub hard limit.
  size_t pubsub_hard_limit = size_t{32} << 20;
  // Active expiry: a cycle every expire_interval_ms sampling at most expire_max_work keys.
  uint64_t expire_interval_ms = 100;
  size_t expire_max_work = 200;
  // busy-reply-threshold (alias lua-time-limit): a script running longer serves the other
  // clients from inside itself (they get -BUSY) and can be stopped with SCRIPT KILL.
  int64_t busy_reply_threshold_ms = 5000;
  // What INFO and CONFIG GET report (the AOF itself is wired through `aof`).
  std::string dir = ".";
  bool appendonly = false;
  std::string appendfsync = "everysec";
  std::string config_file;
  std::string node_id;  // this node's cluster id (40 hex digits)
  // Not owned; null: a one-node cluster owning every slot (OwnAllSlotsCheck).
  ClusterCheck* cluster_check = nullptr;
  // Not owned; null: writes are not logged.
  AofSink* aof = nullptr;
  // Not owned; null: HandlerRegistry::Default().
  const HandlerRegistry* registry = nullptr;
  // Not owned; null: no per-command metrics (ShardWiring::Attach sets one with set_metrics).
  metrics::ShardMetrics* metrics = nullptr;
};

// INFO stats counters.
struct ShardStats {
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t commands_processed = 0;
  uint64_t error_replies = 0;
  uint64_t dirty = 0;  // writes since start (rdb_changes_since_last_save)
};

// Loop-thread-only: create, Start, use and destroy it on the loop's thread.
class Shard {
 public:
  Shard(net::EventLoop& loop, ShardOptions options);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Listens on bind:port and starts the active expiry timer. Error: the listener's ("bind
  // 127.0.0.1:6379: Address already in use").
  Status Start();
  // Stops accepting and closes every client at once. Idempotent; the destructor calls it.
  void Stop();
  // The bound port (after Start).
  uint16_t Port() const;

  // Runs one command from the append-only file against the keyspace: no client, no reply, no
  // propagation. Error: the command is unknown, has the wrong arity, or replied an error (the
  // error text).
  Status Replay(std::span<const std::string_view> args);

  net::EventLoop& loop() { return loop_; }
  engine::Keyspace& db() { return db_; }
  const ShardOptions& options() const { return options_; }
  const HandlerRegistry& registry() const { return *registry_; }
  ClusterCheck& cluster_check() { return *cluster_check_; }
  Dispatcher& dispatcher() { return dispatcher_; }
  WatchTable& watches() { return watches_; }
  PubSub& pubsub() { return pubsub_; }
  BlockingRegistry& blocking() { return blocking_; }
  ShardStats& stats() { return stats_; }
  int64_t start_ms() const { return start_ms_; }
  bool requires_auth() const { return !options_.requirepass.empty(); }
  // Where the dispatcher records each command's time (null: nowhere). Not owned; set before the
  // loop serves and cleared before the target goes away.
  metrics::ShardMetrics* metrics() const { return options_.metrics; }
  void set_metrics(metrics::ShardMetrics* metrics) { options_.metrics = metrics; }

  // Clients by id (ascending: connection order, as CLIENT LIST prints them).
  const std::map<uint64_t, std::unique_ptr<Client>>& clients() const { return clients_; }
  Client* FindClient(uint64_t id);
  size_t BlockedClientCount() const { return blocked_count_; }

  // Logs a write to the AOF sink (if any).
  void Propagate(std::span<const std::string_view> args);

  // Parks `client` on its blocked_ command's keys until one is ready or the deadline passes.
  void BlockClient(Client& client);
  // Releases a blocked client (no reply); its pipelined input is run before the loop sleeps.
  void UnblockClient(Client& client);
  // Re-runs the commands of clients blocked on keys signalled ready, oldest first, until no
  // key is ready; each served client's further input is run before the loop sleeps.
  void ServeReadyKeys();

  // Called from inside a script of `caller` that ran past busy-reply-threshold (Redis's
  // processEventsWhileBlocked): serves the loop's ready events once without waiting. Meanwhile
  // other clients get -BUSY except for allow-busy commands (SCRIPT KILL...), `caller` reads but
  // runs nothing and is not destroyed if it disconnects, and active expiry pauses. Does not
  // serve when the script runs inside the loop's before-sleep phase (not re-entrant).
  void ServeWhileScriptBusy(Client& caller);
  // After the script of `caller` returned: ends the busy state it may have started.
  void EndScriptBusy(Client& caller);
  // True while a script runs past the threshold.
  bool script_busy() const { return script_caller_ != 0; }

  // Called by a client's close callback: drops every trace of it and destroys it.
  void OnClientClosed(uint64_t id);

  // Wall-clock milliseconds since the epoch.
  static int64_t WallMs();

 private:
  void OnAccept(std::unique_ptr<net::TcpConnection> conn);
  void OnBlockTimeout(uint64_t id);
  void RunUnblocked();

  net::EventLoop& loop_;
  ShardOptions options_;
  engine::Keyspace db_;
  const HandlerRegistry* registry_;
  OwnAllSlotsCheck own_all_slots_;
  ClusterCheck* cluster_check_;
  Dispatcher dispatcher_;
  WatchTable watches_;
  PubSub pubsub_;
  BlockingRegistry blocking_;
  ShardStats stats_;
  std::unique_ptr<net::TcpListener> listener_;
  std::unique_ptr<net::Timer> expire_timer_;
  std::map<uint64_t, std::unique_ptr<Client>> clients_;
  std::vector<uint64_t> unblocked_;  // clients whose input waits for the before-sleep phase
  net::EventLoop::HookId hook_ = 0;
  bool hook_set_ = false;
  uint64_t next_client_id_ = 1;
  size_t blocked_count_ = 0;
  uint64_t script_caller_ = 0;  // the client whose script is busy; 0: none
  bool caller_paused_ = false;  // ServeWhileScriptBusy paused the caller's reading
  uint64_t closed_caller_ = 0;  // that client closed while busy: destroyed before next sleep
  int64_t start_ms_;
  bool serving_ = false;
};

}  // namespace slotproxy::server

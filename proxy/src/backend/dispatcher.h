// Dispatcher: a worker's backend side. It owns the worker's connection pools (one pool of
// pipelined connections per node), routes each request by its slot through the current slot
// map snapshot, follows -MOVED / -ASK / -TRYAGAIN on the owner's behalf, enforces the
// per-request timeout, and hands each owner only the final reply. One per worker loop; nothing
// here is shared between threads except the SlotMapHolder.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "backend/backend_board.h"
#include "backend/backend_connection.h"
#include "backend/backend_request.h"
#include "backend/refresh_trigger.h"
#include "cluster/slot_map.h"
#include "metrics/worker_stats.h"
#include "net/event_loop.h"

namespace slotproxy::backend {

struct DispatcherOptions {
  ConnectionSettings connection;
  int connections_per_node = 1;
  uint64_t op_timeout_ms = 1000;  // sent → reply; 0: no timeout
  int max_redirects = 5;          // MOVED + ASK hops per request
  int max_tryagain = 10;          // TRYAGAIN retries; past it the TRYAGAIN is passed through
  uint64_t tryagain_delay_ms = 25;
};

// Counters for tests and metrics.
struct DispatcherStats {
  uint64_t moved = 0;
  uint64_t ask = 0;
  uint64_t tryagain = 0;
  uint64_t timeouts = 0;
  uint64_t failures = 0;
  uint64_t refresh_requests = 0;
  uint64_t connects_ok = 0;
  uint64_t connects_failed = 0;
};

class Dispatcher final : private ConnectionEvents {
 public:
  // `holder` must outlive the dispatcher. Loop-thread-only from here on.
  Dispatcher(net::EventLoop& loop, cluster::SlotMapHolder& holder, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Called (on this loop) when the topology should be re-read: after a MOVED, a CLUSTERDOWN,
  // or a lost backend connection. The callee rate-limits.
  void SetRefreshCallback(std::function<void()> cb);
  // As SetRefreshCallback, told why (moved, connection_lost, clusterdown), so the topology
  // manager can count refreshes by trigger.
  void SetRefreshTriggerCallback(std::function<void(RefreshTrigger)> cb) {
    refresh_ = std::move(cb);
  }

  // Where this worker's backend figures go (round trips, redirections, TRYAGAIN, connects,
  // timeouts); null (the default): not counted. Must outlive the dispatcher.
  void SetStats(metrics::WorkerStats* stats) { metrics_ = stats; }
  // The process-wide board (open connections per node, node down / up log lines); null: none.
  // Joins it at once. Must outlive the dispatcher.
  void SetBoard(BackendBoard* board);

  // SIGHUP: the op timeout (0: none) applies to requests in flight from the next sweep; the
  // connect timeout to every later connect of the pools and of new dedicated connections.
  void SetOpTimeout(uint64_t ms);
  void SetConnectTimeout(uint64_t ms);

  // The current slot map, loaded once per loop turn (nullptr before discovery).
  const cluster::SlotMapPtr& Map();

  // Sends `request` to the owner of request->slot (has_slot) or to request->target. The
  // owner's OnBackendReply / OnBackendError runs later, never inside Send... except for
  // immediate failures (no topology, slot not served, node down), which run before Send
  // returns. Owners must tolerate that.
  void Send(RequestPtr request);

  // The masters of the current map that own at least one slot, in node-table order (empty
  // before discovery). Pointers are valid while Map() is unchanged (this loop turn).
  std::vector<const cluster::Node*> Masters();

  // A new connection to host:port that belongs to the caller alone (MULTI, blocking commands,
  // pub/sub): its events go to `events`, it follows no redirect and has no op timeout. It
  // speaks RESP3 when `resp3`; `unmatched_frames` as ConnectionSettings (pub/sub).
  std::unique_ptr<BackendConnection> OpenDedicated(const std::string& host, uint16_t port,
                                                   ConnectionEvents* events, bool resp3 = false,
                                                   bool unmatched_frames = false);

  // The owner of `slot` in the current map as host and port. False when there is no map or
  // the slot is not served (a topology refresh is requested then).
  bool OwnerOf(uint16_t slot, std::string* host, uint16_t* port);

  // Asks for a topology refresh (rate-limited by the callee), e.g. after a MOVED seen on a
  // dedicated connection.
  void RequestRefresh() { AskRefresh(RefreshTrigger::kMoved); }

  RequestPool& pool() { return pool_; }
  const DispatcherStats& stats() const { return stats_; }
  size_t ConnectionCount() const;
  net::EventLoop& loop() { return loop_; }

 private:
  // RESP2 connections, and RESP3 ones made on first use by a RESP3 client.
  struct NodePool {
    std::string host;
    uint16_t port = 0;
    std::vector<std::unique_ptr<BackendConnection>> conns;
    std::vector<std::unique_ptr<BackendConnection>> conns3;
  };
  struct Retry {
    uint64_t due_ms;
    RequestPtr request;
  };

  void OnReply(BackendConnection& conn, RequestPtr request, std::string_view raw,
               const resp::ReplyInfo& info) override;
  void OnFailed(BackendConnection& conn, RequestPtr request, std::string_view message) override;
  void OnConnectionLost(BackendConnection& conn) override;
  void OnConnectResult(BackendConnection& conn, bool ok) override;
  // Publishes this worker's open connections per node to the board.
  void PublishConnections();

  NodePool& PoolFor(const std::string& host, uint16_t port);
  NodePool* PoolForIndex(const cluster::SlotMap& map, cluster::NodeIndex index);
  BackendConnection& ConnectionFor(NodePool& pool, const BackendRequest& request);
  void Redirect(BackendConnection& conn, RequestPtr request, std::string_view raw,
                const resp::ReplyInfo& info);
  void Deliver(RequestPtr request, std::string_view raw, const resp::ReplyInfo& info);
  void Error(RequestPtr request, std::string_view message);
  void ScheduleRetry(RequestPtr request);
  void RunRetries();
  void CheckTimeouts();
  void AskRefresh(RefreshTrigger trigger);

  net::EventLoop& loop_;
  cluster::SlotMapHolder& holder_;
  DispatcherOptions options_;
  ConnectionSettings settings3_;  // options_.connection with resp3 set
  std::function<void(RefreshTrigger)> refresh_;
  metrics::WorkerStats* metrics_ = nullptr;
  BackendBoard* board_ = nullptr;
  size_t board_slot_ = SIZE_MAX;
  RequestPool pool_;
  DispatcherStats stats_;

  cluster::SlotMapPtr map_;  // this turn's snapshot
  bool map_loaded_ = false;
  net::EventLoop::HookId hook_ = 0;
  // Pools by "host:port", and a per-snapshot cache by node index (rebuilt when the map changes).
  absl::flat_hash_map<std::string, std::unique_ptr<NodePool>> pools_;
  cluster::SlotMapPtr index_map_;
  std::vector<NodePool*> by_index_;

  std::deque<Retry> retries_;  // due times ascending (constant delay)
  std::unique_ptr<net::Timer> retry_timer_;
  std::unique_ptr<net::Timer> timeout_timer_;
};

}  // namespace slotproxy::backend

// ProxyServer: the whole data path of one proxy process: `workers` threads, each a Worker
// (listener on the shared port, sessions, backend pools), plus the TopologyManager on worker
// 0's loop that publishes the slot map every worker reads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "backend/topology_manager.h"
#include "base/status.h"
#include "cluster/slot_map.h"
#include "command/command_table.h"
#include "log/event_log.h"
#include "metrics/worker_stats.h"
#include "net/worker_thread.h"
#include "session/worker.h"

namespace slotproxy::session {

struct ProxyServerOptions {
  WorkerOptions worker;  // worker.listen.port 0: the OS picks (read it back with port())
  int workers = 1;
  backend::TopologyOptions topology;
  // When set, this map is published once and no discovery runs (embedded shards, whose layout
  // the proxy itself decided).
  cluster::SlotMapPtr static_map;
  uint64_t first_topology_timeout_ms = 10000;
  std::string proxy_version = "0.1.0";
  std::string config_file;
  // Events (topology changes, client limit hit); default: nothing is logged.
  log::EventLog log;
  // One per worker (index = worker number), owned by the caller; empty: no request figures.
  std::vector<metrics::WorkerStats*> stats;
  // Runs on worker i's loop once a second (the metrics liveness heartbeat); may be null.
  std::function<void(size_t worker)> heartbeat;
  // Fills INFO commandstats / latencystats (ProxyInfoInput::commandstats, latencystats) from
  // every worker's figures, when in->want_command_stats; may be null (the sections stay empty).
  // Runs on a worker's loop.
  std::function<void(ProxyInfoInput*)> command_stats;
};

class ProxyServer {
 public:
  // `table` must be frozen and outlive the server.
  ProxyServer(const command::CommandTable& table, ProxyServerOptions options);
  // The frozen command table the sessions route by (what an AccessTable is built against).
  const command::CommandTable& table() const { return table_; }
  // Stop().
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Starts the workers and the topology discovery; returns once every worker listens. Error:
  // the listener's ("bind 127.0.0.1:7000: Address already in use"); nothing keeps running then.
  // The first topology is awaited up to first_topology_timeout_ms: when it does not come, the
  // proxy serves anyway (keyed commands answer CLUSTERDOWN) and *topology_status says why.
  Status Start(Status* topology_status = nullptr);

  // Stops every worker (clients and backend connections are closed) and joins the threads.
  // Idempotent.
  void Stop();

  // Any thread. The first step of a graceful stop (SIGTERM): every worker closes its listener
  // and starts reporting how many requests it still owes. Requests from clients already
  // connected keep being served. Returns at once; poll Drained().
  void BeginDrain();
  // Any thread. True once, after BeginDrain(), every worker has reported owing no reply.
  bool Drained() const;
  // Requests owed over all workers as last reported after BeginDrain() (for the log line).
  size_t DrainBusy() const;

  // Any thread. Applies reloaded settings on every worker (posted to each loop; returns at
  // once, the workers apply them within a loop turn). Connections stay open.
  void ApplyLive(const LiveSettings& settings);
  // Any thread, for tests and logs: the settings last passed to ApplyLive (or the start ones).
  LiveSettings live() const;

  // Gauges for /metrics and probes (any thread; the per-worker figures are refreshed by each
  // worker once a second).
  size_t PendingRequests() const;
  // The current slot map's version (0 before the first one) and seconds since it was
  // published (0 before the first one; measured by worker 0 within 200 ms).
  uint64_t SlotMapVersion() const;
  double SlotMapAgeSeconds() const;
  // Slots owned by each node of the current map, as ("host:port", count).
  std::vector<std::pair<std::string, double>> SlotsPerNode() const;
  // "" when ready for traffic (listening, not draining, a topology serving every slot), else
  // why not (the /readyz body).
  std::string ReadinessProblem() const;

  int workers() const { return options_.workers; }
  uint16_t port() const { return port_; }
  cluster::SlotMapHolder& holder() { return holder_; }
  int ConnectedClients() const { return shared_.clients.load(std::memory_order_relaxed); }

 private:
  void FillInfo(ProxyInfoInput* input) const;
  // Worker 0's loop: logs each new slot map (version, masters, coverage, nodes added/gone).
  void WatchTopology(net::EventLoop& loop);
  void LogTopology(const cluster::SlotMapPtr& previous, const cluster::SlotMap& map) const;

  const command::CommandTable& table_;
  ProxyServerOptions options_;
  cluster::SlotMapHolder holder_;
  WorkerShared shared_;
  std::vector<std::unique_ptr<net::WorkerThread>> threads_;
  // workers_[i] is set by thread i before its loop runs and only used from closures posted to
  // that loop; busy_[i] is what worker i owes while draining (SIZE_MAX: not reported yet).
  std::vector<Worker*> workers_;
  std::unique_ptr<std::atomic<size_t>[]> busy_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> listening_{false};
  std::unique_ptr<std::atomic<size_t>[]> pending_;  // per worker, refreshed each second
  std::atomic<int64_t> map_published_ns_{0};        // steady clock; 0: no map yet
  mutable std::mutex live_mu_;
  LiveSettings live_;                           // guarded by live_mu_
  std::unique_ptr<net::Timer> topology_timer_;  // worker 0's loop
  cluster::SlotMapPtr logged_map_;              // worker 0's loop
  std::atomic<backend::TopologyManager*> topology_{nullptr};
  uint16_t port_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace slotproxy::session

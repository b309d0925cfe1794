// ProxyMetrics: everything the proxy exports, created once by the process (never a global) and
// handed out piecewise: each worker gets its LoopStats (as a WorkerStats), the sessions get the
// SlowLog and Snapshot() for INFO, the exposer gets collectable() and registry().
//
// At scrape time the Collectable folds every worker's LoopStats into MetricFamily values (sums
// of counters and bucket counts), adds the gauges the process feeds through callbacks, and the
// standard process metrics. Names and labels: the table in README.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/loop_stats.h"
#include "metrics/slowlog.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace slotproxy::metrics {

// One labelled value a callback reports (e.g. backend connections of node "10.0.0.1:6379").
struct LabeledValue {
  std::string label;
  double value = 0;
};

// Callbacks run on the scrape thread (and Snapshot's caller): they must be thread-safe and
// cheap (read atomics or a snapshot pointer; never block on a loop).
using ScalarSource = std::function<double()>;
using LabeledSource = std::function<std::vector<LabeledValue>()>;

// The label values of slotproxy_topology_refreshes_total and slotproxy_config_reloads_total
// that are always exported (0 until counted), so dashboards see every series from the start.
inline constexpr std::string_view kRefreshTriggers[] = {"moved", "periodic", "connection_lost",
                                                        "clusterdown", "startup"};
inline constexpr std::string_view kReloadResults[] = {"ok", "failed"};

class ProxyMetrics {
 public:
  struct Options {
    size_t workers = 1;
    size_t max_commands = 1024;  // CountCommandRows(table) of the frozen table
    size_t max_nodes = 1024;     // per-node label bound, then "other"
    size_t slowlog_max_len = 128;
    int64_t slowlog_threshold_us = 10000;
  };

  explicit ProxyMetrics(const Options& options);
  ~ProxyMetrics();
  ProxyMetrics(const ProxyMetrics&) = delete;
  ProxyMetrics& operator=(const ProxyMetrics&) = delete;

  size_t workers() const { return loops_.size(); }
  // Worker `i`'s stats (i < workers()); for that worker's loop thread only.
  LoopStats& worker(size_t i) { return *loops_[i]; }
  // The proxy-wide SLOWLOG store, shared by all workers' LoopStats.
  SlowLog& slowlog() { return slowlog_; }

  // Every worker folded together, since start (what Prometheus gets). Any thread.
  StatsSnapshot Snapshot() const;
  // The same minus the figures at the last ResetInfoStats(): what INFO commandstats /
  // latencystats show (Redis's CONFIG RESETSTAT), while the exported counters keep counting.
  StatsSnapshot InfoSnapshot() const;
  void ResetInfoStats();

  // Liveness for /healthz: "" when every worker's loop called Heartbeat() within `max_age_ms`,
  // else which worker is stalled and for how long.
  std::string LivenessProblem(uint64_t max_age_ms) const;

  // Wiring-time sources of gauges and externally counted counters. Setting one again replaces
  // it; an unset scalar exports 0, an unset labelled source exports no sample (the fixed label
  // sets above export 0 for every missing value).
  void SetClientConnections(ScalarSource fn);
  void SetPendingRequests(ScalarSource fn);
  void SetSlotMapVersion(ScalarSource fn);
  void SetSlotMapAgeSeconds(ScalarSource fn);
  void SetBackendConnections(LabeledSource fn);  // label: node
  void SetSlotsPerNode(LabeledSource fn);        // label: node
  void SetTopologyRefreshes(LabeledSource fn);   // label: trigger (kRefreshTriggers), counter
  void SetConfigReloads(LabeledSource fn);       // label: result (kReloadResults), counter

  // The custom Collectable (worker figures, callback gauges, process metrics) for the
  // exposer; it refers to this object, which must outlive every scrape.
  std::shared_ptr<prometheus::Collectable> collectable() const { return collectable_; }
  // A plain registry served beside it, for families made with prometheus-cpp's builders.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // What collectable() returns, callable directly (tests, the INFO path).
  std::vector<prometheus::MetricFamily> Collect() const;

 private:
  struct Sources {
    ScalarSource clients, pending, slot_map_version, slot_map_age;
    LabeledSource backend_connections, slots, refreshes, reloads;
  };
  void CollectCommands(const StatsSnapshot& snap, std::vector<prometheus::MetricFamily>* out) const;
  void CollectNodes(const StatsSnapshot& snap, std::vector<prometheus::MetricFamily>* out) const;
  void CollectCounters(const StatsSnapshot& snap, std::vector<prometheus::MetricFamily>* out) const;
  void CollectSources(std::vector<prometheus::MetricFamily>* out) const;

  SlowLog slowlog_;
  mutable std::mutex info_base_mu_;
  StatsSnapshot info_base_;
  std::vector<std::unique_ptr<LoopStats>> loops_;
  mutable std::mutex sources_mu_;
  Sources sources_;
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace slotproxy::metrics

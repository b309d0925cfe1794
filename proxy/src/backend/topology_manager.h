// TopologyManager: discovers the cluster layout with CLUSTER SLOTS and publishes it as immutable
// cluster::SlotMap snapshots through a cluster::SlotMapHolder that every worker reads.
//
// It lives on one loop (e.g. worker 0's). Each refresh asks one node at a time over a
// ControlConnection: first the masters of the current map (rotating, so a dead node is not
// always asked first), then their replicas, then the configured seeds; the first valid reply
// that serves at least one slot wins. A reply identical to the current map (DiffSlotMaps) is
// not published. Refreshes happen at start, periodically, and on request (MOVED, a lost
// backend connection, CLUSTERDOWN), at most one at a time and not more often than
// min_refresh_interval_ms; requests meanwhile coalesce into one follow-up refresh.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "backend/refresh_trigger.h"
#include "base/status.h"
#include "cluster/slot_map.h"
#include "net/event_loop.h"

namespace slotproxy::backend {

struct SeedAddress {
  std::string host;  // IP literal, "localhost", or a name (resolved by the constructor)
  uint16_t port = 0;
};

// The process's handle on a running TopologyManager, owned by whoever builds the options (the
// manager itself may be created and destroyed on a worker thread): refreshes counted by
// trigger for /metrics, and the refresh interval changed live (SIGHUP). Thread-safe.
class TopologyControl {
 public:
  // Refreshes started for `trigger` so far (retries after a failure count again).
  uint64_t refreshes(RefreshTrigger trigger) const {
    return counts_[static_cast<size_t>(trigger)].load(std::memory_order_relaxed);
  }
  // Any thread. The attached manager applies the new periodic interval (0: none) within a
  // loop turn; a manager attached later starts with it.
  void SetRefreshInterval(uint64_t ms);
  // The interval last set (0 before any SetRefreshInterval: the options' value is used).
  uint64_t refresh_interval_ms() const { return interval_ms_.load(std::memory_order_relaxed); }

 private:
  friend class TopologyManager;
  void Count(RefreshTrigger trigger) {
    counts_[static_cast<size_t>(trigger)].fetch_add(1, std::memory_order_relaxed);
  }
  void Attach(std::function<void(uint64_t)> apply);
  void Detach();

  std::array<std::atomic<uint64_t>, kRefreshTriggerCount> counts_{};
  std::atomic<uint64_t> interval_ms_{0};
  std::mutex mu_;
  std::function<void(uint64_t)> apply_;  // guarded by mu_
};

struct TopologyOptions {
  std::vector<SeedAddress> seeds;
  uint64_t refresh_interval_ms = 30000;    // periodic refresh; 0 disables it
  uint64_t min_refresh_interval_ms = 100;  // between the starts of two refreshes
  uint64_t connect_timeout_ms = 1000;
  uint64_t request_timeout_ms = 2000;
  uint64_t retry_interval_ms = 500;  // after a refresh where no node answered
  std::string auth_user;             // backend AUTH, as ControlOptions
  std::string auth_password;
  // Optional (may be null); must outlive the manager.
  TopologyControl* control = nullptr;
};

class TopologyManager {
 public:
  // `loop` and `holder` must outlive the manager. Seeds given by host name are resolved here,
  // blocking on DNS (construct it at start-up, not inside a loop callback). Nothing else
  // happens before Start().
  TopologyManager(net::EventLoop& loop, cluster::SlotMapHolder& holder, TopologyOptions options);
  // Loop thread only. Stops everything; no callback runs afterwards.
  ~TopologyManager();
  TopologyManager(const TopologyManager&) = delete;
  TopologyManager& operator=(const TopologyManager&) = delete;

  // Loop thread only. Starts the first refresh and the periodic timer. `on_first` runs once, on
  // the loop thread: with ok() when the first map was published, or with the last error when
  // `first_timeout_ms` (> 0) passes without one (refreshes keep being retried afterwards, and
  // a later success is still published). May be null.
  void Start(std::function<void(const Status&)> on_first, uint64_t first_timeout_ms = 10000);

  // Any thread, as long as the manager outlives the caller's use of it (stop the workers that
  // call it before destroying it). Asks for a refresh soon (rate-limited and coalesced as
  // described above).
  // `trigger` labels the refresh in TopologyControl's counts (when several requests coalesce,
  // the first one's trigger is counted).
  void RequestRefresh(RefreshTrigger trigger);
  // As above, the trigger guessed from `reason` ("MOVED ..." moved, "...CLUSTERDOWN..."
  // clusterdown, anything else connection_lost); for callers without a trigger.
  void RequestRefresh(std::string_view reason);

  // Counters for INFO and tests (any thread).
  uint64_t refreshes() const { return refreshes_.load(std::memory_order_relaxed); }
  uint64_t refresh_errors() const { return refresh_errors_.load(std::memory_order_relaxed); }
  uint64_t published() const { return published_.load(std::memory_order_relaxed); }
  // The error of the last refresh that failed ("no node answered CLUSTER SLOTS: ..."), empty
  // when none has failed yet; kept after later successes for diagnostics (any thread).
  std::string last_error() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // posted closures hold a weak_ptr to it
  std::atomic<uint64_t> refreshes_{0};
  std::atomic<uint64_t> refresh_errors_{0};
  std::atomic<uint64_t> published_{0};
  mutable std::mutex error_mu_;
  std::string last_error_;  // guarded by error_mu_: INFO reads it from any worker
};

}  // namespace slotproxy::backend

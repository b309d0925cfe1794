// BackendBoard: what the workers' dispatchers tell the rest of the process about backend
// nodes, shared by every worker of one proxy:
//  - open pooled connections per node: each dispatcher publishes an immutable snapshot of its
//    own counts when they change (a connect, a loss), so the metrics scrape thread sums them
//    without touching any loop's data (slotproxy_backend_connections{node});
//  - node down / up: one log line when a node goes down (a connection lost or a connect that
//    failed) and one when a connect to it succeeds again, once per outage for the whole
//    process, however many workers and retries see it.
// Thread-safe. Node events are rare (connects, losses), never per request.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "log/event_log.h"

namespace slotproxy::backend {

class BackendBoard {
 public:
  using Counts = std::vector<std::pair<std::string, int>>;  // ("host:port", open connections)

  // Room for `max_publishers` dispatchers (one per worker); node events go to `log`.
  explicit BackendBoard(size_t max_publishers, log::EventLog log = {});
  BackendBoard(const BackendBoard&) = delete;
  BackendBoard& operator=(const BackendBoard&) = delete;

  // Any thread. A publisher slot for one dispatcher; SIZE_MAX when all are taken (that
  // dispatcher's counts are then not published).
  size_t Join();
  // The slot's owner only. Replaces the slot's counts with `counts`.
  void Publish(size_t slot, Counts counts);
  // Any thread (the scrape): open connections per node summed over the slots, by node name.
  std::vector<std::pair<std::string, double>> Connections() const;

  // Any thread. `node` could not be reached (`why`): logs a warning and returns true when it
  // was not already down; false (nothing logged) while the outage lasts.
  bool MarkDown(std::string_view node, std::string_view why);
  // Any thread. A connect to `node` succeeded: logs a notice and returns true when it was down.
  bool MarkUp(std::string_view node);
  // Any thread. Whether `node` is down as far as the board knows.
  bool IsDown(std::string_view node) const;

 private:
  const size_t max_;
  std::unique_ptr<std::atomic<std::shared_ptr<const Counts>>[]> slots_;
  std::atomic<size_t> joined_{0};
  log::EventLog log_;
  mutable std::mutex mu_;
  absl::flat_hash_set<std::string> down_;  // guarded by mu_
};

}  // namespace slotproxy::backend

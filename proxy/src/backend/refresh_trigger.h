// Why a topology refresh was asked for: the label of slotproxy_topology_refreshes_total.
#pragma once

#include <cstddef>
#include <string_view>

namespace slotproxy::backend {

enum class RefreshTrigger : unsigned char {
  kStartup = 0,     // the first discovery (and its retries until a map is published)
  kPeriodic,        // the refresh interval passed
  kMoved,           // a -MOVED reply
  kConnectionLost,  // a backend connection was lost or could not be made
  kClusterDown,     // a -CLUSTERDOWN reply, or a slot no node serves
};
inline constexpr size_t kRefreshTriggerCount = 5;

// The metric label for `trigger`: "startup", "periodic", "moved", "connection_lost",
// "clusterdown".
constexpr std::string_view RefreshTriggerName(RefreshTrigger trigger) {
  switch (trigger) {
    case RefreshTrigger::kStartup:
      return "startup";
    case RefreshTrigger::kPeriodic:
      return "periodic";
    case RefreshTrigger::kMoved:
      return "moved";
    case RefreshTrigger::kConnectionLost:
      return "connection_lost";
    case RefreshTrigger::kClusterDown:
      return "clusterdown";
  }
  return "unknown";
}

}  // namespace slotproxy::backend

// CLUSTER NODES text (clusterGenNodeDescription in Redis 7.0), generated from a SlotMap plus the
// per-node runtime facts a snapshot does not hold (bus port, epoch, ping/pong times, link).
// redis-cli --cluster check, Lettuce and hiredis-cluster parse this text: it is byte-exact.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "cluster/slot_map.h"

namespace slotproxy::cluster {

// What one node's line needs beyond its Node entry.
struct NodeRuntime {
  uint16_t bus_port = 0;          // 0: port + 10000, Redis's default cluster bus port
  uint64_t config_epoch = 0;      // a master's configEpoch (replica lines show their master's)
  uint64_t ping_sent_ms = 0;      // unix ms of the unanswered ping, 0 when none
  uint64_t pong_received_ms = 0;  // unix ms of the last pong
  bool connected = true;          // the link state; myself is always "connected"
};

// The CLUSTER NODES text for `map`, one line per node in node-table order, each ending in "\n":
//   <id> <ip>:<port>@<cport>[,<hostname>] <flags> <master id|-> <ping> <pong> <epoch> <link>
//   [<slot>|<start>-<end> ...]
// flags are "myself," (for `myself`), then "master" or "slave", then ",fail" for a node whose
// health is kFail. Only myself's line carries the migration markers "[slot->-<target id>]" and
// "[slot-<-<source id>]" of map.migrations(). `runtime` holds one entry per node (by index); a
// shorter span gives the missing nodes the defaults. `myself` may be kNoNode (no "myself" line).
std::string ClusterNodesText(const SlotMap& map, NodeIndex myself,
                             std::span<const NodeRuntime> runtime);

}  // namespace slotproxy::cluster

// A fleet: the static description of a cluster that we run ourselves (our shard servers), from
// which the shards produce their topology (CLUSTER SLOTS / SHARDS / NODES) and the proxy its
// first slot map. The same shape as the `fleet` section of cluster.yaml.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cluster/slot_map.h"

namespace slotproxy::cluster {

// Length of a Redis Cluster node id (CLUSTER_NAMELEN).
inline constexpr size_t kNodeIdLength = 40;

struct FleetNode {
  std::string id;                // kNodeIdLength lowercase hex characters
  std::string host;              // address the other nodes and the proxy connect to
  uint16_t port = 0;             // client port
  std::vector<SlotRange> slots;  // ranges this master owns; may be empty (config::FleetNode::slots)
};

// Splits the 16384 slots over `masters` nodes exactly as `redis-cli --cluster create` does
// (float slots-per-node with a running cursor and lround, the last node takes the rest): for 3,
// 0-5460, 5461-10922, 10923-16383. Node i gets element i. Error when `masters` is 0 or above
// 16384.
Result<std::vector<SlotRange>> SplitSlotsEvenly(size_t masters);

// A deterministic node id (kNodeIdLength lowercase hex characters) derived from `seed`: the same
// seed always gives the same id, different seeds practically never collide. Lets a fleet keep
// its ids across restarts without storing them.
std::string NodeIdFromSeed(std::string_view seed);

// True when `id` is kNodeIdLength hex characters (either case, as Redis accepts).
bool IsValidNodeId(std::string_view id);

// `ports.size()` masters on `host`, ids NodeIdFromSeed(id_seed + ":" + index), the slots split
// by SplitSlotsEvenly in port order. Error when ports is empty or too long.
Result<std::vector<FleetNode>> MakeEvenFleet(std::string_view host, std::span<const uint16_t> ports,
                                             std::string_view id_seed);

// Checks a fleet: valid unique ids, non-empty hosts, ports 1..65535, unique host:port, valid
// ranges, no slot owned twice. Returns the first problem found, naming the node. Gaps are
// allowed (slots nobody serves answer CLUSTERDOWN); check SlotMap::FullyCovered() if needed.
Status ValidateFleet(std::span<const FleetNode> fleet);

// The slot map a fleet describes (all nodes masters, in fleet order, so node i of the map is
// fleet[i]). Error as ValidateFleet.
Result<SlotMapPtr> SlotMapFromFleet(std::span<const FleetNode> fleet, uint64_t version);

}  // namespace slotproxy::cluster

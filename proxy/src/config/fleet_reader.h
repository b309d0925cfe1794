// Internal to sp_config: reading and checking a fleet description (ids, addresses, slot
// ranges), shared by the proxy's `embedded.fleet` and the shard's `fleet`.
#pragma once

#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace slotproxy::config::internal {

// True when `id` is a Redis-style node id: exactly 40 lower-case hex digits.
bool IsNodeId(std::string_view id);

// Reads the list at `parent[key]` into *out when present, then checks the fleet as a whole:
// duplicate ids, duplicate host:port (ports > 0), overlapping slot ranges and slots that no node
// covers. `min_port` is 0 where the OS may pick a node's port (embedded fleets).
void ReadFleet(const Section& parent, std::string_view key, int min_port,
               std::vector<FleetNode>* out);

// Reads a list of node ids at `parent[key]` (40 hex digits each, no duplicates) into *out.
void ReadNodeIds(const Section& parent, std::string_view key, std::vector<std::string>* out);

}  // namespace slotproxy::config::internal

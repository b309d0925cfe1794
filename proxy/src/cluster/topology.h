// Topology discovery: CLUSTER SLOTS and CLUSTER SHARDS replies (RESP2 or RESP3, already decoded
// into a resp::Value) turned into SlotMap snapshots. Replies come from the network: anything
// malformed is an error Status naming the offending entry, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cluster/slot_map.h"
#include "resp/value.h"

namespace slotproxy::cluster {

// Parses a CLUSTER SLOTS reply: an array of [start, end, master, replica...] ranges, each node
// [endpoint, port, id?, metadata?] (2 elements before Redis 4.0, 3 before 7.0; metadata is a
// RESP2 flat array or a RESP3 map holding "hostname"/"ip"). A NULL or "" endpoint means the node
// that answered: `answering_host` is used with the given port. The result has version
// `version`. Errors: an error reply (its text is kept), a wrong shape or type, a slot out of
// range, a "?" endpoint (hostname mode without a hostname), a port outside 1..65535, a slot
// listed twice, a node that is both master and replica or replicates two masters.
Result<SlotMapPtr> ParseClusterSlots(const resp::Value& reply, std::string_view answering_host,
                                     uint64_t version);

// Parses a CLUSTER SHARDS reply (Redis 7.0+): an array of shards, each a map (RESP3) or flat
// key/value array (RESP2) with "slots" (flat start/end pairs) and "nodes" (maps with id, port,
// ip, endpoint, hostname, role, replication-offset, health). Masters without slots are kept as
// nodes owning nothing; health and replication offset are filled in. Endpoint rules and errors
// as ParseClusterSlots, plus: a shard with slots but no master, or several healthy masters.
// Unknown keys are ignored (newer servers add fields).
Result<SlotMapPtr> ParseClusterShards(const resp::Value& reply, std::string_view answering_host,
                                      uint64_t version);

}  // namespace slotproxy::cluster

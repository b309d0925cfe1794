// The CLUSTER command family of the shard server (Redis 7.0 replies, byte for byte): SLOTS,
// SHARDS, NODES, INFO, MYID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT, LINKS, REPLICAS/SLAVES,
// COUNT-FAILURE-REPORTS, SAVECONFIG, HELP; the subcommands that need a cluster bus or live slot
// moves (MEET, FORGET, REPLICATE, FAILOVER, RESET, ADDSLOTS, SETSLOT, ...) answer
// "ERR CLUSTER <SUB> is not supported by this shard (...)".
#pragma once

#include <span>

#include "engine/keyspace.h"
#include "server/cluster_state.h"
#include "server/command_context.h"

namespace slotproxy::server {

// The handler rows ("cluster|slots", ...), for HandlerRegistry's `extra` tables.
std::span<const HandlerRow> ClusterHandlers();

// Handlers see only a CommandContext, so a shard's ClusterState is found through the keyspace
// it serves: call this once per shard (from any thread, before the shard serves) with the
// shard's keyspace; `state` nullptr detaches (do it when the shard is destroyed: only the
// address is used, so a destroyed keyspace may be passed). A keyspace without a state answers
// the CLUSTER commands "ERR This shard has no cluster state attached".
void AttachClusterState(const engine::Keyspace* db, ClusterState* state);

// The state attached to `db`, or nullptr.
ClusterState* AttachedClusterState(const engine::Keyspace& db);

}  // namespace slotproxy::server

// The persistence commands of the shard server: BGREWRITEAOF (Redis 7.0's replies). Registered
// like the CLUSTER family, as an extra handler table of the HandlerRegistry.
#pragma once

#include <span>

#include "engine/keyspace.h"
#include "server/command_context.h"

namespace slotproxy::server {

class Persistence;

// The handler rows ("bgrewriteaof"), for HandlerRegistry's `extra` tables.
std::span<const HandlerRow> PersistenceHandlers();

// Handlers see only a CommandContext, so a shard's Persistence is found through the keyspace it
// serves (as the CLUSTER commands find their ClusterState). Persistence::Load attaches itself and
// Persistence::Close detaches (nullptr); only the address is used. A keyspace without one
// answers BGREWRITEAOF with an error (the shard runs with appendonly no).
void AttachPersistence(const engine::Keyspace* db, Persistence* persistence);

// The Persistence attached to `db`, or nullptr.
Persistence* AttachedPersistence(const engine::Keyspace& db);

}  // namespace slotproxy::server

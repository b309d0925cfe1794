// ClusterCheckImpl: the shard's redirect decision (Redis 7.0's getNodeByQuery) over its
// ClusterState: CROSSSLOT, CLUSTERDOWN Hash slot not served, CLUSTERDOWN The cluster is down,
// ASK / TRYAGAIN while a slot migrates, MOVED to the owner.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/keyspace.h"
#include "server/cluster_check.h"
#include "server/cluster_state.h"

namespace slotproxy::server {

// The keys of one command of a request (a single command, or every queued command at EXEC).
struct KeyedCommand {
  std::span<const std::string_view> keys;  // in key-spec order, shard channels included
  bool is_write = false;                   // the command's "write" flag
  bool is_pubsub = false;                  // a shard channel command (SPUBLISH, SSUBSCRIBE...)
  bool is_migrate = false;                 // MIGRATE: always local while a slot migrates
  bool asking_flag = false;                // the command is flagged "asking" (RESTORE-ASKING)
};

class ClusterCheckImpl final : public ClusterCheck {
 public:
  // `state` must outlive this. `db` (may be null) is looked at while a slot migrates, to count
  // the request's keys that are missing here (expired keys count as missing); without it every
  // key counts as present.
  ClusterCheckImpl(const ClusterState& state, engine::Keyspace* db) : state_(state), db_(db) {}

  // Sets the keyspace looked at during migrations: the Shard that owns the keyspace takes this
  // check in its options, so the keyspace is known only after the Shard is built.
  void set_keyspace(engine::Keyspace* db) { db_ = db; }

  // ClusterCheck: the keys of `args` (command::ExtractKeys, shard channels included), then
  // CheckCommands. nullopt for a command without keys.
  std::optional<std::string> Check(const command::CommandInfo& info,
                                   std::span<const std::string_view> args, bool asking) override;

  // Redis's decision over every key of `commands` taken together (EXEC passes its whole
  // queue): first key's slot unowned -> "CLUSTERDOWN Hash slot not served"; a key in another
  // slot -> CROSSSLOT; cluster down -> "CLUSTERDOWN The cluster is down" (shard channels are
  // still served); migrating here with some keys missing -> "ASK slot target" (all missing) or
  // TRYAGAIN; importing here and `asking` -> served unless several keys with some missing
  // (TRYAGAIN); another owner -> "MOVED slot host:port". Error texts have no leading '-'.
  // nullopt: run locally (also when there are no keys at all).
  std::optional<std::string> CheckCommands(std::span<const KeyedCommand> commands,
                                           bool asking) const;

 private:
  bool KeyMissing(std::string_view key) const;
  // True when the current map has this node own all 16384 slots with no migration: then a
  // request's only possible error is CROSSSLOT. Recomputed when the snapshot or myself changes.
  bool OwnsEverySlot();

  const ClusterState& state_;
  engine::Keyspace* db_;
  cluster::SlotMapPtr seen_map_;
  cluster::NodeIndex seen_myself_ = cluster::kNoNode;
  bool owns_every_slot_ = false;
};

}  // namespace slotproxy::server

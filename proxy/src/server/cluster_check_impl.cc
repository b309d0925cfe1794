#include "server/cluster_check_impl.h"

#include <chrono>

#include "absl/container/inlined_vector.h"

#include "cluster/crc16.h"
#include "cluster/redirect.h"
#include "command/key_extraction.h"

namespace slotproxy::server {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<std::string> ClusterCheckImpl::Check(const command::CommandInfo& info,
                                                   std::span<const std::string_view> args,
                                                   bool asking) {
  bool pubsub = info.HasFlag(command::flag::kPubsub);
  command::KeyRefs refs;
  command::ExtractKeys(info, args, /*include_not_key=*/pubsub, &refs);
  if (refs.empty()) return std::nullopt;
  if (OwnsEverySlot()) {
    // Every other outcome needs a slot this node does not serve: only CROSSSLOT is left, and a
    // single key needs no slot at all.
    const std::string_view first = args[refs[0].pos];
    int first_slot = -1;
    for (size_t i = 1; i < refs.size(); ++i) {
      const std::string_view key = args[refs[i].pos];
      if (key == first) continue;
      if (first_slot < 0) first_slot = cluster::KeySlot(first);
      if (cluster::KeySlot(key) != first_slot) return std::string(cluster::kCrossSlotError);
    }
    return std::nullopt;
  }
  absl::InlinedVector<std::string_view, 8> keys;
  keys.reserve(refs.size());
  for (const command::KeyRef& r : refs) keys.push_back(args[r.pos]);
  KeyedCommand cmd;
  cmd.keys = keys;
  cmd.is_write = info.HasFlag(command::flag::kWrite);
  cmd.is_pubsub = pubsub;
  cmd.is_migrate = info.name == "migrate";
  cmd.asking_flag = info.HasFlag(command::flag::kAsking);
  return CheckCommands(std::span<const KeyedCommand>(&cmd, 1), asking);
}

bool ClusterCheckImpl::OwnsEverySlot() {
  const cluster::SlotMapPtr& map = state_.map();
  const cluster::NodeIndex me = state_.myself();
  if (map != seen_map_ || me != seen_myself_) {
    // Holding the snapshot keeps its address from being reused by a later one.
    seen_map_ = map;
    seen_myself_ = me;
    owns_every_slot_ = map != nullptr && map->migrations().empty() && map->FullyCovered();
    for (int slot = 0; owns_every_slot_ && slot < cluster::kSlotCount; ++slot) {
      owns_every_slot_ = map->OwnerOf(static_cast<uint16_t>(slot)) == me;
    }
  }
  return owns_every_slot_;
}

bool ClusterCheckImpl::KeyMissing(std::string_view key) const {
  if (db_ == nullptr) return false;
  // Peek, not Find: the check must not delete (Redis uses LOOKUP_NOTOUCH; an expired key is
  // missing either way).
  const engine::Entry* e = db_->Peek(key);
  if (e == nullptr) return true;
  int64_t when = db_->GetExpire(e);
  return when >= 0 && when < NowMs();
}

std::optional<std::string> ClusterCheckImpl::CheckCommands(std::span<const KeyedCommand> commands,
                                                           bool asking) const {
  const cluster::SlotMap& map = *state_.map();
  const cluster::NodeIndex me = state_.myself();
  std::optional<std::string_view> first;
  uint16_t slot = 0;
  cluster::SlotState st;
  bool migrating = false, importing = false, multiple_keys = false;
  bool pubsub = false, any_migrate = false, any_asking_flag = false;
  size_t missing = 0, existing = 0;
  for (const KeyedCommand& cmd : commands) {
    pubsub = pubsub || cmd.is_pubsub;
    any_migrate = any_migrate || cmd.is_migrate;
    any_asking_flag = any_asking_flag || cmd.asking_flag;
    for (std::string_view key : cmd.keys) {
      if (!first.has_value()) {
        first = key;
        slot = cluster::KeySlot(key);
        st = map.StateOf(slot);
        // Redis looks the first key's owner up before it compares any slots.
        if (st.owner == cluster::kNoNode) return std::string(cluster::kSlotNotServedError);
        migrating = st.owner == me && st.migrating_to != cluster::kNoNode;
        importing = !migrating && st.importing_from != cluster::kNoNode;
      } else if (key != *first) {
        if (cluster::KeySlot(key) != slot) return std::string(cluster::kCrossSlotError);
        multiple_keys = true;
      }
      if (migrating || importing) ++(KeyMissing(key) ? missing : existing);
    }
  }
  if (!first.has_value()) return std::nullopt;
  // Shard channels stay served while the cluster is down (cluster-allow-pubsubshard-when-down
  // yes); cluster-allow-reads-when-down is no, so everything else is refused.
  if (!state_.ok() && !pubsub) return std::string(cluster::kClusterDownError);
  if ((migrating || importing) && any_migrate) return std::nullopt;
  if (migrating && missing > 0) {
    if (existing > 0) return std::string(cluster::kTryAgainError);
    return cluster::AskError(slot, map.node(st.migrating_to));
  }
  if (importing && (asking || any_asking_flag)) {
    if (multiple_keys && missing > 0) return std::string(cluster::kTryAgainError);
    return std::nullopt;
  }
  if (st.owner != me) return cluster::MovedError(slot, map.node(st.owner));
  return std::nullopt;
}

}  // namespace slotproxy::server

#include "server/cluster_check.h"

#include "cluster/crc16.h"
#include "cluster/redirect.h"
#include "command/key_extraction.h"

namespace slotproxy::server {

std::optional<std::string> ClusterCheck::CheckTransaction(std::span<const CheckedCommand> commands,
                                                          bool asking) {
  bool have_slot = false;
  uint16_t slot = 0;
  for (const CheckedCommand& c : commands) {
    command::KeyRefs keys;
    command::ExtractKeys(*c.info, c.args, c.info->HasFlag(command::flag::kPubsub), &keys);
    if (keys.empty()) continue;
    for (const command::KeyRef& k : keys) {
      uint16_t s = cluster::KeySlot(c.args[k.pos]);
      if (!have_slot) {
        have_slot = true;
        slot = s;
      } else if (s != slot) {
        return std::string(cluster::kCrossSlotError);
      }
    }
    if (auto error = Check(*c.info, c.args, asking)) return error;
  }
  return std::nullopt;
}

std::optional<std::string> OwnAllSlotsCheck::Check(const command::CommandInfo& info,
                                                   std::span<const std::string_view> args,
                                                   bool /*asking*/) {
  // Shard channels (SPUBLISH, SSUBSCRIBE) are not keys but are routed like keys.
  bool include_not_key = info.HasFlag(command::flag::kPubsub);
  command::KeyRefs keys;
  command::ExtractKeys(info, args, include_not_key, &keys);
  if (keys.size() < 2) return std::nullopt;
  uint16_t slot = cluster::KeySlot(args[keys[0].pos]);
  for (size_t i = 1; i < keys.size(); ++i) {
    if (cluster::KeySlot(args[keys[i].pos]) != slot) {
      return std::string(cluster::kCrossSlotError);
    }
  }
  return std::nullopt;
}

}  // namespace slotproxy::server

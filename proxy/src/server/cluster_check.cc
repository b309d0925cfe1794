#include "server/cluster_check.h"

#include "cluster/crc16.h"
#include "cluster/redirect.h"
#include "command/key_extraction.h"

namespace slotproxy::server {

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

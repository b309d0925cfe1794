// ClusterCheck: the slot-ownership decision the dispatcher asks before running a command, so the
// dispatcher does not need to know how the shard's cluster state is stored.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "command/command_info.h"

namespace slotproxy::server {

class ClusterCheck {
 public:
  virtual ~ClusterCheck() = default;
  // Decides whether this node may run the command `args` (args[0] = name, arity already
  // checked) described by `info`, in Redis's decision order (CROSSSLOT, CLUSTERDOWN Hash slot not
  // served, MOVED / ASK). `asking` is true when the client's previous command was ASKING.
  // Returns the error reply text without the leading '-' (e.g. "MOVED 12182 127.0.0.1:7002"),
  // or nullopt when the command runs locally.
  virtual std::optional<std::string> Check(const command::CommandInfo& info,
                                           std::span<const std::string_view> args, bool asking) = 0;
};

// The check of a one-node cluster owning every slot: only CROSSSLOT is possible.
class OwnAllSlotsCheck final : public ClusterCheck {
 public:
  // CROSSSLOT when the command's keys hash to different slots, else nullopt.
  std::optional<std::string> Check(const command::CommandInfo& info,
                                   std::span<const std::string_view> args, bool asking) override;
};

}  // namespace slotproxy::server

// ClusterCheck: the slot-ownership decision the dispatcher asks before running a command, so the
// dispatcher does not need to know how the shard's cluster state is stored.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "command/command_info.h"

namespace slotproxy::server {

// One command of a transaction, for ClusterCheck::CheckTransaction.
struct CheckedCommand {
  const command::CommandInfo* info = nullptr;
  std::span<const std::string_view> args;
};

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

  // EXEC: the same decision over every queued command taken together (Redis's getNodeByQuery
  // over the MULTI state): the keys of all commands must share one slot. The default checks that
  // (CROSSSLOT), then calls Check for each command with keys and returns the first error; an
  // implementation that knows slot migration may decide over all keys at once instead.
  virtual std::optional<std::string> CheckTransaction(std::span<const CheckedCommand> commands,
                                                      bool asking);
};

// The check of a one-node cluster owning every slot: only CROSSSLOT is possible.
class OwnAllSlotsCheck final : public ClusterCheck {
 public:
  // CROSSSLOT when the command's keys hash to different slots, else nullopt.
  std::optional<std::string> Check(const command::CommandInfo& info,
                                   std::span<const std::string_view> args, bool asking) override;
};

}  // namespace slotproxy::server

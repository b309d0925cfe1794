// Splitting a multi-key command (MGET, MSET, DEL, ...) into one sub-command per slot, and
// merging sub-replies into the client's reply.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "command/command_info.h"

namespace slotproxy::session {

// One sub-command: the keys (argument positions) of the client's request that hash to `slot`,
// in the client's order.
struct SubCommand {
  uint16_t slot = 0;
  absl::InlinedVector<int32_t, 8> key_positions;
};

struct SplitPlan {
  std::vector<SubCommand> subs;
  // For each key of the request, in order: (index into subs, position among that sub's keys).
  std::vector<std::pair<uint32_t, uint32_t>> key_order;
};

// Groups the keys of a kSplitBySlot request by slot. Returns false when there is nothing to
// split (no keys, or all in one slot): the request can be forwarded unchanged.
bool PlanSplit(const command::CommandInfo& info, std::span<const std::string_view> args,
               SplitPlan* plan);

// Encodes the sub-command: the command name, then for each key its `key_step` arguments
// starting at the key (MSET: key value).
void EncodeSub(std::span<const std::string_view> args, const SubCommand& sub, int key_step,
               std::string* out);

// The client's reply from the raw sub-replies (one per sub-request, in sub order). A sub-reply
// that is an error wins: the first one (in sub order) is the whole reply, as a single Redis
// would fail the whole command. `key_order` is used by kMgetConcat only.
std::string MergeParts(command::MergeKind kind, const std::vector<std::string>& parts,
                       const std::vector<std::pair<uint32_t, uint32_t>>& key_order);

}  // namespace slotproxy::session

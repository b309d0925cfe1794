// Splitting a multi-key command (MGET, MSET, DEL, ...) into one sub-command per slot. The
// sub-replies are merged by merge.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "cluster/slot_map.h"
#include "command/command_info.h"
#include "session/merge.h"

namespace slotproxy::session {

// One sub-command: the keys (argument positions) of the client's request that hash to `slot`,
// in the client's order.
struct SubCommand {
  uint16_t slot = 0;
  absl::InlinedVector<int32_t, 8> key_positions;
};

struct SplitPlan {
  std::vector<SubCommand> subs;
  // For each key of the request, in order: its sub-request and position there.
  std::vector<KeySource> key_order;
  // The arguments do not form whole key groups (MSET a 1 b): nothing to split, and the first
  // key's owner should report Redis's own error.
  bool malformed = false;
  uint16_t first_slot = 0;
};

// Groups the keys of a kSplitBySlot request by slot. Returns false when there is nothing to
// split (no keys, or all in one slot): the request can be forwarded unchanged.
bool PlanSplit(const command::CommandInfo& info, std::span<const std::string_view> args,
               SplitPlan* plan);

// Encodes the sub-command: the command name, then for each key its `key_step` arguments
// starting at the key (MSET: key value).
void EncodeSub(std::span<const std::string_view> args, const SubCommand& sub, int key_step,
               std::string* out);

// As EncodeSub, for `args` that point into one canonical RESP multibulk (every argument's
// "$<len>\r\n" header right before it and "\r\n" right after, as resp::ParseResult::raw
// vouches): each key group is copied as one run of the client's own bytes.
void EncodeSubFromCanonical(std::span<const std::string_view> args, const SubCommand& sub,
                            int key_step, std::string* out);

// PUBSUB SHARDNUMSUB channel... (`args` from PUBSUB on): the channels grouped by the node that
// owns their slot, `owner_of(slot)` (cluster::kNoNode when the slot is not served: those
// channels form one group of their own, and sending it gets the dispatcher's usual error). Fills
// plan->subs with one sub-command per node in first-seen order, its `slot` that of the node's
// first channel (a request for that slot reaches the node) and its key_positions the channels'
// argument positions; and plan->key_order with two sources per channel, in the client's order:
// the channel's name and its count in its node's flat reply (a node answers "name, count" per
// channel asked), which is what MergeMget (MergeKind::kMgetConcat) needs to write the reply a
// single node would. With no channel, both are left empty. Never fails: channel names are any
// bytes.
void PlanShardNumSub(std::span<const std::string_view> args,
                     absl::FunctionRef<cluster::NodeIndex(uint16_t slot)> owner_of,
                     SplitPlan* plan);

// Encodes a sub-command of PlanShardNumSub's plan: "PUBSUB SHARDNUMSUB" as the client spelled
// them, then the sub-command's channels.
void EncodeShardNumSub(std::span<const std::string_view> args, const SubCommand& sub,
                       std::string* out);

}  // namespace slotproxy::session

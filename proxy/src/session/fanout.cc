#include "session/fanout.h"

#include "cluster/crc16.h"
#include "command/key_extraction.h"
#include "resp/encoder.h"

namespace slotproxy::session {

namespace {

// Adds the key group at `pos` to its slot's sub-command. False when the group runs past the
// arguments: the plan is marked malformed, the first key (`first_pos`) naming the owner.
bool AddKey(std::span<const std::string_view> args, int32_t pos, int32_t step, int32_t first_pos,
            SplitPlan* plan) {
  if (pos + step > static_cast<int32_t>(args.size())) {
    plan->malformed = true;
    plan->first_slot = cluster::KeySlot(args[first_pos]);
    return false;
  }
  const uint16_t slot = cluster::KeySlot(args[pos]);
  uint32_t sub = 0;
  while (sub < plan->subs.size() && plan->subs[sub].slot != slot) ++sub;
  if (sub == plan->subs.size()) plan->subs.emplace_back().slot = slot;
  plan->key_order.push_back(
      KeySource{sub, static_cast<uint32_t>(plan->subs[sub].key_positions.size())});
  plan->subs[sub].key_positions.push_back(pos);
  return true;
}

}  // namespace

bool PlanSplit(const command::CommandInfo& info, std::span<const std::string_view> args,
               SplitPlan* plan) {
  const int32_t step = info.routing.key_step < 1 ? 1 : info.routing.key_step;
  const int32_t argc = static_cast<int32_t>(args.size());
  plan->subs.clear();
  plan->key_order.clear();
  plan->malformed = false;
  const command::KeyLayoutSummary& layout = info.key_layout;
  if (layout.layout == command::KeyLayout::kOneToEnd && !layout.not_key &&
      layout.step == info.routing.key_step) {
    // MSET, MGET, DEL, ...: keys at 1, 1 + step, ... to the end, as ExtractKeys would find them,
    // with no key search (its general machinery costs more than the keys' slots) and no key list.
    if (argc <= 1 + step) return false;  // fewer than two keys
    for (int32_t pos = 1; pos < argc; pos += step) {
      if (!AddKey(args, pos, step, 1, plan)) return false;
    }
    return plan->subs.size() > 1;
  }
  command::KeyRefs keys;
  command::ExtractKeys(info, args, /*include_not_key=*/false, &keys);
  if (keys.size() < 2) return false;
  plan->key_order.reserve(keys.size());
  for (const command::KeyRef& k : keys) {
    if (!AddKey(args, k.pos, step, keys[0].pos, plan)) return false;
  }
  return plan->subs.size() > 1;
}

void EncodeSub(std::span<const std::string_view> args, const SubCommand& sub, int key_step,
               std::string* out) {
  const int step = key_step < 1 ? 1 : key_step;
  resp::AppendHeader('*', 1 + static_cast<int64_t>(sub.key_positions.size()) * step, out);
  auto bulk = [out](std::string_view a) {
    resp::AppendHeader('$', static_cast<int64_t>(a.size()), out);
    out->append(a);
    out->append("\r\n");
  };
  bulk(args[0]);
  for (int32_t pos : sub.key_positions) {
    for (int i = 0; i < step; ++i) bulk(args[pos + i]);
  }
}

namespace {

// Bytes of the canonical header "$<len>\r\n" of an argument of `len` bytes.
size_t BulkHeaderSize(size_t len) {
  size_t digits = 1;
  while (len >= 10) {
    len /= 10;
    ++digits;
  }
  return 1 + digits + 2;
}

// The argument's whole canonical encoding, header to trailing CRLF.
std::string_view EncodedSpan(std::string_view first, std::string_view last) {
  const char* begin = first.data() - BulkHeaderSize(first.size());
  const char* end = last.data() + last.size() + 2;
  return {begin, static_cast<size_t>(end - begin)};
}

}  // namespace

void EncodeSubFromCanonical(std::span<const std::string_view> args, const SubCommand& sub,
                            int key_step, std::string* out) {
  const int step = key_step < 1 ? 1 : key_step;
  const int64_t count = 1 + static_cast<int64_t>(sub.key_positions.size()) * step;
  if (count >= 10) {
    resp::AppendHeader('*', count, out);
  } else {
    // The usual sub-command (one or a few key groups): its header without number formatting.
    const char header[4] = {'*', static_cast<char>('0' + count), '\r', '\n'};
    out->append(header, sizeof(header));
  }
  out->append(EncodedSpan(args[0], args[0]));
  for (int32_t pos : sub.key_positions) out->append(EncodedSpan(args[pos], args[pos + step - 1]));
}

void PlanShardNumSub(std::span<const std::string_view> args,
                     absl::FunctionRef<cluster::NodeIndex(uint16_t slot)> owner_of,
                     SplitPlan* plan) {
  plan->subs.clear();
  plan->key_order.clear();
  plan->malformed = false;
  absl::InlinedVector<cluster::NodeIndex, 8> nodes;  // the node of each sub-command
  for (size_t pos = 2; pos < args.size(); ++pos) {
    const uint16_t slot = cluster::KeySlot(args[pos]);
    const cluster::NodeIndex node = owner_of(slot);
    uint32_t sub = 0;
    while (sub < nodes.size() && nodes[sub] != node) ++sub;
    if (sub == nodes.size()) {
      nodes.push_back(node);
      plan->subs.emplace_back().slot = slot;
    }
    // The node answers "name, count" for each channel it is asked, in the order asked.
    const auto index = static_cast<uint32_t>(plan->subs[sub].key_positions.size());
    plan->key_order.push_back(KeySource{sub, 2 * index});
    plan->key_order.push_back(KeySource{sub, 2 * index + 1});
    plan->subs[sub].key_positions.push_back(static_cast<int32_t>(pos));
  }
}

void EncodeShardNumSub(std::span<const std::string_view> args, const SubCommand& sub,
                       std::string* out) {
  absl::InlinedVector<std::string_view, 10> parts;
  parts.push_back(args[0]);
  parts.push_back(args[1]);
  for (int32_t pos : sub.key_positions) parts.push_back(args[pos]);
  resp::EncodeCommand(parts, out);
}

}  // namespace slotproxy::session

#include "session/fanout.h"

#include <charconv>

#include "cluster/crc16.h"
#include "command/key_extraction.h"
#include "resp/encoder.h"
#include "resp/reply_parser.h"

namespace slotproxy::session {
namespace {

bool IsError(std::string_view raw) { return !raw.empty() && (raw[0] == '-' || raw[0] == '!'); }

// The element count of an array reply and where its elements start; false for anything else.
bool ArrayHeader(std::string_view raw, int64_t* count, size_t* body) {
  if (raw.size() < 4 || (raw[0] != '*' && raw[0] != '~')) return false;
  const size_t cr = raw.find('\r');
  if (cr == std::string_view::npos) return false;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(raw.data() + 1, raw.data() + cr, n);
  if (ec != std::errc() || p != raw.data() + cr) return false;
  *count = n < 0 ? 0 : n;
  *body = cr + 2;
  return true;
}

bool ParseInteger(std::string_view raw, int64_t* value) {
  if (raw.size() < 4 || raw[0] != ':') return false;
  const size_t cr = raw.find('\r');
  if (cr == std::string_view::npos) return false;
  auto [p, ec] = std::from_chars(raw.data() + 1, raw.data() + cr, *value);
  return ec == std::errc() && p == raw.data() + cr;
}

// The raw bytes of each element of an array reply.
bool SplitElements(std::string_view raw, std::vector<std::string_view>* out) {
  int64_t count = 0;
  size_t pos = 0;
  if (!ArrayHeader(raw, &count, &pos)) return false;
  resp::ReplyParser parser;
  for (int64_t i = 0; i < count; ++i) {
    if (parser.Parse(raw.substr(pos)) != resp::ReplyStatus::kComplete) return false;
    out->push_back(raw.substr(pos, parser.info().length));
    pos += parser.info().length;
  }
  return true;
}

const std::string* FirstError(const std::vector<std::string>& parts) {
  for (const std::string& p : parts) {
    if (IsError(p)) return &p;
  }
  return nullptr;
}

std::string MergeMget(const std::vector<std::string>& parts,
                      const std::vector<std::pair<uint32_t, uint32_t>>& key_order) {
  std::vector<std::vector<std::string_view>> elements(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!SplitElements(parts[i], &elements[i])) {
      return "-ERR unexpected reply from a backend to a split MGET\r\n";
    }
  }
  std::string out;
  resp::AppendHeader('*', static_cast<int64_t>(key_order.size()), &out);
  for (const auto& [sub, pos] : key_order) {
    if (pos >= elements[sub].size()) return "-ERR short reply from a backend to a split MGET\r\n";
    out.append(elements[sub][pos]);
  }
  return out;
}

std::string MergeSum(const std::vector<std::string>& parts, bool min) {
  int64_t total = 0;
  bool first = true;
  for (const std::string& p : parts) {
    int64_t v = 0;
    if (!ParseInteger(p, &v)) return p;  // not an integer: the client sees what came
    total = first ? v : (min ? std::min(total, v) : total + v);
    first = false;
  }
  std::string out;
  resp::AppendHeader(':', total, &out);
  return out;
}

std::string MergeConcat(const std::vector<std::string>& parts) {
  int64_t total = 0;
  std::string body;
  for (const std::string& p : parts) {
    int64_t n = 0;
    size_t pos = 0;
    if (!ArrayHeader(p, &n, &pos)) return p;
    total += n;
    body.append(std::string_view(p).substr(pos));
  }
  std::string out;
  resp::AppendHeader('*', total, &out);
  out.append(body);
  return out;
}

}  // namespace

bool PlanSplit(const command::CommandInfo& info, std::span<const std::string_view> args,
               SplitPlan* plan) {
  command::KeyRefs keys;
  command::ExtractKeys(info, args, /*include_not_key=*/false, &keys);
  if (keys.size() < 2) return false;
  const int step = info.routing.key_step < 1 ? 1 : info.routing.key_step;
  plan->subs.clear();
  plan->key_order.clear();
  plan->key_order.reserve(keys.size());
  for (const command::KeyRef& k : keys) {
    if (k.pos + step > static_cast<int32_t>(args.size())) return false;  // malformed: no split
    const uint16_t slot = cluster::KeySlot(args[k.pos]);
    uint32_t sub = 0;
    while (sub < plan->subs.size() && plan->subs[sub].slot != slot) ++sub;
    if (sub == plan->subs.size()) plan->subs.push_back(SubCommand{slot, {}});
    plan->key_order.emplace_back(sub, static_cast<uint32_t>(plan->subs[sub].key_positions.size()));
    plan->subs[sub].key_positions.push_back(k.pos);
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

std::string MergeParts(command::MergeKind kind, const std::vector<std::string>& parts,
                       const std::vector<std::pair<uint32_t, uint32_t>>& key_order) {
  if (parts.empty()) return "-ERR no backend answered\r\n";
  if (kind == command::MergeKind::kRandomKey || kind == command::MergeKind::kOneSucceeded) {
    for (const std::string& p : parts) {
      if (!IsError(p) && p != "$-1\r\n" && p != "_\r\n") return p;
    }
    const std::string* err = FirstError(parts);
    return err != nullptr && kind == command::MergeKind::kOneSucceeded ? *err : parts[0];
  }
  if (const std::string* err = FirstError(parts)) return *err;
  switch (kind) {
    case command::MergeKind::kMgetConcat:
      return MergeMget(parts, key_order);
    case command::MergeKind::kAllOk:
      return "+OK\r\n";
    case command::MergeKind::kSum:
      return MergeSum(parts, false);
    case command::MergeKind::kMin:
      return MergeSum(parts, true);
    case command::MergeKind::kConcat:
      return MergeConcat(parts);
    default:
      return parts[0];
  }
}

}  // namespace slotproxy::session

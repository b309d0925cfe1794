// MergeCommandReply: reads a backend's COMMAND reply (as a ReplyNode tree) into CommandInfo rows.
// The reply is untrusted: every index is bounds-checked and nothing recurses on its depth.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "command/command_reply.h"

namespace slotproxy::command {
namespace {

using Tree = std::span<const ReplyNode>;

// Indexes of the direct children of tree[at]; nullopt when the tree is truncated.
std::optional<std::vector<size_t>> Children(Tree tree, size_t at) {
  if (at >= tree.size()) return std::nullopt;
  const int64_t n = tree[at].DirectChildren();
  if (n < 0 || static_cast<uint64_t>(n) > tree.size()) return std::nullopt;
  std::vector<size_t> out;
  out.reserve(static_cast<size_t>(n));
  size_t next = at + 1;
  for (int64_t i = 0; i < n; ++i) {
    size_t size = SubtreeSize(tree, next);
    if (size == 0) return std::nullopt;
    out.push_back(next);
    next += size;
  }
  return out;
}

bool IsString(const ReplyNode& n) {
  return n.kind == ReplyKind::kBulkString || n.kind == ReplyKind::kSimpleString;
}

// The value under `key` of a map (RESP3) or a flat key/value array (RESP2); nullopt if absent.
std::optional<size_t> MapGet(Tree tree, size_t at, std::string_view key) {
  if (at >= tree.size() || !tree[at].IsAggregate()) return std::nullopt;
  auto kids = Children(tree, at);
  if (!kids || kids->size() % 2 != 0) return std::nullopt;
  for (size_t i = 0; i + 1 < kids->size(); i += 2) {
    const ReplyNode& k = tree[(*kids)[i]];
    if (IsString(k) && k.str == key) return (*kids)[i + 1];
  }
  return std::nullopt;
}

int32_t IntAt(Tree tree, std::optional<size_t> at) {
  if (!at || tree[*at].kind != ReplyKind::kInteger) return 0;
  int64_t v = tree[*at].value;
  return v < INT32_MIN || v > INT32_MAX ? 0 : static_cast<int32_t>(v);
}

std::string_view StrAt(Tree tree, std::optional<size_t> at) {
  return at && IsString(tree[*at]) ? tree[*at].str : std::string_view();
}

// A set/array of names as a bitmask (unknown names are dropped: the bits are Redis 7.0's).
uint32_t NamesAt(Tree tree, size_t at, std::span<const std::string_view> names) {
  uint32_t mask = 0;
  if (auto kids = Children(tree, at)) {
    for (size_t k : *kids) {
      if (IsString(tree[k])) mask |= FlagBitByName(names, tree[k].str);
    }
  }
  return mask;
}

bool ParseKeySpec(Tree tree, size_t at, KeySpec* spec) {
  std::optional<size_t> flags = MapGet(tree, at, "flags");
  std::optional<size_t> bs = MapGet(tree, at, "begin_search");
  std::optional<size_t> fk = MapGet(tree, at, "find_keys");
  if (!flags || !bs || !fk) return false;
  spec->flags = NamesAt(tree, *flags, KeySpecFlagNames());
  spec->notes = StrAt(tree, MapGet(tree, at, "notes"));
  std::string_view bs_type = StrAt(tree, MapGet(tree, *bs, "type"));
  std::optional<size_t> bs_spec = MapGet(tree, *bs, "spec");
  if (bs_type == "index" && bs_spec) {
    spec->bs_type = BeginSearchType::kIndex;
    spec->bs_index = IntAt(tree, MapGet(tree, *bs_spec, "index"));
  } else if (bs_type == "keyword" && bs_spec) {
    spec->bs_type = BeginSearchType::kKeyword;
    spec->bs_keyword = StrAt(tree, MapGet(tree, *bs_spec, "keyword"));
    spec->bs_startfrom = IntAt(tree, MapGet(tree, *bs_spec, "startfrom"));
  }
  std::string_view fk_type = StrAt(tree, MapGet(tree, *fk, "type"));
  std::optional<size_t> fk_spec = MapGet(tree, *fk, "spec");
  if (fk_type == "range" && fk_spec) {
    spec->fk_type = FindKeysType::kRange;
    spec->fk_lastkey = IntAt(tree, MapGet(tree, *fk_spec, "lastkey"));
    spec->fk_keystep = IntAt(tree, MapGet(tree, *fk_spec, "keystep"));
    spec->fk_limit = IntAt(tree, MapGet(tree, *fk_spec, "limit"));
  } else if (fk_type == "keynum" && fk_spec) {
    spec->fk_type = FindKeysType::kKeynum;
    spec->fk_keynumidx = IntAt(tree, MapGet(tree, *fk_spec, "keynumidx"));
    spec->fk_firstkey = IntAt(tree, MapGet(tree, *fk_spec, "firstkey"));
    spec->fk_keystep = IntAt(tree, MapGet(tree, *fk_spec, "keystep"));
  }
  return true;
}

// Storage for one parsed entry and its subcommands; the views point into the reply tree.
struct ParsedEntry {
  CommandInfo info;
  std::vector<std::string_view> tips;
  std::vector<KeySpec> specs;
  std::vector<ParsedEntry> subs;
  std::vector<const CommandInfo*> sub_ptrs;
};

bool ParseEntry(Tree tree, size_t at, bool allow_subcommands, ParsedEntry* e) {
  if (at >= tree.size() || tree[at].kind != ReplyKind::kArray) return false;
  auto kids = Children(tree, at);
  if (!kids || kids->size() < 6) return false;
  const std::vector<size_t>& c = *kids;
  if (!IsString(tree[c[0]]) || tree[c[1]].kind != ReplyKind::kInteger) return false;
  e->info.name = tree[c[0]].str;
  e->info.arity = IntAt(tree, c[1]);
  e->info.flags = NamesAt(tree, c[2], CommandFlagNames());
  e->info.first_key = IntAt(tree, c[3]);
  e->info.last_key = IntAt(tree, c[4]);
  e->info.key_step = IntAt(tree, c[5]);
  if (c.size() > 6) e->info.acl_categories = NamesAt(tree, c[6], AclCategoryNames());
  if (c.size() > 7) {
    for (size_t k : Children(tree, c[7]).value_or(std::vector<size_t>())) {
      if (IsString(tree[k])) e->tips.push_back(tree[k].str);
    }
  }
  if (c.size() > 8) {
    for (size_t k : Children(tree, c[8]).value_or(std::vector<size_t>())) {
      if (!ParseKeySpec(tree, k, &e->specs.emplace_back())) return false;
    }
  }
  if (c.size() > 9 && allow_subcommands) {
    auto subs = Children(tree, c[9]).value_or(std::vector<size_t>());
    e->subs.resize(subs.size());
    for (size_t i = 0; i < subs.size(); ++i) {
      if (!ParseEntry(tree, subs[i], false, &e->subs[i])) return false;
      e->sub_ptrs.push_back(&e->subs[i].info);
    }
  }
  e->info.tips = e->tips;
  e->info.key_specs = e->specs;
  e->info.subcommands = e->sub_ptrs;
  return true;
}

}  // namespace

Result<int> MergeCommandReply(CommandTable* table, std::span<const ReplyNode> reply) {
  if (reply.empty() || reply[0].kind != ReplyKind::kArray) {
    return Status::Error("ERR COMMAND reply is not an array");
  }
  auto entries = Children(reply, 0);
  if (!entries) return Status::Error("ERR COMMAND reply is truncated");
  int added = 0;
  for (size_t i = 0; i < entries->size(); ++i) {
    size_t at = (*entries)[i];
    if (reply[at].kind == ReplyKind::kNull) continue;
    ParsedEntry entry;
    if (!ParseEntry(reply, at, true, &entry)) {
      return Status::Error("ERR malformed COMMAND entry #" + std::to_string(i));
    }
    Result<int> merged = table->MergeLearnedCommand(entry.info);
    if (!merged.ok()) return merged.status();
    added += merged.value();
  }
  return added;
}

}  // namespace slotproxy::command

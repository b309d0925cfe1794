#include "command/command_reply.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace slotproxy::command {
namespace {

using Nodes = std::vector<ReplyNode>;

ReplyNode Bulk(std::string_view s) { return {ReplyKind::kBulkString, 0, s}; }
ReplyNode Simple(std::string_view s) { return {ReplyKind::kSimpleString, 0, s}; }
ReplyNode Int(int64_t v) { return {ReplyKind::kInteger, v, {}}; }
ReplyNode Agg(ReplyKind kind, int64_t n) { return {kind, n, {}}; }

// A set of simple strings: the names of the set bits of `mask`.
void AppendNames(uint32_t mask, std::span<const std::string_view> names, Nodes* out) {
  size_t header = out->size();
  out->push_back(Agg(ReplyKind::kSet, 0));
  for (size_t bit = 0; bit < names.size(); ++bit) {
    if ((mask & (1u << bit)) != 0) out->push_back(Simple(names[bit]));
  }
  (*out)[header].value = static_cast<int64_t>(out->size() - header - 1);
}

void AppendBeginSearch(const KeySpec& spec, Nodes* out) {
  out->push_back(Bulk("begin_search"));
  out->push_back(Agg(ReplyKind::kMap, 2));
  out->push_back(Bulk("type"));
  if (spec.bs_type == BeginSearchType::kIndex) {
    out->insert(out->end(), {Bulk("index"), Bulk("spec"), Agg(ReplyKind::kMap, 1), Bulk("index"),
                             Int(spec.bs_index)});
  } else if (spec.bs_type == BeginSearchType::kKeyword) {
    out->insert(out->end(),
                {Bulk("keyword"), Bulk("spec"), Agg(ReplyKind::kMap, 2), Bulk("keyword"),
                 Bulk(spec.bs_keyword), Bulk("startfrom"), Int(spec.bs_startfrom)});
  } else {
    out->insert(out->end(), {Bulk("unknown"), Bulk("spec"), Agg(ReplyKind::kMap, 0)});
  }
}

void AppendFindKeys(const KeySpec& spec, Nodes* out) {
  out->push_back(Bulk("find_keys"));
  out->push_back(Agg(ReplyKind::kMap, 2));
  out->push_back(Bulk("type"));
  if (spec.fk_type == FindKeysType::kRange) {
    out->insert(out->end(), {Bulk("range"), Bulk("spec"), Agg(ReplyKind::kMap, 3), Bulk("lastkey"),
                             Int(spec.fk_lastkey), Bulk("keystep"), Int(spec.fk_keystep),
                             Bulk("limit"), Int(spec.fk_limit)});
  } else if (spec.fk_type == FindKeysType::kKeynum) {
    out->insert(out->end(), {Bulk("keynum"), Bulk("spec"), Agg(ReplyKind::kMap, 3),
                             Bulk("keynumidx"), Int(spec.fk_keynumidx), Bulk("firstkey"),
                             Int(spec.fk_firstkey), Bulk("keystep"), Int(spec.fk_keystep)});
  } else {
    out->insert(out->end(), {Bulk("unknown"), Bulk("spec"), Agg(ReplyKind::kMap, 0)});
  }
}

void AppendKeySpec(const KeySpec& spec, Nodes* out) {
  const bool has_notes = !spec.notes.empty();
  out->push_back(Agg(ReplyKind::kMap, has_notes ? 4 : 3));
  if (has_notes) {
    out->push_back(Bulk("notes"));
    out->push_back(Bulk(spec.notes));
  }
  out->push_back(Bulk("flags"));
  AppendNames(spec.flags, KeySpecFlagNames(), out);
  AppendBeginSearch(spec, out);
  AppendFindKeys(spec, out);
}

}  // namespace

void AppendCommandInfo(const CommandInfo* info, std::vector<ReplyNode>* out) {
  if (info == nullptr) {
    out->push_back(Agg(ReplyKind::kNull, 0));
    return;
  }
  out->push_back(Agg(ReplyKind::kArray, 10));
  out->push_back(Bulk(info->name));
  out->push_back(Int(info->arity));
  AppendNames(info->flags, CommandFlagNames(), out);
  out->push_back(Int(info->first_key));
  out->push_back(Int(info->last_key));
  out->push_back(Int(info->key_step));
  AppendNames(info->acl_categories, AclCategoryNames(), out);
  out->push_back(Agg(ReplyKind::kSet, static_cast<int64_t>(info->tips.size())));
  for (std::string_view tip : info->tips) out->push_back(Bulk(tip));
  out->push_back(Agg(ReplyKind::kSet, static_cast<int64_t>(info->key_specs.size())));
  for (const KeySpec& spec : info->key_specs) AppendKeySpec(spec, out);
  if (!info->IsContainer()) {
    out->push_back(Agg(ReplyKind::kSet, 0));
    return;
  }
  out->push_back(Agg(ReplyKind::kArray, static_cast<int64_t>(info->subcommands.size())));
  for (const CommandInfo* sub : info->subcommands) AppendCommandInfo(sub, out);
}

void AppendCommandDocs(const CommandInfo& info, std::vector<ReplyNode>* out) {
  size_t root = out->size();
  if (info.docs.empty() || info.docs[0].kind != ReplyKind::kMap) {
    out->push_back(Agg(ReplyKind::kMap, 0));  // a learned row without docs
  } else {
    out->insert(out->end(), info.docs.begin(), info.docs.end());
  }
  if (!info.IsContainer()) return;
  (*out)[root].value += 1;
  out->push_back(Bulk("subcommands"));
  out->push_back(Agg(ReplyKind::kMap, static_cast<int64_t>(info.subcommands.size())));
  for (const CommandInfo* sub : info.subcommands) {
    out->push_back(Bulk(sub->name));
    AppendCommandDocs(*sub, out);
  }
}

std::vector<ReplyNode> BuildCommandInfoReply(const CommandTable& table,
                                             std::span<const std::string_view> names) {
  Nodes out;
  if (names.empty()) {
    out.push_back(Agg(ReplyKind::kArray, static_cast<int64_t>(table.Count())));
    for (const CommandInfo* info : table.TopLevel()) AppendCommandInfo(info, &out);
    return out;
  }
  out.push_back(Agg(ReplyKind::kArray, static_cast<int64_t>(names.size())));
  for (std::string_view name : names) AppendCommandInfo(table.Find(name), &out);
  return out;
}

std::vector<ReplyNode> BuildCommandDocsReply(const CommandTable& table,
                                             std::span<const std::string_view> names) {
  Nodes out;
  out.push_back(Agg(ReplyKind::kMap, 0));
  int64_t count = 0;
  auto add = [&](const CommandInfo& info) {
    out.push_back(Bulk(info.name));
    AppendCommandDocs(info, &out);
    ++count;
  };
  if (names.empty()) {
    for (const CommandInfo* info : table.TopLevel()) add(*info);
  } else {
    for (std::string_view name : names) {
      if (const CommandInfo* info = table.Find(name)) add(*info);
    }
  }
  out[0].value = count;
  return out;
}

std::vector<ReplyNode> BuildGetKeysReply(std::span<const std::string_view> args,
                                         const KeyRefs& keys, bool with_flags) {
  Nodes out;
  out.push_back(Agg(ReplyKind::kArray, static_cast<int64_t>(keys.size())));
  for (const KeyRef& key : keys) {
    std::string_view name = key.pos >= 0 && static_cast<size_t>(key.pos) < args.size()
                                ? args[static_cast<size_t>(key.pos)]
                                : std::string_view();
    if (!with_flags) {
      out.push_back(Bulk(name));
      continue;
    }
    out.push_back(Agg(ReplyKind::kArray, 2));
    out.push_back(Bulk(name));
    AppendNames(key.flags, KeySpecFlagNames(), &out);
  }
  return out;
}

std::vector<ReplyNode> BuildCommandListReply(
    const CommandTable& table, const std::function<bool(const CommandInfo&)>& filter) {
  Nodes out;
  out.push_back(Agg(ReplyKind::kArray, 0));
  auto add = [&](const CommandInfo& info) {
    if (filter && !filter(info)) return;
    out.push_back(Bulk(info.name));
    ++out[0].value;
  };
  for (const CommandInfo* info : table.TopLevel()) {
    add(*info);
    for (const CommandInfo* sub : info->subcommands) add(*sub);
  }
  return out;
}

}  // namespace slotproxy::command

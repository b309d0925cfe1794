// COMMAND metadata replies as ReplyNode trees (Redis 7.0's layout), and the reverse: learning
// commands from a backend's COMMAND reply. The server encodes the trees in RESP2 or RESP3; the
// proxy converts a decoded backend reply into a ReplyNode tree to feed MergeCommandReply.
#pragma once

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "command/command_info.h"
#include "command/command_table.h"
#include "command/key_extraction.h"
#include "command/reply_node.h"

namespace slotproxy::command {

// Appends the 10-element COMMAND entry of `info`: name, arity, flags (set of simple strings),
// first key, last key, step, ACL categories (set), tips (set of bulk strings), key specs (set of
// maps), subcommands (an array of full entries, or an empty set). `info` null: a null node, as
// COMMAND INFO answers for an unknown name.
void AppendCommandInfo(const CommandInfo* info, std::vector<ReplyNode>* out);

// Appends the COMMAND DOCS map of `info` (summary, since, group, complexity, doc_flags,
// deprecated_since, replaced_by, history, arguments, as stored), plus "subcommands" (a map of
// full name to docs) for a container.
void AppendCommandDocs(const CommandInfo& info, std::vector<ReplyNode>* out);

// The whole reply of COMMAND (`names` empty: every top-level command, sorted) or COMMAND INFO
// name... (`names` given: one entry or null per name, looked up case-insensitively, "a|b" for a
// subcommand).
std::vector<ReplyNode> BuildCommandInfoReply(const CommandTable& table,
                                             std::span<const std::string_view> names);

// The whole reply of COMMAND DOCS [name...]: a map of full name to docs; unknown names are
// left out, as in Redis.
std::vector<ReplyNode> BuildCommandDocsReply(const CommandTable& table,
                                             std::span<const std::string_view> names);

// COMMAND GETKEYS (`with_flags` false: an array of the key names) or COMMAND GETKEYSANDFLAGS
// (an array of [key, set of flag names]) for `keys` found by CommandGetKeys in `args`. The views
// point into `args`.
std::vector<ReplyNode> BuildGetKeysReply(std::span<const std::string_view> args,
                                         const KeyRefs& keys, bool with_flags);

// COMMAND LIST: every full name (each container followed by its subcommands) for which
// `filter` is true (no filter: all). FILTERBY ACLCAT can test info.acl_categories; PATTERN
// needs the server's glob matcher.
std::vector<ReplyNode> BuildCommandListReply(
    const CommandTable& table, const std::function<bool(const CommandInfo&)>& filter = nullptr);

// Learns every command of a backend's COMMAND (or COMMAND INFO) reply that `table` does not
// know: `reply` is an array of entries in either protocol's shape (RESP2 maps as flat arrays,
// sets as arrays; pre-7.0 entries with 6 or 7 elements are accepted; null entries skipped).
// Returns the number of rows added. An error names the first malformed entry; entries before it
// stay merged.
Result<int> MergeCommandReply(CommandTable* table, std::span<const ReplyNode> reply);

}  // namespace slotproxy::command

// CommandTable: every command and subcommand by name, case-insensitive, O(1), no allocation per
// lookup. Built at start-up (the built-in rows, then commands learned from backends), then frozen
// and shared read-only by all threads.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/status.h"
#include "command/command_info.h"

namespace slotproxy::command {

// Longest full name ("container|sub") a table accepts; longer names are never found.
inline constexpr size_t kMaxCommandNameLength = 128;

class CommandTable {
 public:
  // A new, unfrozen table holding the built-in rows (Redis 7.0.15 plus CLIENT SETINFO).
  static std::unique_ptr<CommandTable> CreateBuiltIn();

  // The process-wide frozen built-in table (created on first use, never destroyed).
  static const CommandTable& BuiltIn();

  CommandTable(const CommandTable&) = delete;
  CommandTable& operator=(const CommandTable&) = delete;

  // The row named `name` (case-insensitive): a top-level command ("get") or a full subcommand
  // name ("object|encoding"). nullptr when unknown.
  const CommandInfo* Find(std::string_view name) const;

  // The subcommand `sub` (case-insensitive) of `container`; nullptr when it has none by that name.
  const CommandInfo* FindSubcommand(const CommandInfo& container, std::string_view sub) const;

  // Redis's lookupCommand for a request: args[0] is the command; when it is a container and
  // args.size() > 1, args[1] selects the subcommand. nullptr when unknown (see
  // UnknownCommandError for the reply). A container alone (e.g. "CONFIG") returns the container,
  // whose arity check then fails as in Redis. args[0] never names a subcommand ("config|get").
  const CommandInfo* Lookup(std::span<const std::string_view> args) const;

  // Top-level rows sorted by name (what COMMAND and COMMAND DOCS list).
  std::span<const CommandInfo* const> TopLevel() const { return top_level_; }

  // COMMAND COUNT: the number of top-level commands.
  size_t Count() const { return top_level_.size(); }

  // Adds a command learned from a backend (deep copy: `info` may point into a reply buffer)
  // and its subcommands, skipping every row already known. A subcommand row ("a|b") is added to
  // its known container; the subcommands of `info` are renamed "<info.name>|<part after the
  // last '|'>" (one level, as Redis). A row without key specs but with a legacy key range gets a
  // range spec, as Redis does for module commands. Returns the number of rows added; an error (and
  // no change) when the table is frozen, the name is empty, too long or has an unknown container.
  Result<int> MergeLearnedCommand(const CommandInfo& info);

  // Forbids further merges; lookups are then safe from any thread.
  void Freeze() { frozen_ = true; }
  bool frozen() const { return frozen_; }

 private:
  CommandTable() = default;
  void AddBuiltInRows();
  CommandInfo* FindMutable(std::string_view lower_name) const;
  Result<int> AddLearned(const CommandInfo& info, CommandInfo* parent);
  CommandInfo* NewLearnedRow(const CommandInfo& info, std::string_view lower, CommandInfo* parent);
  void LinkSubcommand(CommandInfo* container, const CommandInfo* sub);
  std::string_view Intern(std::string_view s);
  void IndexRow(CommandInfo* row);

  bool frozen_ = false;
  std::deque<CommandInfo> rows_;                                 // stable addresses
  absl::flat_hash_map<std::string_view, CommandInfo*> by_name_;  // lowercase full names
  std::vector<const CommandInfo*> top_level_;
  // Storage behind the spans of rows: subcommand lists, and copies of learned data.
  std::deque<std::vector<const CommandInfo*>> sub_lists_;
  absl::flat_hash_map<const CommandInfo*, std::vector<const CommandInfo*>*> sub_list_of_;
  std::deque<std::string> strings_;
  std::deque<std::vector<std::string_view>> tip_lists_;
  std::deque<std::vector<KeySpec>> spec_lists_;
  std::deque<std::vector<ReplyNode>> doc_lists_;
};

// Shorthand for CommandTable::BuiltIn().Find(name).
const CommandInfo* FindCommand(std::string_view name);

// True when `argc` (the whole argument count, names included) satisfies info.arity.
inline bool CheckArity(const CommandInfo& info, size_t argc) {
  if (info.arity > 0) return argc == static_cast<size_t>(info.arity);
  return argc >= static_cast<size_t>(-static_cast<int64_t>(info.arity));
}

// Redis's arity error: "ERR wrong number of arguments for 'cluster|keyslot' command".
std::string WrongArityError(const CommandInfo& info);

// Redis 7.0's reply when Lookup(args) fails (args non-empty): "ERR unknown subcommand 'x'. Try
// CONFIG HELP." when args[0] is a container, else "ERR unknown command 'x', with args beginning
// with: 'a' 'b' ". CR and LF in the arguments become spaces, as in Redis.
std::string UnknownCommandError(const CommandTable& table, std::span<const std::string_view> args);

}  // namespace slotproxy::command

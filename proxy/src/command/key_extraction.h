// Key extraction: which arguments of a request are keys, exactly as Redis 7.0 finds them
// (getKeysUsingKeySpecs, getKeysFromCommandWithSpecs and the getkeys procs of src/db.c).
// Arguments are untrusted: any argument vector gives an answer, never a crash or an assert.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "base/status.h"
#include "command/command_info.h"
#include "command/command_table.h"

namespace slotproxy::command {

// A key argument: its index in the argument vector (0 is the command name) and the key-spec
// flags (key_flag:: bits) Redis reports for it in COMMAND GETKEYSANDFLAGS.
struct KeyRef {
  int32_t pos = 0;
  uint32_t flags = 0;
  friend bool operator==(const KeyRef&, const KeyRef&) = default;
};

// Keys in Redis's order (spec order; duplicates kept). Eight inline: no allocation for the
// common request.
using KeyRefs = absl::InlinedVector<KeyRef, 8>;

enum class SpecResult : uint8_t {
  kComplete,       // every spec applied: `out` holds all keys the specs describe
  kNeedsFallback,  // a spec was unknown, incomplete, or did not fit the arguments (a syntax
                   // error): `out` holds what the other specs found (Redis's RETURN_PARTIAL)
};

// getKeysUsingKeySpecs: applies info.key_specs to `args` (args[0] is the command name; for a
// subcommand args[1] is its name). Specs flagged not_key (the channel of SPUBLISH) are skipped
// unless `include_not_key` (routing wants them). Clears `out` first.
SpecResult ExtractKeysBySpecs(const CommandInfo& info, std::span<const std::string_view> args,
                              bool include_not_key, KeyRefs* out);

// True when Redis has a built-in getkeys procedure for this command (SORT, MIGRATE, EVAL, ...):
// the fallback when specs fail.
bool HasKeysFallback(const CommandInfo& info);

// getKeysFromCommandWithSpecs: the keys of a request the way Redis finds them: the specs, and
// when they fail, the command's built-in getkeys procedure. Returns true when the answer is
// authoritative; false when a spec failed and the command has no built-in procedure (a command
// learned from a newer backend): then `out` holds the partial result and the caller should ask a
// backend (COMMAND GETKEYS). An invalid request yields no keys (the backend reports its error).
// `include_not_key` as above. Clears `out` first.
bool ExtractKeys(const CommandInfo& info, std::span<const std::string_view> args,
                 bool include_not_key, KeyRefs* out);

// The key layout of `info` from its key specs and getkeys procedure (set keys_proc first): what
// CommandTable stores in CommandInfo::key_layout for every row it adds. kGeneral unless the
// layout's promise (see KeyLayout) holds for every argument vector.
KeyLayoutSummary SummarizeKeyLayout(const CommandInfo& info);

// True when the command has keys at all (Redis's doesCommandHaveKeys).
bool CommandHasKeys(const CommandInfo& info);

// COMMAND GETKEYS / GETKEYSANDFLAGS: `args` is the request after "COMMAND GETKEYS" (args[0] is
// the command to inspect). Returns the keys (positions into `args`) or Redis's error text:
// "ERR Invalid command specified", "ERR The command has no key arguments", "ERR Invalid number
// of arguments specified for command", "ERR Invalid arguments specified for command".
Result<KeyRefs> CommandGetKeys(const CommandTable& table, std::span<const std::string_view> args);

namespace internal {
// ExtractKeys without the key_layout shortcut: the key specs and the getkeys procedure, always.
// Same contract as ExtractKeys; the tests hold the shortcut to it.
bool ExtractKeysBySearch(const CommandInfo& info, std::span<const std::string_view> args,
                         bool include_not_key, KeyRefs* out);
// True when the getkeys procedure of `info` yields argv[1] alone for every argc >= 2 (SET,
// BITFIELD, SORT_RO). key_fallbacks.cc.
bool KeysProcYieldsKeyAtOne(const CommandInfo& info);
// Runs the built-in getkeys procedure of `info` (HasKeysFallback must be true). key_fallbacks.cc.
void RunKeysFallback(const CommandInfo& info, std::span<const std::string_view> args, KeyRefs* out);
// The getkeys procedure id for a built-in command name (CommandInfo::keys_proc), 0 for none.
uint8_t FindKeysProc(std::string_view name);
// strcasecmp(arg, word) == 0 with C-string semantics: `arg` ends at its first NUL.
bool ArgEquals(std::string_view arg, std::string_view word);
}  // namespace internal

}  // namespace slotproxy::command

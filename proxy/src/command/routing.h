// Routing policy of a command for the proxy (RouteKind and MergeKind are in command_info.h).
//
//   kSingleSlot       the command has exactly one key: forward to the owner of its slot. A
//                     command whose optional key is absent (no keys found) goes to any shard.
//   kSameSlotOnly     several keys (or movable keys): extract them (key_extraction.h); when their
//                     slots differ answer "-CROSSSLOT Keys in request don't hash to the same
//                     slot"; else forward like kSingleSlot. Never split (MSETNX, RENAME, SMOVE).
//   kSplitBySlot      MGET MSET DEL UNLINK EXISTS TOUCH: one sub-request per slot, each with the
//                     key groups of that slot (key_step arguments per group: MSET = 2), merged
//                     by `merge` (kMgetConcat: values in the client's key order; kAllOk; kSum).
//   kAllShards        fan out to every master, merged by `merge` (kSum DBSIZE, kConcat KEYS,
//                     kAllOk FLUSHALL, kLogicalAnd SCRIPT EXISTS, kOneSucceeded SCRIPT KILL,
//                     kRandomKey, kScan, kMin).
//   kKeylessAnyShard  no key and no fan-out tip: any one shard answers (TIME, LASTSAVE, the
//                     *|HELP subcommands ...), as Redis's command-tips document.
//   kProxyLocal       the proxy answers (PING ECHO QUIT SELECT HELLO AUTH RESET COMMAND INFO
//                     CLIENT CONFIG GET ROLE ...).
//   kStateful         needs connection state, handled by the session layer in a later issue:
//                     MULTI EXEC DISCARD WATCH UNWATCH, blocking commands, the pub/sub family,
//                     EVAL/FCALL (their key specs still give the slot), WAIT.
//   kUnsupported      refused with Routing::error (or UnsupportedError's generic text).
//
// Derivation (DeriveRouting): an explicit override (routing_overrides.cc) wins; else Redis's
// request_policy/response_policy tips; else the blocking / pubsub flags; else the key specs
// (one key: single slot; more: same slot only); else keyless: admin commands unsupported,
// others any shard. A command unknown to the table gets UnknownCommandError (command_table.h).
#pragma once

#include <string>
#include <string_view>

#include "command/command_info.h"

namespace slotproxy::command {

// The policy for `info`, by the rules above. Pure: depends only on the row's name, flags, tips
// and key specs.
Routing DeriveRouting(const CommandInfo& info);

// The explicit override for the full lowercase name ("config|get"), or nullptr.
const Routing* FindRoutingOverride(std::string_view full_name);

// The error text for a kUnsupported command: routing.error when set, else
// "ERR command 'name' is not supported by slotproxy" (the full name, subcommands as "a|b").
std::string UnsupportedError(const CommandInfo& info);

// Names for logs and tests ("single_slot", "mget_concat", ...).
std::string_view RouteKindName(RouteKind kind);
std::string_view MergeKindName(MergeKind kind);

}  // namespace slotproxy::command

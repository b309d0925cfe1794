// Pieces the list and sorted-set command handlers share: typed key lookup with Redis's
// WRONGTYPE reply, Redis's integer argument rules (getLongFromObjectOrReply and its positive
// form) and the timeout argument of the blocking pops. Every function that can fail has already
// replied when it returns false, so a handler just returns.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/object.h"
#include "server/command_context.h"

namespace slotproxy::server::listzset {

// How a handler looks a key up: kRead counts a keyspace hit or miss (lookupKeyRead), kWrite does
// not (lookupKeyWrite). Both delete the key first when its TTL passed.
enum class Access { kRead, kWrite };

// Looks `key` up and stores its entry (nullptr when missing or expired) in *out. Returns false
// after replying WRONGTYPE when the key holds a value of a type other than `type`.
bool Lookup(CommandContext& ctx, std::string_view key, engine::ObjType type, Access access,
            engine::Entry** out);

// getLongFromObjectOrReply: a strict int64 (string2ll). False after replying "ERR value is not an
// integer or out of range".
bool ParseLong(CommandContext& ctx, std::string_view arg, int64_t* out);

// getPositiveLongFromObjectOrReply: an int64 >= 0. False after replying `error`, by default "ERR
// value is out of range, must be positive", for both failures (not an integer, or negative).
bool ParsePositiveLong(CommandContext& ctx, std::string_view arg, int64_t* out,
                       const char* error = nullptr);

// getDoubleFromObjectOrReply: a double as strtod reads it (no NaN, no leading space). False after
// replying `error` (default "ERR value is not a valid float").
bool ParseDoubleArg(CommandContext& ctx, std::string_view arg, double* out,
                    const char* error = nullptr);

// The timeout of BLPOP / BLMOVE / BZPOPMIN... (getTimeoutFromObjectOrReply, UNIT_SECONDS): a
// long double of seconds, rounded up to whole ms; *deadline_ms is 0 for "wait forever", else the
// absolute wall-clock ms (now + timeout, wrapping like Redis's long long addition). False after
// replying "ERR timeout is not a float or out of range" or "ERR timeout is negative" (also for
// values whose ms do not fit an int64, which x86 turns into LLONG_MIN in Redis).
bool ParseTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);

// Replies Redis's arity error for the running command.
void ReplyArityError(CommandContext& ctx);

// Records the usual effects of a write to `key`: KeyModified (WATCH) and `changes` added to the
// dirty counter (the dispatcher logs the command as sent when it is > 0).
void NoteWrite(CommandContext& ctx, std::string_view key, int64_t changes);

}  // namespace slotproxy::server::listzset

// Pieces the hash and set command handlers share: typed key lookup with Redis's WRONGTYPE
// reply, the HSCAN / SSCAN argument rules and reply shape, and the count argument of
// HRANDFIELD / SRANDMEMBER. Every function that can fail has already replied when it returns
// false, so a handler just returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/object.h"
#include "server/command_context.h"

namespace slotproxy::server::hash_set {

// How a handler looks a key up: kRead counts a keyspace hit or miss (Redis's lookupKeyRead),
// kWrite does not (lookupKeyWrite). Both delete the key first when its TTL passed.
enum class Access { kRead, kWrite };

// Looks `key` up and stores its entry (nullptr when missing or expired) in *out. Returns false
// after replying WRONGTYPE when the key holds a value of a type other than `type`.
bool LookupTyped(CommandContext& ctx, std::string_view key, engine::ObjType type, Access access,
                 engine::Entry** out);

// ASCII case-insensitive equality (Redis's strcasecmp on option keywords).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Replies Redis 7.0's arity error for the running command ("ERR wrong number of arguments for
// 'hset' command"), for commands whose arity rule the table cannot express (HSET's pairs).
void ReplyArityError(CommandContext& ctx);

// Parses a SCAN cursor the way Redis's parseScanCursorOrReply does (strtoul: optional sign,
// "-1" wraps to 2^64-1, the empty string is 0, no leading space, no trailing bytes, no
// overflow). Replies "ERR invalid cursor" and returns false when it is not one.
bool ParseScanCursor(CommandContext& ctx, std::string_view arg, uint64_t* cursor);

// The options of HSCAN / SSCAN after the cursor (COUNT n, MATCH pattern; any order, repeats
// allowed, the last wins, keywords case-insensitive).
struct ScanOptions {
  size_t count = 10;
  std::string_view pattern;  // only meaningful when use_pattern
  bool use_pattern = false;  // false when absent or exactly "*"
};

// Parses args[first..] into *options. Replies the error and returns false on an unknown word,
// a missing value, a non-integer COUNT ("ERR value is not an integer or out of range") or a
// COUNT below 1 ("ERR syntax error"). TYPE is SCAN's only, so it is a syntax error here.
bool ParseScanOptions(CommandContext& ctx, size_t first, ScanOptions* options);

// True when `element` passes the MATCH filter of `options`.
bool ScanMatches(const ScanOptions& options, std::string_view element);

// Replies a scan step: a 2-element array of the cursor (as a bulk string) and the elements.
void ReplyScan(CommandContext& ctx, uint64_t next_cursor, const std::vector<std::string>& elems);

// Replies a missing key's scan: cursor "0" and no elements (Redis's shared.emptyscan).
void ReplyEmptyScan(CommandContext& ctx);

// Parses the count of HRANDFIELD / SRANDMEMBER like Redis's
// getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX): not an integer -> "ERR value is not an
// integer or out of range"; LONG_MIN -> "ERR value is out of range, value must between
// -9223372036854775807 and 9223372036854775807". Replies and returns false on error.
bool ParseRandomCount(CommandContext& ctx, std::string_view arg, int64_t* count);

// Upper bound on how many elements a negative HRANDFIELD / SRANDMEMBER count may ask for.
// Redis 7.0 would try to build a reply of up to 2^63 elements and run out of memory; the shard
// refuses such a count instead.
inline constexpr uint64_t kMaxRandomRepeats = uint64_t{1} << 24;

// Checked once the key is known to exist (so a missing key still gets Redis's empty reply):
// false after replying "ERR value is out of range" when `count` < -kMaxRandomRepeats.
bool CheckRandomRepeats(CommandContext& ctx, int64_t count);

}  // namespace slotproxy::server::hash_set

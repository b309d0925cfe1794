// SCAN across shards. The proxy's cursor carries which shard is being walked and that shard's
// own cursor: bits 63..54 hold the shard index (up to 1024 shards), bits 53..0 the shard's
// cursor. Our engine's cursors are < 2^46 and Redis's are < its hash table size (a reversed
// bit counter over the table mask, far below 2^54 for any real table), so both fit. Shard 0's
// cursors are therefore the shard's own cursors unchanged, and "0" starts a full iteration.
//
// A full SCAN walks the shards in ScanShardOrder(): when shard i answers cursor 0, the proxy
// answers the cursor that starts shard i+1 ((i+1) << 54), and after the last shard it answers
// 0. The order is by each master's first owned slot, so it is stable across topology refreshes
// that do not move slot ranges between nodes; a reshard during an iteration weakens SCAN's
// guarantees (keys that moved may be missed or repeated), as it does on a Redis Cluster.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cluster/slot_map.h"
#include "resp/encoder.h"

namespace slotproxy::session {

inline constexpr int kScanShardBits = 10;
inline constexpr int kScanCursorBits = 64 - kScanShardBits;  // 54
inline constexpr uint64_t kScanMaxShardCursor = (uint64_t{1} << kScanCursorBits) - 1;
inline constexpr size_t kScanMaxShards = size_t{1} << kScanShardBits;

// Redis's reply to a cursor it cannot parse (and ours to a shard index past the shard count).
inline constexpr std::string_view kInvalidCursorError = "ERR invalid cursor";

// Where an iteration stands: the shard (an index into ScanShardOrder()) and its own cursor.
struct ScanPosition {
  uint32_t shard = 0;
  uint64_t shard_cursor = 0;
};

// Parses the client's cursor argument like Redis 7.0's parseScanCursorOrReply (strtoul: an
// optional '+' or '-' sign, decimal digits, nothing after them, no leading space; "" is 0 and
// "-1" wraps to 2^64-1 as strtoul does). Errors (Status message kInvalidCursorError): not a
// number, out of range, or a shard index >= shard_count (also when shard_count is 0).
Result<ScanPosition> ParseScanCursor(std::string_view arg, size_t shard_count);

// The client-visible cursor for a position. shard must be < kScanMaxShards and shard_cursor
// <= kScanMaxShardCursor (callers check with the functions below).
uint64_t EncodeScanCursor(ScanPosition position);

// The masters that own at least one slot, ordered by the first slot each owns: the shard
// numbering used in cursors. Empty for a null map or a map that serves no slot.
std::vector<cluster::NodeIndex> ScanShardOrder(const cluster::SlotMap* map);

// Appends the SCAN request for one shard: `args` (the client's SCAN, args[1] the cursor, the
// options after it kept unchanged) with the cursor replaced by `shard_cursor` in decimal.
void BuildShardScanRequest(std::span<const std::string_view> args, uint64_t shard_cursor,
                           std::string* out);

// Turns the shard's raw reply to that request into the client's reply: the shard's key array
// passed through, with the cursor replaced by the proxy cursor of the next position (the next
// shard's start when this shard answered 0, 0 after the last shard). An error sub-reply passes
// through unchanged. A malformed reply or a shard cursor above kScanMaxShardCursor writes
// "-ERR slotproxy: unexpected reply from shard: ...". `shard_count` is the size of the order
// the request was routed by.
void WriteScanReply(std::string_view shard_reply, uint32_t shard, size_t shard_count,
                    resp::Encoder& out);

}  // namespace slotproxy::session

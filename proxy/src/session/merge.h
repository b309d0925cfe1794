// Reply merging for commands the proxy splits by slot or fans out to every shard: pure functions
// (no I/O, no state) that build the client's one reply from the sub-replies, given as the raw
// RESP bytes each shard sent (one complete reply each, in sub-request order).
//
// Error policy (Redis has no precedent for a partly failed multi-shard command): when any
// sub-reply is an error, the client gets the FIRST error in sub-request order as the reply to
// the whole command, byte for byte (e.g. "-ERR node 10.0.0.3:6379 is down" produced by the
// backend layer, or a shard's "-OOM ..."). Envoy answers per-key errors inside an MGET array
// instead; we do not, because Redis never mixes errors into an MGET array and clients treat an
// array element as a value. The one exception is kOneSucceeded, whose meaning is the opposite
// (any success wins). A sub-reply that is not the shape the merge expects (e.g. a shard
// answering MGET with an integer) gives "-ERR slotproxy: unexpected reply from shard: ...".
//
// Element bytes are passed through unchanged (never re-encoded); only the aggregate header and
// computed integers are written with the client's resp::Encoder.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "command/command_info.h"
#include "resp/encoder.h"

namespace slotproxy::session {

// Where one client key's value comes from in a split MGET: element `index` of sub-reply `sub`.
// A split builds one KeySource per client key, in the client's key order.
struct KeySource {
  uint32_t sub = 0;
  uint32_t index = 0;
};

// Writes exactly one reply to `out` for a command merged by `kind` (kMgetConcat, kAllOk, kSum,
// kConcat, kRandomKey, kLogicalAnd, kOneSucceeded, kMin). `replies` holds the raw sub-replies in
// sub-request order; `sources` is used by kMgetConcat only. kNone passes the first reply
// through. kScan is not a merge (see scan_cursor.h): it writes an error. An empty `replies`
// writes "-ERR slotproxy: no shard answered" (so do all the functions below).
void MergeReplies(command::MergeKind kind, std::span<const std::string_view> replies,
                  std::span<const KeySource> sources, resp::Encoder& out);

// MGET split by slot: sub-reply `s` is the array of values for the keys of sub-request `s`, in
// that sub-request's order. Writes an array of sources.size() elements where element k is
// element sources[k].index of sub-reply sources[k].sub. First error wins; a sub-reply that is
// not an array, or a source pointing outside it, is an unexpected-reply error.
void MergeMget(std::span<const std::string_view> replies, std::span<const KeySource> sources,
               resp::Encoder& out);

// MSET, FLUSHALL, FLUSHDB, SAVE, CONFIG RESETSTAT...: the first error if any sub-reply is an
// error, else the first sub-reply passed through (+OK when the shards said +OK).
void MergeAllOk(std::span<const std::string_view> replies, resp::Encoder& out);

// DEL, UNLINK, EXISTS, TOUCH, DBSIZE: the sum of the integer sub-replies. First error wins; a
// non-integer sub-reply or an int64 overflow is an error.
void MergeSum(std::span<const std::string_view> replies, resp::Encoder& out);

// KEYS (and other keyless fan-outs returning arrays): every sub-reply's elements, in sub-request
// order, as one array. A null array counts as empty. First error wins.
void MergeConcat(std::span<const std::string_view> replies, resp::Encoder& out);

// RANDOMKEY: the first non-null sub-reply passed through; a null (Encoder::Null) when every
// shard answered null (empty keyspace). First error wins: a failed shard is reported rather
// than hidden, so an answer always means "every shard answered".
void MergeRandomKey(std::span<const std::string_view> replies, resp::Encoder& out);

// SCRIPT EXISTS: element-wise logical AND of equally long integer arrays (each element 0 or
// not). Arrays of different lengths are an unexpected-reply error. First error wins.
void MergeLogicalAnd(std::span<const std::string_view> replies, resp::Encoder& out);

// SCRIPT KILL, FUNCTION KILL: the first non-error sub-reply passed through; when every
// sub-reply is an error, the first error.
void MergeOneSucceeded(std::span<const std::string_view> replies, resp::Encoder& out);

// WAIT-style agg_min: the smallest integer sub-reply. First error wins.
void MergeMin(std::span<const std::string_view> replies, resp::Encoder& out);

// The message of the error written for a sub-reply the merge cannot use ("ERR slotproxy:
// unexpected reply from shard: <why>"), for callers that report such errors themselves.
inline constexpr std::string_view kUnexpectedReplyPrefix =
    "ERR slotproxy: unexpected reply from shard: ";

}  // namespace slotproxy::session

// RequestParser: splits a client's byte stream into commands exactly as Redis 7.0 does
// (processInputBuffer / processInlineBuffer / processMultibulkBuffer in src/networking.c and
// sdssplitargs in src/sds.c), error texts included. No I/O, no command knowledge.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace slotproxy::resp {

// Bounds on what a client may announce; the defaults are Redis 7.0's.
struct RequestLimits {
  // proto-max-bulk-len: a larger `$` length is "invalid bulk length".
  int64_t max_bulk_len = 536870912;
  // A larger `*` count is "invalid multibulk length" (INT_MAX since Redis 7.0).
  int64_t max_multibulk_len = INT_MAX;
  // PROTO_INLINE_MAX_SIZE: an inline line or a `*`/`$` header still without its terminator
  // once more than this many bytes are waiting is a "too big ..." error.
  size_t max_inline_size = 64 * 1024;
  // A client that has not authenticated yet (Redis's authRequired()): the counts below apply.
  bool unauthenticated = false;
  int64_t unauthenticated_max_multibulk_len = 10;
  int64_t unauthenticated_max_bulk_len = 16384;
};

// The protocol errors Redis reports to a client, one per distinct reply text.
enum class RequestError : uint8_t {
  kNone,
  kTooBigInlineRequest,     // inline line without '\n' beyond max_inline_size
  kUnbalancedQuotes,        // inline quoting that sdssplitargs rejects
  kTooBigMbulkCountString,  // `*` header without '\r' beyond max_inline_size
  kInvalidMultibulkLength,  // `*` count not a number, or above max_multibulk_len
  kUnauthenticatedMultibulkLength,
  kTooBigBulkCountString,  // `$` header without '\r' beyond max_inline_size
  kExpectedDollar,         // an element of a multibulk does not start with '$'
  kInvalidBulkLength,      // `$` length not a number, negative, or above max_bulk_len
  kUnauthenticatedBulkLength,
};

enum class RequestStatus : uint8_t {
  kComplete,  // a command was parsed: see ParseResult::args
  kNeedMore,  // no complete command yet: keep the unconsumed bytes, append more, call again
  kError,     // a protocol error: see ParseResult::error; the stream cannot be resumed
};

// The protocol error text without "-" and CRLF, e.g. "ERR Protocol error: invalid bulk length".
// `got` is the offending byte of kExpectedDollar (ignored otherwise); Redis maps '\r' and '\n'
// to a space there and prints any other byte raw.
std::string RequestErrorMessage(RequestError error, char got = 0);

// The full reply line Redis sends, e.g. "-ERR Protocol error: invalid bulk length\r\n".
std::string RequestErrorReply(RequestError error, char got = 0);

// A short stable name ("invalid_bulk_length", ...) for logs and metric labels.
std::string_view RequestErrorName(RequestError error);

struct ParseResult {
  RequestStatus status = RequestStatus::kNeedMore;
  // Bytes at the start of the buffer the caller may drop now. kComplete: everything up to the
  // end of the command (blank inline lines and `*0`/`*-1` before it included). kNeedMore: the
  // blank lines and empty multibulks skipped so far, possibly 0 (the partial command is kept by
  // the parser as offsets, its bytes must stay). kError: the bytes before the faulty command;
  // the commands before it were returned by earlier calls and should still be answered.
  size_t consumed = 0;
  // kComplete: the arguments (at least one). The span itself is parser storage, reused by the
  // next Parse/Reset call: copy the views out to keep them longer. Each view points into the
  // buffer passed to Parse (valid while the caller keeps those bytes unchanged), except when
  // args_in_buffer is false (an inline line that used quotes): then they point into parser
  // storage, also reused by the next Parse/Reset call.
  std::span<const std::string_view> args;
  bool is_inline = false;  // kComplete: the command came as an inline line
  // kComplete, multibulk only: the command's own bytes in the buffer, from its '*' to the end
  // of its last argument's CRLF, when they are canonical RESP (every bulk ends with "\r\n", as
  // Redis's own encoding would). A proxy may forward them as they are instead of re-encoding
  // args. Empty for inline commands and for multibulks with other bytes after a bulk.
  std::string_view raw;
  bool args_in_buffer = true;  // kComplete: every view points into the buffer
  RequestError error = RequestError::kNone;
  char got = 0;  // kError with kExpectedDollar: the byte found instead of '$'

  // The error as a Status carrying RequestErrorMessage(); ok() unless status == kError.
  Status ToStatus() const;
  // RequestErrorReply() for this result's error.
  std::string ErrorReply() const { return RequestErrorReply(error, got); }
};

// Resumable, zero-copy request parser for one client connection.
//
// Protocol (same as Redis): a command starting with '*' is a multibulk
// (`*<n>\r\n` then n times `$<len>\r\n<len bytes>` and 2 unchecked bytes); anything else is an
// inline line ending at '\n' (a '\r' before it is dropped) split like sdssplitargs. Blank
// lines and multibulks with a count <= 0 are consumed silently. Like Redis (which uses
// strchr), a NUL byte before the terminator of an inline line or `*`/`$` header hides the
// terminator, so such a line only ends with the "too big" error.
//
// Usage: call Parse() with ALL bytes not yet consumed: the previous call's buffer minus its
// `consumed` prefix, unchanged (it may have moved in memory), plus any new bytes at the end.
// Progress is kept as offsets between calls, so a partial command is never rescanned: total
// work is linear in the input however it is split, and nothing is allocated in advance for an
// announced bulk length. The caller bounds its own buffer (Redis's client-query-buffer-limit).
// Not thread-safe; one parser per connection.
class RequestParser {
 public:
  explicit RequestParser(RequestLimits limits = {});

  // Parses the next command at the start of `buffer`; see ParseResult for each status.
  // After kError the parser is reset, but the stream is unusable: send the error reply after
  // the replies of the earlier commands, then close the connection, as Redis does.
  ParseResult Parse(std::string_view buffer);

  // Forgets any partial command (e.g. when the connection is reused for a new stream).
  void Reset();

  // Changes the limits; takes effect from the next header parsed. Typical use: clear
  // `unauthenticated` once the client has authenticated.
  void set_limits(const RequestLimits& limits) { limits_ = limits; }
  const RequestLimits& limits() const { return limits_; }

 private:
  enum class State : uint8_t { kStart, kInline, kMultibulk };

  ParseResult ParseInline(std::string_view buffer, size_t consumed);
  ParseResult ParseMultibulk(std::string_view buffer, size_t consumed);
  // The common case in one pass: a whole canonical multibulk (every header and payload ending
  // in CRLF, within the limits) at offset `at`, complete in `buffer`. Fills *out (consumed
  // counts from the buffer start) and returns true; false when anything is missing or unusual,
  // leaving the parser unchanged for the general path, which gives the same result or error.
  bool TryFastMultibulk(std::string_view buffer, size_t at, ParseResult* out);

  // The `*`/`$` header line at pos_: found (its '\r' at `cr`, and `value` when the fast path
  // already parsed the number), still incomplete, or over max_inline_size without a '\r'.
  struct HeaderLine {
    enum State : uint8_t { kFound, kWait, kTooBig } state = kWait;
    size_t cr = 0;
    bool parsed = false;
    int64_t value = 0;
  };
  HeaderLine LocateHeader(std::string_view buffer, char prefix);
  // Read the multibulk count / the next bulk length at pos_. nullopt: go on parsing; otherwise
  // the result to return (need more, error, or an empty multibulk to skip).
  std::optional<ParseResult> ReadCount(std::string_view buffer, size_t consumed);
  std::optional<ParseResult> ReadBulkHeader(std::string_view buffer, size_t consumed);
  // Splits an inline line into args_: views into `line`, or into owned_ (then *in_buffer is
  // set to false) when it uses quotes. False on unbalanced quotes.
  bool SplitInline(std::string_view line, bool* in_buffer);
  bool SplitQuoted(std::string_view line);
  bool ReadQuotedToken(std::string_view line, size_t* pos);
  // Finds the '\r' ending the header line at pos_ (Redis: strchr from the line start), resuming
  // the search at scan_. Returns its offset, or npos when it is not there (yet).
  size_t FindHeaderEnd(std::string_view buffer);
  // kNeedMore after dropping `consumed` skipped bytes; rebases the offsets of a partial command.
  ParseResult NeedMore(size_t consumed);
  // kError for the command starting at start_; resets the parser.
  ParseResult Fail(RequestError error, char got = 0);
  // Ends the multibulk at pos_, building args_ from spans_.
  ParseResult CompleteMultibulk(std::string_view buffer);
  // Starts searching for the terminator of a new line at `pos`.
  void StartLine(size_t pos);

  RequestLimits limits_;
  State state_ = State::kStart;
  // All offsets below are relative to the start of the buffer of the current call; on
  // kNeedMore they are rebased by `consumed` so they stay relative to the unconsumed start.
  size_t start_ = 0;       // start of the command in progress
  size_t pos_ = 0;         // next unparsed byte of the command in progress
  size_t scan_ = 0;        // the current line holds no terminator before this offset
  bool nul_seen_ = false;  // a NUL hides the terminator of the current line (Redis's strchr)
  int64_t remaining_ = 0;  // multibulk elements still to read
  int64_t bulk_len_ = -1;  // length of the bulk whose payload starts at pos_, -1 if none
  bool raw_ok_ = true;     // every bulk so far ended with CRLF (ParseResult::raw)
  std::vector<std::string_view> args_;  // reused for every command
  // Multibulk arguments as (offset from start_, length): the buffer may move between calls,
  // and offsets from the command start survive rebasing without being touched.
  std::vector<std::pair<size_t, size_t>> spans_;
  std::string owned_;  // decoded inline arguments that used quotes, reused
};

}  // namespace slotproxy::resp

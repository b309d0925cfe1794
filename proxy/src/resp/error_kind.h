// Classification of RESP error replies, so the proxy can recognise cluster redirections and
// retryable errors and read their slot and address without copying the reply.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace slotproxy::resp {

// What an error reply asks the proxy to do. Decided by the error code (the first word), exactly
// as Redis writes it (upper case).
enum class ErrorKind : uint8_t {
  kNone,         // not an error reply (ReplyParser uses it for every other type)
  kMoved,        // -MOVED <slot> <host>:<port>
  kAsk,          // -ASK <slot> <host>:<port>
  kTryAgain,     // -TRYAGAIN ...
  kClusterDown,  // -CLUSTERDOWN ...
  kOther,        // any other error
};

// Returns a stable lower-case name ("moved", "ask", ...) for logs and metric labels.
std::string_view ErrorKindName(ErrorKind kind);

// Classifies an error reply by its first word. `error_line` is the message without the leading
// '-' and the trailing CRLF (e.g. "MOVED 12182 127.0.0.1:7402"); a leading '-' and a trailing
// "\r\n" are tolerated and ignored, so the raw reply line works too. Never returns kNone.
ErrorKind ClassifyError(std::string_view error_line);

// A parsed -MOVED or -ASK redirection. `host` is a view into the input passed to ParseRedirect.
struct Redirect {
  ErrorKind kind = ErrorKind::kMoved;  // kMoved or kAsk
  uint16_t slot = 0;                   // 0..16383
  // Empty means "the same host as the node that sent the error" (Redis's unknown-endpoint
  // form "-MOVED 12182 :7402"). Redis may also send "?" (hostname endpoints with no hostname
  // set); it is returned as is and the caller must treat it as unknown. IPv6 literals come
  // without brackets ("::1"); surrounding brackets, if a peer sends them, are removed.
  std::string_view host;
  uint16_t port = 0;  // 1..65535
};

// Parses "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>" (same input conventions as
// ClassifyError). The address is split on its LAST ':' so IPv6 hosts work. Returns nullopt for
// any other error, and for a malformed one: not exactly three space-separated tokens, a slot
// that is not a decimal number in 0..16383, a missing/empty/non-numeric port or one outside
// 1..65535. Copies nothing.
std::optional<Redirect> ParseRedirect(std::string_view error_line);

}  // namespace slotproxy::resp

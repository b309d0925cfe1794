// SLOWLOG GET / LEN / RESET / HELP answered from the proxy's SlowLog, replies byte for byte in
// Redis 7.0's shape and wording (src/slowlog.c), written through a resp::Encoder (RESP2 or 3).
//
// One difference, on purpose: every GET entry has 8 elements instead of Redis's 6. After id,
// timestamp, duration (µs), arguments, client address and client name come
//   7. proxy_usec: the time spent in the proxy (duration minus the backend part), integer
//   8. backend_usec: the time spent waiting for backends, integer
// Clients that read entries positionally (redis-cli, redis-py, go-redis) ignore the extras.
#pragma once

#include <span>
#include <string_view>

#include "metrics/slowlog.h"
#include "resp/encoder.h"

namespace slotproxy::metrics {

// Answers the whole command `args` ("SLOWLOG", "GET", "5", ...; any case) into `enc`:
//   GET [count]: count defaults to 10, -1 means all; anything else that is not an integer
//     >= -1 gets "ERR count should be greater than or equal to -1".
//   LEN: the number of entries. RESET: "+OK". HELP: the help lines.
// Errors as Redis: "ERR wrong number of arguments for 'slowlog' command" (no subcommand),
// "ERR unknown subcommand 'x'. Try SLOWLOG HELP." and, for a known subcommand with the wrong
// argument count, Redis's arity error ("... for 'slowlog|len' command") or, for GET with too
// many arguments, "ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG
// HELP.". Never fails otherwise.
void SlowlogCommand(SlowLog& log, std::span<const std::string_view> args, resp::Encoder* enc);

// One GET entry (8 elements, see above).
void EncodeSlowlogEntry(const SlowLogEntry& e, resp::Encoder* enc);

}  // namespace slotproxy::metrics

// PeekKeys: a cheap look at the pipelined requests still waiting in a client's input, so the
// keyspace can prefetch their keys (engine::Keyspace::Prefetch) before they run. A hint only:
// the real parse (resp::RequestParser) decides what the bytes are.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace slotproxy::server {

// Scans the complete multibulk requests (`*N\r\n` then N `$len\r\n...\r\n` bulks) at the front
// of `input`, storing each one's second argument (the key of a keyed command) in `keys`, at most
// keys.size() of them. Stops at the first request that is incomplete, inline, or malformed.
// Returns the number of requests scanned (those with fewer than two arguments store no key);
// `*stored` receives the number of keys stored. The views point into `input`.
size_t PeekKeys(std::string_view input, std::span<std::string_view> keys, size_t* stored);

}  // namespace slotproxy::server

// SHA-1 as scripts use it: the name of a script in the cache (EVALSHA, SCRIPT LOAD) and
// redis.sha1hex(). OpenSSL computes the digest.
#pragma once

#include <string>
#include <string_view>

namespace slotproxy::server::scripting {

// The SHA-1 digest of `data` as 40 lowercase hex digits (Redis's sha1hex).
std::string Sha1Hex(std::string_view data);

}  // namespace slotproxy::server::scripting

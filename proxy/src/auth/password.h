// Password digests for ACL users: SHA-256 (what Redis stores and what password_sha256 holds) and
// a comparison whose time does not depend on where two digests differ.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace slotproxy::auth {

using Digest = std::array<unsigned char, 32>;

// SHA-256 of `password` (OpenSSL).
Digest Sha256(std::string_view password);

// The digest written as 64 lower-case hex digits (Redis's ACLHashPassword form), or nullopt when
// `hex` is anything else (upper case included, as Redis's '#' rule).
std::optional<Digest> ParseHexDigest(std::string_view hex);

// The 64 lower-case hex digits of `digest`.
std::string DigestToHex(const Digest& digest);

// True when the digests are equal; constant time (CRYPTO_memcmp).
bool DigestsEqual(const Digest& a, const Digest& b);

}  // namespace slotproxy::auth

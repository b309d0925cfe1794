#include "auth/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cassert>

namespace slotproxy::auth {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Digest Sha256(std::string_view password) {
  Digest digest{};
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure inside OpenSSL; SHA-256 is always available.
  int ok =
      EVP_Digest(password.data(), password.size(), digest.data(), &length, EVP_sha256(), nullptr);
  assert(ok == 1 && length == digest.size());
  (void)ok;
  return digest;
}

std::optional<Digest> ParseHexDigest(std::string_view hex) {
  Digest digest{};
  if (hex.size() != digest.size() * 2) return std::nullopt;
  for (size_t i = 0; i < digest.size(); ++i) {
    int high = HexValue(hex[2 * i]);
    int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return digest;
}

std::string DigestToHex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

bool DigestsEqual(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace slotproxy::auth

#include "server/scripting/sha1.h"

#include <openssl/evp.h>

#include <cassert>

namespace slotproxy::server::scripting {

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP (not the SHA1() shortcut, deprecated in OpenSSL 3) with the default provider.
  int ok = EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha1(), nullptr);
  assert(ok == 1 && len == 20);
  (void)ok;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(40, '0');
  for (unsigned int i = 0; i < 20; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace slotproxy::server::scripting

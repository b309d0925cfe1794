#include "server/key_prefetch.h"

#include <cstdint>

namespace slotproxy::server {
namespace {

// Bounds that keep the scan cheap on hostile input; bigger requests simply end the scan.
constexpr uint64_t kMaxArgs = 1024;
constexpr uint64_t kMaxLength = uint64_t{1} << 32;

// Reads `<prefix><digits>\r\n` at `*pos`; false when anything else is there.
bool ReadHeader(std::string_view in, size_t* pos, char prefix, uint64_t* value) {
  size_t p = *pos;
  if (p >= in.size() || in[p] != prefix) return false;
  ++p;
  uint64_t v = 0;
  const size_t digits_start = p;
  while (p < in.size() && in[p] >= '0' && in[p] <= '9') {
    v = v * 10 + static_cast<uint64_t>(in[p] - '0');
    if (v > kMaxLength) return false;
    ++p;
  }
  if (p == digits_start || p + 1 >= in.size() || in[p] != '\r' || in[p + 1] != '\n') return false;
  *pos = p + 2;
  *value = v;
  return true;
}

// Scans one request at `*pos`; `*key` is its second argument (empty when it has none).
bool ScanRequest(std::string_view in, size_t* pos, std::string_view* key, bool* has_key) {
  size_t p = *pos;
  uint64_t argc = 0;
  if (!ReadHeader(in, &p, '*', &argc) || argc == 0 || argc > kMaxArgs) return false;
  *has_key = false;
  for (uint64_t i = 0; i < argc; ++i) {
    uint64_t len = 0;
    if (!ReadHeader(in, &p, '$', &len)) return false;
    if (len + 2 > in.size() - p) return false;
    if (in[p + len] != '\r' || in[p + len + 1] != '\n') return false;
    if (i == 1) {
      *key = in.substr(p, len);
      *has_key = true;
    }
    p += len + 2;
  }
  *pos = p;
  return true;
}

}  // namespace

size_t PeekKeys(std::string_view input, std::span<std::string_view> keys, size_t* stored) {
  size_t pos = 0;
  size_t requests = 0;
  *stored = 0;
  while (*stored < keys.size()) {
    std::string_view key;
    bool has_key = false;
    if (!ScanRequest(input, &pos, &key, &has_key)) break;
    ++requests;
    if (has_key) keys[(*stored)++] = key;
  }
  return requests;
}

}  // namespace slotproxy::server

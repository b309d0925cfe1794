// Fuzzes the key -> slot mapping: for any byte string, KeySlot must equal the straightforward
// reference of the protocol notes (bit-by-bit CRC16/XMODEM over the hash part found by plain
// index loops), HashPart must be a view inside the key, and the slot must be < 16384.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cluster/crc16.h"

namespace {

uint16_t ReferenceCrc16(const uint8_t* p, size_t n) {
  uint16_t crc = 0;
  while (n--) {
    crc ^= static_cast<uint16_t>(*p++ << 8);
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

// keyHashSlot() from Redis src/cluster.c, as transcribed in the protocol notes.
int ReferenceKeySlot(const uint8_t* key, size_t n) {
  size_t s = 0;
  while (s < n && key[s] != '{') s++;
  if (s == n) return ReferenceCrc16(key, n) & 16383;
  size_t e = s + 1;
  while (e < n && key[e] != '}') e++;
  if (e == n || e == s + 1) return ReferenceCrc16(key, n) & 16383;
  return ReferenceCrc16(key + s + 1, e - s - 1) & 16383;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view key(reinterpret_cast<const char*>(data), size);
  const uint16_t slot = slotproxy::cluster::KeySlot(key);
  if (slot >= slotproxy::cluster::kSlotCount) __builtin_trap();
  if (slot != ReferenceKeySlot(data, size)) __builtin_trap();
  const std::string_view part = slotproxy::cluster::HashPart(key);
  if (part.size() > key.size()) __builtin_trap();
  if (!key.empty() && (part.data() < key.data() || part.data() + part.size() > key.data() + size)) {
    __builtin_trap();
  }
  if (slotproxy::cluster::Crc16(part) % slotproxy::cluster::kSlotCount != slot) __builtin_trap();
  return 0;
}

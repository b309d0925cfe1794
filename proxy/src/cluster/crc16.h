// Redis Cluster key hashing: CRC16/XMODEM and the key -> slot mapping with hash tags.
#pragma once

#include <cstdint>
#include <string_view>

namespace slotproxy::cluster {

// Number of hash slots in a Redis Cluster.
inline constexpr int kSlotCount = 16384;

// CRC16/XMODEM (poly 0x1021, init 0, no reflection, no final xor) of `data`, as Redis's
// src/crc16.c computes it. Crc16("123456789") == 0x31C3.
uint16_t Crc16(std::string_view data);

// The part of `key` that is hashed, by Redis's hash-tag rule: the bytes strictly between the
// first '{' and the first '}' after it, unless there is no such '}' or the tag is empty, in which
// case the whole key. The result is a view into `key`.
std::string_view HashPart(std::string_view key);

// The cluster slot of `key`: Crc16(HashPart(key)) mod 16384. Any byte string is a valid key.
uint16_t KeySlot(std::string_view key);

}  // namespace slotproxy::cluster

// The append-only file's on-disk format (ours, not RESP: the engine does not speak RESP).
//
//   file   := header record*
//   header := "SPAOF001" (8 bytes)
//   record := u32 payload_len | u32 crc32(payload) | payload          (little-endian)
//   payload:= u32 argc | (u32 len | len bytes){argc}
//
// A record is one command's argument vector as the shard logs it (e.g. SET k v PXAT t). The
// records of one transaction or script that wrote more than once sit between a `MULTI` record
// and an `EXEC` record (one argument each), as Redis 7.0's AOF wraps them: the loader applies
// such a block whole or, when the file ends inside it, not at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace slotproxy::engine::aof {

inline constexpr std::string_view kFileMagic = "SPAOF001";
inline constexpr size_t kRecordHeaderSize = 8;
// Bound on one record's payload; a larger announced length is corruption, not a big write.
inline constexpr uint32_t kMaxPayload = 1u << 30;

inline constexpr std::string_view kMultiName = "MULTI";
inline constexpr std::string_view kExecName = "EXEC";

// Appends one record holding `args` to `*out`.
void EncodeRecord(std::span<const std::string_view> args, std::string* out);

enum class DecodeStatus {
  kRecord,     // a valid record: *args holds views into `bytes`, *consumed its length
  kTruncated,  // `bytes` ends inside a record (a torn tail if nothing follows it in the file)
  kCorrupt,    // checksum mismatch or malformed payload; *error says what
};

// True when `args` is a block's opening (MULTI) / closing (EXEC) record: one argument, the name
// in any case (Redis looks commands up case-insensitively when it loads an AOF).
bool IsMultiRecord(std::span<const std::string_view> args);
bool IsExecRecord(std::span<const std::string_view> args);

// Decodes the record at the start of `bytes`.
DecodeStatus DecodeRecord(std::string_view bytes, std::vector<std::string_view>* args,
                          size_t* consumed, std::string* error);

}  // namespace slotproxy::engine::aof

#include "engine/aof/aof_format.h"

#include <zlib.h>

#include <cstring>

namespace slotproxy::engine::aof {
namespace {

void PutU32(uint32_t v, std::string* out) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

uint32_t Crc32(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// Splits a payload into its arguments; false when the lengths do not add up exactly.
bool SplitPayload(std::string_view payload, std::vector<std::string_view>* args) {
  if (payload.size() < 4) return false;
  uint32_t argc = GetU32(payload.data());
  size_t pos = 4;
  args->clear();
  for (uint32_t i = 0; i < argc; ++i) {
    if (payload.size() - pos < 4) return false;
    uint32_t len = GetU32(payload.data() + pos);
    pos += 4;
    if (payload.size() - pos < len) return false;
    args->emplace_back(payload.data() + pos, len);
    pos += len;
  }
  return pos == payload.size() && argc > 0;
}

bool IsLoneWord(std::span<const std::string_view> args, std::string_view upper) {
  if (args.size() != 1 || args[0].size() != upper.size()) return false;
  for (size_t i = 0; i < upper.size(); ++i) {
    char c = args[0][i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

}  // namespace

bool IsMultiRecord(std::span<const std::string_view> args) { return IsLoneWord(args, kMultiName); }

bool IsExecRecord(std::span<const std::string_view> args) { return IsLoneWord(args, kExecName); }

void EncodeRecord(std::span<const std::string_view> args, std::string* out) {
  size_t payload_len = 4;
  for (std::string_view a : args) payload_len += 4 + a.size();
  size_t start = out->size();
  out->reserve(start + kRecordHeaderSize + payload_len);
  PutU32(static_cast<uint32_t>(payload_len), out);
  PutU32(0, out);  // checksum, filled in below
  PutU32(static_cast<uint32_t>(args.size()), out);
  for (std::string_view a : args) {
    PutU32(static_cast<uint32_t>(a.size()), out);
    out->append(a);
  }
  uint32_t crc = Crc32(std::string_view(*out).substr(start + kRecordHeaderSize));
  std::string crc_bytes;
  PutU32(crc, &crc_bytes);
  out->replace(start + 4, 4, crc_bytes);
}

DecodeStatus DecodeRecord(std::string_view bytes, std::vector<std::string_view>* args,
                          size_t* consumed, std::string* error) {
  if (bytes.size() < kRecordHeaderSize) return DecodeStatus::kTruncated;
  uint32_t payload_len = GetU32(bytes.data());
  uint32_t crc = GetU32(bytes.data() + 4);
  if (payload_len > kMaxPayload) {
    *error = "record length " + std::to_string(payload_len) + " is out of range";
    return DecodeStatus::kCorrupt;
  }
  if (bytes.size() - kRecordHeaderSize < payload_len) return DecodeStatus::kTruncated;
  std::string_view payload = bytes.substr(kRecordHeaderSize, payload_len);
  if (Crc32(payload) != crc) {
    *error = "record checksum mismatch";
    return DecodeStatus::kCorrupt;
  }
  if (!SplitPayload(payload, args)) {
    *error = "malformed record payload";
    return DecodeStatus::kCorrupt;
  }
  *consumed = kRecordHeaderSize + payload_len;
  return DecodeStatus::kRecord;
}

}  // namespace slotproxy::engine::aof

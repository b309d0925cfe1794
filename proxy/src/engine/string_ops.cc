// Keyspace string commands with Redis 7.0 semantics: APPEND, SETRANGE, INCRBY, INCRBYFLOAT,
// GETRANGE.
#include <cmath>
#include <cstring>

#include "engine/errors.h"
#include "engine/keyspace.h"
#include "engine/numbers.h"

namespace slotproxy::engine {

Result<size_t> Keyspace::Append(std::string_view key, std::string_view value, int64_t now_ms) {
  Entry* e = Find(key, now_ms);
  if (e == nullptr) {
    // Redis stores APPEND's argument as SET would (tryObjectEncoding) when the key is new.
    SetString(key, value);
    return value.size();
  }
  if (e->type() != ObjType::kString) return Status::Error(kErrWrongType);
  const size_t total = e->StringLength() + value.size();
  if (total > kMaxStringLength) return Status::Error(kErrStringTooLong);
  if (e->str_encoding() == StrEncoding::kRaw) {
    e->raw()->append(value);
    return total;
  }
  // Like dbUnshareStringValue: a modified string becomes raw, and keeps its TTL.
  char buf[kInt64Chars];
  std::string joined;
  joined.reserve(total);
  joined.append(e->StringValue(buf));
  joined.append(value);
  SetRawString(key, std::move(joined), /*keep_ttl=*/true);
  return total;
}

Result<size_t> Keyspace::SetRange(std::string_view key, uint64_t offset, std::string_view value,
                                  int64_t now_ms) {
  Entry* e = Find(key, now_ms);
  if (e == nullptr) {
    if (value.empty()) return size_t{0};
    if (offset + value.size() > kMaxStringLength) return Status::Error(kErrStringTooLong);
    std::string s(offset, '\0');
    s.append(value);
    SetRawString(key, std::move(s));
    return offset + value.size();
  }
  if (e->type() != ObjType::kString) return Status::Error(kErrWrongType);
  const size_t old_len = e->StringLength();
  if (value.empty()) return old_len;
  if (offset + value.size() > kMaxStringLength) return Status::Error(kErrStringTooLong);
  if (e->str_encoding() != StrEncoding::kRaw) {
    char buf[kInt64Chars];
    e = SetRawString(key, std::string(e->StringValue(buf)), /*keep_ttl=*/true);
  }
  std::string& s = *e->raw();
  if (s.size() < offset + value.size()) s.resize(offset + value.size(), '\0');
  std::memcpy(s.data() + offset, value.data(), value.size());
  return s.size();
}

Result<int64_t> Keyspace::IncrBy(std::string_view key, int64_t delta, int64_t now_ms) {
  Entry* e = Find(key, now_ms);
  int64_t old = 0;
  if (e != nullptr) {
    if (e->type() != ObjType::kString) return Status::Error(kErrWrongType);
    if (e->str_encoding() == StrEncoding::kInt) {
      old = e->int_value();
    } else {
      char buf[kInt64Chars];
      if (!ParseInt64(e->StringValue(buf), &old)) return Status::Error(kErrNotInteger);
    }
  }
  if ((delta < 0 && old < 0 && delta < INT64_MIN - old) ||
      (delta > 0 && old > 0 && delta > INT64_MAX - old)) {
    return Status::Error(kErrIncrOverflow);
  }
  const int64_t value = old + delta;
  if (e != nullptr && e->str_encoding() == StrEncoding::kInt) {
    e->set_int(value);  // INCR's hot path: the entry in hand, no second lookup
  } else {
    SetInteger(key, value, /*keep_ttl=*/true);
  }
  return value;
}

Result<std::string> Keyspace::IncrByFloat(std::string_view key, long double delta, int64_t now_ms) {
  Entry* e = Find(key, now_ms);
  long double old = 0;
  if (e != nullptr) {
    if (e->type() != ObjType::kString) return Status::Error(kErrWrongType);
    if (e->str_encoding() == StrEncoding::kInt) {
      old = static_cast<long double>(e->int_value());
    } else {
      char buf[kInt64Chars];
      if (!ParseLongDouble(e->StringValue(buf), &old)) return Status::Error(kErrNotFloat);
    }
  }
  const long double value = old + delta;
  if (std::isnan(value) || std::isinf(value)) return Status::Error(kErrNanOrInfinity);
  std::string text = FormatLongDoubleHuman(value);
  // Redis stores the text as a plain string object (embstr or raw), never int-encoded.
  if (text.size() <= kEmbStrMax) {
    Entry* fresh = EntryOps::Allocate(key, ObjType::kString, StrEncoding::kEmbStr, text.size());
    std::memcpy(fresh->emb_data(), text.data(), text.size());
    Install(fresh, /*keep_ttl=*/true);
  } else {
    SetRawString(key, text, /*keep_ttl=*/true);
  }
  return text;
}

std::string_view Keyspace::GetRange(std::string_view value, int64_t start, int64_t end) {
  const int64_t len = static_cast<int64_t>(value.size());
  if (start < 0 && end < 0 && start > end) return {};
  if (len == 0) return {};
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end) return {};
  return value.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1));
}

}  // namespace slotproxy::engine

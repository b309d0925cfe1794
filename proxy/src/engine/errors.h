// Error texts the engine returns, in Redis 7.0's wording, without the leading '-' of RESP.
#pragma once

namespace slotproxy::engine {

inline constexpr char kErrWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr char kErrNotInteger[] = "ERR value is not an integer or out of range";
inline constexpr char kErrIncrOverflow[] = "ERR increment or decrement would overflow";
inline constexpr char kErrNotFloat[] = "ERR value is not a valid float";
inline constexpr char kErrNanOrInfinity[] = "ERR increment would produce NaN or Infinity";
inline constexpr char kErrStringTooLong[] =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr char kErrNoSuchKey[] = "ERR no such key";
inline constexpr char kErrSameObject[] = "ERR source and destination objects are the same";
inline constexpr char kErrOffsetOutOfRange[] = "ERR offset is out of range";

}  // namespace slotproxy::engine

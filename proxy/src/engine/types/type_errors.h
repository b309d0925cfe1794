// Error texts of the container commands, in Redis 7.0's wording (without RESP's leading '-').
// Shared texts (WRONGTYPE, "value is not an integer", ...) live in engine/errors.h.
#pragma once

namespace slotproxy::engine {

inline constexpr char kErrHashNotInteger[] = "ERR hash value is not an integer";
inline constexpr char kErrHashNotFloat[] = "ERR hash value is not a float";
inline constexpr char kErrIncrValueNanOrInf[] = "ERR value is NaN or Infinity";
inline constexpr char kErrIndexOutOfRange[] = "ERR index out of range";
inline constexpr char kErrLposRankZero[] =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
inline constexpr char kErrLposCountNegative[] = "ERR COUNT can't be negative";
inline constexpr char kErrLposMaxlenNegative[] = "ERR MAXLEN can't be negative";
inline constexpr char kErrZScoreNaN[] = "ERR resulting score is not a number (NaN)";
inline constexpr char kErrZMinMaxNotFloat[] = "ERR min or max is not a float";
inline constexpr char kErrZMinMaxNotLex[] = "ERR min or max not valid string range item";
inline constexpr char kErrZAddXxNx[] = "ERR XX and NX options at the same time are not compatible";
inline constexpr char kErrZAddGtLtNx[] =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr char kErrZAddIncrPairs[] =
    "ERR INCR option supports a single increment-element pair";
inline constexpr char kErrZWeightNotFloat[] = "ERR weight value is not a float";
inline constexpr char kErrZLimitNeedsBy[] =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
inline constexpr char kErrOutOfRangePositive[] = "ERR value is out of range, must be positive";

}  // namespace slotproxy::engine

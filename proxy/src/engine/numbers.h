// Redis's number parsing and formatting rules (src/util.c), which decide what INCR, INCRBYFLOAT,
// the int encoding and many argument checks accept, byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace slotproxy::engine {

// Room for any int64 in decimal with its sign.
inline constexpr size_t kInt64Chars = 21;

// Parses `s` as Redis's string2ll: optional '-', no '+', no spaces, no leading zeros (only "0"
// itself), at most 20 bytes, and the value must fit an int64. True and *out set on success; false
// (and *out untouched) otherwise.
bool ParseInt64(std::string_view s, int64_t* out);

// Parses `s` as Redis's string2ld (strtold): no leading space, every byte used, not NaN, not an
// out-of-range value; "inf"/"-inf" are accepted. False on any failure.
bool ParseLongDouble(std::string_view s, long double* out);

// Parses `s` as Redis's string2d (strtod) with the same rules as ParseLongDouble, for double.
bool ParseDouble(std::string_view s, double* out);

// Formats `v` in decimal into `buf` (at least kInt64Chars bytes) and returns the view.
std::string_view FormatInt64(int64_t v, char* buf);

// Formats `v` as Redis's ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros (and a bare '.')
// removed, "-0" written "0", and "inf"/"-inf" for infinities. This is INCRBYFLOAT's reply text.
std::string FormatLongDoubleHuman(long double v);

}  // namespace slotproxy::engine

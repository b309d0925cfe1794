// Durations with units ("500ms", "1s", "2m") and sizes with Redis units ("1kb", "512mb").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace slotproxy::config {

// Every duration in the config, at microsecond resolution (the slowlog threshold needs it).
using Duration = std::chrono::microseconds;

// Parses "<digits><unit>" with unit us, ms, s, m or h (case-insensitive), e.g. "500ms". A unit
// is required so that "5" can never mean five seconds to one reader and five milliseconds to
// another; the one exception is a bare "0", which is unambiguous. Fractions and signs are
// refused. Error: a message naming the text and the accepted form; also when the value does not
// fit in 64-bit microseconds.
Result<Duration> ParseDuration(std::string_view text);

// Formats `d` in the largest unit that divides it exactly ("1500ms", "2m", "0").
std::string FormatDuration(Duration d);

// Parses a byte size the way Redis's memtoull does: digits, then an optional case-insensitive
// unit: b, k (1000), kb (1024), m (1000^2), mb (1024^2), g (1000^3), gb (1024^3). No unit means
// bytes. Error: a message naming the text, for a bad unit, a sign, no digits or an overflow.
Result<uint64_t> ParseSize(std::string_view text);

// Formats `bytes` with the largest binary unit that divides it exactly ("512mb", "1000").
std::string FormatSize(uint64_t bytes);

}  // namespace slotproxy::config

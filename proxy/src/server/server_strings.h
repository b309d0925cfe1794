// Small string helpers for the server: Debian's abseil has its own string_view type (not
// std::string_view), so lookups in abseil string-keyed containers and its case-insensitive
// comparisons go through these.
#pragma once

#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace slotproxy::server {

// `s` as an absl::string_view (the same bytes, no copy).
inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// ASCII case-insensitive equality (strcasecmp(a, b) == 0 for NUL-free strings).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(AV(a), AV(b));
}

}  // namespace slotproxy::server

#include "config/units.h"

#include <array>
#include <charconv>
#include <limits>

#include "config/suggest.h"

namespace slotproxy::config {
namespace {

struct Unit {
  std::string_view name;
  uint64_t factor;
};

constexpr std::array<Unit, 5> kDurationUnits = {{
    {"us", 1},
    {"ms", 1'000},
    {"s", 1'000'000},
    {"m", 60'000'000},
    {"h", 3'600'000'000},
}};

constexpr std::array<Unit, 7> kSizeUnits = {{
    {"b", 1},
    {"k", 1'000},
    {"kb", 1'024},
    {"m", 1'000'000},
    {"mb", 1'024 * 1'024},
    {"g", 1'000'000'000},
    {"gb", 1'024ull * 1'024 * 1'024},
}};

// Splits "123abc" into its leading digits and the rest; false when there are no digits or the
// number does not fit in 64 bits.
bool SplitNumber(std::string_view text, uint64_t* number, std::string_view* unit) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *number);
  if (ec != std::errc() || end == text.data()) return false;
  *unit = text.substr(end - text.data());
  return true;
}

template <size_t N>
const Unit* FindUnit(const std::array<Unit, N>& units, std::string_view name) {
  std::string lower = ToLower(name);
  for (const Unit& u : units) {
    if (u.name == lower) return &u;
  }
  return nullptr;
}

bool MultiplyFits(uint64_t a, uint64_t b, uint64_t limit, uint64_t* out) {
  if (a != 0 && b > limit / a) return false;
  *out = a * b;
  return true;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  std::string shown = Shorten(text);
  uint64_t number = 0;
  std::string_view unit_name;
  if (!SplitNumber(text, &number, &unit_name)) {
    return Status::Error("invalid duration '" + shown +
                         "' (expected a whole number with a unit: us, ms, s, m, h; e.g. 500ms)");
  }
  if (unit_name.empty()) {
    if (number == 0) return Duration(0);
    return Status::Error("duration '" + shown + "' needs a unit (us, ms, s, m, h; e.g. " + shown +
                         "ms or " + shown + "s)");
  }
  const Unit* unit = FindUnit(kDurationUnits, unit_name);
  if (unit == nullptr) {
    return Status::Error("invalid duration '" + shown + "' (unknown unit '" + Shorten(unit_name) +
                         "'; expected us, ms, s, m or h)");
  }
  uint64_t micros = 0;
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<Duration::rep>::max());
  if (!MultiplyFits(number, unit->factor, kMax, &micros)) {
    return Status::Error("duration '" + shown + "' is too large");
  }
  return Duration(static_cast<Duration::rep>(micros));
}

std::string FormatDuration(Duration d) {
  auto micros = static_cast<uint64_t>(d.count());
  if (micros == 0) return "0";
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    if (micros % it->factor == 0)
      return std::to_string(micros / it->factor) + std::string(it->name);
  }
  return std::to_string(micros) + "us";
}

Result<uint64_t> ParseSize(std::string_view text) {
  std::string shown = Shorten(text);
  uint64_t number = 0;
  std::string_view unit_name;
  if (!SplitNumber(text, &number, &unit_name)) {
    return Status::Error("invalid size '" + shown +
                         "' (expected a whole number with an optional unit: b, k, kb, m, mb, g, "
                         "gb; e.g. 512mb)");
  }
  uint64_t factor = 1;
  if (!unit_name.empty()) {
    const Unit* unit = FindUnit(kSizeUnits, unit_name);
    if (unit == nullptr) {
      return Status::Error("invalid size '" + shown + "' (unknown unit '" + Shorten(unit_name) +
                           "'; expected b, k, kb, m, mb, g or gb)");
    }
    factor = unit->factor;
  }
  uint64_t bytes = 0;
  if (!MultiplyFits(number, factor, std::numeric_limits<uint64_t>::max(), &bytes)) {
    return Status::Error("size '" + shown + "' is too large");
  }
  return bytes;
}

std::string FormatSize(uint64_t bytes) {
  if (bytes == 0) return "0";
  for (std::string_view unit : {"gb", "mb", "kb"}) {
    uint64_t factor = FindUnit(kSizeUnits, unit)->factor;
    if (bytes % factor == 0) return std::to_string(bytes / factor) + std::string(unit);
  }
  return std::to_string(bytes);
}

}  // namespace slotproxy::config

// LookupCache: a small per-connection memo in front of CommandTable::Lookup, keyed by the
// command name's exact bytes as the client sends them ("GET", "get"), so a pipeline of the same
// few commands skips the lower-casing and the hash lookup. Only top-level commands that are not
// containers are memoised (a container's row depends on args[1]); only a frozen table is
// cached (a frozen table never changes, so rows never move or vanish).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "command/command_info.h"
#include "command/command_table.h"

namespace slotproxy::command {

class LookupCache {
 public:
  // Same result as table.Lookup(args) for the table it is always used with (one cache, one
  // table). No allocation.
  const CommandInfo* Lookup(const CommandTable& table, std::span<const std::string_view> args) {
    if (args.empty()) return nullptr;
    const std::string_view name = args[0];
    if (name.empty() || name.size() > kMaxName) return table.Lookup(args);
    Cached& c = slots_[SlotOf(name)];
    if (c.len == name.size() && std::memcmp(c.name, name.data(), name.size()) == 0) {
      return c.info;
    }
    const CommandInfo* info = table.Lookup(args);
    if (info != nullptr && table.frozen() && info->parent == nullptr && !info->IsContainer()) {
      std::memcpy(c.name, name.data(), name.size());
      c.len = static_cast<uint8_t>(name.size());
      c.info = info;
    }
    return info;
  }

 private:
  static constexpr size_t kMaxName = 23;
  static constexpr size_t kSlots = 8;
  struct Cached {
    char name[kMaxName];
    uint8_t len = 0;  // 0: empty
    const CommandInfo* info = nullptr;
  };
  static size_t SlotOf(std::string_view name) {
    const auto first = static_cast<unsigned char>(name[0]);
    const auto last = static_cast<unsigned char>(name.back());
    return (name.size() * 7 + first * 3 + last) % kSlots;
  }
  std::array<Cached, kSlots> slots_{};
};

}  // namespace slotproxy::command

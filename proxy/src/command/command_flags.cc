#include <array>
#include <span>
#include <string_view>

#include "command/command_info.h"

namespace slotproxy::command {
namespace {

constexpr std::array<std::string_view, flag::kCount> kCommandFlagNames = {"write",
                                                                          "readonly",
                                                                          "denyoom",
                                                                          "module",
                                                                          "admin",
                                                                          "pubsub",
                                                                          "noscript",
                                                                          "blocking",
                                                                          "loading",
                                                                          "stale",
                                                                          "skip_monitor",
                                                                          "skip_slowlog",
                                                                          "asking",
                                                                          "fast",
                                                                          "no_auth",
                                                                          "no_mandatory_keys",
                                                                          "no_async_loading",
                                                                          "no_multi",
                                                                          "movablekeys",
                                                                          "allow_busy"};

constexpr std::array<std::string_view, acl::kCount> kAclCategoryNames = {
    "@keyspace",   "@read",        "@write",    "@set",         "@sortedset", "@list",
    "@hash",       "@string",      "@bitmap",   "@hyperloglog", "@geo",       "@stream",
    "@pubsub",     "@admin",       "@fast",     "@slow",        "@blocking",  "@dangerous",
    "@connection", "@transaction", "@scripting"};

constexpr std::array<std::string_view, key_flag::kCount> kKeySpecFlagNames = {
    "RO",     "RW",     "OW",      "RM",         "access",        "update",
    "insert", "delete", "not_key", "incomplete", "variable_flags"};

}  // namespace

std::span<const std::string_view> CommandFlagNames() { return kCommandFlagNames; }
std::span<const std::string_view> AclCategoryNames() { return kAclCategoryNames; }
std::span<const std::string_view> KeySpecFlagNames() { return kKeySpecFlagNames; }

uint32_t FlagBitByName(std::span<const std::string_view> names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return 1u << i;
  }
  return 0;
}

}  // namespace slotproxy::command

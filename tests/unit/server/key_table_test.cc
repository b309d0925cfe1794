// The string and key handler tables: every row names a command of the built-in table, and every
// command of the two families has a row.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <string_view>

#include "command/command_table.h"
#include "server/handler_registry.h"
#include "server/handler_tables.h"

namespace slotproxy::server {
namespace {

const command::CommandInfo* Row(std::string_view name) {
  const size_t bar = name.find('|');
  const command::CommandInfo* info = command::FindCommand(name.substr(0, bar));
  if (info == nullptr || bar == std::string_view::npos) return info;
  return command::CommandTable::BuiltIn().FindSubcommand(*info, name.substr(bar + 1));
}

TEST_CASE("string and key handler rows name built-in commands", "[server][strings][keys]") {
  std::set<std::string> names;
  for (auto table : {StringHandlers(), KeyHandlers()}) {
    for (const HandlerRow& row : table) {
      INFO(row.name);
      CHECK(row.handler != nullptr);
      const command::CommandInfo* info = Row(row.name);
      REQUIRE(info != nullptr);
      CHECK(info->name == row.name);
      CHECK(names.insert(std::string(row.name)).second);  // no name twice
    }
  }
  for (const char* name : {"get",
                           "set",
                           "setnx",
                           "setex",
                           "psetex",
                           "mget",
                           "mset",
                           "msetnx",
                           "getset",
                           "getdel",
                           "getex",
                           "append",
                           "strlen",
                           "getrange",
                           "substr",
                           "setrange",
                           "incr",
                           "decr",
                           "incrby",
                           "decrby",
                           "incrbyfloat",
                           "del",
                           "unlink",
                           "exists",
                           "type",
                           "touch",
                           "expire",
                           "pexpire",
                           "expireat",
                           "pexpireat",
                           "ttl",
                           "pttl",
                           "expiretime",
                           "pexpiretime",
                           "persist",
                           "rename",
                           "renamenx",
                           "copy",
                           "keys",
                           "scan",
                           "randomkey",
                           "dbsize",
                           "flushdb",
                           "flushall",
                           "object|encoding",
                           "object|freq",
                           "object|idletime",
                           "object|refcount",
                           "object|help"}) {
    INFO(name);
    CHECK(names.count(name) == 1);
  }
}

// The shard's registry must run these handlers, not a fallback of another table (DBSIZE and
// FLUSHALL have one in the server's own table).
TEST_CASE("the default registry dispatches to the string and key handlers",
          "[server][strings][keys]") {
  const HandlerRegistry& registry = HandlerRegistry::Default();
  for (auto table : {StringHandlers(), KeyHandlers()}) {
    for (const HandlerRow& row : table) {
      INFO(row.name);
      const HandlerEntry* entry = registry.Find(Row(row.name));
      REQUIRE(entry != nullptr);
      CHECK(entry->handler == row.handler);
    }
  }
}

}  // namespace
}  // namespace slotproxy::server

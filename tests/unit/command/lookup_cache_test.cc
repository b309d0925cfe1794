#include "command/lookup_cache.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "command/command_table.h"

namespace slotproxy::command {
namespace {

TEST_CASE("lookup cache answers exactly as the table, warm or cold", "[lookup_cache]") {
  const CommandTable& table = CommandTable::BuiltIn();
  LookupCache cache;
  const std::vector<std::vector<std::string_view>> requests = {
      {"GET", "k"},
      {"get", "k"},
      {"SET", "k", "v"},
      {"sEt", "k", "v"},
      {"config", "get"},
      {"CONFIG", "GET", "x"},
      {"config", "set"},
      {"CONFIG"},
      {"nosuchcmd", "x"},
      {"config|get", "x"},
      {"client", "list"},
      {"CLIENT", "nosuch"},
      {"incr", "k"},
      {"lpush", "l", "a"},
      {"hset", "h", "f"},
      {"mset", "a", "1"},
      {"averyveryverylongcommandnamethatisnotcached"},
      {"object", "encoding", "k"},
      {"OBJECT", "freq", "k"}};
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& args : requests) {
      INFO("pass " << pass << " command " << std::string(args[0]));
      REQUIRE(cache.Lookup(table, args) == table.Lookup(args));
    }
  }
}

}  // namespace
}  // namespace slotproxy::command

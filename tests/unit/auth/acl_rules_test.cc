// Rule parsing and evaluation: precedence, categories, subcommands, first arguments, key and
// channel patterns, and the build errors in ACL SETUSER's words.
#include <catch2/catch.hpp>

#include "unit/auth/acl_test_util.h"

namespace slotproxy::auth {
namespace {

using testing::BuildError;
using testing::BuildTable;
using testing::CheckText;
using testing::MakeUser;
using testing::Run;

TEST_CASE("a new user may run nothing until rules allow it", "[auth]") {
  auto table = BuildTable({MakeUser("u", "pw", {}, {"*"})});
  CHECK(Run(*table, "u", {"get", "k"}) == Denial::kCommand);
  CHECK(Run(*table, "u", {"ping"}) == Denial::kCommand);
  // no_auth commands (AUTH, HELLO) are never refused for the command itself.
  CHECK(Run(*table, "u", {"auth", "u", "pw"}) == Denial::kNone);
  CHECK(Run(*table, "u", {"hello", "3"}) == Denial::kNone);
  CHECK(CheckText(*table, "u", {"GET", "k"}) ==
        "NOPERM this user has no permissions to run the 'get' command");
}

TEST_CASE("categories allow and deny their commands", "[auth]") {
  auto table = BuildTable({MakeUser("r", "pw", {"+@read"}, {"*"}),
                           MakeUser("rw", "pw", {"+@read", "+@write", "-@dangerous"}, {"*"})});
  CHECK(Run(*table, "r", {"get", "k"}) == Denial::kNone);
  CHECK(Run(*table, "r", {"hgetall", "k"}) == Denial::kNone);
  CHECK(Run(*table, "r", {"set", "k", "v"}) == Denial::kCommand);
  CHECK(Run(*table, "r", {"ping"}) == Denial::kCommand);  // @connection, not @read
  CHECK(Run(*table, "rw", {"set", "k", "v"}) == Denial::kNone);
  CHECK(Run(*table, "rw", {"flushall"}) == Denial::kCommand);   // @write but @dangerous
  CHECK(Run(*table, "rw", {"keys", "*"}) == Denial::kCommand);  // @read but @dangerous
  CHECK(CheckText(*table, "rw", {"flushall"}) ==
        "NOPERM this user has no permissions to run the 'flushall' command");
}

TEST_CASE("later rules override earlier ones", "[auth]") {
  auto table = BuildTable({
      MakeUser("a", "pw", {"+@all", "-@dangerous"}, {"*"}),
      MakeUser("b", "pw", {"-@dangerous", "+@all"}, {"*"}),
      MakeUser("c", "pw", {"+@all", "-get", "+get"}, {"*"}),
      MakeUser("d", "pw", {"+get", "-@read"}, {"*"}),
      MakeUser("e", "pw", {"-@read", "+get"}, {"*"}),
      MakeUser("f", "pw", {"allcommands", "nocommands", "+ping"}, {"*"}),
  });
  CHECK(Run(*table, "a", {"flushall"}) == Denial::kCommand);
  CHECK(Run(*table, "a", {"get", "k"}) == Denial::kNone);
  CHECK(Run(*table, "b", {"flushall"}) == Denial::kNone);
  CHECK(Run(*table, "c", {"get", "k"}) == Denial::kNone);
  CHECK(Run(*table, "d", {"get", "k"}) == Denial::kCommand);
  CHECK(Run(*table, "e", {"get", "k"}) == Denial::kNone);
  CHECK(Run(*table, "e", {"strlen", "k"}) == Denial::kCommand);
  CHECK(Run(*table, "f", {"ping"}) == Denial::kNone);
  CHECK(Run(*table, "f", {"get", "k"}) == Denial::kCommand);
  CHECK(table->FindUser("a")->all_commands() == false);  // a '-' rule clears allcommands
  CHECK(table->FindUser("b")->all_commands() == true);
}

TEST_CASE("allcommands covers every row, rules are case-insensitive", "[auth]") {
  auto table = BuildTable(
      {MakeUser("a", "pw", {"+@ALL"}, {"*"}), MakeUser("b", "pw", {"+GET", "+@Write"}, {"*"})});
  const AccessTable& t = *table;
  const User& a = *t.FindUser("a");
  for (const command::CommandInfo* row : command::CommandTable::BuiltIn().TopLevel()) {
    std::vector<std::string_view> args{row->name};
    INFO(row->name);
    CHECK(t.Evaluate(a, *row, args) == Denial::kNone);
  }
  CHECK(Run(t, "b", {"get", "k"}) == Denial::kNone);
  CHECK(Run(t, "b", {"set", "k", "v"}) == Denial::kNone);
}

TEST_CASE("subcommands: allowed one by one, or with their container", "[auth]") {
  auto table = BuildTable({
      MakeUser("one", "pw", {"+client|setname", "+CLIENT|GETNAME"}),
      MakeUser("all", "pw", {"+client", "-client|kill"}),
      MakeUser("cat", "pw", {"+@all", "-@admin"}),
  });
  CHECK(Run(*table, "one", {"client", "setname", "x"}) == Denial::kNone);
  CHECK(Run(*table, "one", {"CLIENT", "GETNAME"}) == Denial::kNone);
  CHECK(Run(*table, "one", {"client", "kill", "1.2.3.4:5"}) == Denial::kCommand);
  CHECK(CheckText(*table, "one", {"client", "KILL", "1.2.3.4:5"}) ==
        "NOPERM this user has no permissions to run the 'client|kill' command");
  CHECK(Run(*table, "all", {"client", "list"}) == Denial::kNone);
  CHECK(Run(*table, "all", {"client", "kill", "1.2.3.4:5"}) == Denial::kCommand);
  // -@admin takes the admin subcommands of containers that are not themselves @admin.
  CHECK(Run(*table, "cat", {"client", "kill", "1.2.3.4:5"}) == Denial::kCommand);
  CHECK(Run(*table, "cat", {"config", "set", "a", "b"}) == Denial::kCommand);
  CHECK(Run(*table, "cat", {"client", "setname", "x"}) == Denial::kNone);
  CHECK(Run(*table, "cat", {"config", "help"}) == Denial::kNone);
}

TEST_CASE("first-argument rules of commands without subcommands", "[auth]") {
  auto table = BuildTable({
      MakeUser("s", "pw", {"+select|0", "+SELECT|2"}),
      MakeUser("reset", "pw", {"+select|0", "-select"}),
      MakeUser("regrant", "pw", {"+select|0", "+@all", "-select"}),
  });
  CHECK(Run(*table, "s", {"select", "0"}) == Denial::kNone);
  CHECK(Run(*table, "s", {"SELECT", "2"}) == Denial::kNone);
  CHECK(Run(*table, "s", {"select", "1"}) == Denial::kCommand);
  CHECK(CheckText(*table, "s", {"select", "1"}) ==
        "NOPERM this user has no permissions to run the 'select' command");
  CHECK(Run(*table, "reset", {"select", "0"}) == Denial::kCommand);
  CHECK(Run(*table, "regrant", {"select", "0"}) == Denial::kCommand);
}

TEST_CASE("key patterns: plain globs, read and write patterns", "[auth]") {
  auto table = BuildTable({
      MakeUser("k", "pw", {"+@all"}, {"user:*", "cache:?"}),
      MakeUser("none", "pw", {"+@all"}),
      MakeUser("rw", "pw", {"+@all"}, {"%R~r:*", "%W~w:*", "~both:*"}),
      MakeUser("all", "pw", {"+@all"}, {"other", "*"}),
  });
  CHECK(Run(*table, "k", {"get", "user:1"}) == Denial::kNone);
  CHECK(Run(*table, "k", {"get", "cache:1"}) == Denial::kNone);
  CHECK(Run(*table, "k", {"get", "cache:12"}) == Denial::kKey);
  CHECK(Run(*table, "k", {"mset", "user:1", "v", "other", "v"}) == Denial::kKey);
  CHECK(CheckText(*table, "k", {"get", "x"}) ==
        "NOPERM this user has no permissions to access one of the keys used as arguments");
  CHECK(Run(*table, "k", {"ping"}) == Denial::kNone);
  CHECK(Run(*table, "none", {"get", "user:1"}) == Denial::kKey);
  CHECK(Run(*table, "none", {"dbsize"}) == Denial::kNone);
  CHECK(Run(*table, "rw", {"get", "r:1"}) == Denial::kNone);
  CHECK(Run(*table, "rw", {"set", "r:1", "v"}) == Denial::kKey);
  CHECK(Run(*table, "rw", {"set", "w:1", "v"}) == Denial::kNone);
  CHECK(Run(*table, "rw", {"get", "w:1"}) == Denial::kKey);
  CHECK(Run(*table, "rw", {"copy", "r:1", "w:1"}) == Denial::kNone);
  CHECK(Run(*table, "rw", {"copy", "w:1", "r:1"}) == Denial::kKey);
  CHECK(Run(*table, "rw", {"incr", "both:1"}) == Denial::kNone);
  // EXISTS's key needs neither read nor write access (RO without ACCESS): any pattern serves.
  CHECK(Run(*table, "rw", {"exists", "w:1", "r:1"}) == Denial::kNone);
  CHECK(table->FindUser("all")->all_keys());
  CHECK(Run(*table, "all", {"get", "anything"}) == Denial::kNone);
}

TEST_CASE("channels: none for a new user, globs for channels, literal for patterns", "[auth]") {
  auto table = BuildTable({
      MakeUser("none", "pw", {"+@all"}, {"*"}),
      MakeUser("news", "pw", {"+@all"}, {"*", "&news.*"}),
      MakeUser("all", "pw", {"+@all"}, {"allchannels"}),
  });
  CHECK(Run(*table, "none", {"publish", "c", "m"}) == Denial::kChannel);
  CHECK(CheckText(*table, "none", {"subscribe", "c"}) ==
        "NOPERM this user has no permissions to access one of the channels used as arguments");
  CHECK(Run(*table, "none", {"unsubscribe", "c"}) == Denial::kNone);  // not checked by Redis
  CHECK(Run(*table, "news", {"publish", "news.a", "m"}) == Denial::kNone);
  CHECK(Run(*table, "news", {"spublish", "news.a", "m"}) == Denial::kNone);
  CHECK(Run(*table, "news", {"subscribe", "news.a", "news.b"}) == Denial::kNone);
  CHECK(Run(*table, "news", {"subscribe", "news.a", "sport"}) == Denial::kChannel);
  CHECK(Run(*table, "news", {"psubscribe", "news.*"}) == Denial::kNone);
  CHECK(Run(*table, "news", {"psubscribe", "news.a"}) == Denial::kChannel);
  CHECK(Run(*table, "all", {"psubscribe", "*"}) == Denial::kNone);
  CHECK(Run(*table, "all", {"get", "k"}) == Denial::kKey);  // "allchannels" grants no key
}

TEST_CASE("command, then keys, then channels: the first failure names the reply", "[auth]") {
  auto table = BuildTable({MakeUser("u", "pw", {"+get", "+publish"})});
  CHECK(Run(*table, "u", {"set", "k", "v"}) == Denial::kCommand);
  CHECK(Run(*table, "u", {"get", "k"}) == Denial::kKey);
  CHECK(Run(*table, "u", {"publish", "c", "m"}) == Denial::kChannel);
}

TEST_CASE("bad rules fail the build with ACL SETUSER's reason", "[auth]") {
  const std::string prefix = "user 'u': Error in ACL SETUSER modifier ";
  CHECK(BuildError({"+@read", "+@nope"}) ==
        prefix + "'+@nope': Unknown command or category name in ACL");
  CHECK(BuildError({"+nosuch"}) == prefix + "'+nosuch': Unknown command or category name in ACL");
  CHECK(BuildError({"-select|0"}) ==
        prefix + "'-select|0': Unknown command or category name in ACL");
  CHECK(BuildError({"+config|nope"}) ==
        prefix + "'+config|nope': Unknown command or category name in ACL");
  CHECK(BuildError({"+client|"}) == prefix + "'+client|': Syntax error");
  CHECK(BuildError({"bogus"}) == prefix + "'bogus': Syntax error");
  CHECK(BuildError({"+acl|cat|x"}) ==
        prefix + "'+acl|cat|x': Allowing first-arg of a subcommand is not supported");
  CHECK(BuildError({}, {"%X~x"}) == prefix + "'%X~x': Syntax error");
  CHECK(BuildError({}, {"%"}) == prefix + "'%': Syntax error");
  CHECK(BuildError({}, {"*", "user:*"}).find("'user:*': Adding a pattern after the * pattern") !=
        std::string::npos);
  CHECK(BuildError({}, {"allchannels", "&x"})
            .find("'&x': Adding a pattern after the * pattern (or the 'allchannels' flag)") !=
        std::string::npos);
  CHECK(BuildError({"+@all", "-@all", "+client|kill"}, {"%R~a", "%rw~b", "resetkeys"}).empty());
}

TEST_CASE("two users with one name are refused", "[auth]") {
  config::AuthConfig config;
  config.users = {MakeUser("x", "a", {}), MakeUser("x", "b", {})};
  auto table = AccessTable::Build(config, command::CommandTable::BuiltIn());
  REQUIRE_FALSE(table.ok());
  CHECK(table.status().message() ==
        "user 'x': Duplicate user found. A user can only be defined once in config files");
}

TEST_CASE("DenialMessage names subcommands as container|sub", "[auth]") {
  const command::CommandInfo* kill = command::FindCommand("client|kill");
  REQUIRE(kill != nullptr);
  CHECK(AccessTable::DenialMessage(Denial::kCommand, *kill) ==
        "NOPERM this user has no permissions to run the 'client|kill' command");
  CHECK(AccessTable::DenialMessage(Denial::kNone, *kill).empty());
}

}  // namespace
}  // namespace slotproxy::auth

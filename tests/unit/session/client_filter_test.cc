#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "session/local_commands.h"

namespace slotproxy::session {
namespace {

Result<ClientFilter> Parse(bool kill, std::vector<std::string_view> args) {
  LocalContext ctx;
  return ParseClientFilter(kill, args, ctx);
}

TEST_CASE("CLIENT KILL filters and Redis 7.0's errors") {
  auto old_form = Parse(true, {"CLIENT", "KILL", "1.2.3.4:5"});
  REQUIRE(old_form.ok());
  CHECK(old_form.value().old_form);
  CHECK_FALSE(old_form.value().skip_me);  // the old form may kill the caller
  auto by_id = Parse(true, {"CLIENT", "KILL", "ID", "7", "TYPE", "pubsub"});
  REQUIRE(by_id.ok());
  CHECK(by_id.value().skip_me);
  CHECK(by_id.value().ids == std::vector<uint64_t>{7});
  CHECK(Parse(true, {"CLIENT", "KILL", "ID", "0"}).status().message() ==
        "ERR client-id should be greater than 0");
  CHECK(Parse(true, {"CLIENT", "KILL", "ID", "x"}).status().message() ==
        "ERR value is not an integer or out of range");
  CHECK(Parse(true, {"CLIENT", "KILL", "TYPE", "boss"}).status().message() ==
        "ERR Unknown client type 'boss'");
  CHECK(Parse(true, {"CLIENT", "KILL", "USER", "bob"}).status().message() ==
        "ERR No such user 'bob'");
  CHECK(Parse(true, {"CLIENT", "KILL", "SKIPME", "maybe"}).status().message() ==
        "ERR syntax error");
  CHECK(Parse(true, {"CLIENT", "KILL", "ID", "1", "ADDR"}).status().message() ==
        "ERR syntax error");
  CHECK(Parse(false, {"CLIENT", "LIST", "ID", "-1"}).status().message() == "ERR Invalid client ID");
}

TEST_CASE("filters select by id, address, user and type; lines show the state flags") {
  LocalSession s;
  s.id = 9;
  s.addr = "127.0.0.1:1000";
  s.laddr = "127.0.0.1:7000";
  auto f = Parse(true, {"CLIENT", "KILL", "ADDR", "127.0.0.1:1000", "USER", "default"});
  REQUIRE(f.ok());
  CHECK(f.value().Matches(s));
  auto other = Parse(true, {"CLIENT", "KILL", "LADDR", "127.0.0.1:1"});
  CHECK_FALSE(other.value().Matches(s));
  auto pubsub = Parse(false, {"CLIENT", "LIST", "TYPE", "pubsub"});
  CHECK_FALSE(pubsub.value().Matches(s));
  auto master = Parse(false, {"CLIENT", "LIST", "TYPE", "master"});
  CHECK_FALSE(master.value().Matches(s));
  CHECK(ClientInfoLine(s, 0).find(" flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ") !=
        std::string::npos);
  s.sub = 2;
  s.ssub = 1;
  s.multi = 3;
  s.blocked = true;
  CHECK(pubsub.value().Matches(s));
  CHECK(ClientInfoLine(s, 0).find(" flags=Pxb db=0 sub=2 psub=0 ssub=1 multi=3 ") !=
        std::string::npos);
}

}  // namespace
}  // namespace slotproxy::session

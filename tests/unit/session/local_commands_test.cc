// Commands the proxy answers itself (session/local_commands.h). Expected bytes were captured
// from redis-server 7.0.15 (redis-cli / a raw socket), except where the proxy deliberately
// differs (SELECT n>0 as a `databases 1` server, CONFIG GET values, CLIENT SETINFO from 7.2).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "command/command_table.h"
#include "session/local_commands.h"

namespace slotproxy::session {
namespace {

struct Harness {
  LocalSession session;
  LocalContext ctx;
  LocalResult last = LocalResult::kNotLocal;

  Harness() {
    session.id = 7;
    session.addr = "127.0.0.1:50000";
    session.laddr = "127.0.0.1:6379";
    session.fd = 9;
    session.created_ms = 1000;
    session.last_ms = 3000;
    ctx.table = &command::CommandTable::BuiltIn();
    ctx.now_ms = 5500;
  }

  std::string Run(std::vector<std::string_view> args) {
    const command::CommandInfo* info = ctx.table->Lookup(args);
    REQUIRE(info != nullptr);
    std::string out;
    resp::Encoder encoder(&out, session.protocol);
    last = HandleLocal(*info, args, ctx, session, encoder);
    return out;
  }
};

TEST_CASE("PING, ECHO, QUIT, ROLE, RESET", "[local]") {
  Harness h;
  CHECK(h.Run({"PING"}) == "+PONG\r\n");
  CHECK(h.Run({"ping", "hello"}) == "$5\r\nhello\r\n");
  CHECK(h.Run({"PING", "a", "b"}) == "-ERR wrong number of arguments for 'ping' command\r\n");
  CHECK(h.Run({"ECHO", "x y"}) == "$3\r\nx y\r\n");
  CHECK(h.Run({"ECHO"}) == "-ERR wrong number of arguments for 'echo' command\r\n");
  CHECK(h.Run({"ROLE"}) == "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
  CHECK(h.last == LocalResult::kReplied);
  h.session.name = "app";
  CHECK(h.Run({"RESET"}) == "+RESET\r\n");
  CHECK(h.session.name.empty());
  CHECK(h.Run({"QUIT"}) == "+OK\r\n");
  CHECK(h.last == LocalResult::kReplyAndClose);
}

TEST_CASE("SELECT: database 0 only, Redis's error texts", "[local]") {
  Harness h;
  CHECK(h.Run({"SELECT", "0"}) == "+OK\r\n");
  CHECK(h.Run({"SELECT", "1"}) == "-ERR DB index is out of range\r\n");
  CHECK(h.Run({"SELECT", "-1"}) == "-ERR DB index is out of range\r\n");
  CHECK(h.Run({"SELECT", "01"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(h.Run({"SELECT", " 1"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(h.Run({"SELECT", "abc"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(h.Run({"SELECT", "99999999999999"}) ==
        "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
}

TEST_CASE("HELLO: Redis 7.0.15's reply shape and errors", "[local]") {
  Harness h;
  const std::string reply2 =
      "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n"
      "$2\r\nid\r\n:7\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\n"
      "modules\r\n*0\r\n";
  CHECK(h.Run({"HELLO"}) == reply2);
  CHECK(h.Run({"HELLO", "2"}) == reply2);
  CHECK(h.Run({"HELLO", "2", "AUTH", "default", "x"}) == reply2);
  CHECK(h.Run({"HELLO", "2", "auth", "foo", "x"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(h.Run({"HELLO", "4"}) == "-NOPROTO unsupported protocol version\r\n");
  CHECK(h.Run({"HELLO", "1"}) == "-NOPROTO unsupported protocol version\r\n");
  CHECK(h.Run({"HELLO", "x"}) == "-ERR Protocol version is not an integer or out of range\r\n");
  CHECK(h.Run({"HELLO", "2", "foo"}) == "-ERR Syntax error in HELLO option 'foo'\r\n");
  CHECK(h.Run({"HELLO", "2", "setname"}) == "-ERR Syntax error in HELLO option 'setname'\r\n");
  CHECK(h.Run({"HELLO", "2", "auth", "a"}) == "-ERR Syntax error in HELLO option 'auth'\r\n");
  CHECK(h.Run({"HELLO", "2", "setname", "a b"}) ==
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  CHECK(h.Run({"HELLO", "2", "SETNAME", "svc"}) == reply2);
  CHECK(h.session.name == "svc");
  // RESP3 only when the data path serves it (the default).
  h.ctx.allow_resp3 = false;
  CHECK(h.Run({"HELLO", "3"}) == "-NOPROTO unsupported protocol version\r\n");
  CHECK(h.session.protocol == resp::Protocol::kResp2);
  h.ctx.allow_resp3 = true;
  CHECK(h.Run({"HELLO", "3"}).starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"));
  CHECK(h.session.protocol == resp::Protocol::kResp3);
  CHECK(h.Run({"HELLO"}).find("$5\r\nproto\r\n:3\r\n") != std::string::npos);
}

TEST_CASE("AUTH without configured users behaves as Redis with nopass", "[local]") {
  Harness h;
  CHECK(h.Run({"AUTH", "a"}) ==
        "-ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?\r\n");
  CHECK(h.Run({"AUTH", "a", "b"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(h.Run({"AUTH", "default", "b"}) == "+OK\r\n");
  CHECK(h.Run({"AUTH", "a", "b", "c"}) == "-ERR syntax error\r\n");
}

TEST_CASE("CLIENT ID, SETNAME, GETNAME, SETINFO, NO-EVICT", "[local]") {
  Harness h;
  CHECK(h.Run({"CLIENT", "ID"}) == ":7\r\n");
  CHECK(h.Run({"CLIENT", "GETNAME"}) == "$-1\r\n");
  CHECK(h.Run({"CLIENT", "SETNAME", "ab"}) == "+OK\r\n");
  CHECK(h.Run({"client", "getname"}) == "$2\r\nab\r\n");
  CHECK(h.Run({"CLIENT", "SETNAME", "a b"}) ==
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  CHECK(h.Run({"CLIENT", "SETNAME", ""}) == "+OK\r\n");
  CHECK(h.Run({"CLIENT", "GETNAME"}) == "$-1\r\n");
  CHECK(h.Run({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}) == "+OK\r\n");
  CHECK(h.Run({"CLIENT", "SETINFO", "lib-ver", "4.3.4"}) == "+OK\r\n");
  CHECK(h.session.lib_name == "redis-py");
  CHECK(h.session.lib_ver == "4.3.4");
  CHECK(h.Run({"CLIENT", "SETINFO", "foo", "x"}) == "-ERR Unrecognized option 'foo'\r\n");
  CHECK(h.Run({"CLIENT", "SETINFO", "lib-name", "a\nb"}) ==
        "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n");
  CHECK(h.Run({"CLIENT", "NO-EVICT", "on"}) == "+OK\r\n");
  CHECK(h.Run({"CLIENT", "NO-EVICT", "maybe"}) == "-ERR syntax error\r\n");
  CHECK(h.Run({"CLIENT", "SETNAME"}) ==
        "-ERR wrong number of arguments for 'client|setname' command\r\n");
  CHECK(h.Run({"CLIENT"}) == "-ERR wrong number of arguments for 'client' command\r\n");
}

TEST_CASE("CLIENT INFO and LIST lines", "[local]") {
  Harness h;
  h.session.name = "svc";
  const std::string line =
      "id=7 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=9 name=svc age=4 idle=2 flags=N db=0 "
      "sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 "
      "oll=0 omem=0 tot-mem=0 events=r cmd=client|info user=default redir=-1 resp=2 lib-name= "
      "lib-ver=\n";
  CHECK(h.Run({"CLIENT", "INFO"}) == "$" + std::to_string(line.size()) + "\r\n" + line + "\r\n");
  // RESP3: a verbatim string, as Redis.
  h.session.protocol = resp::Protocol::kResp3;
  CHECK(h.Run({"CLIENT", "INFO"}).starts_with("=" + std::to_string(line.size() + 4) + "\r\ntxt:"));
  h.session.protocol = resp::Protocol::kResp2;

  LocalSession other;
  other.id = 8;
  other.addr = "127.0.0.1:50001";
  h.ctx.for_each_client = [&](const std::function<void(const LocalSession&)>& visit) {
    visit(h.session);
    visit(other);
  };
  std::string list = h.Run({"CLIENT", "LIST"});
  CHECK(list.find("id=7 ") != std::string::npos);
  CHECK(list.find("id=8 ") != std::string::npos);
  list = h.Run({"CLIENT", "LIST", "ID", "8"});
  CHECK(list.find("id=7 ") == std::string::npos);
  CHECK(list.find("id=8 ") != std::string::npos);
  CHECK(h.Run({"CLIENT", "LIST", "TYPE", "pubsub"}) == "$0\r\n\r\n");
  CHECK(h.Run({"CLIENT", "LIST", "TYPE", "foo"}) == "-ERR Unknown client type 'foo'\r\n");
  CHECK(h.Run({"CLIENT", "LIST", "ID", "abc"}) == "-ERR Invalid client ID\r\n");
  CHECK(h.Run({"CLIENT", "LIST", "x"}) == "-ERR syntax error\r\n");
}

TEST_CASE("CONFIG GET of the probed keys, with Redis's name echo and patterns", "[local]") {
  Harness h;
  CHECK(h.Run({"CONFIG", "GET", "save"}) == "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  CHECK(h.Run({"CONFIG", "GET", "appendonly"}) == "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
  // An exact name is echoed as typed (Redis 7.0 keeps the argument).
  CHECK(h.Run({"CONFIG", "GET", "MAXMEMORY"}) == "*2\r\n$9\r\nMAXMEMORY\r\n$1\r\n0\r\n");
  CHECK(h.Run({"CONFIG", "GET", "max*policy"}) ==
        "*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n");
  CHECK(h.Run({"CONFIG", "GET", "MAX*", "maxmemory"}) ==
        "*4\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n");
  CHECK(h.Run({"CONFIG", "GET", "databases"}) == "*2\r\n$9\r\ndatabases\r\n$1\r\n1\r\n");
  CHECK(h.Run({"CONFIG", "GET", "nosuch"}) == "*0\r\n");
  h.session.protocol = resp::Protocol::kResp3;
  CHECK(h.Run({"CONFIG", "GET", "save"}) == "%1\r\n$4\r\nsave\r\n$0\r\n\r\n");
}

TEST_CASE("COMMAND family from the built-in table", "[local]") {
  Harness h;
  const std::string count = ":" + std::to_string(h.ctx.table->Count()) + "\r\n";
  CHECK(h.Run({"COMMAND", "COUNT"}) == count);
  CHECK(h.Run({"COMMAND"}).starts_with("*" + std::to_string(h.ctx.table->Count()) + "\r\n"));
  // GET's entry, captured from Redis 7.0.15 (cluster-protocol.md section 5).
  CHECK(h.Run({"COMMAND", "INFO", "get"}) ==
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@"
        "read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$"
        "12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex"
        "\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r"
        "\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n");
  CHECK(h.Run({"COMMAND", "INFO", "nosuch"}) == "*1\r\n$-1\r\n");
  CHECK(h.Run({"COMMAND", "DOCS", "get"}).starts_with("*2\r\n$3\r\nget\r\n"));
  CHECK(h.Run({"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}) ==
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(h.Run({"COMMAND", "GETKEYS", "PING", "x"}) == "-ERR The command has no key arguments\r\n");
  CHECK(h.Run({"COMMAND", "GETKEYS", "NOSUCH", "x"}) == "-ERR Invalid command specified\r\n");
  CHECK(h.Run({"COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"}) ==
        "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+RW\r\n+"
        "insert\r\n");
  const std::string list = h.Run({"COMMAND", "LIST"});
  CHECK(list.find("$3\r\nget\r\n") != std::string::npos);
  CHECK(list.find("$11\r\nclient|list\r\n") != std::string::npos);
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "GE?"}) == "*1\r\n$3\r\nget\r\n");
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}) == "*0\r\n");
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"}) == "*0\r\n");
  const std::string hll = h.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "hyperloglog"});
  CHECK(hll.find("$5\r\npfadd\r\n") != std::string::npos);
  CHECK(hll.find("$3\r\nget\r\n") == std::string::npos);
  CHECK(h.Run({"COMMAND", "LIST", "x"}) == "-ERR syntax error\r\n");
}

TEST_CASE("local rows the proxy does not serve get a clear refusal", "[local]") {
  Harness h;
  CHECK(h.Run({"CONFIG", "HELP"}) ==
        "-ERR command 'config|help' is not supported by slotproxy\r\n");
  CHECK(h.Run({"CLIENT", "KILL", "ID", "1"}) ==
        "-ERR command 'client|kill' is not supported by slotproxy\r\n");
  CHECK(h.Run({"ACL", "WHOAMI"}) == "$7\r\ndefault\r\n");
  CHECK(h.Run({"ACL", "USERS"}) == "*1\r\n$7\r\ndefault\r\n");
  CHECK(h.last == LocalResult::kReplied);
}

TEST_CASE("INFO is left to the session; client ids are unique", "[local]") {
  Harness h;
  std::string out = h.Run({"INFO"});
  CHECK(out.empty());
  CHECK(h.last == LocalResult::kNotLocal);
  const uint64_t a = NextClientId();
  const uint64_t b = NextClientId();
  CHECK(a != 0);
  CHECK(b > a);
  CHECK(ValidClientAttribute("abc~!"));
  CHECK_FALSE(ValidClientAttribute("a b"));
  CHECK_FALSE(ValidClientAttribute("\xc3\xa9"));
}

}  // namespace
}  // namespace slotproxy::session

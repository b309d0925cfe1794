#include "command/command_table.h"

#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "command/command_table_data.h"

namespace slotproxy::command {
namespace {

using Args = std::vector<std::string_view>;

const CommandTable& Table() { return CommandTable::BuiltIn(); }

TEST_CASE("the built-in table is Redis 7.0.15's: 240 commands, sorted, with subcommands") {
  CHECK(internal::BuiltinSourceVersion() == "7.0.15");
  CHECK(Table().Count() == 240);
  CHECK(Table().frozen());
  std::span<const CommandInfo* const> top = Table().TopLevel();
  REQUIRE(top.size() == 240);
  size_t subcommands = 0;
  for (size_t i = 0; i < top.size(); ++i) {
    if (i > 0) CHECK(top[i - 1]->name < top[i]->name);
    CHECK(top[i]->parent == nullptr);
    for (const CommandInfo* sub : top[i]->subcommands) {
      CHECK(sub->parent == top[i]);
      CHECK(sub->name.substr(0, top[i]->name.size() + 1) == std::string(top[i]->name) + "|");
      ++subcommands;
    }
  }
  CHECK(subcommands == 127);  // 126 of 7.0.15 plus CLIENT SETINFO (7.2) for issue 3
}

TEST_CASE("lookup is case-insensitive and finds full subcommand names") {
  const CommandInfo* get = FindCommand("get");
  REQUIRE(get != nullptr);
  CHECK(FindCommand("GET") == get);
  CHECK(FindCommand("gEt") == get);
  CHECK(get->name == "get");
  CHECK(get->arity == 2);
  CHECK(get->HasFlag(flag::kReadonly));
  CHECK(get->HasFlag(flag::kFast));
  CHECK_FALSE(get->HasFlag(flag::kWrite));
  CHECK(get->acl_categories == (acl::kRead | acl::kString | acl::kFast));
  CHECK(get->first_key == 1);
  CHECK(get->last_key == 1);
  CHECK(get->key_step == 1);
  const CommandInfo* enc = FindCommand("OBJECT|Encoding");
  REQUIRE(enc != nullptr);
  CHECK(enc->name == "object|encoding");
  CHECK(enc->ShortName() == "encoding");
  CHECK(enc->parent == FindCommand("object"));
  CHECK(Table().FindSubcommand(*FindCommand("object"), "ENCODING") == enc);
  CHECK(Table().FindSubcommand(*FindCommand("object"), "nosuch") == nullptr);
  CHECK(Table().FindSubcommand(*get, "x") == nullptr);
  CHECK(FindCommand("nosuch") == nullptr);
  CHECK(FindCommand("") == nullptr);
  CHECK(FindCommand(std::string(200, 'g')) == nullptr);
  CHECK(FindCommand("get|x") == nullptr);
  CHECK(FindCommand("object|encoding|x") == nullptr);
}

TEST_CASE("Lookup resolves requests as Redis's lookupCommand") {
  CHECK(Table().Lookup(Args{"GET", "k"}) == FindCommand("get"));
  CHECK(Table().Lookup(Args{"get", "k", "extra"}) == FindCommand("get"));  // arity fails later
  CHECK(Table().Lookup(Args{"config", "GET", "x"}) == FindCommand("config|get"));
  CHECK(Table().Lookup(Args{"CONFIG"}) == FindCommand("config"));
  CHECK(Table().Lookup(Args{"config", "nosuch"}) == nullptr);
  CHECK(Table().Lookup(Args{"config|get", "x"}) == nullptr);
  CHECK(Table().Lookup(Args{"command"}) == FindCommand("command"));
  CHECK(Table().Lookup(Args{}) == nullptr);
}

TEST_CASE("arity checks and Redis's error texts") {
  const CommandInfo& get = *FindCommand("get");
  CHECK(CheckArity(get, 2));
  CHECK_FALSE(CheckArity(get, 1));
  CHECK_FALSE(CheckArity(get, 3));
  const CommandInfo& mset = *FindCommand("mset");
  CHECK(mset.arity == -3);
  CHECK_FALSE(CheckArity(mset, 2));
  CHECK(CheckArity(mset, 3));
  CHECK(CheckArity(mset, 1000));
  const CommandInfo& config = *FindCommand("config");
  CHECK_FALSE(CheckArity(config, 1));
  CHECK(WrongArityError(get) == "ERR wrong number of arguments for 'get' command");
  CHECK(WrongArityError(config) == "ERR wrong number of arguments for 'config' command");
  CHECK(WrongArityError(*FindCommand("cluster|keyslot")) ==
        "ERR wrong number of arguments for 'cluster|keyslot' command");
  CHECK(CheckArity(*FindCommand("cluster|keyslot"), 3));
}

TEST_CASE("unknown command and subcommand texts match redis-server 7.0.15") {
  // Captured from redis-server 7.0.15.
  CHECK(UnknownCommandError(Table(), Args{"foo", "a", "b"}) ==
        "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  CHECK(UnknownCommandError(Table(), Args{"foo"}) ==
        "ERR unknown command 'foo', with args beginning with: ");
  CHECK(UnknownCommandError(Table(), Args{"CONFIG", "nosuch"}) ==
        "ERR unknown subcommand 'nosuch'. Try CONFIG HELP.");
  CHECK(UnknownCommandError(Table(), Args{"object", "Nosuch", "x"}) ==
        "ERR unknown subcommand 'Nosuch'. Try OBJECT HELP.");
  CHECK(UnknownCommandError(Table(), Args{"cOnFiG", "no\nsuch"}) ==
        "ERR unknown subcommand 'no such'. Try CONFIG HELP.");
  CHECK(UnknownCommandError(Table(), Args{"CONFIG|GET", "x"}) ==
        "ERR unknown command 'CONFIG|GET', with args beginning with: 'x' ");
  std::string long_arg(200, 'x');
  CHECK(UnknownCommandError(Table(), Args{"foo", "a\r\nb", long_arg, "c"}) ==
        "ERR unknown command 'foo', with args beginning with: 'a  b' '" + std::string(121, 'x') +
            "' ");
  using namespace std::string_view_literals;
  CHECK(UnknownCommandError(Table(), Args{"foo\0bar"sv, "a\0b"sv}) ==
        "ERR unknown command 'foo', with args beginning with: 'a' ");
  std::string long_name(300, 'x');
  CHECK(UnknownCommandError(Table(), Args{long_name}) ==
        "ERR unknown command '" + std::string(128, 'x') + "', with args beginning with: ");
}

TEST_CASE("every command named in issues 3, 4 and 5 is in the table") {
  const char* const kTopLevel[] = {
      // issue 3: strings, keys, hashes, lists, sets, sorted sets
      "get", "set", "setnx", "setex", "psetex", "mget", "mset", "msetnx", "getset", "getdel",
      "getex", "append", "strlen", "getrange", "setrange", "incr", "decr", "incrby", "decrby",
      "incrbyfloat", "del", "unlink", "exists", "type", "touch", "expire", "pexpire", "expireat",
      "pexpireat", "ttl", "pttl", "expiretime", "pexpiretime", "persist", "rename", "renamenx",
      "copy", "keys", "scan", "randomkey", "dbsize", "flushdb", "flushall", "hset", "hsetnx",
      "hget", "hmget", "hmset", "hdel", "hexists", "hlen", "hkeys", "hvals", "hgetall", "hincrby",
      "hincrbyfloat", "hstrlen", "hscan", "hrandfield", "lpush", "rpush", "lpushx", "rpushx",
      "lpop", "rpop", "llen", "lrange", "lindex", "lset", "lrem", "ltrim", "linsert", "lpos",
      "lmove", "rpoplpush", "blpop", "brpop", "blmove", "sadd", "srem", "smembers", "sismember",
      "smismember", "scard", "spop", "srandmember", "sinter", "sunion", "sdiff", "sinterstore",
      "sunionstore", "sdiffstore", "sintercard", "smove", "sscan", "zadd", "zrem", "zscore",
      "zmscore", "zincrby", "zcard", "zcount", "zlexcount", "zrank", "zrevrank", "zrange",
      "zrangebyscore", "zrevrange", "zrangestore", "zpopmin", "zpopmax", "bzpopmin", "bzpopmax",
      "zunionstore", "zinterstore", "zremrangebyscore", "zremrangebyrank", "zremrangebylex",
      "zscan",
      // issue 3 server, issue 4 proxy-local, issue 5
      "ping", "echo", "quit", "reset", "hello", "auth", "client", "select", "info", "config",
      "time", "multi", "exec", "discard", "watch", "unwatch", "publish", "subscribe", "psubscribe",
      "unsubscribe", "punsubscribe", "spublish", "ssubscribe", "sunsubscribe", "cluster", "command",
      "brpoplpush", "xread", "xreadgroup", "eval", "evalsha", "eval_ro", "evalsha_ro", "script",
      "wait", "object", "migrate", "restore", "restore-asking", "asking", "readonly", "readwrite",
      "bgrewriteaof"};
  for (const char* name : kTopLevel) {
    INFO(name);
    CHECK(FindCommand(name) != nullptr);
  }
  const char* const kSub[] = {"object|encoding",
                              "client|setname",
                              "client|getname",
                              "client|id",
                              "client|info",
                              "client|list",
                              "client|setinfo",
                              "client|kill",
                              "client|no-evict",
                              "config|get",
                              "command|count",
                              "command|info",
                              "command|docs",
                              "command|getkeys",
                              "cluster|slots",
                              "cluster|shards",
                              "cluster|nodes",
                              "cluster|info",
                              "cluster|myid",
                              "cluster|keyslot",
                              "cluster|countkeysinslot",
                              "cluster|getkeysinslot",
                              "cluster|setslot",
                              "script|load",
                              "script|flush",
                              "script|exists"};
  for (const char* name : kSub) {
    INFO(name);
    CHECK(FindCommand(name) != nullptr);
  }
}

TEST_CASE("CLIENT SETINFO is supplied with Redis 7.2's row") {
  const CommandInfo* setinfo = FindCommand("client|setinfo");
  REQUIRE(setinfo != nullptr);
  CHECK(setinfo->arity == 4);
  CHECK(setinfo->flags == (flag::kNoScript | flag::kLoading | flag::kStale));
  CHECK(setinfo->acl_categories == (acl::kSlow | acl::kConnection));
  CHECK(setinfo->routing.kind == RouteKind::kProxyLocal);
}

}  // namespace
}  // namespace slotproxy::command

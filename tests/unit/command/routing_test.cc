#include "command/routing.h"

#include <string>

#include <catch2/catch.hpp>

#include "command/command_table.h"

namespace slotproxy::command {
namespace {

const Routing& RoutingOf(const char* name) {
  const CommandInfo* info = FindCommand(name);
  INFO(name);
  REQUIRE(info != nullptr);
  return info->routing;
}

void CheckKind(std::initializer_list<const char*> names, RouteKind kind) {
  for (const char* name : names) {
    INFO(name);
    CHECK(RouteKindName(RoutingOf(name).kind) == RouteKindName(kind));
  }
}

TEST_CASE("single slot: keyed commands with one key") {
  CheckKind(
      {"get",      "set",     "incr",   "hset",  "hgetall",     "lpush", "lrange",          "sadd",
       "zadd",     "zrange",  "expire", "ttl",   "type",        "getex", "object|encoding", "xadd",
       "setrange", "restore", "dump",   "pfadd", "memory|usage"},
      RouteKind::kSingleSlot);
}

TEST_CASE("split by slot: MGET in key order, MSET all OK in pairs, the counters summed") {
  const Routing& mget = RoutingOf("mget");
  CHECK(mget.kind == RouteKind::kSplitBySlot);
  CHECK(mget.merge == MergeKind::kMgetConcat);
  CHECK(mget.key_step == 1);
  const Routing& mset = RoutingOf("mset");
  CHECK(mset.kind == RouteKind::kSplitBySlot);
  CHECK(mset.merge == MergeKind::kAllOk);
  CHECK(mset.key_step == 2);
  for (const char* name : {"del", "unlink", "exists", "touch"}) {
    INFO(name);
    CHECK(RoutingOf(name).kind == RouteKind::kSplitBySlot);
    CHECK(RoutingOf(name).merge == MergeKind::kSum);
    CHECK(RoutingOf(name).key_step == 1);
  }
}

TEST_CASE("same slot only: every other multi-key command, MSETNX never split") {
  CheckKind(
      {"msetnx",      "rename",      "renamenx",    "smove",      "lmove",          "rpoplpush",
       "sunionstore", "sinterstore", "sdiffstore",  "sunion",     "sinter",         "sdiff",
       "sintercard",  "zunionstore", "zinterstore", "zdiffstore", "zunion",         "zinter",
       "zdiff",       "zrangestore", "copy",        "pfmerge",    "pfcount",        "bitop",
       "lcs",         "sort",        "sort_ro",     "georadius",  "geosearchstore", "lmpop",
       "zmpop",       "xread",       "xreadgroup"},
      RouteKind::kSameSlotOnly);
}

TEST_CASE("all shards with the response policy's merge") {
  struct Case {
    const char* name;
    MergeKind merge;
  };
  const Case kCases[] = {
      {"dbsize", MergeKind::kSum},
      {"keys", MergeKind::kConcat},
      {"flushall", MergeKind::kAllOk},
      {"flushdb", MergeKind::kAllOk},
      {"randomkey", MergeKind::kRandomKey},
      {"scan", MergeKind::kScan},
      {"script|load", MergeKind::kAllOk},
      {"script|flush", MergeKind::kAllOk},
      {"script|exists", MergeKind::kLogicalAnd},
      {"script|kill", MergeKind::kOneSucceeded},
      {"function|kill", MergeKind::kOneSucceeded},
      {"config|set", MergeKind::kAllOk},
      {"memory|purge", MergeKind::kAllOk},
  };
  for (const Case& c : kCases) {
    INFO(c.name);
    CHECK(RoutingOf(c.name).kind == RouteKind::kAllShards);
    CHECK(MergeKindName(RoutingOf(c.name).merge) == MergeKindName(c.merge));
  }
}

TEST_CASE("proxy-local: connection and introspection commands") {
  CheckKind({"ping",           "echo",
             "quit",           "select",
             "hello",          "auth",
             "reset",          "info",
             "role",           "command",
             "command|count",  "command|info",
             "command|docs",   "command|getkeys",
             "client|setname", "client|getname",
             "client|id",      "client|setinfo",
             "client|info",    "client|list",
             "config|get",     "slowlog|get",
             "slowlog|len",    "slowlog|reset"},
            RouteKind::kProxyLocal);
}

TEST_CASE("stateful: transactions, blocking commands, pub/sub, scripts, WAIT") {
  CheckKind(
      {"multi",        "exec",       "discard",    "watch",           "unwatch",      "blpop",
       "brpop",        "blmove",     "brpoplpush", "bzpopmin",        "bzpopmax",     "blmpop",
       "bzmpop",       "subscribe",  "psubscribe", "unsubscribe",     "punsubscribe", "ssubscribe",
       "sunsubscribe", "publish",    "spublish",   "pubsub|channels", "eval",         "evalsha",
       "eval_ro",      "evalsha_ro", "fcall",      "fcall_ro",        "wait"},
      RouteKind::kStateful);
}

TEST_CASE("keyless commands without a fan-out tip go to any shard") {
  CheckKind({"time", "lastsave", "lolwut", "object|help", "xinfo|help", "function|list"},
            RouteKind::kKeylessAnyShard);
}

TEST_CASE("unsupported commands carry Redis's text where Redis has one") {
  CheckKind({"monitor", "sync", "psync", "replicaof", "slaveof", "shutdown", "debug", "failover",
             "migrate", "module|load", "client|tracking", "acl|setuser", "memory|stats",
             "latency|doctor", "function|stats", "script|debug"},
            RouteKind::kUnsupported);
  CHECK(UnsupportedError(*FindCommand("swapdb")) == "ERR SWAPDB is not allowed in cluster mode");
  CHECK(UnsupportedError(*FindCommand("move")) == "ERR MOVE is not allowed in cluster mode");
  for (const char* name :
       {"cluster|slots", "cluster|keyslot", "cluster|info", "readonly", "readwrite", "asking"}) {
    INFO(name);
    CHECK(UnsupportedError(*FindCommand(name)) == "ERR This instance has cluster support disabled");
  }
  CHECK(UnsupportedError(*FindCommand("monitor")) ==
        "ERR command 'monitor' is not supported by slotproxy");
  CHECK(UnsupportedError(*FindCommand("module|load")) ==
        "ERR command 'module|load' is not supported by slotproxy");
}

TEST_CASE("derivation without overrides follows tips, flags and key specs") {
  CommandInfo info;
  info.name = "x.new";
  CHECK(DeriveRouting(info).kind == RouteKind::kKeylessAnyShard);
  info.flags = flag::kAdmin;
  CHECK(DeriveRouting(info).kind == RouteKind::kUnsupported);
  info.flags = flag::kBlocking;
  CHECK(DeriveRouting(info).kind == RouteKind::kStateful);
  info.flags = 0;
  KeySpec one;
  one.bs_type = BeginSearchType::kIndex;
  one.bs_index = 1;
  one.fk_type = FindKeysType::kRange;
  one.fk_keystep = 1;
  info.key_specs = std::span<const KeySpec>(&one, 1);
  CHECK(DeriveRouting(info).kind == RouteKind::kSingleSlot);
  KeySpec many = one;
  many.fk_lastkey = -1;
  many.fk_keystep = 3;
  info.key_specs = std::span<const KeySpec>(&many, 1);
  CHECK(DeriveRouting(info).kind == RouteKind::kSameSlotOnly);
  const std::string_view split_tips[] = {"request_policy:multi_shard", "response_policy:agg_sum"};
  info.tips = split_tips;
  Routing split = DeriveRouting(info);
  CHECK(split.kind == RouteKind::kSplitBySlot);
  CHECK(split.merge == MergeKind::kSum);
  CHECK(split.key_step == 3);
  const std::string_view min_tips[] = {"request_policy:multi_shard", "response_policy:agg_min"};
  info.tips = min_tips;
  CHECK(DeriveRouting(info).kind == RouteKind::kSameSlotOnly);
  const std::string_view special[] = {"request_policy:all_shards", "response_policy:special"};
  info.tips = special;
  CHECK(DeriveRouting(info).kind == RouteKind::kUnsupported);
  const std::string_view fanout[] = {"request_policy:all_nodes"};
  info.tips = fanout;
  CHECK(DeriveRouting(info).merge == MergeKind::kConcat);
  CHECK(FindRoutingOverride("cluster|anything") != nullptr);  // container wildcard
  CHECK(FindRoutingOverride("x.new") == nullptr);
}

TEST_CASE("every row has a routing decision with a name") {
  int rows = 0;
  for (const CommandInfo* top : CommandTable::BuiltIn().TopLevel()) {
    CHECK_FALSE(RouteKindName(top->routing.kind).empty());
    CHECK_FALSE(MergeKindName(top->routing.merge).empty());
    ++rows;
    for (const CommandInfo* sub : top->subcommands) {
      CHECK_FALSE(RouteKindName(sub->routing.kind).empty());
      ++rows;
    }
    if (top->routing.kind == RouteKind::kSplitBySlot ||
        top->routing.kind == RouteKind::kAllShards) {
      CHECK(top->routing.merge != MergeKind::kNone);
    }
  }
  CHECK(rows == 367);
}

}  // namespace
}  // namespace slotproxy::command

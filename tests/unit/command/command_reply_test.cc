#include "command/command_reply.h"

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "command/key_extraction.h"
#include "unit/command/reply_test_util.h"

namespace slotproxy::command {
namespace {

using testing::Encode;
using Names = std::vector<std::string_view>;

const CommandTable& Table() { return CommandTable::BuiltIn(); }

TEST_CASE("COMMAND INFO GET is byte for byte Redis 7.0.15's RESP2 reply") {
  // Captured from redis-server 7.0.15 (shared/reference/cluster-protocol.md section 5).
  const std::string kGet =
      "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@"
      "read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r"
      "\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:"
      "1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastk"
      "ey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
  CHECK(Encode(BuildCommandInfoReply(Table(), Names{"GET"}), false) == kGet);
  CHECK(Encode(BuildCommandInfoReply(Table(), Names{"nosuch"}), false) == "*1\r\n$-1\r\n");
  CHECK(Encode(BuildCommandInfoReply(Table(), Names{"nosuch"}), true) == "*1\r\n_\r\n");
}

TEST_CASE("COMMAND entries: MSET tips, key spec notes, containers with full subentries") {
  testing::Tree mset = testing::ToTree(BuildCommandInfoReply(Table(), Names{"mset"}));
  REQUIRE(mset.children.size() == 1);
  const testing::Tree& e = mset.children[0];
  REQUIRE(e.children.size() == 10);
  CHECK(e.children[1].value == -3);
  CHECK(e.children[4].value == -1);
  CHECK(e.children[5].value == 2);
  REQUIRE(e.children[7].children.size() == 2);
  CHECK(e.children[7].kind == ReplyKind::kSet);
  CHECK(e.children[7].children[0].str == "request_policy:multi_shard");
  CHECK(e.children[7].children[1].str == "response_policy:all_succeeded");
  testing::Tree sort = testing::ToTree(BuildCommandInfoReply(Table(), Names{"sort"}));
  const testing::Tree& spec1 = sort.children[0].children[8].children[1];
  CHECK(spec1.kind == ReplyKind::kMap);
  CHECK(spec1.children[0].str == "notes");  // notes come first, as in Redis
  testing::Tree object = testing::ToTree(BuildCommandInfoReply(Table(), Names{"OBJECT"}));
  const testing::Tree& subs = object.children[0].children[9];
  CHECK(subs.kind == ReplyKind::kArray);
  REQUIRE(subs.children.size() == 5);
  CHECK(subs.children[0].children[0].str == "object|encoding");
  CHECK(subs.children[0].children.size() == 10);
  CHECK(object.children[0].children[8].kind == ReplyKind::kSet);
  testing::Tree all = testing::ToTree(BuildCommandInfoReply(Table(), {}));
  CHECK(all.children.size() == 240);
}

TEST_CASE("COMMAND DOCS: the stored docs, plus a subcommands map for containers") {
  testing::Tree get = testing::ToTree(BuildCommandDocsReply(Table(), Names{"get", "nosuch"}));
  CHECK(get.kind == ReplyKind::kMap);
  REQUIRE(get.children.size() == 2);
  CHECK(get.children[0].str == "get");
  const testing::Tree& docs = get.children[1];
  REQUIRE(docs.children.size() == 10);  // summary since group complexity arguments
  CHECK(docs.children[0].str == "summary");
  CHECK(docs.children[1].str == "Get the value of a key");
  CHECK(docs.children[3].str == "1.0.0");
  CHECK(docs.children[8].str == "arguments");
  testing::Tree config = testing::ToTree(BuildCommandDocsReply(Table(), Names{"config"}));
  const testing::Tree& cdocs = config.children[1];
  CHECK(cdocs.children[cdocs.children.size() - 2].str == "subcommands");
  const testing::Tree& subs = cdocs.children.back();
  CHECK(subs.kind == ReplyKind::kMap);
  CHECK(subs.children[0].str == "config|get");
  testing::Tree all = testing::ToTree(BuildCommandDocsReply(Table(), {}));
  CHECK(all.children.size() == 2 * 240);
}

TEST_CASE("COMMAND GETKEYS, GETKEYSANDFLAGS and LIST replies") {
  // Captured from redis-server 7.0.15 over RESP3.
  std::vector<std::string_view> args = {"LMOVE", "a", "b", "LEFT", "RIGHT"};
  Result<KeyRefs> keys = CommandGetKeys(Table(), args);
  REQUIRE(keys.ok());
  CHECK(Encode(BuildGetKeysReply(args, keys.value(), false), true) ==
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(Encode(BuildGetKeysReply(args, keys.value(), true), true) ==
        "*2\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n"
        "*2\r\n$1\r\nb\r\n~2\r\n+RW\r\n+insert\r\n");
  testing::Tree all = testing::ToTree(BuildCommandListReply(Table()));
  CHECK(all.children.size() == 240 + 127);
  testing::Tree xinfo = testing::ToTree(BuildCommandListReply(
      Table(), [](const CommandInfo& info) { return info.name.substr(0, 5) == "xinfo"; }));
  REQUIRE(xinfo.children.size() == 5);
  CHECK(xinfo.children[0].str == "xinfo");
  CHECK(xinfo.children[1].str == "xinfo|consumers");
  testing::Tree admin = testing::ToTree(BuildCommandListReply(
      Table(), [](const CommandInfo& info) { return (info.acl_categories & acl::kAdmin) != 0; }));
  CHECK(admin.children.size() > 50);
}

TEST_CASE("SubtreeSize walks pre-order trees and rejects truncated or hostile ones") {
  const ReplyNode tree[] = {{ReplyKind::kMap, 1, {}},
                            {ReplyKind::kBulkString, 0, "k"},
                            {ReplyKind::kArray, 2, {}},
                            {ReplyKind::kInteger, 1, {}},
                            {ReplyKind::kSet, 0, {}}};
  CHECK(SubtreeSize(tree, 0) == 5);
  CHECK(SubtreeSize(tree, 2) == 3);
  CHECK(SubtreeSize(tree, 4) == 1);
  CHECK(SubtreeSize(tree, 5) == 0);
  CHECK(SubtreeSize(std::span(tree, 3), 0) == 0);  // truncated
  const ReplyNode huge[] = {{ReplyKind::kMap, INT64_MAX, {}}, {ReplyKind::kArray, -3, {}}};
  CHECK(SubtreeSize(huge, 0) == 0);
  CHECK(SubtreeSize(huge, 1) == 0);
}

// The entry of `name` from the built-in table, renamed.
std::vector<ReplyNode> RenamedEntry(std::string_view name, std::string_view new_name) {
  std::vector<ReplyNode> reply = BuildCommandInfoReply(Table(), Names{name});
  reply[1 + 1].str = new_name;  // [0] array, [1] entry array, [2] its name
  return reply;
}

// The same tree as RESP2 would decode it: maps as flat arrays, sets as arrays.
std::vector<ReplyNode> AsResp2(std::vector<ReplyNode> nodes) {
  for (ReplyNode& n : nodes) {
    if (n.kind == ReplyKind::kMap) {
      n.kind = ReplyKind::kArray;
      n.value *= 2;
    } else if (n.kind == ReplyKind::kSet) {
      n.kind = ReplyKind::kArray;
    }
  }
  return nodes;
}

TEST_CASE("learning commands from a backend's COMMAND reply, in RESP3 and RESP2 shapes") {
  auto table = CommandTable::CreateBuiltIn();
  Result<int> known = MergeCommandReply(table.get(), BuildCommandInfoReply(Table(), {}));
  REQUIRE(known.ok());
  CHECK(known.value() == 0);
  for (bool resp2 : {false, true}) {
    std::string name = resp2 ? "zunionstore2" : "zunionstore3";
    std::vector<ReplyNode> entry = RenamedEntry("zunionstore", name);
    Result<int> added = MergeCommandReply(table.get(), resp2 ? AsResp2(entry) : entry);
    REQUIRE(added.ok());
    CHECK(added.value() == 1);
    const CommandInfo* learned = table->Find(name);
    REQUIRE(learned != nullptr);
    const CommandInfo& original = *FindCommand("zunionstore");
    CHECK(learned->learned);
    CHECK(learned->arity == original.arity);
    CHECK(learned->flags == original.flags);
    CHECK(learned->acl_categories == original.acl_categories);
    REQUIRE(learned->key_specs.size() == 2);
    CHECK(learned->key_specs[1].fk_type == FindKeysType::kKeynum);
    CHECK(learned->routing.kind == RouteKind::kSameSlotOnly);
    std::vector<std::string_view> args = {name, "d", "2", "a", "b"};
    KeyRefs keys;
    CHECK(ExtractKeys(*learned, args, false, &keys));
    CHECK(keys.size() == 3);
    // The learned row's COMMAND entry is the original's but for the name.
    CHECK(Encode(BuildCommandInfoReply(*table, Names{name}), true) ==
          Encode(RenamedEntry("zunionstore", name), true));
  }
  CHECK(table->Count() == 242);
}

TEST_CASE("learning containers, new subcommands, pre-7.0 entries; errors") {
  auto table = CommandTable::CreateBuiltIn();
  Result<int> obj = MergeCommandReply(table.get(), RenamedEntry("object", "myobj"));
  REQUIRE(obj.ok());
  CHECK(obj.value() == 6);
  REQUIRE(table->Find("myobj") != nullptr);
  CHECK(table->Find("myobj")->subcommands.size() == 5);
  std::vector<std::string_view> args = {"MYOBJ", "encoding", "k"};
  const CommandInfo* enc = table->Lookup(args);
  REQUIRE(enc != nullptr);
  CHECK(enc->name == "myobj|encoding");
  CHECK(enc->routing.kind == RouteKind::kSingleSlot);
  // A new subcommand of a known container.
  CommandInfo sub;
  sub.name = "client|brandnew";
  sub.arity = 2;
  Result<int> added = table->MergeLearnedCommand(sub);
  REQUIRE(added.ok());
  CHECK(added.value() == 1);
  CHECK(table->FindSubcommand(*table->Find("client"), "BRANDNEW") != nullptr);
  CHECK(table->Find("client")->subcommands.size() == 18);  // 16 + SETINFO + this one
  // A pre-7.0 entry: six elements, a legacy key range only.
  const ReplyNode legacy[] = {{ReplyKind::kArray, 1, {}},
                              {ReplyKind::kArray, 6, {}},
                              {ReplyKind::kBulkString, 0, "oldcmd"},
                              {ReplyKind::kInteger, -2, {}},
                              {ReplyKind::kArray, 1, {}},
                              {ReplyKind::kSimpleString, 0, "write"},
                              {ReplyKind::kInteger, 1, {}},
                              {ReplyKind::kInteger, -1, {}},
                              {ReplyKind::kInteger, 2, {}}};
  REQUIRE(MergeCommandReply(table.get(), legacy).ok());
  const CommandInfo* old = table->Find("OLDCMD");
  REQUIRE(old != nullptr);
  CHECK(old->HasFlag(flag::kWrite));
  REQUIRE(old->key_specs.size() == 1);
  std::vector<std::string_view> old_args = {"oldcmd", "k1", "v1", "k2", "v2"};
  KeyRefs keys;
  CHECK(ExtractKeys(*old, old_args, false, &keys));
  REQUIRE(keys.size() == 2);
  CHECK(keys[1].pos == 3);
  CHECK(old->routing.kind == RouteKind::kSameSlotOnly);
  // Errors.
  CommandInfo orphan;
  orphan.name = "nosuch|sub";
  CHECK_FALSE(table->MergeLearnedCommand(orphan).ok());
  CommandInfo empty;
  CHECK_FALSE(table->MergeLearnedCommand(empty).ok());
  std::string long_name(200, 'x');
  CommandInfo too_long;
  too_long.name = long_name;
  CHECK_FALSE(table->MergeLearnedCommand(too_long).ok());
  const ReplyNode not_array[] = {{ReplyKind::kInteger, 1, {}}};
  CHECK_FALSE(MergeCommandReply(table.get(), not_array).ok());
  const ReplyNode truncated[] = {{ReplyKind::kArray, 3, {}}, {ReplyKind::kArray, 6, {}}};
  CHECK_FALSE(MergeCommandReply(table.get(), truncated).ok());
  table->Freeze();
  CommandInfo late;
  late.name = "late";
  CHECK_FALSE(table->MergeLearnedCommand(late).ok());
  CHECK(table->Find("late") == nullptr);
}

TEST_CASE("mutated COMMAND replies never crash the learner") {
  const std::vector<ReplyNode> base = BuildCommandInfoReply(Table(), {});
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    std::vector<ReplyNode> nodes = base;
    for (int m = 0; m < 8; ++m) {
      ReplyNode& n = nodes[rng() % nodes.size()];
      switch (rng() % 4) {
        case 0:
          n.kind = static_cast<ReplyKind>(rng() % 7);
          break;
        case 1:
          n.value = static_cast<int64_t>(rng() % 40) - 20;
          break;
        case 2:
          n.str = "x|y|z";
          break;
        default:
          nodes.resize(rng() % nodes.size() + 1);
          break;
      }
    }
    auto table = CommandTable::CreateBuiltIn();
    (void)MergeCommandReply(table.get(), nodes);
    CHECK(table->Count() >= 240);
  }
}

}  // namespace
}  // namespace slotproxy::command

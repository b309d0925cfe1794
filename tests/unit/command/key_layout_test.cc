// CommandInfo::key_layout: the summary the table computes once per row must give exactly the
// answer of the general key search (specs, then the getkeys procedure) for every row.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "command/command_table.h"
#include "command/key_extraction.h"

namespace slotproxy::command {
namespace {

// Words that steer key specs and getkeys procedures (keywords, key counts) and plain keys.
const std::vector<std::string>& Words() {
  static const std::vector<std::string> words = {"k",
                                                 "0",
                                                 "1",
                                                 "2",
                                                 "3",
                                                 "-1",
                                                 "get",
                                                 "GET",
                                                 "set",
                                                 "by",
                                                 "limit",
                                                 "store",
                                                 "STORE",
                                                 "storedist",
                                                 "keys",
                                                 "streams",
                                                 "block",
                                                 "count",
                                                 "group",
                                                 "noack",
                                                 "auth",
                                                 "auth2",
                                                 "incrby",
                                                 "overflow",
                                                 "weights",
                                                 "",
                                                 "1000000000000",
                                                 std::string("get\0x", 5)};
  return words;
}

std::vector<std::string> Prefix(const CommandInfo& info) {
  if (info.parent == nullptr) return {std::string(info.name)};
  return {std::string(info.parent->name), std::string(info.ShortName())};
}

// Argument vectors for `info`: plain keys for argc 1..8, then each word (and each keyword of the
// row's specs) at every position of an 8-argument vector, and a few count-first vectors.
std::vector<std::vector<std::string>> ArgVectors(const CommandInfo& info) {
  std::vector<std::vector<std::string>> out;
  const std::vector<std::string> prefix = Prefix(info);
  for (size_t argc = 1; argc <= 8; ++argc) {
    std::vector<std::string> v = prefix;
    while (v.size() > argc) v.pop_back();
    while (v.size() < argc) v.push_back("k" + std::to_string(v.size()));
    out.push_back(v);
  }
  std::vector<std::string> words = Words();
  for (const KeySpec& spec : info.key_specs) {
    if (!spec.bs_keyword.empty()) words.emplace_back(spec.bs_keyword);
  }
  for (const std::string& word : words) {
    for (size_t at = prefix.size(); at < 8; ++at) {
      std::vector<std::string> v = prefix;
      while (v.size() < 8) v.push_back(v.size() == at ? word : "k" + std::to_string(v.size()));
      out.push_back(v);
    }
    for (size_t argc = prefix.size() + 1; argc <= 8; ++argc) {
      std::vector<std::string> v = prefix;
      v.push_back("2");  // a key count
      while (v.size() < argc)
        v.push_back(v.size() + 1 == argc ? word : "k" + std::to_string(v.size()));
      out.push_back(v);
    }
  }
  return out;
}

std::vector<const CommandInfo*> AllRows(const CommandTable& table) {
  std::vector<const CommandInfo*> rows;
  for (const CommandInfo* info : table.TopLevel()) {
    rows.push_back(info);
    for (const CommandInfo* sub : info->subcommands) rows.push_back(sub);
  }
  return rows;
}

std::vector<int32_t> Positions(const KeyRefs& keys) {
  std::vector<int32_t> out;
  for (const KeyRef& k : keys) out.push_back(k.pos);
  return out;
}

// The positions the summary promises for `argc` arguments (see KeyLayout).
std::vector<int32_t> Promised(const KeyLayoutSummary& layout, size_t argc) {
  std::vector<int32_t> out;
  if (layout.layout == KeyLayout::kSingleAtOne) out.push_back(1);
  if (layout.layout == KeyLayout::kOneToEnd) {
    for (size_t pos = 1; pos < argc; pos += layout.step) out.push_back(static_cast<int32_t>(pos));
  }
  return out;
}

// Holds ExtractKeys (with its key_layout shortcut) and the summary itself to the general search.
void CheckRow(const CommandInfo& info, const std::vector<std::string>& command) {
  const std::vector<std::string_view> args(command.begin(), command.end());
  const KeyLayoutSummary& layout = info.key_layout;
  for (bool include_not_key : {false, true}) {
    INFO(info.name << " argc " << args.size() << " include_not_key " << include_not_key);
    KeyRefs fast;
    KeyRefs search;
    const bool fast_ok = ExtractKeys(info, args, include_not_key, &fast);
    const bool search_ok = internal::ExtractKeysBySearch(info, args, include_not_key, &search);
    CHECK(fast_ok == search_ok);
    CHECK(fast == search);
    if (layout.layout == KeyLayout::kGeneral) continue;
    if (layout.layout == KeyLayout::kNone) {
      CHECK(search_ok);
      CHECK(search.empty());
      continue;
    }
    if (args.size() < 2 || (layout.not_key && !include_not_key)) continue;
    // What routing (RouteKeyed, PlanSplit) reads instead of searching.
    CHECK(search_ok);
    CHECK(Positions(search) == Promised(layout, args.size()));
    if (layout.fixed_flags) {
      for (const KeyRef& k : search) CHECK(k.flags == layout.key_flags);
    }
  }
}

TEST_CASE("every built-in row's key layout gives the key search's answer", "[key_layout]") {
  const CommandTable& table = CommandTable::BuiltIn();
  int counts[4] = {0, 0, 0, 0};
  for (const CommandInfo* info : AllRows(table)) {
    CHECK(info->key_layout.layout == SummarizeKeyLayout(*info).layout);
    ++counts[static_cast<int>(info->key_layout.layout)];
    for (const std::vector<std::string>& command : ArgVectors(*info)) CheckRow(*info, command);
  }
  // Most rows have one of the three fast layouts.
  CHECK(counts[static_cast<int>(KeyLayout::kNone)] > 100);
  CHECK(counts[static_cast<int>(KeyLayout::kSingleAtOne)] > 100);
  CHECK(counts[static_cast<int>(KeyLayout::kOneToEnd)] > 10);
  CHECK(counts[static_cast<int>(KeyLayout::kGeneral)] > 10);
}

TEST_CASE("key layouts of well-known commands", "[key_layout]") {
  auto layout = [](std::string_view name) { return FindCommand(name)->key_layout; };
  CHECK(layout("get").layout == KeyLayout::kSingleAtOne);
  CHECK(layout("get").fixed_flags);
  CHECK(layout("get").key_flags == (key_flag::kRO | key_flag::kAccess));
  // SET and BITFIELD: the procedure decides the flags, the key is still argv[1].
  CHECK(layout("set").layout == KeyLayout::kSingleAtOne);
  CHECK_FALSE(layout("set").fixed_flags);
  CHECK(layout("bitfield").layout == KeyLayout::kSingleAtOne);
  CHECK_FALSE(layout("bitfield").fixed_flags);
  CHECK(layout("spublish").layout == KeyLayout::kSingleAtOne);
  CHECK(layout("spublish").not_key);
  CHECK(layout("mget").layout == KeyLayout::kOneToEnd);
  CHECK(layout("mget").step == 1);
  CHECK(layout("mset").layout == KeyLayout::kOneToEnd);
  CHECK(layout("mset").step == 2);
  CHECK(layout("del").layout == KeyLayout::kOneToEnd);
  CHECK(layout("ping").layout == KeyLayout::kNone);
  CHECK(layout("config|get").layout == KeyLayout::kNone);
  CHECK(layout("object|encoding").layout == KeyLayout::kGeneral);  // key at argv[2]
  CHECK(layout("eval").layout == KeyLayout::kGeneral);
  CHECK(layout("sort").layout == KeyLayout::kGeneral);
  CHECK(layout("xread").layout == KeyLayout::kGeneral);
  CHECK(layout("rename").layout == KeyLayout::kGeneral);  // two specs
  CHECK(layout("migrate").layout == KeyLayout::kGeneral);

  // MSET with a trailing partial group: Redis's range still names its key.
  KeyRefs keys;
  const std::vector<std::string_view> mset = {"MSET", "a", "1", "b"};
  REQUIRE(ExtractKeys(*FindCommand("mset"), mset, false, &keys));
  CHECK(Positions(keys) == std::vector<int32_t>{1, 3});
  // No key when argc is 1: the search's answer (not authoritative) stands.
  const std::vector<std::string_view> bare = {"MGET"};
  CHECK_FALSE(ExtractKeys(*FindCommand("mget"), bare, false, &keys));
  CHECK(keys.empty());
}

KeySpec IndexRange(int32_t lastkey, int32_t step, int32_t limit, uint32_t flags) {
  KeySpec spec;
  spec.flags = flags;
  spec.bs_type = BeginSearchType::kIndex;
  spec.bs_index = 1;
  spec.fk_type = FindKeysType::kRange;
  spec.fk_lastkey = lastkey;
  spec.fk_keystep = step;
  spec.fk_limit = limit;
  return spec;
}

TEST_CASE("learned commands get a key layout that matches the key search", "[key_layout]") {
  std::unique_ptr<CommandTable> table = CommandTable::CreateBuiltIn();
  const uint32_t rw = key_flag::kRW | key_flag::kUpdate;
  struct Case {
    const char* name;
    std::vector<KeySpec> specs;
    int32_t first_key, last_key, key_step;
    KeyLayout want;
    int step;
  };
  const std::vector<Case> cases = {
      {"x.get", {IndexRange(0, 1, 0, key_flag::kRO)}, 0, 0, 0, KeyLayout::kSingleAtOne, 1},
      {"x.mset", {IndexRange(-1, 2, 0, rw)}, 0, 0, 0, KeyLayout::kOneToEnd, 2},
      {"x.limit1", {IndexRange(-1, 3, 1, rw)}, 0, 0, 0, KeyLayout::kOneToEnd, 3},
      // Module-style legacy ranges become a variable-flags spec; no procedure, so the spec rules.
      {"x.legacy1", {}, 1, 1, 1, KeyLayout::kSingleAtOne, 1},
      {"x.legacyall", {}, 1, -1, 2, KeyLayout::kOneToEnd, 2},
      {"x.nokeys", {}, 0, 0, 0, KeyLayout::kNone, 1},
      // Hostile or unusual specs: no shortcut.
      {"x.step0", {IndexRange(0, 0, 0, rw)}, 0, 0, 0, KeyLayout::kGeneral, 1},
      {"x.limitneg", {IndexRange(-1, 1, -1, rw)}, 0, 0, 0, KeyLayout::kGeneral, 1},
      {"x.limit2", {IndexRange(-1, 1, 2, rw)}, 0, 0, 0, KeyLayout::kGeneral, 1},
      {"x.bigstep", {IndexRange(-1, 300, 0, rw)}, 0, 0, 0, KeyLayout::kGeneral, 1},
      {"x.lastkey2", {IndexRange(-2, 1, 0, rw)}, 0, 0, 0, KeyLayout::kGeneral, 1},
      {"x.incomplete",
       {IndexRange(0, 1, 0, rw | key_flag::kIncomplete)},
       0,
       0,
       0,
       KeyLayout::kGeneral,
       1},
  };
  for (const Case& c : cases) {
    CommandInfo info;
    info.name = c.name;
    info.arity = -1;
    info.first_key = c.first_key;
    info.last_key = c.last_key;
    info.key_step = c.key_step;
    info.key_specs = c.specs;
    // A stale summary from elsewhere must not survive: the table computes its own.
    info.key_layout.layout = KeyLayout::kNone;
    Result<int> added = table->MergeLearnedCommand(info);
    REQUIRE(added.ok());
    REQUIRE(added.value() == 1);
    const CommandInfo* row = table->Find(c.name);
    REQUIRE(row != nullptr);
    INFO(c.name);
    CHECK(row->key_layout.layout == c.want);
    if (c.want == KeyLayout::kOneToEnd) CHECK(row->key_layout.step == c.step);
    for (const std::vector<std::string>& command : ArgVectors(*row)) CheckRow(*row, command);
  }
}

TEST_CASE("a hand-made row without a summary takes the key search", "[key_layout]") {
  const CommandInfo& mget = *FindCommand("mget");
  CommandInfo copy = mget;
  copy.key_layout = KeyLayoutSummary();
  REQUIRE(copy.key_layout.layout == KeyLayout::kGeneral);
  for (const std::vector<std::string>& command : ArgVectors(mget)) {
    const std::vector<std::string_view> args(command.begin(), command.end());
    KeyRefs a;
    KeyRefs b;
    CHECK(ExtractKeys(mget, args, false, &a) == ExtractKeys(copy, args, false, &b));
    CHECK(a == b);
  }
}

}  // namespace
}  // namespace slotproxy::command

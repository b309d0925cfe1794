#include "command/key_extraction.h"

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "command/command_table.h"

namespace slotproxy::command {
namespace {

using Args = std::vector<std::string_view>;

const CommandTable& Table() { return CommandTable::BuiltIn(); }

// Splits on spaces; "" stands for an empty argument.
std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= line.size()) {
    size_t space = line.find(' ', start);
    if (space == std::string_view::npos) space = line.size();
    std::string word(line.substr(start, space - start));
    out.push_back(word == "\"\"" ? "" : word);
    start = space + 1;
  }
  return out;
}

// The keys ExtractKeys finds in `line`, joined by spaces, with "!" appended when the answer is
// not authoritative.
std::string Keys(std::string_view line, bool include_not_key = true) {
  std::vector<std::string> words = Words(line);
  std::vector<std::string_view> args(words.begin(), words.end());
  const CommandInfo* info = Table().Lookup(args);
  REQUIRE(info != nullptr);
  KeyRefs keys;
  bool complete = ExtractKeys(*info, args, include_not_key, &keys);
  std::string out;
  for (const KeyRef& k : keys) {
    if (!out.empty()) out += ' ';
    out += words[static_cast<size_t>(k.pos)];
  }
  return complete ? out : out + "!";
}

TEST_CASE("the reference's COMMAND GETKEYS examples") {
  CHECK(Keys("SORT l BY w_* STORE dst") == "l dst");
  CHECK(Keys("ZUNIONSTORE dst 2 z1 z2 WEIGHTS 1 2") == "dst z1 z2");
  CHECK(Keys("EVAL x 2 k1 k2 a1") == "k1 k2");
  CHECK(Keys("XREAD COUNT 2 STREAMS s1 s2 0 0") == "s1 s2");
  CHECK(Keys("EVAL x 5 a").empty());
  std::vector<std::string_view> eval = {"EVAL", "x", "5", "a"};
  CHECK(CommandGetKeys(Table(), eval).ok());
  CHECK(CommandGetKeys(Table(), eval).value().empty());
  CHECK(CommandGetKeys(Table(), Args{"PING", "x"}).status().message() ==
        "ERR The command has no key arguments");
  CHECK(CommandGetKeys(Table(), Args{"GET", "a", "b"}).status().message() ==
        "ERR Invalid number of arguments specified for command");
  CHECK(CommandGetKeys(Table(), Args{"NOSUCH", "x"}).status().message() ==
        "ERR Invalid command specified");
  Result<KeyRefs> lmove = CommandGetKeys(Table(), Args{"LMOVE", "a", "b", "LEFT", "RIGHT"});
  REQUIRE(lmove.ok());
  REQUIRE(lmove.value().size() == 2);
  CHECK(lmove.value()[0] == KeyRef{1, key_flag::kRW | key_flag::kAccess | key_flag::kDelete});
  CHECK(lmove.value()[1] == KeyRef{2, key_flag::kRW | key_flag::kInsert});
}

TEST_CASE("index and range specs: single keys, fixed pairs, negative last keys") {
  CHECK(Keys("GET a") == "a");
  CHECK(Keys("SET a v EX 10") == "a");
  CHECK(Keys("GETEX a PERSIST") == "a");
  CHECK(Keys("HSET h f v f2 v2") == "h");
  CHECK(Keys("LPUSH l a b c") == "l");
  CHECK(Keys("ZADD z 1 m") == "z");
  CHECK(Keys("OBJECT ENCODING k") == "k");
  CHECK(Keys("MEMORY USAGE k SAMPLES 5") == "k");
  CHECK(Keys("XINFO STREAM s FULL") == "s");
  CHECK(Keys("MGET a b c") == "a b c");
  CHECK(Keys("MSET a 1 b 2 c 3") == "a b c");
  CHECK(Keys("MSETNX a 1 b 2") == "a b");
  CHECK(Keys("DEL a b c") == "a b c");
  CHECK(Keys("EXISTS a a b") == "a a b");  // duplicates kept, as Redis
  CHECK(Keys("TOUCH a") == "a");
  CHECK(Keys("UNLINK a b") == "a b");
  CHECK(Keys("BLPOP a b 0") == "a b");  // lastkey -2: the timeout is no key
  CHECK(Keys("BRPOPLPUSH a b 0") == "a b");
  CHECK(Keys("BLMOVE a b LEFT RIGHT 0") == "a b");
  CHECK(Keys("BZPOPMIN a b c 0") == "a b c");
  CHECK(Keys("RENAME a b") == "a b");
  CHECK(Keys("SMOVE a b m") == "a b");
  CHECK(Keys("SUNIONSTORE d a b c") == "d a b c");
  CHECK(Keys("PFMERGE d a b") == "d a b");
  CHECK(Keys("BITOP AND d a b") == "d a b");
  CHECK(Keys("COPY a b") == "a b");
  CHECK(Keys("LCS a b") == "a b");
  CHECK(Keys("WATCH a b") == "a b");
  CHECK(Keys("GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 m") == "d s");
  CHECK(Keys("ZRANGESTORE d s 0 1") == "d s");
}

TEST_CASE("keyword specs: STREAMS with a limit, STORE, MIGRATE KEYS backwards") {
  CHECK(Keys("XREAD STREAMS s1 s2 s3 1 2 3") == "s1 s2 s3");
  CHECK(Keys("xread streams s 0") == "s");
  CHECK(Keys("XREAD STREAMS s1 s2 s3") == "s1");  // odd count: (3/2)-1 = 0 more
  CHECK(Keys("XREADGROUP GROUP g c COUNT 1 STREAMS s1 s2 > >") == "s1 s2");
  CHECK(Keys("XREAD COUNT STREAMS a b") == "a");  // the keyword search does not parse COUNT
  CHECK(Keys("GEORADIUS g 0 0 1 m STORE d") == "g d");
  CHECK(Keys("GEORADIUS g 0 0 1 m STORE a STOREDIST b") == "g a b");
  CHECK(Keys("GEORADIUS g 0 0 1 m STORE") == "g");  // the last argument is never the keyword
  CHECK(Keys("GEORADIUSBYMEMBER g m 1 km STOREDIST d") == "g d");
  CHECK(Keys("MIGRATE h 1 k 0 10") == "k");
  CHECK(Keys("MIGRATE h 1 \"\" 0 10 KEYS a b") == "a b");
  CHECK(Keys("MIGRATE h 1 \"\" 0 10 AUTH2 u p KEYS a b") == "a b");
  CHECK(Keys("MIGRATE h 1 k 0 10 KEYS a b").empty());  // Redis refuses KEYS with a key
}

TEST_CASE("keynum specs: counts, bad counts, fallbacks with atoi") {
  CHECK(Keys("EVAL s 0").empty());
  CHECK(Keys("EVAL s 1 k a b") == "k");
  CHECK(Keys("EVALSHA x 2 a b") == "a b");
  CHECK(Keys("FCALL f 1 k a") == "k");
  CHECK(Keys("ZUNION 2 a b WITHSCORES") == "a b");
  CHECK(Keys("ZUNION 3 a b").empty());
  CHECK(Keys("ZINTERSTORE d 1 a") == "d a");
  CHECK(Keys("ZDIFFSTORE d 0 a").empty());
  CHECK(Keys("SINTERCARD 2 a b LIMIT 1") == "a b");
  CHECK(Keys("LMPOP 2 a b LEFT") == "a b");
  CHECK(Keys("BLMPOP 0 2 a b LEFT") == "a b");
  CHECK(Keys("BZMPOP 1 2 z1 z2 MAX COUNT 2") == "z1 z2");
  // The spec rejects "2abc"; Redis's fallback reads it with atoi.
  CHECK(Keys("EVAL x 2abc k1 k2") == "k1 k2");
  CHECK(Keys("ZUNIONSTORE d 2x a b") == "a b d");  // the fallback puts the store key last
  CHECK(Keys("EVAL x -1 a").empty());
  CHECK(Keys("ZUNIONSTORE d 4294967298 a b") == "d a b");  // Redis casts the count to int
  CHECK(Keys("EVAL x 99999999999 a").empty());
}

TEST_CASE("SORT and SORT_RO use Redis's procedure for STORE") {
  CHECK(Keys("SORT l") == "l");
  CHECK(Keys("SORT l STORE") == "l");
  CHECK(Keys("SORT l STORE a STORE b") == "l b");
  CHECK(Keys("SORT l LIMIT 0 1 STORE d") == "l d");
  CHECK(Keys("SORT l GET STORE STORE d") == "l d");
  CHECK(Keys("sort l store d") == "l d");
  CHECK(Keys("SORT_RO l BY x GET y") == "l");
}

TEST_CASE("not_key specs count for routing only") {
  CHECK(Keys("SPUBLISH ch msg", /*include_not_key=*/true) == "ch");
  CHECK(Keys("SPUBLISH ch msg", /*include_not_key=*/false).empty());
  CHECK(Keys("SSUBSCRIBE a b", true) == "a b");
  CHECK(Keys("PUBLISH ch msg").empty());
  CHECK_FALSE(CommandHasKeys(*FindCommand("spublish")));
  CHECK(CommandHasKeys(*FindCommand("sort")));
  CHECK(CommandGetKeys(Table(), Args{"SPUBLISH", "ch", "m"}).status().message() ==
        "ERR The command has no key arguments");
}

TEST_CASE("ExtractKeysBySpecs reports specs that need a fallback, with partial keys") {
  KeyRefs keys;
  std::vector<std::string_view> sort = {"SORT", "l", "STORE", "d"};
  CHECK(ExtractKeysBySpecs(*FindCommand("sort"), sort, false, &keys) == SpecResult::kNeedsFallback);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].pos == 1);
  std::vector<std::string_view> migrate = {"MIGRATE", "h", "1", "", "0", "10", "KEYS", "a"};
  CHECK(ExtractKeysBySpecs(*FindCommand("migrate"), migrate, false, &keys) ==
        SpecResult::kNeedsFallback);  // the KEYS spec is incomplete
  std::vector<std::string_view> get = {"GET", "a"};
  CHECK(ExtractKeysBySpecs(*FindCommand("get"), get, false, &keys) == SpecResult::kComplete);
  std::vector<std::string_view> short_get = {"GET"};
  CHECK(ExtractKeysBySpecs(*FindCommand("get"), short_get, false, &keys) ==
        SpecResult::kNeedsFallback);  // index 1 past the end: invalid
  CHECK(keys.empty());
}

TEST_CASE("random argument vectors never crash and stay in bounds") {
  static const char* const kVocab[] = {
      "a",    "b",           "0",        "1",         "2",       "3",           "-1",
      "2abc", "99999999999", "STORE",    "STOREDIST", "STREAMS", "KEYS",        "BY",
      "GET",  "LIMIT",       "COUNT",    "BLOCK",     "GROUP",   "AUTH",        "AUTH2",
      "SET",  "INCRBY",      "OVERFLOW", "",          " 1",      "-2147483648", "4294967297"};
  std::mt19937 rng(20261121);
  std::vector<const CommandInfo*> rows;
  for (const CommandInfo* top : Table().TopLevel()) {
    rows.push_back(top);
    for (const CommandInfo* sub : top->subcommands) rows.push_back(sub);
  }
  KeyRefs keys;
  int runs = 0;
  for (const CommandInfo* info : rows) {
    for (int round = 0; round < 40; ++round) {
      std::vector<std::string_view> args;
      size_t bar = info->name.find('|');
      if (bar == std::string_view::npos) {
        args.push_back(info->name);
      } else {
        args.push_back(info->name.substr(0, bar));
        args.push_back(info->name.substr(bar + 1));
      }
      size_t n = rng() % 12;  // arity not checked on purpose: the extractors must cope
      for (size_t i = 0; i < n; ++i) args.push_back(kVocab[rng() % std::size(kVocab)]);
      for (bool include : {false, true}) {
        ExtractKeys(*info, args, include, &keys);
        for (const KeyRef& k : keys) {
          CHECK(k.pos >= 1);
          CHECK(static_cast<size_t>(k.pos) < args.size());
        }
        ExtractKeysBySpecs(*info, args, include, &keys);
        for (const KeyRef& k : keys) CHECK(static_cast<size_t>(k.pos) < args.size());
      }
      (void)CommandGetKeys(Table(), args);
      ++runs;
    }
  }
  CHECK(runs == static_cast<int>(rows.size()) * 40);
}

TEST_CASE("hostile specs of a learned command cannot loop or read out of bounds") {
  KeySpec zero_step;
  zero_step.bs_type = BeginSearchType::kIndex;
  zero_step.bs_index = 1;
  zero_step.fk_type = FindKeysType::kRange;
  zero_step.fk_lastkey = -1;
  zero_step.fk_keystep = 0;
  KeySpec far_keynum;
  far_keynum.bs_type = BeginSearchType::kIndex;
  far_keynum.bs_index = 1;
  far_keynum.fk_type = FindKeysType::kKeynum;
  far_keynum.fk_keynumidx = 1;  // < argc, but first + keynumidx is not
  far_keynum.fk_firstkey = 1;
  far_keynum.fk_keystep = 1;
  KeySpec negative_index;
  negative_index.bs_type = BeginSearchType::kIndex;
  negative_index.bs_index = -5;
  negative_index.fk_type = FindKeysType::kRange;
  negative_index.fk_keystep = 1;
  KeySpec big_limit;
  big_limit.bs_type = BeginSearchType::kKeyword;
  big_limit.bs_keyword = "K";
  big_limit.bs_startfrom = 1;
  big_limit.fk_type = FindKeysType::kRange;
  big_limit.fk_lastkey = -1;
  big_limit.fk_limit = 1000;
  big_limit.fk_keystep = 1;
  for (const KeySpec& spec : {zero_step, far_keynum, negative_index, big_limit}) {
    CommandInfo info;
    info.name = "x.hostile";
    info.arity = -1;
    info.key_specs = std::span<const KeySpec>(&spec, 1);
    info.learned = true;
    std::vector<std::string_view> args = {"x.hostile", "a", "K", "b"};
    KeyRefs keys;
    CHECK_FALSE(ExtractKeys(info, args, false, &keys));
    for (const KeyRef& k : keys) CHECK(static_cast<size_t>(k.pos) < args.size());
  }
}

}  // namespace
}  // namespace slotproxy::command

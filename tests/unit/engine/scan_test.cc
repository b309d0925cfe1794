#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "engine/keyspace.h"
#include "engine/types/list_value.h"

namespace slotproxy::engine {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::multiset<std::string> FullScan(Keyspace& ks, size_t count, std::string_view match = "",
                                    std::optional<ObjType> type = std::nullopt) {
  std::vector<std::string> out;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = ks.Scan(cursor, count, match, type, kNow, &out);
    REQUIRE(cursor < (uint64_t{1} << 46));
    REQUIRE(++steps < 1'000'000);
  } while (cursor != 0);
  return std::multiset<std::string>(out.begin(), out.end());
}

TEST_CASE("scan: an unchanged keyspace is returned exactly once", "[scan]") {
  Keyspace ks(cluster::KeySlot);
  CHECK(FullScan(ks, 10).empty());
  std::set<std::string> keys;
  for (int i = 0; i < 2000; i++) keys.insert("key:" + std::to_string(i));
  for (int i = 0; i < 300; i++) keys.insert("{tag}:" + std::to_string(i));  // one big slot
  for (const auto& k : keys) ks.SetString(k, "v");
  for (size_t count : {1, 3, 10, 100, 100000}) {
    INFO(count);
    const auto got = FullScan(ks, count);
    CHECK(got.size() == keys.size());
    CHECK(std::set<std::string>(got.begin(), got.end()) == keys);
  }
}

TEST_CASE("scan: steps respect count roughly and cursors move forward", "[scan]") {
  Keyspace ks(cluster::KeySlot);
  for (int i = 0; i < 500; i++) ks.SetString("{same}:" + std::to_string(i), "v");
  std::vector<std::string> out;
  uint64_t cursor = 0;
  uint64_t last = 0;
  int steps = 0;
  do {
    const size_t before = out.size();
    cursor = ks.Scan(cursor, 5, "", std::nullopt, kNow, &out);
    // max(count, 500 / 64) keys per step, plus any keys sharing the last 32-bit hash.
    CHECK(out.size() - before <= 8);
    if (cursor != 0) CHECK(cursor > last);
    last = cursor;
    steps++;
  } while (cursor != 0);
  CHECK(out.size() == 500);
  CHECK(steps >= 60);
  CHECK(ks.Scan(uint64_t{kSlots} << 32, 10, "", std::nullopt, kNow, &out) == 0);
}

TEST_CASE("scan: a huge slot takes a bounded number of steps", "[scan]") {
  Keyspace ks(cluster::KeySlot);
  for (int i = 0; i < 20000; i++) ks.SetString("{big}:" + std::to_string(i), "v");
  std::vector<std::string> out;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = ks.Scan(cursor, 1, "", std::nullopt, kNow, &out);
    steps++;
  } while (cursor != 0 && steps < 1000);
  CHECK(cursor == 0);
  CHECK(steps <= 66);
  CHECK(std::set<std::string>(out.begin(), out.end()).size() == 20000);
}

TEST_CASE("scan: keys present throughout are returned despite churn", "[scan]") {
  Keyspace ks(cluster::KeySlot);
  std::mt19937 rng(7);
  std::set<std::string> stable;
  for (int i = 0; i < 3000; i++) {
    const std::string k = (i % 4 == 0 ? "{hot}:" : "s:") + std::to_string(i);
    ks.SetString(k, "v");
    stable.insert(k);
  }
  int churn_id = 0;
  std::set<std::string> churn;
  std::vector<std::string> out;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = ks.Scan(cursor, 1 + rng() % 20, "", std::nullopt, kNow, &out);
    // Between steps: add keys, delete some of them, and overwrite stable keys with values of
    // another size (which reallocates their entries).
    for (int j = 0; j < 20; j++) {
      const std::string k = (j % 3 == 0 ? "{hot}:c" : "c") + std::to_string(churn_id++);
      ks.SetString(k, "x");
      churn.insert(k);
    }
    for (int j = 0; j < 10 && !churn.empty(); j++) {
      auto it = churn.begin();
      std::advance(it, rng() % churn.size());
      ks.Delete(*it, kNow);
      churn.erase(it);
    }
    auto it = stable.begin();
    std::advance(it, rng() % stable.size());
    ks.SetString(*it, std::string(rng() % 60, 'y'));
    REQUIRE(++steps < 100000);
  } while (cursor != 0);
  const std::set<std::string> got(out.begin(), out.end());
  for (const auto& k : stable) {
    INFO(k);
    CHECK(got.count(k) == 1);
  }
}

TEST_CASE("scan: ScanEntries and ScanPosition tell visited keys apart", "[scan]") {
  Keyspace ks(cluster::KeySlot);
  for (int i = 0; i < 1000; i++) ks.SetString("k" + std::to_string(i), std::to_string(i));
  std::set<std::string> visited;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = ks.ScanEntries(cursor, 37, kNow, [&](Entry* e) {
      CHECK(e->type() == ObjType::kString);
      visited.emplace(e->key());
    });
    // Every key is visited iff its position is below the cursor.
    for (int i = 0; i < 1000; i += 13) {
      const std::string k = "k" + std::to_string(i);
      const uint64_t pos = Keyspace::ScanPosition(k, cluster::KeySlot(k));
      CHECK((cursor == 0 || pos < cursor) == (visited.count(k) == 1));
    }
    REQUIRE(++steps < 10000);
  } while (cursor != 0);
  CHECK(visited.size() == 1000);
}

TEST_CASE("scan: match and type filters", "[scan]") {
  Keyspace ks(cluster::KeySlot);
  for (int i = 0; i < 100; i++) ks.SetString("user:" + std::to_string(i), "v");
  for (int i = 0; i < 100; i++) ks.SetString("item:" + std::to_string(i), "v");
  auto list = std::make_unique<ListValue>();
  list->PushBack("a");
  ks.Add("user:list", std::move(list));
  CHECK(FullScan(ks, 10, "user:*").size() == 101);
  CHECK(FullScan(ks, 10, "*").size() == 201);
  CHECK(FullScan(ks, 10, "item:1?").size() == 10);
  CHECK(FullScan(ks, 10, "", ObjType::kList) == std::multiset<std::string>{"user:list"});
  CHECK(FullScan(ks, 10, "item*", ObjType::kList).empty());
  CHECK(FullScan(ks, 10, "user:9*", ObjType::kString).size() == 11);
}

TEST_CASE("scan: hash is fixed", "[scan]") {
  // Cursors must mean the same thing from one step to the next, so the order hash is fixed.
  CHECK(ScanHash("a") == ScanHash("a"));
  CHECK(ScanHash("a") != ScanHash("b"));
  std::set<uint32_t> distinct;
  for (int i = 0; i < 10000; i++) distinct.insert(ScanHash("key:" + std::to_string(i)));
  CHECK(distinct.size() > 9990);
}

TEST_CASE("containers: add, store, copy, rename, encoding", "[keyspace][containers]") {
  Keyspace ks(cluster::KeySlot);
  auto list = std::make_unique<ListValue>();
  list->PushBack("one");
  list->PushBack("two");
  Entry* e = ks.Add("l", std::move(list));
  CHECK(e->type() == ObjType::kList);
  CHECK(e->list() != nullptr);
  CHECK(e->hash() == nullptr);
  CHECK(Keyspace::ObjectEncoding(e) == "quicklist");
  CHECK(ks.Copy("l", "l2", false, kNow) == CopyResult::kOk);
  ks.Find("l", kNow)->list()->PushBack("three");
  CHECK(ks.Find("l2", kNow)->list()->Size() == 2);  // deep copy
  CHECK(ks.Rename("l2", "l3", false, kNow) == RenameResult::kOk);
  CHECK(ks.Find("l3", kNow)->list()->Size() == 2);
  ks.Store("l3", std::make_unique<ListValue>());
  CHECK(ks.Find("l3", kNow)->list()->Size() == 0);
  ks.SetString("l3", "now a string");  // any type is replaced by SET
  CHECK(ks.Find("l3", kNow)->type() == ObjType::kString);
  CHECK(ks.Append("l", "x", kNow).status().message() ==
        "WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(ks.IncrBy("l", 1, kNow).status().message().rfind("WRONGTYPE", 0) == 0);
  ks.SetString("l", "str");
  CHECK(ks.Size() == 2);
}

}  // namespace
}  // namespace slotproxy::engine

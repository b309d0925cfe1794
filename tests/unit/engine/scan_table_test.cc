#include "engine/types/scan_table.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace slotproxy::engine::types {
namespace {

struct TestNode {
  TestNode* next = nullptr;
  uint64_t hash = 0;
  std::string key;
  std::string_view Key() const { return key; }
  static TestNode* Make(std::string_view k) { return Make(k, StableHash(k)); }
  // A node with a hash the test chooses, to force collisions.
  static TestNode* Make(std::string_view k, uint64_t hash) {
    return new TestNode{nullptr, hash, std::string(k)};
  }
  static TestNode* Copy(const TestNode& n) { return new TestNode{nullptr, n.hash, n.key}; }
  static void Destroy(TestNode* n) { delete n; }
};

using Table = ScanTable<TestNode>;

bool Has(const Table& t, std::string_view k) { return t.Find(StableHash(k), k) != nullptr; }
bool Add(Table* t, std::string_view k) {
  if (Has(*t, k)) return false;
  t->Insert(TestNode::Make(k));
  return true;
}
bool Del(Table* t, std::string_view k) { return t->Erase(StableHash(k), k); }

std::set<std::string> Contents(const Table& t) {
  std::set<std::string> out;
  t.ForEach([&](const TestNode& n) { out.insert(n.key); });
  return out;
}

uint64_t Reverse(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; i++) r |= ((v >> i) & 1) << (63 - i);
  return r;
}

}  // namespace

TEST_CASE("scan_table: the cursor step is Redis's reverse-binary increment") {
  std::mt19937_64 rng(7);
  for (uint64_t mask : {uint64_t{0}, uint64_t{3}, uint64_t{7}, uint64_t{1023}, ~uint64_t{0} >> 1}) {
    for (int i = 0; i < 200; i++) {
      const uint64_t v = i < 100 ? static_cast<uint64_t>(i) : rng();
      const uint64_t want = Reverse(Reverse(v | ~mask) + 1);
      CHECK(NextScanCursor(v, mask) == want);
    }
  }
  // A table of 8 buckets is walked 0 4 2 6 1 5 3 7, then done.
  std::vector<uint64_t> walk;
  uint64_t c = 0;
  do {
    walk.push_back(c);
    c = NextScanCursor(c, 7);
  } while (c != 0 && walk.size() < 100);
  CHECK(walk == std::vector<uint64_t>{0, 4, 2, 6, 1, 5, 3, 7});
  CHECK(RoundUpPow2(0) == 1);
  CHECK(RoundUpPow2(5) == 8);
  CHECK(RoundUpPow2(8) == 8);
}

TEST_CASE("scan_table: grows at load factor 1 and shrinks below 1/8") {
  Table t;
  CHECK(t.BucketCount() == 0);
  CHECK(t.Find(StableHash("a"), "a") == nullptr);
  CHECK(t.Scan(0, [](const TestNode&) { FAIL("empty table visited a node"); }) == 0);
  for (int i = 0; i < 1000; i++) REQUIRE(Add(&t, "k" + std::to_string(i)));
  CHECK(t.Size() == 1000);
  CHECK(t.BucketCount() == 1024);
  CHECK_FALSE(Add(&t, "k5"));
  for (int i = 0; i < 1000; i++) {
    REQUIRE(Del(&t, "k" + std::to_string(i)));
    REQUIRE(t.Size() <= t.BucketCount());
    if (t.BucketCount() > Table::kMinBuckets) REQUIRE(t.Size() * 8 >= t.BucketCount());
  }
  CHECK(t.Size() == 0);
  CHECK(t.BucketCount() == Table::kMinBuckets);
  CHECK_FALSE(Del(&t, "k1"));
  t.Reserve(5000);
  CHECK(t.BucketCount() == 8192);
  Add(&t, "x");
  t.Clear();
  CHECK(t.Size() == 0);
  CHECK(t.BucketCount() == 0);
}

TEST_CASE("scan_table: copies, moves and Replace keep every element") {
  Table t;
  for (int i = 0; i < 300; i++) Add(&t, "m" + std::to_string(i));
  Table copy(t);
  CHECK(Contents(copy) == Contents(t));
  Table moved(std::move(copy));
  CHECK(Contents(moved) == Contents(t));
  CHECK(copy.Size() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  Table assigned;
  assigned = t;
  CHECK(Contents(assigned) == Contents(t));
  TestNode* old = t.Find(StableHash("m7"), "m7");
  REQUIRE(old != nullptr);
  TestNode* repl = TestNode::Copy(*old);
  t.Replace(old, repl);
  CHECK(t.Find(StableHash("m7"), "m7") == repl);
  CHECK(t.Size() == 300);
  CHECK(Contents(t) == Contents(assigned));
}

TEST_CASE("scan_table: random operations agree with std::set") {
  std::mt19937_64 rng(12345);
  Table t;
  std::set<std::string> model;
  for (int op = 0; op < 60000; op++) {
    const std::string k = "e" + std::to_string(rng() % 3000);
    switch (rng() % 4) {
      case 0:
      case 1:
        REQUIRE(Add(&t, k) == model.insert(k).second);
        break;
      case 2:
        REQUIRE(Del(&t, k) == (model.erase(k) > 0));
        break;
      default:
        REQUIRE(Has(t, k) == (model.count(k) > 0));
        break;
    }
    REQUIRE(t.Size() == model.size());
    if (op % 5000 == 0) REQUIRE(Contents(t) == model);
    // Drain now and then so the table also shrinks through every size.
    if (op % 20000 == 19999) {
      for (const auto& m : std::set<std::string>(model)) {
        REQUIRE(Del(&t, m));
        model.erase(m);
      }
      REQUIRE(t.BucketCount() == Table::kMinBuckets);
    }
  }
  CHECK(Contents(t) == model);
}

TEST_CASE("scan_table: SCAN returns every element present for the whole scan") {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 30; round++) {
    Table t;
    std::set<std::string> present;
    const int initial = static_cast<int>(rng() % 2000);
    for (int i = 0; i < initial; i++) {
      const std::string k = "s" + std::to_string(i);
      Add(&t, k);
      present.insert(k);
    }
    std::set<std::string> always = present;  // present from start to end
    std::set<std::string> seen;
    std::map<std::string, int> times;
    // Between steps: a burst of inserts (grows), a burst of erases (shrinks), or single changes.
    uint64_t cursor = 0;
    int next_key = initial, steps = 0;
    do {
      cursor = t.ScanSome(cursor, 1 + rng() % 20, [&](const TestNode& n) {
        seen.insert(n.key);
        times[n.key]++;
      });
      const int mode = static_cast<int>(rng() % 3);
      const int burst = mode == 2 ? 1 : static_cast<int>(rng() % 400);
      for (int i = 0; i < burst; i++) {
        if (mode == 0 || (mode == 2 && rng() % 2 == 0)) {
          const std::string k = "s" + std::to_string(next_key++);
          Add(&t, k);
          present.insert(k);
        } else if (!present.empty()) {
          auto it = present.begin();
          std::advance(it, rng() % present.size());
          REQUIRE(Del(&t, *it));
          always.erase(*it);
          present.erase(it);
        }
      }
    } while (cursor != 0 && ++steps < 100000);
    REQUIRE(cursor == 0);
    for (const auto& k : always) REQUIRE(seen.count(k) == 1);
    for (const auto& k : seen) REQUIRE(k.rfind("s", 0) == 0);
  }
}

TEST_CASE("scan_table: a scan without changes returns each element exactly once") {
  Table t;
  for (int i = 0; i < 5000; i++) Add(&t, "u" + std::to_string(i));
  std::map<std::string, int> times;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = t.ScanSome(cursor, 10, [&](const TestNode& n) { times[n.key]++; });
  } while (cursor != 0 && ++calls < 100000);
  CHECK(times.size() == 5000);
  for (const auto& [k, n] : times) REQUIRE(n == 1);
}

TEST_CASE("scan_table: Random is uniform") {
  // 16 elements, 16000 draws: each count ~ Binomial(16000, 1/16) = 1000 +- 31 (sd); a chi-square
  // with 15 degrees of freedom passes 60 with probability 1 - 1e-7.
  Table t;
  for (int i = 0; i < 16; i++) Add(&t, "r" + std::to_string(i));
  // Uneven chains: delete some, so the table is sparse and chains differ in length.
  for (int i = 16; i < 200; i++) Add(&t, "x" + std::to_string(i));
  for (int i = 16; i < 200; i++) Del(&t, "x" + std::to_string(i));
  REQUIRE(t.Size() == 16);
  std::map<std::string, int> counts;
  const int draws = 16000;
  for (int i = 0; i < draws; i++) counts[t.Random()->key]++;
  REQUIRE(counts.size() == 16);
  double chi2 = 0;
  for (const auto& [k, n] : counts) chi2 += (n - 1000.0) * (n - 1000.0) / 1000.0;
  CHECK(chi2 < 60);
}

TEST_CASE("scan_table: Random stays uniform over colliding chains") {
  // 12 elements: 8 share one hash (one chain of 8), 4 have their own. 12000 draws.
  Table t;
  for (int i = 0; i < 12; i++) {
    const std::string k = "c" + std::to_string(i);
    t.Insert(TestNode::Make(k, i < 8 ? 5 : 100 + i));
  }
  REQUIRE(t.Find(5, "c3") != nullptr);
  std::map<std::string, int> counts;
  for (int i = 0; i < 12000; i++) counts[t.Random()->key]++;
  REQUIRE(counts.size() == 12);
  double chi2 = 0;
  for (const auto& [k, n] : counts) chi2 += (n - 1000.0) * (n - 1000.0) / 1000.0;
  CHECK(chi2 < 50);  // 11 degrees of freedom: passes with probability 1 - 1e-6
  // SCAN still reaches the whole chain.
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = t.Scan(cursor, [&](const TestNode& n) { seen.insert(n.key); });
  } while (cursor != 0 && ++calls < 1000);
  CHECK(seen.size() == 12);
}

}  // namespace slotproxy::engine::types

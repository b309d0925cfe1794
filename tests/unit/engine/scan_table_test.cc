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

// A fixed, well-mixed hash per number (splitmix64): tests that must reach a given rehash state
// cannot depend on StableHash's per-process seed.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}
std::string Name(int i) { return "n" + std::to_string(i); }
void AddFixed(Table* t, int i) { t->Insert(TestNode::Make(Name(i), Mix(i))); }
bool DelFixed(Table* t, int i) { return t->Erase(Mix(i), Name(i)); }
bool HasFixed(const Table& t, int i) { return t.Find(Mix(i), Name(i)) != nullptr; }

// Every node ForEach visits, with how often.
std::map<std::string, int> Visits(const Table& t) {
  std::map<std::string, int> out;
  t.ForEach([&](const TestNode& n) { out[n.key]++; });
  return out;
}

// Runs the rest of a rehash in progress.
void FinishRehash(Table* t) {
  for (int i = 0; i < 1000000 && t->RehashSteps(100); i++) {
  }
  REQUIRE_FALSE(t->Rehashing());
}

// Fills `t` with elements first..first+count-1 (settled), then starts a grow to `buckets` and
// moves `steps` buckets of it: a table in the middle of a rehash.
void StartGrow(Table* t, int first, int count, size_t buckets, size_t steps) {
  for (int i = first; i < first + count; i++) AddFixed(t, i);
  FinishRehash(t);
  t->Reserve(buckets);
  t->RehashSteps(steps);
  REQUIRE(t->Rehashing());
}

double ChiSquare(const std::map<std::string, int>& counts, double expected) {
  double chi2 = 0;
  for (const auto& [k, n] : counts) chi2 += (n - expected) * (n - expected) / expected;
  return chi2;
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
    // The bound holds once a shrink's rehash is over (it starts at 1/8 and runs a few calls).
    if (!t.Rehashing() && t.BucketCount() > Table::kMinBuckets) {
      REQUIRE(t.Size() * 8 >= t.BucketCount());
    }
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

TEST_CASE("scan_table: no single operation moves more than the bounded number of buckets") {
  Table t;
  const uint64_t max_moved = Table::kStepBuckets;
  const uint64_t max_empty = Table::kStepBuckets * Table::kEmptyVisitsPerBucket;
  // Counts the rehash work `op` does: the bound is on buckets touched, never on time.
  auto bounded = [&](auto op) {
    const RehashWork before = ScanTableRehashWork();
    op();
    const RehashWork after = ScanTableRehashWork();
    REQUIRE(after.moved - before.moved <= max_moved);
    REQUIRE(after.empty - before.empty <= max_empty);
    return after.moved - before.moved;
  };
  int grows = 0, shrinks = 0;
  uint64_t moved = 0;
  const int n = 100000;
  for (int i = 0; i < n; i++) {
    const bool was = t.Rehashing();
    const size_t buckets = t.BucketCount();
    moved += bounded([&] { AddFixed(&t, i); });
    if (!was && t.Rehashing()) {
      grows++;
      REQUIRE(t.BucketCount() == 2 * buckets);
    }
    moved += bounded([&] { REQUIRE(HasFixed(t, i / 2)); });
  }
  CHECK(grows == 15);  // 4 -> 8 -> ... -> 131072, each one incremental
  CHECK(t.BucketCount() == 131072);
  CHECK(moved > 0);
  for (int i = 0; i < n; i++) {
    const size_t buckets = t.BucketCount();
    bounded([&] { REQUIRE(DelFixed(&t, i)); });
    // A shrink may start as the previous one ends, in the same call.
    if (t.BucketCount() < buckets) shrinks++;
    if (i % 7 == 0) bounded([&] { REQUIRE_FALSE(HasFixed(t, i)); });
  }
  CHECK(shrinks >= 3);
  CHECK(t.Size() == 0);
  CHECK_FALSE(t.Rehashing());
  CHECK(t.BucketCount() == Table::kMinBuckets);

  // RehashSteps(k) keeps to its own budget and finishes the job.
  for (int i = 0; i < 40000; i++) AddFixed(&t, i);
  FinishRehash(&t);
  t.Reserve(1 << 17);  // starts a grow of a non-empty table: nothing moved yet
  REQUIRE(t.Rehashing());
  int calls = 0;
  bool more = true;
  while (more && ++calls < 100000) {
    const RehashWork before = ScanTableRehashWork();
    more = t.RehashSteps(7);
    const RehashWork after = ScanTableRehashWork();
    REQUIRE(after.moved - before.moved <= 7);
    REQUIRE(after.empty - before.empty <= 70);
  }
  CHECK_FALSE(t.Rehashing());
  CHECK(calls > 1000);
  const auto visits = Visits(t);
  CHECK(visits.size() == 40000);
  for (const auto& [k, times] : visits) REQUIRE(times == 1);
}

TEST_CASE("scan_table: SCAN across a grow and a shrink with rehashes in progress") {
  for (int round = 0; round < 20; round++) {
    std::mt19937_64 rng(round);
    Table t;
    int next = 0;
    // Stop right after a grow started, with enough elements to make the scan long.
    while (!t.Rehashing() || t.Size() < 500) AddFixed(&t, next++);
    std::set<int> present;
    for (int i = 0; i < next; i++) present.insert(i);
    std::set<int> always = present;
    std::set<std::string> seen;
    bool grow_seen = false, shrink_seen = false;
    // 0: growing (one insert per step) until the grow's rehash ends; 1: deleting fast until a
    // shrink starts; 2: one delete per step while it runs; 3: no more changes.
    int phase = 0;
    uint64_t cursor = 0;
    int steps = 0;
    do {
      cursor = t.Scan(cursor, [&](const TestNode& n) { seen.insert(n.key); });
      if (phase == 0) {
        grow_seen |= t.Rehashing();
        AddFixed(&t, next);
        present.insert(next++);
        if (!t.Rehashing()) phase = 1;
      } else if (phase <= 2) {
        for (int k = phase == 1 ? 8 : 1; k > 0 && !present.empty(); k--) {
          auto it = present.begin();
          std::advance(it, rng() % present.size());
          REQUIRE(DelFixed(&t, *it));
          always.erase(*it);
          present.erase(it);
        }
        if (phase == 1 && t.Rehashing()) phase = 2;
        if (phase == 2) {
          shrink_seen |= t.Rehashing();
          if (!t.Rehashing()) phase = 3;
        }
      }
    } while (cursor != 0 && ++steps < 1000000);
    REQUIRE(cursor == 0);
    CHECK(grow_seen);
    CHECK(shrink_seen);
    for (int k : always) REQUIRE(seen.count(Name(k)) == 1);
  }
}

TEST_CASE("scan_table: during a rehash, SCAN and ForEach return each element exactly once") {
  Table t;
  int next = 0;
  while (!t.Rehashing() || t.Size() < 1000) AddFixed(&t, next++);
  auto check_once = [&] {
    REQUIRE(t.Rehashing());
    std::map<std::string, int> times;
    uint64_t cursor = 0;
    int calls = 0;
    do {
      cursor = t.ScanSome(cursor, 10, [&](const TestNode& n) {
        times[n.key]++;
        // A Find from a callback must not move buckets under the walk.
        REQUIRE(t.Find(n.hash, n.key) == &n);
      });
    } while (cursor != 0 && ++calls < 100000);
    REQUIRE(times.size() == t.Size());
    for (const auto& [k, n] : times) REQUIRE(n == 1);
    const auto visits = Visits(t);
    REQUIRE(visits == times);
  };
  t.RehashSteps(50);  // both arrays hold nodes
  check_once();
  FinishRehash(&t);
  // Now a shrink in progress.
  int del = 0;
  while (!t.Rehashing()) REQUIRE(DelFixed(&t, del++));
  t.RehashSteps(3);
  check_once();
}

TEST_CASE("scan_table: random operations agree with std::set while rehashes run") {
  std::mt19937_64 rng(777);
  Table t;
  std::set<int> model;
  int rehashing_ops = 0;
  bool growing = true;
  size_t target = 5000;
  const int ops = 120000;
  for (int op = 0; op < ops; op++) {
    // Waves: mostly inserts up to a random size, then mostly deletes down to a small one, so
    // the table keeps growing and shrinking through many sizes.
    if (growing && model.size() >= target) {
      growing = false;
      target = rng() % 300;
    } else if (!growing && model.size() <= target) {
      growing = true;
      target = 1000 + rng() % 8000;
    }
    const int k = static_cast<int>(rng() % 20000);
    const uint64_t dice = rng() % 100;
    if (dice < (growing ? 60u : 10u)) {
      const bool fresh = model.insert(k).second;
      REQUIRE(HasFixed(t, k) == !fresh);
      if (fresh) AddFixed(&t, k);
    } else if (dice < (growing ? 70u : 80u)) {
      // Half the deletes hit a present key, so that a shrinking wave drains the table.
      const auto it = model.lower_bound(k);
      const int victim = dice % 2 == 0 && it != model.end() ? *it : k;
      REQUIRE(DelFixed(&t, victim) == (model.erase(victim) > 0));
    } else if (dice < 97) {
      REQUIRE(HasFixed(t, k) == (model.count(k) > 0));
    } else if (dice < 99) {
      if (!model.empty()) REQUIRE(model.count(std::stoi(t.Random()->key.substr(1))) == 1);
    } else {
      t.RehashSteps(1 + rng() % 4);
    }
    rehashing_ops += t.Rehashing() ? 1 : 0;
    REQUIRE(t.Size() == model.size());
    if (op % 4000 == 0) {
      const auto visits = Visits(t);
      REQUIRE(visits.size() == model.size());
      for (const auto& [key, times] : visits) REQUIRE(times == 1);
      for (int m : model) REQUIRE(visits.count(Name(m)) == 1);
      const Table copy(t);
      REQUIRE(Visits(copy) == visits);
    }
  }
  // Rehashes were in progress for a good part of the run, not only at its edges.
  CHECK(rehashing_ops > ops / 10);
}

TEST_CASE("scan_table: copy, move, swap, Replace and Clear in the middle of a rehash") {
  Table t;
  StartGrow(&t, 0, 3000, 16384, 100);
  const auto want = Visits(t);
  REQUIRE(want.size() == 3000);

  Table copy(t);
  CHECK_FALSE(copy.Rehashing());
  CHECK(copy.BucketCount() == t.BucketCount());
  CHECK(Visits(copy) == want);
  CHECK(t.Rehashing());
  for (int i = 0; i < 3000; i += 97) REQUIRE(HasFixed(copy, i));

  Table moved(std::move(copy));
  CHECK(Visits(moved) == want);
  Table other;
  StartGrow(&other, 100000, 600, 4096, 0);
  const auto other_want = Visits(other);
  t.Swap(other);
  CHECK(Visits(t) == other_want);
  CHECK(Visits(other) == want);
  t.Swap(other);

  // Replace every node while the rehash runs: the Finds move buckets, so the nodes replaced sit
  // in either array.
  for (int i = 0; i < 3000; i++) {
    TestNode* old = t.Find(Mix(i), Name(i));
    REQUIRE(old != nullptr);
    TestNode* repl = TestNode::Copy(*old);
    t.Replace(old, repl);
    REQUIRE(t.Find(Mix(i), Name(i)) == repl);
  }
  CHECK(t.Size() == 3000);
  CHECK(Visits(t) == want);

  REQUIRE(other.Rehashing());
  other.Clear();
  CHECK(other.Size() == 0);
  CHECK(other.BucketCount() == 0);
  CHECK_FALSE(other.Rehashing());
  AddFixed(&other, 1);
  CHECK(HasFixed(other, 1));
}

TEST_CASE("scan_table: Random stays uniform during a rehash") {
  SECTION("a grow") {
    Table t;
    StartGrow(&t, 0, 16, 64, 2);
    std::map<std::string, int> counts;
    for (int i = 0; i < 16000; i++) counts[t.Random()->key]++;
    REQUIRE(counts.size() == 16);
    CHECK(ChiSquare(counts, 1000) < 60);  // 15 degrees of freedom: 1 - 1e-7
  }
  SECTION("a shrink") {
    Table t;
    for (int i = 0; i < 128; i++) AddFixed(&t, i);
    FinishRehash(&t);
    REQUIRE(t.BucketCount() == 128);
    // Deleting down to 15 starts a shrink to 16 buckets with every node still in the old array.
    for (int i = 15; i < 128; i++) REQUIRE(DelFixed(&t, i));
    t.RehashSteps(2);
    REQUIRE(t.Rehashing());
    REQUIRE(t.Size() == 15);
    std::map<std::string, int> counts;
    for (int i = 0; i < 15000; i++) counts[t.Random()->key]++;
    REQUIRE(counts.size() == 15);
    CHECK(ChiSquare(counts, 1000) < 60);  // 14 degrees of freedom: 1 - 1e-7
  }
}

TEST_CASE("scan_table: the moved part of a big old array is given back in chunks") {
  // 16 MB of buckets: the moved prefix holds nulls, the rest does not.
  const size_t count = size_t{2} << 20;
  std::vector<uintptr_t> array(count, 7);
  size_t released = 0;
  const size_t moved = count / 2;
  std::fill(array.begin(), array.begin() + moved, 0);
  internal::ReleaseMovedBuckets(array.data(), count * sizeof(uintptr_t), 1000, &released);
  CHECK(released == 0);  // below a chunk: nothing yet
  internal::ReleaseMovedBuckets(array.data(), count * sizeof(uintptr_t), moved * 8, &released);
  CHECK(released > 0);
  CHECK(released <= moved * 8);
  for (size_t i = 0; i < moved; i++) REQUIRE(array[i] == 0);
  for (size_t i = moved; i < count; i++) REQUIRE(array[i] == 7);
  // A small array is left alone.
  std::vector<uintptr_t> small(1024, 0);
  size_t small_released = 0;
  internal::ReleaseMovedBuckets(small.data(), 1024 * 8, 1024 * 8, &small_released);
  CHECK(small_released == 0);
}

}  // namespace slotproxy::engine::types

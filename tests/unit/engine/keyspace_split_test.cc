// The keyspace's hash table is split into sub-tables picked by the top bits of the key hash, so
// that a growth rehashes one sub-table only. These tests load enough keys to grow every
// sub-table several times, shrink it again, and check that every operation still sees every
// key, including a randomized differential against std::map.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "engine/keyspace.h"
#include "engine/numbers.h"

namespace slotproxy::engine {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string Key(size_t i) { return "key:" + std::to_string(i); }

std::string Value(const Entry* e) {
  char buf[kInt64Chars];
  return std::string(e->StringValue(buf));
}

// Every key Scan returns from cursor 0 to the end, with duplicates kept.
std::vector<std::string> ScanAll(Keyspace& ks, int64_t now_ms) {
  std::vector<std::string> out;
  uint64_t cursor = 0;
  size_t steps = 0;
  do {
    cursor = ks.Scan(cursor, 100, "", std::nullopt, now_ms, &out);
    REQUIRE(++steps < 1'000'000);
  } while (cursor != 0);
  return out;
}

size_t SumOfSlotCounts(const Keyspace& ks) {
  size_t total = 0;
  for (uint16_t s = 0; s < kSlots; s++) total += ks.CountKeysInSlot(s);
  return total;
}

TEST_CASE("keyspace split: keys spread over every sub-table", "[keyspace][split]") {
  Keyspace ks(cluster::KeySlot);
  const KeyspaceTableStats empty = ks.TableStats();
  REQUIRE(empty.tables >= 1024);
  CHECK(empty.used == 0);
  CHECK(empty.capacity == 0);  // an unused sub-table allocates nothing
  const size_t n = empty.tables * 40;
  for (size_t i = 0; i < n; i++) ks.SetString(Key(i), "v");
  const KeyspaceTableStats full = ks.TableStats();
  CHECK(full.tables == empty.tables);
  // With ~40 keys per sub-table on average, an empty one or one holding 3x the mean would mean
  // the top hash bits are not mixed (or the keys all went to one table).
  CHECK(full.used == full.tables);
  CHECK(full.largest < 3 * n / full.tables);
  CHECK(full.capacity >= n);
  CHECK(full.capacity < 4 * n);
}

TEST_CASE("keyspace split: keys of one slot still spread over the sub-tables",
          "[keyspace][split]") {
  Keyspace ks(cluster::KeySlot);
  const size_t tables = ks.TableStats().tables;
  const size_t n = tables * 20;
  for (size_t i = 0; i < n; i++) ks.SetString("{tag}:" + std::to_string(i), std::to_string(i));
  const uint16_t slot = cluster::KeySlot("tag");
  CHECK(ks.CountKeysInSlot(slot) == n);
  CHECK(ks.Size() == n);
  const KeyspaceTableStats stats = ks.TableStats();
  CHECK(stats.used > tables * 9 / 10);
  CHECK(stats.largest < n / 4);
  CHECK(ks.KeysInSlot(slot, n + 1).size() == n);
  for (size_t i = 0; i < n; i += 97) {
    const std::string key = "{tag}:" + std::to_string(i);
    Entry* e = ks.Find(key, kNow);
    REQUIRE(e != nullptr);
    CHECK(e->int_value() == static_cast<int64_t>(i));
  }
  CHECK(ks.DeleteKeysInSlot(slot) == n);
  CHECK(ks.Size() == 0);
  CHECK(ks.TableStats().used == 0);
}

TEST_CASE("keyspace split: growth and shrink keep every key findable", "[keyspace][split]") {
  Keyspace ks(cluster::KeySlot);
  const size_t n = ks.TableStats().tables * 24;
  size_t next_check = 1;
  for (size_t i = 0; i < n; i++) {
    ks.SetString(Key(i), std::to_string(i * 3));
    if (i + 1 != next_check && i + 1 != n) continue;
    // At every power of two (most sub-tables have grown since the last one): all keys so far.
    next_check *= 2;
    REQUIRE(ks.Size() == i + 1);
    for (size_t j = 0; j <= i; j++) {
      const Entry* e = ks.Peek(Key(j));
      REQUIRE(e != nullptr);
      REQUIRE(e->int_value() == static_cast<int64_t>(j * 3));
    }
  }
  CHECK(SumOfSlotCounts(ks) == n);

  SECTION("mass delete, then refill") {
    for (size_t i = 0; i < n; i++) {
      if (i % 4 != 0) REQUIRE(ks.Delete(Key(i), kNow));
    }
    CHECK(ks.Size() == n / 4);
    CHECK(SumOfSlotCounts(ks) == n / 4);
    for (size_t i = 0; i < n; i++) {
      INFO(i);
      REQUIRE((ks.Find(Key(i), kNow) != nullptr) == (i % 4 == 0));
    }
    CHECK(ks.KeysMatching("*", kNow).size() == n / 4);
    // Refilling reuses the freed (tombstoned) table slots; everything is still found.
    for (size_t i = 0; i < n; i++) {
      if (i % 4 != 0) ks.SetString(Key(i), "again");
    }
    CHECK(ks.Size() == n);
    for (size_t i = 0; i < n; i++) {
      const Entry* e = ks.Find(Key(i), kNow);
      REQUIRE(e != nullptr);
      if (i % 4 != 0) REQUIRE(Value(e) == "again");
    }
  }
  SECTION("delete everything one by one") {
    for (size_t i = n; i-- > 0;) REQUIRE(ks.Delete(Key(i), kNow));
    CHECK(ks.Size() == 0);
    CHECK(ks.TableStats().used == 0);
    CHECK(SumOfSlotCounts(ks) == 0);
    CHECK_FALSE(ks.RandomKey(kNow).has_value());
    CHECK(ScanAll(ks, kNow).empty());
  }
  SECTION("flush gives the tables back and the keyspace is usable again") {
    ks.Flush();
    CHECK(ks.Size() == 0);
    const KeyspaceTableStats stats = ks.TableStats();
    CHECK(stats.used == 0);
    CHECK(stats.capacity == 0);
    CHECK(SumOfSlotCounts(ks) == 0);
    for (size_t i = 0; i < n; i += 101) CHECK(ks.Find(Key(i), kNow) == nullptr);
    for (size_t i = 0; i < 1000; i++) ks.SetString(Key(i), "x");
    CHECK(ks.Size() == 1000);
    for (size_t i = 0; i < 1000; i++) CHECK(ks.Find(Key(i), kNow) != nullptr);
  }
}

TEST_CASE("keyspace split: scan, random key, rename, copy and expiry over many keys",
          "[keyspace][split]") {
  Keyspace ks(cluster::KeySlot);
  const size_t n = 20000;
  for (size_t i = 0; i < n; i++) ks.SetString(Key(i), "v" + std::to_string(i));

  std::vector<std::string> scanned = ScanAll(ks, kNow);
  std::sort(scanned.begin(), scanned.end());
  CHECK(std::adjacent_find(scanned.begin(), scanned.end()) == scanned.end());
  CHECK(scanned.size() == n);

  std::set<std::string> random;
  for (int i = 0; i < 2000; i++) {
    auto k = ks.RandomKey(kNow);
    REQUIRE(k.has_value());
    REQUIRE(ks.Peek(*k) != nullptr);
    random.insert(*k);
  }
  CHECK(random.size() > 1000);

  // Rename every other key to a new name (moving it to another sub-table), copy the rest.
  for (size_t i = 0; i < n; i += 2) {
    REQUIRE(ks.Rename(Key(i), "renamed:" + std::to_string(i), false, kNow) == RenameResult::kOk);
  }
  for (size_t i = 1; i < n; i += 2) {
    REQUIRE(ks.Copy(Key(i), "copy:" + std::to_string(i), false, kNow) == CopyResult::kOk);
  }
  CHECK(ks.Size() == n + n / 2);  // the renamed keys, the originals of the copies, the copies
  for (size_t i = 0; i < n; i++) {
    const std::string v = "v" + std::to_string(i);
    if (i % 2 == 0) {
      REQUIRE(ks.Find(Key(i), kNow) == nullptr);
      REQUIRE(Value(ks.Find("renamed:" + std::to_string(i), kNow)) == v);
    } else {
      REQUIRE(Value(ks.Find(Key(i), kNow)) == v);
      REQUIRE(Value(ks.Find("copy:" + std::to_string(i), kNow)) == v);
    }
  }
  CHECK(ks.KeysMatching("renamed:*", kNow).size() == n / 2);
  CHECK(SumOfSlotCounts(ks) == n + n / 2);

  // A TTL on every copy; half pass before the other half.
  for (size_t i = 1; i < n; i += 2) {
    Entry* e = ks.Find("copy:" + std::to_string(i), kNow);
    ks.SetExpire(e, kNow + (i % 4 == 1 ? 10 : 1000));
  }
  CHECK(ks.ExpiresCount() == n / 2);
  size_t expired_seen = 0;
  ks.SetExpireCallback([&](std::string_view) { expired_seen++; });
  const int64_t later = kNow + 100;
  // The active cycle removes some, lazy expiry the rest as they are looked up.
  while (ks.ActiveExpireCycle(later, 200).expired > 0) {
  }
  for (size_t i = 1; i < n; i += 2) {
    const bool live = i % 4 == 3;
    REQUIRE((ks.Find("copy:" + std::to_string(i), later) != nullptr) == live);
  }
  CHECK(expired_seen == n / 4);
  const size_t left = n + n / 2 - n / 4;
  CHECK(ks.Size() == left);
  CHECK(ks.ExpiresCount() == n / 4);
  CHECK(SumOfSlotCounts(ks) == left);
  CHECK(ScanAll(ks, later).size() == left);
}

TEST_CASE("keyspace split: prefetch of a long pipeline is only a hint", "[keyspace][split]") {
  Keyspace ks(cluster::KeySlot);
  for (size_t i = 0; i < 5000; i++) ks.SetString(Key(i), "v");
  std::vector<std::string> names;
  for (size_t i = 0; i < 100; i++) names.push_back(Key(i * 77));  // some beyond 5000: absent
  std::vector<std::string_view> views(names.begin(), names.end());
  ks.Prefetch(views);
  CHECK(ks.Size() == 5000);
  for (size_t i = 0; i < 100; i++) CHECK((ks.Peek(names[i]) != nullptr) == (i * 77 < 5000));
}

// A model of the keyspace: every key present (live or expired but not yet removed), its value
// and expire time. The expire callback tells it which keys expiry removed.
struct ModelEntry {
  std::string value;
  int64_t when = -1;
};

void CheckAgainstModel(Keyspace& ks, const std::map<std::string, ModelEntry>& model) {
  REQUIRE(ks.Size() == model.size());
  std::vector<size_t> per_slot(kSlots, 0);
  size_t ttls = 0;
  for (const auto& [k, m] : model) {
    INFO(k);
    const Entry* e = ks.Peek(k);
    REQUIRE(e != nullptr);
    REQUIRE(Value(e) == m.value);
    REQUIRE(ks.GetExpire(e) == m.when);
    per_slot[cluster::KeySlot(k)]++;
    ttls += m.when >= 0 ? 1 : 0;
  }
  CHECK(ks.ExpiresCount() == ttls);
  for (uint16_t s = 0; s < kSlots; s++) REQUIRE(ks.CountKeysInSlot(s) == per_slot[s]);
}

TEST_CASE("keyspace split: random operations agree with std::map", "[keyspace][split]") {
  Keyspace ks(cluster::KeySlot);
  std::map<std::string, ModelEntry> model;
  ks.SetExpireCallback([&](std::string_view key) {
    const auto it = model.find(std::string(key));
    REQUIRE(it != model.end());
    model.erase(it);
  });
  std::mt19937_64 rng(20261121);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  int64_t now = kNow;
  auto live = [&](const std::string& k) {
    auto it = model.find(k);
    return it != model.end() && (it->second.when < 0 || now <= it->second.when);
  };
  const size_t kOps = 300000;
  const size_t kUniverse = 60000;  // ~15 keys per sub-table: each grows several times
  for (size_t op = 0; op < kOps; op++) {
    // Phases: mostly inserts (growth), then mostly deletes (shrink), then an even mix.
    const size_t phase = op * 3 / kOps;
    const std::string key = "k" + std::to_string(pick(kUniverse));
    const size_t what = pick(100);
    if ((phase == 0 && what < 60) || (phase == 2 && what < 45) || (phase == 1 && what < 10)) {
      const bool integer = pick(2) == 0;
      const std::string v = integer ? std::to_string(pick(1000)) : "val" + std::to_string(op);
      ks.SetString(key, v);
      model[key] = ModelEntry{v, -1};
    } else if (what < 75 || (phase == 1 && what < 85)) {
      const bool was_live = live(key);
      REQUIRE(ks.Delete(key, now) == was_live);
      model.erase(key);
    } else if (what < 80) {
      Entry* e = ks.Find(key, now);
      REQUIRE((e != nullptr) == live(key));
      if (e != nullptr) {
        const int64_t when = now + static_cast<int64_t>(pick(50));
        ks.SetExpire(e, when);
        model[key].when = when;
      }
    } else if (what < 83) {
      Entry* e = ks.Find(key, now);
      REQUIRE((e != nullptr) == live(key));
      if (e != nullptr) {
        CHECK(ks.Persist(e) == (model[key].when >= 0));
        model[key].when = -1;
      }
    } else if (what < 87) {
      const std::string dst = "k" + std::to_string(pick(kUniverse));
      const bool nx = pick(2) == 0;
      RenameResult expect = RenameResult::kOk;
      if (!live(key)) {
        expect = RenameResult::kNoSuchKey;
      } else if (key != dst && nx && live(dst)) {
        expect = RenameResult::kTargetExists;
      }
      REQUIRE(ks.Rename(key, dst, nx, now) == expect);
      if (expect == RenameResult::kOk && key != dst) {
        ModelEntry moved = model[key];
        model.erase(key);
        model[dst] = moved;
      }
    } else if (what < 91) {
      const std::string dst = "k" + std::to_string(pick(kUniverse));
      const bool replace = pick(2) == 0;
      CopyResult expect = CopyResult::kOk;
      if (key == dst) {
        expect = CopyResult::kSameKey;
      } else if (!live(key)) {
        expect = CopyResult::kNoSuchKey;
      } else if (live(dst) && !replace) {
        expect = CopyResult::kTargetExists;
      }
      REQUIRE(ks.Copy(key, dst, replace, now) == expect);
      if (expect == CopyResult::kOk) model[dst] = model[key];
    } else if (what < 96) {
      const Entry* e = ks.FindForRead(key, now);
      REQUIRE((e != nullptr) == live(key));
      if (e != nullptr) REQUIRE(Value(e) == model[key].value);
    } else if (what < 98) {
      now += static_cast<int64_t>(pick(10));
      if (pick(4) == 0) ks.ActiveExpireCycle(now, 100);
    } else if (what < 99 || pick(10) != 0) {
      const auto k = ks.RandomKey(now);
      // Evaluated after the call: the expired keys it met are out of the model by then.
      REQUIRE(k.has_value() == !model.empty());
      if (k.has_value()) REQUIRE(live(*k));
    } else if (pick(100) == 0) {
      ks.Flush();
      model.clear();
    } else {
      const uint16_t slot = cluster::KeySlot(key);
      size_t in_slot = 0;
      for (auto it = model.begin(); it != model.end();) {
        if (cluster::KeySlot(it->first) == slot) {
          it = model.erase(it);
          in_slot++;
        } else {
          ++it;
        }
      }
      REQUIRE(ks.DeleteKeysInSlot(slot) == in_slot);
    }
    REQUIRE(ks.Size() == model.size());
    if (op % 25000 == 0 || op + 1 == kOps) CheckAgainstModel(ks, model);
  }
  // A final full scan sees exactly the live keys (and removes the expired ones it meets).
  std::vector<std::string> scanned = ScanAll(ks, now);
  std::sort(scanned.begin(), scanned.end());
  std::vector<std::string> expect;
  for (const auto& [k, m] : model) expect.push_back(k);
  CHECK(scanned == expect);
  CheckAgainstModel(ks, model);
}

}  // namespace
}  // namespace slotproxy::engine

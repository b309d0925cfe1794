#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "cluster/crc16.h"
#include "engine/keyspace.h"
#include "engine/numbers.h"
#include "engine/types/list_value.h"

namespace slotproxy::engine {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string Get(Keyspace& ks, std::string_view key) {
  Entry* e = ks.Find(key, kNow);
  REQUIRE(e != nullptr);
  REQUIRE(e->type() == ObjType::kString);
  char buf[kInt64Chars];
  return std::string(e->StringValue(buf));
}

TEST_CASE("keyspace: set, find, encodings", "[keyspace]") {
  Keyspace ks(cluster::KeySlot);
  CHECK(ks.Find("a", kNow) == nullptr);
  ks.SetString("a", "hello");
  CHECK(Get(ks, "a") == "hello");
  CHECK(Keyspace::ObjectEncoding(ks.Find("a", kNow)) == "embstr");
  // Redis 7.0 answers (checked against redis-server): int for canonical int64s, embstr up to
  // 44 bytes, raw above.
  ks.SetString("a", "12");
  CHECK(Keyspace::ObjectEncoding(ks.Find("a", kNow)) == "int");
  CHECK(ks.Find("a", kNow)->int_value() == 12);
  CHECK(Get(ks, "a") == "12");
  for (const char* s : {"-0", "007", "+1", " 1", "1.0", "", "9223372036854775808"}) {
    ks.SetString("a", s);
    INFO(s);
    CHECK(Keyspace::ObjectEncoding(ks.Find("a", kNow)) == "embstr");
    CHECK(Get(ks, "a") == s);
  }
  ks.SetString("a", std::string(44, 'x'));
  CHECK(Keyspace::ObjectEncoding(ks.Find("a", kNow)) == "embstr");
  ks.SetString("a", std::string(45, 'x'));
  CHECK(Keyspace::ObjectEncoding(ks.Find("a", kNow)) == "raw");
  CHECK(Get(ks, "a") == std::string(45, 'x'));
  ks.SetString("a", std::string(46, 'y'));  // raw overwritten in place
  CHECK(Get(ks, "a") == std::string(46, 'y'));
  CHECK(ks.Find("a", kNow)->StringLength() == 46);
  ks.SetString("a", "-9223372036854775808");
  CHECK(ks.Find("a", kNow)->StringLength() == 20);
  CHECK(ks.Size() == 1);
}

TEST_CASE("keyspace: binary keys and values", "[keyspace]") {
  Keyspace ks(cluster::KeySlot);
  const std::string key("k\0ey", 4);
  const std::string value("v\0\xff", 3);
  ks.SetString(key, value);
  CHECK(ks.Find(std::string_view("k", 1), kNow) == nullptr);
  CHECK(Get(ks, key) == value);
  ks.SetString("", "empty key");
  CHECK(Get(ks, "") == "empty key");
  CHECK(ks.Size() == 2);
}

TEST_CASE("keyspace: delete and flush", "[keyspace]") {
  Keyspace ks(cluster::KeySlot);
  for (int i = 0; i < 1000; i++) ks.SetString("key:" + std::to_string(i), std::to_string(i * 7));
  CHECK(ks.Size() == 1000);
  CHECK(ks.Delete("key:5", kNow));
  CHECK_FALSE(ks.Delete("key:5", kNow));
  CHECK_FALSE(ks.Exists("key:5", kNow));
  CHECK(ks.Exists("key:6", kNow));
  CHECK(ks.Size() == 999);
  size_t total = 0;
  for (uint16_t s = 0; s < kSlots; s++) total += ks.CountKeysInSlot(s);
  CHECK(total == 999);
  ks.Flush();
  CHECK(ks.Size() == 0);
  CHECK(ks.CountKeysInSlot(cluster::KeySlot("key:6")) == 0);
  ks.SetString("again", "1");
  CHECK(ks.Size() == 1);
}

TEST_CASE("keyspace: per-slot index", "[keyspace][slots]") {
  Keyspace ks(cluster::KeySlot);
  // Hash tags put these in one slot.
  for (int i = 0; i < 50; i++) ks.SetString("{user1}:" + std::to_string(i), "v");
  for (int i = 0; i < 30; i++) ks.SetString("{user2}:" + std::to_string(i), "v");
  const uint16_t s1 = cluster::KeySlot("user1");
  const uint16_t s2 = cluster::KeySlot("user2");
  REQUIRE(s1 != s2);
  CHECK(ks.CountKeysInSlot(s1) == 50);
  CHECK(ks.CountKeysInSlot(s2) == 30);
  auto keys = ks.KeysInSlot(s1, 10);
  CHECK(keys.size() == 10);
  for (const auto& k : keys) CHECK(cluster::KeySlot(k) == s1);
  std::set<std::string> all;
  for (const auto& k : ks.KeysInSlot(s2, 1000)) all.insert(k);
  CHECK(all.size() == 30);
  // Overwrites (which may reallocate the entry) keep the index consistent.
  ks.SetString("{user1}:3", std::string(100, 'z'));
  ks.SetString("{user1}:4", "12345");
  ks.SetString("{user1}:5", "shorter");
  CHECK(ks.CountKeysInSlot(s1) == 50);
  CHECK(ks.KeysInSlot(s1, 1000).size() == 50);
  ks.Delete("{user1}:7", kNow);
  CHECK(ks.CountKeysInSlot(s1) == 49);
  CHECK(ks.DeleteKeysInSlot(s1) == 49);
  CHECK(ks.CountKeysInSlot(s1) == 0);
  CHECK(ks.KeysInSlot(s1, 10).empty());
  CHECK(ks.Size() == 30);
  CHECK(ks.Find("{user2}:29", kNow)->slot() == s2);
}

TEST_CASE("keyspace: rename", "[keyspace]") {
  Keyspace ks(cluster::KeySlot);
  ks.SetString("src", "value");
  ks.SetExpire(ks.Find("src", kNow), kNow + 5000);
  CHECK(ks.Rename("src", "dst", false, kNow) == RenameResult::kOk);
  CHECK(ks.Find("src", kNow) == nullptr);
  CHECK(Get(ks, "dst") == "value");
  CHECK(ks.GetExpire(ks.Find("dst", kNow)) == kNow + 5000);
  CHECK(ks.ExpiresCount() == 1);
  CHECK(ks.CountKeysInSlot(cluster::KeySlot("dst")) == 1);
  CHECK(ks.CountKeysInSlot(cluster::KeySlot("src")) == 0);
  CHECK(ks.Rename("nokey", "x", false, kNow) == RenameResult::kNoSuchKey);
  ks.SetString("other", "12");
  CHECK(ks.Rename("dst", "other", true, kNow) == RenameResult::kTargetExists);
  CHECK(Get(ks, "other") == "12");
  CHECK(ks.Rename("other", "dst", false, kNow) == RenameResult::kOk);  // replaces dst
  CHECK(Get(ks, "dst") == "12");
  CHECK(Keyspace::ObjectEncoding(ks.Find("dst", kNow)) == "int");
  CHECK(ks.GetExpire(ks.Find("dst", kNow)) == -1);  // the TTL follows the source
  CHECK(ks.ExpiresCount() == 0);
  CHECK(ks.Size() == 1);
  CHECK(ks.Rename("dst", "dst", true, kNow) == RenameResult::kOk);
  ks.SetString("long", std::string(60, 'l'));
  CHECK(ks.Rename("long", "long2", false, kNow) == RenameResult::kOk);
  CHECK(Get(ks, "long2") == std::string(60, 'l'));
}

TEST_CASE("keyspace: copy", "[keyspace]") {
  Keyspace ks(cluster::KeySlot);
  ks.SetString("a", std::string(60, 'a'));
  ks.SetExpire(ks.Find("a", kNow), kNow + 100);
  CHECK(ks.Copy("a", "a", false, kNow) == CopyResult::kSameKey);
  CHECK(ks.Copy("none", "b", false, kNow) == CopyResult::kNoSuchKey);
  CHECK(ks.Copy("a", "b", false, kNow) == CopyResult::kOk);
  CHECK(Get(ks, "b") == std::string(60, 'a'));
  CHECK(ks.GetExpire(ks.Find("b", kNow)) == kNow + 100);
  // A deep copy: changing the source leaves the copy alone.
  CHECK(ks.Append("a", "!", kNow).ok());
  CHECK(Get(ks, "b") == std::string(60, 'a'));
  ks.SetString("c", "7");
  CHECK(ks.Copy("c", "b", false, kNow) == CopyResult::kTargetExists);
  CHECK(ks.Copy("c", "b", true, kNow) == CopyResult::kOk);
  CHECK(Get(ks, "b") == "7");
  CHECK(ks.GetExpire(ks.Find("b", kNow)) == -1);
  CHECK(ks.ExpiresCount() == 1);
  CHECK(ks.Size() == 3);
}

TEST_CASE("keyspace: keys matching and random key", "[keyspace]") {
  Keyspace ks(cluster::KeySlot);
  CHECK_FALSE(ks.RandomKey(kNow).has_value());
  for (const char* k : {"foo_a", "foo_b", "foo_c", "key_x", "key_y", "key_z"}) ks.SetString(k, "1");
  auto foo = ks.KeysMatching("foo*", kNow);
  std::sort(foo.begin(), foo.end());
  CHECK(foo == std::vector<std::string>{"foo_a", "foo_b", "foo_c"});
  CHECK(ks.KeysMatching("*", kNow).size() == 6);
  CHECK(ks.KeysMatching("key_[xy]", kNow).size() == 2);
  ks.SetString("", "empty");
  CHECK(ks.KeysMatching("*", kNow).size() == 7);  // "*" returns the empty key as Redis does
  CHECK(ks.KeysMatching("?*", kNow).size() == 6);
  std::set<std::string> seen;
  for (int i = 0; i < 500; i++) {
    auto k = ks.RandomKey(kNow);
    REQUIRE(k.has_value());
    REQUIRE(ks.Find(*k, kNow) != nullptr);
    seen.insert(*k);
  }
  CHECK(seen.size() == 7);
}

TEST_CASE("keyspace: type names", "[keyspace]") {
  CHECK(TypeName(ObjType::kZSet) == "zset");
  CHECK(ParseTypeName("STRING") == ObjType::kString);
  CHECK(ParseTypeName("Hash") == ObjType::kHash);
  CHECK_FALSE(ParseTypeName("nosuch").has_value());
}

// The write paths probe the table once (find-or-create, replace in the found slot): a random
// mix of writes over few keys (so most hit existing entries of every layout), checked after
// each step against a plain map, including the per-slot index and the TTL bookkeeping.
TEST_CASE("keyspace: random overwrites agree with a model", "[keyspace]") {
  Keyspace ks(cluster::KeySlot);
  struct Model {
    std::string value;  // "<list>" for a list
    bool ttl = false;
  };
  std::map<std::string, Model> model;
  std::mt19937 rng(42);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::string values[] = {
      "1",  "-7", "x", "yy", std::string(44, 'e'), std::string(45, 'r'), std::string(90, 'R'),
      "007"};
  for (int step = 0; step < 20000; step++) {
    const std::string key = "k" + std::to_string(pick(step < 10000 ? 40 : 4000));
    const bool keep_ttl = pick(2) == 0;
    switch (pick(6)) {
      case 0:
      case 1: {
        const std::string& v = values[pick(8)];
        if (keep_ttl) ks.Find(key, kNow);
        ks.SetString(key, v, keep_ttl);
        Model& m = model[key];
        m.ttl = keep_ttl && m.ttl;
        m.value = v;
        break;
      }
      case 2: {
        const int64_t v = pick(1000) - 500;
        ks.SetInteger(key, v, keep_ttl);
        Model& m = model[key];
        m.ttl = keep_ttl && m.ttl;
        m.value = std::to_string(v);
        break;
      }
      case 3: {
        auto it = model.find(key);
        if (it != model.end() && it->second.value == "<list>") break;
        int64_t old = 0;
        if (it != model.end() && !ParseInt64(it->second.value, &old)) {
          CHECK_FALSE(ks.IncrBy(key, 1, kNow).ok());
          break;
        }
        auto r = ks.IncrBy(key, 3, kNow);
        REQUIRE(r.ok());
        CHECK(r.value() == old + 3);
        model[key].value = std::to_string(old + 3);  // the TTL is kept
        break;
      }
      case 4: {
        Entry* e = ks.Find(key, kNow);
        if (e == nullptr) {
          auto list = std::make_unique<ListValue>();
          list->PushBack("a");
          ks.Store(key, std::move(list), keep_ttl);
          model[key] = Model{"<list>", false};
        } else {
          ks.SetExpire(e, kNow + 100000);
          model[key].ttl = true;
        }
        break;
      }
      default:
        CHECK(ks.Delete(key, kNow) == (model.erase(key) == 1));
    }
    if (step % 997 != 0 && step != 19999) continue;
    REQUIRE(ks.Size() == model.size());
    size_t ttls = 0;
    for (const auto& [k, m] : model) {
      INFO(k);
      Entry* e = ks.Find(k, kNow);
      REQUIRE(e != nullptr);
      CHECK(e->key() == k);
      CHECK(e->slot() == cluster::KeySlot(k));
      CHECK(e->has_expire() == m.ttl);
      ttls += m.ttl ? 1 : 0;
      if (m.value == "<list>") {
        CHECK(e->type() == ObjType::kList);
      } else {
        CHECK(Get(ks, k) == m.value);
      }
    }
    CHECK(ks.ExpiresCount() == ttls);
    size_t in_slots = 0;
    for (uint16_t s = 0; s < kSlots; s++) {
      const size_t n = ks.CountKeysInSlot(s);
      in_slots += n;
      if (n > 0) CHECK(ks.KeysInSlot(s, 100000).size() == n);
    }
    CHECK(in_slots == model.size());
  }
}

TEST_CASE("keyspace: prefetch is only a hint", "[keyspace]") {
  Keyspace ks(cluster::KeySlot);
  const std::string_view none[] = {"a", "b"};
  ks.Prefetch(none);  // an empty table
  ks.Prefetch({});
  for (int i = 0; i < 1000; ++i) ks.SetString("k" + std::to_string(i), std::to_string(i));
  const std::string_view keys[] = {"k1", "k999", "missing", "k1", ""};
  ks.Prefetch(keys);
  CHECK(ks.Size() == 1000);
  CHECK(Get(ks, "k1") == "1");
  CHECK(Get(ks, "k999") == "999");
  CHECK(ks.Find("missing", kNow) == nullptr);
  CHECK(ks.stats().hits == 0);  // not a read: no keyspace hits or misses counted
}

}  // namespace
}  // namespace slotproxy::engine

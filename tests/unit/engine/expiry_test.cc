#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "engine/keyspace.h"

namespace slotproxy::engine {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

TEST_CASE("expiry: lazy on access, strictly after the expire time", "[expiry]") {
  Keyspace ks(cluster::KeySlot);
  std::vector<std::string> expired;
  ks.SetExpireCallback([&](std::string_view k) { expired.emplace_back(k); });
  ks.SetString("k", "v");
  Entry* e = ks.Find("k", kNow);
  ks.SetExpire(e, kNow + 100);
  CHECK(ks.GetExpire(ks.Find("k", kNow)) == kNow + 100);
  CHECK(ks.ExpiresCount() == 1);
  CHECK(ks.Find("k", kNow + 100) != nullptr);  // Redis: expired only when now > when
  CHECK(expired.empty());
  CHECK(ks.Size() == 1);
  CHECK(ks.Peek("k") != nullptr);
  CHECK(ks.Find("k", kNow + 101) == nullptr);
  CHECK(expired == std::vector<std::string>{"k"});
  CHECK(ks.stats().expired_keys == 1);
  CHECK(ks.FindForRead("k", kNow) == nullptr);
  ks.SetString("k", "again");
  CHECK(ks.FindForRead("k", kNow) != nullptr);
  CHECK(ks.stats().hits == 1);
  CHECK(ks.stats().misses == 1);
  ks.ResetStats();
  CHECK(ks.stats().expired_keys == 0);
  ks.Delete("k", kNow);
  CHECK(ks.Size() == 0);
  CHECK(ks.ExpiresCount() == 0);
  CHECK(ks.CountKeysInSlot(cluster::KeySlot("k")) == 0);
}

TEST_CASE("expiry: persist, overwrite and keep-ttl", "[expiry]") {
  Keyspace ks(cluster::KeySlot);
  ks.SetString("k", "v");
  CHECK_FALSE(ks.Persist(ks.Find("k", kNow)));
  ks.SetExpire(ks.Find("k", kNow), kNow + 10);
  ks.SetExpire(ks.Find("k", kNow), kNow + 20);  // update in place
  CHECK(ks.ExpiresCount() == 1);
  CHECK(ks.GetExpire(ks.Find("k", kNow)) == kNow + 20);
  CHECK(ks.Persist(ks.Find("k", kNow)));
  CHECK(ks.GetExpire(ks.Find("k", kNow)) == -1);
  CHECK(ks.ExpiresCount() == 0);
  CHECK(ks.Find("k", kNow + 1000) != nullptr);

  // SET keeps the TTL only with keep_ttl, whichever encoding change happens.
  const char* values[] = {"1",
                          "2",
                          "short",
                          "other",
                          "a much longer value that is stored raw!!!!!",
                          "a much longer value that is stored raw?????",
                          "x",
                          "99"};
  for (const char* v : values) {
    ks.SetExpire(ks.Find("k", kNow), kNow + 50);
    ks.SetString("k", v, /*keep_ttl=*/true);
    INFO(v);
    CHECK(ks.GetExpire(ks.Find("k", kNow)) == kNow + 50);
    ks.SetString("k", v, /*keep_ttl=*/false);
    CHECK(ks.GetExpire(ks.Find("k", kNow)) == -1);
    CHECK(ks.ExpiresCount() == 0);
  }
  // Arithmetic keeps the TTL like Redis.
  ks.SetString("n", "5");
  ks.SetExpire(ks.Find("n", kNow), kNow + 50);
  CHECK(ks.IncrBy("n", 1, kNow).value() == 6);
  CHECK(ks.GetExpire(ks.Find("n", kNow)) == kNow + 50);
  CHECK(ks.Append("n", "0", kNow).value() == 2);
  CHECK(ks.GetExpire(ks.Find("n", kNow)) == kNow + 50);
  CHECK(ks.IncrByFloat("n", 0.5L, kNow).value() == "60.5");
  CHECK(ks.GetExpire(ks.Find("n", kNow)) == kNow + 50);
}

TEST_CASE("expiry: expired keys are invisible to every read path", "[expiry]") {
  Keyspace ks(cluster::KeySlot);
  for (int i = 0; i < 100; i++) {
    const std::string k = "k" + std::to_string(i);
    ks.SetString(k, "v");
    if (i % 2 == 0) ks.SetExpire(ks.Find(k, kNow), kNow + 10);
  }
  const int64_t later = kNow + 11;
  CHECK(ks.Size() == 100);  // DBSIZE counts keys not yet reclaimed, as Redis does
  CHECK(ks.KeysMatching("*", later).size() == 50);
  CHECK_FALSE(ks.Exists("k0", later));
  CHECK_FALSE(ks.Delete("k2", later));  // expired: removed, but not counted as deleted
  CHECK(ks.Delete("k1", later));
  for (int i = 0; i < 200; i++) {
    auto k = ks.RandomKey(later);
    REQUIRE(k.has_value());
    CHECK(ks.Find(*k, later) != nullptr);
  }
  std::vector<std::string> out;
  uint64_t cursor = 0;
  do {
    cursor = ks.Scan(cursor, 7, "", std::nullopt, later, &out);
  } while (cursor != 0);
  CHECK(out.size() == 49);
  CHECK(ks.Size() == 49);  // the scan reclaimed every expired key it met
  CHECK(ks.ExpiresCount() == 0);
}

TEST_CASE("expiry: active cycle is bounded and reclaims expired keys", "[expiry]") {
  Keyspace ks(cluster::KeySlot);
  size_t callbacks = 0;
  ks.SetExpireCallback([&](std::string_view) { callbacks++; });
  for (int i = 0; i < 3000; i++) {
    const std::string k = "key:" + std::to_string(i);
    ks.SetString(k, "v");
    if (i % 3 == 0) ks.SetExpire(ks.Find(k, kNow), kNow + 10);         // will expire
    if (i % 3 == 1) ks.SetExpire(ks.Find(k, kNow), kNow + 1'000'000);  // far future
  }
  REQUIRE(ks.ExpiresCount() == 2000);

  // Nothing expired yet: one sample of 20 and stop.
  ExpireCycleStats s = ks.ActiveExpireCycle(kNow, 1000);
  CHECK(s.sampled == 20);
  CHECK(s.expired == 0);

  const int64_t later = kNow + 11;
  size_t total_expired = 0;
  int calls = 0;
  // The cycle stops early once a sample is mostly live, so it may leave a tail behind.
  while (calls < 1000) {
    s = ks.ActiveExpireCycle(later, 50);
    CHECK(s.sampled <= 50);
    CHECK(s.expired <= s.sampled);
    total_expired += s.expired;
    calls++;
    if (s.expired == 0) break;
  }
  CHECK(total_expired == callbacks);
  CHECK(ks.stats().expired_keys == total_expired);
  CHECK(total_expired > 500);
  CHECK(ks.Size() == 3000 - total_expired);
  CHECK(ks.ExpiresCount() == 2000 - total_expired);
  // Whatever the cycle left is still expired and goes on access.
  size_t left = 0;
  for (int i = 0; i < 3000; i += 3) left += ks.Peek("key:" + std::to_string(i)) != nullptr;
  CHECK(left == 1000 - total_expired);
  for (int i = 0; i < 3000; i += 3) CHECK(ks.Find("key:" + std::to_string(i), later) == nullptr);
  CHECK(ks.ExpiresCount() == 1000);
  for (int i = 1; i < 3000; i += 3) {
    CHECK(ks.GetExpire(ks.Find("key:" + std::to_string(i), later)) == kNow + 1'000'000);
  }
}

TEST_CASE("expiry: volatile bookkeeping survives random deletes", "[expiry]") {
  Keyspace ks(cluster::KeySlot);
  for (int i = 0; i < 500; i++) {
    const std::string k = "v" + std::to_string(i);
    ks.SetString(k, "x");
    ks.SetExpire(ks.Find(k, kNow), kNow + i);
  }
  for (int i = 0; i < 500; i += 7) ks.Delete("v" + std::to_string(i), kNow);
  for (int i = 0; i < 500; i += 5) {
    if (Entry* e = ks.Find("v" + std::to_string(i), kNow)) ks.Persist(e);
  }
  for (int i = 0; i < 500; i++) {
    const Entry* e = ks.Peek("v" + std::to_string(i));
    if (i % 7 == 0) {
      CHECK(e == nullptr);
    } else if (i % 5 == 0) {
      CHECK(ks.GetExpire(e) == -1);
    } else {
      CHECK(ks.GetExpire(e) == kNow + i);
    }
  }
}

}  // namespace
}  // namespace slotproxy::engine

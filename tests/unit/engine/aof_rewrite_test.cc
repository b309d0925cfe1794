#include "engine/aof/aof_rewrite.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "engine/aof/aof_file.h"
#include "engine/aof/aof_format.h"
#include "engine/types/hash_value.h"
#include "engine/types/list_value.h"
#include "engine/types/set_value.h"
#include "engine/types/zset_value.h"

namespace slotproxy::engine::aof {
namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;

constexpr int64_t kStart = 1'700'000'000'000;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/aofrw-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string File(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

// Four slots only, so the scan often stops inside a slot (the cursor's low half matters).
uint16_t FewSlots(std::string_view key) {
  return static_cast<uint16_t>(std::hash<std::string_view>{}(key) % 4);
}

// ---- a tiny test-only interpreter: the "shard" applies with it, the loader replays with it ----

Status WrongType() { return Status::Error("WRONGTYPE"); }

template <class T>
Result<T*> Container(Keyspace& ks, std::string_view key, int64_t now) {
  Entry* e = ks.Find(key, now);
  if (e == nullptr) return ks.Add(key, std::make_unique<T>())->template As<T>();
  if (T* v = e->As<T>()) return v;
  return WrongType();
}

Status ApplyRpoplpush(Keyspace& ks, std::string_view src, std::string_view dst, int64_t now) {
  Entry* s = ks.Find(src, now);
  if (s == nullptr) return Status::Error("no such key");
  if (s->list() == nullptr) return WrongType();
  Entry* d = ks.Find(dst, now);
  if (d != nullptr && d->list() == nullptr) return WrongType();
  std::string v = *ks.Find(src, now)->list()->PopBack();
  if (ks.Find(src, now)->list()->Size() == 0) ks.Delete(src, now);
  Result<ListValue*> l = Container<ListValue>(ks, dst, now);
  l.value()->PushFront(v);
  return Status();
}

Status Apply(Keyspace& ks, const std::vector<std::string_view>& a, int64_t now) {
  const std::string_view cmd = a[0];
  const std::span<const std::string_view> rest(a.begin() + 2, a.end());
  if (cmd == "SET") {
    ks.SetString(a[1], a[2]);
  } else if (cmd == "MSET") {
    for (size_t i = 1; i + 1 < a.size(); i += 2) ks.SetString(a[i], a[i + 1]);
  } else if (cmd == "INCR") {
    if (!ks.IncrBy(a[1], 1, now).ok()) return WrongType();
  } else if (cmd == "DEL") {
    for (size_t i = 1; i < a.size(); i++) ks.Delete(a[i], now);
  } else if (cmd == "FLUSHALL") {
    ks.Flush();
  } else if (cmd == "PEXPIREAT") {
    Entry* e = ks.Find(a[1], now);
    if (e == nullptr) return Status::Error("no such key");
    ks.SetExpire(e, std::stoll(std::string(a[2])));
  } else if (cmd == "RENAME") {
    if (ks.Rename(a[1], a[2], false, now) != RenameResult::kOk) return Status::Error("no such key");
  } else if (cmd == "RPOPLPUSH") {
    return ApplyRpoplpush(ks, a[1], a[2], now);
  } else if (cmd == "RPUSH") {
    Result<ListValue*> l = Container<ListValue>(ks, a[1], now);
    if (!l.ok()) return l.status();
    l.value()->PushBack(rest);
  } else if (cmd == "HSET") {
    Result<HashValue*> h = Container<HashValue>(ks, a[1], now);
    if (!h.ok()) return h.status();
    h.value()->SetMany(rest);
  } else if (cmd == "SADD") {
    Result<SetValue*> s = Container<SetValue>(ks, a[1], now);
    if (!s.ok()) return s.status();
    s.value()->AddMany(rest);
  } else if (cmd == "SREM") {
    Entry* e = ks.Find(a[1], now);
    if (e == nullptr) return Status::Error("no such key");
    if (e->set() == nullptr) return WrongType();
    e->set()->Remove(a[2]);
    if (e->set()->Size() == 0) ks.Delete(e);
  } else if (cmd == "ZADD") {
    Result<ZSetValue*> z = Container<ZSetValue>(ks, a[1], now);
    if (!z.ok()) return z.status();
    for (size_t i = 2; i + 1 < a.size(); i += 2) {
      z.value()->Add(std::strtod(std::string(a[i]).c_str(), nullptr), a[i + 1]);
    }
  } else {
    return Status::Error("unknown command " + std::string(cmd));
  }
  return Status();
}

std::vector<std::string_view> KeysOf(std::span<const std::string_view> a) {
  const std::string_view cmd = a[0];
  if (cmd == "FLUSHALL") return {};
  if (cmd == "DEL") return {a.begin() + 1, a.end()};
  if (cmd == "RENAME" || cmd == "RPOPLPUSH") return {a[1], a[2]};
  if (cmd == "MSET") {
    std::vector<std::string_view> keys;
    for (size_t i = 1; i < a.size(); i += 2) keys.push_back(a[i]);
    return keys;
  }
  return {a[1]};
}

// ---- comparison -----------------------------------------------------------------------------

// A printable snapshot of a live key: type, value and TTL.
std::string Describe(Keyspace& ks, std::string_view key, int64_t now) {
  Entry* e = ks.Find(key, now);
  if (e == nullptr) return "(missing)";
  std::ostringstream out;
  out << TypeName(e->type()) << " ttl=" << ks.GetExpire(e) << " :";
  char buf[kInt64Chars];
  switch (e->type()) {
    case ObjType::kString:
      out << " " << e->StringValue(buf);
      break;
    case ObjType::kList:
      e->list()->ForRange(0, -1, [&](std::string_view v) { out << " " << v; });
      break;
    case ObjType::kHash: {
      // A hashtable's field order depends on its insert history (as in Redis), so compare it
      // sorted; a listpack's order is part of what the rewrite must keep.
      std::vector<std::string> fields;
      e->hash()->ForEach([&](std::string_view f, std::string_view v) {
        fields.push_back(std::string(f) + "=" + std::string(v));
      });
      if (e->hash()->Encoding() == "hashtable") std::sort(fields.begin(), fields.end());
      for (const auto& fv : fields) out << " " << fv;
      break;
    }
    case ObjType::kSet: {
      std::vector<std::string> m = e->set()->Members();
      std::sort(m.begin(), m.end());
      for (const auto& s : m) out << " " << s;
      break;
    }
    case ObjType::kZSet:
      e->zset()->ForEach([&](std::string_view m, double s) {
        char score[40];
        // Exact bits, except that -0 reads back as 0: the reload builds the set as a listpack
        // first, which stores -0 as 0 (Redis's rewrite of a skiplist zset does the same).
        std::snprintf(score, sizeof(score), "%a", s == 0 ? 0.0 : s);
        out << " " << m << "@" << score;
      });
      break;
  }
  return out.str();
}

void RequireSameKeys(Keyspace& want, Keyspace& got, int64_t now) {
  std::vector<std::string> keys = want.KeysMatching("*", now);
  std::vector<std::string> got_keys = got.KeysMatching("*", now);
  std::sort(keys.begin(), keys.end());
  std::sort(got_keys.begin(), got_keys.end());
  REQUIRE(keys == got_keys);
  for (const auto& k : keys) {
    INFO("key " << k);
    REQUIRE(Describe(got, k, now) == Describe(want, k, now));
  }
}

Result<LoadStats> LoadInto(const std::string& path, Keyspace* ks, int64_t now,
                           std::vector<Args>* records = nullptr) {
  return LoadAof(path, [&](std::span<const std::string_view> args) {
    if (records != nullptr) records->emplace_back(args.begin(), args.end());
    return Apply(*ks, std::vector<std::string_view>(args.begin(), args.end()), now);
  });
}

// ---- the simulated shard ----------------------------------------------------------------------

struct Shard {
  explicit Shard(SlotFunction slot_fn) : slot_of(slot_fn), ks(slot_fn) {
    ks.SetExpireCallback([this](std::string_view key) {
      const std::vector<std::string_view> del = {"DEL", key};
      if (rewriter != nullptr) rewriter->OnLiveRecord(del);
    });
  }
  // Runs a write as the server would: apply, then log it (here: only to the rewriter).
  bool Write(const Args& args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    if (!Apply(ks, views, now).ok()) return false;
    if (rewriter != nullptr) rewriter->OnLiveRecord(views);
    return true;
  }
  SlotFunction slot_of;
  Keyspace ks;
  int64_t now = kStart;
  AofRewriter* rewriter = nullptr;
};

std::string Pick(std::mt19937_64& rng, const std::vector<std::string>& from) {
  return from[rng() % from.size()];
}

// Fills the shard with every type: long lists / hashes / sets / zsets (several batches), int and
// plain strings, TTLs far away and TTLs that pass while the rewrite runs.
void Populate(Shard& shard, std::mt19937_64& rng, int keys) {
  for (int i = 0; i < keys; i++) {
    const std::string k = "key:" + std::to_string(i);
    const int n = 1 + static_cast<int>(rng() % 150);
    switch (i % 6) {
      case 0:
        shard.Write({"SET", k, "value-" + std::to_string(rng())});
        break;
      case 1:
        shard.Write({"SET", k, std::to_string(static_cast<int64_t>(rng() % 2000) - 1000)});
        break;
      case 2:
        for (int j = 0; j < n; j++) shard.Write({"RPUSH", k, "e" + std::to_string(rng() % 50)});
        break;
      case 3:
        for (int j = 0; j < n; j++) {
          shard.Write({"HSET", k, "f" + std::to_string(j), std::string(rng() % 80, 'v')});
        }
        break;
      case 4:
        for (int j = 0; j < n; j++) {
          shard.Write({"SADD", k, (i % 12 == 4 ? "m" : "") + std::to_string(rng() % 1000)});
        }
        break;
      case 5: {
        const char* specials[] = {"0.1", "-0", "inf", "-inf", "1e300", "3", "-2.5"};
        for (int j = 0; j < n; j++) {
          std::string score =
              j % 5 == 0 ? specials[rng() % 7] : std::to_string(static_cast<double>(rng()) / 7e15);
          shard.Write({"ZADD", k, score, "z" + std::to_string(j)});
        }
        break;
      }
    }
    if (i % 4 == 0) shard.Write({"PEXPIREAT", k, std::to_string(kStart + 1'000'000 + i)});
    if (i % 9 == 0) shard.Write({"PEXPIREAT", k, std::to_string(kStart + 20 + i)});
  }
}

// One random write on the pool's keys (new and existing, all types; WRONGTYPE ones are skipped).
void RandomWrite(Shard& shard, std::mt19937_64& rng, const std::vector<std::string>& pool) {
  const std::string k = Pick(rng, pool);
  const std::string k2 = Pick(rng, pool);
  const std::string v = std::to_string(rng() % 100);
  switch (rng() % 14) {
    case 0:
      shard.Write({"SET", k, "s" + v});
      break;
    case 1:
      shard.Write({"INCR", k});
      break;
    case 2:
      shard.Write({"RPUSH", k, v, "x" + v});
      break;
    case 3:
      shard.Write({"HSET", k, "f" + v, v});
      break;
    case 4:
      shard.Write({"SADD", k, v});
      break;
    case 5:
      shard.Write({"ZADD", k, std::to_string(static_cast<double>(rng() % 1000) / 3), "z" + v});
      break;
    case 6:
      shard.Write({"DEL", k, k2});
      break;
    case 7:
      shard.Write({"PEXPIREAT", k, std::to_string(shard.now + 30 + rng() % 5'000'000)});
      break;
    case 8:
      shard.Write({"RENAME", k, k2});
      break;
    case 9:
      shard.Write({"RPOPLPUSH", k, k2});
      break;
    case 10:
      shard.Write({"MSET", k, "m" + v, k2, "n" + v});
      break;
    case 11:
      shard.Write({"SREM", k, v});
      break;
    default:
      shard.Write({"RPUSH", k, "tail" + v});
      break;
  }
}

std::vector<std::string> KeyPool(int keys) {
  std::vector<std::string> pool;
  for (int i = 0; i < keys + 40; i++) pool.push_back("key:" + std::to_string(i));
  return pool;
}

// Rewrites `shard` in steps of `step_keys`, doing up to `writes` random writes between steps
// (with `blocks`, each turn's writes form one MULTI/EXEC block, as one EXEC's would).
AofRewriter& RunRewrite(Shard& shard, std::unique_ptr<AofRewriter>& rw, const std::string& path,
                        std::mt19937_64& rng, size_t step_keys, int writes,
                        const std::vector<std::string>& pool, bool flushall = false,
                        bool blocks = false) {
  auto started = AofRewriter::Start(&shard.ks, shard.slot_of, path, KeysOf);
  REQUIRE(started.ok());
  rw = std::move(started.value());
  shard.rewriter = rw.get();
  int steps = 0;
  while (!rw->Done()) {
    REQUIRE(++steps < 100'000);
    if (blocks) rw->BeginBlock();
    for (int w = static_cast<int>(rng() % (writes + 1)); w > 0; w--) RandomWrite(shard, rng, pool);
    if (flushall && steps == 5) shard.Write({"FLUSHALL"});
    if (blocks) rw->EndBlock();
    Result<bool> r = rw->Step(step_keys, shard.now);
    REQUIRE(r.ok());
    shard.now += 3;
  }
  // Writes after the dump ended are appended as they come.
  for (int w = 0; w < writes; w++) RandomWrite(shard, rng, pool);
  return *rw;
}

TEST_CASE("rewrite while writing: the new file loads into the same keyspace", "[aof_rewrite]") {
  const uint64_t seed = GENERATE(1, 2, 3, 4, 5, 6);
  const SlotFunction slot_of = seed % 2 == 0 ? &FewSlots : &cluster::KeySlot;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  const int keys = 120;
  Shard shard(slot_of);
  Populate(shard, rng, keys);
  const std::vector<std::string> pool = KeyPool(keys);
  std::unique_ptr<AofRewriter> rw;
  AofRewriter& r = RunRewrite(shard, rw, path, rng, 1 + seed % 4, 4, pool, seed == 3);
  Result<uint64_t> size = r.Finish();
  REQUIRE(size.ok());
  REQUIRE(size.value() == fs::file_size(path));
  REQUIRE_FALSE(fs::exists(r.temp_path()));
  CHECK(r.stats().records_appended > 0);
  CHECK(r.stats().records_dropped > 0);
  // Some RENAME / RPOPLPUSH / MSET / DEL straddled the cursor (seed 3's FLUSHALL empties it early).
  if (seed != 3) CHECK(r.stats().keys_redumped > 0);
  shard.rewriter = nullptr;

  Keyspace loaded(slot_of);
  std::vector<Args> records;
  REQUIRE(LoadInto(path, &loaded, shard.now, &records).ok());
  RequireSameKeys(shard.ks, loaded, shard.now);
  // At most 64 elements (64 field/value or score/member pairs) per command, like Redis.
  size_t batches = 0;
  for (const Args& rec : records) {
    const bool pairs = rec[0] == "HSET" || rec[0] == "ZADD";
    REQUIRE(rec.size() <= 2 + (pairs ? 2 : 1) * AofRewriter::kItemsPerCommand);
    batches += rec.size() == 2 + (pairs ? 2 : 1) * AofRewriter::kItemsPerCommand ? 1 : 0;
  }
  CHECK(batches > 0);
}

TEST_CASE("a record straddling the cursor re-dumps its keys instead of replaying",
          "[aof_rewrite]") {
  TempDir dir;
  const std::string path = dir.File("a.aof");
  Shard shard(&cluster::KeySlot);
  for (int i = 0; i < 50; i++) {
    const std::string k = "l" + std::to_string(i);
    shard.Write({"RPUSH", k, "a", "b", "c"});
  }
  auto started = AofRewriter::Start(&shard.ks, shard.slot_of, path, KeysOf);
  REQUIRE(started.ok());
  AofRewriter& rw = *started.value();
  shard.rewriter = &rw;
  REQUIRE(rw.Step(20, shard.now).ok());
  REQUIRE_FALSE(rw.Done());
  // Find one dumped and one not-yet-dumped list, by scan position.
  std::string dumped, pending;
  for (int i = 0; i < 50; i++) {
    const std::string k = "l" + std::to_string(i);
    Entry* e = shard.ks.Find(k, shard.now);
    REQUIRE(e != nullptr);
    // Which side of the cursor `k` is on shows in whether a lone write to it is kept.
    const uint64_t before = rw.stats().records_appended;
    shard.Write({"RPUSH", k, "x"});
    (rw.stats().records_appended > before ? dumped : pending) = k;
  }
  REQUIRE(!dumped.empty());
  REQUIRE(!pending.empty());
  const uint64_t redumped = rw.stats().keys_redumped;
  REQUIRE(shard.Write({"RPOPLPUSH", dumped, pending}));
  REQUIRE(shard.Write({"RPOPLPUSH", pending, dumped}));
  CHECK(rw.stats().keys_redumped == redumped + 2);  // the second one: both keys already dumped
  while (!rw.Done()) REQUIRE(rw.Step(20, shard.now).ok());
  REQUIRE(rw.Finish().ok());
  shard.rewriter = nullptr;
  Keyspace loaded(&cluster::KeySlot);
  REQUIRE(LoadInto(path, &loaded, shard.now).ok());
  RequireSameKeys(shard.ks, loaded, shard.now);
}

TEST_CASE("the rewrite is smaller than the log it replaces and keeps exact scores",
          "[aof_rewrite]") {
  TempDir dir;
  const std::string path = dir.File("b.aof");
  Shard shard(&cluster::KeySlot);
  for (int i = 0; i < 500; i++) shard.Write({"INCR", "counter"});
  shard.Write({"ZADD", "z", "0.1", "a", "-0", "b", "1e-300", "c", "inf", "d"});
  shard.Write({"ZADD", "z", "0.30000000000000004", "e"});
  auto started = AofRewriter::Start(&shard.ks, shard.slot_of, path, KeysOf);
  REQUIRE(started.ok());
  while (!started.value()->Done()) REQUIRE(started.value()->Step(1, shard.now).ok());
  REQUIRE(started.value()->Finish().ok());
  Keyspace loaded(&cluster::KeySlot);
  std::vector<Args> records;
  REQUIRE(LoadInto(path, &loaded, shard.now, &records).ok());
  CHECK(records.size() == 2);
  RequireSameKeys(shard.ks, loaded, shard.now);
}

TEST_CASE("Finish replaces the live file; an abandoned rewrite leaves it alone", "[aof_rewrite]") {
  TempDir dir;
  const std::string path = dir.File("c.aof");
  Shard shard(&cluster::KeySlot);
  shard.Write({"SET", "k", "v"});
  {
    auto w = AofWriter::Open(path, FsyncPolicy::kNo);
    REQUIRE(w.ok());
    const std::vector<std::string_view> rec = {"SET", "old", "1"};
    w.value()->Append(rec);
    REQUIRE(w.value()->Flush().ok());
  }
  const auto before = fs::file_size(path);
  {
    auto started = AofRewriter::Start(&shard.ks, shard.slot_of, path, KeysOf);
    REQUIRE(started.ok());
    REQUIRE(fs::exists(started.value()->temp_path()));
    CHECK_FALSE(started.value()->Finish().ok());  // the dump has not run
  }
  CHECK(fs::file_size(path) == before);
  CHECK_FALSE(fs::exists(path + ".rewrite.tmp"));
  auto started = AofRewriter::Start(&shard.ks, shard.slot_of, path, KeysOf);
  REQUIRE(started.ok());
  while (!started.value()->Done()) REQUIRE(started.value()->Step(8, shard.now).ok());
  REQUIRE(started.value()->Finish().ok());
  std::vector<Args> records;
  Keyspace loaded(&cluster::KeySlot);
  REQUIRE(LoadInto(path, &loaded, shard.now, &records).ok());
  CHECK(records == std::vector<Args>{{"SET", "k", "v"}});
}

TEST_CASE("Finish runs its hook between the synced temp file and the rename", "[aof_rewrite]") {
  TempDir dir;
  const std::string live = dir.File("appendonly.aof");
  { std::ofstream(live, std::ios::binary) << kFileMagic << "old"; }
  Keyspace ks(FewSlots);
  ks.SetString("k", "v");
  for (const bool fail : {true, false}) {
    auto started = AofRewriter::Start(&ks, FewSlots, live, nullptr);
    REQUIRE(started.ok());
    AofRewriter& rw = *started.value();
    REQUIRE(rw.Step(100, kStart).ok());
    REQUIRE(rw.Done());
    bool ran = false;
    Result<uint64_t> size = rw.Finish([&]() -> Status {
      ran = true;
      // The temp file is complete here and the live file not yet replaced.
      CHECK(fs::file_size(rw.temp_path()) > kFileMagic.size());
      CHECK(fs::file_size(live) == kFileMagic.size() + 3);
      return fail ? Status::Error("no writer") : Status();
    });
    CHECK(ran);
    CHECK(size.ok() == !fail);
    CHECK(rw.renamed() == !fail);
    if (fail) {
      CHECK(size.status().message() == "no writer");
      CHECK(fs::file_size(live) == kFileMagic.size() + 3);  // untouched
    } else {
      CHECK(fs::file_size(live) == size.value());
      CHECK_FALSE(fs::exists(rw.temp_path()));
    }
  }
}

TEST_CASE("ShouldRewrite follows auto-aof-rewrite-percentage and min-size", "[aof_rewrite]") {
  CHECK(ShouldRewrite(200, 100, 100, 64));
  CHECK_FALSE(ShouldRewrite(199, 100, 100, 64));
  CHECK_FALSE(ShouldRewrite(200, 100, 0, 64));   // disabled
  CHECK_FALSE(ShouldRewrite(64, 0, 100, 64));    // not above min-size
  CHECK(ShouldRewrite(65, 0, 100, 64));          // base 0 counts as 1
  CHECK_FALSE(ShouldRewrite(90, 100, 100, 64));  // shrank
  CHECK(ShouldRewrite(150, 100, 50, 0));
  CHECK_FALSE(ShouldRewrite(149, 100, 50, 0));
  CHECK(ShouldRewrite(uint64_t{1} << 62, uint64_t{1} << 61, 100, 0));  // no overflow
}

}  // namespace
TEST_CASE("rewrite while writing MULTI/EXEC blocks: the new file keeps them and loads the same",
          "[aof_rewrite]") {
  const uint64_t seed = GENERATE(11, 12, 13, 14);
  const SlotFunction slot_of = seed % 2 == 0 ? &FewSlots : &cluster::KeySlot;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  const int keys = 120;
  Shard shard(slot_of);
  Populate(shard, rng, keys);
  const std::vector<std::string> pool = KeyPool(keys);
  std::unique_ptr<AofRewriter> rw;
  AofRewriter& r = RunRewrite(shard, rw, path, rng, 1 + seed % 4, 6, pool, false, true);
  REQUIRE(r.Finish().ok());
  // Re-dumps inside a block (a record straddling the cursor) stay inside it.
  CHECK(r.stats().keys_redumped > 0);
  CHECK(r.stats().blocks_appended > 0);
  shard.rewriter = nullptr;
  Keyspace loaded(slot_of);
  std::vector<Args> records;
  // Replayed as Redis loads an AOF, with nothing expiring during the load (keyIsExpired is false
  // while loading): a record on a key whose TTL passed after it was logged still applies.
  Result<LoadStats> stats = LoadInto(path, &loaded, 0, &records);
  INFO((stats.ok() ? std::string() : stats.status().message()));
  REQUIRE(stats.ok());  // a stray or unclosed MULTI/EXEC would be refused or cut
  CHECK(stats.value().blocks == r.stats().blocks_appended);
  CHECK(stats.value().truncated_bytes == 0);
  RequireSameKeys(shard.ks, loaded, shard.now);
}

}  // namespace slotproxy::engine::aof

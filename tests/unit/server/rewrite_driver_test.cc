// AofRewriteDriver: a rewrite driven step by step while the shard keeps writing (real command
// handlers through Shard::Replay, real key extraction), the writer hand-over, the counters INFO
// reports, and the automatic trigger with Redis's failure back-off.
#include "server/aof_rewrite_driver.h"

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "command/command_table.h"
#include "engine/aof/aof_file.h"
#include "net/event_loop.h"
#include "persistence_test_util.h"
#include "server/aof_sink.h"
#include "server/shard.h"

namespace slotproxy::server {
namespace {

using testing::FileSize;
using testing::Snapshot;
using testing::TempDir;
using Args = std::vector<std::string>;

// What Persistence does, without a loop: log to the live writer, and to the running rewrite.
struct TestSink final : AofSink {
  void Append(std::span<const std::string_view> args) override {
    writer->Append(args);
    if (driver != nullptr) driver->OnLiveRecord(args);
  }
  std::unique_ptr<engine::aof::AofWriter> writer;
  AofRewriteDriver* driver = nullptr;
};

// A shard (never started: no sockets) whose writes are applied by the real handlers and then
// logged, as the dispatcher does for a command that propagates as sent.
struct LoggedShard {
  explicit LoggedShard(const std::string& path) {
    auto w = engine::aof::AofWriter::Open(path, engine::aof::FsyncPolicy::kNo);
    REQUIRE(w.ok());
    sink.writer = std::move(w.value());
    ShardOptions o;
    o.aof = &sink;
    shard = std::make_unique<Shard>(loop, o);
  }
  void Write(const Args& args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    Status st = shard->Replay(views);
    if (st.ok()) sink.Append(views);  // WRONGTYPE and friends change nothing: not logged
  }
  net::EventLoop loop;
  TestSink sink;
  std::unique_ptr<Shard> shard;
};

void RandomWrite(LoggedShard& s, std::mt19937_64& rng, int keys) {
  const std::string k = "k" + std::to_string(rng() % keys);
  const std::string k2 = "k" + std::to_string(rng() % keys);
  const std::string v = std::to_string(rng() % 1000);
  const int64_t later = Shard::WallMs() + 3'600'000 + static_cast<int64_t>(rng() % 1000);
  switch (rng() % 10) {
    case 0:
      s.Write({"SET", k, "s" + v});
      break;
    case 1:
      s.Write({"INCR", k});
      break;
    case 2:
      s.Write({"RPUSH", "l" + k, v});
      break;
    case 3:
      s.Write({"HSET", "h" + k, "f" + v, v});
      break;
    case 4:
      s.Write({"SADD", "s" + k, v});
      break;
    case 5:
      s.Write({"DEL", k});
      break;
    case 6:  // same hash tag: one slot, so both keys may straddle the rewrite's cursor or not
      s.Write({"MSET", "{t}" + k, v, "{t}" + k2, v});
      break;
    case 7:
      s.Write({"RENAME", "{t}" + k, "{t}" + k2});
      break;
    case 8:
      s.Write({"PEXPIREAT", k, std::to_string(later)});
      break;
    default:
      s.Write({"ZADD", "z" + k, v, "m" + v});
      break;
  }
}

TEST_CASE("KeysFromCommandTable finds the keys of logged records", "[rewrite_driver]") {
  engine::aof::KeysOfFn keys_of = KeysFromCommandTable(command::CommandTable::BuiltIn());
  auto keys = [&](std::vector<std::string_view> args) { return keys_of(args); };
  using V = std::vector<std::string_view>;
  CHECK(keys({"SET", "a", "1", "PXAT", "5"}) == V{"a"});
  CHECK(keys({"MSET", "a", "1", "b", "2"}) == V{"a", "b"});
  CHECK(keys({"RENAME", "a", "b"}) == V{"a", "b"});
  CHECK(keys({"LMOVE", "a", "b", "LEFT", "RIGHT"}) == V{"a", "b"});
  CHECK(keys({"ZUNIONSTORE", "d", "2", "x", "y"}) == V{"d", "x", "y"});
  CHECK(keys({"FLUSHALL"}).empty());
  CHECK(keys({"NOSUCHCOMMAND", "a"}).empty());
  CHECK(keys({}).empty());
}

TEST_CASE("a rewrite driven while the shard writes compacts the file and replays to the same data",
          "[rewrite_driver]") {
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  LoggedShard live(path);
  std::mt19937_64 rng(42);
  constexpr int kKeys = 3000;
  for (int round = 0; round < 4; ++round) {  // every key overwritten: the log is 4x the data
    for (int i = 0; i < kKeys; ++i)
      live.Write({"SET", "k" + std::to_string(i), "v" + std::to_string(round)});
  }
  for (int i = 0; i < 500; ++i) RandomWrite(live, rng, kKeys);
  REQUIRE(live.sink.writer->Flush().ok());
  const uint64_t before = FileSize(path);

  RewriteOptions options;
  options.keys_per_step = 50;
  AofRewriteDriver driver(path, engine::aof::FsyncPolicy::kNo, options, &live.shard->db(),
                          &cluster::KeySlot,
                          KeysFromCommandTable(command::CommandTable::BuiltIn()));
  driver.set_base_size(before);
  REQUIRE(driver.Start(Shard::WallMs()) == AofRewriteDriver::StartResult::kStarted);
  live.sink.driver = &driver;
  CHECK(driver.Start(Shard::WallMs()) == AofRewriteDriver::StartResult::kAlreadyInProgress);
  CHECK(driver.Info(Shard::WallMs()).in_progress);
  CHECK(driver.Info(Shard::WallMs()).current_time_sec >= 0);

  std::unique_ptr<engine::aof::AofWriter> fresh;
  int steps = 0;
  for (; steps < 100000 && fresh == nullptr; ++steps) {
    for (int i = 0; i < 3; ++i) RandomWrite(live, rng, kKeys);
    REQUIRE(live.sink.writer->Flush().ok());  // the loop's before-sleep flush
    fresh = driver.Step(Shard::WallMs());
  }
  REQUIRE(fresh != nullptr);
  CHECK(steps > 10);  // it really ran in slices
  CHECK_FALSE(driver.in_progress());
  live.sink.writer = std::move(fresh);
  live.sink.driver = nullptr;
  const RewriteInfo info = driver.Info(Shard::WallMs());
  CHECK(info.rewrites == 1);
  CHECK(info.last_ok);
  CHECK(info.consecutive_failures == 0);
  CHECK(info.last_time_sec >= 0);
  CHECK(info.current_time_sec == -1);
  CHECK(info.base_size == FileSize(path));
  CHECK(info.base_size == live.sink.writer->stats().file_size);
  CHECK(FileSize(path) * 2 < before);
  CHECK_FALSE(std::filesystem::exists(path + ".rewrite.tmp"));

  // Writes after the hand-over go to the new file.
  for (int i = 0; i < 200; ++i) RandomWrite(live, rng, kKeys);
  REQUIRE(live.sink.writer->Flush().ok());

  net::EventLoop loop;
  Shard reloaded(loop, ShardOptions{});
  auto loaded = engine::aof::LoadAof(
      path, [&](std::span<const std::string_view> args) { return reloaded.Replay(args); });
  REQUIRE(loaded.ok());
  const int64_t now = Shard::WallMs();
  auto want = Snapshot(live.shard->db(), now);
  auto got = Snapshot(reloaded.db(), now);
  CHECK(want.size() > kKeys / 2);
  REQUIRE(got.size() == want.size());
  for (const auto& [key, value] : want) {
    INFO("key " << key);
    REQUIRE(got[key] == value);
  }
}

TEST_CASE("a failed rewrite is counted; automatic rewrites back off after three failures",
          "[rewrite_driver]") {
  net::EventLoop loop;
  Shard shard(loop, ShardOptions{});
  RewriteOptions options;
  options.auto_percentage = 100;
  options.auto_min_size = 0;
  // No such directory: the temp file cannot be created.
  AofRewriteDriver driver("/nonexistent-sp-dir/appendonly.aof", engine::aof::FsyncPolicy::kNo,
                          options, &shard.db(), &cluster::KeySlot,
                          KeysFromCommandTable(command::CommandTable::BuiltIn()));
  driver.set_base_size(1000);
  const int64_t t0 = 1'700'000'000'000;
  CHECK_FALSE(driver.AutoRewriteDue(1999, t0));  // grew 99%
  CHECK(driver.AutoRewriteDue(2000, t0));        // grew 100%
  CHECK(driver.Start(t0) == AofRewriteDriver::StartResult::kFailed);
  RewriteInfo info = driver.Info(t0);
  CHECK_FALSE(info.in_progress);
  CHECK_FALSE(info.last_ok);
  CHECK(info.rewrites == 0);  // never got going
  CHECK(info.consecutive_failures == 1);
  CHECK(driver.AutoRewriteDue(2000, t0));  // below the threshold: retried at once
  CHECK(driver.Start(t0) == AofRewriteDriver::StartResult::kFailed);
  CHECK(driver.Start(t0) == AofRewriteDriver::StartResult::kFailed);
  CHECK(driver.Info(t0).consecutive_failures == 3);
  // Three in a row: the next automatic attempt waits a minute, then two, as Redis's
  // aofRewriteLimited.
  CHECK_FALSE(driver.AutoRewriteDue(2000, t0));
  CHECK_FALSE(driver.AutoRewriteDue(2000, t0 + 59'999));
  CHECK(driver.AutoRewriteDue(2000, t0 + 60'000));
  CHECK(driver.Start(t0 + 60'000) == AofRewriteDriver::StartResult::kFailed);
  CHECK_FALSE(driver.AutoRewriteDue(2000, t0 + 60'001));
  CHECK_FALSE(driver.AutoRewriteDue(2000, t0 + 60'001 + 119'999));
  CHECK(driver.AutoRewriteDue(2000, t0 + 60'001 + 120'000));
  // BGREWRITEAOF is never held back: it tries (and fails) right away.
  CHECK(driver.Start(t0 + 60'002) == AofRewriteDriver::StartResult::kFailed);
  CHECK(driver.Info(t0).consecutive_failures == 5);
}

TEST_CASE("Abort drops a running rewrite and its temp file without counting a failure",
          "[rewrite_driver]") {
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  LoggedShard live(path);
  for (int i = 0; i < 100; ++i) live.Write({"SET", "k" + std::to_string(i), "v"});
  RewriteOptions options;
  options.keys_per_step = 10;
  AofRewriteDriver driver(path, engine::aof::FsyncPolicy::kNo, options, &live.shard->db(),
                          &cluster::KeySlot,
                          KeysFromCommandTable(command::CommandTable::BuiltIn()));
  REQUIRE(driver.Start(Shard::WallMs()) == AofRewriteDriver::StartResult::kStarted);
  CHECK(driver.Step(Shard::WallMs()) == nullptr);
  CHECK(std::filesystem::exists(path + ".rewrite.tmp"));
  driver.Abort();
  CHECK_FALSE(driver.in_progress());
  CHECK_FALSE(std::filesystem::exists(path + ".rewrite.tmp"));
  CHECK(driver.Info(Shard::WallMs()).last_ok);
  CHECK(driver.Info(Shard::WallMs()).consecutive_failures == 0);
  CHECK(driver.Step(Shard::WallMs()) == nullptr);  // nothing runs
}

}  // namespace
}  // namespace slotproxy::server

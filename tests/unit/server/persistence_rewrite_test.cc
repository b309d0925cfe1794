// Persistence on a running shard (ShardWiring on an EmbeddedShards thread, a real client over
// loopback): BGREWRITEAOF's replies, a rewrite advancing one slice per loop turn while clients
// write, the hand-over to the new file, the auto trigger, and the data after a restart.
#include "server/persistence.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "persistence_test_util.h"
#include "server/embedded.h"
#include "server/shard_wiring.h"
#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::FileSize;
using testing::TempDir;
using testing::TestClient;

// One shard wired as shard_main wires it, on its own thread.
class WiredShard {
 public:
  WiredShard(const std::string& dir, RewriteOptions rewrite, bool appendonly = true) {
    ShardWiringOptions w;
    w.dir = dir;
    w.host = "127.0.0.1";
    w.appendonly = appendonly;
    w.appendfsync = engine::aof::FsyncPolicy::kAlways;
    w.rewrite = rewrite;
    EmbeddedShardSpec spec;
    auto created = ShardWiring::Create(w, &spec.options);
    REQUIRE(created.ok());
    std::shared_ptr<ShardWiring> wiring(std::move(created.value()));
    wiring_ = wiring.get();
    spec.on_start = [wiring](Shard& shard) { return wiring->Attach(shard); };
    spec.on_stop = [wiring](Shard&) { wiring->Detach(); };
    std::vector<EmbeddedShardSpec> specs;
    specs.push_back(std::move(spec));
    auto started = EmbeddedShards::Start(std::move(specs));
    REQUIRE(started.ok());
    shards_ = std::move(started.value());
  }

  uint16_t port() const { return shards_->ports()[0]; }
  void Stop() { shards_->Stop(); }

  // Reads the persistence state on the shard's thread.
  AofInfo Info() {
    AofInfo info;
    REQUIRE(shards_
                ->RunOn(0,
                        [&](Shard&) {
                          info = wiring_->persistence()->Info();
                          return Status();
                        })
                .ok());
    return info;
  }
  std::string InfoText() {
    std::string out;
    REQUIRE(shards_
                ->RunOn(0,
                        [&](Shard&) {
                          wiring_->persistence()->AppendInfoFields(&out);
                          return Status();
                        })
                .ok());
    return out;
  }
  std::map<std::string, std::string> Snapshot() {
    std::map<std::string, std::string> out;
    REQUIRE(shards_
                ->RunOn(0,
                        [&](Shard& shard) {
                          out = testing::Snapshot(shard.db(), Shard::WallMs());
                          return Status();
                        })
                .ok());
    return out;
  }
  // Bounded wait (a count of round trips to the shard, not a time) for no rewrite to run.
  bool WaitRewriteDone() {
    for (int i = 0; i < 200000; ++i) {
      if (!Info().rewrite.in_progress) return true;
    }
    return false;
  }

 private:
  ShardWiring* wiring_ = nullptr;
  std::unique_ptr<EmbeddedShards> shards_;
};

std::string Cmd(std::initializer_list<std::string_view> args) {
  std::string out;
  resp::Encoder enc(&out, resp::Protocol::kResp2);
  enc.ArrayHeader(args.size());
  for (std::string_view a : args) enc.Bulk(a);
  return out;
}

TEST_CASE("BGREWRITEAOF rewrites a running shard's AOF and a restart finds the same data",
          "[persistence]") {
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  RewriteOptions rewrite;
  rewrite.auto_percentage = 0;  // only BGREWRITEAOF here
  rewrite.keys_per_step = 64;
  std::map<std::string, std::string> before;
  {
    WiredShard shard(dir.path, rewrite);
    TestClient c(shard.port());
    REQUIRE(c.connected());
    std::string batch;
    for (int round = 0; round < 5; ++round) {
      for (int i = 0; i < 2000; ++i) {
        batch += Cmd({"SET", "key:" + std::to_string(i), "value-" + std::to_string(round)});
      }
    }
    REQUIRE(c.Send(batch));
    for (int i = 0; i < 10000; ++i) REQUIRE(c.Read() == "+OK\r\n");
    const uint64_t grown = FileSize(path);
    const AofInfo first = shard.Info();
    CHECK(first.current_size == grown);
    CHECK_FALSE(first.rewrite.in_progress);
    // Pipelined: both run in one loop turn, before the first slice of the rewrite.
    REQUIRE(c.Send(Cmd({"BGREWRITEAOF"}) + Cmd({"BGREWRITEAOF"})));
    CHECK(c.Read() == "+Background append only file rewriting started\r\n");
    CHECK(c.Read() == "-ERR Background append only file rewriting already in progress\r\n");
    // Writes while it runs: overwrites, new keys, deletes, a list.
    for (int i = 0; i < 280; ++i) {
      const std::string k = "key:" + std::to_string(i * 7);
      CHECK(c.Call({"SET", k, "during"}) == "+OK\r\n");
      CHECK(c.Call({"RPUSH", "list", k}) == ":" + std::to_string(i + 1) + "\r\n");
      CHECK(c.Call({"DEL", "key:" + std::to_string(i * 7 + 1)}) == ":1\r\n");
    }
    REQUIRE(shard.WaitRewriteDone());
    const AofInfo done = shard.Info();
    CHECK(done.rewrite.last_ok);
    CHECK(done.rewrite.rewrites == 1);
    CHECK(done.rewrite.base_size > 0);
    CHECK(done.current_size == FileSize(path));
    CHECK(FileSize(path) * 3 < grown);
    // After the hand-over writes still reach the (new) file.
    CHECK(c.Call({"SET", "after", "1"}) == "+OK\r\n");
    CHECK(shard.Info().current_size > done.rewrite.base_size);
    const std::string text = shard.InfoText();
    CHECK(text.starts_with(
        "aof_enabled:1\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"));
    CHECK(text.find("aof_last_bgrewrite_status:ok\r\naof_rewrites:1\r\n") != std::string::npos);
    CHECK(text.find("aof_base_size:" + std::to_string(done.rewrite.base_size) + "\r\n") !=
          std::string::npos);
    CHECK(text.find("module_fork_last_cow_size:0\r\naof_current_size:") != std::string::npos);
    CHECK(text.ends_with("aof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n"));
    before = shard.Snapshot();
    shard.Stop();
  }
  CHECK(before.size() == 2000 - 280 + 2);  // the deleted keys; "list" and "after" added
  CHECK(before["key:7"] == "string ttl=-1 : during");
  WiredShard again(dir.path, rewrite);
  CHECK(again.Snapshot() == before);
}

TEST_CASE("the AOF is rewritten automatically once it outgrows auto-aof-rewrite-min-size",
          "[persistence]") {
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  RewriteOptions rewrite;
  rewrite.auto_percentage = 100;
  rewrite.auto_min_size = 16 * 1024;
  rewrite.keys_per_step = 32;
  WiredShard shard(dir.path, rewrite);
  TestClient c(shard.port());
  REQUIRE(c.connected());
  // 20 keys overwritten until the file passes min-size: the rewrite shrinks it to ~20 records.
  int writes = 0;
  while (shard.Info().rewrite.rewrites == 0 && writes < 20000) {
    REQUIRE(c.Call({"SET", "k" + std::to_string(writes % 20), std::string(100, 'x')}) == "+OK\r\n");
    ++writes;
  }
  REQUIRE(shard.Info().rewrite.rewrites >= 1);
  CHECK(writes > 100);  // ~130-byte records: the file passed 16 KB first
  REQUIRE(shard.WaitRewriteDone());
  const AofInfo info = shard.Info();
  CHECK(info.rewrite.last_ok);
  CHECK(info.rewrite.base_size < 16 * 1024);
  CHECK(FileSize(path) < 16 * 1024);
  CHECK(c.Call({"DBSIZE"}) == ":20\r\n");
}

TEST_CASE("BGREWRITEAOF without an append-only file is refused", "[persistence]") {
  TempDir dir;
  WiredShard shard(dir.path, RewriteOptions{}, /*appendonly=*/false);
  TestClient c(shard.port());
  REQUIRE(c.connected());
  CHECK(c.Call({"BGREWRITEAOF"}) ==
        "-ERR Background append only file rewriting is not possible: this shard runs with "
        "appendonly no\r\n");
  CHECK_FALSE(std::filesystem::exists(dir.File("appendonly.aof")));
}

}  // namespace
}  // namespace slotproxy::server

// MULTI/EXEC blocks on a running shard: the writes of one EXEC or one EVAL reach the AOF as one
// MULTI ... EXEC block when there are two or more (one write bare, none nothing), a script inside
// a transaction joins its block, blocks written while a rewrite runs stay blocks in the new file,
// and a restart replays the same data.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/aof/aof_format.h"
#include "persistence_test_util.h"
#include "server/embedded.h"
#include "server/persistence.h"
#include "server/shard_wiring.h"
#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::TempDir;
using testing::TestClient;
using Record = std::vector<std::string>;
using Records = std::vector<Record>;

class BlockShard {
 public:
  BlockShard(const std::string& dir, RewriteOptions rewrite) {
    ShardWiringOptions w;
    w.dir = dir;
    w.host = "127.0.0.1";
    w.appendonly = true;
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

  // Keys the running rewrite has dumped so far (-1: none runs), read on the shard's thread.
  int64_t KeysDumped() {
    int64_t n = -1;
    REQUIRE(shards_
                ->RunOn(0,
                        [&](Shard&) {
                          const auto* stats = wiring_->persistence()->rewrite()->current_stats();
                          if (stats != nullptr) n = static_cast<int64_t>(stats->keys_dumped);
                          return Status();
                        })
                .ok());
    return n;
  }
  // Opens (true) or closes (false) a block on the shard's thread, as a busy script's nested loop
  // turns see it.
  void Block(bool open) {
    REQUIRE(shards_
                ->RunOn(0,
                        [&](Shard&) {
                          if (open) {
                            wiring_->persistence()->BeginBlock();
                          } else {
                            wiring_->persistence()->EndBlock();
                          }
                          return Status();
                        })
                .ok());
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

 private:
  ShardWiring* wiring_ = nullptr;
  std::unique_ptr<EmbeddedShards> shards_;
};

// The file's records as stored, MULTI and EXEC included.
Records RawRecords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  const std::string data = s.str();
  Records out;
  REQUIRE(data.starts_with(engine::aof::kFileMagic));
  size_t pos = engine::aof::kFileMagic.size();
  std::vector<std::string_view> args;
  while (pos < data.size()) {
    size_t consumed = 0;
    std::string error;
    REQUIRE(engine::aof::DecodeRecord(std::string_view(data).substr(pos), &args, &consumed,
                                      &error) == engine::aof::DecodeStatus::kRecord);
    out.emplace_back(args.begin(), args.end());
    pos += consumed;
  }
  return out;
}

// Checks that MULTI and EXEC alternate, each block holding two or more records; returns the
// number of blocks.
int CheckBlocks(const Records& records) {
  int blocks = 0;
  int inside = -1;  // records in the open block, -1: none open
  for (const Record& r : records) {
    if (r == Record{"MULTI"}) {
      REQUIRE(inside == -1);
      inside = 0;
    } else if (r == Record{"EXEC"}) {
      REQUIRE(inside >= 2);
      inside = -1;
      ++blocks;
    } else if (inside >= 0) {
      ++inside;
    }
  }
  REQUIRE(inside == -1);
  return blocks;
}

std::string Cmd(std::initializer_list<std::string_view> args) { return resp::EncodeCommand(args); }

constexpr std::string_view kTwoWrites =
    "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])";

}  // namespace

TEST_CASE("aof block: EXEC and EVAL writing twice or more are one MULTI/EXEC block",
          "[persistence]") {
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  RewriteOptions rewrite;
  rewrite.auto_percentage = 0;
  std::map<std::string, std::string> before;
  {
    BlockShard shard(dir.path, rewrite);
    TestClient c(shard.port());
    REQUIRE(c.connected());
    // Two writes (the GET in between writes nothing).
    REQUIRE(c.Send(Cmd({"MULTI"}) + Cmd({"SET", "{t}a", "1"}) + Cmd({"GET", "{t}a"}) +
                   Cmd({"RPUSH", "{t}l", "x", "y"}) + Cmd({"EXEC"})));
    for (int i = 0; i < 4; ++i) CHECK(c.Read() == (i == 0 ? "+OK\r\n" : "+QUEUED\r\n"));
    CHECK(c.Read() == "*3\r\n+OK\r\n$1\r\n1\r\n:2\r\n");
    // One write: bare. No write: nothing.
    CHECK(c.Call({"MULTI"}) == "+OK\r\n");
    CHECK(c.Call({"SET", "{t}b", "2"}) == "+QUEUED\r\n");
    CHECK(c.Call({"EXEC"}) == "*1\r\n+OK\r\n");
    CHECK(c.Call({"MULTI"}) == "+OK\r\n");
    CHECK(c.Call({"GET", "{t}b"}) == "+QUEUED\r\n");
    CHECK(c.Call({"EXEC"}) == "*1\r\n$1\r\n2\r\n");
    // A script: two writes, then one.
    CHECK(c.Call({"EVAL", kTwoWrites, "2", "{t}s", "{t}n", "v"}) == ":1\r\n");
    CHECK(c.Call({"EVAL", "return redis.call('DEL', KEYS[1])", "1", "{t}s"}) == ":1\r\n");
    // A script inside a transaction joins the transaction's block.
    REQUIRE(c.Send(Cmd({"MULTI"}) + Cmd({"SET", "{t}c", "3"}) +
                   Cmd({"EVAL", kTwoWrites, "2", "{t}s", "{t}n", "w"}) + Cmd({"EXEC"})));
    for (int i = 0; i < 3; ++i) CHECK(c.Read() == (i == 0 ? "+OK\r\n" : "+QUEUED\r\n"));
    CHECK(c.Read() == "*2\r\n+OK\r\n:2\r\n");
    const Records raw = RawRecords(path);
    const Records expected = {{"MULTI"},
                              {"SET", "{t}a", "1"},
                              {"RPUSH", "{t}l", "x", "y"},
                              {"EXEC"},
                              {"SET", "{t}b", "2"},
                              {"MULTI"},
                              {"SET", "{t}s", "v"},
                              {"INCR", "{t}n"},
                              {"EXEC"},
                              {"DEL", "{t}s"},
                              {"MULTI"},
                              {"SET", "{t}c", "3"},
                              {"SET", "{t}s", "w"},
                              {"INCR", "{t}n"},
                              {"EXEC"}};
    CHECK(raw == expected);
    CHECK(CheckBlocks(raw) == 3);
    before = shard.Snapshot();
    shard.Stop();
  }
  CHECK(before.size() == 6);
  BlockShard again(dir.path, rewrite);
  CHECK(again.Snapshot() == before);
}

TEST_CASE("aof block: a transaction logged while a rewrite runs stays one block in the new file",
          "[persistence]") {
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  RewriteOptions rewrite;
  rewrite.auto_percentage = 0;
  rewrite.keys_per_step = 1;
  constexpr int kKeys = 1000;
  std::map<std::string, std::string> before;
  {
    BlockShard shard(dir.path, rewrite);
    TestClient c(shard.port());
    REQUIRE(c.connected());
    std::string batch;
    for (int i = 0; i < kKeys; ++i) batch += Cmd({"SET", "{t}k" + std::to_string(i), "old"});
    REQUIRE(c.Send(batch));
    for (int i = 0; i < kKeys; ++i) REQUIRE(c.Read() == "+OK\r\n");
    // Bounded: start rewrites until one is seen part-way. A slice per loop turn is quick on an
    // idle loop, so a fast machine can finish a whole rewrite between two of these polls (each a
    // round trip to the shard's thread); then the next attempt starts another.
    int64_t dumped = -1;
    for (int attempt = 0; attempt < 50 && (dumped <= 0 || dumped >= kKeys); ++attempt) {
      REQUIRE(c.Call({"BGREWRITEAOF"}) == "+Background append only file rewriting started\r\n");
      dumped = 0;
      for (int i = 0; i < 100000 && dumped == 0; ++i) dumped = shard.KeysDumped();
    }
    REQUIRE(dumped > 0);
    REQUIRE(dumped < kKeys);
    // One transaction over every key: the dumped ones' SETs are kept, so 2+ records are copied.
    std::string tx = Cmd({"MULTI"});
    for (int i = 0; i < kKeys; ++i) tx += Cmd({"SET", "{t}k" + std::to_string(i), "new"});
    tx += Cmd({"EXEC"});
    REQUIRE(c.Send(tx));
    for (int i = 0; i <= kKeys; ++i) REQUIRE(c.Read() != "");
    CHECK(c.Read().starts_with("*" + std::to_string(kKeys) + "\r\n"));
    for (int i = 0; i < 100000 && shard.KeysDumped() >= 0; ++i) {
    }
    REQUIRE(shard.KeysDumped() == -1);
    const Records raw = RawRecords(path);
    CHECK(CheckBlocks(raw) == 1);
    // No size check: whether the rewrite was still running when the transaction arrived is up
    // to the scheduler (part-way when polled, but it may finish before the EXEC is read); the
    // block must come out whole either way.
    before = shard.Snapshot();
    shard.Stop();
  }
  CHECK(before["{t}k0"] == "string ttl=-1 : new");
  CHECK(before["{t}k999"] == "string ttl=-1 : new");
  BlockShard again(dir.path, rewrite);
  CHECK(again.Snapshot() == before);
}

TEST_CASE("aof block: a rewrite does not advance while a block is open", "[persistence]") {
  TempDir dir;
  RewriteOptions rewrite;
  rewrite.auto_percentage = 0;
  rewrite.keys_per_step = 4;
  BlockShard shard(dir.path, rewrite);
  TestClient c(shard.port());
  REQUIRE(c.connected());
  std::string batch;
  for (int i = 0; i < 400; ++i) batch += Cmd({"SET", "k" + std::to_string(i), "v"});
  REQUIRE(c.Send(batch));
  for (int i = 0; i < 400; ++i) REQUIRE(c.Read() == "+OK\r\n");
  shard.Block(true);
  CHECK(c.Call({"BGREWRITEAOF"}) == "+Background append only file rewriting started\r\n");
  // Loop turns (each a round trip) pass; the posted slices find the block open and wait.
  for (int i = 0; i < 50; ++i) REQUIRE(c.Call({"PING"}) == "+PONG\r\n");
  CHECK(shard.KeysDumped() == 0);
  shard.Block(false);
  for (int i = 0; i < 100000 && shard.KeysDumped() >= 0; ++i) {
  }
  CHECK(shard.KeysDumped() == -1);  // finished
}

}  // namespace slotproxy::server

// ShardWiring's metrics on a real in-process shard: what a scrape of the shard's collectable
// shows moves with the data (keys per slot range, AOF size, fsyncs, rewrites), labelled with
// the shard's real address; StartEmbeddedFleet hands one collectable per shard to the proxy.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "config/config.h"
#include "persistence_test_util.h"
#include "prometheus/metric_family.h"
#include "server/embedded.h"
#include "server/shard_wiring.h"
#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::TempDir;
using testing::TestClient;

EmbeddedFleetOptions Fleet(const TempDir& dir, int shards) {
  config::EmbeddedConfig embedded;
  embedded.shards = shards;
  embedded.data_dir = dir.path;
  EmbeddedFleetOptions o;
  o.fleet = config::EmbeddedFleet(embedded);
  for (int i = 0; i < shards; ++i) o.dirs.push_back(config::ShardDataDir(embedded, i));
  o.appendfsync = config::AppendFsync::kAlways;
  return o;
}

std::string Label(const prometheus::ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label) {
    if (l.name == name) return l.value;
  }
  return "";
}

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& fams,
                                     const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// One scrape, reduced to what the test compares.
struct Scrape {
  std::map<std::string, double> keys;  // by slot_range
  double keys_total = 0;
  double aof_size = -1;
  double memory = -1;
  uint64_t fsyncs = 0;
  double rewrites_ok = -1;
  std::string shard_label;
};

Scrape Take(prometheus::Collectable& c) {
  const std::vector<prometheus::MetricFamily> fams = c.Collect();
  Scrape s;
  if (const auto* f = Find(fams, "slotproxy_shard_keys")) {
    for (const auto& m : f->metric) {
      s.keys[Label(m, "slot_range")] = m.gauge.value;
      s.keys_total += m.gauge.value;
      s.shard_label = Label(m, "shard");
    }
  }
  if (const auto* f = Find(fams, "slotproxy_shard_aof_size_bytes")) {
    if (!f->metric.empty()) s.aof_size = f->metric[0].gauge.value;
  }
  if (const auto* f = Find(fams, "slotproxy_shard_memory_bytes")) {
    if (!f->metric.empty()) s.memory = f->metric[0].gauge.value;
  }
  if (const auto* f = Find(fams, "slotproxy_shard_aof_fsync_seconds")) {
    if (!f->metric.empty()) s.fsyncs = f->metric[0].histogram.sample_count;
  }
  if (const auto* f = Find(fams, "slotproxy_shard_aof_rewrites_total")) {
    for (const auto& m : f->metric) {
      if (Label(m, "result") == "ok") s.rewrites_ok = m.counter.value;
    }
  }
  return s;
}

std::string RangeOf(const std::string& key) {
  const uint32_t first = cluster::KeySlot(key) / 1024 * 1024;
  return std::to_string(first) + "-" + std::to_string(first + 1023);
}

// INFO persistence's aof_rewrite_in_progress turned 0 (bounded: the rewrite advances one slice
// per loop turn, and a handful of keys takes a few turns).
bool WaitRewriteDone(TestClient& c) {
  for (int i = 0; i < 2000; ++i) {
    const std::string info = c.Call({"INFO", "persistence"});
    if (info.find("aof_rewrite_in_progress:0") != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("a shard's metrics follow its keys, AOF, fsyncs and rewrites", "[shard_metrics]") {
  TempDir dir;
  const EmbeddedFleetOptions options = Fleet(dir, 1);
  ShardWiring* wiring = nullptr;
  auto spec = FleetShardSpec(options, 0, &wiring);
  REQUIRE(spec.ok());
  std::vector<EmbeddedShardSpec> specs;
  specs.push_back(std::move(spec.value()));
  auto started = EmbeddedShards::Start(std::move(specs));
  REQUIRE(started.ok());
  EmbeddedShards& shards = *started.value();
  REQUIRE(wiring->metrics() != nullptr);
  auto collectable = wiring->metrics()->collectable();
  auto sample = [&] {
    REQUIRE(shards
                .RunOn(0,
                       [wiring](Shard&) {
                         wiring->SampleMetrics();
                         return Status();
                       })
                .ok());
    return Take(*collectable);
  };

  const Scrape before = sample();
  CHECK(before.shard_label == "127.0.0.1:" + std::to_string(shards.ports()[0]));
  CHECK(before.keys.size() == 16);
  CHECK(before.keys_total == 0);
  CHECK(before.memory > 0);
  CHECK(before.aof_size >= 0);
  CHECK(before.rewrites_ok == 0);

  TestClient c(shards.ports()[0]);
  REQUIRE(c.connected());
  std::map<std::string, double> expected;
  for (int i = 0; i < 20; ++i) {
    const std::string key = "mkey" + std::to_string(i);
    REQUIRE(c.Call({"SET", key, "value"}) == "+OK\r\n");
    expected[RangeOf(key)] += 1;
  }
  const Scrape after = sample();
  CHECK(after.keys_total == 20);
  for (const auto& [range, n] : expected) {
    INFO(range);
    CHECK(after.keys.at(range) == n);
  }
  CHECK(after.aof_size > before.aof_size);
  // appendfsync always: every acknowledged write was synced before its reply left.
  CHECK(after.fsyncs >= before.fsyncs + 20);

  REQUIRE(c.Call({"DEL", "mkey0"}) == ":1\r\n");
  REQUIRE(c.Call({"DEL", "mkey1"}) == ":1\r\n");
  CHECK(sample().keys_total == 18);

  REQUIRE(c.Call({"BGREWRITEAOF"}) == "+Background append only file rewriting started\r\n");
  REQUIRE(WaitRewriteDone(c));
  const Scrape rewritten = sample();
  CHECK(rewritten.rewrites_ok == 1);
  // The rewrite handed over a fresh writer; its fsyncs are observed too.
  REQUIRE(c.Call({"SET", "after-rewrite", "v"}) == "+OK\r\n");
  const Scrape last = sample();
  CHECK(last.fsyncs > rewritten.fsyncs);
  CHECK(last.keys_total == 19);
  CHECK(last.rewrites_ok == 1);  // counted once, not on every sample
  shards.Stop();
}

TEST_CASE("the embedded fleet hands out one labelled collectable per shard", "[shard_metrics]") {
  TempDir dir;
  auto started = StartEmbeddedFleet(Fleet(dir, 2));
  REQUIRE(started.ok());
  EmbeddedShards& shards = *started.value();
  REQUIRE(shards.collectables().size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const Scrape s = Take(*shards.collectables()[i]);
    CHECK(s.shard_label == "127.0.0.1:" + std::to_string(shards.ports()[i]));
    CHECK(s.keys.size() == 16);
  }
  shards.Stop();
}

TEST_CASE("INFO memory counts the cached scripts as Redis does", "[shard_metrics]") {
  TempDir dir;
  auto started = StartEmbeddedFleet(Fleet(dir, 1));
  REQUIRE(started.ok());
  TestClient c(started.value()->ports()[0]);
  REQUIRE(c.connected());
  CHECK(c.Call({"INFO", "memory"}).find("\r\nnumber_of_cached_scripts:0\r\n") != std::string::npos);
  REQUIRE(c.Call({"SCRIPT", "LOAD", "return 1"}).size() == 47);  // "$40\r\n" sha "\r\n"
  CHECK(c.Call({"INFO", "memory"}).find("\r\nnumber_of_cached_scripts:1\r\n") != std::string::npos);
  started.value()->Stop();
}

}  // namespace
}  // namespace slotproxy::server

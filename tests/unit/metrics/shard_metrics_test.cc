#include "metrics/shard_metrics.h"

#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "command/command_table.h"
#include "prometheus/text_serializer.h"

namespace slotproxy::metrics {
namespace {

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& all,
                                     std::string_view name) {
  for (const auto& f : all) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string Label(const prometheus::ClientMetric& m, std::string_view name) {
  for (const auto& l : m.label) {
    if (l.name == name) return l.value;
  }
  return "";
}

TEST_CASE("shard metrics: commands, keys per range, AOF figures", "[metrics]") {
  ShardMetrics::Options opt;
  opt.shard = "127.0.0.1:7001";
  ShardMetrics m(opt);
  m.RecordCommand(command::FindCommand("set"), 3'000, false);
  m.RecordCommand(command::FindCommand("set"), 80'000, true);
  m.RecordCommand(nullptr, 1, true);
  // Slot s holds s % 3 keys: range r sums over its 1024 slots.
  m.UpdateKeysPerRange([](uint16_t s) { return static_cast<uint64_t>(s % 3); });
  m.RecordFsync(2'000'000);
  m.RecordFsync(30'000);
  m.CountAofRewrite(true);
  m.CountAofRewrite(false);
  m.CountAofRewrite(true);
  m.SetAofSizeBytes([] { return 4096.0; });
  m.SetMemoryBytes([] { return 1e6; });
  auto all = m.Collect();

  const auto* calls = Find(all, "slotproxy_shard_commands_total");
  REQUIRE(calls);
  REQUIRE(calls->metric.size() == 2);
  for (const auto& s : calls->metric) {
    CHECK(Label(s, "shard") == "127.0.0.1:7001");
    CHECK(s.counter.value == (Label(s, "command") == "set" ? 2 : 1));
  }
  const auto* dur = Find(all, "slotproxy_shard_command_duration_seconds");
  REQUIRE(dur);
  CHECK(dur->metric.size() == 2);

  const auto* keys = Find(all, "slotproxy_shard_keys");
  REQUIRE(keys);
  REQUIRE(keys->metric.size() == kSlotRanges);
  for (size_t r = 0; r < kSlotRanges; ++r) {
    uint64_t want = 0;
    for (uint32_t s = static_cast<uint32_t>(r) * 1024; s < (r + 1) * 1024; ++s) want += s % 3;
    CHECK(keys->metric[r].gauge.value == static_cast<double>(want));
  }
  CHECK(Label(keys->metric[0], "slot_range") == "0-1023");
  CHECK(Label(keys->metric[15], "slot_range") == "15360-16383");

  CHECK(Find(all, "slotproxy_shard_memory_bytes")->metric[0].gauge.value == 1e6);
  CHECK(Find(all, "slotproxy_shard_aof_size_bytes")->metric[0].gauge.value == 4096);
  const auto& fs = Find(all, "slotproxy_shard_aof_fsync_seconds")->metric[0].histogram;
  CHECK(fs.sample_count == 2);
  CHECK(fs.sample_sum == Approx(2.03e-3));
  CHECK(fs.bucket[1].cumulative_count == 1);  // 30 us <= 50 us
  const auto* rw = Find(all, "slotproxy_shard_aof_rewrites_total");
  REQUIRE(rw);
  for (const auto& s : rw->metric) {
    CHECK(s.counter.value == (Label(s, "result") == "ok" ? 2 : 1));
  }
  CHECK(Find(all, "process_open_fds") == nullptr);  // embedded default: the proxy exports them

  // A keys source replaces the stored counts; the standalone shard adds process metrics.
  ShardMetrics::Options solo;
  solo.process_metrics = true;
  ShardMetrics s(solo);
  s.SetKeysPerSlotRange([] {
    std::array<uint64_t, kSlotRanges> a{};
    a[3] = 9;
    return a;
  });
  auto sa = s.Collect();
  CHECK(Find(sa, "slotproxy_shard_keys")->metric[3].gauge.value == 9);
  CHECK(Find(sa, "process_open_fds") != nullptr);
  CHECK(Find(sa, "slotproxy_shard_memory_bytes")->metric[0].gauge.value > 0);  // RSS
  CHECK(Find(sa, "slotproxy_shard_aof_size_bytes")->metric[0].gauge.value == 0);
  s.StoreAofSize(123);
  s.StoreMemory(456);
  auto sb = s.Collect();
  CHECK(Find(sb, "slotproxy_shard_aof_size_bytes")->metric[0].gauge.value == 123);
  CHECK(Find(sb, "slotproxy_shard_memory_bytes")->metric[0].gauge.value == 456);
}

TEST_CASE("shard metrics: fsync from two threads", "[metrics]") {
  ShardMetrics m({});
  auto sync = [&] {
    for (int i = 0; i < 10'000; ++i) m.RecordFsync(1'000);
  };
  std::thread a(sync), b(sync);
  a.join();
  b.join();
  auto all = m.Collect();
  CHECK(Find(all, "slotproxy_shard_aof_fsync_seconds")->metric[0].histogram.sample_count == 20'000);
}

TEST_CASE("shard metrics: merged with the proxy, one family per name", "[metrics]") {
  ProxyMetrics proxy({});
  ShardMetrics::Options a, b;
  a.shard = "127.0.0.1:7001";
  b.shard = "127.0.0.1:7002";
  ShardMetrics s1(a), s2(b);
  s1.RecordCommand(command::FindCommand("get"), 1, false);
  s2.RecordCommand(command::FindCommand("get"), 1, false);
  auto merged = MergeCollectables({proxy.collectable(), s1.collectable(), s2.collectable()});
  auto all = merged->Collect();
  std::set<std::string> names;
  for (const auto& f : all) CHECK(names.insert(f.name).second);
  CHECK(Find(all, "slotproxy_shard_commands_total")->metric.size() == 2);
  CHECK(Find(all, "slotproxy_shard_keys")->metric.size() == 2 * kSlotRanges);
  CHECK(Find(all, "slotproxy_commands_total") != nullptr);
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, all);
  CHECK(text.str().find(
            "slotproxy_shard_commands_total{shard=\"127.0.0.1:7002\",command=\"get\"} 1") !=
        std::string::npos);
}

}  // namespace
}  // namespace slotproxy::metrics

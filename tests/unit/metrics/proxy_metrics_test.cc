#include "metrics/proxy_metrics.h"

#include <cmath>
#include <sstream>

#include <catch2/catch.hpp>

#include "command/command_table.h"
#include "metrics/families.h"
#include "prometheus/text_serializer.h"

namespace slotproxy::metrics {
namespace {

const prometheus::MetricFamily& Family(const std::vector<prometheus::MetricFamily>& all,
                                       std::string_view name) {
  for (const auto& f : all) {
    if (f.name == name) return f;
  }
  FAIL("no family " << name);
  return all.front();
}

// The sample of `f` whose labels are exactly `labels`.
const prometheus::ClientMetric& Sample(const prometheus::MetricFamily& f,
                                       const LabelPairs& labels) {
  for (const auto& m : f.metric) {
    if (m.label.size() != labels.size()) continue;
    bool same = true;
    for (size_t i = 0; i < labels.size(); ++i) {
      same = same && m.label[i].name == labels[i].first && m.label[i].value == labels[i].second;
    }
    if (same) return m;
  }
  FAIL("no sample in " << f.name);
  return f.metric.front();
}

std::string Text(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

TEST_CASE("proxy metrics: worker figures are summed at scrape time", "[metrics]") {
  ProxyMetrics::Options opt;
  opt.workers = 3;
  ProxyMetrics m(opt);
  REQUIRE(m.workers() == 3);
  const auto* get = command::FindCommand("get");
  m.worker(0).RecordCommand(get, 20'000, 10'000, false);
  m.worker(1).RecordCommand(get, 40'000, 30'000, true);
  m.worker(2).RecordCommand(nullptr, 1, 0, true);
  m.worker(0).RecordBackendRtt("127.0.0.1:7000", 30'000);
  m.worker(2).RecordBackendRtt("127.0.0.1:7000", 30'000);
  m.worker(1).CountBackendConnect("127.0.0.1:7001", false);
  m.worker(0).CountMoved();
  m.worker(1).CountMoved();
  m.worker(2).CountAsk();
  m.worker(2).AddBytes(10, 20);
  m.worker(1).AddBytes(1, 2);
  auto all = m.Collect();

  CHECK(Sample(Family(all, "slotproxy_commands_total"), {{"command", "get"}}).counter.value == 2);
  CHECK(Sample(Family(all, "slotproxy_commands_total"), {{"command", "unknown"}}).counter.value ==
        1);
  CHECK(Sample(Family(all, "slotproxy_command_errors_total"), {{"command", "get"}}).counter.value ==
        1);
  CHECK(Sample(Family(all, "slotproxy_command_backend_seconds_total"), {{"command", "get"}})
            .counter.value == Approx(40e-6));
  const auto& h =
      Sample(Family(all, "slotproxy_command_duration_seconds"), {{"command", "get"}}).histogram;
  CHECK(h.sample_count == 2);
  CHECK(h.sample_sum == Approx(60e-6));
  REQUIRE(h.bucket.size() == kBucketSlots);
  CHECK(h.bucket[0].cumulative_count == 1);  // 20 us <= 25 us
  CHECK(h.bucket[1].cumulative_count == 2);  // 40 us <= 50 us
  CHECK(h.bucket.back().cumulative_count == 2);
  CHECK(std::isinf(h.bucket.back().upper_bound));
  const auto& rtt =
      Sample(Family(all, "slotproxy_backend_rtt_seconds"), {{"node", "127.0.0.1:7000"}}).histogram;
  CHECK(rtt.sample_count == 2);
  CHECK(Sample(Family(all, "slotproxy_backend_connects_total"),
               {{"node", "127.0.0.1:7001"}, {"result", "failed"}})
            .counter.value == 1);
  CHECK(Sample(Family(all, "slotproxy_redirections_total"), {{"kind", "moved"}}).counter.value ==
        2);
  CHECK(Sample(Family(all, "slotproxy_redirections_total"), {{"kind", "ask"}}).counter.value == 1);
  CHECK(Sample(Family(all, "slotproxy_received_bytes_total"), {}).counter.value == 11);
  CHECK(Sample(Family(all, "slotproxy_sent_bytes_total"), {}).counter.value == 22);
}

TEST_CASE("proxy metrics: callback gauges and fixed label sets", "[metrics]") {
  ProxyMetrics m({});
  auto before = m.Collect();
  // Unset sources: scalars 0, fixed label sets all present at 0, node sets empty.
  CHECK(Sample(Family(before, "slotproxy_client_connections"), {}).gauge.value == 0);
  CHECK(Family(before, "slotproxy_topology_refreshes_total").metric.size() == 5);
  CHECK(Sample(Family(before, "slotproxy_config_reloads_total"), {{"result", "failed"}})
            .counter.value == 0);
  CHECK(Family(before, "slotproxy_slots").metric.empty());

  m.SetClientConnections([] { return 12.0; });
  m.SetPendingRequests([] { return 3.0; });
  m.SetSlotMapVersion([] { return 7.0; });
  m.SetSlotMapAgeSeconds([] { return 1.5; });
  m.SetBackendConnections([] { return std::vector<LabeledValue>{{"a:1", 2}, {"b:2", 4}}; });
  m.SetSlotsPerNode([] { return std::vector<LabeledValue>{{"a:1", 8192}, {"b:2", 8192}}; });
  m.SetTopologyRefreshes([] { return std::vector<LabeledValue>{{"moved", 5}}; });
  m.SetConfigReloads([] { return std::vector<LabeledValue>{{"ok", 2}, {"failed", 1}}; });
  auto all = m.Collect();
  CHECK(Sample(Family(all, "slotproxy_client_connections"), {}).gauge.value == 12);
  CHECK(Sample(Family(all, "slotproxy_pending_requests"), {}).gauge.value == 3);
  CHECK(Sample(Family(all, "slotproxy_slot_map_version"), {}).gauge.value == 7);
  CHECK(Sample(Family(all, "slotproxy_slot_map_age_seconds"), {}).gauge.value == 1.5);
  CHECK(Sample(Family(all, "slotproxy_backend_connections"), {{"node", "b:2"}}).gauge.value == 4);
  CHECK(Sample(Family(all, "slotproxy_slots"), {{"node", "a:1"}}).gauge.value == 8192);
  const auto& refreshes = Family(all, "slotproxy_topology_refreshes_total");
  CHECK(refreshes.metric.size() == 5);
  CHECK(Sample(refreshes, {{"trigger", "moved"}}).counter.value == 5);
  CHECK(Sample(refreshes, {{"trigger", "periodic"}}).counter.value == 0);
  CHECK(Sample(Family(all, "slotproxy_config_reloads_total"), {{"result", "ok"}}).counter.value ==
        2);
}

TEST_CASE("proxy metrics: every README name is in the text exposition", "[metrics]") {
  ProxyMetrics m({});
  m.worker(0).RecordCommand(command::FindCommand("client|list"), 1000, 0, false);
  m.worker(0).RecordBackendRtt("127.0.0.1:7000", 1000);
  std::string text = Text(m.Collect());
  for (const char* name :
       {"slotproxy_commands_total{command=\"client|list\"} 1",
        "slotproxy_command_errors_total",
        "slotproxy_command_duration_seconds_bucket{command="
        "\"client|list\",le=\"2.5e-05\"} 1",
        "slotproxy_command_duration_seconds_bucket{command=\"client|list\",le=\"+Inf\"} 1",
        "slotproxy_command_duration_seconds_count{command=\"client|list\"} 1",
        "slotproxy_backend_rtt_seconds_bucket",
        "slotproxy_redirections_total",
        "slotproxy_tryagain_retries_total",
        "slotproxy_topology_refreshes_total",
        "slotproxy_backend_connects_total",
        "slotproxy_backend_timeouts_total",
        "slotproxy_protocol_errors_total",
        "slotproxy_received_bytes_total",
        "slotproxy_sent_bytes_total",
        "slotproxy_config_reloads_total",
        "slotproxy_client_connections",
        "slotproxy_backend_connections",
        "slotproxy_pending_requests",
        "slotproxy_slot_map_version",
        "slotproxy_slot_map_age_seconds",
        "slotproxy_slots",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_cpu_seconds_total",
        "process_start_time_seconds",
        "# TYPE slotproxy_command_duration_seconds histogram",
        "# TYPE slotproxy_commands_total counter"}) {
    INFO(name);
    CHECK(text.find(name) != std::string::npos);
  }
}

TEST_CASE("proxy metrics: the Collectable is the same view", "[metrics]") {
  ProxyMetrics m({});
  m.worker(0).CountTryAgain();
  auto fams = m.collectable()->Collect();
  CHECK(Sample(Family(fams, "slotproxy_tryagain_retries_total"), {}).counter.value == 1);
  CHECK(m.registry() != nullptr);
  // The shared slowlog is wired into every worker.
  m.slowlog().SetThresholdUs(0);
  std::string_view args[] = {"PING"};
  m.worker(0).RecordSlow(args, 1, 1000, 0, "a", "");
  CHECK(m.slowlog().Len() == 1);
}

}  // namespace
}  // namespace slotproxy::metrics

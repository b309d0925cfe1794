// The exposition text (proxy and embedded shards merged, as on the proxy's /metrics) passes
// Prometheus's own linter, `promtool check metrics` (skipped when promtool is not installed).
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "command/command_table.h"
#include "metrics/proxy_metrics.h"
#include "metrics/shard_metrics.h"
#include "prometheus/text_serializer.h"
#include "unit/metrics/promtool_util.h"

namespace slotproxy::metrics {
namespace {

TEST_CASE("exposition passes promtool check metrics", "[metrics]") {
  if (!testing::Promtool("")) {
    WARN("promtool not installed: skipped");
    return;
  }
  ProxyMetrics proxy({});
  proxy.worker(0).RecordCommand(command::FindCommand("get"), 30'000, 1'000, false);
  proxy.worker(0).RecordCommand(nullptr, 30'000, 0, true);
  proxy.worker(0).RecordBackendRtt("127.0.0.1:7000", 1'000);
  proxy.worker(0).CountBackendConnect("127.0.0.1:7000", true);
  proxy.SetSlotsPerNode([] { return std::vector<LabeledValue>{{"127.0.0.1:7000", 16384}}; });
  proxy.SetBackendConnections([] { return std::vector<LabeledValue>{{"127.0.0.1:7000", 2}}; });
  ShardMetrics::Options so;
  so.shard = "127.0.0.1:7000";
  ShardMetrics shard(so);
  shard.RecordCommand(command::FindCommand("get"), 1'000, false);
  shard.RecordFsync(100'000);
  auto merged = MergeCollectables({proxy.collectable(), shard.collectable()});
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, merged->Collect());

  auto lint = testing::Promtool(text.str());
  REQUIRE(lint);
  INFO(lint->output);
  CHECK(lint->exit_code == 0);
  CHECK(lint->output.empty());  // no lint findings either
}

}  // namespace
}  // namespace slotproxy::metrics

#include "metrics/info_text.h"

#include <catch2/catch.hpp>

#include "command/command_table.h"
#include "metrics/proxy_metrics.h"

namespace slotproxy::metrics {
namespace {

const command::CommandInfo* Row(std::string_view name) {
  const command::CommandInfo* row = command::FindCommand(name);
  REQUIRE(row != nullptr);
  return row;
}

TEST_CASE("info: commandstats lines in Redis 7.0's format, sorted", "[metrics]") {
  LoopStats stats({});
  stats.RecordCommand(Row("set"), 14'000, 0, false);
  stats.RecordCommand(Row("get"), 5'000, 0, false);
  stats.RecordCommand(Row("get"), 6'999, 0, true);  // 6.999 us: usec sums in whole us
  stats.RecordCommand(Row("client|list"), 19'500, 0, false);
  stats.RecordCommand(nullptr, 1'000, 0, true);  // unknown: not listed
  StatsSnapshot snap;
  stats.AddTo(&snap);
  std::string out;
  AppendCommandStats(snap, &out);
  CHECK(out ==
        "# Commandstats\r\n"
        "cmdstat_client|list:calls=1,usec=19,usec_per_call=19.00,rejected_calls=0,"
        "failed_calls=0\r\n"
        "cmdstat_get:calls=2,usec=11,usec_per_call=5.50,rejected_calls=0,failed_calls=1\r\n"
        "cmdstat_set:calls=1,usec=14,usec_per_call=14.00,rejected_calls=0,failed_calls=0\r\n");
}

TEST_CASE("info: usec_per_call rounds like Redis's float division", "[metrics]") {
  LoopStats stats({});
  for (int i = 0; i < 3; ++i) stats.RecordCommand(Row("get"), i == 0 ? 2'000 : 1'000, 0, false);
  StatsSnapshot snap;
  stats.AddTo(&snap);
  std::string out;
  AppendCommandStats(snap, &out);
  CHECK(out.find("cmdstat_get:calls=3,usec=4,usec_per_call=1.33,") != std::string::npos);
}

TEST_CASE("info: latencystats percentiles from the histogram", "[metrics]") {
  LoopStats stats({});
  // 1000 calls of 10 us (bucket <= 25 us) and 10 of 100 us (bucket (50, 100] us).
  for (int i = 0; i < 1000; ++i) stats.RecordCommand(Row("get"), 10'000, 0, false);
  for (int i = 0; i < 10; ++i) stats.RecordCommand(Row("get"), 100'000, 0, false);
  StatsSnapshot snap;
  stats.AddTo(&snap);
  std::string out;
  AppendLatencyStats(snap, &out);
  // p50: rank 505 of 1000 in [0, 25] us -> 12.625; p99: rank 999.9 -> 24.9975 (printed 24.997:
  // the double is just below);
  // p99.9: rank 1008.99 is the 8.99th of 10 in (50, 100] -> 94.950.
  CHECK(out ==
        "# Latencystats\r\n"
        "latency_percentiles_usec_get:p50=12.625,p99=24.997,p99.9=94.950\r\n");
  std::string custom;
  const double ps[] = {0.5, 100};
  AppendLatencyStats(snap, &custom, ps);
  CHECK(custom.find("latency_percentiles_usec_get:p0.5=") != std::string::npos);
  CHECK(custom.find(",p100=100.000\r\n") != std::string::npos);
}

TEST_CASE("info: CONFIG RESETSTAT baseline for INFO only", "[metrics]") {
  ProxyMetrics m({});
  m.worker(0).RecordCommand(Row("get"), 1'000, 0, false);
  m.worker(0).RecordCommand(Row("set"), 1'000, 0, false);
  m.ResetInfoStats();
  m.worker(0).RecordCommand(Row("get"), 3'000, 0, true);
  StatsSnapshot info = m.InfoSnapshot();
  REQUIRE(info.commands.size() == 1);
  CHECK(info.commands.at(Row("get")).latency.Count() == 1);
  CHECK(info.commands.at(Row("get")).latency.sum_ns == 3'000);
  CHECK(info.commands.at(Row("get")).failed == 1);
  // Prometheus's view still counts from the start.
  CHECK(m.Snapshot().commands.at(Row("get")).latency.Count() == 2);
  std::string out;
  AppendCommandStats(info, &out);
  CHECK(out ==
        "# Commandstats\r\n"
        "cmdstat_get:calls=1,usec=3,usec_per_call=3.00,rejected_calls=0,failed_calls=1\r\n");
}

}  // namespace
}  // namespace slotproxy::metrics

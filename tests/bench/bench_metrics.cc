// Hot-path cost of the proxy's per-worker figures (LoopStats: relaxed single-writer atomics)
// against prometheus-cpp's own Histogram::Observe (a mutex per observation), which is what
// the design avoids. Single-threaded: the uncontended cost, the best case for the mutex.
//
//   cmake --build build --target bench_metrics && ./build/tests/bench/bench_metrics
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <vector>

#include "command/command_table.h"
#include "metrics/latency_buckets.h"
#include "metrics/loop_stats.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace {

using slotproxy::metrics::BucketBoundSeconds;
using slotproxy::metrics::kFiniteBuckets;
using slotproxy::metrics::LoopStats;

// Latencies spread over several buckets (ns), cycled by every benchmark alike.
constexpr std::array<uint64_t, 8> kLatencies = {12'000,  31'000,    64'000,    90'000,
                                                250'000, 1'100'000, 7'000'000, 40'000};

LoopStats::Options Opts() {
  LoopStats::Options o;
  o.max_commands =
      slotproxy::metrics::CountCommandRows(slotproxy::command::CommandTable::BuiltIn());
  return o;
}

// One command over and over (a GET benchmark): the one-entry row cache hits.
void BM_RecordCommand_SameRow(benchmark::State& state) {
  LoopStats stats(Opts());
  const auto* get = slotproxy::command::FindCommand("get");
  size_t i = 0;
  for (auto _ : state) {
    stats.RecordCommand(get, kLatencies[i++ & 7], 10'000, false);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordCommand_SameRow);

// Alternating commands: every call misses the cache and looks the row up in the hash map.
void BM_RecordCommand_MixedRows(benchmark::State& state) {
  LoopStats stats(Opts());
  std::vector<const slotproxy::command::CommandInfo*> rows;
  for (const char* n : {"get", "set", "mget", "hset", "incr", "del", "lpush", "zadd"}) {
    rows.push_back(slotproxy::command::FindCommand(n));
  }
  size_t i = 0;
  for (auto _ : state) {
    stats.RecordCommand(rows[i & 7], kLatencies[i & 7], 10'000, (i & 15) == 0);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordCommand_MixedRows);

// Backend RTT per node, alternating between 3 nodes (name compare + hash lookup).
void BM_RecordBackendRtt_3Nodes(benchmark::State& state) {
  LoopStats stats(Opts());
  const std::array<std::string_view, 3> nodes = {"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"};
  size_t i = 0;
  for (auto _ : state) {
    stats.RecordBackendRtt(nodes[i % 3], kLatencies[i & 7]);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordBackendRtt_3Nodes);

// prometheus-cpp: one labelled histogram child and one counter child per command, as a naive
// exporter would do on every request (the Family lookup is done once, outside the loop).
void BM_PrometheusHistogramObserve(benchmark::State& state) {
  prometheus::Registry registry;
  prometheus::Histogram::BucketBoundaries bounds;
  for (size_t i = 0; i < kFiniteBuckets; ++i) bounds.push_back(BucketBoundSeconds(i));
  auto& hist = prometheus::BuildHistogram().Name("bench_seconds").Register(registry);
  prometheus::Histogram& h = hist.Add({{"command", "get"}}, bounds);
  size_t i = 0;
  for (auto _ : state) {
    h.Observe(static_cast<double>(kLatencies[i++ & 7]) / 1e9);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PrometheusHistogramObserve);

void BM_PrometheusObservePlusCounter(benchmark::State& state) {
  prometheus::Registry registry;
  prometheus::Histogram::BucketBoundaries bounds;
  for (size_t i = 0; i < kFiniteBuckets; ++i) bounds.push_back(BucketBoundSeconds(i));
  auto& hist = prometheus::BuildHistogram().Name("bench_seconds").Register(registry);
  auto& ctr = prometheus::BuildCounter().Name("bench_errors_total").Register(registry);
  prometheus::Histogram& h = hist.Add({{"command", "get"}}, bounds);
  prometheus::Counter& c = ctr.Add({{"command", "get"}});
  size_t i = 0;
  for (auto _ : state) {
    h.Observe(static_cast<double>(kLatencies[i & 7]) / 1e9);
    if ((i & 15) == 0) c.Increment();
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PrometheusObservePlusCounter);

// Two workers at once: prometheus-cpp's children are shared (one mutex, one cache line), the
// LoopStats are per worker. On a loaded machine read the CPU column, not the wall one.
prometheus::Histogram& SharedHistogram() {
  static prometheus::Registry registry;
  static prometheus::Histogram* h = [] {
    prometheus::Histogram::BucketBoundaries bounds;
    for (size_t i = 0; i < kFiniteBuckets; ++i) bounds.push_back(BucketBoundSeconds(i));
    auto& fam = prometheus::BuildHistogram().Name("shared_seconds").Register(registry);
    return &fam.Add({{"command", "get"}}, bounds);
  }();
  return *h;
}

void BM_Prometheus_TwoThreads(benchmark::State& state) {
  prometheus::Histogram& h = SharedHistogram();
  size_t i = 0;
  for (auto _ : state) h.Observe(static_cast<double>(kLatencies[i++ & 7]) / 1e9);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Prometheus_TwoThreads)->Threads(2);

void BM_LoopStats_TwoThreads(benchmark::State& state) {
  LoopStats stats(Opts());  // one per thread, as one per worker
  const auto* get = slotproxy::command::FindCommand("get");
  size_t i = 0;
  for (auto _ : state) stats.RecordCommand(get, kLatencies[i++ & 7], 10'000, false);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoopStats_TwoThreads)->Threads(2);

}  // namespace

BENCHMARK_MAIN();

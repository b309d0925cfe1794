// Cost of one SlowLog::Add once the log is full: the steady state when every request is slower
// than the threshold (an overloaded proxy). Entries reuse the evicted entry's storage, so this
// allocates nothing; compare with the fast path, which never calls Add.
//
//   cmake --build build --target bench_slowlog && ./build/tests/bench/bench_slowlog
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "metrics/slowlog.h"

namespace {

using slotproxy::metrics::SlowLog;

// A SET as most slow requests look.
void BM_Add_Set(benchmark::State& state) {
  SlowLog log(128, 0);
  std::vector<std::string> keys;
  for (int i = 0; i < 256; ++i) keys.push_back("key:" + std::to_string(100000 + i));
  const std::string value = "value-of-some-length-xxxxxxxx";
  size_t i = 0;
  for (auto _ : state) {
    const std::string_view args[] = {"SET", keys[i++ % keys.size()], value};
    log.Add(args, 3, 20'000'000, 19'000'000, "127.0.0.1:54321", "");
  }
  benchmark::DoNotOptimize(log.Len());
}
BENCHMARK(BM_Add_Set);

// 40 arguments of 200 bytes: the truncated case (32 kept, 128 bytes each).
void BM_Add_Truncated(benchmark::State& state) {
  SlowLog log(128, 0);
  std::vector<std::string> storage(40, std::string(200, 'x'));
  const std::vector<std::string_view> args(storage.begin(), storage.end());
  for (auto _ : state) {
    log.Add(args.data(), args.size(), 20'000'000, 19'000'000, "127.0.0.1:54321", "worker-7");
  }
  benchmark::DoNotOptimize(log.Len());
}
BENCHMARK(BM_Add_Truncated);

// The check every request pays (the session's own is a plain comparison of the same kind).
void BM_IsSlow_Fast(benchmark::State& state) {
  SlowLog log(128, 10'000);
  uint64_t ns = 100'000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(log.IsSlow(ns));
    ns ^= 1;
  }
}
BENCHMARK(BM_IsSlow_Fast);

}  // namespace

BENCHMARK_MAIN();

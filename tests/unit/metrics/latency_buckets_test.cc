#include "metrics/latency_buckets.h"

#include <catch2/catch.hpp>

namespace slotproxy::metrics {
namespace {

TEST_CASE("latency buckets: bounds are 25 us doubling to 1.6384 s", "[metrics]") {
  CHECK(BucketBoundNs(0) == 25'000);
  CHECK(BucketBoundNs(1) == 50'000);
  CHECK(BucketBoundNs(kFiniteBuckets - 1) == 1'638'400'000);
  CHECK(BucketBoundSeconds(0) == Approx(25e-6));
  CHECK(BucketBoundSeconds(16) == Approx(1.6384));
}

TEST_CASE("latency buckets: le is inclusive, one past a bound moves up", "[metrics]") {
  CHECK(LatencyBucket(0) == 0);
  CHECK(LatencyBucket(1) == 0);
  CHECK(LatencyBucket(25'000) == 0);
  CHECK(LatencyBucket(25'001) == 1);
  CHECK(LatencyBucket(50'000) == 1);
  CHECK(LatencyBucket(50'001) == 2);
  CHECK(LatencyBucket(1'638'400'000) == 16);
  CHECK(LatencyBucket(1'638'400'001) == kFiniteBuckets);
  CHECK(LatencyBucket(UINT64_MAX) == kFiniteBuckets);
  // Every bound and its neighbours, against the definition (first bound >= ns).
  for (size_t i = 0; i < kFiniteBuckets; ++i) {
    uint64_t b = BucketBoundNs(i);
    for (uint64_t ns : {b - 1, b, b + 1}) {
      size_t want = kFiniteBuckets;
      for (size_t j = 0; j < kFiniteBuckets; ++j) {
        if (ns <= BucketBoundNs(j)) {
          want = j;
          break;
        }
      }
      INFO("ns=" << ns);
      CHECK(LatencyBucket(ns) == want);
    }
  }
}

TEST_CASE("latency buckets: quantiles interpolate as histogram_quantile", "[metrics]") {
  HistogramCounts h;
  CHECK(QuantileNs(h, 0.5) == 0);
  // 100 observations in (25, 50] us: p50 is the middle of the bucket.
  for (int i = 0; i < 100; ++i) h.Observe(30'000);
  CHECK(h.Count() == 100);
  CHECK(h.sum_ns == 3'000'000);
  CHECK(QuantileNs(h, 0.5) == Approx(37'500));
  CHECK(QuantileNs(h, 1.0) == Approx(50'000));
  // One slow outlier beyond the last bound: p100 is capped at the largest finite bound.
  h.Observe(5'000'000'000);
  CHECK(QuantileNs(h, 1.0) == Approx(1'638'400'000.0));
  CHECK(QuantileNs(h, 0.99) == Approx(25'000 + 25'000 * (99.99 / 100)));
  // First bucket interpolates from 0.
  HistogramCounts low;
  for (int i = 0; i < 4; ++i) low.Observe(10);
  CHECK(QuantileNs(low, 0.5) == Approx(12'500));
}

TEST_CASE("latency buckets: Add sums bucket by bucket", "[metrics]") {
  HistogramCounts a, b;
  a.Observe(1);
  b.Observe(1);
  b.Observe(100'000);
  a.Add(b);
  CHECK(a.buckets[0] == 2);
  CHECK(a.buckets[2] == 1);
  CHECK(a.Count() == 3);
  CHECK(a.sum_ns == 100'002);
}

}  // namespace
}  // namespace slotproxy::metrics

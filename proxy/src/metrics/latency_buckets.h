// Latency bucket math shared by every histogram this module exports: upper bounds of 25 µs
// doubling to ~1.6 s (25e-6 * 2^i, i = 0..16) plus +Inf, the buckets the dashboards and the
// README promise. Integer-only on the hot path (no log2, no floating point).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace slotproxy::metrics {

// Finite buckets (upper bounds 25 µs .. 1.6384 s) and the slots including +Inf.
inline constexpr size_t kFiniteBuckets = 17;
inline constexpr size_t kBucketSlots = kFiniteBuckets + 1;
inline constexpr uint64_t kFirstBoundNs = 25'000;

// The bucket a duration of `ns` falls in, as Prometheus counts it: the first bucket whose upper
// bound is >= ns (bounds are inclusive, "le"); kFiniteBuckets (+Inf) past 1.6384 s.
constexpr size_t LatencyBucket(uint64_t ns) {
  if (ns <= kFirstBoundNs) return 0;
  // ns <= 25000 * 2^i  <=>  (ns - 1) / 25000 < 2^i  <=>  i >= bit_width((ns - 1) / 25000).
  size_t i = static_cast<size_t>(std::bit_width((ns - 1) / kFirstBoundNs));
  return i < kFiniteBuckets ? i : kFiniteBuckets;
}

// Upper bound of finite bucket `i` (< kFiniteBuckets) in nanoseconds.
constexpr uint64_t BucketBoundNs(size_t i) { return kFirstBoundNs << i; }

// Upper bound of finite bucket `i` (< kFiniteBuckets) in seconds, as exported in "le".
constexpr double BucketBoundSeconds(size_t i) {
  return static_cast<double>(BucketBoundNs(i)) / 1e9;
}

// Plain (non-atomic) bucket counts of one histogram: what a scrape reads and sums over workers.
// buckets[i] counts observations of bucket i only (not cumulative); the last is +Inf.
struct HistogramCounts {
  std::array<uint64_t, kBucketSlots> buckets{};
  uint64_t sum_ns = 0;

  // Observations in all buckets.
  uint64_t Count() const {
    uint64_t n = 0;
    for (uint64_t b : buckets) n += b;
    return n;
  }
  // Adds `other` bucket by bucket (folding workers together).
  void Add(const HistogramCounts& other) {
    for (size_t i = 0; i < kBucketSlots; ++i) buckets[i] += other.buckets[i];
    sum_ns += other.sum_ns;
  }
  // Counts one observation (scrape-side helpers and tests; the hot path uses AtomicHistogram).
  void Observe(uint64_t ns) {
    ++buckets[LatencyBucket(ns)];
    sum_ns += ns;
  }
};

// The value below which a fraction `q` (0..1) of the observations fall, in nanoseconds,
// interpolated linearly inside the bucket that holds the rank (as PromQL's histogram_quantile,
// so INFO latencystats and the dashboards agree). The first bucket's lower bound is 0; a rank
// in +Inf yields the largest finite bound. 0 when there are no observations.
double QuantileNs(const HistogramCounts& h, double q);

}  // namespace slotproxy::metrics

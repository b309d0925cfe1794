#include "metrics/latency_buckets.h"

#include <cmath>

namespace slotproxy::metrics {

double QuantileNs(const HistogramCounts& h, double q) {
  uint64_t total = h.Count();
  if (total == 0) return 0;
  if (q < 0) q = 0;
  if (q > 1) q = 1;
  // histogram_quantile's rank: q * count, found in the first bucket whose cumulative count
  // reaches it, then interpolated between that bucket's bounds.
  double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < kFiniteBuckets; ++i) {
    uint64_t in = h.buckets[i];
    if (in > 0 && static_cast<double>(below + in) >= rank) {
      double lower = i == 0 ? 0.0 : static_cast<double>(BucketBoundNs(i - 1));
      double upper = static_cast<double>(BucketBoundNs(i));
      double frac = (rank - static_cast<double>(below)) / static_cast<double>(in);
      return lower + (upper - lower) * frac;
    }
    below += in;
  }
  return static_cast<double>(BucketBoundNs(kFiniteBuckets - 1));
}

}  // namespace slotproxy::metrics

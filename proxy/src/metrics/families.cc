#include "metrics/families.h"

#include <algorithm>
#include <limits>

namespace slotproxy::metrics {
namespace {

std::vector<prometheus::ClientMetric::Label> ToLabels(LabelPairs labels) {
  std::vector<prometheus::ClientMetric::Label> out;
  out.reserve(labels.size());
  for (auto& [name, value] : labels) {
    prometheus::ClientMetric::Label l;
    l.name = std::move(name);
    l.value = std::move(value);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

prometheus::MetricFamily NewFamily(std::string name, std::string help,
                                   prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void AddSample(prometheus::MetricFamily* family, LabelPairs labels, double value) {
  prometheus::ClientMetric m;
  m.label = ToLabels(std::move(labels));
  switch (family->type) {
    case prometheus::MetricType::Counter:
      m.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      m.gauge.value = value;
      break;
    default:
      m.untyped.value = value;
      break;
  }
  family->metric.push_back(std::move(m));
}

void AddHistogram(prometheus::MetricFamily* family, LabelPairs labels, const HistogramCounts& h) {
  prometheus::ClientMetric m;
  m.label = ToLabels(std::move(labels));
  m.histogram.bucket.reserve(kBucketSlots);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBucketSlots; ++i) {
    cumulative += h.buckets[i];
    prometheus::ClientMetric::Bucket b;
    b.cumulative_count = cumulative;
    b.upper_bound =
        i < kFiniteBuckets ? BucketBoundSeconds(i) : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back(b);
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(h.sum_ns) / 1e9;
  family->metric.push_back(std::move(m));
}

void SortSamples(prometheus::MetricFamily* family) {
  std::sort(family->metric.begin(), family->metric.end(),
            [](const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) {
              return a.label < b.label;
            });
}

}  // namespace slotproxy::metrics

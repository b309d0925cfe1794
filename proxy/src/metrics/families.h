// Helpers that build prometheus::MetricFamily values at scrape time from plain figures (the
// custom Collectables of ProxyMetrics and ShardMetrics). Scrape thread only; allocation is fine.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/latency_buckets.h"
#include "prometheus/metric_family.h"

namespace slotproxy::metrics {

// Label name/value pairs of one sample.
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

// A family with no samples yet.
prometheus::MetricFamily NewFamily(std::string name, std::string help, prometheus::MetricType type);

// Appends one counter / gauge sample (by the family's type) with `labels`.
void AddSample(prometheus::MetricFamily* family, LabelPairs labels, double value);

// Appends one histogram sample: cumulative buckets at the module's bounds (seconds) and +Inf,
// sample_count and sample_sum (seconds).
void AddHistogram(prometheus::MetricFamily* family, LabelPairs labels, const HistogramCounts& h);

// Sorts the samples of `family` by their labels, so every scrape lists them in one order.
void SortSamples(prometheus::MetricFamily* family);

}  // namespace slotproxy::metrics

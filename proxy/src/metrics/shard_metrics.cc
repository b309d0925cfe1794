#include "metrics/shard_metrics.h"

#include <algorithm>

#include "command/command_info.h"
#include "metrics/families.h"
#include "metrics/process_metrics.h"

namespace slotproxy::metrics {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

class Adapter : public prometheus::Collectable {
 public:
  explicit Adapter(std::function<std::vector<MetricFamily>()> fn) : fn_(std::move(fn)) {}
  std::vector<MetricFamily> Collect() const override { return fn_(); }

 private:
  std::function<std::vector<MetricFamily>()> fn_;
};

std::string RangeLabel(size_t i) {
  return std::to_string(i * kSlotsPerRange) + "-" + std::to_string((i + 1) * kSlotsPerRange - 1);
}

}  // namespace

ShardMetrics::ShardMetrics(Options options)
    : options_(std::move(options)),
      loop_(LoopStats::Options{options_.max_commands, 1, nullptr}),
      collectable_(std::make_shared<Adapter>([this] { return Collect(); })) {}

void ShardMetrics::UpdateKeysPerRange(const std::function<uint64_t(uint16_t slot)>& count_in_slot) {
  for (size_t r = 0; r < kSlotRanges; ++r) {
    uint64_t sum = 0;
    for (uint32_t s = 0; s < kSlotsPerRange; ++s) {
      sum += count_in_slot(static_cast<uint16_t>(r * kSlotsPerRange + s));
    }
    keys_[r].store(sum, std::memory_order_relaxed);
  }
}

void ShardMetrics::RecordFsync(uint64_t ns) {
  // Two threads may sync (appendfsync always: the loop; everysec: the AOF's thread), and
  // fsyncs are rare: a locked add is fine here.
  fsync_buckets_[LatencyBucket(ns)].fetch_add(1, std::memory_order_relaxed);
  fsync_sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

void ShardMetrics::CountAofRewrite(bool ok) {
  (ok ? rewrites_ok_ : rewrites_failed_).fetch_add(1, std::memory_order_relaxed);
}

void ShardMetrics::SetMemoryBytes(ScalarSource fn) {
  std::lock_guard lock(sources_mu_);
  memory_ = std::move(fn);
}
void ShardMetrics::SetAofSizeBytes(ScalarSource fn) {
  std::lock_guard lock(sources_mu_);
  aof_size_ = std::move(fn);
}
void ShardMetrics::SetKeysPerSlotRange(std::function<std::array<uint64_t, kSlotRanges>()> fn) {
  std::lock_guard lock(sources_mu_);
  keys_source_ = std::move(fn);
}

std::array<uint64_t, kSlotRanges> ShardMetrics::KeysPerRange() const {
  if (keys_source_) return keys_source_();
  std::array<uint64_t, kSlotRanges> out{};
  for (size_t r = 0; r < kSlotRanges; ++r) out[r] = keys_[r].load(std::memory_order_relaxed);
  return out;
}

void ShardMetrics::CollectCommands(std::vector<MetricFamily>* out) const {
  StatsSnapshot snap;
  loop_.AddTo(&snap);
  MetricFamily calls =
      NewFamily("slotproxy_shard_commands_total", "Commands executed by the shard, by command.",
                MetricType::Counter);
  MetricFamily duration =
      NewFamily("slotproxy_shard_command_duration_seconds",
                "Time the shard spent executing a command, by command.", MetricType::Histogram);
  for (const auto& [row, f] : snap.commands) {
    std::string name = row == nullptr ? std::string(kUnknownCommandLabel) : std::string(row->name);
    AddSample(&calls, {{"shard", options_.shard}, {"command", name}},
              static_cast<double>(f.latency.Count()));
    AddHistogram(&duration, {{"shard", options_.shard}, {"command", name}}, f.latency);
  }
  SortSamples(&calls);
  SortSamples(&duration);
  out->push_back(std::move(calls));
  out->push_back(std::move(duration));
}

std::vector<MetricFamily> ShardMetrics::Collect() const {
  std::vector<MetricFamily> out;
  CollectCommands(&out);
  const std::string& shard = options_.shard;
  std::lock_guard lock(sources_mu_);
  MetricFamily keys = NewFamily("slotproxy_shard_keys", "Keys held, by range of 1024 hash slots.",
                                MetricType::Gauge);
  auto per_range = KeysPerRange();
  for (size_t r = 0; r < kSlotRanges; ++r) {
    AddSample(&keys, {{"shard", shard}, {"slot_range", RangeLabel(r)}},
              static_cast<double>(per_range[r]));
  }
  out.push_back(std::move(keys));
  double memory = 0;
  uint64_t stored = memory_now_.load(std::memory_order_relaxed);
  if (memory_) {
    memory = memory_();
  } else if (stored != 0) {
    memory = static_cast<double>(stored);
  } else if (auto p = ReadProcessFigures()) {
    memory = p->resident_bytes;
  }
  MetricFamily mem =
      NewFamily("slotproxy_shard_memory_bytes", "Memory used by the shard.", MetricType::Gauge);
  AddSample(&mem, {{"shard", shard}}, memory);
  out.push_back(std::move(mem));
  MetricFamily aof = NewFamily("slotproxy_shard_aof_size_bytes",
                               "Size of the shard's append-only file.", MetricType::Gauge);
  AddSample(
      &aof, {{"shard", shard}},
      aof_size_ ? aof_size_() : static_cast<double>(aof_size_now_.load(std::memory_order_relaxed)));
  out.push_back(std::move(aof));
  HistogramCounts fsync;
  for (size_t i = 0; i < kBucketSlots; ++i) {
    fsync.buckets[i] = fsync_buckets_[i].load(std::memory_order_relaxed);
  }
  fsync.sum_ns = fsync_sum_ns_.load(std::memory_order_relaxed);
  MetricFamily fs = NewFamily("slotproxy_shard_aof_fsync_seconds",
                              "Duration of the AOF's fdatasync calls.", MetricType::Histogram);
  AddHistogram(&fs, {{"shard", shard}}, fsync);
  out.push_back(std::move(fs));
  MetricFamily rw = NewFamily("slotproxy_shard_aof_rewrites_total", "AOF rewrites, by result.",
                              MetricType::Counter);
  AddSample(&rw, {{"shard", shard}, {"result", "failed"}},
            static_cast<double>(rewrites_failed_.load(std::memory_order_relaxed)));
  AddSample(&rw, {{"shard", shard}, {"result", "ok"}},
            static_cast<double>(rewrites_ok_.load(std::memory_order_relaxed)));
  out.push_back(std::move(rw));
  if (options_.process_metrics) {
    for (MetricFamily& f : CollectProcessMetrics()) out.push_back(std::move(f));
  }
  return out;
}

std::shared_ptr<prometheus::Collectable> MergeCollectables(
    std::vector<std::shared_ptr<prometheus::Collectable>> parts) {
  return std::make_shared<Adapter>([parts = std::move(parts)] {
    std::vector<MetricFamily> out;
    for (const auto& part : parts) {
      for (MetricFamily& f : part->Collect()) {
        auto same = std::find_if(out.begin(), out.end(),
                                 [&](const MetricFamily& g) { return g.name == f.name; });
        if (same == out.end()) {
          out.push_back(std::move(f));
        } else {
          for (auto& m : f.metric) same->metric.push_back(std::move(m));
        }
      }
    }
    return out;
  });
}

}  // namespace slotproxy::metrics

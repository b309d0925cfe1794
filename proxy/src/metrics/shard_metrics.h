// ShardMetrics: what one shard server exports (slotproxy_shard_* in README.md), built the same
// way as the proxy's: the shard's loop thread records into relaxed atomics (a LoopStats), a
// custom Collectable turns them into families at scrape time. Every sample carries a `shard`
// label ("host:port") so several embedded shards can share the proxy's /metrics
// (MergeCollectables folds their families together).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/latency_buckets.h"
#include "metrics/loop_stats.h"
#include "metrics/proxy_metrics.h"
#include "prometheus/collectable.h"

namespace slotproxy::metrics {

// 16 ranges of 1024 slots: "0-1023", "1024-2047", ... "15360-16383".
inline constexpr size_t kSlotRanges = 16;
inline constexpr uint32_t kSlotsPerRange = 1024;

class ShardMetrics {
 public:
  struct Options {
    std::string shard;             // the `shard` label: the shard's "host:port"
    size_t max_commands = 1024;    // CountCommandRows(table)
    bool process_metrics = false;  // add process_* (the standalone shard binary; not embedded)
  };

  explicit ShardMetrics(Options options);
  ShardMetrics(const ShardMetrics&) = delete;
  ShardMetrics& operator=(const ShardMetrics&) = delete;

  // Shard loop thread: one command ran (`row` null: unknown), `ns` its handler time, `failed`
  // when it replied with an error.
  void RecordCommand(const command::CommandInfo* row, uint64_t ns, bool failed) {
    loop_.RecordCommand(row, ns, 0, failed);
  }

  // Shard loop thread: recomputes the keys per 1024-slot range from a per-slot count
  // (engine::Keyspace::CountKeysInSlot), 16384 reads; call it from a timer (e.g. every second),
  // not per command. Stored in atomics the scrape reads.
  void UpdateKeysPerRange(const std::function<uint64_t(uint16_t slot)>& count_in_slot);

  // Any thread (the AOF's everysec thread too): one fdatasync of the AOF took `ns`.
  void RecordFsync(uint64_t ns);
  // Any thread: an AOF rewrite finished.
  void CountAofRewrite(bool ok);

  // Any thread (typically the same loop timer as UpdateKeysPerRange, since the AOF writer's
  // size is loop-thread state): the figures exported when no source below is set.
  void StoreAofSize(uint64_t bytes) { aof_size_now_.store(bytes, std::memory_order_relaxed); }
  void StoreMemory(uint64_t bytes) { memory_now_.store(bytes, std::memory_order_relaxed); }

  // Scrape-time sources (thread-safe, cheap), each replacing its Store* figure. Memory with
  // neither a source nor a StoreMemory call: the process's resident memory (right for the
  // standalone shard). A keys source replaces what UpdateKeysPerRange stored.
  void SetMemoryBytes(ScalarSource fn);
  void SetAofSizeBytes(ScalarSource fn);
  void SetKeysPerSlotRange(std::function<std::array<uint64_t, kSlotRanges>()> fn);

  // The families (README's shard table), every sample labelled shard=<options.shard>.
  std::vector<prometheus::MetricFamily> Collect() const;
  std::shared_ptr<prometheus::Collectable> collectable() const { return collectable_; }

 private:
  std::array<uint64_t, kSlotRanges> KeysPerRange() const;
  void CollectCommands(std::vector<prometheus::MetricFamily>* out) const;

  Options options_;
  LoopStats loop_;
  std::atomic<uint64_t> keys_[kSlotRanges] = {};
  std::atomic<uint64_t> fsync_buckets_[kBucketSlots] = {};
  std::atomic<uint64_t> fsync_sum_ns_{0};
  std::atomic<uint64_t> rewrites_ok_{0};
  std::atomic<uint64_t> rewrites_failed_{0};
  std::atomic<uint64_t> aof_size_now_{0};
  std::atomic<uint64_t> memory_now_{0};  // 0: never stored
  mutable std::mutex sources_mu_;
  ScalarSource memory_, aof_size_;
  std::function<std::array<uint64_t, kSlotRanges>()> keys_source_;
  std::shared_ptr<prometheus::Collectable> collectable_;
};

// One Collectable serving several (families with the same name are merged into one, samples
// appended in order): embedded shards beside the proxy on a single /metrics, where repeated
// "# TYPE" lines would make Prometheus reject the scrape. Holds the parts by shared_ptr.
std::shared_ptr<prometheus::Collectable> MergeCollectables(
    std::vector<std::shared_ptr<prometheus::Collectable>> parts);

}  // namespace slotproxy::metrics

// LoopStats: the WorkerStats of one worker loop. Only the loop thread writes; every cell is a
// relaxed atomic written with load+store (one writer, so no locked read-modify-write), which a
// scrape thread reads at any time without a lock. After warm-up (the first sight of each
// command row and each backend node) recording allocates nothing and takes no mutex.
//
// Bounds: one slot per command-table row plus one "unknown" slot (rows beyond the capacity
// also land there); one slot per backend node up to max_nodes, then one "other" slot.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "metrics/latency_buckets.h"
#include "metrics/worker_stats.h"

namespace slotproxy::command {
class CommandTable;
}

namespace slotproxy::metrics {

class SlowLog;

// Label values for the overflow slots.
inline constexpr std::string_view kUnknownCommandLabel = "unknown";
inline constexpr std::string_view kOtherNodeLabel = "other";

// The number of rows (commands and subcommands) of `table`: the command capacity to give
// LoopStats so that every row gets its own slot.
size_t CountCommandRows(const command::CommandTable& table);

// Per-command figures as a scrape reads them (summed over workers by the caller).
struct CommandFigures {
  HistogramCounts latency;  // total time; latency.Count() is the number of calls
  uint64_t backend_ns = 0;  // summed backend part
  uint64_t failed = 0;      // calls whose reply was an error
  void Add(const CommandFigures& o) {
    latency.Add(o.latency);
    backend_ns += o.backend_ns;
    failed += o.failed;
  }
};

struct NodeFigures {
  HistogramCounts rtt;
  uint64_t connects_ok = 0;
  uint64_t connects_failed = 0;
  uint64_t timeouts = 0;
  void Add(const NodeFigures& o) {
    rtt.Add(o.rtt);
    connects_ok += o.connects_ok;
    connects_failed += o.connects_failed;
    timeouts += o.timeouts;
  }
};

// Everything a scrape needs from one or more workers. Commands are keyed by their row
// (nullptr = unknown), nodes by "host:port" (or "other").
struct StatsSnapshot {
  absl::flat_hash_map<const command::CommandInfo*, CommandFigures> commands;
  absl::flat_hash_map<std::string, NodeFigures> nodes;
  uint64_t moved = 0;
  uint64_t ask = 0;
  uint64_t tryagain = 0;
  uint64_t protocol_errors = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

class LoopStats final : public WorkerStats {
 public:
  struct Options {
    size_t max_commands = 1024;  // distinct command rows; CountCommandRows(table) fits exactly
    size_t max_nodes = 1024;     // distinct backend nodes before "other"
    SlowLog* slowlog = nullptr;  // where RecordSlow goes (shared by all workers); may be null
  };

  explicit LoopStats(const Options& options);
  ~LoopStats() override;
  LoopStats(const LoopStats&) = delete;
  LoopStats& operator=(const LoopStats&) = delete;

  // WorkerStats (loop thread only).
  void RecordCommand(const command::CommandInfo* row, uint64_t total_ns, uint64_t backend_ns,
                     bool failed) override;
  void RecordBackendRtt(std::string_view node, uint64_t ns) override;
  NodeHandle ResolveNode(std::string_view node) override;
  void RecordBackendRttAt(NodeHandle handle, std::string_view node, uint64_t ns) override;
  void CountMoved() override { Bump(moved_, 1); }
  void CountAsk() override { Bump(ask_, 1); }
  void CountTryAgain() override { Bump(tryagain_, 1); }
  void CountBackendConnect(std::string_view node, bool ok) override;
  void CountBackendTimeout(std::string_view node) override;
  void CountProtocolError() override { Bump(protocol_errors_, 1); }
  void AddBytes(uint64_t in, uint64_t out) override {
    Bump(bytes_in_, in);
    Bump(bytes_out_, out);
  }
  void RecordSlow(const std::string_view* args, size_t argc, uint64_t total_ns, uint64_t backend_ns,
                  std::string_view client_addr, std::string_view client_name) override;

  // Liveness: the loop calls Heartbeat() from a periodic timer; any thread reads the age.
  // A LoopStats counts as just ticked when created.
  void Heartbeat() { last_tick_ms_.store(NowMs(), std::memory_order_relaxed); }
  uint64_t MsSinceHeartbeat() const {
    uint64_t now = NowMs(), last = last_tick_ms_.load(std::memory_order_relaxed);
    return now > last ? now - last : 0;
  }
  // Milliseconds on the monotonic clock.
  static uint64_t NowMs();

  // Scrape side, any thread: adds this worker's figures to `*snap` (sums with what is there).
  // The figures of one slot may be a few observations apart from each other (no snapshot
  // isolation), never torn or lost.
  void AddTo(StatsSnapshot* snap) const;

 private:
  struct AtomicHistogram {
    std::atomic<uint64_t> buckets[kBucketSlots] = {};
    std::atomic<uint64_t> sum_ns{0};
    void Observe(uint64_t ns) {
      Bump(buckets[LatencyBucket(ns)], 1);
      Bump(sum_ns, ns);
    }
    void ReadInto(HistogramCounts* out) const;
  };
  struct CommandCells {
    const command::CommandInfo* row = nullptr;  // set before the slot is published
    AtomicHistogram latency;
    std::atomic<uint64_t> backend_ns{0};
    std::atomic<uint64_t> failed{0};
  };
  struct NodeCells {
    std::string name;  // set before the slot is published
    AtomicHistogram rtt;
    std::atomic<uint64_t> connects_ok{0};
    std::atomic<uint64_t> connects_failed{0};
    std::atomic<uint64_t> timeouts{0};
  };

  // The single writer's increment: a plain load and store, no lock prefix.
  static void Bump(std::atomic<uint64_t>& cell, uint64_t v) {
    cell.store(cell.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
  }
  CommandCells& CommandSlot(const command::CommandInfo* row);
  CommandCells& NewCommandSlot(const command::CommandInfo* row);
  NodeCells& NodeSlot(std::string_view node) { return *node_ptrs_[NodeIndex(node)]; }
  // The index of `node`'s slot in node_ptrs_, created on first sight.
  size_t NodeIndex(std::string_view node);
  size_t NewNodeIndex(std::string_view node);

  SlowLog* slowlog_;
  const size_t max_commands_;
  const size_t max_nodes_;

  // Commands: slot 0 is "unknown"; slots [1, commands_published_) are rows. The index map and
  // the cache belong to the loop thread; the scraper reads only published slots.
  std::unique_ptr<CommandCells[]> commands_;
  std::atomic<size_t> commands_published_{1};
  absl::flat_hash_map<const command::CommandInfo*, CommandCells*> command_index_;
  const command::CommandInfo* last_row_ = nullptr;
  CommandCells* last_cells_;

  // Nodes: allocated on first sight (warm-up), published through node_ptrs_ and the count.
  std::vector<std::unique_ptr<NodeCells>> node_owner_;  // loop thread only
  std::unique_ptr<NodeCells*[]> node_ptrs_;             // max_nodes_ + 1 ("other")
  std::atomic<size_t> nodes_published_{0};
  // Keys view the names the NodeCells own (stable: each NodeCells is its own allocation).
  absl::flat_hash_map<std::string_view, size_t> node_index_;  // name -> index in node_ptrs_
  size_t other_index_ = SIZE_MAX;                             // the "other" slot, once it exists
  // One-entry cache: consecutive calls for one node skip the hash (compares the name the slot
  // owns, so the cache itself never allocates). Round trips use handles instead.
  size_t last_node_index_ = SIZE_MAX;  // SIZE_MAX: none yet

  std::atomic<uint64_t> last_tick_ms_;
  std::atomic<uint64_t> moved_{0};
  std::atomic<uint64_t> ask_{0};
  std::atomic<uint64_t> tryagain_{0};
  std::atomic<uint64_t> protocol_errors_{0};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
};

}  // namespace slotproxy::metrics

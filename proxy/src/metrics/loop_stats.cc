#include "metrics/loop_stats.h"

#include <chrono>

#include "command/command_table.h"
#include "metrics/slowlog.h"

namespace slotproxy::metrics {
namespace {

// Up to this many nodes, NodeSlot scans the names instead of hashing.
constexpr size_t kLinearNodes = 8;

}  // namespace

size_t CountCommandRows(const command::CommandTable& table) {
  size_t n = 0;
  for (const command::CommandInfo* row : table.TopLevel()) n += 1 + row->subcommands.size();
  return n;
}

LoopStats::LoopStats(const Options& options)
    : slowlog_(options.slowlog),
      max_commands_(options.max_commands),
      max_nodes_(options.max_nodes),
      commands_(new CommandCells[options.max_commands + 1]),
      node_ptrs_(new NodeCells*[options.max_nodes + 1]()),
      last_tick_ms_(NowMs()) {
  // Reserved up front so that inserting the bounded set of rows never rehashes (allocates).
  command_index_.reserve(max_commands_);
  last_cells_ = &commands_[0];
}

LoopStats::~LoopStats() = default;

uint64_t LoopStats::NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

LoopStats::CommandCells& LoopStats::CommandSlot(const command::CommandInfo* row) {
  // Pipelines and benchmarks repeat one command: the cache skips the hash lookup.
  if (row == last_row_) return *last_cells_;
  CommandCells* cells;
  if (row == nullptr) {
    cells = &commands_[0];
  } else if (auto it = command_index_.find(row); it != command_index_.end()) {
    cells = it->second;
  } else {
    cells = &NewCommandSlot(row);
  }
  last_row_ = row;
  last_cells_ = cells;
  return *cells;
}

LoopStats::CommandCells& LoopStats::NewCommandSlot(const command::CommandInfo* row) {
  size_t n = commands_published_.load(std::memory_order_relaxed);
  if (n > max_commands_) return commands_[0];  // beyond the bound: counted as unknown
  CommandCells& cells = commands_[n];
  cells.row = row;
  command_index_.emplace(row, &cells);
  // Release: a scraper that sees the new count also sees `row`.
  commands_published_.store(n + 1, std::memory_order_release);
  return cells;
}

void LoopStats::RecordCommand(const command::CommandInfo* row, uint64_t total_ns,
                              uint64_t backend_ns, bool failed) {
  CommandCells& cells = CommandSlot(row);
  cells.latency.Observe(total_ns);
  Bump(cells.backend_ns, backend_ns);
  if (failed) Bump(cells.failed, 1);
}

size_t LoopStats::NodeIndex(std::string_view node) {
  if (last_node_index_ != SIZE_MAX && node_ptrs_[last_node_index_]->name == node) {
    return last_node_index_;
  }
  size_t index = SIZE_MAX;
  size_t n = nodes_published_.load(std::memory_order_relaxed);
  if (n <= kLinearNodes) {
    // A handful of nodes (the common cluster): comparing names beats hashing one.
    for (size_t i = 0; i < n && index == SIZE_MAX; ++i) {
      if (node_ptrs_[i]->name == node) index = i;
    }
  } else if (auto it = node_index_.find(node); it != node_index_.end()) {
    index = it->second;
  }
  if (index == SIZE_MAX) index = NewNodeIndex(node);
  last_node_index_ = index;
  return index;
}

size_t LoopStats::NewNodeIndex(std::string_view node) {
  size_t n = nodes_published_.load(std::memory_order_relaxed);
  bool overflow = n >= max_nodes_;
  if (overflow && other_index_ != SIZE_MAX) return other_index_;
  auto cells = std::make_unique<NodeCells>();
  cells->name = overflow ? std::string(kOtherNodeLabel) : std::string(node);
  NodeCells* raw = cells.get();
  node_owner_.push_back(std::move(cells));
  if (overflow) {
    other_index_ = n;  // later unknown nodes find it here; node_index_ stays bounded
  } else {
    node_index_.emplace(raw->name, n);
  }
  node_ptrs_[n] = raw;
  nodes_published_.store(n + 1, std::memory_order_release);
  return n;
}

void LoopStats::RecordBackendRtt(std::string_view node, uint64_t ns) {
  NodeSlot(node).rtt.Observe(ns);
}

WorkerStats::NodeHandle LoopStats::ResolveNode(std::string_view node) {
  return static_cast<NodeHandle>(NodeIndex(node));
}

void LoopStats::RecordBackendRttAt(NodeHandle handle, std::string_view node, uint64_t ns) {
  // Slots are never removed, so a handle this object gave out stays valid.
  if (handle < nodes_published_.load(std::memory_order_relaxed)) {
    node_ptrs_[handle]->rtt.Observe(ns);
  } else {
    RecordBackendRtt(node, ns);
  }
}

void LoopStats::CountBackendConnect(std::string_view node, bool ok) {
  NodeCells& cells = NodeSlot(node);
  Bump(ok ? cells.connects_ok : cells.connects_failed, 1);
}

void LoopStats::CountBackendTimeout(std::string_view node) { Bump(NodeSlot(node).timeouts, 1); }

void LoopStats::RecordSlow(const std::string_view* args, size_t argc, uint64_t total_ns,
                           uint64_t backend_ns, std::string_view client_addr,
                           std::string_view client_name) {
  if (slowlog_ != nullptr) {
    slowlog_->Add(args, argc, total_ns, backend_ns, client_addr, client_name);
  }
}

void LoopStats::AtomicHistogram::ReadInto(HistogramCounts* out) const {
  for (size_t i = 0; i < kBucketSlots; ++i) {
    out->buckets[i] += buckets[i].load(std::memory_order_relaxed);
  }
  out->sum_ns += sum_ns.load(std::memory_order_relaxed);
}

void LoopStats::AddTo(StatsSnapshot* snap) const {
  size_t ncmd = commands_published_.load(std::memory_order_acquire);
  for (size_t i = 0; i < ncmd; ++i) {
    const CommandCells& c = commands_[i];
    CommandFigures f;
    c.latency.ReadInto(&f.latency);
    f.backend_ns = c.backend_ns.load(std::memory_order_relaxed);
    f.failed = c.failed.load(std::memory_order_relaxed);
    // Rows never called by this worker are not reported (the unknown slot included).
    if (f.latency.Count() == 0 && f.failed == 0) continue;
    snap->commands[i == 0 ? nullptr : c.row].Add(f);
  }
  size_t nnodes = nodes_published_.load(std::memory_order_acquire);
  for (size_t i = 0; i < nnodes; ++i) {
    const NodeCells& c = *node_ptrs_[i];
    NodeFigures f;
    c.rtt.ReadInto(&f.rtt);
    f.connects_ok = c.connects_ok.load(std::memory_order_relaxed);
    f.connects_failed = c.connects_failed.load(std::memory_order_relaxed);
    f.timeouts = c.timeouts.load(std::memory_order_relaxed);
    snap->nodes[c.name].Add(f);
  }
  snap->moved += moved_.load(std::memory_order_relaxed);
  snap->ask += ask_.load(std::memory_order_relaxed);
  snap->tryagain += tryagain_.load(std::memory_order_relaxed);
  snap->protocol_errors += protocol_errors_.load(std::memory_order_relaxed);
  snap->bytes_in += bytes_in_.load(std::memory_order_relaxed);
  snap->bytes_out += bytes_out_.load(std::memory_order_relaxed);
}

}  // namespace slotproxy::metrics

// WorkerStats: the per-worker (one event-loop thread) request figures that Prometheus, INFO
// commandstats / latencystats and SLOWLOG are made from. The loop thread is the only writer;
// every field it writes is a relaxed atomic so the scrape thread can read it without a lock
// (prometheus-cpp's own Histogram::Observe takes a mutex, which the hot path must not pay).
// The figures are folded into the registry at scrape time (see proxy_metrics.h).
//
// This header is the contract between the session layer (which calls Record*), the metrics
// module (which implements and exports it) and the process wiring (which creates one per
// worker). Implementation: LoopStats in proxy/src/metrics/loop_stats.h.
#pragma once

#include <cstdint>
#include <string_view>

namespace slotproxy::command {
struct CommandInfo;
}

namespace slotproxy::metrics {

class WorkerStats {
 public:
  virtual ~WorkerStats() = default;

  // One client command ended: its reply was queued for the client. `row` is the command-table
  // row (a subcommand row for container commands, e.g. "client|list"); nullptr for an unknown
  // command (counted under one label). `total_ns`: from the request fully parsed to its reply
  // queued. `backend_ns`: the part spent waiting for backends (0 for proxy-local commands).
  // `failed`: the reply is an error reply (Redis's failed_calls / rejected_calls).
  virtual void RecordCommand(const command::CommandInfo* row, uint64_t total_ns,
                             uint64_t backend_ns, bool failed) = 0;

  // One backend round trip (request written to reply read) to `node` ("host:port").
  virtual void RecordBackendRtt(std::string_view node, uint64_t ns) = 0;

  // Per-reply callers (one backend connection = one node) resolve the node once and pass the
  // handle, so that a round trip does no string work. ResolveNode may create the node's figures
  // (as RecordBackendRtt would), so call it when the first round trip is recorded. A handle is
  // valid for this object only and for its whole life. The defaults fall back to the name.
  using NodeHandle = uint32_t;
  static constexpr NodeHandle kNoNodeHandle = ~NodeHandle{0};
  virtual NodeHandle ResolveNode(std::string_view node) {
    (void)node;
    return kNoNodeHandle;
  }
  // Same as RecordBackendRtt(node, ns); `handle` is ResolveNode(node) of this object, or
  // kNoNodeHandle.
  virtual void RecordBackendRttAt(NodeHandle handle, std::string_view node, uint64_t ns) {
    (void)handle;
    RecordBackendRtt(node, ns);
  }

  // Events counted by kind. `node` is "host:port" where one applies.
  virtual void CountMoved() = 0;
  virtual void CountAsk() = 0;
  virtual void CountTryAgain() = 0;
  virtual void CountBackendConnect(std::string_view node, bool ok) = 0;
  virtual void CountBackendTimeout(std::string_view node) = 0;
  virtual void CountProtocolError() = 0;
  virtual void AddBytes(uint64_t in, uint64_t out) = 0;

  // A request slower than the slowlog threshold: `args` are the client's arguments (the
  // slowlog truncates them as Redis does: at most 32 arguments, 128 bytes each).
  virtual void RecordSlow(const std::string_view* args, size_t argc, uint64_t total_ns,
                          uint64_t backend_ns, std::string_view client_addr,
                          std::string_view client_name) = 0;
};

}  // namespace slotproxy::metrics

// Worker: everything one event-loop thread serves: its listener (SO_REUSEPORT, so the kernel
// spreads clients over the workers), its client sessions and its own backend connections.
// Shared-nothing: workers share only the slot map holder, the frozen command table and two
// counters (connected clients, client ids).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "backend/dispatcher.h"
#include "cluster/slot_map.h"
#include "command/command_table.h"
#include "log/event_log.h"
#include "net/event_loop.h"
#include "net/tcp_listener.h"
#include "session/client_session.h"
#include "session/session_context.h"

namespace slotproxy::session {

struct WorkerOptions {
  net::ListenerOptions listen;  // host, port, reuse_port, exclusive, per-connection options
  SessionLimits limits;
  backend::DispatcherOptions dispatcher;
  int max_clients = 10000;                         // over all workers
  std::function<void(ProxyInfoInput*)> fill_info;  // proxy-wide INFO figures; may be null
  log::EventLog log;                               // events (client limit hit); default: not logged
  metrics::WorkerStats* stats = nullptr;  // this worker's request figures; null: not counted
  // Shared by the workers: backend connections per node, node down / up lines; may be null.
  backend::BackendBoard* backend_board = nullptr;
  // Runs on the loop once a second (liveness heartbeat, gauges); may be null.
  std::function<void()> tick;
  metrics::SlowLog* slowlog = nullptr;  // proxy-wide SLOWLOG store; null: SLOWLOG refused
};

// What a SIGHUP reload changes on a running worker: every session reads these from the
// worker's context, so existing connections follow at their next command.
struct LiveSettings {
  SessionLimits limits;
  int max_clients = 10000;
  // Backend timeouts (ms; op 0: none); unset: unchanged.
  std::optional<uint64_t> op_timeout_ms;
  std::optional<uint64_t> connect_timeout_ms;
};

// Counters every worker of one proxy shares.
struct WorkerShared {
  std::atomic<int> clients{0};
  std::atomic<uint64_t> next_client_id{1};
};

class Worker {
 public:
  // Loop-thread-only from construction to destruction. `holder`, `table` and `shared` must
  // outlive the worker.
  Worker(net::EventLoop& loop, cluster::SlotMapHolder& holder, const command::CommandTable& table,
         const WorkerOptions& options, WorkerShared& shared);
  // Closes every client and backend connection.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts accepting on options.listen. Error: the listener's text ("bind ...: Address already
  // in use").
  Status Listen();
  // The bound port (after Listen).
  uint16_t Port() const;

  // Stops accepting (SIGTERM): the listener closes; the sessions already accepted keep being
  // served, including requests they send later, until the process stops the worker.
  void StopAccepting();
  // StopAccepting(), then stores BusyCount() into *busy every few milliseconds until the
  // worker is destroyed (any thread may read it). `busy` must outlive the worker.
  void BeginDrain(std::atomic<size_t>* busy);
  // Requests accepted and not yet answered, over every session of this worker.
  size_t PendingRequests() const;
  // Requests accepted and not yet answered, plus sessions whose replies are not all written:
  // 0 when a shutdown can proceed without cutting a reply.
  size_t BusyCount() const;
  // Applies reloaded limits to this worker (new and existing sessions) and (re)starts or stops
  // the idle sweep when timeouts.client_idle changed.
  void ApplyLive(const LiveSettings& settings);

  backend::Dispatcher& dispatcher() { return dispatcher_; }
  size_t SessionCount() const { return sessions_.size(); }
  const SessionLimits& limits() const { return context_.limits; }
  int max_clients() const { return options_.max_clients; }

 private:
  void OnAccept(std::unique_ptr<net::TcpConnection> conn);
  void OnSessionClosed(uint64_t id);
  // Closes clients idle past limits.client_idle_ms (Redis's `timeout`), as Redis does: no reply.
  void SweepIdle();
  void StartIdleSweep();
  // A warning for refused connections at max_clients, rate-limited.
  void LogLimitHit();

  net::EventLoop& loop_;
  WorkerOptions options_;
  WorkerShared& shared_;
  backend::Dispatcher dispatcher_;
  SessionContext context_;
  // Declared after the dispatcher: sessions detach their requests before it goes away.
  absl::flat_hash_map<uint64_t, std::unique_ptr<ClientSession>> sessions_;
  // Connections refused at max clients, until their error is flushed.
  absl::flat_hash_map<uint64_t, std::unique_ptr<net::TcpConnection>> refused_;
  std::unique_ptr<net::TcpListener> listener_;
  std::unique_ptr<net::Timer> idle_timer_;
  std::unique_ptr<net::Timer> drain_timer_;
  std::unique_ptr<net::Timer> tick_timer_;
  uint64_t last_limit_log_ms_ = 0;
  uint64_t refused_since_log_ = 0;
};

}  // namespace slotproxy::session

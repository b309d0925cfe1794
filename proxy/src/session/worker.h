// Worker: everything one event-loop thread serves: its listener (SO_REUSEPORT, so the kernel
// spreads clients over the workers), its client sessions and its own backend connections.
// Shared-nothing: workers share only the slot map holder, the frozen command table and two
// counters (connected clients, client ids).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "backend/dispatcher.h"
#include "cluster/slot_map.h"
#include "command/command_table.h"
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

  backend::Dispatcher& dispatcher() { return dispatcher_; }
  size_t SessionCount() const { return sessions_.size(); }

 private:
  void OnAccept(std::unique_ptr<net::TcpConnection> conn);
  void OnSessionClosed(uint64_t id);
  // Closes clients idle past limits.client_idle_ms (Redis's `timeout`), as Redis does: no reply.
  void SweepIdle();

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
};

}  // namespace slotproxy::session

// ProxyServer: the whole data path of one proxy process: `workers` threads, each a Worker
// (listener on the shared port, sessions, backend pools), plus the TopologyManager on worker
// 0's loop that publishes the slot map every worker reads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/topology_manager.h"
#include "base/status.h"
#include "cluster/slot_map.h"
#include "command/command_table.h"
#include "net/worker_thread.h"
#include "session/worker.h"

namespace slotproxy::session {

struct ProxyServerOptions {
  WorkerOptions worker;  // worker.listen.port 0: the OS picks (read it back with port())
  int workers = 1;
  backend::TopologyOptions topology;
  // When set, this map is published once and no discovery runs (embedded shards, whose layout
  // the proxy itself decided).
  cluster::SlotMapPtr static_map;
  uint64_t first_topology_timeout_ms = 10000;
  std::string proxy_version = "0.1.0";
  std::string config_file;
};

class ProxyServer {
 public:
  // `table` must be frozen and outlive the server.
  ProxyServer(const command::CommandTable& table, ProxyServerOptions options);
  // Stop().
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Starts the workers and the topology discovery; returns once every worker listens. Error:
  // the listener's ("bind 127.0.0.1:7000: Address already in use"); nothing keeps running then.
  // The first topology is awaited up to first_topology_timeout_ms: when it does not come, the
  // proxy serves anyway (keyed commands answer CLUSTERDOWN) and *topology_status says why.
  Status Start(Status* topology_status = nullptr);

  // Stops every worker (clients and backend connections are closed) and joins the threads.
  // Idempotent.
  void Stop();

  uint16_t port() const { return port_; }
  cluster::SlotMapHolder& holder() { return holder_; }
  int ConnectedClients() const { return shared_.clients.load(std::memory_order_relaxed); }

 private:
  void FillInfo(ProxyInfoInput* input) const;

  const command::CommandTable& table_;
  ProxyServerOptions options_;
  cluster::SlotMapHolder holder_;
  WorkerShared shared_;
  std::vector<std::unique_ptr<net::WorkerThread>> threads_;
  std::atomic<backend::TopologyManager*> topology_{nullptr};
  uint16_t port_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace slotproxy::session

// What every client session of one worker shares: the worker's backend dispatcher, the frozen
// command table and the limits. Loop-thread-only, owned by the Worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/acl.h"
#include "backend/dispatcher.h"
#include "command/command_table.h"
#include "metrics/worker_stats.h"
#include "session/local_commands.h"
#include "session/proxy_info.h"

namespace slotproxy::session {

struct SessionLimits {
  size_t max_pending = 1024;             // stop reading past this many queued requests
  size_t output_high_water = 1u << 20;   // stop reading while this much output is unsent
  uint64_t output_hard = 256ull << 20;   // close a client whose unsent output passes it (0: off)
  size_t max_query_buffer = 1ull << 30;  // unparsed input bound (Redis's client-query-buffer)
  int64_t proto_max_bulk_len = 512ll << 20;
  uint64_t client_idle_ms = 0;  // close clients with no command for this long (0: never)
  // Redis's client-output-buffer-limit normal soft limit: close a client whose unsent output
  // stays above output_soft for output_soft_seconds (0: off).
  uint64_t output_soft = 0;
  uint64_t output_soft_seconds = 0;
  // Requests slower than this (parsed to reply queued) go to stats->RecordSlow (0: every one).
  uint64_t slowlog_threshold_ns = 10'000'000;
  // requirepass and ACL users, built once for the process (nullptr: no password, everyone is
  // the default user with every permission). Shared read-only by every worker.
  std::shared_ptr<const auth::AccessTable> access;
};

struct SessionContext {
  backend::Dispatcher& dispatcher;
  const command::CommandTable& table;
  SessionLimits limits;
  uint64_t any_shard_counter = 0;  // spreads keyless commands over the masters
  LocalContext local;              // table and CLIENT LIST visitor; now_ms set per command
  // Fills the proxy-wide INFO figures (uptime, clients, topology ...). May be null.
  std::function<void(ProxyInfoInput*)> fill_info;
  // This worker's request figures (metrics, INFO commandstats, SLOWLOG). May be null.
  metrics::WorkerStats* stats = nullptr;
};

}  // namespace slotproxy::session

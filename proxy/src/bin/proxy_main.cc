// The proxy binary: configuration, the event log, the data path (session::ProxyServer), and
// the signals: SIGTERM / SIGINT drain and exit 0 (a second one exits at once), SIGHUP reloads
// the config file. Wiring only.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "auth/acl.h"
#include "backend/backend_board.h"
#include "backend/topology_manager.h"
#include "cluster/fleet.h"
#include "command/command_table.h"
#include "config/cli.h"
#include "config/config.h"
#include "config/log_level.h"
#include "log/logger.h"
#include "metrics/http_server.h"
#include "metrics/info_text.h"
#include "metrics/proxy_metrics.h"
#include "metrics/shard_metrics.h"
#include "net/address.h"
#include "net/event_loop.h"
#include "net/signal_watcher.h"
#include "session/command_learning.h"
#include "session/proxy_server.h"

#if __has_include("server/embedded.h")
#include "server/embedded.h"
#define SLOTPROXY_HAS_EMBEDDED 1
#endif

namespace {

using namespace slotproxy;  // NOLINT(google-build-using-namespace): a main file

constexpr const char* kVersion = "0.1.0";

uint64_t Ms(config::Duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// `access`: the client-facing users (built once, at start; see kNotLiveYet).
session::SessionLimits LimitsFrom(const config::ProxyConfig& cfg,
                                  std::shared_ptr<const auth::AccessTable> access) {
  session::SessionLimits l;
  l.max_pending = static_cast<size_t>(cfg.limits.max_pending_per_client);
  l.output_hard = cfg.limits.output_buffer.hard;
  l.output_soft = cfg.limits.output_buffer.soft;
  l.output_soft_seconds = static_cast<uint64_t>(cfg.limits.output_buffer.soft_seconds);
  l.slowlog_threshold_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.slowlog.threshold).count());
  l.access = std::move(access);
  l.max_query_buffer = cfg.limits.query_buffer;
  l.proto_max_bulk_len = static_cast<int64_t>(cfg.limits.proto_max_bulk_len);
  l.client_idle_ms = Ms(cfg.timeouts.client_idle);
  return l;
}

session::ProxyServerOptions MakeOptions(const config::ProxyConfig& cfg, const std::string& path) {
  session::ProxyServerOptions o;
  o.workers = cfg.workers;
  if (o.workers <= 0) o.workers = static_cast<int>(std::thread::hardware_concurrency());
  if (o.workers <= 0) o.workers = 1;
  o.config_file = path;
  o.proxy_version = kVersion;
  session::WorkerOptions& w = o.worker;
  w.listen.host = cfg.listen.host;
  w.listen.port = cfg.listen.port;
  w.max_clients = cfg.limits.max_clients;
  w.limits = LimitsFrom(cfg, nullptr);  // the users are added once the table is frozen
  backend::DispatcherOptions& d = w.dispatcher;
  d.connections_per_node = cfg.pool.connections_per_backend;
  d.op_timeout_ms = Ms(cfg.timeouts.op);
  d.connection.connect_timeout_ms = Ms(cfg.timeouts.connect);
  d.connection.reconnect_min_ms = Ms(cfg.pool.reconnect_min);
  d.connection.reconnect_max_ms = Ms(cfg.pool.reconnect_max);
  d.connection.max_pending = static_cast<size_t>(cfg.pool.max_pending_per_connection);
  d.connection.auth_user = cfg.backend_auth.user;
  d.connection.auth_password = cfg.backend_auth.password;
  backend::TopologyOptions& t = o.topology;
  t.refresh_interval_ms = Ms(cfg.timeouts.topology_refresh);
  t.connect_timeout_ms = Ms(cfg.timeouts.connect);
  t.auth_user = cfg.backend_auth.user;
  t.auth_password = cfg.backend_auth.password;
  for (const config::HostPort& seed : cfg.seeds) t.seeds.push_back({seed.host, seed.port});
  return o;
}

#ifdef SLOTPROXY_HAS_EMBEDDED
// OK unless a shard data dir beyond the fleet's `count` holds files: a fleet that shrank would
// leave that dir's keys where no running shard serves them (the remaining shards' nodes.conf
// would still name it too).
Status CheckNoStrayShardDirs(const config::EmbeddedConfig& embedded, size_t count) {
  constexpr int kMaxEmbeddedShards = 256;  // the config's upper bound for `shards`
  for (int i = static_cast<int>(count); i < kMaxEmbeddedShards; ++i) {
    const std::string dir = config::ShardDataDir(embedded, i);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec) || std::filesystem::is_empty(dir, ec)) continue;
    return Status::Error("embedded data dir " + dir + " belongs to shard " + std::to_string(i) +
                         " but the fleet has " + std::to_string(count) +
                         " shard(s): its keys would be unreachable. Start with the fleet that "
                         "wrote it, or move its data dir away to start empty");
  }
  return Status();
}

// Starts the embedded shards of `cfg` (wired as standalone shards: cluster view, AOF with
// replay and background rewrite) and returns them with the slot map the proxy routes by (the
// fleet's layout with the ports the shards actually got).
Result<std::unique_ptr<server::EmbeddedShards>> StartEmbedded(const config::ProxyConfig& cfg,
                                                              cluster::SlotMapPtr* map) {
  server::EmbeddedFleetOptions fleet;
  fleet.fleet = config::EmbeddedFleet(cfg.embedded);
  Status stray = CheckNoStrayShardDirs(cfg.embedded, fleet.fleet.size());
  if (!stray.ok()) return stray;
  for (size_t i = 0; i < fleet.fleet.size(); ++i) {
    fleet.dirs.push_back(config::ShardDataDir(cfg.embedded, static_cast<int>(i)));
  }
  fleet.appendfsync = cfg.embedded.appendfsync;
  std::vector<cluster::FleetNode> nodes;
  auto shards = server::StartEmbeddedFleet(fleet, &nodes);
  if (!shards.ok()) return shards.status();
  auto built = cluster::SlotMapFromFleet(nodes, 1);
  if (!built.ok()) return built.status();
  *map = built.value();
  return std::move(shards.value());
}
#endif

// Keys the reload reads but this build cannot yet apply to a running proxy; the reload log
// line names them so an operator knows a restart is needed. query_buffer: set on the listener
// at start. (Timeouts apply live: op and connect through each worker's dispatcher,
// topology_refresh through the TopologyControl; auth through a new AccessTable every session
// moves to.)
constexpr const char* kNotLiveYet[] = {"limits.query_buffer"};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// SIGHUP results, read by the metrics scrape thread.
struct ReloadCounts {
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
};

// slotproxy_backend_connections{node} (the workers' published snapshots, summed) and
// slotproxy_topology_refreshes_total{trigger}; both read atomics only (scrape thread).
void WireBackendGauges(const backend::BackendBoard& board, const backend::TopologyControl& topology,
                       metrics::ProxyMetrics& pm) {
  pm.SetBackendConnections([&board] {
    std::vector<metrics::LabeledValue> out;
    for (auto& [node, open] : board.Connections()) out.push_back({node, open});
    return out;
  });
  pm.SetTopologyRefreshes([&topology] {
    std::vector<metrics::LabeledValue> out;
    for (size_t i = 0; i < backend::kRefreshTriggerCount; ++i) {
      const auto trigger = static_cast<backend::RefreshTrigger>(i);
      out.push_back({std::string(backend::RefreshTriggerName(trigger)),
                     static_cast<double>(topology.refreshes(trigger))});
    }
    return out;
  });
}

int64_t Us(config::Duration d) {
  return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

// The main thread's side of a running proxy: signals, the graceful drain and config reloads.
class Controller {
 public:
  Controller(net::EventLoop& loop, session::ProxyServer& server, log::Logger& logger,
             metrics::ProxyMetrics& metrics, ReloadCounts& reloads, config::ProxyCli cli,
             config::ProxyConfig running, backend::TopologyControl& topology)
      : loop_(loop),
        server_(server),
        topology_(topology),
        logger_(logger),
        metrics_(metrics),
        reloads_(reloads),
        cli_(std::move(cli)),
        running_(std::move(running)),
        signals_(loop),
        drain_timer_(loop) {}

  // Watches SIGTERM, SIGINT and SIGHUP on the main loop.
  void Install() {
    (void)signals_.Watch(SIGTERM, [this](int sig) { OnStop(sig); });
    (void)signals_.Watch(SIGINT, [this](int sig) { OnStop(sig); });
    (void)signals_.Watch(SIGHUP, [this](int) { Reload(); });
  }

 private:
  void OnStop(int sig) {
    const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    if (stopping_) {
      logger_.Warning("Received {} again: exiting now, without waiting for the requests in flight",
                      name);
      logger_.Flush();
      std::_Exit(1);
    }
    stopping_ = true;
    const uint64_t budget = Ms(running_.shutdown_timeout);
    logger_.Notice(
        "Received {}, scheduling shutdown: listeners closed, finishing the requests already "
        "accepted (up to {} ms)",
        name, budget);
    server_.BeginDrain();
    deadline_ms_ = loop_.NowMs() + budget;
    drain_timer_.StartRepeating(5, [this] { CheckDrain(); });
  }

  // Done when every worker has reported owing nothing twice in a row (a pipeline's next
  // requests may still be in flight between two reads), or at the deadline.
  void CheckDrain() {
    quiet_checks_ = server_.Drained() ? quiet_checks_ + 1 : 0;
    if (quiet_checks_ >= 2) {
      logger_.Notice("Every accepted request is answered");
      loop_.Stop();
    } else if (loop_.NowMs() >= deadline_ms_) {
      logger_.Warning(
          "shutdown_timeout passed with {} request(s) or reply(ies) still owed: "
          "closing the remaining connections",
          server_.DrainBusy());
      loop_.Stop();
    }
  }

  void Reload();

  net::EventLoop& loop_;
  session::ProxyServer& server_;
  backend::TopologyControl& topology_;
  log::Logger& logger_;
  metrics::ProxyMetrics& metrics_;
  ReloadCounts& reloads_;
  config::ProxyCli cli_;
  config::ProxyConfig running_;
  net::SignalWatcher signals_;
  net::Timer drain_timer_;
  bool stopping_ = false;
  uint64_t deadline_ms_ = 0;
  int quiet_checks_ = 0;
};

void Controller::Reload() {
  if (cli_.config_path.empty()) {
    reloads_.failed.fetch_add(1);
    logger_.Warning("Received SIGHUP, but the proxy was started without -c: nothing to reload");
    return;
  }
  logger_.Notice("Received SIGHUP, reloading {}", cli_.config_path);
  Result<config::ProxyConfig> next = config::ResolveProxyConfig(cli_);
  if (!next.ok()) {
    reloads_.failed.fetch_add(1);
    std::string why = next.status().message();
    while (!why.empty() && why.back() == '\n') why.pop_back();
    for (char& c : why) c = c == '\n' ? ';' : c;
    logger_.Warning("Config reload refused, the running config stays: {}", why);
    return;
  }
  const std::vector<std::string> live = config::LiveChanges(running_, next.value());
  const std::vector<std::string> restart = config::RestartOnlyChanges(running_, next.value());
  std::vector<std::string> applied;
  std::vector<std::string> pending;
  for (const std::string& key : live) {
    bool later = false;
    for (const char* k : kNotLiveYet) later = later || key == k;
    (later ? pending : applied).push_back(key);
  }
  std::shared_ptr<const auth::AccessTable> access = server_.live().limits.access;
  if (!(running_.auth == next.value().auth)) {
    Result<std::unique_ptr<auth::AccessTable>> built =
        auth::AccessTable::Build(next.value().auth, server_.table());
    if (!built.ok()) {
      reloads_.failed.fetch_add(1);
      logger_.Warning("Config reload refused, the running config stays: auth: {}",
                      built.status().message());
      return;
    }
    access = std::move(built.value());
  }
  session::LiveSettings settings;
  settings.limits = LimitsFrom(next.value(), std::move(access));
  settings.max_clients = next.value().limits.max_clients;
  settings.op_timeout_ms = Ms(next.value().timeouts.op);
  settings.connect_timeout_ms = Ms(next.value().timeouts.connect);
  server_.ApplyLive(settings);
  topology_.SetRefreshInterval(Ms(next.value().timeouts.topology_refresh));
  metrics_.slowlog().SetMaxLen(static_cast<size_t>(next.value().slowlog.max_len));
  metrics_.slowlog().SetThresholdUs(Us(next.value().slowlog.threshold));
  logger_.SetLevel(config::ToLogLevel(next.value().log.level));
  Status reopened = logger_.Reopen(next.value().log.file);
  const std::string kept_file = running_.log.file;
  running_ = config::MergeLive(running_, next.value());
  if (!reopened.ok()) {
    logger_.Warning("Log destination kept: {}", reopened.message());
    running_.log.file = kept_file;
  }
  reloads_.ok.fetch_add(1);
  logger_.Notice("Config reloaded: applied: {}", applied.empty() ? "(no change)" : Join(applied));
  if (!pending.empty()) {
    logger_.Warning("Config reload: not applied to the running proxy, restart to apply: {}",
                    Join(pending));
  }
  if (!restart.empty()) {
    logger_.Warning("Config reload: ignored until restart (cannot change live): {}", Join(restart));
  }
}

#ifdef SLOTPROXY_HAS_EMBEDDED
using ShardsPtr = std::unique_ptr<server::EmbeddedShards>;
#else
using ShardsPtr = std::unique_ptr<int>;
#endif

// Starts the embedded shards when the config asks for them. Error: logged; false.
bool StartShards(const config::ProxyConfig& cfg, session::ProxyServerOptions* options,
                 log::Logger& logger, ShardsPtr* shards) {
  if (cfg.mode != config::Mode::kEmbedded) return true;
#ifdef SLOTPROXY_HAS_EMBEDDED
  auto started = StartEmbedded(cfg, &options->static_map);
  if (!started.ok()) {
    logger.Warning("Embedded shards could not start: {}", started.status().message());
    return false;
  }
  *shards = std::move(started.value());
  std::string ports;
  for (uint16_t p : (*shards)->ports()) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  logger.Notice("{} embedded shard(s) started on {} port(s) {}", (*shards)->size(),
                cfg.embedded.bind, ports);
  return true;
#else
  (void)options;
  (void)shards;
  logger.Warning(
      "Embedded mode is not available in this build yet; point the proxy at a Redis Cluster "
      "with --seed HOST:PORT (or mode: cluster and seeds: in the config file)");
  return false;
#endif
}

// Resolves seed names once, here: the loops never block on DNS. Error: logged; false.
bool ResolveSeeds(session::ProxyServerOptions* options, log::Logger& logger) {
  for (backend::SeedAddress& seed : options->topology.seeds) {
    Result<std::string> ip = net::ResolveBlocking(seed.host);
    if (!ip.ok()) {
      logger.Warning("Seed {}: {}", seed.host, ip.status().message());
      return false;
    }
    seed.host = ip.value();
  }
  return true;
}

// Commands the built-in table does not know (newer Redis, modules) are learned from a node;
// the built-in table stays the fallback when no node answers.
void LearnCommands(const config::ProxyConfig& cfg, const session::ProxyServerOptions& options,
                   log::Logger& logger, command::CommandTable* table) {
  std::string host;
  uint16_t port = 0;
  if (options.static_map && options.static_map->node_count() > 0) {
    host = options.static_map->node(0).host;
    port = options.static_map->node(0).port;
  } else if (!options.topology.seeds.empty()) {
    host = options.topology.seeds[0].host;
    port = options.topology.seeds[0].port;
  }
  if (port == 0) return;
  backend::ControlOptions control;
  control.auth_user = cfg.backend_auth.user;
  control.auth_password = cfg.backend_auth.password;
  Result<int> learned = session::LearnCommandsFrom(host, port, control, 2000, table);
  if (!learned.ok()) {
    logger.Warning("Could not learn commands from {}:{}: {}", host, port,
                   learned.status().message());
  } else if (learned.value() > 0) {
    logger.Notice("Learned {} command(s) from {}:{}", learned.value(), host, port);
  }
}

// The gauges /metrics reads from the running server (scrape thread; all cheap and atomic).
void WireGauges(session::ProxyServer& server, ReloadCounts& reloads, metrics::ProxyMetrics& pm) {
  pm.SetClientConnections([&server] { return static_cast<double>(server.ConnectedClients()); });
  pm.SetPendingRequests([&server] { return static_cast<double>(server.PendingRequests()); });
  pm.SetSlotMapVersion([&server] { return static_cast<double>(server.SlotMapVersion()); });
  pm.SetSlotMapAgeSeconds([&server] { return server.SlotMapAgeSeconds(); });
  pm.SetSlotsPerNode([&server] {
    std::vector<metrics::LabeledValue> out;
    for (auto& [node, slots] : server.SlotsPerNode()) out.push_back({node, slots});
    return out;
  });
  pm.SetConfigReloads([&reloads] {
    return std::vector<metrics::LabeledValue>{
        {"ok", static_cast<double>(reloads.ok.load())},
        {"failed", static_cast<double>(reloads.failed.load())}};
  });
}

// /metrics (the proxy's families, then the embedded shards' merged in: one # TYPE per name),
// /healthz (every worker loop ticked within 5 s) and /readyz (listening, not draining, every
// slot served) on metrics.listen; null when the port is 0. Stop it before `shards`.
Result<std::unique_ptr<metrics::MetricsHttpServer>> StartHttp(const config::ProxyConfig& cfg,
                                                              session::ProxyServer& server,
                                                              metrics::ProxyMetrics& pm,
                                                              log::Logger& logger,
                                                              const ShardsPtr& shards) {
  metrics::HttpOptions ho;
  ho.host = cfg.metrics.listen.host;
  ho.port = cfg.metrics.listen.port;
  std::vector<std::shared_ptr<prometheus::Collectable>> parts = {pm.collectable()};
#ifdef SLOTPROXY_HAS_EMBEDDED
  if (shards)
    parts.insert(parts.end(), shards->collectables().begin(), shards->collectables().end());
#else
  (void)shards;
#endif
  ho.collectables = {metrics::MergeCollectables(std::move(parts)), pm.registry()};
  ho.liveness = [&pm] { return pm.LivenessProblem(5000); };
  ho.readiness = [&server] { return server.ReadinessProblem(); };
  auto http = metrics::MetricsHttpServer::Start(std::move(ho));
  if (http.ok() && http.value()) {
    logger.Notice("Metrics on http://{}/metrics (/healthz, /readyz)",
                  net::FormatHostPort(cfg.metrics.listen.host, http.value()->port()));
  }
  return http;
}

int Run(const config::ProxyCli& cli, const config::ProxyConfig& cfg, log::Logger& logger) {
  logger.Notice("slotproxy version={}, bits={}, pid={}, just started", kVersion, sizeof(void*) * 8,
                static_cast<long>(getpid()));
  logger.Notice("Configuration loaded from {}",
                cli.config_path.empty() ? "(defaults and flags)" : cli.config_path);
  session::ProxyServerOptions options = MakeOptions(cfg, cli.config_path);
  options.log = logger.AsEventLog();
  ShardsPtr shards;
  if (!StartShards(cfg, &options, logger, &shards)) return 1;
  if (!ResolveSeeds(&options, logger)) return 1;
  std::unique_ptr<command::CommandTable> table = command::CommandTable::CreateBuiltIn();
  LearnCommands(cfg, options, logger, table.get());
  table->Freeze();
  Result<std::unique_ptr<auth::AccessTable>> access = auth::AccessTable::Build(cfg.auth, *table);
  if (!access.ok()) {
    logger.Warning("auth: {}", access.status().message());
    return 1;
  }
  options.worker.limits.access = std::move(access.value());
  metrics::ProxyMetrics::Options mo;
  mo.workers = static_cast<size_t>(options.workers);
  mo.max_commands = metrics::CountCommandRows(*table);
  mo.slowlog_max_len = static_cast<size_t>(cfg.slowlog.max_len);
  mo.slowlog_threshold_us = Us(cfg.slowlog.threshold);
  metrics::ProxyMetrics pm(mo);
  if (cfg.metrics.request_stats) {
    for (size_t i = 0; i < mo.workers; ++i) options.stats.push_back(&pm.worker(i));
  }
  options.heartbeat = [&pm](size_t i) { pm.worker(i).Heartbeat(); };
  options.worker.slowlog = &pm.slowlog();
  options.command_stats = [&pm](session::ProxyInfoInput* in) {
    const metrics::StatsSnapshot snap = pm.InfoSnapshot();
    metrics::AppendCommandStats(snap, &in->commandstats);
    metrics::AppendLatencyStats(snap, &in->latencystats);
  };
  // Declared before the server: its workers and topology manager point at them.
  backend::BackendBoard board(mo.workers, logger.AsEventLog());
  backend::TopologyControl topology_control;
  options.worker.backend_board = &board;
  options.topology.control = &topology_control;
  session::ProxyServer server(*table, options);
  ReloadCounts reloads;
  Status topology;
  Status st = server.Start(&topology);
  if (!st.ok()) {
    logger.Warning("{}", st.message());
    return 1;
  }
  if (!topology.ok()) logger.Warning("{} (serving anyway, retrying)", topology.message());
  logger.Notice("Ready to accept connections on {} with {} worker(s)",
                net::FormatHostPort(cfg.listen.host, server.port()), options.workers);
  WireGauges(server, reloads, pm);
  WireBackendGauges(board, topology_control, pm);
  Result<std::unique_ptr<metrics::MetricsHttpServer>> http =
      StartHttp(cfg, server, pm, logger, shards);
  if (!http.ok()) {
    logger.Warning("Metrics endpoint: {}", http.status().message());
    server.Stop();
    return 1;
  }
  {
    net::EventLoop loop;
    {
      Controller controller(loop, server, logger, pm, reloads, cli, cfg, topology_control);
      controller.Install();
      loop.Run();
    }
  }
  http.value().reset();  // no scrape may reach the server or the metrics from here on
  server.Stop();
#ifdef SLOTPROXY_HAS_EMBEDDED
  if (shards) shards->Stop();
#endif
  logger.Notice("slotproxy is now ready to exit, bye bye...");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  // A reload request during start-up (systemctl reload racing the start) must not kill the
  // process; the main loop watches SIGHUP once the proxy serves.
  signal(SIGHUP, SIG_IGN);
  Result<config::ProxyCli> cli = config::ParseProxyArgs(argc, argv);
  if (!cli.ok()) {
    std::fprintf(stderr, "slotproxy: %s\nTry '%s --help'.\n", cli.status().message().c_str(),
                 argv[0]);
    return 1;
  }
  if (cli.value().help) {
    std::fputs(config::ProxyUsage(argv[0]).c_str(), stdout);
    return 0;
  }
  if (cli.value().version) {
    std::printf("slotproxy %s\n", kVersion);
    return 0;
  }
  Result<config::ProxyConfig> cfg = config::ResolveProxyConfig(cli.value());
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return 1;
  }
  if (cli.value().test_config) {
    std::printf("configuration %s is OK\n",
                cli.value().config_path.empty() ? "(defaults)" : cli.value().config_path.c_str());
    return 0;
  }
  const config::ProxyConfig& c = cfg.value();
  auto logger = log::Logger::Create({c.log.file, config::ToLogLevel(c.log.level), 'P'});
  if (!logger.ok()) {
    std::fprintf(stderr, "slotproxy: %s\n", logger.status().message().c_str());
    return 1;
  }
  return Run(cli.value(), c, *logger.value());
}

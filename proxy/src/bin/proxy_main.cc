// The proxy binary: configuration, the data path (session::ProxyServer), and a clean stop on
// SIGTERM / SIGINT. Wiring only.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "cluster/fleet.h"
#include "command/command_table.h"
#include "config/cli.h"
#include "config/config.h"
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
  w.limits.max_pending = static_cast<size_t>(cfg.limits.max_pending_per_client);
  w.limits.output_hard = cfg.limits.output_buffer.hard;
  w.limits.max_query_buffer = cfg.limits.query_buffer;
  w.limits.proto_max_bulk_len = static_cast<int64_t>(cfg.limits.proto_max_bulk_len);
  w.limits.client_idle_ms = Ms(cfg.timeouts.client_idle);
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
// Starts the embedded shards of `cfg` and returns them with the slot map the proxy routes by
// (the fleet's layout with the ports the shards actually got).
Result<std::unique_ptr<server::EmbeddedShards>> StartEmbedded(const config::ProxyConfig& cfg,
                                                              cluster::SlotMapPtr* map) {
  const std::vector<config::FleetNode> fleet = config::EmbeddedFleet(cfg.embedded);
  std::vector<server::EmbeddedShardSpec> specs(fleet.size());
  for (size_t i = 0; i < fleet.size(); ++i) {
    server::ShardOptions& o = specs[i].options;
    o.bind = fleet[i].host;
    o.port = fleet[i].port;
    o.node_id = fleet[i].id.empty()
                    ? cluster::NodeIdFromSeed("slotproxy-embedded:" + std::to_string(i))
                    : fleet[i].id;
    o.dir = config::ShardDataDir(cfg.embedded, static_cast<int>(i));
    o.appendfsync = config::AppendFsyncName(cfg.embedded.appendfsync);
  }
  auto shards = server::EmbeddedShards::Start(std::move(specs));
  if (!shards.ok()) return shards.status();
  std::vector<cluster::FleetNode> nodes(fleet.size());
  for (size_t i = 0; i < fleet.size(); ++i) {
    nodes[i].id = shards.value()->node_ids()[i];
    nodes[i].host = fleet[i].host;
    nodes[i].port = shards.value()->ports()[i];
    for (const config::SlotRange& r : fleet[i].slots) {
      nodes[i].slots.push_back(
          cluster::SlotRange{static_cast<uint16_t>(r.first), static_cast<uint16_t>(r.last)});
    }
  }
  auto built = cluster::SlotMapFromFleet(nodes, 1);
  if (!built.ok()) return built.status();
  *map = built.value();
  return std::move(shards.value());
}
#endif

int Run(const config::ProxyConfig& cfg, const std::string& path) {
  session::ProxyServerOptions options = MakeOptions(cfg, path);
#ifdef SLOTPROXY_HAS_EMBEDDED
  std::unique_ptr<server::EmbeddedShards> shards;
#endif
  if (cfg.mode == config::Mode::kEmbedded) {
#ifdef SLOTPROXY_HAS_EMBEDDED
    auto started = StartEmbedded(cfg, &options.static_map);
    if (!started.ok()) {
      std::fprintf(stderr, "slotproxy: embedded shards: %s\n", started.status().message().c_str());
      return 1;
    }
    shards = std::move(started.value());
    std::fprintf(stderr, "slotproxy: %zu embedded shard(s) started\n", shards->size());
#else
    std::fprintf(stderr,
                 "slotproxy: embedded mode is not available in this build yet; point the proxy "
                 "at a Redis Cluster with --seed HOST:PORT (or mode: cluster and seeds: in the "
                 "config file)\n");
    return 1;
#endif
  }
  // Names are resolved once, here: the loops never block on DNS.
  for (backend::SeedAddress& seed : options.topology.seeds) {
    Result<std::string> ip = net::ResolveBlocking(seed.host);
    if (!ip.ok()) {
      std::fprintf(stderr, "slotproxy: seed %s: %s\n", seed.host.c_str(),
                   ip.status().message().c_str());
      return 1;
    }
    seed.host = ip.value();
  }
  // Commands the built-in table does not know (newer Redis, modules) are learned from a node;
  // the built-in table stays the fallback when no node answers.
  std::unique_ptr<command::CommandTable> table = command::CommandTable::CreateBuiltIn();
  {
    std::string host;
    uint16_t port = 0;
    if (options.static_map && options.static_map->node_count() > 0) {
      host = options.static_map->node(0).host;
      port = options.static_map->node(0).port;
    } else if (!options.topology.seeds.empty()) {
      host = options.topology.seeds[0].host;
      port = options.topology.seeds[0].port;
    }
    if (port != 0) {
      backend::ControlOptions control;
      control.auth_user = cfg.backend_auth.user;
      control.auth_password = cfg.backend_auth.password;
      Result<int> learned = session::LearnCommandsFrom(host, port, control, 2000, table.get());
      if (!learned.ok()) {
        std::fprintf(stderr, "slotproxy: warning: could not learn commands from %s:%u: %s\n",
                     host.c_str(), static_cast<unsigned>(port), learned.status().message().c_str());
      } else if (learned.value() > 0) {
        std::fprintf(stderr, "slotproxy: learned %d command(s) from %s:%u\n", learned.value(),
                     host.c_str(), static_cast<unsigned>(port));
      }
    }
  }
  table->Freeze();
  session::ProxyServer server(*table, options);
  Status topology;
  Status st = server.Start(&topology);
  if (!st.ok()) {
    std::fprintf(stderr, "slotproxy: %s\n", st.message().c_str());
    return 1;
  }
  if (!topology.ok()) {
    std::fprintf(stderr, "slotproxy: warning: %s (serving anyway, retrying)\n",
                 topology.message().c_str());
  }
  std::fprintf(stderr, "slotproxy %s listening on %s with %d worker(s)\n", kVersion,
               net::FormatHostPort(cfg.listen.host, server.port()).c_str(), options.workers);
  net::EventLoop loop;
  {
    net::SignalWatcher signals(loop);
    auto stop = [&loop](int) { loop.Stop(); };
    (void)signals.Watch(SIGTERM, stop);
    (void)signals.Watch(SIGINT, stop);
    loop.Run();
  }
  std::fprintf(stderr, "slotproxy: shutting down\n");
  server.Stop();
#ifdef SLOTPROXY_HAS_EMBEDDED
  if (shards) shards->Stop();
#endif
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
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
  return Run(cfg.value(), cli.value().config_path);
}

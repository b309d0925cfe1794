// The shard binary: configuration (redis-server-like flags over shard.yaml), one Shard on one
// loop, and a clean stop on SIGTERM / SIGINT. Wiring only.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "command/command_table.h"
#include "config/cli.h"
#include "config/config.h"
#include "net/event_loop.h"
#include "net/signal_watcher.h"
#include "server/cluster_check_impl.h"
#include "server/cluster_state.h"
#include "server/commands/cluster_commands.h"
#include "server/handler_registry.h"
#include "server/persistence.h"
#include "server/shard.h"

namespace {

using namespace slotproxy;  // NOLINT(google-build-using-namespace): a main file

constexpr const char* kVersion = "0.1.0";

server::ShardOptions MakeOptions(const config::ShardConfig& cfg, const std::string& path) {
  server::ShardOptions o;
  o.bind = cfg.bind;
  o.port = cfg.port;
  o.requirepass = cfg.requirepass;
  o.maxclients = cfg.maxclients;
  std::error_code ec;
  auto dir = std::filesystem::absolute(cfg.dir, ec);
  o.dir = ec ? cfg.dir : dir.lexically_normal().string();
  o.appendonly = cfg.appendonly;
  o.appendfsync = config::AppendFsyncName(cfg.appendfsync);
  o.config_file = path;
  o.node_id = cfg.self;
  return o;
}

// The cluster view: a one-node cluster owning every slot, or this node of a fleet; kept in
// the data dir as nodes.conf.
Result<std::unique_ptr<server::ClusterState>> OpenClusterState(const config::ShardConfig& cfg,
                                                               const std::string& dir) {
  server::ClusterStateOptions o;
  o.dir = dir;
  o.self_id = cfg.self;
  o.host = (cfg.bind == "0.0.0.0" || cfg.bind == "::") ? "" : cfg.bind;
  o.port = cfg.port;
  o.fleet = server::FleetFromConfig(cfg.fleet);
  return server::ClusterState::Open(o);
}

int Fail(const Status& st) {
  std::fprintf(stderr, "shard: %s\n", st.message().c_str());
  return 1;
}

// Serves until SIGTERM / SIGINT. Returns the exit code.
int Serve(net::EventLoop& loop, server::Shard& shard) {
  net::SignalWatcher signals(loop);
  auto stop = [&](int signum) {
    std::fprintf(stderr, "shard: received %s, shutting down\n",
                 signum == SIGTERM ? "SIGTERM" : "SIGINT");
    shard.Stop();
    loop.Stop();
  };
  for (int sig : {SIGTERM, SIGINT}) {
    Status st = signals.Watch(sig, stop);
    if (!st.ok()) return Fail(st);
  }
  loop.Run();
  return 0;
}

int Run(const config::ShardConfig& cfg, const std::string& path) {
  net::EventLoop loop;
  server::ShardOptions options = MakeOptions(cfg, path);
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Fail(Status::Error("cannot create --dir " + options.dir + ": " + ec.message()));
  auto state = OpenClusterState(cfg, options.dir);
  if (!state.ok()) return Fail(state.status());
  server::ClusterCheckImpl check(*state.value(), nullptr);
  const std::span<const server::HandlerRow> extra[] = {server::ClusterHandlers()};
  server::HandlerRegistry registry(command::CommandTable::BuiltIn(), extra);
  options.cluster_check = &check;
  options.registry = &registry;
  options.node_id = state.value()->my_id();
  // Created before the shard so its flush hook runs before any client output is written.
  std::unique_ptr<server::Persistence> aof;
  if (cfg.appendonly) {
    aof = std::make_unique<server::Persistence>(
        loop, options.dir, server::Persistence::PolicyFromName(options.appendfsync));
    options.aof = aof.get();
  }
  int rc = 0;
  {
    server::Shard shard(loop, options);
    check.set_keyspace(&shard.db());
    server::AttachClusterState(&shard.db(), state.value().get());
    Status st = aof ? aof->Load(shard) : Status();
    if (st.ok()) st = shard.Start();
    if (st.ok() && cfg.port == 0)
      st = state.value()->SetMyAddress(state.value()->my_node().host, shard.Port());
    if (st.ok()) {
      std::fprintf(stderr, "shard: ready to accept connections on %s:%u\n", cfg.bind.c_str(),
                   static_cast<unsigned>(shard.Port()));
      rc = Serve(loop, shard);
    } else {
      rc = Fail(st);
    }
    server::AttachClusterState(&shard.db(), nullptr);
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  auto cli = config::ParseShardArgs(argc, argv);
  if (!cli.ok()) {
    std::fprintf(stderr, "shard: %s\nTry 'shard --help'.\n", cli.status().message().c_str());
    return 2;
  }
  if (cli.value().help) {
    std::fputs(config::ShardUsage(argv[0]).c_str(), stdout);
    return 0;
  }
  if (cli.value().version) {
    std::printf("shard %s (Redis 7.0.15 compatible)\n", kVersion);
    return 0;
  }
  auto cfg = config::ResolveShardConfig(cli.value());
  if (!cfg.ok()) {
    std::fputs(cfg.status().message().c_str(), stderr);
    return 1;
  }
  if (cli.value().test_config) {
    std::printf("shard: configuration OK\n");
    return 0;
  }
  return Run(cfg.value(), cli.value().config_path);
}

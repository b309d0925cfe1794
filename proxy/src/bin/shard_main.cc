// The shard binary: configuration (redis-server-like flags over shard.yaml), one Shard on one
// loop, and a clean stop on SIGTERM / SIGINT. Wiring only.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "config/cli.h"
#include "config/config.h"
#include "net/event_loop.h"
#include "net/signal_watcher.h"
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

int Run(const config::ShardConfig& cfg, const std::string& path) {
  net::EventLoop loop;
  int rc = 0;
  {
    server::Shard shard(loop, MakeOptions(cfg, path));
    Status st = shard.Start();
    if (!st.ok()) {
      std::fprintf(stderr, "shard: %s\n", st.message().c_str());
      return 1;
    }
    std::fprintf(stderr, "shard: ready to accept connections on %s:%u\n", cfg.bind.c_str(),
                 static_cast<unsigned>(shard.Port()));
    net::SignalWatcher signals(loop);
    auto stop = [&](int signum) {
      std::fprintf(stderr, "shard: received %s, shutting down\n",
                   signum == SIGTERM ? "SIGTERM" : "SIGINT");
      shard.Stop();
      loop.Stop();
    };
    for (int sig : {SIGTERM, SIGINT}) {
      st = signals.Watch(sig, stop);
      if (!st.ok()) {
        std::fprintf(stderr, "shard: %s\n", st.message().c_str());
        rc = 1;
      }
    }
    if (rc == 0) loop.Run();
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

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
#include "server/shard_wiring.h"

namespace {

using namespace slotproxy;  // NOLINT(google-build-using-namespace): a main file

constexpr const char* kVersion = "0.1.0";

server::ShardOptions MakeOptions(const config::ShardConfig& cfg, const std::string& path) {
  server::ShardOptions o;
  o.bind = cfg.bind;
  o.port = cfg.port;
  o.requirepass = cfg.requirepass;
  o.maxclients = cfg.maxclients;
  o.config_file = path;
  return o;
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
  auto dir = std::filesystem::absolute(cfg.dir, ec);
  // The cluster view, the CLUSTER / BGREWRITEAOF handlers and the AOF, wired as embedded shards
  // are (server/shard_wiring.h).
  auto wiring = server::ShardWiring::Create(
      server::WiringFromConfig(cfg, ec ? cfg.dir : dir.lexically_normal().string()), &options);
  if (!wiring.ok()) return Fail(wiring.status());
  int rc = 0;
  {
    server::Shard shard(loop, options);
    // Start (listen) before Attach: the AOF's flush hook must run after the shard's own
    // before-sleep hook; nothing is served before the loop runs.
    Status st = shard.Start();
    if (st.ok()) st = wiring.value()->Attach(shard);
    if (st.ok()) {
      std::fprintf(stderr, "shard: ready to accept connections on %s:%u\n", cfg.bind.c_str(),
                   static_cast<unsigned>(shard.Port()));
      rc = Serve(loop, shard);
    } else {
      rc = Fail(st);
    }
    wiring.value()->Detach();
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

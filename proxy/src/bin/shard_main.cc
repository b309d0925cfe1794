// The shard binary: configuration (redis-server-like flags over shard.yaml), one Shard on one
// loop, its Prometheus /metrics (--metrics-port), a Redis-style log, and a clean stop on
// SIGTERM / SIGINT (a second one exits at once). Wiring only.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "config/cli.h"
#include "config/config.h"
#include "config/log_level.h"
#include "log/logger.h"
#include "metrics/http_server.h"
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
  o.busy_reply_threshold_ms = cfg.busy_reply_threshold_ms;
  o.config_file = path;
  return o;
}

int Fail(log::Logger& logger, const Status& st) {
  logger.Warning("{}", st.message());
  return 1;
}

// A signal arriving while the shard shuts down: the user does not want to wait (Redis does the
// same on a second SIGINT). Async-signal-safe.
extern "C" void ExitAtOnce(int) { _exit(1); }

// Serves until SIGTERM / SIGINT. The loop stops after the turn that saw the signal, so every
// reply already sent had its AOF record written first (the flush hook precedes client output);
// what that turn buffered is written when the AOF writer closes. Returns the exit code.
int Serve(net::EventLoop& loop, log::Logger& logger) {
  {
    net::SignalWatcher signals(loop);
    auto stop = [&](int signum) {
      logger.Warning("Received {} scheduling shutdown...",
                     signum == SIGTERM ? "SIGTERM" : "SIGINT");
      loop.Stop();
    };
    for (int sig : {SIGTERM, SIGINT}) {
      Status st = signals.Watch(sig, stop);
      if (!st.ok()) return Fail(logger, st);
    }
    loop.Run();
  }
  signal(SIGTERM, ExitAtOnce);
  signal(SIGINT, ExitAtOnce);
  logger.Warning("User requested shutdown...");
  return 0;
}

// /metrics on cfg.metrics.listen; null when its port is 0.
Result<std::unique_ptr<metrics::MetricsHttpServer>> StartHttp(const config::ShardConfig& cfg,
                                                              metrics::ShardMetrics& sm,
                                                              log::Logger& logger) {
  metrics::HttpOptions ho;
  ho.host = cfg.metrics.listen.host;
  ho.port = cfg.metrics.listen.port;
  ho.threads = 1;
  ho.collectables = {sm.collectable()};
  auto http = metrics::MetricsHttpServer::Start(std::move(ho));
  if (http.ok() && http.value()) {
    logger.Notice("Metrics on http://{}:{}/metrics", cfg.metrics.listen.host, http.value()->port());
  }
  return http;
}

int Run(const config::ShardConfig& cfg, const std::string& path, log::Logger& logger) {
  logger.Notice("shard version={}, bits={}, pid={}, just started", kVersion, sizeof(void*) * 8,
                static_cast<long>(getpid()));
  logger.Notice("Configuration loaded from {}", path.empty() ? "(defaults and flags)" : path);
  net::EventLoop loop;
  server::ShardOptions options = MakeOptions(cfg, path);
  std::error_code ec;
  auto dir = std::filesystem::absolute(cfg.dir, ec);
  // The cluster view, the CLUSTER / BGREWRITEAOF handlers, the AOF and the metrics, wired as
  // embedded shards are (server/shard_wiring.h).
  server::ShardWiringOptions wo =
      server::WiringFromConfig(cfg, ec ? cfg.dir : dir.lexically_normal().string());
  wo.process_metrics = true;
  auto wiring = server::ShardWiring::Create(wo, &options);
  if (!wiring.ok()) return Fail(logger, wiring.status());
  int rc = 0;
  {
    server::Shard shard(loop, options);
    // Start (listen) before Attach: the AOF's flush hook must run after the shard's own
    // before-sleep hook; nothing is served before the loop runs.
    Status st = shard.Start();
    if (st.ok()) st = wiring.value()->Attach(shard);
    Result<std::unique_ptr<metrics::MetricsHttpServer>> http =
        std::unique_ptr<metrics::MetricsHttpServer>();
    if (st.ok()) {
      http = StartHttp(cfg, *wiring.value()->metrics(), logger);
      if (!http.ok()) st = http.status();
    }
    if (st.ok()) {
      logger.Notice("Ready to accept connections on {}:{}", cfg.bind, shard.Port());
      rc = Serve(loop, logger);
    } else {
      rc = Fail(logger, st);
    }
    if (http.ok()) http.value().reset();  // before the metrics it reads go away
    shard.Stop();
    wiring.value()->Detach();
  }
  wiring.value().reset();  // closes the AOF: buffered records written and synced
  if (rc == 0) logger.Notice("Shard is now ready to exit, bye bye...");
  logger.Flush();
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
  auto logger =
      log::Logger::Create({cfg.value().log.file, config::ToLogLevel(cfg.value().log.level), 'M'});
  if (!logger.ok()) {
    std::fprintf(stderr, "shard: %s\n", logger.status().message().c_str());
    return 1;
  }
  return Run(cfg.value(), cli.value().config_path, *logger.value());
}

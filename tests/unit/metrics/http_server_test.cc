#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include <catch2/catch.hpp>

#include "command/command_table.h"
#include "metrics/proxy_metrics.h"
#include "unit/metrics/promtool_util.h"

namespace slotproxy::metrics {
namespace {

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// One HTTP/1.0 GET to 127.0.0.1:port, read to EOF (5 s receive timeout, 1 MiB cap).
HttpReply Get(uint16_t port, const std::string& path) {
  HttpReply r;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
  std::string all;
  char buf[4096];
  while (all.size() < (1 << 20)) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t sp = all.find(' ');
  size_t end = all.find("\r\n\r\n");
  REQUIRE(sp != std::string::npos);
  REQUIRE(end != std::string::npos);
  r.status = std::stoi(all.substr(sp + 1, 3));
  r.headers = all.substr(0, end);
  r.body = all.substr(end + 4);
  return r;
}

TEST_CASE("http: port 0 without any_port is off", "[metrics]") {
  auto s = MetricsHttpServer::Start(HttpOptions{});
  REQUIRE(s.ok());
  CHECK(s.value() == nullptr);
}

TEST_CASE("http: /metrics, /healthz and /readyz on one OS-picked port", "[metrics]") {
  ProxyMetrics metrics({});
  metrics.worker(0).RecordCommand(command::FindCommand("get"), 30'000, 10'000, false);
  metrics.SetClientConnections([] { return 4.0; });
  std::atomic<bool> ready{false};
  HttpOptions opt;
  opt.host = "127.0.0.1";
  opt.any_port = true;
  opt.collectables = {metrics.collectable(), metrics.registry()};
  opt.liveness = [&] { return metrics.LivenessProblem(60'000); };
  opt.readiness = [&]() -> std::string { return ready ? "" : "topology not known yet"; };
  auto started = MetricsHttpServer::Start(opt);
  REQUIRE(started.ok());
  auto& server = started.value();
  REQUIRE(server != nullptr);
  REQUIRE(server->port() != 0);

  HttpReply m = Get(server->port(), "/metrics");
  CHECK(m.status == 200);
  CHECK(m.body.find("slotproxy_commands_total{command=\"get\"} 1") != std::string::npos);
  CHECK(m.body.find("slotproxy_command_duration_seconds_bucket{command=\"get\",le=\"5e-05\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("slotproxy_client_connections 4") != std::string::npos);
  CHECK(m.body.find("process_open_fds") != std::string::npos);
  // What Prometheus would scrape, prometheus-cpp's own exposer_* families included, lints clean.
  if (auto lint = testing::Promtool(m.body)) {
    INFO(lint->output);
    CHECK(lint->exit_code == 0);
  }

  HttpReply h = Get(server->port(), "/healthz");
  CHECK(h.status == 200);
  CHECK(h.body == "ok\n");

  HttpReply r = Get(server->port(), "/readyz");
  CHECK(r.status == 503);
  CHECK(r.body == "topology not known yet\n");
  ready = true;
  CHECK(Get(server->port(), "/readyz").status == 200);

  // A stalled loop fails liveness.
  HttpOptions stale = opt;
  stale.liveness = [] { return std::string("worker 0 loop has not ticked for 9000 ms"); };
  stale.readiness = [&]() -> std::string { throw std::runtime_error("boom"); };
  auto second = MetricsHttpServer::Start(stale);
  REQUIRE(second.ok());
  REQUIRE(second.value()->port() != server->port());
  CHECK(Get(second.value()->port(), "/healthz").status == 503);
  HttpReply thrown = Get(second.value()->port(), "/readyz");
  CHECK(thrown.status == 503);
  CHECK(thrown.body == "probe failed: boom\n");
}

TEST_CASE("http: a port in use is an error, not an exception", "[metrics]") {
  HttpOptions opt;
  opt.host = "127.0.0.1";
  opt.any_port = true;
  auto first = MetricsHttpServer::Start(opt);
  REQUIRE(first.ok());
  HttpOptions again;
  again.host = "127.0.0.1";
  again.port = first.value()->port();
  auto second = MetricsHttpServer::Start(again);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message().find("cannot listen on 127.0.0.1:") != std::string::npos);
}

TEST_CASE("http: liveness follows the workers' heartbeats", "[metrics]") {
  ProxyMetrics::Options o;
  o.workers = 2;
  ProxyMetrics metrics(o);
  metrics.worker(0).Heartbeat();
  CHECK(metrics.LivenessProblem(60'000).empty());
  // max age 0 ms can only hold within the same millisecond; any age > 0 names a worker.
  std::string p = metrics.LivenessProblem(0);
  if (!p.empty()) CHECK(p.find("loop has not ticked for") != std::string::npos);
}

}  // namespace
}  // namespace slotproxy::metrics

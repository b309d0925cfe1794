#include "metrics/http_server.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <exception>

#include "prometheus/exposer.h"

namespace slotproxy::metrics {
namespace {

// Set by CaptureServer while the Exposer constructor runs on this thread (CivetWeb calls
// init_context synchronously from mg_start2); read right after it returns.
thread_local CivetServer* captured_server = nullptr;

void CaptureServer(const mg_context* ctx) {
  captured_server = static_cast<CivetServer*>(mg_get_user_data(ctx));
}

void Reply(mg_connection* conn, int status, const std::string& body) {
  const char* reason = status == 200 ? "OK" : "Service Unavailable";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
            status, reason, body.size());
  mg_write(conn, body.data(), body.size());
}

}  // namespace

class MetricsHttpServer::ProbeHandler : public CivetHandler {
 public:
  explicit ProbeHandler(ProbeFn probe) : probe_(std::move(probe)) {}
  using CivetHandler::handleGet;
  bool handleGet(CivetServer* /*server*/, mg_connection* conn) override {
    std::string problem;
    try {
      if (probe_) problem = probe_();
    } catch (const std::exception& e) {
      // A probe that throws is a failed probe, not a dead HTTP thread.
      problem = std::string("probe failed: ") + e.what();
    }
    if (problem.empty()) {
      Reply(conn, 200, "ok\n");
    } else {
      Reply(conn, 503, problem + "\n");
    }
    return true;
  }

 private:
  ProbeFn probe_;
};

Result<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(HttpOptions options) {
  if (options.port == 0 && !options.any_port) return std::unique_ptr<MetricsHttpServer>();
  uint16_t want = options.any_port ? 0 : options.port;
  // IPv6 literals need brackets in CivetWeb's listening_ports.
  bool v6 = options.host.find(':') != std::string::npos;
  std::string address = (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(want);
  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer());
  server->healthz_ = std::make_unique<ProbeHandler>(std::move(options.liveness));
  server->readyz_ = std::make_unique<ProbeHandler>(std::move(options.readiness));
  CivetCallbacks callbacks;
  callbacks.init_context = &CaptureServer;
  captured_server = nullptr;
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", address, "num_threads",
                                 std::to_string(options.threads < 1 ? 1 : options.threads)},
        &callbacks);
  } catch (const std::exception& e) {
    return Status::Error("metrics: cannot listen on " + address + ": " + e.what());
  }
  CivetServer* civet = captured_server;
  captured_server = nullptr;
  if (civet == nullptr) return Status::Error("metrics: the HTTP server did not start");
  civet->addHandler("/healthz", server->healthz_.get());
  civet->addHandler("/readyz", server->readyz_.get());
  server->collectables_ = std::move(options.collectables);
  for (const auto& c : server->collectables_) server->exposer_->RegisterCollectable(c);
  std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty()) return Status::Error("metrics: no listening port on " + address);
  server->port_ = static_cast<uint16_t>(ports.front());
  return server;
}

MetricsHttpServer::~MetricsHttpServer() = default;

}  // namespace slotproxy::metrics

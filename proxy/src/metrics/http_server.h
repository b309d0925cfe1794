// MetricsHttpServer: the HTTP side of the metrics. prometheus-cpp's Exposer (CivetWeb inside,
// its own threads) serves /metrics from the collectables it is given; /healthz and /readyz are
// CivetWeb handlers added to the Exposer's own server, so everything shares one host:port.
//
// prometheus-cpp 1.0 does not hand out its CivetServer; the Exposer does take CivetCallbacks,
// and CivetWeb calls their init_context on the constructing thread with a context whose user
// data is that CivetServer. That is how the probe handlers are attached (see http_server.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "prometheus/collectable.h"

namespace prometheus {
class Exposer;
}

namespace slotproxy::metrics {

// A probe: returns "" when fine, else the reason (sent with 503).
using ProbeFn = std::function<std::string()>;

struct HttpOptions {
  std::string host = "0.0.0.0";
  // 0 = off (Start returns a null server) unless `any_port`, which lets the OS pick one (tests).
  uint16_t port = 0;
  bool any_port = false;
  size_t threads = 2;
  // What /metrics serves, in order; each must outlive the server.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
  // /healthz: 200 "ok" when liveness() is "", else 503 with its text; unset = always ok.
  ProbeFn liveness;
  // /readyz: 200 "ok" when readiness() is "", else 503 with its text; unset = always ok.
  ProbeFn readiness;
};

class MetricsHttpServer {
 public:
  // Binds and starts serving. Returns nullptr (no error) when the port is 0 and any_port is
  // false; an error naming host:port when the address cannot be bound.
  static Result<std::unique_ptr<MetricsHttpServer>> Start(HttpOptions options);

  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port actually bound (the OS's pick with any_port).
  uint16_t port() const { return port_; }

 private:
  class ProbeHandler;
  MetricsHttpServer() = default;

  // Declared before the exposer: destroyed after it, so no request can reach a dead handler.
  std::unique_ptr<ProbeHandler> healthz_;
  std::unique_ptr<ProbeHandler> readyz_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  uint16_t port_ = 0;
};

}  // namespace slotproxy::metrics

#include "metrics/proxy_metrics.h"

#include <algorithm>
#include <span>

#include "command/command_info.h"
#include "metrics/families.h"
#include "metrics/info_text.h"
#include "metrics/process_metrics.h"

namespace slotproxy::metrics {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

// Adapts ProxyMetrics to prometheus::Collectable (the exposer holds it by weak_ptr).
class FoldingCollectable : public prometheus::Collectable {
 public:
  explicit FoldingCollectable(const ProxyMetrics* owner) : owner_(owner) {}
  std::vector<MetricFamily> Collect() const override { return owner_->Collect(); }

 private:
  const ProxyMetrics* owner_;
};

std::string CommandLabel(const command::CommandInfo* row) {
  return row == nullptr ? std::string(kUnknownCommandLabel) : std::string(row->name);
}

double Seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

// A labelled source exported under `label`; the `fixed` values always appear (0 if missing).
MetricFamily LabeledFamily(std::string name, std::string help, MetricType type,
                           const LabeledSource& fn, const char* label,
                           std::span<const std::string_view> fixed) {
  MetricFamily f = NewFamily(std::move(name), std::move(help), type);
  std::vector<LabeledValue> values;
  if (fn) values = fn();
  for (std::string_view want : fixed) {
    bool seen = std::any_of(values.begin(), values.end(),
                            [&](const LabeledValue& v) { return v.label == want; });
    if (!seen) values.push_back({std::string(want), 0});
  }
  for (auto& v : values) AddSample(&f, {{label, std::move(v.label)}}, v.value);
  SortSamples(&f);
  return f;
}

}  // namespace

ProxyMetrics::ProxyMetrics(const Options& options)
    : slowlog_(options.slowlog_max_len, options.slowlog_threshold_us),
      collectable_(std::make_shared<FoldingCollectable>(this)),
      registry_(std::make_shared<prometheus::Registry>()) {
  LoopStats::Options lo;
  lo.max_commands = options.max_commands;
  lo.max_nodes = options.max_nodes;
  lo.slowlog = &slowlog_;
  for (size_t i = 0; i < std::max<size_t>(options.workers, 1); ++i) {
    loops_.push_back(std::make_unique<LoopStats>(lo));
  }
}

ProxyMetrics::~ProxyMetrics() = default;

StatsSnapshot ProxyMetrics::Snapshot() const {
  StatsSnapshot snap;
  for (const auto& loop : loops_) loop->AddTo(&snap);
  return snap;
}

StatsSnapshot ProxyMetrics::InfoSnapshot() const {
  StatsSnapshot now = Snapshot();
  std::lock_guard lock(info_base_mu_);
  return Subtract(now, info_base_);
}

void ProxyMetrics::ResetInfoStats() {
  StatsSnapshot now = Snapshot();
  std::lock_guard lock(info_base_mu_);
  info_base_ = std::move(now);
}

std::string ProxyMetrics::LivenessProblem(uint64_t max_age_ms) const {
  for (size_t i = 0; i < loops_.size(); ++i) {
    uint64_t age = loops_[i]->MsSinceHeartbeat();
    if (age > max_age_ms) {
      return "worker " + std::to_string(i) + " loop has not ticked for " + std::to_string(age) +
             " ms";
    }
  }
  return "";
}

void ProxyMetrics::SetClientConnections(ScalarSource fn) {
  std::lock_guard lock(sources_mu_);
  sources_.clients = std::move(fn);
}
void ProxyMetrics::SetPendingRequests(ScalarSource fn) {
  std::lock_guard lock(sources_mu_);
  sources_.pending = std::move(fn);
}
void ProxyMetrics::SetSlotMapVersion(ScalarSource fn) {
  std::lock_guard lock(sources_mu_);
  sources_.slot_map_version = std::move(fn);
}
void ProxyMetrics::SetSlotMapAgeSeconds(ScalarSource fn) {
  std::lock_guard lock(sources_mu_);
  sources_.slot_map_age = std::move(fn);
}
void ProxyMetrics::SetBackendConnections(LabeledSource fn) {
  std::lock_guard lock(sources_mu_);
  sources_.backend_connections = std::move(fn);
}
void ProxyMetrics::SetSlotsPerNode(LabeledSource fn) {
  std::lock_guard lock(sources_mu_);
  sources_.slots = std::move(fn);
}
void ProxyMetrics::SetTopologyRefreshes(LabeledSource fn) {
  std::lock_guard lock(sources_mu_);
  sources_.refreshes = std::move(fn);
}
void ProxyMetrics::SetConfigReloads(LabeledSource fn) {
  std::lock_guard lock(sources_mu_);
  sources_.reloads = std::move(fn);
}

void ProxyMetrics::CollectCommands(const StatsSnapshot& snap,
                                   std::vector<MetricFamily>* out) const {
  MetricFamily calls = NewFamily("slotproxy_commands_total",
                                 "Client commands answered, by command.", MetricType::Counter);
  MetricFamily errors =
      NewFamily("slotproxy_command_errors_total",
                "Client commands answered with an error reply, by command.", MetricType::Counter);
  MetricFamily duration =
      NewFamily("slotproxy_command_duration_seconds",
                "Time from a request fully parsed to its reply queued for the client, by command.",
                MetricType::Histogram);
  MetricFamily backend = NewFamily(
      "slotproxy_command_backend_seconds_total",
      "Part of slotproxy_command_duration_seconds spent waiting for backends, by command.",
      MetricType::Counter);
  for (const auto& [row, f] : snap.commands) {
    std::string label = CommandLabel(row);
    AddSample(&calls, {{"command", label}}, static_cast<double>(f.latency.Count()));
    AddSample(&errors, {{"command", label}}, static_cast<double>(f.failed));
    AddSample(&backend, {{"command", label}}, Seconds(f.backend_ns));
    AddHistogram(&duration, {{"command", std::move(label)}}, f.latency);
  }
  for (MetricFamily* f : {&calls, &errors, &duration, &backend}) {
    SortSamples(f);
    out->push_back(std::move(*f));
  }
}

void ProxyMetrics::CollectNodes(const StatsSnapshot& snap, std::vector<MetricFamily>* out) const {
  MetricFamily rtt = NewFamily("slotproxy_backend_rtt_seconds",
                               "Backend round trip (request written to reply read), by node.",
                               MetricType::Histogram);
  MetricFamily connects =
      NewFamily("slotproxy_backend_connects_total",
                "Backend connection attempts, by node and result.", MetricType::Counter);
  MetricFamily timeouts =
      NewFamily("slotproxy_backend_timeouts_total", "Backend requests that timed out, by node.",
                MetricType::Counter);
  for (const auto& [node, f] : snap.nodes) {
    AddHistogram(&rtt, {{"node", node}}, f.rtt);
    AddSample(&connects, {{"node", node}, {"result", "ok"}}, static_cast<double>(f.connects_ok));
    AddSample(&connects, {{"node", node}, {"result", "failed"}},
              static_cast<double>(f.connects_failed));
    AddSample(&timeouts, {{"node", node}}, static_cast<double>(f.timeouts));
  }
  for (MetricFamily* f : {&rtt, &connects, &timeouts}) {
    SortSamples(f);
    out->push_back(std::move(*f));
  }
}

void ProxyMetrics::CollectCounters(const StatsSnapshot& snap,
                                   std::vector<MetricFamily>* out) const {
  MetricFamily redirs =
      NewFamily("slotproxy_redirections_total",
                "MOVED and ASK redirections followed by the proxy, by kind.", MetricType::Counter);
  AddSample(&redirs, {{"kind", "ask"}}, static_cast<double>(snap.ask));
  AddSample(&redirs, {{"kind", "moved"}}, static_cast<double>(snap.moved));
  out->push_back(std::move(redirs));
  auto scalar = [&](const char* name, const char* help, uint64_t v) {
    MetricFamily f = NewFamily(name, help, MetricType::Counter);
    AddSample(&f, {}, static_cast<double>(v));
    out->push_back(std::move(f));
  };
  scalar("slotproxy_tryagain_retries_total", "Requests retried after -TRYAGAIN.", snap.tryagain);
  scalar("slotproxy_protocol_errors_total", "Client connections closed for a protocol error.",
         snap.protocol_errors);
  scalar("slotproxy_received_bytes_total", "Bytes read from clients.", snap.bytes_in);
  scalar("slotproxy_sent_bytes_total", "Bytes written to clients.", snap.bytes_out);
}

void ProxyMetrics::CollectSources(std::vector<MetricFamily>* out) const {
  std::lock_guard lock(sources_mu_);
  auto gauge = [&](const char* name, const char* help, const ScalarSource& fn) {
    MetricFamily f = NewFamily(name, help, MetricType::Gauge);
    AddSample(&f, {}, fn ? fn() : 0.0);
    out->push_back(std::move(f));
  };
  gauge("slotproxy_client_connections", "Open client connections.", sources_.clients);
  gauge("slotproxy_pending_requests", "Client requests waiting for their reply.", sources_.pending);
  gauge("slotproxy_slot_map_version", "Version of the slot map in use.", sources_.slot_map_version);
  gauge("slotproxy_slot_map_age_seconds", "Seconds since the slot map in use was built.",
        sources_.slot_map_age);
  out->push_back(LabeledFamily("slotproxy_backend_connections",
                               "Open backend connections, by node.", MetricType::Gauge,
                               sources_.backend_connections, "node", {}));
  out->push_back(LabeledFamily("slotproxy_slots", "Hash slots owned by each node in the slot map.",
                               MetricType::Gauge, sources_.slots, "node", {}));
  out->push_back(LabeledFamily("slotproxy_topology_refreshes_total",
                               "Topology refreshes, by trigger.", MetricType::Counter,
                               sources_.refreshes, "trigger", kRefreshTriggers));
  out->push_back(LabeledFamily("slotproxy_config_reloads_total", "Config reloads, by result.",
                               MetricType::Counter, sources_.reloads, "result", kReloadResults));
}

std::vector<MetricFamily> ProxyMetrics::Collect() const {
  StatsSnapshot snap = Snapshot();
  std::vector<MetricFamily> out;
  CollectCommands(snap, &out);
  CollectNodes(snap, &out);
  CollectCounters(snap, &out);
  CollectSources(&out);
  for (MetricFamily& f : CollectProcessMetrics()) out.push_back(std::move(f));
  return out;
}

}  // namespace slotproxy::metrics

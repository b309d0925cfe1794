#include "backend/topology_manager.h"

#include <sys/socket.h>

#include <optional>
#include <utility>

#include "backend/control_connection.h"
#include "cluster/topology.h"
#include "net/address.h"

namespace slotproxy::backend {
namespace {

bool IsConnectable(const std::string& host) {
  sockaddr_storage addr{};
  return net::ParseIpAddress(host, 1, &addr).ok();
}

}  // namespace

void TopologyControl::SetRefreshInterval(uint64_t ms) {
  interval_ms_.store(ms, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  if (apply_) apply_(ms);
}

void TopologyControl::Attach(std::function<void(uint64_t)> apply) {
  std::lock_guard<std::mutex> lock(mu_);
  apply_ = std::move(apply);
}

void TopologyControl::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  apply_ = nullptr;
}

struct TopologyManager::Impl {
  Impl(TopologyManager* manager, net::EventLoop& event_loop, cluster::SlotMapHolder& map_holder,
       TopologyOptions topology_options)
      : owner(manager),
        loop(event_loop),
        holder(map_holder),
        options(std::move(topology_options)),
        periodic(loop),
        delay(loop),
        retry(loop),
        first_deadline(loop) {}

  void OnRequest(RefreshTrigger trigger);
  void StartRefresh();
  void SetInterval(uint64_t ms);
  void TryNext();
  void OnReply(const SeedAddress& node, Result<resp::Value> reply);
  Status Publish(const resp::Value& reply, const std::string& host);
  void Finish(bool ok);
  void ReportFirst(const Status& status);
  std::vector<SeedAddress> Candidates();

  TopologyManager* owner;
  net::EventLoop& loop;
  cluster::SlotMapHolder& holder;
  TopologyOptions options;
  net::Timer periodic;
  net::Timer delay;           // a rate-limited request waiting for min_refresh_interval_ms
  net::Timer retry;           // after a refresh where no node answered
  net::Timer first_deadline;  // Start()'s first_timeout_ms
  std::atomic<bool> request_posted{false};
  bool in_flight = false;
  bool again = false;  // a request arrived during a refresh: run one more after it
  bool started_once = false;
  std::optional<RefreshTrigger> pending;  // of the next refresh (the first request wins)
  RefreshTrigger current = RefreshTrigger::kStartup;  // of the refresh in flight or last
  uint64_t last_start_ms = 0;
  size_t rotation = 0;
  std::vector<SeedAddress> candidates;  // of the refresh in flight
  size_t next = 0;
  std::string attempt_errors;  // "; "-joined errors of the refresh in flight
  std::string last_error;
  std::unique_ptr<ControlConnection> conn;  // kept open to the last node that answered
  std::function<void(const Status&)> on_first;
  bool first_reported = true;  // until Start() arms it
};

TopologyManager::TopologyManager(net::EventLoop& loop, cluster::SlotMapHolder& holder,
                                 TopologyOptions options)
    : impl_(std::make_shared<Impl>(this, loop, holder, std::move(options))) {
  // Seeds named by host name are resolved once, here (start-up), so the loop never blocks on
  // DNS; a name that does not resolve stays as is and fails to connect with a clear error.
  for (SeedAddress& seed : impl_->options.seeds) {
    if (IsConnectable(seed.host)) continue;
    Result<std::string> ip = net::ResolveBlocking(seed.host);
    if (ip.ok()) seed.host = ip.value();
  }
  if (TopologyControl* control = impl_->options.control) {
    if (control->refresh_interval_ms() > 0) {
      impl_->options.refresh_interval_ms = control->refresh_interval_ms();
    }
    control->Attach([weak = std::weak_ptr<Impl>(impl_), &loop](uint64_t ms) {
      loop.Post([weak, ms] {
        if (std::shared_ptr<Impl> impl = weak.lock()) impl->SetInterval(ms);
      });
    });
  }
}

TopologyManager::~TopologyManager() {
  if (impl_->options.control != nullptr) impl_->options.control->Detach();
}

void TopologyManager::Impl::SetInterval(uint64_t ms) {
  options.refresh_interval_ms = ms;
  if (ms == 0) {
    periodic.Stop();
  } else if (started_once) {  // running: re-arm with the new period
    periodic.StartRepeating(ms, [this] { OnRequest(RefreshTrigger::kPeriodic); });
  }
}

std::string TopologyManager::last_error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return last_error_;
}

void TopologyManager::Start(std::function<void(const Status&)> on_first,
                            uint64_t first_timeout_ms) {
  Impl& impl = *impl_;
  impl.on_first = std::move(on_first);
  impl.first_reported = false;
  if (first_timeout_ms > 0) {
    impl.first_deadline.Start(first_timeout_ms, [&impl] {
      impl.ReportFirst(Status::Error(
          impl.last_error.empty() ? std::string("no cluster topology yet") : impl.last_error));
    });
  }
  if (impl.options.refresh_interval_ms > 0) {
    impl.periodic.StartRepeating(impl.options.refresh_interval_ms,
                                 [&impl] { impl.OnRequest(RefreshTrigger::kPeriodic); });
  }
  impl.pending = RefreshTrigger::kStartup;
  impl.StartRefresh();
}

void TopologyManager::RequestRefresh(std::string_view reason) {
  RefreshTrigger trigger = RefreshTrigger::kConnectionLost;
  if (reason.substr(0, 5) == "MOVED") {
    trigger = RefreshTrigger::kMoved;
  } else if (reason.find("CLUSTERDOWN") != std::string_view::npos) {
    trigger = RefreshTrigger::kClusterDown;
  }
  RequestRefresh(trigger);
}

void TopologyManager::RequestRefresh(RefreshTrigger trigger) {
  // Coalesce: a storm of MOVED replies on every worker costs one posted closure.
  if (impl_->request_posted.exchange(true, std::memory_order_acq_rel)) return;
  std::weak_ptr<Impl> weak = impl_;
  impl_->loop.Post([weak, trigger] {
    if (std::shared_ptr<Impl> impl = weak.lock()) {
      impl->request_posted.store(false, std::memory_order_release);
      impl->OnRequest(trigger);
    }
  });
}

void TopologyManager::Impl::OnRequest(RefreshTrigger trigger) {
  if (!pending) pending = trigger;
  if (in_flight) {
    again = true;
    return;
  }
  const uint64_t now = loop.NowMs();
  const uint64_t elapsed = now - last_start_ms;
  if (started_once && elapsed < options.min_refresh_interval_ms) {
    if (!delay.IsActive()) {
      delay.Start(options.min_refresh_interval_ms - elapsed,
                  [this] { OnRequest(pending.value_or(current)); });
    }
    return;
  }
  StartRefresh();
}

// Masters of the current map first (rotated, so one dead node is not always asked first), then
// replicas, then the seeds; each address once.
std::vector<SeedAddress> TopologyManager::Impl::Candidates() {
  std::vector<SeedAddress> masters;
  std::vector<SeedAddress> replicas;
  if (cluster::SlotMapPtr map = holder.Load()) {
    for (const cluster::Node& node : map->nodes()) {
      if (!IsConnectable(node.host)) continue;  // a host name: only seeds are resolved
      auto& list = node.role == cluster::NodeRole::kMaster ? masters : replicas;
      list.push_back({node.host, node.port});
    }
  }
  std::vector<SeedAddress> result;
  const auto add = [&result](const SeedAddress& a) {
    for (const SeedAddress& b : result) {
      if (a.host == b.host && a.port == b.port) return;
    }
    result.push_back(a);
  };
  for (size_t i = 0; i < masters.size(); ++i) add(masters[(i + rotation) % masters.size()]);
  for (const SeedAddress& a : replicas) add(a);
  for (const SeedAddress& a : options.seeds) add(a);
  ++rotation;
  return result;
}

void TopologyManager::Impl::StartRefresh() {
  delay.Stop();
  retry.Stop();
  in_flight = true;
  started_once = true;
  current = pending.value_or(current);
  pending.reset();
  if (options.control != nullptr) options.control->Count(current);
  last_start_ms = loop.NowMs();
  candidates = Candidates();
  next = 0;
  attempt_errors.clear();
  TryNext();
}

void TopologyManager::Impl::TryNext() {
  if (next >= candidates.size()) {
    last_error =
        "no node answered CLUSTER SLOTS" +
        (attempt_errors.empty() ? std::string(" (no seed configured)") : ": " + attempt_errors);
    Finish(false);
    return;
  }
  const SeedAddress node = candidates[next++];
  if (conn == nullptr || conn->host() != node.host || conn->port() != node.port) {
    ControlOptions control;
    control.connect_timeout_ms = options.connect_timeout_ms;
    control.request_timeout_ms = options.request_timeout_ms;
    control.auth_user = options.auth_user;
    control.auth_password = options.auth_password;
    conn = std::make_unique<ControlConnection>(loop, node.host, node.port, control);
  }
  conn->Send({"CLUSTER", "SLOTS"},
             [this, node](Result<resp::Value> reply) { OnReply(node, std::move(reply)); });
}

void TopologyManager::Impl::OnReply(const SeedAddress& node, Result<resp::Value> reply) {
  Status status = reply.ok() ? Publish(reply.value(), node.host) : reply.status();
  if (status.ok()) {
    Finish(true);
    return;
  }
  if (!attempt_errors.empty()) attempt_errors.append("; ");
  attempt_errors.append(net::FormatHostPort(node.host, node.port) + ": " + status.message());
  // Asking the next node from inside this connection's callback would replace the connection
  // while it runs: continue on the next loop turn instead.
  loop.Post([weak = std::weak_ptr<Impl>(owner->impl_)] {
    if (std::shared_ptr<Impl> impl = weak.lock()) impl->TryNext();
  });
}

// Parses and publishes. The version is one above the snapshot being replaced; a MOVED patch
// published meanwhile makes the compare-and-swap fail, and the refresh is rebased on it.
Status TopologyManager::Impl::Publish(const resp::Value& reply, const std::string& host) {
  if (reply.type == resp::ValueType::kError) return Status::Error(reply.str);
  for (int attempt = 0; attempt < 16; ++attempt) {
    cluster::SlotMapPtr previous = holder.Load();
    Result<cluster::SlotMapPtr> parsed =
        cluster::ParseClusterSlots(reply, host, previous ? previous->version() + 1 : 1);
    if (!parsed.ok()) return parsed.status();
    if (parsed.value()->covered_slots() == 0) return Status::Error("the node serves no slot");
    if (previous && cluster::DiffSlotMaps(*previous, *parsed.value()).empty()) return Status();
    if (holder.CompareAndSwap(previous, parsed.value())) {
      owner->published_.fetch_add(1, std::memory_order_relaxed);
      return Status();
    }
  }
  return Status::Error("the slot map kept changing during the refresh");
}

void TopologyManager::Impl::Finish(bool ok) {
  in_flight = false;
  if (ok) {
    owner->refreshes_.fetch_add(1, std::memory_order_relaxed);
    ReportFirst(Status());
  } else {
    owner->refresh_errors_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(owner->error_mu_);
      owner->last_error_ = last_error;
    }
    retry.Start(options.retry_interval_ms, [this] { OnRequest(current); });
  }
  if (again) {
    again = false;
    OnRequest(pending.value_or(current));
  }
}

void TopologyManager::Impl::ReportFirst(const Status& status) {
  if (first_reported) return;
  first_reported = true;
  first_deadline.Stop();
  if (on_first) on_first(status);
}

}  // namespace slotproxy::backend

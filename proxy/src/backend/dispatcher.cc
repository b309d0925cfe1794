#include "backend/dispatcher.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "resp/error_kind.h"

namespace slotproxy::backend {
namespace {

std::string FormatAddress(std::string_view host, uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  out.append(":").append(std::to_string(port));
  return out;
}

// Splits "host:port" / "[v6]:port" (our own formatting) back into its parts.
bool SplitAddress(std::string_view address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= address.size()) return false;
  std::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  uint32_t p = 0;
  for (char c : address.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<uint32_t>(c - '0');
    if (p > 65535) return false;
  }
  if (p == 0) return false;
  host->assign(h);
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace

Dispatcher::Dispatcher(net::EventLoop& loop, cluster::SlotMapHolder& holder,
                       DispatcherOptions options)
    : loop_(loop), holder_(holder), options_(std::move(options)) {
  if (options_.connections_per_node < 1) options_.connections_per_node = 1;
  options_.connection.resp3 = false;
  options_.connection.unmatched_frames = false;
  settings3_ = options_.connection;
  settings3_.resp3 = true;
  // The snapshot is cached for one loop turn: forget it when the turn ends.
  hook_ = loop_.AddBeforeSleep([this] {
    map_loaded_ = false;
    map_.reset();
  });
  retry_timer_ = std::make_unique<net::Timer>(loop_);
  timeout_timer_ = std::make_unique<net::Timer>(loop_);
  if (options_.op_timeout_ms > 0) {
    const uint64_t tick = std::clamp<uint64_t>(options_.op_timeout_ms / 10, 5, 100);
    timeout_timer_->StartRepeating(tick, [this] { CheckTimeouts(); });
  }
}

Dispatcher::~Dispatcher() {
  loop_.RemoveBeforeSleep(hook_);
  retry_timer_.reset();
  timeout_timer_.reset();
  pools_.clear();
}

const cluster::SlotMapPtr& Dispatcher::Map() {
  if (!map_loaded_) {
    map_ = holder_.Load();
    map_loaded_ = true;
  }
  return map_;
}

std::vector<const cluster::Node*> Dispatcher::Masters() {
  std::vector<const cluster::Node*> out;
  const cluster::SlotMapPtr& map = Map();
  if (!map) return out;
  std::vector<bool> owns(map->node_count(), false);
  for (cluster::NodeIndex owner : map->owners()) {
    if (owner != cluster::kNoNode) owns[owner] = true;
  }
  for (size_t i = 0; i < map->node_count(); ++i) {
    if (owns[i]) out.push_back(&map->node(static_cast<cluster::NodeIndex>(i)));
  }
  return out;
}

Dispatcher::NodePool& Dispatcher::PoolFor(const std::string& host, uint16_t port) {
  std::string address = FormatAddress(host, port);
  auto it = pools_.find(address);
  if (it != pools_.end()) return *it->second;
  auto pool = std::make_unique<NodePool>();
  pool->host = host;
  pool->port = port;
  for (int i = 0; i < options_.connections_per_node; ++i) {
    pool->conns.push_back(std::make_unique<BackendConnection>(
        loop_, host, port, options_.connection, static_cast<ConnectionEvents*>(this)));
  }
  NodePool& ref = *pool;
  pools_.emplace(std::move(address), std::move(pool));
  return ref;
}

Dispatcher::NodePool* Dispatcher::PoolForIndex(const cluster::SlotMap& map,
                                               cluster::NodeIndex index) {
  if (index_map_.get() != &map) {
    index_map_ = Map();
    by_index_.assign(map.node_count(), nullptr);
  }
  NodePool*& cached = by_index_[index];
  if (cached == nullptr) {
    const cluster::Node& node = map.node(index);
    cached = &PoolFor(node.host, node.port);
  }
  return cached;
}

void Dispatcher::Send(RequestPtr request) {
  NodePool* pool = nullptr;
  if (request->has_slot) {
    const cluster::SlotMapPtr& map = Map();
    if (!map) {
      Error(std::move(request), "CLUSTERDOWN Hash slot not served (no cluster topology yet)");
      return;
    }
    const cluster::NodeIndex owner = map->OwnerOf(request->slot);
    if (owner == cluster::kNoNode) {
      AskRefresh(RefreshTrigger::kClusterDown);
      Error(std::move(request), "CLUSTERDOWN Hash slot not served");
      return;
    }
    pool = PoolForIndex(*map, owner);
  } else {
    std::string host;
    uint16_t port = 0;
    if (!SplitAddress(request->target, &host, &port)) {
      Error(std::move(request), "ERR bad backend address '" + request->target + "'");
      return;
    }
    pool = &PoolFor(host, port);
  }
  ConnectionFor(*pool, *request).Send(std::move(request));
}

BackendConnection& Dispatcher::ConnectionFor(NodePool& pool, const BackendRequest& request) {
  if (!request.resp3) {
    // One connection per node is the default: no division on the hot path.
    const size_t n = pool.conns.size();
    return *pool.conns[n == 1 ? 0 : request.affinity % n];
  }
  if (pool.conns3.empty()) {
    for (int i = 0; i < options_.connections_per_node; ++i) {
      pool.conns3.push_back(std::make_unique<BackendConnection>(
          loop_, pool.host, pool.port, settings3_, static_cast<ConnectionEvents*>(this)));
    }
  }
  return *pool.conns3[request.affinity % pool.conns3.size()];
}

bool Dispatcher::OwnerOf(uint16_t slot, std::string* host, uint16_t* port) {
  const cluster::SlotMapPtr& map = Map();
  if (!map) return false;
  const cluster::NodeIndex owner = map->OwnerOf(slot);
  if (owner == cluster::kNoNode) {
    AskRefresh(RefreshTrigger::kClusterDown);
    return false;
  }
  const cluster::Node& node = map->node(owner);
  *host = node.host;
  *port = node.port;
  return true;
}

void Dispatcher::OnReply(BackendConnection& conn, RequestPtr request, std::string_view raw,
                         const resp::ReplyInfo& info) {
  request->reply_ns = conn.read_ns();
  if (metrics_ != nullptr && request->sent_ns != 0 && conn.read_ns() >= request->sent_ns) {
    // Resolved on the connection's first recorded round trip (as the name lookup would).
    if (conn.stats_owner() != metrics_) {
      conn.SetStatsHandle(metrics_, metrics_->ResolveNode(conn.address()));
    }
    metrics_->RecordBackendRttAt(conn.stats_handle(), conn.address(),
                                 conn.read_ns() - request->sent_ns);
  }
  if (info.type == resp::ValueType::kError && request->owner != nullptr) {
    switch (info.error_kind) {
      case resp::ErrorKind::kMoved:
      case resp::ErrorKind::kAsk:
        Redirect(conn, std::move(request), raw, info);
        return;
      case resp::ErrorKind::kTryAgain:
        ++stats_.tryagain;
        if (metrics_ != nullptr) metrics_->CountTryAgain();
        if (request->redirects < options_.max_tryagain) {
          ++request->redirects;
          ScheduleRetry(std::move(request));
          return;
        }
        break;  // passed through verbatim, as Redis's own text
      case resp::ErrorKind::kClusterDown:
        AskRefresh(RefreshTrigger::kClusterDown);
        break;
      default:
        break;
    }
  }
  Deliver(std::move(request), raw, info);
}

void Dispatcher::Redirect(BackendConnection& conn, RequestPtr request, std::string_view raw,
                          const resp::ReplyInfo& info) {
  const std::string_view message = info.Message(raw);
  const std::optional<resp::Redirect> redirect = resp::ParseRedirect(message);
  if (!redirect || redirect->host == "?") {
    Deliver(std::move(request), raw, info);  // malformed: the client sees it as is
    return;
  }
  if (request->redirects >= options_.max_redirects) {
    Error(std::move(request),
          "ERR too many cluster redirections (last: " + std::string(message) + ")");
    return;
  }
  ++request->redirects;
  const std::string host(redirect->host.empty() ? std::string_view(conn.host()) : redirect->host);
  if (redirect->kind == resp::ErrorKind::kMoved) {
    ++stats_.moved;
    if (metrics_ != nullptr) metrics_->CountMoved();
    const cluster::SlotMapPtr current = holder_.Load();
    if (current) {
      auto patched = current->WithSlotMoved(redirect->slot, host, redirect->port);
      if (patched.ok() && holder_.CompareAndSwap(current, patched.value())) {
        map_loaded_ = false;  // later requests this turn use the patched map
      }
    }
    AskRefresh(RefreshTrigger::kMoved);
    request->asking = false;
  } else {
    ++stats_.ask;
    if (metrics_ != nullptr) metrics_->CountAsk();
    request->asking = true;
  }
  // The owner named in the reply answers this request even if the published map disagrees
  // (a refresh may race the redirect).
  request->has_slot = false;
  request->target = FormatAddress(host, redirect->port);
  Send(std::move(request));
}

void Dispatcher::Deliver(RequestPtr request, std::string_view raw, const resp::ReplyInfo& info) {
  if (request->owner != nullptr) request->owner->OnBackendReply(*request, raw, info);
  pool_.Release(std::move(request));
}

void Dispatcher::Error(RequestPtr request, std::string_view message) {
  ++stats_.failures;
  request->reply_ns = 0;  // no reply was read: the owner reads the clock itself
  if (request->owner != nullptr) request->owner->OnBackendError(*request, message);
  pool_.Release(std::move(request));
}

void Dispatcher::OnFailed(BackendConnection& /*conn*/, RequestPtr request,
                          std::string_view message) {
  Error(std::move(request), message);
}

void Dispatcher::OnConnectionLost(BackendConnection& conn) {
  if (board_ != nullptr) {
    // A connection this side dropped (op timeout, bad reply) says the node is slow or odd,
    // not down: no down line, and its reconnect logs no "up" either.
    if (conn.lost_by_peer()) board_->MarkDown(conn.address(), conn.last_error());
    PublishConnections();
  }
  AskRefresh(RefreshTrigger::kConnectionLost);
}

void Dispatcher::OnConnectResult(BackendConnection& conn, bool ok) {
  ++(ok ? stats_.connects_ok : stats_.connects_failed);
  if (metrics_ != nullptr) metrics_->CountBackendConnect(conn.address(), ok);
  // A failure is reported by OnConnectionLost right after (MarkDown there).
  if (board_ != nullptr && ok) {
    board_->MarkUp(conn.address());
    PublishConnections();
  }
}

void Dispatcher::SetRefreshCallback(std::function<void()> cb) {
  if (!cb) {
    refresh_ = nullptr;
    return;
  }
  refresh_ = [cb = std::move(cb)](RefreshTrigger) { cb(); };
}

void Dispatcher::SetBoard(BackendBoard* board) {
  board_ = board;
  board_slot_ = board_ != nullptr ? board_->Join() : SIZE_MAX;
  if (board_ != nullptr) PublishConnections();
}

void Dispatcher::PublishConnections() {
  BackendBoard::Counts counts;
  for (const auto& [address, pool] : pools_) {
    int open = 0;
    for (auto* conns : {&pool->conns, &pool->conns3}) {
      for (const auto& conn : *conns) open += conn->state() == BackendConnection::State::kReady;
    }
    counts.emplace_back(address, open);
  }
  board_->Publish(board_slot_, std::move(counts));
}

void Dispatcher::SetOpTimeout(uint64_t ms) {
  options_.op_timeout_ms = ms;
  if (ms == 0) {
    timeout_timer_->Stop();
    return;
  }
  const uint64_t tick = std::clamp<uint64_t>(ms / 10, 5, 100);
  timeout_timer_->StartRepeating(tick, [this] { CheckTimeouts(); });
}

void Dispatcher::SetConnectTimeout(uint64_t ms) {
  options_.connection.connect_timeout_ms = ms;
  settings3_.connect_timeout_ms = ms;
  for (auto& [address, pool] : pools_) {
    for (auto* conns : {&pool->conns, &pool->conns3}) {
      for (auto& conn : *conns) conn->SetConnectTimeout(ms);
    }
  }
}

void Dispatcher::AskRefresh(RefreshTrigger trigger) {
  ++stats_.refresh_requests;
  if (refresh_) refresh_(trigger);
}

void Dispatcher::ScheduleRetry(RequestPtr request) {
  request->asking = false;
  retries_.push_back(Retry{loop_.NowMs() + options_.tryagain_delay_ms, std::move(request)});
  if (!retry_timer_->IsActive()) {
    retry_timer_->Start(options_.tryagain_delay_ms, [this] { RunRetries(); });
  }
}

void Dispatcher::RunRetries() {
  const uint64_t now = loop_.NowMs();
  while (!retries_.empty() && retries_.front().due_ms <= now) {
    RequestPtr r = std::move(retries_.front().request);
    retries_.pop_front();
    if (r->owner == nullptr) {
      pool_.Release(std::move(r));
    } else {
      Send(std::move(r));
    }
  }
  if (!retries_.empty()) {
    retry_timer_->Start(retries_.front().due_ms - now, [this] { RunRetries(); });
  }
}

void Dispatcher::CheckTimeouts() {
  const uint64_t now = loop_.NowMs();
  for (auto& [address, pool] : pools_) {
    for (auto* conns : {&pool->conns, &pool->conns3}) {
      for (auto& conn : *conns) {
        if (conn->CheckTimeout(now, options_.op_timeout_ms)) {
          ++stats_.timeouts;
          if (metrics_ != nullptr) metrics_->CountBackendTimeout(conn->address());
        }
      }
    }
  }
}

std::unique_ptr<BackendConnection> Dispatcher::OpenDedicated(const std::string& host, uint16_t port,
                                                             ConnectionEvents* events, bool resp3,
                                                             bool unmatched_frames) {
  ConnectionSettings settings = options_.connection;
  settings.resp3 = resp3;
  settings.unmatched_frames = unmatched_frames;
  return std::make_unique<BackendConnection>(loop_, host, port, settings, events);
}

size_t Dispatcher::ConnectionCount() const {
  size_t n = 0;
  for (const auto& [address, pool] : pools_) n += pool->conns.size() + pool->conns3.size();
  return n;
}

}  // namespace slotproxy::backend

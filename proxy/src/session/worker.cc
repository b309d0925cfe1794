#include "session/worker.h"

#include <algorithm>
#include <string>
#include <utility>

namespace slotproxy::session {

Worker::Worker(net::EventLoop& loop, cluster::SlotMapHolder& holder,
               const command::CommandTable& table, const WorkerOptions& options,
               WorkerShared& shared)
    : loop_(loop),
      options_(options),
      shared_(shared),
      dispatcher_(loop, holder, options.dispatcher),
      context_{dispatcher_, table, options.limits, 0, LocalContext{}, nullptr} {
  context_.local.table = &table;
  context_.fill_info = options.fill_info;
  context_.stats = options.stats;
  context_.local.slowlog = options.slowlog;
  dispatcher_.SetStats(options.stats);
  dispatcher_.SetBoard(options.backend_board);
  context_.local.for_each_client = [this](const std::function<void(const LocalSession&)>& visit) {
    for (auto& [id, session] : sessions_) visit(session->local());
  };
  StartIdleSweep();
  if (options_.tick) {
    tick_timer_ = std::make_unique<net::Timer>(loop_);
    tick_timer_->StartRepeating(1000, [this] { options_.tick(); });
  }
}

void Worker::StartIdleSweep() {
  if (options_.limits.client_idle_ms == 0) {
    idle_timer_.reset();
    return;
  }
  if (!idle_timer_) idle_timer_ = std::make_unique<net::Timer>(loop_);
  const uint64_t tick = std::clamp<uint64_t>(options_.limits.client_idle_ms / 4, 10, 1000);
  idle_timer_->StartRepeating(tick, [this] { SweepIdle(); });
}

void Worker::StopAccepting() { listener_.reset(); }

void Worker::BeginDrain(std::atomic<size_t>* busy) {
  StopAccepting();
  busy->store(BusyCount(), std::memory_order_release);
  drain_timer_ = std::make_unique<net::Timer>(loop_);
  drain_timer_->StartRepeating(
      5, [this, busy] { busy->store(BusyCount(), std::memory_order_release); });
}

size_t Worker::PendingRequests() const {
  size_t pending = 0;
  for (const auto& [id, session] : sessions_) pending += session->PendingCount();
  return pending;
}

size_t Worker::BusyCount() const {
  size_t busy = 0;
  for (const auto& [id, session] : sessions_) {
    busy += session->PendingCount();
    if (session->connection().PendingOutputBytes() > 0) ++busy;
  }
  return busy + refused_.size();
}

void Worker::ApplyLive(const LiveSettings& settings) {
  const bool idle_changed = settings.limits.client_idle_ms != options_.limits.client_idle_ms;
  // Keeps the old users alive until every session has moved to the new table.
  const std::shared_ptr<const auth::AccessTable> old_access = context_.limits.access;
  options_.limits = settings.limits;
  options_.max_clients = settings.max_clients;
  context_.limits = settings.limits;
  if (context_.limits.access != old_access) {
    // Close() only schedules the close callback, so the map does not change while it is walked.
    for (auto& [id, session] : sessions_) session->RebindUser();
  }
  if (idle_changed) StartIdleSweep();
  if (settings.op_timeout_ms) dispatcher_.SetOpTimeout(*settings.op_timeout_ms);
  if (settings.connect_timeout_ms) dispatcher_.SetConnectTimeout(*settings.connect_timeout_ms);
}

void Worker::SweepIdle() {
  const uint64_t now = loop_.NowMs();
  for (auto& [id, session] : sessions_) {
    // A client waiting for replies is not idle. Close() only schedules the close callback, so
    // the map does not change while it is walked.
    if (session->PendingCount() == 0 &&
        now - session->LastCommandMs() >= options_.limits.client_idle_ms) {
      session->connection().Close();
    }
  }
}

Worker::~Worker() {
  tick_timer_.reset();
  drain_timer_.reset();
  idle_timer_.reset();
  listener_.reset();
  const int n = static_cast<int>(sessions_.size());
  sessions_.clear();
  shared_.clients.fetch_sub(n, std::memory_order_relaxed);
}

Status Worker::Listen() {
  listener_ = std::make_unique<net::TcpListener>(loop_);
  net::ListenerOptions opts = options_.listen;
  opts.connection.max_input = options_.limits.max_query_buffer;
  return listener_->Listen(
      opts, [this](std::unique_ptr<net::TcpConnection> conn) { OnAccept(std::move(conn)); });
}

uint16_t Worker::Port() const { return listener_ ? listener_->Port() : 0; }

void Worker::OnAccept(std::unique_ptr<net::TcpConnection> conn) {
  if (shared_.clients.fetch_add(1, std::memory_order_relaxed) >= options_.max_clients) {
    shared_.clients.fetch_sub(1, std::memory_order_relaxed);
    // The refused connection closes itself once the error is written; it lives in a session
    // map entry of its own until then so that its close callback has an owner.
    net::TcpConnection* raw = conn.get();
    const uint64_t id = shared_.next_client_id.fetch_add(1, std::memory_order_relaxed);
    raw->SetCloseCallback([this, id](const net::CloseReason&) { refused_.erase(id); });
    ClientSession::Refuse(*raw, "-ERR max number of clients reached\r\n");
    refused_.emplace(id, std::move(conn));
    LogLimitHit();
    return;
  }
  const uint64_t id = NextClientId();
  auto session = std::make_unique<ClientSession>(context_, id, std::move(conn),
                                                 [this](uint64_t sid) { OnSessionClosed(sid); });
  sessions_.emplace(id, std::move(session));
}

void Worker::LogLimitHit() {
  // At most one line per worker per 10 s under a connection storm, with the count refused.
  ++refused_since_log_;
  const uint64_t now = loop_.NowMs();
  if (!options_.log || (last_limit_log_ms_ != 0 && now - last_limit_log_ms_ < 10000)) return;
  options_.log.Warning("Client limit reached (max_clients " + std::to_string(options_.max_clients) +
                       "): refused " + std::to_string(refused_since_log_) + " connection(s)");
  last_limit_log_ms_ = now;
  refused_since_log_ = 0;
}

void Worker::OnSessionClosed(uint64_t id) {
  if (sessions_.erase(id) > 0) shared_.clients.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace slotproxy::session

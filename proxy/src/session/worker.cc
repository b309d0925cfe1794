#include "session/worker.h"

#include <algorithm>
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
  context_.local.for_each_client = [this](const std::function<void(const LocalSession&)>& visit) {
    for (auto& [id, session] : sessions_) visit(session->local());
  };
  if (options_.limits.client_idle_ms > 0) {
    idle_timer_ = std::make_unique<net::Timer>(loop_);
    const uint64_t tick = std::clamp<uint64_t>(options_.limits.client_idle_ms / 4, 10, 1000);
    idle_timer_->StartRepeating(tick, [this] { SweepIdle(); });
  }
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
    return;
  }
  const uint64_t id = NextClientId();
  auto session = std::make_unique<ClientSession>(context_, id, std::move(conn),
                                                 [this](uint64_t sid) { OnSessionClosed(sid); });
  sessions_.emplace(id, std::move(session));
}

void Worker::OnSessionClosed(uint64_t id) {
  if (sessions_.erase(id) > 0) shared_.clients.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace slotproxy::session

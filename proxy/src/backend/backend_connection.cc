#include "backend/backend_connection.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "resp/encoder.h"

namespace slotproxy::backend {
namespace {

constexpr std::string_view kAsking = "*1\r\n$6\r\nASKING\r\n";

uint64_t SteadyNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

BackendConnection::BackendConnection(net::EventLoop& loop, std::string host, uint16_t port,
                                     const ConnectionSettings& settings, ConnectionEvents* events)
    : loop_(loop),
      host_(std::move(host)),
      port_(port),
      settings_(settings),
      events_(events),
      rng_(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(this) ^ port)) {
  address_ = host_.find(':') != std::string::npos ? "[" + host_ + "]:" + std::to_string(port_)
                                                  : host_ + ":" + std::to_string(port_);
  backoff_ms_ = settings_.reconnect_min_ms;
}

BackendConnection::~BackendConnection() { conn_.reset(); }

void BackendConnection::Send(RequestPtr request) {
  if (PendingCount() >= settings_.max_pending) {
    events_->OnFailed(*this, std::move(request),
                      "ERR too many requests pending for backend " + address_);
    return;
  }
  if (state_ == State::kDown && loop_.NowMs() >= retry_at_ms_) state_ = State::kIdle;
  switch (state_) {
    case State::kReady:
      Write(std::move(request), conn_->Output(), loop_.NowMs());
      return;
    case State::kDown:
      events_->OnFailed(*this, std::move(request),
                        "ERR backend " + address_ + " is unreachable (" + down_reason_ + ")");
      return;
    case State::kIdle:
      StartConnect();
      if (state_ == State::kDown) {  // the socket could not even be created
        events_->OnFailed(*this, std::move(request),
                          "ERR backend " + address_ + " is unreachable (" + down_reason_ + ")");
        return;
      }
      [[fallthrough]];
    case State::kConnecting:
      request->sent_ms = loop_.NowMs();
      waiting_.push_back(std::move(request));
      return;
  }
}

void BackendConnection::Write(RequestPtr request, std::string& out, uint64_t now_ms) {
  if (request->asking) {
    out.append(kAsking);
    inflight_.push_back(Slot{Slot::kAskingAck, nullptr});
  }
  // A new batch starts when the output was flushed or the loop moved on: one clock read for
  // every request written in between.
  if (out.empty() || now_ms != batch_ms_ || batch_ns_ == 0) {
    batch_ns_ = SteadyNs();
    batch_ms_ = now_ms;
  }
  out.append(request->payload);
  request->sent_ms = now_ms;
  request->sent_ns = batch_ns_;
  inflight_.push_back(Slot{Slot::kRequest, std::move(request)});
  ++inflight_count_;
}

void BackendConnection::StartConnect() {
  state_ = State::kConnecting;
  parser_.Reset();
  auto conn = net::TcpConnection::Connect(loop_, host_, port_, settings_.connect_timeout_ms,
                                          [this](const Status& status) {
                                            if (status.ok()) {
                                              OnConnected();
                                            } else {
                                              OnConnectFailed(status.message());
                                            }
                                          });
  if (!conn.ok()) {
    OnConnectFailed(conn.status().message());
    return;
  }
  conn_ = std::move(conn.value());
  conn_->SetDataCallback([this](net::InputBuffer& in) { OnData(in); });
  conn_->SetCloseCallback([this](const net::CloseReason& reason) {
    const std::string why = reason.kind == net::CloseReason::Kind::kEof
                                ? "closed the connection"
                                : "connection lost: " + reason.message;
    down_reason_ = why;
    lost_by_peer_ = true;
    FailAll("ERR backend " + address_ + " " + why);
    conn_.reset();
    state_ = State::kIdle;
    events_->OnConnectionLost(*this);
  });
}

void BackendConnection::OnConnected() {
  ++connects_;
  state_ = State::kReady;
  backoff_ms_ = settings_.reconnect_min_ms;
  events_->OnConnectResult(*this, true);
  std::string& out = conn_->Output();
  if (!settings_.auth_password.empty()) {
    if (settings_.auth_user.empty()) {
      resp::EncodeCommand({"AUTH", settings_.auth_password}, &out);
    } else {
      resp::EncodeCommand({"AUTH", settings_.auth_user, settings_.auth_password}, &out);
    }
    inflight_.push_back(Slot{Slot::kAuthAck, nullptr});
  }
  if (settings_.resp3) {
    resp::EncodeCommand({"HELLO", "3"}, &out);
    inflight_.push_back(Slot{Slot::kHelloAck, nullptr});
  }
  out.append(waiting_unmatched_);
  waiting_unmatched_.clear();
  const uint64_t now = loop_.NowMs();
  while (!waiting_.empty()) {
    RequestPtr r = std::move(waiting_.front());
    waiting_.pop_front();
    Write(std::move(r), out, now);
  }
}

void BackendConnection::OnConnectFailed(const std::string& why) {
  // Called from the connect callback (the connection is already closed) or synchronously.
  down_reason_ = why;
  lost_by_peer_ = true;
  state_ = State::kDown;
  retry_at_ms_ = loop_.NowMs() + NextBackoff();
  std::deque<RequestPtr> failed;
  failed.swap(waiting_);
  waiting_unmatched_.clear();
  const std::string message = "ERR backend " + address_ + " is unreachable (" + why + ")";
  events_->OnConnectResult(*this, false);
  for (RequestPtr& r : failed) events_->OnFailed(*this, std::move(r), message);
  // conn_ may be the object running this callback: destroying it there is allowed.
  conn_.reset();
  events_->OnConnectionLost(*this);
}

uint64_t BackendConnection::NextBackoff() {
  // Full jitter over [backoff/2, backoff], then double up to the maximum.
  const uint64_t base = std::max<uint64_t>(backoff_ms_, 1);
  const uint64_t delay = base / 2 + rng_() % (base - base / 2 + 1);
  backoff_ms_ = std::min(settings_.reconnect_max_ms, std::max<uint64_t>(base * 2, 1));
  return delay;
}

void BackendConnection::OnData(net::InputBuffer& input) {
  read_ns_ = SteadyNs();
  while (!input.Empty()) {
    const std::string_view view = input.View();
    const resp::ReplyStatus status = parser_.Parse(view);
    if (status == resp::ReplyStatus::kNeedMore) return;
    if (status == resp::ReplyStatus::kError) {
      Fail("ERR backend " + address_ + " sent an invalid reply (" + std::string(parser_.error()) +
           ")");
      return;
    }
    const resp::ReplyInfo info = parser_.info();
    const std::string_view raw = view.substr(0, info.length);
    if (!HandleReply(raw, info)) return;
    input.Consume(info.length);
  }
}

bool BackendConnection::HandleReply(std::string_view raw, const resp::ReplyInfo& info) {
  if (info.type == resp::ValueType::kPush || (inflight_.empty() && settings_.unmatched_frames)) {
    // Out of band: never ours to match. The callee may Fail() this connection.
    events_->OnPush(*this, raw, info);
    return conn_ != nullptr;
  }
  if (inflight_.empty()) {
    Fail("ERR backend " + address_ + " sent a reply nobody asked for");
    return false;
  }
  Slot slot = std::move(inflight_.front());
  inflight_.pop_front();
  switch (slot.kind) {
    case Slot::kAskingAck:
      return true;  // ASKING's +OK; the command's own reply follows
    case Slot::kAuthAck:
      if (info.type == resp::ValueType::kError) {
        Fail("ERR backend " + address_ + " rejected AUTH: " + std::string(info.Message(raw)));
        return false;
      }
      return true;
    case Slot::kHelloAck:
      if (info.type == resp::ValueType::kError) {
        Fail("ERR backend " + address_ + " rejected HELLO 3: " + std::string(info.Message(raw)));
        return false;
      }
      return true;
    case Slot::kRequest:
      --inflight_count_;
      events_->OnReply(*this, std::move(slot.request), raw, info);
      return conn_ != nullptr;
  }
  return true;
}

void BackendConnection::FailAll(std::string_view message) {
  std::deque<Slot> owed;
  owed.swap(inflight_);
  inflight_count_ = 0;
  std::deque<RequestPtr> waiting;
  waiting.swap(waiting_);
  for (Slot& s : owed) {
    if (s.kind == Slot::kRequest) events_->OnFailed(*this, std::move(s.request), message);
  }
  for (RequestPtr& r : waiting) events_->OnFailed(*this, std::move(r), message);
}

bool BackendConnection::SendUnmatched(std::string_view commands) {
  if (state_ == State::kDown && loop_.NowMs() >= retry_at_ms_) state_ = State::kIdle;
  if (state_ == State::kIdle) StartConnect();
  switch (state_) {
    case State::kReady:
      conn_->Output().append(commands);
      return true;
    case State::kConnecting:
      waiting_unmatched_.append(commands);
      return true;
    case State::kIdle:
    case State::kDown:
      return false;
  }
  return false;
}

void BackendConnection::Fail(std::string_view message) {
  const std::string copy(message);  // `message` may point into something FailAll frees
  down_reason_ = copy;
  lost_by_peer_ = false;
  conn_.reset();
  waiting_unmatched_.clear();
  state_ = State::kIdle;
  parser_.Reset();
  FailAll(copy);
  events_->OnConnectionLost(*this);
}

bool BackendConnection::CheckTimeout(uint64_t now_ms, uint64_t timeout_ms) {
  uint64_t oldest = UINT64_MAX;
  for (const Slot& s : inflight_) {
    if (s.kind == Slot::kRequest) {
      oldest = s.request->sent_ms;
      break;
    }
  }
  if (!waiting_.empty()) oldest = std::min(oldest, waiting_.front()->sent_ms);
  if (oldest == UINT64_MAX || now_ms < oldest + timeout_ms) return false;
  Fail("ERR timeout after " + std::to_string(timeout_ms) + " ms waiting for backend " + address_);
  return true;
}

}  // namespace slotproxy::backend

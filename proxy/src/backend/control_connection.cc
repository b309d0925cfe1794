#include "backend/control_connection.h"

#include <utility>
#include <vector>

#include "net/address.h"
#include "resp/encoder.h"

namespace slotproxy::backend {

ControlConnection::ControlConnection(net::EventLoop& loop, std::string host, uint16_t port,
                                     ControlOptions options)
    : loop_(loop),
      host_(std::move(host)),
      port_(port),
      options_(std::move(options)),
      timer_(loop) {}

ControlConnection::~ControlConnection() {
  *alive_ = false;
  conn_.reset();
}

std::string ControlConnection::Address() const { return net::FormatHostPort(host_, port_); }

bool ControlConnection::IsOpen() const { return conn_ != nullptr; }

void ControlConnection::Send(std::initializer_list<std::string_view> args, ReplyCallback done) {
  EnsureConnected();
  std::string* target = connected_ ? &conn_->Output() : &unsent_;
  resp::EncodeCommand(args, target);
  pending_.push_back({std::move(done), loop_.NowMs() + options_.request_timeout_ms, false});
  ArmTimer();
}

void ControlConnection::EnsureConnected() {
  if (conn_ != nullptr) return;
  connected_ = false;
  parser_.Reset();
  // Credentials go first on every new connection; queued requests follow them.
  if (!options_.auth_password.empty()) {
    std::string auth;
    if (options_.auth_user.empty()) {
      resp::EncodeCommand({"AUTH", options_.auth_password}, &auth);
    } else {
      resp::EncodeCommand({"AUTH", options_.auth_user, options_.auth_password}, &auth);
    }
    unsent_.insert(0, auth);
    pending_.push_front({nullptr, loop_.NowMs() + options_.request_timeout_ms, true});
  }
  Result<std::unique_ptr<net::TcpConnection>> conn =
      net::TcpConnection::Connect(loop_, host_, port_, options_.connect_timeout_ms,
                                  [this](const Status& status) { OnConnected(status); });
  if (!conn.ok()) {
    // Fail later, never inside Send(): callers do not expect their callback to run re-entrantly.
    std::weak_ptr<bool> alive = alive_;
    loop_.Post([this, alive, why = Address() + ": " + conn.status().message()] {
      if (auto a = alive.lock(); a && *a) Fail(why);
    });
    return;
  }
  conn_ = std::move(conn.value());
  conn_->SetDataCallback([this](net::InputBuffer& input) { OnData(input); });
  conn_->SetCloseCallback([this](const net::CloseReason& reason) {
    Fail(Address() + ": " + (reason.message.empty() ? "connection closed" : reason.message));
  });
}

void ControlConnection::OnConnected(const Status& status) {
  if (!status.ok()) {
    conn_.reset();  // already closed by the connection; no close callback follows
    Fail(Address() + ": " + status.message());
    return;
  }
  connected_ = true;
  conn_->Output().append(unsent_);
  unsent_.clear();
}

void ControlConnection::OnData(net::InputBuffer& input) {
  std::shared_ptr<bool> alive = alive_;
  while (*alive && conn_ != nullptr && !input.Empty()) {
    const resp::ReplyStatus status = parser_.Parse(input.View());
    if (status == resp::ReplyStatus::kNeedMore) {
      if (input.Size() > options_.max_reply_bytes) Fail(Address() + ": reply too long");
      return;
    }
    if (status == resp::ReplyStatus::kError) {
      Fail(Address() + ": protocol error: " + std::string(parser_.error()));
      return;
    }
    const size_t length = parser_.info().length;
    size_t consumed = 0;
    Result<resp::Value> value = resp::DecodeValue(input.View().substr(0, length), &consumed);
    input.Consume(length);
    if (pending_.empty()) {
      Fail(Address() + ": reply without a request");
      return;
    }
    Pending request = std::move(pending_.front());
    pending_.pop_front();
    ArmTimer();
    if (request.internal) {
      if (!value.ok() || value.value().type == resp::ValueType::kError) {
        const std::string text = value.ok() ? value.value().str : value.status().message();
        Fail("AUTH to " + Address() + " failed: " + text);
        return;
      }
      continue;
    }
    if (request.done) request.done(std::move(value));
  }
}

void ControlConnection::Fail(const std::string& why) {
  std::shared_ptr<bool> alive = alive_;
  conn_.reset();
  connected_ = false;
  unsent_.clear();
  parser_.Reset();
  timer_.Stop();
  std::deque<Pending> failed;
  failed.swap(pending_);
  for (Pending& request : failed) {
    if (request.internal || !request.done) continue;
    request.done(Status::Error(why));
    if (!*alive) return;
  }
}

void ControlConnection::ArmTimer() {
  if (pending_.empty()) {
    timer_.Stop();
    return;
  }
  const uint64_t now = loop_.NowMs();
  const uint64_t deadline = pending_.front().deadline_ms;
  timer_.Start(deadline > now ? deadline - now : 0, [this] { OnTimer(); });
}

void ControlConnection::OnTimer() {
  if (pending_.empty()) return;
  if (pending_.front().deadline_ms <= loop_.NowMs()) {
    Fail(Address() + ": request timed out");
    return;
  }
  ArmTimer();
}

}  // namespace slotproxy::backend

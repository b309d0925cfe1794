// ControlConnection: a small request/reply connection to one node for control-plane commands
// (CLUSTER SLOTS, COMMAND, INFO keyspace at start-up): connects on first use, authenticates
// when credentials are configured, sends commands pipelined and hands each decoded reply to its
// callback, in order. Not for the data path (it decodes every reply into a resp::Value).
//
// Loop-thread-only. Every request gets exactly one callback: the reply (which may itself be an
// error reply, type kError), or an error Status when the connection fails, the node sends
// bytes that are not RESP, or the request times out. After a failure the connection is closed
// and every queued request fails with the same Status; the next Send() reconnects.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/event_loop.h"
#include "net/tcp_connection.h"
#include "resp/reply_parser.h"
#include "resp/value.h"

namespace slotproxy::backend {

struct ControlOptions {
  uint64_t connect_timeout_ms = 1000;
  uint64_t request_timeout_ms = 2000;  // per request, from the moment it is queued
  // Backend AUTH: with a password, "AUTH [user] password" is sent first on every new
  // connection; a failing AUTH fails the requests with "AUTH to <node> failed: <reply>".
  std::string auth_user;
  std::string auth_password;
  size_t max_reply_bytes = 64 * 1024 * 1024;  // a longer reply fails the connection
};

class ControlConnection {
 public:
  using ReplyCallback = std::function<void(Result<resp::Value> reply)>;

  // `host` must be an IP literal or "localhost" (net::TcpConnection::Connect's rule).
  ControlConnection(net::EventLoop& loop, std::string host, uint16_t port,
                    ControlOptions options = {});
  // Closes the connection; pending callbacks are dropped without being called.
  ~ControlConnection();
  ControlConnection(const ControlConnection&) = delete;
  ControlConnection& operator=(const ControlConnection&) = delete;

  // Queues `args` as one command; `done` runs once with the decoded reply or an error Status
  // whose message names the node ("127.0.0.1:7000: connection refused"). `done` may destroy
  // this ControlConnection.
  void Send(std::initializer_list<std::string_view> args, ReplyCallback done);

  // Fails every pending request with `why` and closes the connection. Callbacks run before
  // this returns.
  void Fail(const std::string& why);

  // True while connected or connecting.
  bool IsOpen() const;
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  // "host:port".
  std::string Address() const;

 private:
  struct Pending {
    ReplyCallback done;
    uint64_t deadline_ms = 0;
    bool internal = false;  // the AUTH we sent ourselves
  };
  void EnsureConnected();
  void OnConnected(const Status& status);
  void OnData(net::InputBuffer& input);
  void OnTimer();
  void ArmTimer();

  net::EventLoop& loop_;
  std::string host_;
  uint16_t port_;
  ControlOptions options_;
  std::unique_ptr<net::TcpConnection> conn_;
  bool connected_ = false;
  std::string unsent_;  // requests queued while connecting
  std::deque<Pending> pending_;
  resp::ReplyParser parser_;
  net::Timer timer_;
  // Set while this object is alive; callbacks check it after running user code.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace slotproxy::backend

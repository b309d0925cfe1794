// BackendConnection: one pipelined connection to one backend node. Requests are written in the
// order they are sent (one socket write per loop turn, done by sp_net's before-sleep flush) and
// replies are matched to them first-in first-out. Connects lazily, authenticates, fails fast
// while the node is known to be down, and reconnects with jittered exponential back-off.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "backend/backend_request.h"
#include "net/event_loop.h"
#include "net/tcp_connection.h"
#include "resp/reply_parser.h"

namespace slotproxy::backend {

class BackendConnection;

// Where a connection reports outcomes. Loop-thread-only. The callee may Send() on any
// connection (this one included) but must not destroy the reporting connection.
class ConnectionEvents {
 public:
  // A complete reply for `request` (raw bytes valid during the call only).
  virtual void OnReply(BackendConnection& conn, RequestPtr request, std::string_view raw,
                       const resp::ReplyInfo& info) = 0;
  // `request` will get no reply from this connection; `message` is "ERR ..." naming the node.
  virtual void OnFailed(BackendConnection& conn, RequestPtr request, std::string_view message) = 0;
  // The connection was lost or could not be made (topology may have changed). Optional.
  virtual void OnConnectionLost(BackendConnection& /*conn*/) {}
  // A connect attempt ended: `ok` when the TCP connection is up (AUTH / HELLO still pending),
  // else it failed (refused, timed out, no socket). Optional; metrics and node down/up logs.
  virtual void OnConnectResult(BackendConnection& /*conn*/, bool /*ok*/) {}
  // A frame no request waits for: a RESP3 push, or (settings.unmatched_frames) any reply that
  // arrives while no request is owed, which is how pub/sub confirmations and messages reach a
  // RESP2 connection. Dropped unless overridden. `raw` is valid during the call only.
  virtual void OnPush(BackendConnection& /*conn*/, std::string_view /*raw*/,
                      const resp::ReplyInfo& /*info*/) {}

 protected:
  ~ConnectionEvents() = default;
};

struct ConnectionSettings {
  uint64_t connect_timeout_ms = 500;
  uint64_t reconnect_min_ms = 10;
  uint64_t reconnect_max_ms = 2000;
  size_t max_pending = 10000;  // requests queued or in flight; more fail at once
  std::string auth_user;       // AUTH [user] password when password is not empty
  std::string auth_password;
  // Speak RESP3: "HELLO 3" is sent after AUTH on every connect, before any queued request, so
  // replies come in the protocol a RESP3 client expects and pass through unchanged.
  bool resp3 = false;
  // Pub/sub: frames that arrive while no request is owed go to OnPush instead of failing the
  // connection as "a reply nobody asked for".
  bool unmatched_frames = false;
};

class BackendConnection {
 public:
  enum class State : uint8_t {
    kIdle,        // not connected; the next Send() connects
    kConnecting,  // requests wait in a queue until connected
    kReady,       // requests are written at once
    kDown,        // the last connect failed: Send() fails fast until the back-off ends
  };

  BackendConnection(net::EventLoop& loop, std::string host, uint16_t port,
                    const ConnectionSettings& settings, ConnectionEvents* events);
  // Closes the socket; requests still owed are dropped without callbacks (shutdown only).
  ~BackendConnection();
  BackendConnection(const BackendConnection&) = delete;
  BackendConnection& operator=(const BackendConnection&) = delete;

  // Queues `request` (its payload, preceded by ASKING when request->asking) for this node.
  // Reports through ConnectionEvents: OnReply, or OnFailed at once when the node is down or
  // the pending bound is reached. Never calls back before returning except for those fast
  // failures.
  void Send(RequestPtr request);

  // When the oldest request owed (sent, or waiting for the connect) has waited more than
  // `timeout_ms`, closes the connection (a pipelined connection cannot skip a reply) and fails
  // every request owed with a timeout error naming the node. Returns true when it timed out.
  bool CheckTimeout(uint64_t now_ms, uint64_t timeout_ms);

  // Drops the connection now: every request owed fails with `message` ("ERR ...").
  void Fail(std::string_view message);

  // Pub/sub: queues already-encoded commands whose replies nobody waits for (they reach
  // OnPush, see ConnectionSettings::unmatched_frames). Connects when needed. False when the
  // node is known to be down (nothing was queued); the caller retries later.
  bool SendUnmatched(std::string_view commands);

  State state() const { return state_; }
  // "host:port" as used in MOVED replies and error texts.
  const std::string& address() const { return address_; }
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  // Requests queued or waiting for a reply.
  size_t PendingCount() const { return inflight_count_ + waiting_.size(); }
  const ConnectionSettings& settings() const { return settings_; }
  uint64_t ConnectCount() const { return connects_; }
  // Steady-clock nanoseconds when the current batch of reads began (one clock read per
  // OnData call): the end of the round trip of every reply handled in that call.
  uint64_t read_ns() const { return read_ns_; }
  // Why the connection was last lost or could not be made ("" before any failure).
  const std::string& last_error() const { return down_reason_; }
  // True when the last loss came from the node or the network (closed, reset, connect
  // failed); false when this side dropped it (op timeout, bad reply, AUTH refused).
  bool lost_by_peer() const { return lost_by_peer_; }
  // Applies a new connect timeout (SIGHUP) to the next connect.
  void SetConnectTimeout(uint64_t ms) { settings_.connect_timeout_ms = ms; }
  // The dispatcher's per-node metrics handle, cached so that a reply's round trip is recorded
  // without string work: `owner` is the stats object it was resolved by (opaque here).
  const void* stats_owner() const { return stats_owner_; }
  uint32_t stats_handle() const { return stats_handle_; }
  void SetStatsHandle(const void* owner, uint32_t handle) {
    stats_owner_ = owner;
    stats_handle_ = handle;
  }

 private:
  // One expected reply, in wire order.
  struct Slot {
    enum Kind : uint8_t { kRequest, kAskingAck, kAuthAck, kHelloAck } kind = kRequest;
    RequestPtr request;  // kRequest only
  };

  void StartConnect();
  void OnConnected();
  void OnConnectFailed(const std::string& why);
  void Write(RequestPtr request, std::string& out, uint64_t now_ms);
  void OnData(net::InputBuffer& input);
  // Handles one framed reply; false when the connection was dropped.
  bool HandleReply(std::string_view raw, const resp::ReplyInfo& info);
  void FailAll(std::string_view message);
  uint64_t NextBackoff();

  net::EventLoop& loop_;
  std::string host_;
  uint16_t port_;
  std::string address_;
  ConnectionSettings settings_;
  ConnectionEvents* events_;
  std::unique_ptr<net::TcpConnection> conn_;
  resp::ReplyParser parser_;
  State state_ = State::kIdle;
  std::deque<Slot> inflight_;
  size_t inflight_count_ = 0;       // kRequest slots in inflight_
  std::deque<RequestPtr> waiting_;  // while connecting
  std::string waiting_unmatched_;   // SendUnmatched bytes while connecting
  uint64_t retry_at_ms_ = 0;
  uint64_t backoff_ms_ = 0;
  std::string down_reason_;
  uint64_t connects_ = 0;
  bool lost_by_peer_ = false;
  // Round-trip stamps: one clock read per write batch (a loop turn's writes share it) and one
  // per read batch, never one per request.
  uint64_t batch_ns_ = 0;
  uint64_t batch_ms_ = 0;  // the loop time batch_ns_ was read in
  uint64_t read_ns_ = 0;
  std::minstd_rand rng_;
  const void* stats_owner_ = nullptr;
  uint32_t stats_handle_ = 0;
};

}  // namespace slotproxy::backend

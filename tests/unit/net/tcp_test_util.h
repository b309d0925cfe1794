// An echo server and a recording client built on sp_net, for the TCP tests.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "net/tcp_connection.h"
#include "net/tcp_listener.h"

namespace slotproxy::net::testing {

// Echoes every byte back. With high_water > 0 it stops reading while more than that many bytes
// of output are pending and resumes on drain (the sessions' back-pressure pattern).
class EchoServer {
 public:
  explicit EchoServer(EventLoop& loop, ListenerOptions options = {}) : listener_(loop) {
    status_ = listener_.Listen(options,
                               [this](std::unique_ptr<TcpConnection> c) { Adopt(std::move(c)); });
  }

  const Status& status() const { return status_; }
  uint16_t Port() const { return listener_.Port(); }

  size_t high_water = 0;
  int pauses = 0;
  int accepted = 0;
  int closed = 0;
  std::vector<CloseReason> reasons;
  std::vector<std::unique_ptr<TcpConnection>> conns;

 private:
  void Adopt(std::unique_ptr<TcpConnection> c) {
    ++accepted;
    TcpConnection* raw = c.get();
    raw->SetDataCallback([this, raw](InputBuffer& in) {
      raw->Output().append(in.Data(), in.Size());
      in.Consume(in.Size());
      if (high_water > 0 && raw->PendingOutputBytes() > high_water) {
        raw->PauseReading();
        ++pauses;
      }
    });
    raw->SetDrainCallback([raw] {
      if (raw->IsReadingPaused()) raw->ResumeReading();
    });
    raw->SetCloseCallback([this, raw](const CloseReason& reason) {
      ++closed;
      reasons.push_back(reason);
      // Destroying the connection inside its own close callback must be safe.
      std::erase_if(conns, [raw](const auto& p) { return p.get() == raw; });
    });
    conns.push_back(std::move(c));
  }

  TcpListener listener_;
  Status status_;
};

// A client connection that records what it receives and how it ends.
class Client {
 public:
  Client(EventLoop& loop, uint16_t port, uint64_t timeout_ms = 0,
         const std::string& host = "127.0.0.1") {
    auto r = TcpConnection::Connect(loop, host, port, timeout_ms, [this](const Status& st) {
      connect_done = true;
      connect_status = st;
      if (on_connected) on_connected();
    });
    if (!r.ok()) {
      connect_status = r.status();
      connect_done = true;
      return;
    }
    conn = std::move(r.value());
    conn->SetDataCallback([this](InputBuffer& in) {
      received.append(in.Data(), in.Size());
      in.Consume(in.Size());
      if (on_data) on_data();
    });
    conn->SetCloseCallback([this](const CloseReason& reason) {
      closed = true;
      close_reason = reason;
    });
  }

  std::unique_ptr<TcpConnection> conn;
  bool connect_done = false;
  Status connect_status;
  std::string received;
  bool closed = false;
  CloseReason close_reason;
  std::function<void()> on_connected;
  std::function<void()> on_data;
};

}  // namespace slotproxy::net::testing

// Test doubles for the proxy's data path: scripted fake backend nodes (a small RESP server on
// 127.0.0.1, port picked by the OS) and a recording client, all on one test-owned EventLoop.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/slot_map.h"
#include "net/event_loop.h"
#include "net/tcp_connection.h"
#include "net/tcp_listener.h"
#include "resp/request_parser.h"
#include "unit/net/net_test_util.h"

namespace slotproxy::testing {

using net::testing::RunUntil;

// A backend node. For every request the script returns the reply bytes, or nullopt to hold the
// reply (it is queued and written by Release(), in order). Every request is recorded as its
// arguments joined by spaces.
class FakeNode {
 public:
  using Script = std::function<std::optional<std::string>(const std::vector<std::string>& args)>;

  explicit FakeNode(net::EventLoop& loop, Script script = nullptr)
      : loop_(loop), script_(std::move(script)) {
    listener_ = std::make_unique<net::TcpListener>(loop_);
    net::ListenerOptions opts;
    Status st = listener_->Listen(
        opts, [this](std::unique_ptr<net::TcpConnection> c) { Accept(std::move(c)); });
    if (!st.ok()) abort();
  }
  ~FakeNode() {
    conns_.clear();
    listener_.reset();
  }

  uint16_t port() const { return listener_->Port(); }
  // When true (the default) AUTH is answered +OK without the script.
  bool auto_auth = true;
  void set_script(Script s) { script_ = std::move(s); }
  const std::vector<std::string>& received() const { return received_; }
  size_t accepted() const { return accepted_; }
  size_t held() const { return held_.size(); }

  // Writes the held replies, oldest first, on the connection each came from (if still open).
  void Release(const std::string& reply) {
    for (auto& [conn, own] : held_) {
      if (conn != nullptr && conn->IsOpen()) conn->Output().append(own.value_or(reply));
    }
    held_.clear();
  }
  // Drops every client connection.
  void DropAll() { conns_.clear(); }
  // Destroys the listener: new connects are refused.
  void StopListening() { listener_.reset(); }

 private:
  struct Conn {
    std::unique_ptr<net::TcpConnection> conn;
    resp::RequestParser parser;
  };

  void Accept(std::unique_ptr<net::TcpConnection> c) {
    ++accepted_;
    auto holder = std::make_unique<Conn>();
    holder->conn = std::move(c);
    Conn* raw = holder.get();
    raw->conn->SetDataCallback([this, raw](net::InputBuffer& in) { OnData(*raw, in); });
    raw->conn->SetCloseCallback([this, raw](const net::CloseReason&) {
      for (auto& h : held_) {
        if (h.first == raw->conn.get()) h.first = nullptr;
      }
      for (auto it = conns_.begin(); it != conns_.end(); ++it) {
        if (it->get() == raw) {
          conns_.erase(it);
          break;
        }
      }
    });
    conns_.push_back(std::move(holder));
  }

  void OnData(Conn& c, net::InputBuffer& in) {
    for (;;) {
      auto r = c.parser.Parse(in.View());
      if (r.status != resp::RequestStatus::kComplete) {
        in.Consume(r.consumed);
        return;
      }
      std::vector<std::string> args(r.args.begin(), r.args.end());
      in.Consume(r.consumed);
      std::string line;
      for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
      received_.push_back(line);
      std::optional<std::string> reply;
      if (args[0] == "ASKING" || (args[0] == "AUTH" && auto_auth)) {
        reply = "+OK\r\n";
      } else if (script_) {
        reply = script_(args);
      }
      if (!reply || !held_.empty()) {  // keep the order behind held replies
        held_.emplace_back(c.conn.get(), reply);
        continue;
      }
      if (*reply == "<close>") {
        c.conn->Close();
        return;
      }
      c.conn->Output().append(*reply);
    }
  }

  net::EventLoop& loop_;
  Script script_;
  std::unique_ptr<net::TcpListener> listener_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::pair<net::TcpConnection*, std::optional<std::string>>> held_;
  std::vector<std::string> received_;
  size_t accepted_ = 0;
};

// A client of the proxy that records everything it receives.
class TestClient {
 public:
  TestClient(net::EventLoop& loop, uint16_t port) {
    auto c = net::TcpConnection::Connect(loop, "127.0.0.1", port, 2000,
                                         [this](const Status& st) { connected_ = st.ok(); });
    if (!c.ok()) abort();
    conn_ = std::move(c.value());
    conn_->SetDataCallback([this](net::InputBuffer& in) {
      data_.append(in.View());
      in.Consume(in.Size());
    });
    conn_->SetCloseCallback([this](const net::CloseReason&) { closed_ = true; });
  }
  void Send(const std::string& bytes) { conn_->Output().append(bytes); }
  void Close() { conn_.reset(); }
  const std::string& data() const { return data_; }
  bool closed() const { return closed_; }

 private:
  std::unique_ptr<net::TcpConnection> conn_;
  std::string data_;
  bool connected_ = false;
  bool closed_ = false;
};

// A slot map giving slots [0, 8191] to `a` and [8192, 16383] to `b` (both on 127.0.0.1).
inline cluster::SlotMapPtr TwoNodeMap(uint16_t a, uint16_t b) {
  cluster::SlotMapBuilder builder;
  cluster::Node na;
  na.host = "127.0.0.1";
  na.port = a;
  cluster::Node nb = na;
  nb.port = b;
  auto ia = builder.AddNode(na);
  auto ib = builder.AddNode(nb);
  (void)builder.AssignSlots({0, 8191}, ia.value());
  (void)builder.AssignSlots({8192, 16383}, ib.value());
  builder.set_version(1);
  return builder.Build();
}

}  // namespace slotproxy::testing

// Lifetimes under load: many connections, random sizes, owners vanishing mid-stream, graceful
// closes that time out or outlive their owner. Mostly meaningful under ASan.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "net/tcp_connection.h"
#include "net/tcp_listener.h"
#include "unit/net/net_test_util.h"
#include "unit/net/tcp_test_util.h"

namespace slotproxy::net {
namespace {

using testing::Client;
using testing::EchoServer;
using testing::Pattern;
using testing::RunUntil;

TEST_CASE("Many clients, random sizes, some destroyed mid-stream", "[net][tcp][stress]") {
  EventLoop loop;
  EchoServer server(loop);
  server.high_water = 64 * 1024;
  std::mt19937 rng(12345);
  constexpr int kClients = 100;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::string> sent(kClients);
  std::vector<bool> doomed(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(loop, server.Port()));
    doomed[i] = i % 7 == 3;
    for (int m = 0; m < 5; ++m) {
      std::string msg = Pattern(std::uniform_int_distribution<size_t>(1, 100000)(rng), i * 5 + m);
      sent[i] += msg;
      clients[i]->conn->Output() += msg;  // queued while connecting, sent once connected
    }
    Client* c = clients[i].get();
    if (doomed[i]) {
      c->on_data = [c] { c->conn.reset(); };  // the owner vanishes inside its read callback
    }
  }
  auto all_done = [&] {
    for (int i = 0; i < kClients; ++i) {
      if (doomed[i] ? clients[i]->conn != nullptr : clients[i]->received.size() < sent[i].size()) {
        return false;
      }
    }
    return true;
  };
  REQUIRE(RunUntil(loop, all_done, 60000));
  for (int i = 0; i < kClients; ++i) {
    if (!doomed[i]) REQUIRE(clients[i]->received == sent[i]);
  }
  clients.clear();
  REQUIRE(RunUntil(loop, [&] { return server.closed == kClients; }));
  REQUIRE(server.conns.empty());
}

// Accepts one connection and hands it to the test.
struct OneAccept {
  explicit OneAccept(EventLoop& loop, const ListenerOptions& options = {}) : listener(loop) {
    status = listener.Listen(options, [this](std::unique_ptr<TcpConnection> c) {
      conn = std::move(c);
      conn->SetCloseCallback([this](const CloseReason& r) {
        reason = r;
        closed = true;
      });
    });
  }
  TcpListener listener;
  Status status;
  std::unique_ptr<TcpConnection> conn;
  CloseReason reason;
  bool closed = false;
};

TEST_CASE("A graceful close to a peer that never reads times out", "[net][tcp][close]") {
  EventLoop loop;
  ListenerOptions options;
  options.connection.graceful_close_timeout_ms = 100;
  OneAccept server(loop, options);
  REQUIRE(server.status.ok());
  Client client(loop, server.listener.Port());
  client.on_connected = [&] { client.conn->PauseReading(); };
  REQUIRE(RunUntil(loop, [&] { return server.conn != nullptr && client.connect_done; }));
  server.conn->Output() += Pattern(32 << 20);
  server.conn->CloseAfterFlush();
  REQUIRE_FALSE(server.conn->IsOpen());
  REQUIRE(RunUntil(
      loop, [&] { return server.closed; }, 20000));
  REQUIRE(server.reason.kind == CloseReason::Kind::kError);
  REQUIRE(server.reason.message == "timed out flushing output before closing");
  client.conn->ResumeReading();  // it gets what the kernel had buffered, then the end
  REQUIRE(RunUntil(loop, [&] { return client.closed; }));
  REQUIRE(client.received.size() < (32u << 20));
}

TEST_CASE("A graceful close outliving its owner and its loop", "[net][tcp][close]") {
  auto loop = std::make_unique<EventLoop>();
  {
    OneAccept server(*loop);
    Client client(*loop, server.listener.Port());
    client.on_connected = [&] { client.conn->PauseReading(); };
    REQUIRE(RunUntil(*loop, [&] { return server.conn != nullptr && client.connect_done; }));
    server.conn->Output() += Pattern(32 << 20);
    server.conn->CloseAfterFlush();
    server.conn.reset();  // detached: the graceful close goes on without an owner
    REQUIRE_FALSE(server.closed);
  }
  // The loop force-closes the orphan instead of waiting out its 5 s deadline.
  loop.reset();
  SUCCEED();
}

}  // namespace
}  // namespace slotproxy::net

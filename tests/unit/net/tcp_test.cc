#include <catch2/catch.hpp>
#include <string>

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

TEST_CASE("Echo of many message sizes", "[net][tcp]") {
  EventLoop loop;
  EchoServer server(loop);
  REQUIRE(server.status().ok());
  REQUIRE(server.Port() != 0);
  Client client(loop, server.Port());
  REQUIRE(RunUntil(loop, [&] { return client.connect_done; }));
  REQUIRE(client.connect_status.ok());
  REQUIRE(client.conn->PeerAddress() == "127.0.0.1:" + std::to_string(server.Port()));
  REQUIRE(client.conn->LocalAddress().rfind("127.0.0.1:", 0) == 0);

  std::string expected;
  uint32_t seed = 1;
  for (size_t size : {1, 2, 100, 4096, 16384, 65535, 65536, 65537, 200000, 1 << 20}) {
    std::string msg = Pattern(size, seed++);
    expected += msg;
    client.conn->Output() += msg;
    REQUIRE(RunUntil(loop, [&] { return client.received.size() >= expected.size(); }));
    REQUIRE(client.received.size() == expected.size());
    REQUIRE(client.received == expected);
  }
  REQUIRE(client.conn->BytesWritten() == expected.size());
  REQUIRE(client.conn->BytesRead() == expected.size());
  REQUIRE(loop.BytesRead() == 2 * expected.size());  // the server's reads and the client's
  REQUIRE(loop.BytesWritten() == 2 * expected.size());
  client.conn.reset();
  REQUIRE(RunUntil(loop, [&] { return server.closed == 1; }));
  REQUIRE(server.reasons[0].kind == CloseReason::Kind::kEof);
}

TEST_CASE("IPv6 loopback listener and client", "[net][tcp]") {
  EventLoop loop;
  ListenerOptions options;
  options.host = "::1";
  EchoServer server(loop, options);
  if (!server.status().ok()) {
    WARN("no IPv6 loopback here: " << server.status().message());
    return;
  }
  Client client(loop, server.Port(), 0, "::1");
  client.on_connected = [&] { client.conn->Output() += "six"; };
  REQUIRE(RunUntil(loop, [&] { return client.received == "six"; }));
  REQUIRE(client.conn->PeerAddress() == "[::1]:" + std::to_string(server.Port()));
}

TEST_CASE("Many appends in one loop turn leave in one write", "[net][tcp]") {
  EventLoop loop;
  EchoServer server(loop);
  Client client(loop, server.Port());
  client.on_connected = [&] {
    for (int i = 0; i < 1000; ++i) client.conn->Output() += "abcdefgh";
  };
  REQUIRE(RunUntil(loop, [&] { return client.received.size() == 8000; }));
  REQUIRE(client.conn->WriteCount() == 1);
  std::string* const out = &client.conn->Output();
  // The second turn's appends, from two different callbacks, still make one more write.
  Timer t1(loop), t2(loop);
  bool fired1 = false, fired2 = false;
  t1.Start(5, [&] {
    client.conn->Output() += "x";
    fired1 = true;
  });
  t2.Start(5, [&] {
    client.conn->Output() += "y";
    fired2 = true;
  });
  REQUIRE(RunUntil(loop, [&] { return client.received.size() == 8002; }));
  REQUIRE(fired1);
  REQUIRE(fired2);
  // Both timers fire in the same turn (same due time), so exactly one more write.
  REQUIRE(client.conn->WriteCount() == 2);
  REQUIRE(&client.conn->Output() == out);  // stable across writes (double buffering swaps data)
  REQUIRE(server.conns.size() == 1);
  REQUIRE(server.conns[0]->WriteCount() >= 1);
  REQUIRE(loop.WriteCount() == client.conn->WriteCount() + server.conns[0]->WriteCount());
}

TEST_CASE("Output appended by a before-sleep hook leaves in the same turn's write", "[net][tcp]") {
  EventLoop loop;
  EchoServer server(loop);
  Client client(loop, server.Port());
  REQUIRE(RunUntil(loop, [&] { return client.connect_done; }));
  int pending_parts = 0;
  EventLoop::HookId hook = loop.AddBeforeSleep([&] {
    // Like a session moving ready replies into its output at the end of the turn.
    for (; pending_parts > 0; --pending_parts) client.conn->Output() += "part;";
  });
  Timer t(loop);
  t.Start(1, [&] {
    client.conn->Output() += "head;";
    pending_parts = 3;
  });
  REQUIRE(RunUntil(loop, [&] { return client.received.size() == 20; }));
  loop.RemoveBeforeSleep(hook);
  REQUIRE(client.received == "head;part;part;part;");
  REQUIRE(client.conn->WriteCount() == 1);
}

TEST_CASE("Large transfer with back-pressure and a slow reader", "[net][tcp]") {
  EventLoop loop;
  EchoServer server(loop);
  server.high_water = 256 * 1024;
  Client client(loop, server.Port());
  const std::string payload = Pattern(16 << 20, 7);
  client.on_connected = [&] {
    client.conn->PauseReading();  // nobody reads: the server's output must back up
    client.conn->Output() += payload;
  };
  REQUIRE(RunUntil(loop, [&] { return server.pauses > 0; }));
  REQUIRE(server.conns.size() == 1);
  REQUIRE(server.conns[0]->IsReadingPaused());
  REQUIRE(server.conns[0]->PendingOutputBytes() > server.high_water);
  REQUIRE(client.conn->PendingOutputBytes() > 0);  // the server stopped reading too

  // Slow reader: take a pause after every 1 MB.
  Timer resume(loop);
  size_t next_pause = client.received.size() + (1 << 20);
  int slow_pauses = 0;
  client.on_data = [&] {
    if (client.received.size() >= next_pause) {
      next_pause = client.received.size() + (1 << 20);
      ++slow_pauses;
      client.conn->PauseReading();
      resume.Start(2, [&] { client.conn->ResumeReading(); });
    }
  };
  client.conn->ResumeReading();
  REQUIRE(RunUntil(
      loop, [&] { return client.received.size() >= payload.size(); }, 60000));
  REQUIRE(client.received.size() == payload.size());
  REQUIRE(client.received == payload);
  REQUIRE(slow_pauses >= 8);
  REQUIRE(client.conn->PendingOutputBytes() == 0);
}

TEST_CASE("Destroying a connection inside its own read callback", "[net][tcp]") {
  EventLoop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpConnection> accepted;
  int data_calls = 0;
  REQUIRE(listener
              .Listen({},
                      [&](std::unique_ptr<TcpConnection> c) {
                        accepted = std::move(c);
                        accepted->SetDataCallback([&](InputBuffer& in) {
                          ++data_calls;
                          accepted->Output() += "never sent";
                          REQUIRE(in.Size() > 0);
                          accepted.reset();  // destroys the connection running this callback
                        });
                        accepted->SetCloseCallback(
                            [&](const CloseReason&) { FAIL("after destroy"); });
                      })
              .ok());
  Client client(loop, listener.Port());
  client.on_connected = [&] { client.conn->Output() += "hello"; };
  REQUIRE(RunUntil(loop, [&] { return client.closed; }));
  REQUIRE(data_calls == 1);
  REQUIRE(client.received.empty());
  REQUIRE(client.close_reason.kind != CloseReason::Kind::kLocal);
}

TEST_CASE("Close inside the read callback, destroy in the close callback", "[net][tcp]") {
  EventLoop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpConnection> accepted;
  CloseReason server_reason;
  bool server_closed = false;
  REQUIRE(listener
              .Listen({},
                      [&](std::unique_ptr<TcpConnection> c) {
                        accepted = std::move(c);
                        accepted->SetDataCallback([&](InputBuffer& in) {
                          accepted->Close();
                          REQUIRE_FALSE(accepted->IsOpen());
                          accepted->Output() += "discarded";
                          in.Consume(in.Size());
                        });
                        accepted->SetCloseCallback([&](const CloseReason& reason) {
                          server_reason = reason;
                          server_closed = true;
                          accepted.reset();
                        });
                      })
              .ok());
  Client client(loop, listener.Port());
  client.on_connected = [&] { client.conn->Output() += "hello"; };
  REQUIRE(RunUntil(loop, [&] { return client.closed && server_closed; }));
  REQUIRE(server_reason.kind == CloseReason::Kind::kLocal);
  REQUIRE(client.received.empty());
  REQUIRE(accepted == nullptr);
}

TEST_CASE("Destroying a connection with a write in flight", "[net][tcp]") {
  EventLoop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpConnection> accepted;
  REQUIRE(listener
              .Listen({},
                      [&](std::unique_ptr<TcpConnection> c) {
                        accepted = std::move(c);
                        accepted->Output() += Pattern(16 << 20);
                      })
              .ok());
  Client client(loop, listener.Port());
  client.on_connected = [&] { client.conn->PauseReading(); };
  REQUIRE(RunUntil(loop, [&] {
    return accepted && accepted->PendingOutputBytes() > 0 && accepted->WriteCount() == 1;
  }));
  accepted.reset();  // the in-flight buffer must stay valid until libuv cancels the write
  client.conn->ResumeReading();
  REQUIRE(RunUntil(loop, [&] { return client.closed; }));
  REQUIRE(client.received.size() < (16u << 20));
}

TEST_CASE("Connect to a closed port fails with a clear error", "[net][tcp]") {
  EventLoop loop;
  Client client(loop, testing::ClosedPort());
  REQUIRE(RunUntil(loop, [&] { return client.connect_done; }));
  REQUIRE_FALSE(client.connect_status.ok());
  REQUIRE(client.connect_status.message() == "connection refused");
  REQUIRE_FALSE(client.conn->IsOpen());
  REQUIRE_FALSE(client.closed);  // a failed connect reports through the connect callback only
}

TEST_CASE("Connect to a bad address is refused synchronously", "[net][tcp]") {
  EventLoop loop;
  auto r = TcpConnection::Connect(loop, "not-an-ip", 1, 0, [](const Status&) { FAIL(); });
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.status().message().find("invalid IP address 'not-an-ip'") == 0);
}

TEST_CASE("Close while connecting cancels without callbacks", "[net][tcp]") {
  EventLoop loop;
  EchoServer server(loop);
  bool called = false;
  auto r = TcpConnection::Connect(loop, "127.0.0.1", server.Port(), 0,
                                  [&](const Status&) { called = true; });
  REQUIRE(r.ok());
  r.value()->Close();
  REQUIRE_FALSE(r.value()->IsOpen());
  Timer settle(loop);
  bool settled = false;
  settle.Start(20, [&] { settled = true; });
  REQUIRE(RunUntil(loop, [&] { return settled; }));
  REQUIRE_FALSE(called);
}

TEST_CASE("Listener errors name the address", "[net][tcp]") {
  EventLoop loop;
  EchoServer first(loop);
  TcpListener second(loop);
  ListenerOptions options;
  options.port = first.Port();
  Status st = second.Listen(options, [](std::unique_ptr<TcpConnection>) {});
  REQUIRE_FALSE(st.ok());
  REQUIRE(st.message() ==
          "bind 127.0.0.1:" + std::to_string(first.Port()) + ": Address already in use");
  options.host = "999.1.1.1";
  REQUIRE_FALSE(second.Listen(options, [](std::unique_ptr<TcpConnection>) {}).ok());
}

TEST_CASE("A listener may be destroyed inside its accept callback", "[net][tcp]") {
  EventLoop loop;
  auto listener = std::make_unique<TcpListener>(loop);
  std::unique_ptr<TcpConnection> kept;
  REQUIRE(listener
              ->Listen({},
                       [&](std::unique_ptr<TcpConnection> c) {
                         kept = std::move(c);
                         listener.reset();
                       })
              .ok());
  Client client(loop, listener->Port());
  REQUIRE(RunUntil(loop, [&] { return kept != nullptr && client.connect_done; }));
  REQUIRE(listener == nullptr);
  REQUIRE(kept->IsOpen());
}

TEST_CASE("Input above the maximum closes the connection with an error", "[net][tcp]") {
  EventLoop loop;
  ListenerOptions options;
  options.connection.max_input = 1024;
  TcpListener listener(loop);
  std::unique_ptr<TcpConnection> accepted;
  CloseReason reason;
  bool closed = false;
  REQUIRE(listener
              .Listen(options,
                      [&](std::unique_ptr<TcpConnection> c) {
                        accepted = std::move(c);
                        accepted->SetDataCallback([](InputBuffer&) {});  // consumes nothing
                        accepted->SetCloseCallback([&](const CloseReason& r) {
                          reason = r;
                          closed = true;
                        });
                      })
              .ok());
  Client client(loop, listener.Port());
  client.on_connected = [&] { client.conn->Output() += Pattern(100000); };
  REQUIRE(RunUntil(loop, [&] { return closed; }));
  REQUIRE(reason.kind == CloseReason::Kind::kError);
  REQUIRE(reason.message == "input buffer limit of 1024 bytes reached");
}

TEST_CASE("ResumeReading re-delivers input that was already buffered", "[net][tcp]") {
  EventLoop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpConnection> accepted;
  std::vector<std::string> deliveries;
  Timer resume(loop);
  REQUIRE(listener
              .Listen({},
                      [&](std::unique_ptr<TcpConnection> c) {
                        accepted = std::move(c);
                        accepted->SetDataCallback([&](InputBuffer& in) {
                          deliveries.emplace_back(in.View());
                          if (deliveries.size() == 1) {
                            accepted->PauseReading();  // leave the bytes unconsumed
                            resume.Start(5, [&] { accepted->ResumeReading(); });
                          } else {
                            in.Consume(in.Size());
                          }
                        });
                      })
              .ok());
  Client client(loop, listener.Port());
  client.on_connected = [&] { client.conn->Output() += "GET key\r\n"; };
  REQUIRE(RunUntil(loop, [&] { return deliveries.size() == 2; }));
  REQUIRE(deliveries[0] == "GET key\r\n");
  REQUIRE(deliveries[1] == "GET key\r\n");
  REQUIRE(accepted->Input().Empty());
}

}  // namespace
}  // namespace slotproxy::net

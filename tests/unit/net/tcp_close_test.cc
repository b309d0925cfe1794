// Closing, EOF, connect timeouts and SO_REUSEPORT, seen from blocking POSIX clients while the
// server runs on a WorkerThread.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/tcp_connection.h"
#include "net/tcp_listener.h"
#include "net/worker_thread.h"
#include "unit/net/net_test_util.h"
#include "unit/net/tcp_test_util.h"

namespace slotproxy::net {
namespace {

using testing::BlockingConnect;
using testing::Pattern;
using testing::ReadToEnd;
using testing::RunUntil;
using testing::SendAll;

// Waits (bounded) until `pred` holds; for values set by another thread.
bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 20000) {
  for (int waited = 0; waited < timeout_ms; waited += 2) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

// A server on its own thread; `setup` runs for each accepted connection on the loop thread.
class ThreadServer {
 public:
  explicit ThreadServer(std::function<void(TcpConnection&)> setup, ListenerOptions options = {})
      : setup_(std::move(setup)) {
    worker_.Start([this, options](EventLoop& loop) {
      TcpListener listener(loop);
      std::vector<std::unique_ptr<TcpConnection>> conns;
      Status st = listener.Listen(options, [&](std::unique_ptr<TcpConnection> c) {
        c->SetCloseCallback([this](const CloseReason& reason) {
          last_reason_kind = static_cast<int>(reason.kind);
          ++closed;
        });
        setup_(*c);
        conns.push_back(std::move(c));
        ++accepted;
      });
      port = st.ok() ? listener.Port() : 0;
      ready = true;
      loop.Run();
    });
    WaitFor([this] { return ready.load(); });
  }
  ~ThreadServer() {
    worker_.Stop();
    worker_.Join();
  }

  std::atomic<bool> ready{false};
  std::atomic<uint16_t> port{0};
  std::atomic<int> accepted{0};
  std::atomic<int> closed{0};
  std::atomic<int> last_reason_kind{-1};

 private:
  std::function<void(TcpConnection&)> setup_;
  WorkerThread worker_{"sp-test-srv"};
};

constexpr int kEof = static_cast<int>(CloseReason::Kind::kEof);
constexpr int kLocal = static_cast<int>(CloseReason::Kind::kLocal);

TEST_CASE("CloseAfterFlush delivers every byte, then EOF, despite unread input",
          "[net][tcp][close]") {
  const std::string reply = Pattern(2 << 20, 3);
  ThreadServer server([&](TcpConnection& c) {
    c.SetDataCallback([&c, &reply](InputBuffer& in) {
      c.Output() += reply;  // like "-ERR Protocol error" followed by the close
      c.CloseAfterFlush();
      in.Consume(in.Size());  // still valid after the close, until the callback returns
    });
  });
  REQUIRE(server.port != 0);
  int fd = BlockingConnect(server.port);
  REQUIRE(fd >= 0);
  // The request is followed by more bytes the server will never parse: closing with them
  // unread must not become an RST that destroys the reply.
  REQUIRE(SendAll(fd, "hi" + Pattern(1 << 20, 9)));
  bool eof = false;
  std::string got = ReadToEnd(fd, &eof);
  ::close(fd);
  REQUIRE(eof);
  REQUIRE(got.size() == reply.size());
  REQUIRE(got == reply);
  REQUIRE(WaitFor([&] { return server.closed == 1; }));
  REQUIRE(server.last_reason_kind == kLocal);
}

TEST_CASE("Peer EOF: output owed is flushed, then the connection closes", "[net][tcp][close]") {
  ThreadServer server([](TcpConnection& c) {
    c.SetDataCallback([&c](InputBuffer& in) {
      c.Output().append(in.Data(), in.Size());
      in.Consume(in.Size());
    });
  });
  int fd = BlockingConnect(server.port);
  REQUIRE(fd >= 0);
  REQUIRE(SendAll(fd, "PING\r\n"));
  ::shutdown(fd, SHUT_WR);
  bool eof = false;
  std::string got = ReadToEnd(fd, &eof);
  ::close(fd);
  REQUIRE(got == "PING\r\n");
  REQUIRE(eof);
  REQUIRE(WaitFor([&] { return server.closed == 1; }));
  REQUIRE(server.last_reason_kind == kEof);
}

TEST_CASE("An EOF callback keeps a half-closed connection writable", "[net][tcp][close]") {
  ThreadServer server([](TcpConnection& c) {
    c.SetDataCallback([&c](InputBuffer& in) {
      c.Output().append(in.Data(), in.Size());
      in.Consume(in.Size());
    });
    c.SetEofCallback([&c] {
      c.Output() += " bye";
      c.CloseAfterFlush();
    });
  });
  int fd = BlockingConnect(server.port);
  REQUIRE(fd >= 0);
  REQUIRE(SendAll(fd, "last words"));
  ::shutdown(fd, SHUT_WR);
  bool eof = false;
  std::string got = ReadToEnd(fd, &eof);
  ::close(fd);
  REQUIRE(got == "last words bye");
  REQUIRE(eof);
  REQUIRE(WaitFor([&] { return server.closed == 1; }));
  REQUIRE(server.last_reason_kind == kLocal);
}

// A listening socket that never accepts, with its accept queue filled: further SYNs are
// dropped, so a connect can only end by timing out. Returns the fds to close; empty if this
// kernel did not behave that way.
std::vector<int> FullBacklog(uint16_t* port) {
  std::vector<int> fds;
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(lfd, 0);
  socklen_t len = sizeof(addr);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  fds.push_back(lfd);
  for (int i = 0; i < 8; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{0, 200000};  // bounds this connect() to 200 ms
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fds.push_back(fd);
    if (rc != 0) return fds;  // timed out: the queue is full
  }
  for (int fd : fds) ::close(fd);
  return {};
}

TEST_CASE("Connect timeout against a listener whose backlog is full", "[net][tcp][connect]") {
  uint16_t port = 0;
  std::vector<int> fds = FullBacklog(&port);
  if (fds.empty()) {
    WARN("kernel accepted every connect; connect timeout not testable here");
    return;
  }
  EventLoop loop;
  testing::Client client(loop, port, 150);
  REQUIRE(RunUntil(
      loop, [&] { return client.connect_done; }, 10000));
  for (int fd : fds) ::close(fd);
  REQUIRE_FALSE(client.connect_status.ok());
  REQUIRE(client.connect_status.message() == "connection timed out");
  REQUIRE_FALSE(client.conn->IsOpen());
}

TEST_CASE("SO_REUSEPORT listeners on two loops both accept", "[net][tcp][reuseport]") {
  std::atomic<uint16_t> port{0};
  std::atomic<int> ready{0};
  std::atomic<int> accepted[2] = {0, 0};
  std::atomic<bool> listen_failed{false};
  auto body = [&](int index) {
    return [&, index](EventLoop& loop) {
      TcpListener listener(loop);
      ListenerOptions options;
      options.reuse_port = true;
      options.port = port.load();  // 0 for the first worker: the OS picks, the second reuses it
      options.exclusive = index == 0;
      Status st = listener.Listen(options, [&, index](std::unique_ptr<TcpConnection>) {
        ++accepted[index];  // dropping the connection closes it
      });
      if (!st.ok()) listen_failed = true;
      if (index == 0) port = listener.Port();
      ++ready;
      loop.Run();
    };
  };
  WorkerThread first("sp-test-rp0"), second("sp-test-rp1");
  first.Start(body(0));
  REQUIRE(WaitFor([&] { return ready == 1; }));
  second.Start(body(1));
  REQUIRE(WaitFor([&] { return ready == 2; }));
  REQUIRE_FALSE(listen_failed);
  {
    // A stranger (say a second proxy started on the same port) is refused, not let in.
    EventLoop loop;
    TcpListener stranger(loop);
    ListenerOptions options;
    options.reuse_port = true;
    options.port = port;
    Status st = stranger.Listen(options, [](std::unique_ptr<TcpConnection>) {});
    REQUIRE_FALSE(st.ok());
    REQUIRE(st.message() ==
            "bind 127.0.0.1:" + std::to_string(port.load()) + ": Address already in use");
  }
  constexpr int kClients = 64;
  for (int i = 0; i < kClients; ++i) {
    int fd = BlockingConnect(port);
    REQUIRE(fd >= 0);
    ::close(fd);
  }
  REQUIRE(WaitFor([&] { return accepted[0] + accepted[1] == kClients; }));
  // The kernel hashes each connection to one listener: with 64 connections both get some
  // unless the hash is broken (chance 2^-63).
  REQUIRE(accepted[0] > 0);
  REQUIRE(accepted[1] > 0);
  first.Stop();
  second.Stop();
}

}  // namespace
}  // namespace slotproxy::net

// TcpListener: a listening TCP socket on one loop that hands accepted connections to its owner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/event_loop.h"
#include "net/tcp_connection.h"

namespace slotproxy::net {

struct ListenerOptions {
  std::string host = "127.0.0.1";  // IPv4 or IPv6 literal ("0.0.0.0", "::" is dual-stack)
  uint16_t port = 0;               // 0: the OS picks; read it back with Port()
  int backlog = 511;               // Redis's tcp-backlog default
  // SO_REUSEPORT: several listeners (one per worker loop) bind the same host:port and the
  // kernel spreads incoming connections over them.
  bool reuse_port = false;
  // With reuse_port: fail with "Address already in use" if any socket already holds host:port
  // (another process could otherwise share it silently). Leave it on for the first listener of
  // a worker group and turn it off for the others, which join the first one's port.
  bool exclusive = true;
  ConnectionOptions connection;  // applied to every accepted connection
};

// Loop-thread-only. Destroying it stops accepting at once; connections already handed out are
// unaffected. The callback may destroy the listener.
class TcpListener {
 public:
  // Receives each accepted connection, already reading; set its callbacks before returning,
  // or drop it to close it.
  using AcceptCallback = std::function<void(std::unique_ptr<TcpConnection> conn)>;

  explicit TcpListener(EventLoop& loop);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Creates the socket (SO_REUSEADDR, and SO_REUSEPORT when asked), binds and listens. Error
  // texts name the address and the failing step: "bind 127.0.0.1:6379: Address already in use".
  // Only one successful Listen() per object.
  Status Listen(const ListenerOptions& options, AcceptCallback on_accept);

  // The bound port (useful after port 0); 0 before a successful Listen().
  uint16_t Port() const;

  // Accept attempts that failed (the accepted socket could not be set up); for metrics.
  uint64_t AcceptErrors() const;

  struct Core;

 private:
  Core* core_;  // freed by libuv's close callback
};

}  // namespace slotproxy::net

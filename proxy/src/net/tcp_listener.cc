#include "net/tcp_listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>

#include "net/address.h"
#include "net/connection_core.h"

namespace slotproxy::net {

struct TcpListener::Core {
  uv_tcp_t tcp;
  EventLoop* loop = nullptr;
  bool attached = true;
  bool listening = false;
  uint16_t port = 0;
  uint64_t accept_errors = 0;
  ConnectionOptions connection;
  AcceptCallback on_accept;  // lives here so the listener may die inside it

  static void OnConnection(uv_stream_t* server, int status) {
    Core* c = static_cast<Core*>(server->data);
    if (!c->attached) return;
    if (status < 0) {
      ++c->accept_errors;
      return;
    }
    auto* conn =
        TcpConnection::Core::Create(*c->loop, c->connection, TcpConnection::Core::State::kOpen);
    auto owner = std::unique_ptr<TcpConnection>(new TcpConnection(conn));
    if (uv_accept(server, conn->stream()) != 0) {
      ++c->accept_errors;
      return;  // `owner` closes the half-made handle
    }
    conn->Establish();
    if (c->on_accept) c->on_accept(std::move(owner));
  }
};

namespace {

Status SocketError(const char* step, const std::string& where, int err) {
  return Status::Error(std::string(step) + " " + where + ": " + std::strerror(err));
}

socklen_t AddrLen(const sockaddr_storage& addr) {
  return addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

// SO_REUSEPORT would let a second process of the same user share the port silently (and take
// half the connections). A plain socket's bind fails if anything holds host:port, so probe with
// one first; for port 0 the probe also picks the port the group will share.
Status ProbeExclusive(sockaddr_storage* addr, const std::string& where) {
  int fd = ::socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("socket", where, errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // TIME_WAIT is no conflict
  if (::bind(fd, reinterpret_cast<sockaddr*>(addr), AddrLen(*addr)) != 0) {
    int err = errno;
    ::close(fd);
    return SocketError("bind", where, err);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  ::close(fd);
  const uint16_t port = SockaddrPort(bound);
  if (addr->ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(addr)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(addr)->sin_port = htons(port);
  }
  return Status();
}

}  // namespace

TcpListener::TcpListener(EventLoop& loop) : core_(new Core) {
  core_->loop = &loop;
  uv_tcp_init(loop.raw(), &core_->tcp);
  core_->tcp.data = core_;
}

TcpListener::~TcpListener() {
  core_->attached = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&core_->tcp),
           [](uv_handle_t* h) { delete static_cast<Core*>(h->data); });
}

Status TcpListener::Listen(const ListenerOptions& options, AcceptCallback on_accept) {
  if (core_->listening) return Status::Error("listener already listening");
  sockaddr_storage addr;
  Status parsed = ParseIpAddress(options.host, options.port, &addr);
  if (!parsed.ok()) return parsed;
  const std::string where = FormatHostPort(options.host, options.port);
  if (options.reuse_port && options.exclusive) {
    Status probed = ProbeExclusive(&addr, where);
    if (!probed.ok()) return probed;
  }
  // libuv 1.44 has no UV_TCP_REUSEPORT: make the socket ourselves and hand it to uv_tcp_open.
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("socket", where, errno);
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      (options.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)) {
    int err = errno;
    ::close(fd);
    return SocketError("setsockopt", where, err);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), AddrLen(addr)) != 0) {
    int err = errno;
    ::close(fd);
    return SocketError("bind", where, err);
  }
  int rc = uv_tcp_open(&core_->tcp, fd);
  if (rc != 0) {
    ::close(fd);
    return Status::Error("open " + where + ": " + uv_strerror(rc));
  }
  // From here the handle owns fd; closing the handle closes it.
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(&core_->tcp), options.backlog, Core::OnConnection);
  if (rc != 0) return Status::Error("listen " + where + ": " + uv_strerror(rc));
  sockaddr_storage bound{};
  int bound_len = sizeof(bound);
  uv_tcp_getsockname(&core_->tcp, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  core_->port = SockaddrPort(bound);
  core_->connection = options.connection;
  core_->on_accept = std::move(on_accept);
  core_->listening = true;
  return Status();
}

uint16_t TcpListener::Port() const { return core_->port; }

uint64_t TcpListener::AcceptErrors() const { return core_->accept_errors; }

}  // namespace slotproxy::net

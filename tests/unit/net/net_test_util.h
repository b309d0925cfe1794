// Helpers for sp_net's tests: a bounded Run and small blocking POSIX clients.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>

#include "net/event_loop.h"

namespace slotproxy::net::testing {

// Runs `loop` until `done()` holds (checked before the loop sleeps, and every millisecond for
// states that the before-sleep flush itself changes) or `timeout_ms` passes. Returns whether
// `done()` held.
inline bool RunUntil(EventLoop& loop, const std::function<bool()>& done,
                     uint64_t timeout_ms = 20000) {
  bool timed_out = false;
  Timer guard(loop);
  guard.Start(timeout_ms, [&] {
    timed_out = true;
    loop.Stop();
  });
  EventLoop::HookId hook = loop.AddBeforeSleep([&] {
    if (done()) loop.Stop();
  });
  Timer poll(loop);
  poll.StartRepeating(1, [&] {
    if (done()) loop.Stop();
  });
  loop.Run();
  loop.RemoveBeforeSleep(hook);
  return !timed_out && done();
}

// A blocking TCP socket to 127.0.0.1:port with 10 s send/receive timeouts; -1 on failure.
inline int BlockingConnect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool SendAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads until EOF, an error or the receive timeout; returns the bytes and sets *eof when the
// stream ended with a clean EOF.
inline std::string ReadToEnd(int fd, bool* eof) {
  std::string got;
  char buf[65536];
  *eof = false;
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0) {
      *eof = true;
      break;
    }
    if (n < 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// A port that was free a moment ago: bound, read back, closed.
inline uint16_t ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Deterministic test bytes.
inline std::string Pattern(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

}  // namespace slotproxy::net::testing

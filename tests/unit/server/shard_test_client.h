// Test helpers for the shard runtime: a shard started in-process on its own thread
// (EmbeddedShards) and a tiny blocking RESP client over a loopback socket that returns raw
// reply bytes. Every read is bounded in time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp/encoder.h"
#include "server/embedded.h"

namespace slotproxy::server::testing {

// Index just past one complete RESP2/RESP3 reply at `pos`, or npos when incomplete.
inline size_t ReplyEnd(const std::string& b, size_t pos) {
  if (pos >= b.size()) return std::string::npos;
  size_t eol = b.find("\r\n", pos);
  if (eol == std::string::npos) return std::string::npos;
  char kind = b[pos];
  size_t after = eol + 2;
  std::string head = b.substr(pos + 1, eol - pos - 1);
  switch (kind) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      return after;
    case '$':
    case '=':
    case '!': {
      long n = std::stol(head);
      if (n < 0) return after;
      size_t end = after + static_cast<size_t>(n) + 2;
      return end <= b.size() ? end : std::string::npos;
    }
    default: {
      long n = std::stol(head);
      if (n < 0) return after;
      long count = (kind == '%' || kind == '|') ? 2 * n : n;
      size_t cur = after;
      for (long i = 0; i < count; ++i) {
        cur = ReplyEnd(b, cur);
        if (cur == std::string::npos) return cur;
      }
      return cur;
    }
  }
}

class TestClient {
 public:
  explicit TestClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~TestClient() { Close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool SendCommand(std::initializer_list<std::string_view> args) {
    return Send(resp::EncodeCommand(args));
  }

  // One reply's raw bytes; "" on EOF or after `timeout_ms` without a complete reply.
  std::string Read(int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      size_t end = ReplyEnd(buf_, 0);
      if (end != std::string::npos) {
        std::string reply = buf_.substr(0, end);
        buf_.erase(0, end);
        return reply;
      }
      if (!Fill(deadline)) return "";
    }
  }

  std::string Call(std::initializer_list<std::string_view> args) {
    if (!SendCommand(args)) return "";
    return Read();
  }

  // Everything until the peer closes (bounded); `*eof` tells whether it did.
  std::string ReadToEof(bool* eof, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Fill(deadline)) {
    }
    *eof = eof_;
    std::string out;
    out.swap(buf_);
    return out;
  }

  // True when no byte arrives within `ms` (used only to check that nothing was sent early).
  bool Quiet(int ms) {
    pollfd p{fd_, POLLIN, 0};
    return buf_.empty() && poll(&p, 1, ms) == 0;
  }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0 || eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[65536];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

// One shard on its own thread, stopped by the destructor.
class ShardFixture {
 public:
  explicit ShardFixture(ShardOptions options = {}) {
    EmbeddedShardSpec spec;
    spec.options = std::move(options);
    std::vector<EmbeddedShardSpec> specs;
    specs.push_back(std::move(spec));
    auto started = EmbeddedShards::Start(std::move(specs));
    if (started.ok()) shards_ = std::move(started.value());
  }
  bool ok() const { return shards_ != nullptr; }
  uint16_t port() const { return shards_->ports()[0]; }

 private:
  std::unique_ptr<EmbeddedShards> shards_;
};

// A bulk string reply.
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

}  // namespace slotproxy::server::testing

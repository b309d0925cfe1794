// A redis-server child on a free loopback port and one connection to it, for differential tests
// of the metrics module's Redis-shaped replies. Every wait is bounded; the child is killed and
// reaped by the destructor.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "resp/encoder.h"
#include "resp/reply_parser.h"

namespace slotproxy::metrics::testing {

inline std::string FindRedisServer() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin"}) {
    std::string p = std::string(dir) + "/redis-server";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

class LiveRedis {
 public:
  LiveRedis() {
    std::string binary = FindRedisServer();
    if (binary.empty()) return;
    char dir_template[] = "/tmp/metrics_live_redis.XXXXXX";
    dir_ = mkdtemp(dir_template);
    int port = FreePort();
    std::string port_s = std::to_string(port);
    pid_ = fork();
    if (pid_ == 0) {
      (void)!freopen("/dev/null", "w", stdout);
      (void)!freopen("/dev/null", "w", stderr);
      execl(binary.c_str(), "redis-server", "--port", port_s.c_str(), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", dir_.c_str(), nullptr);
      _exit(127);
    }
    for (int attempt = 0; attempt < 200 && fd_ < 0; ++attempt) {  // at most ~10 s
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr = Loopback(port);
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        timeval tv{5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        fd_ = fd;
      } else {
        close(fd);
        usleep(50'000);
      }
    }
  }
  ~LiveRedis() {
    if (fd_ >= 0) close(fd_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  LiveRedis(const LiveRedis&) = delete;
  LiveRedis& operator=(const LiveRedis&) = delete;

  bool ok() const { return fd_ >= 0; }

  // Sends one command and returns the exact bytes of its reply ("" on I/O failure).
  std::string Command(const std::vector<std::string_view>& args) {
    std::string req;
    resp::EncodeCommand(std::span<const std::string_view>(args), &req);
    if (send(fd_, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) return "";
    resp::ReplyParser parser;
    char buf[65536];
    while (true) {
      if (!pending_.empty()) {
        resp::ReplyStatus st = parser.Parse(pending_);
        if (st == resp::ReplyStatus::kError) return "";
        if (st == resp::ReplyStatus::kComplete) {
          std::string reply = pending_.substr(0, parser.info().length);
          pending_.erase(0, parser.info().length);
          return reply;
        }
      }
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return "";
      pending_.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    return addr;
  }
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof(addr);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
  }

  std::string dir_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string pending_;
};

}  // namespace slotproxy::metrics::testing

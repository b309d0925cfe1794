// Test helper: a real redis-server in cluster mode on a free loopback port, and a tiny blocking
// RESP client for it. Every wait is bounded; the destructor always ends the process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace slotproxy::cluster::testing {

class RedisProcess {
 public:
  // Starts `redis-server --cluster-enabled yes` on a free 127.0.0.1 port with its own temporary
  // directory, and waits (at most ~5 s per attempt, 3 attempts) until it answers PING. Returns
  // nullptr and sets *error when it cannot.
  static std::unique_ptr<RedisProcess> Start(std::string* error);

  // Stops the server (SIGTERM, then SIGKILL after a bounded wait) and removes its directory.
  ~RedisProcess();

  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  uint16_t port() const { return port_; }

 private:
  RedisProcess(pid_t pid, uint16_t port, std::string dir) : pid_(pid), port_(port), dir_(dir) {}
  void Stop();

  pid_t pid_;
  uint16_t port_;
  std::string dir_;
};

// A blocking connection to 127.0.0.1:port with a receive timeout of a few seconds.
class TestConnection {
 public:
  // Connects; returns nullptr when the connection fails.
  static std::unique_ptr<TestConnection> Connect(uint16_t port);
  ~TestConnection();

  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  // Writes all of `bytes`; false on error.
  bool Send(const std::string& bytes);

  // Reads one line (without CRLF) of a simple reply (+, -, :); false on timeout or EOF.
  bool ReadLine(std::string* line);

  // Reads until `count` bytes have arrived or the timeout hits; returns what arrived.
  std::string ReadBytes(size_t count);

  // Reads one complete RESP reply of any shape (arrays, bulks, ...) and returns its raw bytes;
  // empty on timeout, EOF or a malformed reply.
  std::string ReadRawReply();

 private:
  explicit TestConnection(int fd) : fd_(fd) {}
  bool Fill();
  bool RawReplyAt(size_t* pos);

  int fd_;
  std::string buffer_;
};

// Encodes `args` as a RESP multibulk request.
std::string EncodeCommand(const std::vector<std::string>& args);

// Runs `command` through /bin/sh with `input` on its stdin and returns its stdout (bounded by the
// command itself; callers pass commands that end on their own).
std::string RunShell(const std::string& command, const std::string& input);

}  // namespace slotproxy::cluster::testing

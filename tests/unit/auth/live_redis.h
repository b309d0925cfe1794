// A real redis-server child for differential tests, reached over a unix socket in a private
// temporary directory (no TCP port to race for). Tests skip with a warning when redis-server is
// not installed.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace slotproxy::auth::testing {

// One RESP2 reply: its type byte ('+', '-', ':', '$', '*') and text (the line after the type
// byte; a bulk string's content; empty for arrays and nil). type 0 on I/O failure.
struct Reply {
  char type = 0;
  std::string text;
  std::vector<std::string> elements;  // an array's elements' texts (nested arrays: empty text)
};

// A blocking RESP2 connection with a 10 s receive timeout.
class RedisConnection {
 public:
  explicit RedisConnection(int fd) : fd_(fd) {}
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends `args` as one request and reads the first reply to it.
  Reply Call(const std::vector<std::string>& args);

 private:
  bool Fill();
  bool Line(std::string* line);
  Reply Read(int depth);

  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

class LiveRedis {
 public:
  // Starts redis-server (no persistence) and waits up to ~10 s for its socket.
  LiveRedis();
  ~LiveRedis();
  LiveRedis(const LiveRedis&) = delete;
  LiveRedis& operator=(const LiveRedis&) = delete;

  // True when the server runs and accepts connections.
  bool ok() const { return ready_; }

  // A new connection (nullptr when it cannot connect).
  std::unique_ptr<RedisConnection> Connect() const;

 private:
  std::string dir_;
  std::string socket_;
  int pid_ = -1;
  bool ready_ = false;
};

// The path of redis-server on PATH, or "".
std::string FindRedisServer();

}  // namespace slotproxy::auth::testing

// Test helpers of the string and key handler tests: the handlers run directly through a
// CommandContext (no sockets) and, for differential tests, the same commands go to a real
// redis-server 7.0 started on a free loopback port; raw reply bytes are compared.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/keyspace.h"
#include "resp/encoder.h"
#include "server/command_context.h"

namespace slotproxy::server::testing {

using Args = std::vector<std::string>;

// A real redis-server (persistence off) on a free 127.0.0.1 port. Every wait is bounded; the
// destructor always ends the process.
class RedisServerProcess {
 public:
  // Starts it and waits (at most ~5 s per attempt, 3 attempts) for PING. nullptr and *error set
  // when it cannot (redis-server missing, no free port).
  static std::unique_ptr<RedisServerProcess> Start(std::string* error);
  ~RedisServerProcess();
  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;

  uint16_t port() const { return port_; }

 private:
  RedisServerProcess(pid_t pid, uint16_t port) : pid_(pid), port_(port) {}
  pid_t pid_;
  uint16_t port_;
};

// A blocking RESP connection to 127.0.0.1:port (receive timeout a few seconds).
class RawClient {
 public:
  // nullptr when the connection fails.
  static std::unique_ptr<RawClient> Connect(uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends `args` and returns the raw bytes of the one reply; "IOERR" on a broken link, a timeout
  // or a malformed reply.
  std::string Call(const Args& args);

 private:
  explicit RawClient(int fd) : fd_(fd) {}
  int fd_;
  std::string buf_;
};

// Records what handlers report to the shard.
class RecordingEvents : public ShardEvents {
 public:
  void KeyModified(std::string_view key) override { modified.emplace_back(key); }
  void KeyReady(std::string_view key) override { ready.emplace_back(key); }
  void Propagate(std::span<const std::string_view> args) override {
    propagated.emplace_back(args.begin(), args.end());
  }
  void Block(std::span<const std::string_view> keys, int64_t) override {
    blocked.emplace_back(keys.begin(), keys.end());
  }
  void Clear() {
    modified.clear();
    ready.clear();
    propagated.clear();
    blocked.clear();
  }

  std::vector<std::string> modified;
  std::vector<std::string> ready;
  std::vector<Args> propagated;
  std::vector<Args> blocked;
};

// Wall-clock milliseconds since the epoch (what the shard passes as ctx.now_ms).
int64_t NowMs();

// The string and key handlers over one Keyspace, called as the dispatcher would (the table row
// looked up, arity checked by the test), the reply returned as bytes.
class HandlerHarness {
 public:
  HandlerHarness();

  // Runs `args` in `protocol` at time `now_ms` (-1: the wall clock) and returns the reply bytes.
  // Fails the test (and returns "NOHANDLER"/"ARITY") when no string/key handler serves the
  // command or its arity is wrong.
  std::string Call(const Args& args, resp::Protocol protocol = resp::Protocol::kResp2,
                   int64_t now_ms = -1);

  engine::Keyspace& db() { return db_; }
  RecordingEvents events;
  int last_dirty = 0;            // ctx.dirty of the last Call
  bool last_propagated = false;  // ctx.propagated of the last Call
  size_t last_reply_count = 0;   // top-level replies the last Call appended (must be 1)

 private:
  engine::Keyspace db_;
};

// Runs command sequences against a real redis-server and a HandlerHarness in one protocol and
// compares the replies, reporting each mismatch with the command.
class Differ {
 public:
  Differ(RawClient* redis, HandlerHarness* ours, resp::Protocol protocol)
      : redis_(redis), ours_(ours), protocol_(protocol) {}

  // Empties both sides (FLUSHALL).
  void Reset();
  // Both replies byte for byte.
  void Same(const Args& args);
  // Integer replies within `tolerance` when both are remaining times (>= 0), else equal (PTTL
  // and friends: the two sides read the clock at different moments, and a loaded machine may
  // stall between a SET and its TTL).
  void Near(const Args& args, int64_t tolerance);
  // Array replies with the same elements in any order (KEYS).
  void SameUnordered(const Args& args);
  // A full SCAN with `options` (MATCH/COUNT/TYPE) on both sides: the same set of keys.
  void SameScan(const Args& options);
  // Creates the container `type` ("list", "set", "hash") at `key` on both sides, replacing any
  // value there.
  void MakeContainer(const std::string& type, const std::string& key);

  int mismatches() const { return mismatches_; }

 private:
  RawClient* redis_;
  HandlerHarness* ours_;
  resp::Protocol protocol_;
  int mismatches_ = 0;
};

// A RESP protocol's name for test messages ("RESP2"/"RESP3").
std::string ProtocolName(resp::Protocol p);

// Reply bytes shown with CR/LF escaped (for messages).
std::string Printable(std::string_view bytes);

}  // namespace slotproxy::server::testing

namespace slotproxy::server::testing {

// Starts a real redis-server and runs `body` twice, with a RESP2 and then a RESP3 (HELLO 3)
// connection, each time on a fresh HandlerHarness and an empty server; CHECKs no mismatch.
// Skips with a warning when redis-server cannot start.
void RunDifferential(const std::function<void(Differ&)>& body);

}  // namespace slotproxy::server::testing

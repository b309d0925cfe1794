// Test helpers of the command-family handler tests (hash, set, list, sorted set): a real
// redis-server 7.0 (started on a free loopback port, killed at exit), a harness that runs our
// handlers directly through a CommandContext, and a small RESP reply tree for comparing scan
// results.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/keyspace.h"
#include "resp/encoder.h"
#include "server/command_context.h"

namespace slotproxy::server::handler_testing {

using Args = std::vector<std::string>;

// A parsed RESP2/RESP3 reply. `type` is the RESP prefix byte ('+', '-', ':', '$', '*', '%',
// '~', '_', ',', '#', '(', '=', '>', '|'); `null` marks "$-1" / "*-1"; `text` holds the payload
// of scalars; `elems` the children of aggregates (a map's keys and values alternate).
struct Reply {
  char type = 0;
  bool null = false;
  std::string text;
  std::vector<Reply> elems;

  // The scalar payloads of the direct children (aggregates contribute "<agg>").
  std::vector<std::string> Texts() const;
};

// Parses exactly one reply from `bytes`; false when it is malformed or has trailing bytes.
bool ParseReply(std::string_view bytes, Reply* out);

// A redis-server 7.0 child process with two connections, one speaking RESP2 and one RESP3.
class RedisServer {
 public:
  // The process shared by all tests of the binary, started on first use; nullptr (and a
  // warning) when /usr/bin/redis-server is missing or does not answer within ~5 s.
  static RedisServer* Shared();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Sends `args` on the connection of `protocol` and returns the raw reply bytes ("" on error).
  std::string Call(const Args& args, resp::Protocol protocol);

 private:
  RedisServer() = default;
  bool Start();

  pid_t pid_ = -1;
  int fd_[2] = {-1, -1};  // [0] RESP2, [1] RESP3
  std::string buf_[2];
};

// Runs the commands of every family (string, key, hash, set, list, sorted set)
// through our handlers against its own keyspace, recording what the handlers report.
class Harness {
 public:
  Harness();
  ~Harness();

  // Runs `args` and returns the exact reply bytes. Checks arity like the dispatcher. Besides the
  // handler tables it understands FLUSHALL, DEL, EXISTS, SET key value, PEXPIRE key ms (a
  // positive ms), TTL and OBJECT ENCODING, answering as Redis would for those simple forms.
  std::string Run(const Args& args, resp::Protocol protocol = resp::Protocol::kResp2);

  engine::Keyspace& db() { return db_; }
  // The clock the handlers see, in ms; tests move it to expire keys.
  int64_t now_ms = 1'700'000'000'000;
  // What handlers see as ctx.may_block (false emulates MULTI / scripts).
  bool may_block = true;

  // What the last Run reported.
  struct Record {
    std::vector<std::string> modified;  // KeyModified calls
    std::vector<std::string> ready;     // KeyReady calls
    std::vector<Args> propagated;       // Propagate calls
    std::vector<Args> blocked;          // Block calls: the keys
    int64_t block_deadline_ms = -1;     // the last Block call's deadline
    int dirty = 0;
    bool marked_propagated = false;
  };
  const Record& last() const { return last_; }

 private:
  class Events;
  bool RunSetupCommand(const Args& args, resp::Encoder& enc);

  engine::Keyspace db_;
  std::unique_ptr<Events> events_;
  Record last_;
};

// Lowercase copy of `s`.
std::string Lower(std::string_view s);

}  // namespace slotproxy::server::handler_testing

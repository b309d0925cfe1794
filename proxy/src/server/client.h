// Client: one connection to the shard: its request parser, connection state, transaction,
// subscriptions and blocked command. Runs pipelined commands in order through the dispatcher.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_info.h"
#include "net/event_loop.h"
#include "net/tcp_connection.h"
#include "resp/encoder.h"
#include "resp/request_parser.h"
#include "server/command_context.h"
#include "server/multi.h"
#include "server/pubsub.h"

namespace slotproxy::server {

class Shard;

// A command parked by ShardEvents::Block until one of its keys is ready or its deadline passes.
struct BlockedState {
  bool active = false;
  const command::CommandInfo* info = nullptr;
  std::vector<std::string> args;  // a copy: re-run when a key is ready
  std::vector<std::string> keys;
  int64_t deadline_ms = 0;  // wall clock; 0: never
  std::unique_ptr<net::Timer> timer;
};

class Client {
 public:
  // Takes the accepted connection; call Start() to install the callbacks.
  Client(Shard& shard, uint64_t id, std::unique_ptr<net::TcpConnection> conn, int64_t now_ms);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Installs the data, drain and close callbacks. From then on the client runs every complete
  // command as it arrives; the close callback hands the client back to the shard.
  void Start();

  uint64_t id() const { return state_.id; }
  ClientState& state() { return state_; }
  const ClientState& state() const { return state_; }
  MultiState& multi() { return multi_; }
  const MultiState& multi() const { return multi_; }
  ClientSubscriptions& subscriptions() { return subs_; }
  const ClientSubscriptions& subscriptions() const { return subs_; }
  BlockedState& blocked() { return blocked_; }
  const BlockedState& blocked() const { return blocked_; }
  net::TcpConnection& conn() { return *conn_; }

  // An encoder appending to this client's output in its protocol (schedules this turn's flush).
  resp::Encoder Encoder() { return resp::Encoder(&conn_->Output(), state_.protocol); }

  // Closes the client at once when its pending output is past its hard limit (a subscriber
  // that does not read, a reply that cannot be sent). Returns true when it did.
  bool CheckOutputLimit();

  // Runs the complete commands buffered in the connection's input, in order, until the input
  // has no complete command, the client blocks, closes, or its output passes the high-water
  // mark (then reading pauses until the output drains).
  void ProcessInput();

  // QUIT: the replies already owed are sent, then the connection closes; nothing after the
  // current command runs.
  void CloseAfterReply() { close_after_reply_ = true; }
  bool closing() const { return close_after_reply_ || !conn_->IsOpen(); }

  // Sets the AUTH state and the parser's unauthenticated limits to match.
  void SetAuthenticated(bool authenticated);

  // The CLIENT LIST / CLIENT INFO line (without the trailing newline).
  std::string InfoLine(int64_t now_ms) const;

  // Bookkeeping for CLIENT LIST and INFO.
  // `full_name` must outlive the client (a command table row's name).
  void NoteCommand(std::string_view full_name, int64_t now_ms) {
    last_cmd_ = full_name;
    last_interaction_ms_ = now_ms;
  }

 private:
  void OnData(net::InputBuffer& input);
  void OnDrain();
  // Runs the commands in `input`; see ProcessInput.
  void ProcessBuffer(net::InputBuffer& input);
  // Prefetches the keys of the next requests in `pending` (up to kPrefetchWindow); returns how
  // many requests that covered, at least 1, so a failed scan is retried one request later.
  size_t PrefetchAhead(std::string_view pending);

  static constexpr size_t kPrefetchWindow = 16;

  Shard& shard_;
  std::unique_ptr<net::TcpConnection> conn_;
  resp::RequestParser parser_;
  ClientState state_;
  MultiState multi_;
  ClientSubscriptions subs_;
  BlockedState blocked_;
  bool close_after_reply_ = false;
  bool paused_for_output_ = false;
  bool processing_ = false;
  int64_t created_ms_;
  int64_t last_interaction_ms_;
  std::string_view last_cmd_ = "NULL";  // a table row's name: no copy per command
};

}  // namespace slotproxy::server

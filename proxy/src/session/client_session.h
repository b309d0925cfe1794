// ClientSession: one client connection. Parses pipelined requests, routes each command (to one
// slot owner, split by slot, fanned out to every master, or answered locally), and writes the
// replies back in exactly the request order, whatever order the backends answer in.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "backend/backend_request.h"
#include "command/command_info.h"
#include "net/tcp_connection.h"
#include "resp/request_parser.h"
#include "session/merge.h"
#include "session/session_context.h"

namespace slotproxy::session {

class ClientSession final : private backend::RequestOwner {
 public:
  // Takes over an accepted connection and starts serving it. `on_closed` runs once, from the
  // connection's close callback, and is expected to destroy the session.
  ClientSession(SessionContext& context, uint64_t id, std::unique_ptr<net::TcpConnection> conn,
                std::function<void(uint64_t id)> on_closed);
  // Detaches every request still in flight (their replies are dropped by the backend side).
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  uint64_t id() const { return id_; }
  // CLIENT LIST / CLIENT INFO view of this client (pending figures refreshed on call).
  const LocalSession& local();
  // Loop time of the last complete command (or of the accept).
  uint64_t LastCommandMs() const { return local_.last_ms; }
  // Entries waiting for a reply or for their turn to be written.
  size_t PendingCount() const { return pending_.size(); }
  net::TcpConnection& connection() { return *conn_; }

  // Refuses the connection with Redis's text (max clients) and closes it after the flush.
  static void Refuse(net::TcpConnection& conn, std::string_view error_line);

 private:
  // One request of the pipeline, in order.
  struct Entry {
    enum class Kind : uint8_t { kPlain, kMerge, kScan, kInfo };
    Kind kind = Kind::kPlain;
    std::string reply;  // the bytes to write once ready
    bool ready = false;
    bool close_after = false;  // QUIT, protocol error: close once written
    uint32_t outstanding = 0;  // sub-requests still owed
    command::MergeKind merge = command::MergeKind::kNone;
    std::vector<std::string> parts;    // fan-out / split: raw sub-replies by sub index
    std::vector<KeySource> key_order;  // kMgetConcat: where each client key's value is
    uint32_t scan_shard = 0;           // kScan: the shard asked and the shard count
    uint32_t scan_shards = 0;
    std::vector<std::string> info_args;  // kInfo: the client's INFO arguments
    absl::InlinedVector<backend::BackendRequest*, 1> inflight;  // to detach on close
  };

  void OnData(net::InputBuffer& input);
  // Routes one parsed command; appends its entry.
  void HandleCommand(std::span<const std::string_view> args);
  Entry& NewEntry();
  // Completes the newest entry with a locally made reply.
  void ReplyNow(std::string bytes, bool close_after = false);
  void ReplyError(std::string_view message);
  void SendSingle(Entry& entry, std::span<const std::string_view> args, bool has_slot,
                  uint16_t slot, std::string target);
  void RouteKeyed(const command::CommandInfo& info, std::span<const std::string_view> args);
  void RouteSplit(const command::CommandInfo& info, std::span<const std::string_view> args);
  void RouteAllShards(const command::CommandInfo& info, std::span<const std::string_view> args);
  void RouteAnyShard(std::span<const std::string_view> args);
  void HandleLocal(const command::CommandInfo& info, std::span<const std::string_view> args);
  void RouteScan(std::span<const std::string_view> args);
  void RouteInfo(std::span<const std::string_view> args);
  void FinishInfo(Entry& entry);
  backend::RequestPtr MakeRequest(uint64_t seq, uint32_t sub);

  void OnBackendReply(backend::BackendRequest& request, std::string_view raw,
                      const resp::ReplyInfo& info) override;
  void OnBackendError(backend::BackendRequest& request, std::string_view message) override;
  void CompletePart(backend::BackendRequest& request, std::string_view raw);
  void FinishMerge(Entry& entry);

  // Writes every ready entry at the head of the queue into the connection's output.
  void FlushReady();
  void UpdateBackPressure();

  SessionContext& ctx_;
  uint64_t id_;
  std::unique_ptr<net::TcpConnection> conn_;
  std::function<void(uint64_t)> on_closed_;
  resp::RequestParser parser_;
  std::deque<Entry> pending_;
  uint64_t head_seq_ = 0;  // sequence number of pending_.front()
  bool closing_ = false;   // no more input is processed
  bool paused_ = false;
  LocalSession local_;
};

}  // namespace slotproxy::session

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
#include "backend/backend_connection.h"
#include "backend/backend_request.h"
#include "command/command_info.h"
#include "command/lookup_cache.h"
#include "net/tcp_connection.h"
#include "resp/request_parser.h"
#include "session/fanout.h"
#include "session/merge.h"
#include "session/pubsub_state.h"
#include "session/recycling_queue.h"
#include "session/session_context.h"

namespace slotproxy::session {

class ClientSession final : private backend::RequestOwner, private backend::ConnectionEvents {
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
  // After the worker's SessionLimits::access changed (SIGHUP): moves this client to the user of
  // the same name in the new table, as Redis keeps clients logged in across ACL changes. A
  // client whose user is gone or disabled is disconnected (as Redis does); a client that never
  // authenticated is let in when the new table needs no password. The previous table must
  // still be alive during the call.
  void RebindUser();
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
    // kPrepared: `reply` is written up front and becomes ready when `outstanding` reaches 0
    // (SUBSCRIBE waits for the backend's confirmations so messages published after the client
    // saw it are delivered).
    enum class Kind : uint8_t { kPlain, kMerge, kScan, kInfo, kPrepared, kGather };
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
    bool gather_kill = false;            // kGather: CLIENT KILL (else CLIENT LIST)
    bool gather_old_form = false;        // kGather: CLIENT KILL ip:port
    absl::InlinedVector<backend::BackendRequest*, 1> inflight;  // to detach on close
    // Metrics (only with ctx.stats): the command's row, the clock of its read batch, and
    // whether it is a client command at all (pushed messages are not).
    const command::CommandInfo* row = nullptr;
    uint64_t start_ns = 0;
    bool counted = false;

    // Back to the default state for the next request, keeping the reply buffer's capacity
    // (RecyclingQueue reuses entries instead of allocating one per request).
    // Every field above must be reset here.
    void Recycle() {
      kind = Kind::kPlain;
      if (reply.capacity() > kKeepReplyCapacity) {
        std::string().swap(reply);
      } else {
        reply.clear();
      }
      ready = false;
      close_after = false;
      outstanding = 0;
      merge = command::MergeKind::kNone;
      parts.clear();
      key_order.clear();
      scan_shard = 0;
      scan_shards = 0;
      info_args.clear();
      gather_kill = false;
      gather_old_form = false;
      inflight.resize(0);  // unlike clear(), keeps a split's heap capacity
      row = nullptr;
      start_ns = 0;
      counted = false;
    }
    static constexpr size_t kKeepReplyCapacity = 4096;
  };

  void OnData(net::InputBuffer& input);
  // Routes one parsed command; appends its entry.
  void HandleCommand(std::span<const std::string_view> args);
  // NOAUTH before authentication, then the user's ACL (NOPERM). False: refused (replied).
  bool Authorized(const command::CommandInfo& info, std::span<const std::string_view> args);
  Entry& NewEntry();
  // Completes the newest entry with a locally made reply.
  void ReplyNow(std::string bytes, bool close_after = false);
  void ReplyError(std::string_view message);
  // Sends the command to the owner of `slot`, or to `target` ("host:port") when !has_slot.
  void SendSingle(Entry& entry, std::span<const std::string_view> args, bool has_slot,
                  uint16_t slot, std::string_view target = {});
  void RouteKeyed(const command::CommandInfo& info, std::span<const std::string_view> args);
  void RouteSplit(const command::CommandInfo& info, std::span<const std::string_view> args);
  void RouteAllShards(const command::CommandInfo& info, std::span<const std::string_view> args);
  void RouteAnyShard(std::span<const std::string_view> args);
  void HandleLocal(const command::CommandInfo& info, std::span<const std::string_view> args);
  void RouteScan(std::span<const std::string_view> args);
  void RouteInfo(std::span<const std::string_view> args);
  void FinishInfo(Entry& entry);
  backend::RequestPtr MakeRequest(uint64_t seq, uint32_t sub);
  // Appends `args` as a RESP command to `out`: the client's own bytes when `args` is the
  // command being handled and those are canonical, else a fresh encoding.
  void EncodeArgs(std::span<const std::string_view> args, std::string* out) const;

  void OnBackendReply(backend::BackendRequest& request, std::string_view raw,
                      const resp::ReplyInfo& info) override;
  void OnBackendError(backend::BackendRequest& request, std::string_view message) override;
  // Stores one sub-reply of a split / fanned-out entry; true when it was the last and the entry
  // is now ready (false: still waiting for other parts).
  bool CompletePart(backend::BackendRequest& request, std::string_view raw);
  void FinishMerge(Entry& entry);

  // Writes every ready entry at the head of the queue into the connection's output.
  void FlushReady();
  void UpdateBackPressure();
  uint64_t SeqOfBack() const { return head_seq_ + pending_.size() - 1; }
  // Metrics for an entry whose reply is complete: RecordCommand, and RecordSlow past the
  // threshold with the client's arguments (cur_args_ while the command is being handled, else
  // decoded from `request`'s payload). No-op without ctx.stats.
  void RecordDone(const Entry& e, std::string_view reply, const backend::BackendRequest* request);
  void ReportBytes(uint64_t in);

  // ---- dedicated backend connections (client_session_stateful.cc) ----
  // What a request on a dedicated connection is, kept in BackendRequest::sub.
  enum DedicatedSub : uint32_t {
    kSubReply = 0,       // the reply goes to the client's entry
    kSubSwallow = 1,     // a reply the client never sees (MULTI sent late, DISCARD on abort)
    kSubTxEnd = 2,       // EXEC / DISCARD: the transaction ends with this reply
    kSubUnwatchEnd = 3,  // UNWATCH outside MULTI: the watch ends with this reply
    kSubBlocking = 4,    // a blocking command (follows MOVED / ASK itself)
  };
  void HandleStateful(const command::CommandInfo& info, std::span<const std::string_view> args);
  // True when the command was taken by the transaction in progress (queued or refused).
  bool QueueInTransaction(const command::CommandInfo& info, std::span<const std::string_view> args);
  void TxMulti();
  void TxExec();
  void TxDiscard();
  void TxWatch(const command::CommandInfo& info, std::span<const std::string_view> args);
  void TxUnwatch();
  // Opens the transaction's connection to the owner of `slot` and sends the held prelude
  // (MULTI and keyless commands queued before the first key). False: no owner (error sent).
  bool TxBind(uint16_t slot);
  void TxSend(std::span<const std::string_view> args, uint32_t sub, bool has_slot, uint16_t slot);
  void TxSendRaw(std::string payload, uint32_t sub, uint64_t seq);
  void TxEnd();
  void RouteBlocking(const command::CommandInfo& info, std::span<const std::string_view> args);
  bool IsBlockingXread(const command::CommandInfo& info, std::span<const std::string_view> args);
  // An idle (or same-node FIFO) dedicated connection to host:port in this client's protocol.
  backend::BackendConnection& DedicatedFor(const std::string& host, uint16_t port);
  // Puts `conn` back for reuse (or closes it past the bound).
  void ParkDedicated(std::unique_ptr<backend::BackendConnection> conn);
  void HandleDedicatedRedirect(backend::BackendConnection& conn, backend::RequestPtr request,
                               std::string_view raw, const resp::ReplyInfo& info);
  // Frees connections whose callbacks are over (a connection may not be destroyed inside its
  // own callback).
  void Bury(std::unique_ptr<backend::BackendConnection> conn);
  void ResetStateful();

  void OnReply(backend::BackendConnection& conn, backend::RequestPtr request, std::string_view raw,
               const resp::ReplyInfo& info) override;
  void OnFailed(backend::BackendConnection& conn, backend::RequestPtr request,
                std::string_view message) override;
  void OnConnectionLost(backend::BackendConnection& conn) override;
  void OnPush(backend::BackendConnection& conn, std::string_view raw,
              const resp::ReplyInfo& info) override;

  // ---- CLIENT LIST / KILL over every worker (client_session_clients.cc) ----
  // Posts the command to every loop with clients (this one included); the entry completes
  // when all have answered.
  void RouteClients(const command::CommandInfo& info, std::span<const std::string_view> args);
  // One loop's part of a CLIENT LIST / KILL the session `me` asked for; on that loop's thread.
  static std::string ClientsPart(net::EventLoop* loop, const ClientFilter& filter, uint64_t me);
  void OnClientsPart(uint64_t seq, size_t index, std::string part);

  // ---- pub/sub (client_session_pubsub.cc) ----
  struct PubSubLink {
    std::unique_ptr<backend::BackendConnection> conn;
    // Subscribe confirmations still owed per entry, in send order: (entry seq, count).
    std::deque<std::pair<uint64_t, size_t>> waits;
  };
  // True when the command was handled by the pub/sub layer.
  bool HandlePubSub(const command::CommandInfo& info, std::span<const std::string_view> args);
  // RESP2 subscribed context: only (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET. True when refused.
  bool RefuseInSubscribedContext(const command::CommandInfo& info,
                                 std::span<const std::string_view> args);
  // PUBSUB SHARDNUMSUB: each channel asked of the node owning its slot, one sub-request per
  // node, merged back into the client's order (PUBSUB SHARDCHANNELS is a table fan-out).
  void RouteShardNumSub(std::span<const std::string_view> args);
  void Subscribe(SubKind kind, std::span<const std::string_view> names);
  void Unsubscribe(SubKind kind, std::span<const std::string_view> names);
  // The link carrying `kind` subscriptions for `name` (classic: the home node, owner of slot
  // 0; shard: the owner of the channel's slot). nullptr when no node serves it.
  PubSubLink* LinkFor(SubKind kind, std::string_view name);
  PubSubLink* FindLink(const backend::BackendConnection& conn);
  void DeliverPush(std::string_view raw);
  void CompleteWait(PubSubLink& link);
  void ScheduleResubscribe();
  // While classic channels or patterns are held: every second, re-subscribes on the new home
  // when slot 0 changed owner (PUBLISH follows slot 0 at once).
  void StartHomeCheck();
  void Resubscribe();
  void ClosePubSub();
  bool CheckPubSubLimit();

  SessionContext& ctx_;
  uint64_t id_;
  std::unique_ptr<net::TcpConnection> conn_;
  std::function<void(uint64_t)> on_closed_;
  resp::RequestParser parser_;
  command::LookupCache lookup_cache_;
  RecyclingQueue<Entry> pending_;
  uint64_t head_seq_ = 0;  // sequence number of pending_.front()
  bool closing_ = false;   // no more input is processed
  bool paused_ = false;
  LocalSession local_;
  uint64_t output_soft_since_ms_ = 0;  // unsent output over limits.output_soft since (0: not)
  // Metrics: the steady clock of the current read batch, the arguments of the command being
  // handled (empty outside HandleCommand) and the bytes written already reported.
  uint64_t batch_ns_ = 0;
  std::span<const std::string_view> cur_args_;
  // Scratch reused by every split command (no allocation per MSET / MGET / DEL once warm).
  SplitPlan split_plan_;
  std::vector<backend::RequestPtr> split_requests_;
  // The current command's own RESP bytes (ParseResult::raw; empty when they are not canonical
  // or the command came inline): what a backend is sent when the arguments go unchanged.
  std::string_view cur_raw_;
  uint64_t reported_out_ = 0;

  // Transaction state (MULTI / WATCH) and its dedicated connection.
  struct TxState {
    bool multi = false;       // between MULTI and EXEC / DISCARD
    bool watching = false;    // WATCH sent on conn, not yet ended
    bool dirty = false;       // a command was refused while queued: EXEC aborts
    bool watch_lost = false;  // the connection holding the WATCH was lost: EXEC fails (nil)
    bool bound = false;       // conn chosen (first key, or WATCH)
    int64_t queued = 0;       // commands queued since MULTI (CLIENT LIST multi=)
    uint16_t slot = 0;        // the first key's slot
    std::vector<std::string> prelude;  // MULTI + keyless commands held until the node is known
    std::unique_ptr<backend::BackendConnection> conn;
  } tx_;
  // Connections for blocking commands (busy or idle) and idle ones kept for reuse.
  std::vector<std::unique_ptr<backend::BackendConnection>> dedicated_;
  std::vector<std::unique_ptr<backend::BackendConnection>> graveyard_;
  uint32_t blocking_inflight_ = 0;  // blocking commands waiting (CLIENT LIST flag b)

  // Pub/sub.
  PubSubState subs_;
  std::unique_ptr<PubSubLink> home_link_;  // channels and patterns
  std::vector<std::unique_ptr<PubSubLink>> shard_links_;
  std::unique_ptr<net::Timer> resubscribe_timer_;
  std::unique_ptr<net::Timer> home_check_timer_;  // follows slot 0 to a new home node
  uint64_t pubsub_soft_since_ms_ = 0;             // output over the soft limit since (0: under it)
};

}  // namespace slotproxy::session

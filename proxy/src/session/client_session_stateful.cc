// ClientSession, part 2: commands that hold state on a backend connection of their own.
//
// Transactions: MULTI is answered by the proxy and held, with the keyless commands queued after
// it, until the first keyed command (or WATCH) names the slot; then a dedicated connection to
// that slot's owner gets MULTI, the held commands (their +OK / +QUEUED swallowed, since the
// client already got them) and everything up to EXEC / DISCARD, whose replies pass through.
// The backend enforces Redis Cluster's rules itself (CROSSSLOT at queue time or at EXEC,
// EXECABORT). A -MOVED / -ASK inside the transaction is never followed: the backend has already
// flagged the transaction, so nothing of it can apply, and the client gets a clear error.
//
// Blocking commands run on a dedicated connection to the key's owner with no proxy timeout
// (the command carries its own); the connection stays with the session for the next one and is
// closed with the session, which unblocks the shard at once.
#include <strings.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "cluster/crc16.h"
#include "cluster/redirect.h"
#include "command/key_extraction.h"
#include "command/routing.h"
#include "resp/encoder.h"
#include "resp/error_kind.h"
#include "session/client_session.h"

namespace slotproxy::session {
namespace {

constexpr size_t kMaxIdleDedicated = 2;  // idle dedicated connections a session keeps
constexpr int kMaxBlockingRedirects = 5;
constexpr uint64_t kNoEntry = UINT64_MAX;

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view TopName(const command::CommandInfo& info) {
  return info.parent != nullptr ? info.parent->name : info.name;
}

// The slot of every key of the command; false (and *cross set) when they differ.
bool CommandSlot(const command::CommandInfo& info, std::span<const std::string_view> args,
                 bool* has_key, uint16_t* slot) {
  command::KeyRefs keys;
  command::ExtractKeys(info, args, /*include_not_key=*/true, &keys);
  *has_key = !keys.empty();
  if (keys.empty()) return true;
  *slot = cluster::KeySlot(args[keys[0].pos]);
  for (size_t i = 1; i < keys.size(); ++i) {
    if (cluster::KeySlot(args[keys[i].pos]) != *slot) return false;
  }
  return true;
}

}  // namespace

void ClientSession::HandleStateful(const command::CommandInfo& info,
                                   std::span<const std::string_view> args) {
  const std::string_view top = TopName(info);
  if (top == "multi") return TxMulti();
  if (top == "exec") return TxExec();
  if (top == "discard") return TxDiscard();
  if (top == "watch") return TxWatch(info, args);
  if (top == "unwatch") return TxUnwatch();
  if (top == "wait") {
    // The proxy presents itself as a master without replicas (ROLE, INFO replication), and a
    // client's writes travel over shared connections whose replication offsets are not its
    // own: WAIT answers at once with the replicas it can vouch for, none.
    return ReplyNow(":0\r\n");
  }
  if (top == "eval" || top == "evalsha" || top == "eval_ro" || top == "evalsha_ro" ||
      top == "fcall" || top == "fcall_ro") {
    return RouteKeyed(info, args);  // the declared keys name the slot; none: any shard
  }
  if (info.HasFlag(command::flag::kBlocking)) return RouteBlocking(info, args);
  ReplyError("ERR command '" + std::string(info.name) + "' is not supported by slotproxy");
}

bool ClientSession::IsBlockingXread(const command::CommandInfo& info,
                                    std::span<const std::string_view> args) {
  if (info.name != "xread" && info.name != "xreadgroup") return false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsNoCase(args[i], "STREAMS")) return false;
    if (EqualsNoCase(args[i], "BLOCK")) return true;
  }
  return false;
}

// ---- transactions ----

bool ClientSession::QueueInTransaction(const command::CommandInfo& info,
                                       std::span<const std::string_view> args) {
  const std::string_view top = TopName(info);
  // Redis runs these at once even inside MULTI (processCommand's exceptions).
  if (top == "exec" || top == "discard" || top == "multi" || top == "watch" || top == "quit" ||
      top == "reset") {
    return false;
  }
  if (info.routing.kind == command::RouteKind::kUnsupported) {
    ReplyError(command::UnsupportedError(info));
    tx_.dirty = true;
    return true;
  }
  // Connection state the proxy keeps itself (AUTH, HELLO, CLIENT, SELECT ...) and
  // subscriptions cannot run inside the backend's EXEC: refused as Redis refuses a no-multi
  // command, which also flags the transaction.
  const bool local =
      info.routing.kind == command::RouteKind::kProxyLocal && top != "ping" && top != "echo";
  if (local || top == "subscribe" || top == "psubscribe" || top == "ssubscribe" ||
      top == "unsubscribe" || top == "punsubscribe" || top == "sunsubscribe") {
    ReplyError("ERR Command not allowed inside a transaction");
    tx_.dirty = true;
    return true;
  }
  bool has_key = false;
  uint16_t slot = 0;
  if (!CommandSlot(info, args, &has_key, &slot)) {
    ReplyError(cluster::kCrossSlotError);  // Redis Cluster also flags the transaction
    tx_.dirty = true;
    return true;
  }
  if (has_key && tx_.bound && slot != tx_.slot) {
    // One transaction, one slot (Redis Cluster refuses the EXEC of one that spans slots): the
    // proxy says so when the command is queued, whichever node owns the other slot.
    ReplyError(cluster::kCrossSlotError);
    tx_.dirty = true;
    return true;
  }
  if (!tx_.bound) {
    if (!has_key) {
      // No node yet: hold it; Redis would answer +QUEUED, and so will the backend later.
      resp::EncodeCommand(args, &tx_.prelude.emplace_back());
      ++tx_.queued;
      ReplyNow("+QUEUED\r\n");
      return true;
    }
    if (!TxBind(slot)) {
      tx_.dirty = true;
      return true;
    }
  }
  ++tx_.queued;
  TxSend(args, kSubReply, has_key, slot);
  return true;
}

void ClientSession::TxMulti() {
  if (tx_.multi) return ReplyError("ERR MULTI calls can not be nested");
  tx_.multi = true;
  tx_.dirty = false;
  tx_.queued = 0;
  if (tx_.conn) {
    TxSendRaw(resp::EncodeCommand({"MULTI"}), kSubReply, SeqOfBack());
    return;
  }
  if (!tx_.bound) tx_.prelude.push_back(resp::EncodeCommand({"MULTI"}));
  ReplyNow("+OK\r\n");
}

void ClientSession::TxExec() {
  if (!tx_.multi) return ReplyError("ERR EXEC without MULTI");
  if (tx_.dirty || tx_.watch_lost || (tx_.bound && !tx_.conn)) {
    if (tx_.dirty || !tx_.watch_lost) {
      ReplyError("EXECABORT Transaction discarded because of previous errors.");
    } else {
      // The connection holding the WATCH was lost: the watched keys may have changed unseen,
      // so the transaction fails as Redis fails it when they did.
      std::string out;
      resp::Encoder(&out, local_.protocol).NullArray();
      ReplyNow(std::move(out));
    }
    if (tx_.conn) TxSendRaw(resp::EncodeCommand({"DISCARD"}), kSubSwallow, kNoEntry);
    TxEnd();
    return;
  }
  if (!tx_.bound) {
    // Nothing keyed was queued: any master runs it.
    const auto slot =
        static_cast<uint16_t>((ctx_.any_shard_counter++ * 5471) % cluster::kSlotCount);
    if (!TxBind(slot)) {
      TxEnd();
      return;
    }
  }
  TxSendRaw(resp::EncodeCommand({"EXEC"}), kSubTxEnd, SeqOfBack());
  TxEnd();
}

void ClientSession::TxDiscard() {
  if (!tx_.multi) return ReplyError("ERR DISCARD without MULTI");
  if (tx_.conn) {
    TxSendRaw(resp::EncodeCommand({"DISCARD"}), kSubTxEnd, SeqOfBack());
  } else {
    ReplyNow("+OK\r\n");
  }
  TxEnd();
}

void ClientSession::TxWatch(const command::CommandInfo& info,
                            std::span<const std::string_view> args) {
  if (tx_.multi) return ReplyError("ERR WATCH inside MULTI is not allowed");
  bool has_key = false;
  uint16_t slot = 0;
  if (!CommandSlot(info, args, &has_key, &slot)) return ReplyError(cluster::kCrossSlotError);
  if (tx_.bound && !tx_.conn) return ReplyNow("+OK\r\n");  // watch_lost already fails EXEC
  if (!tx_.bound && !TxBind(slot)) return;
  tx_.watching = true;
  TxSend(args, kSubReply, true, slot);
}

void ClientSession::TxUnwatch() {
  if (tx_.conn) {
    TxSendRaw(resp::EncodeCommand({"UNWATCH"}), kSubReply, SeqOfBack());
  } else {
    ReplyNow("+OK\r\n");
  }
  TxEnd();
}

bool ClientSession::TxBind(uint16_t slot) {
  std::string host;
  uint16_t port = 0;
  if (!ctx_.dispatcher.OwnerOf(slot, &host, &port)) {
    ReplyError(cluster::kSlotNotServedError);
    return false;
  }
  const bool resp3 = local_.protocol == resp::Protocol::kResp3;
  for (auto it = dedicated_.begin(); it != dedicated_.end(); ++it) {
    const backend::BackendConnection& c = **it;
    if (c.host() == host && c.port() == port && c.settings().resp3 == resp3) {
      tx_.conn = std::move(*it);
      dedicated_.erase(it);
      break;
    }
  }
  if (!tx_.conn) tx_.conn = ctx_.dispatcher.OpenDedicated(host, port, this, resp3);
  tx_.bound = true;
  tx_.slot = slot;
  std::vector<std::string> prelude = std::move(tx_.prelude);
  tx_.prelude.clear();
  for (std::string& payload : prelude) TxSendRaw(std::move(payload), kSubSwallow, kNoEntry);
  return true;
}

void ClientSession::TxSend(std::span<const std::string_view> args, uint32_t sub, bool has_slot,
                           uint16_t slot) {
  std::string payload;
  resp::EncodeCommand(args, &payload);
  const uint64_t seq = SeqOfBack();
  if (!tx_.conn) {
    ReplyError("ERR slotproxy: the transaction's backend connection was lost");
    tx_.dirty = true;
    return;
  }
  backend::RequestPtr r = MakeRequest(seq, sub);
  r->payload = std::move(payload);
  r->has_slot = has_slot;
  r->slot = slot;
  Entry& entry = pending_.back();
  entry.outstanding = 1;
  entry.inflight.push_back(r.get());
  tx_.conn->Send(std::move(r));
}

void ClientSession::TxSendRaw(std::string payload, uint32_t sub, uint64_t seq) {
  assert(tx_.conn);
  backend::RequestPtr r = MakeRequest(seq, sub);
  r->payload = std::move(payload);
  if (sub != kSubSwallow) {
    Entry& entry = pending_.back();
    entry.outstanding = 1;
    entry.inflight.push_back(r.get());
  }
  tx_.conn->Send(std::move(r));
}

void ClientSession::TxEnd() {
  tx_.multi = false;
  tx_.watching = false;
  tx_.dirty = false;
  tx_.watch_lost = false;
  tx_.bound = false;
  tx_.prelude.clear();
  // The connection keeps its in-flight replies (EXEC's) in order; it becomes reusable after.
  if (tx_.conn) ParkDedicated(std::move(tx_.conn));
}

// ---- blocking commands ----

void ClientSession::RouteBlocking(const command::CommandInfo& info,
                                  std::span<const std::string_view> args) {
  bool has_key = false;
  uint16_t slot = 0;
  if (!CommandSlot(info, args, &has_key, &slot)) return ReplyError(cluster::kCrossSlotError);
  if (!has_key) return RouteAnyShard(args);
  std::string host;
  uint16_t port = 0;
  if (!ctx_.dispatcher.OwnerOf(slot, &host, &port)) {
    return ReplyError(cluster::kSlotNotServedError);
  }
  backend::RequestPtr r = MakeRequest(SeqOfBack(), kSubBlocking);
  resp::EncodeCommand(args, &r->payload);
  r->has_slot = true;
  r->slot = slot;
  Entry& entry = pending_.back();
  entry.outstanding = 1;
  entry.inflight.push_back(r.get());
  ++blocking_inflight_;
  DedicatedFor(host, port).Send(std::move(r));
}

backend::BackendConnection& ClientSession::DedicatedFor(const std::string& host, uint16_t port) {
  const bool resp3 = local_.protocol == resp::Protocol::kResp3;
  for (auto& c : dedicated_) {
    // The same node's connection, busy or not: commands to one node keep their order.
    if (c->host() == host && c->port() == port && c->settings().resp3 == resp3) return *c;
  }
  dedicated_.push_back(ctx_.dispatcher.OpenDedicated(host, port, this, resp3));
  return *dedicated_.back();
}

void ClientSession::ParkDedicated(std::unique_ptr<backend::BackendConnection> conn) {
  dedicated_.push_back(std::move(conn));
  size_t idle = 0;
  for (const auto& c : dedicated_) idle += c->PendingCount() == 0 ? 1 : 0;
  for (auto it = dedicated_.begin(); idle > kMaxIdleDedicated && it != dedicated_.end();) {
    if ((*it)->PendingCount() == 0) {
      Bury(std::move(*it));
      it = dedicated_.erase(it);
      --idle;
    } else {
      ++it;
    }
  }
}

void ClientSession::Bury(std::unique_ptr<backend::BackendConnection> conn) {
  if (conn) graveyard_.push_back(std::move(conn));
}

void ClientSession::ResetStateful() {
  // Closing the connection discards MULTI and WATCH on the backend.
  Bury(std::move(tx_.conn));
  tx_ = TxState{};
  ClosePubSub();
  subs_.Clear();
}

// ---- events of dedicated connections ----

void ClientSession::OnReply(backend::BackendConnection& conn, backend::RequestPtr request,
                            std::string_view raw, const resp::ReplyInfo& info) {
  if (request->sub == kSubBlocking && blocking_inflight_ > 0) --blocking_inflight_;
  if (request->owner != nullptr && request->sub != kSubSwallow) {
    const bool redirect =
        info.type == resp::ValueType::kError &&
        (info.error_kind == resp::ErrorKind::kMoved || info.error_kind == resp::ErrorKind::kAsk);
    if (redirect) {
      HandleDedicatedRedirect(conn, std::move(request), raw, info);
      return;
    }
    OnBackendReply(*request, raw, info);
  }
  ctx_.dispatcher.pool().Release(std::move(request));
}

void ClientSession::HandleDedicatedRedirect(backend::BackendConnection& conn,
                                            backend::RequestPtr request, std::string_view raw,
                                            const resp::ReplyInfo& info) {
  const std::string_view message = info.Message(raw);
  const std::optional<resp::Redirect> redirect = resp::ParseRedirect(message);
  if (redirect && redirect->kind == resp::ErrorKind::kMoved) ctx_.dispatcher.RequestRefresh();
  if (request->sub == kSubBlocking && redirect && redirect->host != "?" &&
      request->redirects < kMaxBlockingRedirects) {
    ++request->redirects;
    ++blocking_inflight_;  // still waiting, on the node named by the redirect
    request->asking = redirect->kind == resp::ErrorKind::kAsk;
    const std::string host(redirect->host.empty() ? std::string_view(conn.host()) : redirect->host);
    DedicatedFor(host, redirect->port).Send(std::move(request));
    return;
  }
  std::string error;
  if (request->sub == kSubBlocking) {
    error = "ERR too many cluster redirections (last: " + std::string(message) + ")";
  } else if (request->sub == kSubTxEnd) {
    // EXEC itself was redirected: the backend discarded the transaction (Redis's
    // execCommandAbort wording for an error met at EXEC).
    error = "EXECABORT Transaction discarded because of: " + std::string(message);
  } else if (request->has_slot && request->slot == tx_.slot) {
    tx_.dirty = true;
    error = "ERR slotproxy: hash slot " + std::to_string(request->slot) +
            " moved during the transaction (" + std::string(message) +
            "); the transaction will abort, retry it";
  } else {
    // A key owned by another node than the transaction's: one transaction, one slot.
    tx_.dirty = true;
    error = std::string(cluster::kCrossSlotError);
  }
  OnBackendError(*request, error);
  ctx_.dispatcher.pool().Release(std::move(request));
}

void ClientSession::OnFailed(backend::BackendConnection& /*conn*/, backend::RequestPtr request,
                             std::string_view message) {
  if (request->sub == kSubBlocking && blocking_inflight_ > 0) --blocking_inflight_;
  if (request->owner != nullptr && request->sub != kSubSwallow) {
    OnBackendError(*request, message);
  }
  ctx_.dispatcher.pool().Release(std::move(request));
}

void ClientSession::OnConnectionLost(backend::BackendConnection& conn) {
  if (tx_.conn.get() == &conn) {
    // MULTI / WATCH died with the connection: EXEC must not run what is left.
    if (tx_.multi) tx_.dirty = true;
    if (tx_.watching) tx_.watch_lost = true;
    // Outside MULTI the next transaction may bind afresh; watch_lost still fails its EXEC.
    if (!tx_.multi) tx_.bound = false;
    ParkDedicated(std::move(tx_.conn));  // a lost connection reconnects on its next use
    return;
  }
  if (FindLink(conn) != nullptr) {
    PubSubLink* link = FindLink(conn);
    while (!link->waits.empty()) CompleteWait(*link);
    ScheduleResubscribe();
  }
}

}  // namespace slotproxy::session

#include "session/client_session.h"

#include <cassert>
#include <chrono>
#include <utility>

#include "cluster/crc16.h"
#include "cluster/redirect.h"
#include "command/command_table.h"
#include "command/key_extraction.h"
#include "command/routing.h"
#include "resp/encoder.h"
#include "session/client_registry.h"
#include "session/fanout.h"
#include "session/scan_cursor.h"

namespace slotproxy::session {
namespace {

std::string ErrorLine(std::string_view message) {
  std::string out;
  resp::Encoder(&out, resp::Protocol::kResp2).Error(message);
  return out;
}

resp::RequestLimits MakeLimits(const SessionLimits& limits, bool authenticated) {
  resp::RequestLimits out;
  out.max_bulk_len = limits.proto_max_bulk_len;
  // Before AUTH, Redis's pre-auth bounds: 10 arguments, 16 KB bulks, else a protocol error.
  out.unauthenticated = !authenticated;
  return out;
}

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

bool IsErrorReply(std::string_view reply) {
  return !reply.empty() && (reply[0] == '-' || reply[0] == '!');
}

bool StartsAuthenticated(const SessionLimits& limits) {
  return limits.access == nullptr || !limits.access->RequiresAuth();
}

}  // namespace

ClientSession::ClientSession(SessionContext& context, uint64_t id,
                             std::unique_ptr<net::TcpConnection> conn,
                             std::function<void(uint64_t id)> on_closed)
    : ctx_(context),
      id_(id),
      conn_(std::move(conn)),
      on_closed_(std::move(on_closed)),
      parser_(MakeLimits(context.limits, StartsAuthenticated(context.limits))) {
  local_.id = id_;
  local_.authenticated = StartsAuthenticated(context.limits);
  if (context.limits.access) local_.acl_user = &context.limits.access->DefaultUser();
  local_.addr = conn_->PeerAddress();
  local_.laddr = conn_->LocalAddress();
  local_.created_ms = conn_->loop().NowMs();
  local_.last_ms = local_.created_ms;
  ClientRegistry::Process().Add(id_, &conn_->loop(), this);
  conn_->SetDataCallback([this](net::InputBuffer& in) { OnData(in); });
  conn_->SetDrainCallback([this] { UpdateBackPressure(); });
  conn_->SetCloseCallback([this](const net::CloseReason&) {
    closing_ = true;
    // May destroy this session: nothing may touch members afterwards.
    auto cb = std::move(on_closed_);
    if (cb) cb(id_);
  });
}

ClientSession::~ClientSession() {
  ClientRegistry::Process().Remove(id_);
  for (Entry& e : pending_) {
    for (backend::BackendRequest* r : e.inflight) {
      if (r != nullptr) r->Detach();
    }
  }
}

void ClientSession::Refuse(net::TcpConnection& conn, std::string_view error_line) {
  conn.Output().append(error_line);
  conn.CloseAfterFlush();
}

void ClientSession::OnData(net::InputBuffer& input) {
  graveyard_.clear();                              // connections retired during earlier callbacks
  if (ctx_.stats != nullptr) batch_ns_ = NowNs();  // one clock read per batch
  uint64_t consumed = 0;
  while (!closing_ && !input.Empty()) {
    if (pending_.size() >= ctx_.limits.max_pending) break;  // back-pressure: the rest waits
    const resp::ParseResult r = parser_.Parse(input.View());
    consumed += r.consumed;
    if (r.status == resp::RequestStatus::kNeedMore) {
      input.Consume(r.consumed);
      break;
    }
    if (r.status == resp::RequestStatus::kError) {
      // Redis answers the commands before the bad one, then the error, then closes.
      input.Consume(r.consumed);
      if (ctx_.stats != nullptr) ctx_.stats->CountProtocolError();
      NewEntry();
      ReplyNow(r.ErrorReply(), /*close_after=*/true);
      closing_ = true;
      break;
    }
    cur_args_ = r.args;
    cur_raw_ = r.raw;
    HandleCommand(r.args);  // copies what it keeps: the views die with the input
    cur_args_ = {};
    cur_raw_ = {};
    input.Consume(r.consumed);
    // After QUIT nothing more is read, as Redis (CLIENT_CLOSE_AFTER_REPLY).
    if (!pending_.empty() && pending_.back().close_after) closing_ = true;
  }
  if (closing_) {
    consumed += input.Size();
    input.Consume(input.Size());
  }
  FlushReady();
  UpdateBackPressure();
  ReportBytes(consumed);
}

void ClientSession::ReportBytes(uint64_t in) {
  if (ctx_.stats == nullptr) return;
  // Written bytes are counted by the connection; what left since the last report.
  const uint64_t written = conn_->BytesWritten();
  ctx_.stats->AddBytes(in, written - reported_out_);
  reported_out_ = written;
}

void ClientSession::RecordDone(const Entry& e, std::string_view reply,
                               const backend::BackendRequest* request) {
  if (!e.counted || ctx_.stats == nullptr) return;
  // A backend reply carries the clock of its read batch: no clock read per request.
  const uint64_t now = request != nullptr && request->reply_ns >= e.start_ns && e.start_ns != 0
                           ? request->reply_ns
                           : NowNs();
  const uint64_t total = now > e.start_ns ? now - e.start_ns : 0;
  // Backend-routed requests leave within their read batch, so their wait is the total.
  const uint64_t backend_ns = e.inflight.empty() ? 0 : total;
  ctx_.stats->RecordCommand(e.row, total, backend_ns, IsErrorReply(reply));
  if (total < ctx_.limits.slowlog_threshold_ns) return;
  if (!cur_args_.empty() || request == nullptr) {
    ctx_.stats->RecordSlow(cur_args_.data(), cur_args_.size(), total, backend_ns, local_.addr,
                           local_.name);
    return;
  }
  // The arguments are decoded back from what was sent. Rare at normal latency, but every
  // request when the proxy is overloaded: one parser per worker thread keeps its argument
  // storage, so this allocates nothing (RecordSlow copies what it keeps before the next Parse).
  thread_local resp::RequestParser parser;
  parser.Reset();
  const resp::ParseResult r = parser.Parse(request->payload);
  const bool ok = r.status == resp::RequestStatus::kComplete;
  ctx_.stats->RecordSlow(ok ? r.args.data() : nullptr, ok ? r.args.size() : 0, total, backend_ns,
                         local_.addr, local_.name);
  // Not the storage of a huge command kept for the thread's life.
  constexpr size_t kKeptParserArgs = 1024;
  if (ok && r.args.size() > kKeptParserArgs) parser = resp::RequestParser();
}

ClientSession::Entry& ClientSession::NewEntry() { return pending_.emplace_back(); }

void ClientSession::ReplyNow(std::string bytes, bool close_after) {
  Entry& e = pending_.back();
  e.reply = std::move(bytes);
  e.ready = true;
  e.close_after = close_after;
  RecordDone(e, e.reply, nullptr);
}

void ClientSession::ReplyError(std::string_view message) { ReplyNow(ErrorLine(message)); }

const LocalSession& ClientSession::local() {
  local_.query_buffer = conn_->Input().Size();
  local_.output_bytes = conn_->PendingOutputBytes();
  local_.sub = subs_.Names(SubKind::kChannel).size();
  local_.psub = subs_.Names(SubKind::kPattern).size();
  local_.ssub = subs_.Names(SubKind::kShard).size();
  local_.multi = tx_.multi ? tx_.queued : -1;
  local_.blocked = blocking_inflight_ > 0;
  return local_;
}

void ClientSession::HandleCommand(std::span<const std::string_view> args) {
  Entry& entry = NewEntry();
  const command::CommandInfo* info = lookup_cache_.Lookup(ctx_.table, args);
  entry.counted = ctx_.stats != nullptr;
  entry.start_ns = batch_ns_;
  entry.row = info;
  local_.last_ms = conn_->loop().NowMs();
  if (info == nullptr) {
    ReplyError(command::UnknownCommandError(ctx_.table, args));
    if (tx_.multi) tx_.dirty = true;  // Redis flags the transaction (EXECABORT at EXEC)
    return;
  }
  local_.last_command = info->name;
  if (!command::CheckArity(*info, args.size())) {
    ReplyError(command::WrongArityError(*info));
    if (tx_.multi) tx_.dirty = true;
    return;
  }
  if (!Authorized(*info, args)) return;
  if (RefuseInSubscribedContext(*info, args)) return;
  if (tx_.multi && QueueInTransaction(*info, args)) return;
  if (HandlePubSub(*info, args)) return;
  switch (info->routing.kind) {
    case command::RouteKind::kSingleSlot:
    case command::RouteKind::kSameSlotOnly:
      if (IsBlockingXread(*info, args)) {
        RouteBlocking(*info, args);
      } else {
        RouteKeyed(*info, args);
      }
      return;
    case command::RouteKind::kSplitBySlot:
      RouteSplit(*info, args);
      return;
    case command::RouteKind::kAllShards:
      RouteAllShards(*info, args);
      return;
    case command::RouteKind::kKeylessAnyShard:
      RouteAnyShard(args);
      return;
    case command::RouteKind::kProxyLocal:
      HandleLocal(*info, args);
      return;
    case command::RouteKind::kStateful:
      HandleStateful(*info, args);
      return;
    case command::RouteKind::kUnsupported:
      ReplyError(command::UnsupportedError(*info));
      return;
  }
}

void ClientSession::RebindUser() {
  const auth::AccessTable* access = ctx_.limits.access.get();
  if (access == nullptr) {
    local_.acl_user = nullptr;
    return;
  }
  if (!local_.authenticated) {
    local_.acl_user = &access->DefaultUser();
    if (!access->RequiresAuth()) {
      local_.authenticated = true;
      parser_.set_limits(MakeLimits(ctx_.limits, true));
    }
    return;
  }
  const auth::User* user =
      local_.acl_user != nullptr ? access->FindUser(local_.acl_user->name()) : nullptr;
  if (local_.acl_user == nullptr) user = &access->DefaultUser();
  if (user == nullptr || !user->enabled()) {
    local_.acl_user = nullptr;
    conn_->Close();
    return;
  }
  local_.acl_user = user;
}

bool ClientSession::Authorized(const command::CommandInfo& info,
                               std::span<const std::string_view> args) {
  if (!local_.authenticated && !info.HasFlag(command::flag::kNoAuth)) {
    ReplyError(auth::kNoAuthError);
    if (tx_.multi) tx_.dirty = true;
    return false;
  }
  const auth::AccessTable* access = ctx_.limits.access.get();
  if (access == nullptr || local_.acl_user == nullptr) return true;
  const auth::User& user = *local_.acl_user;
  // Nothing to check for a user with every permission (the default user, typically).
  if (user.all_commands() && user.all_keys() && user.all_channels()) return true;
  const Status status = access->Check(user, info, args);
  if (status.ok()) return true;
  if (tx_.multi && info.name == "exec") {
    // Redis's execCommandAbort: the transaction is discarded with the reason.
    ReplyError("EXECABORT Transaction discarded because of: " + std::string(status.message()));
    if (tx_.conn) TxSendRaw(resp::EncodeCommand({"DISCARD"}), kSubSwallow, UINT64_MAX);
    TxEnd();
    return false;
  }
  ReplyError(status.message());
  if (tx_.multi) tx_.dirty = true;
  return false;
}

backend::RequestPtr ClientSession::MakeRequest(uint64_t seq, uint32_t sub) {
  backend::RequestPtr r = ctx_.dispatcher.pool().Acquire();
  r->owner = this;
  r->tag = seq;
  r->sub = sub;
  r->affinity = id_;
  // A RESP3 client's commands go to RESP3 connections: replies pass through unchanged.
  r->resp3 = local_.protocol == resp::Protocol::kResp3;
  return r;
}

void ClientSession::EncodeArgs(std::span<const std::string_view> args, std::string* out) const {
  if (!cur_raw_.empty() && args.data() == cur_args_.data() && args.size() == cur_args_.size()) {
    out->append(cur_raw_);  // the parser vouched these bytes are canonical RESP
    return;
  }
  resp::EncodeCommand(args, out);
}

void ClientSession::SendSingle(Entry& entry, std::span<const std::string_view> args, bool has_slot,
                               uint16_t slot, std::string_view target) {
  const uint64_t seq = head_seq_ + pending_.size() - 1;
  backend::RequestPtr r = MakeRequest(seq, 0);
  EncodeArgs(args, &r->payload);
  r->has_slot = has_slot;
  r->slot = slot;
  if (!target.empty()) r->target.assign(target);
  entry.outstanding = 1;
  entry.inflight.push_back(r.get());
  // May answer at once (node down): `entry` must not be used after this.
  ctx_.dispatcher.Send(std::move(r));
}

void ClientSession::RouteKeyed(const command::CommandInfo& info,
                               std::span<const std::string_view> args) {
  uint16_t slot = 0;
  if (info.key_layout.layout == command::KeyLayout::kSingleAtOne && args.size() >= 2) {
    slot = cluster::KeySlot(args[1]);  // GET, SET, INCR, LPUSH, HSET...: no key search
  } else {
    command::KeyRefs keys;
    command::ExtractKeys(info, args, /*include_not_key=*/true, &keys);
    if (keys.empty()) {
      RouteAnyShard(args);
      return;
    }
    slot = cluster::KeySlot(args[keys[0].pos]);
    for (size_t i = 1; i < keys.size(); ++i) {
      if (cluster::KeySlot(args[keys[i].pos]) != slot) {
        ReplyError(cluster::kCrossSlotError);
        return;
      }
    }
  }
  if (tx_.watching && tx_.conn && slot == tx_.slot) {
    // Behind the WATCH on its connection: a pipelined write to a watched key must not overtake
    // the WATCH (on a single Redis it runs after it and fails the EXEC).
    TxSend(args, kSubReply, true, slot);
    return;
  }
  SendSingle(pending_.back(), args, true, slot);
}

void ClientSession::RouteAnyShard(std::span<const std::string_view> args) {
  // Any served slot reaches a master; spreading by a counter keeps the load even.
  const uint16_t slot =
      static_cast<uint16_t>((ctx_.any_shard_counter++ * 5471) % cluster::kSlotCount);
  SendSingle(pending_.back(), args, true, slot);
}

void ClientSession::RouteSplit(const command::CommandInfo& info,
                               std::span<const std::string_view> args) {
  SplitPlan& plan = split_plan_;
  if (!PlanSplit(info, args, &plan)) {
    if (plan.malformed) {
      SendSingle(pending_.back(), args, true, plan.first_slot);
      return;
    }
    // One slot (or nothing to split): the command goes through unchanged.
    RouteKeyed(info, args);
    return;
  }
  Entry& entry = pending_.back();
  const uint64_t seq = head_seq_ + pending_.size() - 1;
  entry.kind = Entry::Kind::kMerge;
  entry.merge = info.routing.merge;
  entry.parts.resize(plan.subs.size());
  entry.key_order.swap(plan.key_order);  // the plan gets the entry's spare capacity back
  entry.outstanding = static_cast<uint32_t>(plan.subs.size());
  entry.inflight.reserve(plan.subs.size());
  // The client's bytes are reused when they are canonical RESP (ParseResult::raw).
  const bool canonical =
      !cur_raw_.empty() && args.data() == cur_args_.data() && args.size() == cur_args_.size();
  std::vector<backend::RequestPtr>& requests = split_requests_;
  requests.clear();
  for (uint32_t i = 0; i < plan.subs.size(); ++i) {
    backend::RequestPtr r = MakeRequest(seq, i);
    if (canonical) {
      EncodeSubFromCanonical(args, plan.subs[i], info.routing.key_step, &r->payload);
    } else {
      EncodeSub(args, plan.subs[i], info.routing.key_step, &r->payload);
    }
    r->has_slot = true;
    r->slot = plan.subs[i].slot;
    entry.inflight.push_back(r.get());
    requests.push_back(std::move(r));
  }
  // Sent only once the entry is complete: an immediate failure may finish it. Sending never
  // splits another command, so the shared scratch is not reentered.
  for (backend::RequestPtr& r : requests) ctx_.dispatcher.Send(std::move(r));
  requests.clear();
}

void ClientSession::RouteAllShards(const command::CommandInfo& info,
                                   std::span<const std::string_view> args) {
  if (info.routing.merge == command::MergeKind::kScan) {
    RouteScan(args);
    return;
  }
  const std::vector<const cluster::Node*> masters = ctx_.dispatcher.Masters();
  if (masters.empty()) {
    ReplyError(cluster::kSlotNotServedError);
    return;
  }
  Entry& entry = pending_.back();
  const uint64_t seq = head_seq_ + pending_.size() - 1;
  entry.kind = Entry::Kind::kMerge;
  entry.merge = info.routing.merge;
  entry.parts.resize(masters.size());
  entry.outstanding = static_cast<uint32_t>(masters.size());
  std::vector<backend::RequestPtr> requests;
  requests.reserve(masters.size());
  for (uint32_t i = 0; i < masters.size(); ++i) {
    backend::RequestPtr r = MakeRequest(seq, i);
    EncodeArgs(args, &r->payload);
    r->target = masters[i]->Address();
    entry.inflight.push_back(r.get());
    requests.push_back(std::move(r));
  }
  for (backend::RequestPtr& r : requests) ctx_.dispatcher.Send(std::move(r));
}

void ClientSession::HandleLocal(const command::CommandInfo& info,
                                std::span<const std::string_view> args) {
  std::string out;
  resp::Encoder enc(&out, local_.protocol);
  ctx_.local.now_ms = conn_->loop().NowMs();
  ctx_.local.access = ctx_.limits.access.get();
  if (info.name == "client|list" || info.name == "client|kill") {
    RouteClients(info, args);
    return;
  }
  if (info.name == "reset") ResetStateful();
  const bool was_authenticated = local_.authenticated;
  const LocalResult result = session::HandleLocal(info, args, ctx_.local, local_, enc);
  if (local_.authenticated != was_authenticated) {
    parser_.set_limits(MakeLimits(ctx_.limits, local_.authenticated));
  }
  if (result == LocalResult::kNotLocal) {
    if (info.name == "info") {
      RouteInfo(args);
    } else {
      ReplyError("ERR command '" + std::string(info.name) + "' is not supported by slotproxy");
    }
    return;
  }
  ReplyNow(std::move(out), result == LocalResult::kReplyAndClose);
}

void ClientSession::RouteInfo(std::span<const std::string_view> args) {
  Entry& entry = pending_.back();
  entry.kind = Entry::Kind::kInfo;
  entry.info_args.assign(args.begin(), args.end());
  const std::vector<const cluster::Node*> masters =
      InfoWantsKeyspace(args) ? ctx_.dispatcher.Masters() : std::vector<const cluster::Node*>{};
  if (masters.empty()) {
    FinishInfo(entry);
    return;
  }
  const uint64_t seq = head_seq_ + pending_.size() - 1;
  entry.parts.resize(masters.size());
  entry.outstanding = static_cast<uint32_t>(masters.size());
  std::vector<backend::RequestPtr> requests;
  for (uint32_t i = 0; i < masters.size(); ++i) {
    backend::RequestPtr r = MakeRequest(seq, i);
    r->resp3 = false;  // the keyspace lines are parsed, not passed through
    resp::EncodeCommand({"INFO", "keyspace"}, &r->payload);
    r->target = masters[i]->Address();
    entry.inflight.push_back(r.get());
    requests.push_back(std::move(r));
  }
  for (backend::RequestPtr& r : requests) ctx_.dispatcher.Send(std::move(r));
}

void ClientSession::FinishInfo(Entry& entry) {
  ProxyInfoInput input;
  std::vector<std::string_view> args(entry.info_args.begin(), entry.info_args.end());
  input.want_command_stats = InfoWantsCommandStats(args);
  if (ctx_.fill_info) ctx_.fill_info(&input);
  std::vector<std::string_view> replies(entry.parts.begin(), entry.parts.end());
  input.keyspace_replies = replies;
  resp::Encoder enc(&entry.reply, local_.protocol);
  WriteInfoReply(args, input, enc);
  entry.ready = true;
  if (entry.inflight.empty()) RecordDone(entry, entry.reply, nullptr);  // else CompletePart
}

void ClientSession::RouteScan(std::span<const std::string_view> args) {
  const cluster::SlotMapPtr& map = ctx_.dispatcher.Map();
  const std::vector<cluster::NodeIndex> order = ScanShardOrder(map.get());
  if (order.empty()) {
    ReplyError(cluster::kSlotNotServedError);
    return;
  }
  const Result<ScanPosition> pos = ParseScanCursor(args[1], order.size());
  if (!pos.ok()) {
    ReplyError(pos.status().message());
    return;
  }
  Entry& entry = pending_.back();
  entry.kind = Entry::Kind::kScan;
  entry.scan_shard = pos.value().shard;
  entry.scan_shards = static_cast<uint32_t>(order.size());
  backend::RequestPtr r = MakeRequest(head_seq_ + pending_.size() - 1, 0);
  BuildShardScanRequest(args, pos.value().shard_cursor, &r->payload);
  r->target = map->node(order[pos.value().shard]).Address();
  entry.outstanding = 1;
  entry.inflight.push_back(r.get());
  ctx_.dispatcher.Send(std::move(r));
}

void ClientSession::OnBackendReply(backend::BackendRequest& request, std::string_view raw,
                                   const resp::ReplyInfo& /*info*/) {
  const size_t index = request.tag - head_seq_;
  assert(index < pending_.size());  // an entry stays queued until its last reply
  Entry& e = pending_[index];
  if (e.kind == Entry::Kind::kPlain) {
    e.inflight[0] = nullptr;
    e.outstanding = 0;
    RecordDone(e, raw, &request);
    if (index == 0) {
      // The head: straight into the output, no copy into the entry.
      conn_->Output().append(raw);
      pending_.pop_front();
      ++head_seq_;
    } else {
      e.reply.assign(raw);
      e.ready = true;
    }
  } else if (!CompletePart(request, raw)) {
    // A part of a split command: nothing became ready and the output did not grow, so neither
    // the flush nor the back-pressure check has anything to do (they run on the last part).
    return;
  }
  FlushReady();
  UpdateBackPressure();
}

void ClientSession::OnBackendError(backend::BackendRequest& request, std::string_view message) {
  const std::string line = ErrorLine(message);
  OnBackendReply(request, line, resp::ReplyInfo{});
}

bool ClientSession::CompletePart(backend::BackendRequest& request, std::string_view raw) {
  Entry& e = pending_[request.tag - head_seq_];
  e.inflight[request.sub] = nullptr;
  if (e.kind == Entry::Kind::kScan) {
    e.outstanding = 0;
    resp::Encoder enc(&e.reply, local_.protocol);
    WriteScanReply(raw, e.scan_shard, e.scan_shards, enc);
    e.ready = true;
    RecordDone(e, e.reply, &request);
    return true;
  }
  // MergeAllOk (MSET) reads only the first sub-reply and the errors: the other +OKs are not
  // copied (their parts stay empty, which no merge reads as an error).
  if (e.kind != Entry::Kind::kMerge || e.merge != command::MergeKind::kAllOk || request.sub == 0 ||
      IsErrorReply(raw)) {
    e.parts[request.sub].assign(raw);
  }
  if (--e.outstanding > 0) return false;
  if (e.kind == Entry::Kind::kInfo) {
    FinishInfo(e);
  } else {
    const absl::InlinedVector<std::string_view, 16> replies(e.parts.begin(), e.parts.end());
    resp::Encoder enc(&e.reply, local_.protocol);
    MergeReplies(e.merge, replies, e.key_order, enc);
    e.ready = true;
  }
  RecordDone(e, e.reply, &request);
  e.parts.clear();
  e.key_order.clear();
  return true;
}

void ClientSession::FlushReady() {
  if (pending_.empty() || !pending_.front().ready) return;
  std::string& out = conn_->Output();
  while (!pending_.empty() && pending_.front().ready) {
    Entry& e = pending_.front();
    out.append(e.reply);
    const bool close = e.close_after;
    pending_.pop_front();
    ++head_seq_;
    if (close) {
      // Whatever followed QUIT / the protocol error is never answered.
      for (Entry& rest : pending_) {
        for (backend::BackendRequest* r : rest.inflight) {
          if (r != nullptr) r->Detach();
        }
      }
      pending_.clear();
      closing_ = true;
      conn_->CloseAfterFlush();
      return;
    }
  }
}

void ClientSession::UpdateBackPressure() {
  if (!conn_->IsOpen()) return;
  const size_t unsent = conn_->PendingOutputBytes();
  if (ctx_.limits.output_hard != 0 && unsent > ctx_.limits.output_hard) {
    conn_->Close();  // Redis closes a client past its output buffer hard limit
    return;
  }
  if (ctx_.limits.output_soft != 0 && !subs_.Any()) {
    // Redis's soft limit: over it continuously for soft_seconds, the client is closed.
    const uint64_t now = conn_->loop().NowMs();
    if (unsent <= ctx_.limits.output_soft) {
      output_soft_since_ms_ = 0;
    } else if (output_soft_since_ms_ == 0) {
      output_soft_since_ms_ = now;
    } else if (now - output_soft_since_ms_ >= ctx_.limits.output_soft_seconds * 1000) {
      conn_->Close();
      return;
    }
  }
  const bool over =
      pending_.size() >= ctx_.limits.max_pending || unsent >= ctx_.limits.output_high_water;
  if (over && !paused_) {
    conn_->PauseReading();
    paused_ = true;
  } else if (!over && paused_ && pending_.size() <= ctx_.limits.max_pending / 2) {
    conn_->ResumeReading();
    paused_ = false;
  }
}

}  // namespace slotproxy::session

// ClientSession, part 3: pub/sub.
//
// Classic channels and patterns live on one dedicated connection to the "home" node, the owner
// of slot 0, and PUBLISH goes to that node too. Every proxy worker and every client picks the
// same home, so a message reaches each subscriber exactly once whether the backends broadcast
// PUBLISH over a cluster bus (Redis Cluster: the home's own subscribers, delivered there) or
// not (our shards), and PUBLISH's count is the number of proxy subscribers. Shard channels live
// on a connection per owning node of the channel's slot, as SSUBSCRIBE requires.
//
// PUBSUB CHANNELS / NUMSUB / NUMPAT are asked of the home (every classic subscription of the
// proxy is there). Shard channels are spread over the cluster: PUBSUB SHARDCHANNELS goes to
// every master and concatenates their lists (a shard channel lives on its slot's owner only, so
// there are no duplicates), and PUBSUB SHARDNUMSUB asks each channel's owner and puts the
// answers back in the client's order.
//
// The proxy writes the (un)subscribe confirmations itself from the client's own subscription
// sets (PubSubState), so counts are right whatever the connection layout. A SUBSCRIBE's reply
// waits for the backend's confirmations (then a message published after the client saw it
// reaches it), and so does UNSUBSCRIBE's (a PUBLISH sent after it no longer counts the client);
// messages racing an unsubscription are dropped. The connections stay until the session ends
// or RESETs. Lost connections and moved shard slots are re-subscribed.
#include <strings.h>

#include <utility>

#include "cluster/crc16.h"
#include "cluster/slot_map.h"
#include "resp/encoder.h"
#include "session/client_session.h"

namespace slotproxy::session {
namespace {

constexpr uint64_t kNoEntry = UINT64_MAX;      // a wait for a re-subscription's confirmation
constexpr uint64_t kResubscribeDelayMs = 200;  // after a loss or a moved slot
constexpr uint64_t kHomeCheckMs = 1000;        // how often slot 0's owner is compared
constexpr uint64_t kPubSubHard = 32ull << 20;  // Redis: client-output-buffer-limit pubsub
constexpr uint64_t kPubSubSoft = 8ull << 20;   //   32mb 8mb 60
constexpr uint64_t kPubSubSoftMs = 60 * 1000;

std::string_view TopName(const command::CommandInfo& info) {
  return info.parent != nullptr ? info.parent->name : info.name;
}

// "<verb> name..." as one RESP command.
std::string EncodeWithNames(std::string_view verb, std::span<const std::string_view> names) {
  std::vector<std::string_view> args;
  args.reserve(names.size() + 1);
  args.push_back(verb);
  args.insert(args.end(), names.begin(), names.end());
  std::string out;
  resp::EncodeCommand(args, &out);
  return out;
}

std::string EncodeWithNames(std::string_view verb, const std::vector<std::string>& names) {
  std::vector<std::string_view> views(names.begin(), names.end());
  return EncodeWithNames(verb, views);
}

}  // namespace

bool ClientSession::RefuseInSubscribedContext(const command::CommandInfo& info,
                                              std::span<const std::string_view> /*args*/) {
  if (local_.protocol != resp::Protocol::kResp2 || !subs_.Any()) return false;
  const std::string_view top = TopName(info);
  if (top == "subscribe" || top == "psubscribe" || top == "ssubscribe" || top == "unsubscribe" ||
      top == "punsubscribe" || top == "sunsubscribe" || top == "ping" || top == "quit" ||
      top == "reset") {
    return false;
  }
  ReplyError("ERR Can't execute '" + std::string(info.name) +
             "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
             "this context");
  return true;
}

bool ClientSession::HandlePubSub(const command::CommandInfo& info,
                                 std::span<const std::string_view> args) {
  // Every command taken below carries Redis's pubsub flag, except PING while subscribed: the
  // common command leaves at once.
  if (!info.HasFlag(command::flag::kPubsub) && !subs_.Any()) return false;
  const std::string_view top = TopName(info);
  const auto names = args.subspan(1);
  struct Verb {
    std::string_view name;
    SubKind kind;
    bool subscribe;
  };
  static constexpr Verb kVerbs[] = {
      {"subscribe", SubKind::kChannel, true},     {"psubscribe", SubKind::kPattern, true},
      {"ssubscribe", SubKind::kShard, true},      {"unsubscribe", SubKind::kChannel, false},
      {"punsubscribe", SubKind::kPattern, false}, {"sunsubscribe", SubKind::kShard, false},
  };
  for (const Verb& verb : kVerbs) {
    if (top != verb.name) continue;
    if (verb.subscribe) {
      Subscribe(verb.kind, names);
    } else {
      Unsubscribe(verb.kind, names);
    }
    return true;
  }
  if (info.name == "pubsub|shardchannels") {
    RouteAllShards(info, args);  // the table's routing: every master, lists concatenated
    return true;
  }
  if (info.name == "pubsub|shardnumsub") {
    RouteShardNumSub(args);
    return true;
  }
  if (top == "publish" || (top == "pubsub" && info.name != "pubsub|help")) {
    // The home node: its subscribers are every proxy client's (see the file comment).
    SendSingle(pending_.back(), args, true, 0, {});
    return true;
  }
  if (top == "spublish") {
    RouteKeyed(info, args);
    return true;
  }
  if (top == "ping" && local_.protocol == resp::Protocol::kResp2 && subs_.Any()) {
    if (args.size() > 2) return false;  // the local PING gives the arity error
    std::string out;
    resp::Encoder enc(&out, local_.protocol);
    enc.ArrayHeader(2);
    enc.Bulk("pong");
    enc.Bulk(args.size() == 2 ? args[1] : std::string_view());
    ReplyNow(std::move(out));
    return true;
  }
  return false;
}

void ClientSession::RouteShardNumSub(std::span<const std::string_view> args) {
  SplitPlan& plan = split_plan_;
  const cluster::SlotMapPtr& map = ctx_.dispatcher.Map();
  PlanShardNumSub(
      args,
      [&map](uint16_t slot) { return map != nullptr ? map->OwnerOf(slot) : cluster::kNoNode; },
      &plan);
  if (plan.subs.empty()) {
    std::string out;
    resp::Encoder(&out, local_.protocol).ArrayHeader(0);  // no channel: Redis's empty array
    ReplyNow(std::move(out));
    return;
  }
  Entry& entry = pending_.back();
  const uint64_t seq = SeqOfBack();
  entry.kind = Entry::Kind::kMerge;
  entry.merge = command::MergeKind::kMgetConcat;  // the sources pick each name and count
  entry.parts.resize(plan.subs.size());
  entry.key_order.swap(plan.key_order);
  entry.outstanding = static_cast<uint32_t>(plan.subs.size());
  std::vector<backend::RequestPtr> requests;
  requests.reserve(plan.subs.size());
  for (uint32_t i = 0; i < plan.subs.size(); ++i) {
    backend::RequestPtr r = MakeRequest(seq, i);
    // RESP2 whatever the client speaks: a flat array in every case (a RESP3 node may answer a
    // map), whose elements are the same bytes in both protocols; the client's encoder writes
    // the header, an array in RESP3 too as Redis 7.0's pubsubCommand does.
    r->resp3 = false;
    EncodeShardNumSub(args, plan.subs[i], &r->payload);
    r->has_slot = true;
    r->slot = plan.subs[i].slot;
    entry.inflight.push_back(r.get());
    requests.push_back(std::move(r));
  }
  // Sent once the entry is complete: an immediate failure (slot not served) may finish it.
  for (backend::RequestPtr& r : requests) ctx_.dispatcher.Send(std::move(r));
}

void ClientSession::Subscribe(SubKind kind, std::span<const std::string_view> names) {
  Entry& entry = pending_.back();
  entry.kind = Entry::Kind::kPrepared;
  resp::Encoder enc(&entry.reply, local_.protocol);
  for (std::string_view name : names) {
    subs_.Add(kind, name);
    WriteConfirmation(enc, SubscribeWord(kind), name, subs_.CountFor(kind));
  }
  const uint64_t seq = SeqOfBack();
  uint32_t waits = 0;
  if (kind == SubKind::kShard) {
    // One command per channel: each is single-slot, so channels of different slots (which a
    // standalone Redis accepts in one SSUBSCRIBE) reach their own owners.
    for (std::string_view name : names) {
      PubSubLink* link = LinkFor(kind, name);
      if (link != nullptr && link->conn->SendUnmatched(EncodeWithNames("SSUBSCRIBE", {&name, 1}))) {
        link->waits.emplace_back(seq, 1);
        ++waits;
      } else {
        ScheduleResubscribe();
      }
    }
  } else {
    StartHomeCheck();
    PubSubLink* link = LinkFor(kind, {});
    const std::string_view verb = kind == SubKind::kChannel ? "SUBSCRIBE" : "PSUBSCRIBE";
    if (link != nullptr && link->conn->SendUnmatched(EncodeWithNames(verb, names))) {
      link->waits.emplace_back(seq, names.size());
      ++waits;
    } else {
      ScheduleResubscribe();
    }
  }
  entry.outstanding = waits;
  entry.ready = waits == 0;
  if (entry.ready) RecordDone(entry, entry.reply, nullptr);
}

void ClientSession::Unsubscribe(SubKind kind, std::span<const std::string_view> names) {
  Entry& entry = pending_.back();
  entry.kind = Entry::Kind::kPrepared;
  resp::Encoder enc(&entry.reply, local_.protocol);
  const std::string_view word = UnsubscribeWord(kind);
  std::vector<std::string> removed;
  if (names.empty()) {
    removed = subs_.Names(kind);
    if (removed.empty()) WriteConfirmation(enc, word, std::nullopt, subs_.CountFor(kind));
    for (const std::string& name : removed) {
      subs_.Remove(kind, name);
      WriteConfirmation(enc, word, name, subs_.CountFor(kind));
    }
  } else {
    for (std::string_view name : names) {
      if (subs_.Remove(kind, name)) removed.emplace_back(name);
      WriteConfirmation(enc, word, name, subs_.CountFor(kind));
    }
  }
  // The reply waits for the backend's confirmations, as SUBSCRIBE's does: a PUBLISH the client
  // sends after reading it must not count this client any more.
  const uint64_t seq = SeqOfBack();
  uint32_t waits = 0;
  if (!removed.empty() && kind != SubKind::kShard && home_link_) {
    const std::string_view verb = kind == SubKind::kChannel ? "UNSUBSCRIBE" : "PUNSUBSCRIBE";
    if (home_link_->conn->SendUnmatched(EncodeWithNames(verb, removed))) {
      home_link_->waits.emplace_back(seq, removed.size());
      ++waits;
    }
  }
  for (size_t i = 0; kind == SubKind::kShard && i < removed.size(); ++i) {
    std::string_view view = removed[i];
    PubSubLink* link = LinkFor(kind, view);
    if (link != nullptr && link->conn->SendUnmatched(EncodeWithNames("SUNSUBSCRIBE", {&view, 1}))) {
      link->waits.emplace_back(seq, 1);
      ++waits;
    }
  }
  entry.outstanding = waits;
  entry.ready = waits == 0;
  if (entry.ready) RecordDone(entry, entry.reply, nullptr);
}

ClientSession::PubSubLink* ClientSession::LinkFor(SubKind kind, std::string_view name) {
  const bool resp3 = local_.protocol == resp::Protocol::kResp3;
  std::string host;
  uint16_t port = 0;
  if (kind != SubKind::kShard) {
    if (home_link_) return home_link_.get();
    if (!ctx_.dispatcher.OwnerOf(0, &host, &port)) return nullptr;
    home_link_ = std::make_unique<PubSubLink>();
    home_link_->conn = ctx_.dispatcher.OpenDedicated(host, port, this, resp3, true);
    return home_link_.get();
  }
  if (!ctx_.dispatcher.OwnerOf(cluster::KeySlot(name), &host, &port)) return nullptr;
  for (auto& link : shard_links_) {
    if (link->conn->host() == host && link->conn->port() == port) return link.get();
  }
  shard_links_.push_back(std::make_unique<PubSubLink>());
  shard_links_.back()->conn = ctx_.dispatcher.OpenDedicated(host, port, this, resp3, true);
  return shard_links_.back().get();
}

ClientSession::PubSubLink* ClientSession::FindLink(const backend::BackendConnection& conn) {
  if (home_link_ && home_link_->conn.get() == &conn) return home_link_.get();
  for (auto& link : shard_links_) {
    if (link->conn.get() == &conn) return link.get();
  }
  return nullptr;
}

void ClientSession::OnPush(backend::BackendConnection& conn, std::string_view raw,
                           const resp::ReplyInfo& /*info*/) {
  PubSubLink* link = FindLink(conn);
  if (link == nullptr) return;  // a push on a transaction / blocking connection: not ours
  const PubSubFrame frame = ClassifyPubSubFrame(raw);
  switch (frame.type) {
    case PubSubFrame::Type::kMessage:
    case PubSubFrame::Type::kPMessage:
      // A message racing an UNSUBSCRIBE the client already saw confirmed is dropped.
      if (subs_.Has(frame.kind, frame.channel)) DeliverPush(raw);
      return;
    case PubSubFrame::Type::kSubscribe:
      if (!link->waits.empty()) CompleteWait(*link);
      return;
    case PubSubFrame::Type::kUnsubscribe:
      // Unasked for: the shard channel's slot left that node (Redis 7 tells its subscribers).
      // The client's own unsubscriptions were removed from subs_ before they were sent.
      if (frame.kind == SubKind::kShard && subs_.Has(SubKind::kShard, frame.channel)) {
        ctx_.dispatcher.RequestRefresh();
        ScheduleResubscribe();
        return;
      }
      if (!link->waits.empty()) CompleteWait(*link);
      return;
    case PubSubFrame::Type::kError:
      // -MOVED to an SSUBSCRIBE (stale map): counts as its confirmation, then re-subscribe.
      if (!link->waits.empty()) CompleteWait(*link);
      ctx_.dispatcher.RequestRefresh();
      ScheduleResubscribe();
      return;
    case PubSubFrame::Type::kOther:
      return;
  }
}

void ClientSession::CompleteWait(PubSubLink& link) {
  auto& [seq, count] = link.waits.front();
  if (--count > 0) return;
  const uint64_t done = seq;
  link.waits.pop_front();
  if (done == kNoEntry || done < head_seq_ || done - head_seq_ >= pending_.size()) return;
  Entry& entry = pending_[done - head_seq_];
  if (entry.outstanding > 0 && --entry.outstanding == 0) {
    entry.ready = true;
    RecordDone(entry, entry.reply, nullptr);
  }
  FlushReady();
  UpdateBackPressure();
}

void ClientSession::DeliverPush(std::string_view raw) {
  if (pending_.empty()) {
    conn_->Output().append(raw);
  } else {
    // Behind the replies still owed, as Redis would have written them first.
    Entry& e = pending_.emplace_back();
    e.reply.assign(raw);
    e.ready = true;
  }
  CheckPubSubLimit();
}

bool ClientSession::CheckPubSubLimit() {
  if (!conn_->IsOpen()) return false;
  uint64_t held = conn_->PendingOutputBytes();
  for (const Entry& e : pending_) held += e.reply.size();
  const uint64_t now = conn_->loop().NowMs();
  bool over = held > kPubSubHard;
  if (held > kPubSubSoft) {
    if (pubsub_soft_since_ms_ == 0) pubsub_soft_since_ms_ = now;
    over = over || now - pubsub_soft_since_ms_ >= kPubSubSoftMs;
  } else {
    pubsub_soft_since_ms_ = 0;
  }
  if (!over) return false;
  // Redis frees a client past its pub/sub output limit without a reply.
  closing_ = true;
  conn_->Close();
  return true;
}

void ClientSession::ScheduleResubscribe() {
  if (!resubscribe_timer_) resubscribe_timer_ = std::make_unique<net::Timer>(conn_->loop());
  if (resubscribe_timer_->IsActive()) return;
  resubscribe_timer_->Start(kResubscribeDelayMs, [this] {
    graveyard_.clear();
    Resubscribe();
  });
}

void ClientSession::StartHomeCheck() {
  if (home_check_timer_) return;
  home_check_timer_ = std::make_unique<net::Timer>(conn_->loop());
  home_check_timer_->StartRepeating(kHomeCheckMs, [this] {
    graveyard_.clear();
    std::string host;
    uint16_t port = 0;
    if (home_link_ && ctx_.dispatcher.OwnerOf(0, &host, &port) &&
        (home_link_->conn->host() != host || home_link_->conn->port() != port)) {
      Resubscribe();  // moves the channels and patterns to the new home
    }
  });
}

void ClientSession::Resubscribe() {
  if (!subs_.Any()) return;
  std::string host;
  uint16_t port = 0;
  const auto& channels = subs_.Names(SubKind::kChannel);
  const auto& patterns = subs_.Names(SubKind::kPattern);
  if (!channels.empty() || !patterns.empty()) {
    // The home may have moved with slot 0: follow it so PUBLISH and subscribers meet again.
    if (home_link_ && ctx_.dispatcher.OwnerOf(0, &host, &port) &&
        (home_link_->conn->host() != host || home_link_->conn->port() != port)) {
      while (!home_link_->waits.empty()) CompleteWait(*home_link_);
      Bury(std::move(home_link_->conn));
      home_link_.reset();
    }
    PubSubLink* link = LinkFor(SubKind::kChannel, {});
    std::string commands;
    if (!channels.empty()) commands += EncodeWithNames("SUBSCRIBE", channels);
    if (!patterns.empty()) commands += EncodeWithNames("PSUBSCRIBE", patterns);
    if (link == nullptr || !link->conn->SendUnmatched(commands)) {
      ScheduleResubscribe();
    } else {
      link->waits.emplace_back(kNoEntry, channels.size() + patterns.size());
    }
  }
  for (const std::string& name : subs_.Names(SubKind::kShard)) {
    std::string_view view = name;
    PubSubLink* link = LinkFor(SubKind::kShard, name);
    if (link == nullptr || !link->conn->SendUnmatched(EncodeWithNames("SSUBSCRIBE", {&view, 1}))) {
      ScheduleResubscribe();
    } else {
      link->waits.emplace_back(kNoEntry, 1);
    }
  }
}

void ClientSession::ClosePubSub() {
  if (home_link_) {
    while (!home_link_->waits.empty()) CompleteWait(*home_link_);
    Bury(std::move(home_link_->conn));
    home_link_.reset();
  }
  for (auto& link : shard_links_) {
    while (!link->waits.empty()) CompleteWait(*link);
    Bury(std::move(link->conn));
  }
  shard_links_.clear();
  if (resubscribe_timer_) resubscribe_timer_->Stop();
  home_check_timer_.reset();
}

}  // namespace slotproxy::session

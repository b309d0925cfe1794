// PUBLISH SUBSCRIBE PSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE SPUBLISH SSUBSCRIBE SUNSUBSCRIBE and
// PUBSUB's introspection (Redis 7.0's pubsub.c): RESP2 arrays, RESP3 pushes.
#include <string>
#include <string_view>
#include <vector>

#include "engine/glob.h"
#include "server/client.h"
#include "server/handler_registry.h"
#include "server/shard.h"

namespace slotproxy::server {
namespace {

size_t CountFor(const Client& client, PubSubKind kind) {
  return kind == PubSubKind::kShard ? client.subscriptions().ShardCount()
                                    : client.subscriptions().Count();
}

// One "subscribe"-style push: [kind, name or null, count].
void Confirm(Client& client, std::string_view what, const std::string_view* name, PubSubKind kind) {
  resp::Encoder out = client.Encoder();
  out.PushHeader(3);
  out.Bulk(what);
  if (name != nullptr) {
    out.Bulk(*name);
  } else {
    out.Null();
  }
  out.Integer(static_cast<int64_t>(CountFor(client, kind)));
}

void SubscribeTo(ServerContext& ctx, PubSubKind kind, std::string_view what) {
  for (size_t i = 1; i < ctx.cmd.argc(); ++i) {
    ctx.shard.pubsub().Subscribe(&ctx.client, kind, ctx.cmd.args[i]);
    Confirm(ctx.client, what, &ctx.cmd.args[i], kind);
  }
}

void UnsubscribeFrom(ServerContext& ctx, PubSubKind kind, std::string_view what) {
  if (ctx.cmd.argc() > 1) {
    for (size_t i = 1; i < ctx.cmd.argc(); ++i) {
      ctx.shard.pubsub().Unsubscribe(&ctx.client, kind, ctx.cmd.args[i]);
      Confirm(ctx.client, what, &ctx.cmd.args[i], kind);
    }
    return;
  }
  auto& mine = ctx.client.subscriptions().Of(kind);
  std::vector<std::string> names(mine.begin(), mine.end());
  for (const std::string& n : names) {
    ctx.shard.pubsub().Unsubscribe(&ctx.client, kind, n);
    std::string_view view = n;
    Confirm(ctx.client, what, &view, kind);
  }
  if (names.empty()) Confirm(ctx.client, what, nullptr, kind);
}

void Subscribe(ServerContext& ctx) { SubscribeTo(ctx, PubSubKind::kChannel, "subscribe"); }
void PSubscribe(ServerContext& ctx) { SubscribeTo(ctx, PubSubKind::kPattern, "psubscribe"); }
void SSubscribe(ServerContext& ctx) {
  if (!ctx.cmd.may_block) {  // inside EXEC: Redis's CLIENT_DENY_BLOCKING
    ctx.cmd.reply.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    return;
  }
  SubscribeTo(ctx, PubSubKind::kShard, "ssubscribe");
}
void Unsubscribe(ServerContext& ctx) { UnsubscribeFrom(ctx, PubSubKind::kChannel, "unsubscribe"); }
void PUnsubscribe(ServerContext& ctx) {
  UnsubscribeFrom(ctx, PubSubKind::kPattern, "punsubscribe");
}
void SUnsubscribe(ServerContext& ctx) { UnsubscribeFrom(ctx, PubSubKind::kShard, "sunsubscribe"); }

void Publish(ServerContext& ctx) {
  size_t n = ctx.shard.pubsub().Publish(ctx.cmd.args[1], ctx.cmd.args[2], /*shard=*/false);
  ctx.cmd.reply.Integer(static_cast<int64_t>(n));
}

void SPublish(ServerContext& ctx) {
  size_t n = ctx.shard.pubsub().Publish(ctx.cmd.args[1], ctx.cmd.args[2], /*shard=*/true);
  ctx.cmd.reply.Integer(static_cast<int64_t>(n));
}

void ListNames(ServerContext& ctx, PubSubKind kind) {
  if (ctx.cmd.argc() > 3) {  // Redis: only "CHANNELS [pattern]" (arity -2 lets more through)
    ctx.cmd.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                        std::string(ctx.cmd.args[1]) + "'. Try PUBSUB HELP.");
    return;
  }
  std::string_view pattern = ctx.cmd.argc() > 2 ? ctx.cmd.args[2] : std::string_view();
  std::vector<std::string> names;
  for (std::string& n : ctx.shard.pubsub().Names(kind)) {
    if (pattern.empty() || engine::GlobMatch(pattern, n)) names.push_back(std::move(n));
  }
  ctx.cmd.reply.ArrayHeader(names.size());
  for (const std::string& n : names) ctx.cmd.reply.Bulk(n);
}

void CountSubscribers(ServerContext& ctx, PubSubKind kind) {
  // A flat array of name, count pairs in RESP3 too (Redis 7.0's addReplyArrayLen).
  ctx.cmd.reply.ArrayHeader(2 * (ctx.cmd.argc() - 2));
  for (size_t i = 2; i < ctx.cmd.argc(); ++i) {
    ctx.cmd.reply.Bulk(ctx.cmd.args[i]);
    ctx.cmd.reply.Integer(
        static_cast<int64_t>(ctx.shard.pubsub().SubscriberCount(kind, ctx.cmd.args[i])));
  }
}

void PubSubChannels(ServerContext& ctx) { ListNames(ctx, PubSubKind::kChannel); }
void PubSubShardChannels(ServerContext& ctx) { ListNames(ctx, PubSubKind::kShard); }
void PubSubNumSub(ServerContext& ctx) { CountSubscribers(ctx, PubSubKind::kChannel); }
void PubSubShardNumSub(ServerContext& ctx) { CountSubscribers(ctx, PubSubKind::kShard); }
void PubSubNumPat(ServerContext& ctx) {
  ctx.cmd.reply.Integer(static_cast<int64_t>(ctx.shard.pubsub().PatternCount()));
}

constexpr ServerHandlerRow kRows[] = {
    {"subscribe", &Subscribe},
    {"psubscribe", &PSubscribe},
    {"ssubscribe", &SSubscribe},
    {"unsubscribe", &Unsubscribe},
    {"punsubscribe", &PUnsubscribe},
    {"sunsubscribe", &SUnsubscribe},
    {"publish", &Publish},
    {"spublish", &SPublish},
    {"pubsub|channels", &PubSubChannels},
    {"pubsub|shardchannels", &PubSubShardChannels},
    {"pubsub|numsub", &PubSubNumSub},
    {"pubsub|shardnumsub", &PubSubShardNumSub},
    {"pubsub|numpat", &PubSubNumPat},
};

}  // namespace

std::span<const ServerHandlerRow> PubSubHandlers() { return kRows; }

}  // namespace slotproxy::server

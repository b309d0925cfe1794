// MULTI EXEC DISCARD WATCH UNWATCH (Redis 7.0's multi.c).
#include "server/aof_sink.h"
#include "server/client.h"
#include "server/handler_registry.h"
#include "server/shard.h"

namespace slotproxy::server {
namespace {

void Multi(ServerContext& ctx) {
  MultiState& m = ctx.client.multi();
  if (m.active) {
    ctx.cmd.reply.Error("ERR MULTI calls can not be nested");
    return;
  }
  m.active = true;
  ctx.cmd.reply.SimpleString("OK");
}

void Discard(ServerContext& ctx) {
  MultiState& m = ctx.client.multi();
  if (!m.active) {
    ctx.cmd.reply.Error("ERR DISCARD without MULTI");
    return;
  }
  m.Reset();
  ctx.shard.watches().UnwatchAll(&ctx.client);
  ctx.cmd.reply.SimpleString("OK");
}

void Exec(ServerContext& ctx) {
  MultiState& m = ctx.client.multi();
  if (!m.active) {
    ctx.cmd.reply.Error("ERR EXEC without MULTI");
    return;
  }
  if (WatchTable::AnyWatchedKeyExpired(ctx.client, ctx.shard.db(), ctx.cmd.now_ms)) {
    m.dirty_cas = true;
  }
  if (m.dirty_exec || m.dirty_cas) {
    if (m.dirty_exec) {
      ctx.cmd.reply.Error("EXECABORT Transaction discarded because of previous errors.");
    } else {
      ctx.cmd.reply.NullArray();
    }
    m.Reset();
    ctx.shard.watches().UnwatchAll(&ctx.client);
    return;
  }
  // The transaction's writes reach the AOF as one block: all of them survive a crash or none.
  AofBlock block(ctx.shard.options().aof);
  ctx.shard.dispatcher().Exec(ctx.client);
}

void Watch(ServerContext& ctx) {
  MultiState& m = ctx.client.multi();
  if (m.active) {
    ctx.cmd.reply.Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  // No point in watching more once a watched key changed (Redis does the same).
  if (!m.dirty_cas) {
    for (size_t i = 1; i < ctx.cmd.argc(); ++i) {
      std::string_view key = ctx.cmd.args[i];
      const engine::Entry* e = ctx.shard.db().Peek(key);
      bool expired = false;
      if (e != nullptr) {
        int64_t when = ctx.shard.db().GetExpire(e);
        expired = when >= 0 && when < ctx.cmd.now_ms;
      }
      ctx.shard.watches().Watch(&ctx.client, key, expired);
    }
  }
  ctx.cmd.reply.SimpleString("OK");
}

void Unwatch(ServerContext& ctx) {
  ctx.shard.watches().UnwatchAll(&ctx.client);
  ctx.cmd.reply.SimpleString("OK");
}

constexpr ServerHandlerRow kRows[] = {
    {"multi", &Multi}, {"exec", &Exec},       {"discard", &Discard},
    {"watch", &Watch}, {"unwatch", &Unwatch},
};

}  // namespace

std::span<const ServerHandlerRow> TransactionHandlers() { return kRows; }

}  // namespace slotproxy::server

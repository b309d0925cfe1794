#include "server/commands/persistence_commands.h"

#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "server/persistence.h"

namespace slotproxy::server {
namespace {

struct Attachments {
  std::mutex mu;
  absl::flat_hash_map<const engine::Keyspace*, Persistence*> map;
};

Attachments& AttachmentsTable() {
  static Attachments* table = new Attachments();  // never destroyed: shards may outlive main
  return *table;
}

// BGREWRITEAOF: Redis 7.0's replies. Without an append-only file (appendonly no) there is
// nothing a rewrite could replace here, so it is refused instead of pretending.
void BgRewriteAof(CommandContext& ctx) {
  Persistence* p = AttachedPersistence(ctx.db);
  if (p == nullptr) {
    ctx.reply.Error(
        "ERR Background append only file rewriting is not possible: this shard runs with "
        "appendonly no");
    return;
  }
  switch (p->StartRewrite()) {
    case AofRewriteDriver::StartResult::kStarted:
      ctx.reply.SimpleString("Background append only file rewriting started");
      break;
    case AofRewriteDriver::StartResult::kAlreadyInProgress:
      ctx.reply.Error("ERR Background append only file rewriting already in progress");
      break;
    case AofRewriteDriver::StartResult::kFailed:
      ctx.reply.Error(
          "ERR Can't execute an AOF background rewriting. Please check the server logs for more "
          "information.");
      break;
  }
}

constexpr HandlerRow kRows[] = {
    {"bgrewriteaof", BgRewriteAof},
};

}  // namespace

std::span<const HandlerRow> PersistenceHandlers() { return kRows; }

void AttachPersistence(const engine::Keyspace* db, Persistence* persistence) {
  Attachments& t = AttachmentsTable();
  std::lock_guard<std::mutex> lock(t.mu);
  if (persistence == nullptr) {
    t.map.erase(db);
  } else {
    t.map[db] = persistence;
  }
}

Persistence* AttachedPersistence(const engine::Keyspace& db) {
  Attachments& t = AttachmentsTable();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.map.find(&db);
  return it == t.map.end() ? nullptr : it->second;
}

}  // namespace slotproxy::server

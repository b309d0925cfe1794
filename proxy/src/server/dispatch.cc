#include "server/dispatch.h"

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "command/command_table.h"
#include "command/key_extraction.h"
#include "server/client.h"
#include "server/shard.h"

namespace slotproxy::server {
namespace {

namespace flag = command::flag;

// The events of one command run: WATCH touches and wake-ups go to the shard at once, a Block
// request is remembered for the dispatcher to act on after the handler returns.
class CallEvents final : public ShardEvents {
 public:
  explicit CallEvents(Shard* shard) : shard_(shard) {}

  // Both registries are usually empty: skip hashing the key into them on every write.
  void KeyModified(std::string_view key) override {
    if (shard_ != nullptr && shard_->watches().KeyCount() > 0) shard_->watches().Touch(key);
  }
  void KeyReady(std::string_view key) override {
    if (shard_ != nullptr && shard_->blocking().KeyCount() > 0) {
      shard_->blocking().SignalReady(key);
    }
  }
  void Propagate(std::span<const std::string_view> args) override {
    if (shard_ != nullptr) shard_->Propagate(args);
  }
  void Block(std::span<const std::string_view> keys, int64_t deadline_ms) override {
    blocked = true;
    block_keys.assign(keys.begin(), keys.end());
    block_deadline_ms = deadline_ms;
  }

  bool blocked = false;
  std::vector<std::string> block_keys;
  int64_t block_deadline_ms = 0;

 private:
  Shard* shard_;  // null while replaying the AOF: no side effects
};

bool IsNamed(const command::CommandInfo& info, std::string_view name) { return info.name == name; }

// Commands that run at once inside MULTI instead of being queued (Redis's processCommand).
bool RunsInsideMulti(const command::CommandInfo& info) {
  return IsNamed(info, "exec") || IsNamed(info, "discard") || IsNamed(info, "multi") ||
         IsNamed(info, "watch") || IsNamed(info, "quit") || IsNamed(info, "reset");
}

// Commands a RESP2 client may send while subscribed.
bool AllowedInPubSubContext(const command::CommandInfo& info) {
  static constexpr std::string_view kAllowed[] = {"ping",         "subscribe",    "ssubscribe",
                                                  "unsubscribe",  "sunsubscribe", "psubscribe",
                                                  "punsubscribe", "quit",         "reset"};
  for (std::string_view n : kAllowed) {
    if (info.name == n) return true;
  }
  return false;
}

// Redis skips the cluster redirection for commands without keys (except EXEC).
bool NeedsClusterCheck(const command::CommandInfo& info) {
  return info.HasFlag(flag::kMovableKeys) || !info.key_specs.empty() || IsNamed(info, "exec");
}

std::vector<std::string_view> Views(const std::vector<std::string>& args) {
  return std::vector<std::string_view>(args.begin(), args.end());
}

// Counts one finished command: processed, failed, and its duration when metrics are on (the
// end reading then starts the next command of the same pipeline too).
void CountCommand(Shard& shard, CommandClock& clock, const command::CommandInfo* info,
                  std::chrono::steady_clock::time_point started, bool failed) {
  ++shard.stats().commands_processed;
  if (failed) ++shard.stats().error_replies;
  if (metrics::ShardMetrics* m = shard.metrics(); m != nullptr) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock.End() - started);
    m->RecordCommand(info, static_cast<uint64_t>(ns.count()), failed);
  }
}

}  // namespace

void Dispatcher::Reject(Client& client, std::string_view error) {
  if (client.multi().active) client.multi().dirty_exec = true;
  client.Encoder().Error(error);
  ++shard_.stats().error_replies;
}

uint8_t Dispatcher::TraitsOf(const command::CommandInfo& info) {
  uint8_t t = 0;
  if (IsNamed(info, "asking")) t |= kIsAsking;
  if (IsNamed(info, "exec")) t |= kIsExec;
  if (NeedsClusterCheck(info)) t |= kNeedsClusterCheck;
  return t;
}

Dispatcher::Resolved Dispatcher::Resolve(std::span<const std::string_view> args) {
  const std::string_view name = args.empty() ? std::string_view() : args[0];
  CacheSlot* slot = nullptr;
  if (!name.empty() && name.size() <= CacheSlot::kMaxName) {
    const auto first = static_cast<unsigned char>(name.front());
    const auto last = static_cast<unsigned char>(name.back());
    slot = &cache_[(first * 31u + last * 7u + name.size()) % kCacheSlots];
    if (slot->size == name.size() && std::memcmp(slot->name, name.data(), name.size()) == 0) {
      return slot->resolved;
    }
  }
  Resolved r;
  r.info = command::CommandTable::BuiltIn().Lookup(args);
  if (r.info == nullptr) return r;
  r.entry = shard_.registry().Find(r.info);
  r.traits = TraitsOf(*r.info);
  // Rows live as long as the table (stable addresses), the registry as long as the shard.
  if (slot != nullptr && r.entry != nullptr && r.info->parent == nullptr) {
    slot->size = static_cast<uint8_t>(name.size());
    std::memcpy(slot->name, name.data(), name.size());
    slot->resolved = r;
  }
  return r;
}

void Dispatcher::Execute(Client& client, std::span<const std::string_view> args) {
  const Resolved r = Resolve(args);
  Process(client, r, args);
  // ASKING covers exactly the next command, whatever became of it (Redis's resetClient); inside
  // MULTI it stays until EXEC.
  if (!(r.traits & kIsAsking) && !client.multi().active) client.state().asking = false;
  if (shard_.blocking().HasReady()) shard_.ServeReadyKeys();
}

void Dispatcher::Process(Client& client, const Resolved& r,
                         std::span<const std::string_view> args) {
  const auto& table = command::CommandTable::BuiltIn();
  const command::CommandInfo* info = r.info;
  if (info == nullptr) {
    Reject(client, command::UnknownCommandError(table, args));
    return;
  }
  if (!command::CheckArity(*info, args.size())) {
    Reject(client, command::WrongArityError(*info));
    return;
  }
  // A command of the table this shard does not implement answers like one Redis lacks.
  const HandlerEntry* entry = r.entry;
  if (entry == nullptr) {
    Reject(client, command::UnknownCommandError(table, args));
    return;
  }
  if (!client.state().authenticated && !info->HasFlag(flag::kNoAuth)) {
    Reject(client, "NOAUTH Authentication required.");
    return;
  }
  if (client.multi().active && info->HasFlag(flag::kNoMulti)) {
    Reject(client, "ERR Command not allowed inside a transaction");
    return;
  }
  if (r.traits & kNeedsClusterCheck) {
    if (auto error = ClusterError(client, *info, args)) {
      if (r.traits & kIsExec) {
        client.multi().Reset();
        shard_.watches().UnwatchAll(&client);
        client.Encoder().Error(*error);
        ++shard_.stats().error_replies;
      } else {
        Reject(client, *error);
      }
      return;
    }
  }
  if (client.subscriptions().Any() && client.state().protocol == resp::Protocol::kResp2 &&
      !AllowedInPubSubContext(*info)) {
    Reject(client, "ERR Can't execute '" + std::string(info->name) +
                       "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
                       "allowed in this context");
    return;
  }
  if (shard_.script_busy() && !info->HasFlag(flag::kAllowBusy)) {
    Reject(
        client,
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
    return;
  }
  if (client.multi().active && !RunsInsideMulti(*info)) {
    QueuedCommand queued;
    queued.info = info;
    queued.args.assign(args.begin(), args.end());
    client.multi().queue.push_back(std::move(queued));
    client.Encoder().SimpleString("QUEUED");
    return;
  }
  Call(client, info, *entry, args, /*may_block=*/true);
}

void Dispatcher::Call(Client& client, const command::CommandInfo* info, const HandlerEntry& entry,
                      std::span<const std::string_view> args, bool may_block) {
  CallEvents events(&shard_);
  // One clock read gives both the command's wall time and its metrics start.
  const CommandClock::Reading now = clock_.Now(shard_.loop().NowMs());
  std::string& out = client.conn().Output();
  size_t before = out.size();
  resp::Encoder reply(&out, client.state().protocol);
  CommandContext ctx(shard_.db(), reply, client.state(), events, args, now.wall_ms, info);
  ctx.may_block = may_block;
  client.NoteCommand(info->name, now.wall_ms);
  std::vector<std::string> flushed_watched;
  // A size compare first in both: cheap enough for every command.
  if (IsNamed(*info, "flushall") || IsNamed(*info, "flushdb")) {
    flushed_watched = shard_.watches().ExistingKeys(shard_.db());
  }
  const auto started = now.steady;
  if (entry.handler != nullptr) {
    entry.handler(ctx);
  } else {
    ServerContext sctx{ctx, shard_, client};
    entry.server(sctx);
  }
  CountCommand(shard_, clock_, info, started, out.size() > before && out[before] == '-');
  if (events.blocked) {
    if (may_block) {
      BlockedState& b = client.blocked();
      b.info = info;
      b.args.assign(args.begin(), args.end());
      b.keys = std::move(events.block_keys);
      b.deadline_ms = events.block_deadline_ms;
      shard_.BlockClient(client);
    } else {
      reply.NullArray();  // a handler that ignored may_block: answer as a timeout
    }
  }
  if (ctx.dirty > 0) {
    shard_.stats().dirty += static_cast<uint64_t>(ctx.dirty);
    if (!ctx.propagated) shard_.Propagate(args);
    for (const std::string& key : flushed_watched) shard_.watches().Touch(key);
  }
}

bool Dispatcher::RerunBlocked(Client& client) {
  BlockedState& b = client.blocked();
  const HandlerEntry* entry = shard_.registry().Find(b.info);
  if (entry == nullptr) return true;
  std::vector<std::string> args = b.args;  // the handler may not outlive its views
  std::vector<std::string_view> views = Views(args);
  CallEvents events(&shard_);
  int64_t now = Shard::WallMs();
  std::string& out = client.conn().Output();
  size_t before = out.size();
  resp::Encoder reply(&out, client.state().protocol);
  CommandContext ctx(shard_.db(), reply, client.state(), events, views, now, b.info);
  clock_.Break();
  const auto started = clock_.Now(shard_.loop().NowMs()).steady;
  if (entry->handler != nullptr) {
    entry->handler(ctx);
  } else {
    ServerContext sctx{ctx, shard_, client};
    entry->server(sctx);
  }
  if (events.blocked) return false;
  CountCommand(shard_, clock_, b.info, started, out.size() > before && out[before] == '-');
  if (ctx.dirty > 0) {
    shard_.stats().dirty += static_cast<uint64_t>(ctx.dirty);
    if (!ctx.propagated) shard_.Propagate(views);
  }
  return true;
}

void Dispatcher::Exec(Client& client) {
  MultiState& m = client.multi();
  std::vector<QueuedCommand> queue = std::move(m.queue);
  m.Reset();
  shard_.watches().UnwatchAll(&client);
  client.Encoder().ArrayHeader(queue.size());
  for (const QueuedCommand& q : queue) {
    const HandlerEntry* entry = shard_.registry().Find(q.info);
    std::vector<std::string_view> views = Views(q.args);
    if (entry == nullptr) {
      client.Encoder().Error(command::UnknownCommandError(command::CommandTable::BuiltIn(), views));
      continue;
    }
    Call(client, q.info, *entry, views, /*may_block=*/false);
  }
}

std::optional<std::string> Dispatcher::ClusterError(Client& client,
                                                    const command::CommandInfo& info,
                                                    std::span<const std::string_view> args) {
  if (IsNamed(info, "exec")) return ExecClusterError(client);
  return shard_.cluster_check().Check(info, args, client.state().asking);
}

// Redis's getNodeByQuery over the queued commands (the cluster check decides them together).
std::optional<std::string> Dispatcher::ExecClusterError(Client& client) {
  const MultiState& m = client.multi();
  if (!m.active || m.dirty_exec) return std::nullopt;
  std::vector<std::vector<std::string_view>> views;
  views.reserve(m.queue.size());
  std::vector<CheckedCommand> commands;
  for (const QueuedCommand& q : m.queue) {
    if (!NeedsClusterCheck(*q.info)) continue;
    views.push_back(Views(q.args));
    CheckedCommand c;
    c.info = q.info;
    c.args = views.back();
    commands.push_back(c);
  }
  return shard_.cluster_check().CheckTransaction(commands, client.state().asking);
}

Status Dispatcher::Replay(std::span<const std::string_view> args) {
  const auto& table = command::CommandTable::BuiltIn();
  const command::CommandInfo* info = table.Lookup(args);
  const HandlerEntry* entry = info != nullptr ? shard_.registry().Find(info) : nullptr;
  if (info == nullptr || entry == nullptr || entry->handler == nullptr) {
    return Status::Error(command::UnknownCommandError(table, args));
  }
  if (!command::CheckArity(*info, args.size())) {
    return Status::Error(command::WrongArityError(*info));
  }
  CallEvents events(nullptr);
  std::string out;
  resp::Encoder reply(&out, resp::Protocol::kResp2);
  ClientState state;
  // Nothing expires while loading, as in Redis (server.loading): the records carry absolute
  // deadlines (SET PXAT, PEXPIREAT), and a key whose deadline passed while the shard was down
  // must still exist for the records after it (a RENAME of it, an LSET on it) to replay as they
  // ran. Time 0 is before every deadline a command accepts; the expiry cycle removes such keys
  // once the shard runs.
  constexpr int64_t kLoadingNowMs = 0;
  CommandContext ctx(shard_.db(), reply, state, events, args, kLoadingNowMs, info);
  ctx.may_block = false;
  entry->handler(ctx);
  if (!out.empty() && out[0] == '-') {
    size_t end = out.find("\r\n");
    return Status::Error(out.substr(1, end == std::string::npos ? std::string::npos : end - 1));
  }
  return Status();
}

}  // namespace slotproxy::server

#include "server/scripting/shard_host.h"

#include <memory>
#include <vector>

#include "command/command_table.h"
#include "server/client.h"
#include "server/handler_registry.h"
#include "server/scripting/script_engine.h"
#include "server/shard.h"

namespace slotproxy::server::scripting {
namespace {

namespace flag = command::flag;

// The events of a script's command: WATCH touches and wake-ups go to the EVAL's own events; a
// write is logged only while redis.set_repl leaves the AOF on.
class ScriptEvents final : public ShardEvents {
 public:
  ScriptEvents(ShardEvents& outer, bool propagate) : outer_(outer), propagate_(propagate) {}

  void KeyModified(std::string_view key) override { outer_.KeyModified(key); }
  void KeyReady(std::string_view key) override { outer_.KeyReady(key); }
  void Propagate(std::span<const std::string_view> args) override {
    if (propagate_) outer_.Propagate(args);
  }
  void Block(std::span<const std::string_view> /*keys*/, int64_t /*deadline_ms*/) override {
    blocked = true;
  }

  bool blocked = false;

 private:
  ShardEvents& outer_;
  bool propagate_;
};

// Redis's may-replicate commands that are neither write nor noscript: refused in read-only
// scripts like writes (the flag is not in the command table, which prints Redis's COMMAND).
bool MayReplicate(const command::CommandInfo& info) {
  return info.name == "publish" || info.name == "spublish" || info.name == "pfcount";
}

bool NeedsClusterCheck(const command::CommandInfo& info) {
  return info.HasFlag(flag::kMovableKeys) || !info.key_specs.empty();
}

// Redis 7.0's scriptVerifyClusterState texts for a command the cluster check refuses.
std::string ClusterScriptError(std::string_view error) {
  if (error.starts_with("CLUSTERDOWN The cluster is down")) {
    return "Script attempted to execute a command while the cluster is down";
  }
  return "Script attempted to access a non local key in a cluster node";
}

struct EngineSlot {
  Shard* shard = nullptr;
  int64_t start_ms = 0;
  std::unique_ptr<ScriptEngine> engine;
};

}  // namespace

std::string ShardScriptHost::Call(std::span<const std::string_view> args,
                                  const CallOptions& options, std::string* reply) {
  const command::CommandInfo* info = command::CommandTable::BuiltIn().Lookup(args);
  if (info == nullptr) return "Unknown Redis command called from script";
  if (!command::CheckArity(*info, args.size())) {
    return "Wrong number of args calling Redis command from script";
  }
  if (info->HasFlag(flag::kNoScript)) return "This Redis command is not allowed from script";
  // A command of the table this shard does not implement answers like one Redis lacks.
  if (shard_.registry().Find(info) == nullptr) return "Unknown Redis command called from script";
  if (options.read_only && (info->HasFlag(flag::kWrite) || MayReplicate(*info))) {
    return "Write commands are not allowed from read-only scripts.";
  }
  if (NeedsClusterCheck(*info)) {
    if (auto error = shard_.cluster_check().Check(*info, args, client_.state().asking)) {
      return ClusterScriptError(*error);
    }
  }
  if (info->HasFlag(flag::kWrite)) write_called_ = true;
  Run(*info, args, options, reply);
  return {};
}

void ShardScriptHost::ServeWhileBusy() { shard_.ServeWhileScriptBusy(client_); }

void ShardScriptHost::Run(const command::CommandInfo& info, std::span<const std::string_view> args,
                          const CallOptions& options, std::string* reply) {
  const HandlerEntry* entry = shard_.registry().Find(&info);
  // The script's own client view: what a command changes on it (SELECT...) stays in the script.
  ClientState state = client_.state();
  state.protocol = options.protocol;
  ScriptEvents events(outer_.events, options.propagate);
  resp::Encoder encoder(reply, options.protocol);
  CommandContext ctx(shard_.db(), encoder, state, events, args, outer_.now_ms, &info);
  ctx.may_block = false;
  aof_block_.Open(shard_.options().aof);  // closed when this host (the EVAL) ends
  bool flush = info.name == "flushall" || info.name == "flushdb";
  std::vector<std::string> flushed_watched;
  if (flush) flushed_watched = shard_.watches().ExistingKeys(shard_.db());
  if (entry->handler != nullptr) {
    entry->handler(ctx);
  } else {
    ServerContext sctx{ctx, shard_, client_};
    entry->server(sctx);
  }
  ++shard_.stats().commands_processed;
  if (events.blocked) encoder.NullArray();  // a handler that ignored may_block: a timeout
  if (ctx.dirty > 0) {
    dirty_ += ctx.dirty;
    if (!ctx.propagated && options.propagate) outer_.events.Propagate(args);
    for (const std::string& key : flushed_watched) shard_.watches().Touch(key);
  }
}

ScriptEngine& EngineFor(Shard& shard) {
  // A shard lives on one thread for its whole life; a new shard at a dead one's address is
  // told apart by its start time.
  thread_local std::vector<EngineSlot> slots;
  for (EngineSlot& slot : slots) {
    if (slot.shard != &shard) continue;
    if (slot.start_ms != shard.start_ms()) {
      slot.start_ms = shard.start_ms();
      slot.engine = std::make_unique<ScriptEngine>();
    }
    return *slot.engine;
  }
  EngineSlot slot;
  slot.shard = &shard;
  slot.start_ms = shard.start_ms();
  slot.engine = std::make_unique<ScriptEngine>();
  slots.push_back(std::move(slot));
  return *slots.back().engine;
}

}  // namespace slotproxy::server::scripting

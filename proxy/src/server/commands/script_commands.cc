// The scripting commands of the shard server: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT
// LOAD / EXISTS / FLUSH / KILL / HELP / DEBUG, answered as a Redis 7.0 cluster node does. The
// engine (scripting/) keeps one Lua state and script cache per shard.
#include <span>
#include <string_view>

#include "engine/numbers.h"
#include "server/handler_registry.h"
#include "server/handler_tables.h"
#include "server/scripting/script_engine.h"
#include "server/scripting/shard_host.h"
#include "server/shard.h"

namespace slotproxy::server {
namespace {

constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Redis's evalGenericCommand: numkeys first, then the script (see ScriptEngine::Eval).
void EvalGeneric(ServerContext& ctx, bool by_sha, bool read_only) {
  CommandContext& c = ctx.cmd;
  if (by_sha && c.args[1].size() != 40) {
    c.reply.Error(kNoScript);
    return;
  }
  int64_t numkeys = 0;
  if (!engine::ParseInt64(c.args[2], &numkeys)) {
    c.reply.Error("ERR value is not an integer or out of range");
    return;
  }
  auto rest = static_cast<int64_t>(c.argc()) - 3;
  if (numkeys > rest) {
    c.reply.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  if (numkeys < 0) {
    c.reply.Error("ERR Number of keys can't be negative");
    return;
  }
  scripting::EvalRequest request;
  request.script = c.args[1];
  request.by_sha = by_sha;
  request.read_only = read_only;
  request.keys = c.args.subspan(3, static_cast<size_t>(numkeys));
  request.argv = c.args.subspan(3 + static_cast<size_t>(numkeys));
  scripting::ShardScriptHost host(ctx.shard, ctx.client, c);
  scripting::ScriptEngine& engine = scripting::EngineFor(ctx.shard);
  engine.set_busy_threshold_ms(ctx.shard.options().busy_reply_threshold_ms);
  engine.Eval(request, host, c.reply);
  ctx.shard.EndScriptBusy(ctx.client);
  // The script's commands were logged one by one; the EVAL itself is not.
  c.dirty += host.dirty();
  c.MarkPropagated();
}

void Eval(ServerContext& ctx) { EvalGeneric(ctx, /*by_sha=*/false, /*read_only=*/false); }
void EvalRo(ServerContext& ctx) { EvalGeneric(ctx, /*by_sha=*/false, /*read_only=*/true); }
void EvalSha(ServerContext& ctx) { EvalGeneric(ctx, /*by_sha=*/true, /*read_only=*/false); }
void EvalShaRo(ServerContext& ctx) { EvalGeneric(ctx, /*by_sha=*/true, /*read_only=*/true); }

void ScriptLoad(ServerContext& ctx) {
  Result<std::string> sha = scripting::EngineFor(ctx.shard).Load(ctx.cmd.args[2]);
  if (!sha.ok()) {
    ctx.cmd.reply.Error(sha.status().message());
    return;
  }
  ctx.cmd.reply.Bulk(sha.value());
}

void ScriptExists(ServerContext& ctx) {
  const scripting::ScriptEngine& engine = scripting::EngineFor(ctx.shard);
  ctx.cmd.reply.ArrayHeader(ctx.cmd.argc() - 2);
  for (size_t i = 2; i < ctx.cmd.argc(); ++i) {
    ctx.cmd.reply.Integer(engine.Exists(ctx.cmd.args[i]) ? 1 : 0);
  }
}

void ScriptFlush(ServerContext& ctx) {
  CommandContext& c = ctx.cmd;
  bool ok = c.argc() == 2 || (c.argc() == 3 && (EqualsIgnoreCase(c.args[2], "sync") ||
                                                EqualsIgnoreCase(c.args[2], "async")));
  if (!ok) {
    c.reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  // ASYNC frees the old state at once too: a Lua state's memory is small next to a keyspace.
  scripting::EngineFor(ctx.shard).Flush();
  c.reply.SimpleString("OK");
}

// Runs only from inside a busy script (Shard::ServeWhileScriptBusy): the script stops at its
// next hook, unless it already called a write command.
void ScriptKill(ServerContext& ctx) {
  using Kill = scripting::ScriptEngine::KillResult;
  switch (scripting::EngineFor(ctx.shard).Kill()) {
    case Kill::kNotBusy:
      ctx.cmd.reply.Error("NOTBUSY No scripts in execution right now.");
      return;
    case Kill::kUnkillable:
      ctx.cmd.reply.Error(
          "UNKILLABLE Sorry the script already executed write commands against the dataset. You "
          "can either wait the script termination or kill the server in a hard way using the "
          "SHUTDOWN NOSAVE command.");
      return;
    case Kill::kKilled:
      ctx.cmd.reply.SimpleString("OK");
      return;
  }
}

void ScriptDebug(ServerContext& ctx) {
  CommandContext& c = ctx.cmd;
  if (EqualsIgnoreCase(c.args[2], "no")) {
    c.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(c.args[2], "yes") || EqualsIgnoreCase(c.args[2], "sync")) {
    c.reply.Error("ERR SCRIPT DEBUG is not supported by this shard");
  } else {
    c.reply.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
  }
}

void ScriptHelp(ServerContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  ctx.cmd.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.cmd.reply.SimpleString(line);
}

constexpr ServerHandlerRow kRows[] = {
    {"eval", &Eval},
    {"eval_ro", &EvalRo},
    {"evalsha", &EvalSha},
    {"evalsha_ro", &EvalShaRo},
    {"script|load", &ScriptLoad},
    {"script|exists", &ScriptExists},
    {"script|flush", &ScriptFlush},
    {"script|kill", &ScriptKill},
    {"script|debug", &ScriptDebug},
    {"script|help", &ScriptHelp},
};

}  // namespace

std::span<const ServerHandlerRow> ScriptHandlers() { return kRows; }

}  // namespace slotproxy::server

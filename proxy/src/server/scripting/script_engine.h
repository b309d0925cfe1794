// ScriptEngine: one shard's Lua engine: the sandboxed lua_State, the script cache (SCRIPT LOAD,
// EXISTS, FLUSH) and the runs of EVAL / EVALSHA with Redis 7.0's replies and error texts.
// Loop-thread only; one per shard.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "base/status.h"
#include "resp/encoder.h"
#include "server/scripting/script_host.h"
#include "server/scripting/shebang.h"

struct lua_State;

namespace slotproxy::server::scripting {

// One EVAL-family call, numkeys already parsed.
struct EvalRequest {
  std::string_view script;  // the body (EVAL) or the sha (EVALSHA)
  bool by_sha = false;      // EVALSHA / EVALSHA_RO
  bool read_only = false;   // EVAL_RO / EVALSHA_RO
  std::span<const std::string_view> keys;
  std::span<const std::string_view> argv;
};

class ScriptEngine {
 public:
  ScriptEngine();
  ~ScriptEngine();
  ScriptEngine(const ScriptEngine&) = delete;
  ScriptEngine& operator=(const ScriptEngine&) = delete;

  // SCRIPT LOAD: compiles and caches `body`; returns its sha (40 lowercase hex digits). Error:
  // the shebang's error or "ERR Error compiling script (new function): user_script:1: ...".
  Result<std::string> Load(std::string_view body);

  // SCRIPT EXISTS for one sha (any case).
  bool Exists(std::string_view sha) const;

  // SCRIPT FLUSH: forgets every script and starts a fresh Lua state.
  void Flush();

  // busy-reply-threshold (lua-time-limit) in milliseconds: a run longer than this starts
  // serving other clients from inside the script (ScriptHost::ServeWhileBusy).
  void set_busy_threshold_ms(int64_t ms) { busy_threshold_ms_ = ms; }

  // True while a script runs past the threshold (other clients get -BUSY).
  bool busy() const { return running_ != nullptr && running_->timed_out; }

  // SCRIPT KILL: kNotBusy when no script runs, kUnkillable when the running script already
  // called a write command, else the script is stopped at its next hook (kKilled) and its
  // EVAL answers "ERR Script killed by user with SCRIPT KILL...".
  enum class KillResult { kNotBusy, kUnkillable, kKilled };
  KillResult Kill();

  // Lua instructions between two time checks (Redis's LUA_MASKCOUNT period).
  static constexpr int kHookPeriod = 100000;

  // Number of cached scripts.
  size_t size() const { return scripts_.size(); }

  // Runs EVAL / EVALSHA: finds (EVALSHA; "NOSCRIPT No matching script. Please use EVAL.") or
  // compiles and caches (EVAL) the script, checks its flags against the call ("no-cluster",
  // a write script under *_RO), runs it with KEYS / ARGV, redis.call reaching `host`, and
  // appends exactly one reply to `out`: the script's value, or its error ("ERR user_script:1:
  // ... script: <sha>, on @user_script:1.").
  void Eval(const EvalRequest& request, ScriptHost& host, resp::Encoder& out);

 private:
  struct Script {
    int ref = 0;  // the compiled function in the registry
    ScriptFlags flags;
  };

  // Compiles `body` with its `sha` into the cache; error text as Load's.
  Result<const Script*> Compile(std::string_view body, const std::string& sha);
  // Runs a cached script; appends its reply or error.
  void Run(const Script& script, const std::string& sha, const EvalRequest& request,
           ScriptHost& host, resp::Encoder& out);
  // The reply for a failed run, the error object at the top of the stack (popped).
  void ReplyError(const std::string& sha, resp::Encoder& out);

  lua_State* lua_ = nullptr;
  ScriptRun* running_ = nullptr;  // the run in progress, if any
  int64_t busy_threshold_ms_ = 5000;
  absl::flat_hash_map<std::string, Script> scripts_;
};

}  // namespace slotproxy::server::scripting

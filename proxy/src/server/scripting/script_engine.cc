#include "server/scripting/script_engine.h"

#include <cctype>
#include <chrono>

#include "lua.hpp"
#include "server/scripting/lua_values.h"
#include "server/scripting/sandbox.h"
#include "server/scripting/sha1.h"

namespace slotproxy::server::scripting {
namespace {

constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A string field of the table at the top, or empty with *found false.
std::string StringField(lua_State* L, const char* name, bool* found) {
  lua_getfield(L, -1, name);
  *found = lua_isstring(L, -1) != 0;
  std::string out;
  if (*found) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    out.assign(s, len);
  }
  lua_pop(L, 1);
  return out;
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Redis's luaMaskCountHook and scriptInterrupt: past the threshold the run serves other clients
// at every hook; a killed run raises an error on every line from then on, so a pcall in the
// script cannot swallow it.
void BusyHook(lua_State* L, lua_Debug* /*ar*/) {
  ScriptRun* run = CurrentRun(L);
  if (run == nullptr) return;
  if (!run->timed_out && !run->killed) {
    if (SteadyMs() - run->start_ms < run->threshold_ms) return;
    run->timed_out = true;
  }
  if (!run->killed) run->host->ServeWhileBusy();
  if (!run->killed) return;
  lua_sethook(L, BusyHook, LUA_MASKLINE, 0);
  PushErrorTable(L, "Script killed by user with SCRIPT KILL...", false);
  lua_error(L);
}

}  // namespace

ScriptEngine::ScriptEngine() : lua_(NewSandbox()) {}

ScriptEngine::~ScriptEngine() { lua_close(lua_); }

void ScriptEngine::Flush() {
  lua_close(lua_);
  lua_ = NewSandbox();
  scripts_.clear();
}

bool ScriptEngine::Exists(std::string_view sha) const { return scripts_.contains(Lowercase(sha)); }

Result<std::string> ScriptEngine::Load(std::string_view body) {
  std::string sha = Sha1Hex(body);
  if (scripts_.contains(sha)) return sha;
  Result<const Script*> compiled = Compile(body, sha);
  if (!compiled.ok()) return compiled.status();
  return sha;
}

Result<const ScriptEngine::Script*> ScriptEngine::Compile(std::string_view body,
                                                          const std::string& sha) {
  size_t shebang_len = 0;
  Result<ScriptFlags> flags = ParseShebang(body, &shebang_len);
  if (!flags.ok()) return flags.status();
  // The shebang line is left out but its newline kept, so line numbers stay those of the body.
  if (!CompileScript(lua_, body.substr(shebang_len))) {
    size_t len = 0;
    const char* msg = lua_tolstring(lua_, -1, &len);
    std::string error = "ERR Error compiling script (new function): " + std::string(msg, len);
    lua_pop(lua_, 1);
    return Status::Error(std::move(error));
  }
  Script script;
  script.ref = luaL_ref(lua_, LUA_REGISTRYINDEX);
  script.flags = flags.value();
  auto [it, inserted] = scripts_.emplace(sha, script);
  return &it->second;
}

void ScriptEngine::Eval(const EvalRequest& request, ScriptHost& host, resp::Encoder& out) {
  std::string sha;
  const Script* script = nullptr;
  if (request.by_sha) {
    sha = Lowercase(request.script);
    auto it = scripts_.find(sha);
    if (it == scripts_.end()) {
      out.Error(kNoScript);
      return;
    }
    script = &it->second;
  } else {
    sha = Sha1Hex(request.script);
    auto it = scripts_.find(sha);
    if (it != scripts_.end()) {
      script = &it->second;
    } else {
      Result<const Script*> compiled = Compile(request.script, sha);
      if (!compiled.ok()) {
        out.Error(compiled.status().message());
        return;
      }
      script = compiled.value();
    }
  }
  if (script->flags.no_cluster) {
    // Every shard is a cluster node.
    out.Error("ERR Can not run script on cluster, 'no-cluster' flag is set.");
    return;
  }
  if (request.read_only && script->flags.has_shebang && !script->flags.no_writes) {
    out.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  Run(*script, sha, request, host, out);
}

void ScriptEngine::Run(const Script& script, const std::string& sha, const EvalRequest& request,
                       ScriptHost& host, resp::Encoder& out) {
  lua_State* L = lua_;
  lua_settop(L, 0);
  lua_pushcfunction(L, ErrorHandler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.ref);
  SetKeysAndArgv(L, request.keys, request.argv);
  ScriptRun run;
  run.host = &host;
  run.options.read_only = request.read_only || script.flags.no_writes;
  run.start_ms = SteadyMs();
  run.threshold_ms = busy_threshold_ms_;
  SetCurrentRun(L, &run);
  running_ = &run;
  lua_sethook(L, BusyHook, LUA_MASKCOUNT, kHookPeriod);
  int status = lua_pcall(L, 0, 1, 1);
  lua_sethook(L, nullptr, 0, 0);
  running_ = nullptr;
  SetCurrentRun(L, nullptr);
  if (status != LUA_OK) {
    ReplyError(sha, out);
  } else {
    EncodeTop(L, run.options.protocol, out);
  }
  lua_settop(L, 0);
}

ScriptEngine::KillResult ScriptEngine::Kill() {
  if (running_ == nullptr) return KillResult::kNotBusy;
  if (running_->host->WriteCalled()) return KillResult::kUnkillable;
  running_->killed = true;
  return KillResult::kKilled;
}

void ScriptEngine::ReplyError(const std::string& sha, resp::Encoder& out) {
  lua_State* L = lua_;
  if (!lua_istable(L, -1)) {
    // Only errors the message handler never saw (out of memory, an error in the handler).
    const char* msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
    std::string text = "ERR Error running script " + sha + ", " + std::string(msg).substr(0, 100);
    out.Error(text);
    return;
  }
  bool has_err = false;
  bool has_source = false;
  bool has_line = false;
  std::string err = StringField(L, "err", &has_err);
  std::string source = StringField(L, "source", &has_source);
  std::string line = StringField(L, "line", &has_line);
  // Redis writes "-<err>" as the reply: the message carries its own code.
  std::string text = has_err ? err : "ERR unknown error";
  if (has_source && has_line) text += " script: " + sha + ", on " + source + ":" + line + ".";
  out.Error(text);
}

}  // namespace slotproxy::server::scripting

// The `redis` table of the sandbox (Redis 7.0's luaRegisterRedisAPI): call, pcall, log,
// setresp, sha1hex, error_reply, status_reply, set_repl, replicate_commands, acl_check_cmd,
// breakpoint, debug and the constants.
#include <string>
#include <vector>

#include "command/command_table.h"
#include "lua.hpp"
#include "server/scripting/lua_values.h"
#include "server/scripting/sandbox.h"
#include "server/scripting/script_host.h"
#include "server/scripting/sha1.h"

namespace slotproxy::server::scripting {
namespace {

char kRunKey;

// Runs the command of a redis.call / redis.pcall. Leaves the reply's Lua value or an error
// table on the stack and returns true when it is an error redis.call must raise. Every C++
// object lives only here, so the caller may raise (longjmp) afterwards.
bool RunCommand(lua_State* L) {
  ScriptRun* run = CurrentRun(L);
  if (run == nullptr || run->host == nullptr) {
    PushErrorTable(L, "redis.call/pcall can only be called inside a script invocation", false);
    return true;
  }
  std::vector<std::string> args;
  Status parsed = ArgsFromStack(L, &args);
  lua_settop(L, 0);
  if (!parsed.ok()) {
    PushErrorTable(L, parsed.message(), false);
    return true;
  }
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string reply;
  std::string refused = run->host->Call(views, run->options, &reply);
  if (!refused.empty()) {
    PushErrorTable(L, refused, true);
    return true;
  }
  if (!PushReply(L, reply, run->options.protocol)) {
    PushErrorTable(L, "Invalid reply from the command called from script", true);
    return true;
  }
  return !reply.empty() && reply[0] == '-';
}

int RedisCall(lua_State* L) {
  if (RunCommand(L)) return lua_error(L);
  return 1;
}

int RedisPCall(lua_State* L) {
  RunCommand(L);
  return 1;
}

// Raises Redis's error table {err = "ERR <message>"}.
int RaiseError(lua_State* L, const char* message) {
  PushErrorTable(L, message, false);
  return lua_error(L);
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) return RaiseError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return RaiseError(L, "First argument must be a number (log level).");
  auto level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) return RaiseError(L, "Invalid debug level.");
  // The shard keeps no log of its own: the message is checked like Redis's and dropped.
  return 0;
}

int RedisSetResp(lua_State* L) {
  ScriptRun* run = CurrentRun(L);
  if (run == nullptr)
    return RaiseError(L, "redis.setresp can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.setresp() requires one argument.");
  auto version = static_cast<int>(lua_tonumber(L, 1));
  if (version != 2 && version != 3) return RaiseError(L, "RESP version must be 2 or 3.");
  run->options.protocol = version == 3 ? resp::Protocol::kResp3 : resp::Protocol::kResp2;
  return 0;
}

// Pushes the digest; a separate function so no std::string outlives a raise.
void PushSha1(lua_State* L) {
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(s == nullptr ? std::string_view() : std::string_view(s, len));
  lua_pushlstring(L, hex.data(), hex.size());
}

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "wrong number of arguments");
  PushSha1(L);
  return 1;
}

void PushErrorReply(lua_State* L) {
  size_t len = 0;
  const char* s = lua_tolstring(L, -1, &len);
  std::string text;
  if (len == 0 || s[0] != '-') text.push_back('-');
  text.append(s, len);
  PushErrorTable(L, text, false);
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments", false);
    return 1;
  }
  PushErrorReply(L);
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments", false);
    return 1;
  }
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int RedisSetRepl(lua_State* L) {
  ScriptRun* run = CurrentRun(L);
  if (run == nullptr)
    return RaiseError(L, "redis.set_repl can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.set_repl() requires two arguments.");
  auto flags = static_cast<int>(lua_tonumber(L, -1));
  if ((flags & ~3) != 0) {
    return RaiseError(
        L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  run->options.propagate = (flags & 1) != 0;  // this shard has an AOF and no replicas
  return 0;
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);  // effects replication is the only mode since Redis 7.0
  return 1;
}

// True when the command of the arguments is known; false when it is not; an error table is
// pushed (and true returned via *raise) when the arguments are not strings.
bool KnownCommand(lua_State* L, bool* raise) {
  std::vector<std::string> args;
  Status parsed = ArgsFromStack(L, &args);
  if (!parsed.ok()) {
    PushErrorTable(L, parsed.message(), false);
    *raise = true;
    return false;
  }
  std::vector<std::string_view> views(args.begin(), args.end());
  return command::CommandTable::BuiltIn().Lookup(views) != nullptr;
}

int RedisAclCheckCmd(lua_State* L) {
  bool raise = false;
  bool known = KnownCommand(L, &raise);
  if (raise) return lua_error(L);
  if (!known) return RaiseError(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, 1);  // the shard has no ACL users: every command is allowed
  return 1;
}

int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);  // no debugging session (SCRIPT DEBUG) is ever active
  return 1;
}

int RedisDebug(lua_State* /*L*/) { return 0; }

void SetNumber(lua_State* L, const char* name, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, name);
}

}  // namespace

void SetCurrentRun(lua_State* L, ScriptRun* run) {
  if (run == nullptr) {
    lua_pushnil(L);
  } else {
    lua_pushlightuserdata(L, run);
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kRunKey);
}

ScriptRun* CurrentRun(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kRunKey);
  void* p = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return static_cast<ScriptRun*>(p);
}

void RegisterRedisApi(lua_State* L) {
  static constexpr luaL_Reg kFunctions[] = {{"call", RedisCall},
                                            {"pcall", RedisPCall},
                                            {"log", RedisLog},
                                            {"setresp", RedisSetResp},
                                            {"sha1hex", RedisSha1Hex},
                                            {"error_reply", RedisErrorReply},
                                            {"status_reply", RedisStatusReply},
                                            {"set_repl", RedisSetRepl},
                                            {"replicate_commands", RedisReplicateCommands},
                                            {"acl_check_cmd", RedisAclCheckCmd},
                                            {"breakpoint", RedisBreakpoint},
                                            {"debug", RedisDebug},
                                            {nullptr, nullptr}};
  int g = lua_gettop(L);
  lua_newtable(L);
  luaL_setfuncs(L, kFunctions, 0);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", 1);
  SetNumber(L, "REPL_SLAVE", 2);
  SetNumber(L, "REPL_REPLICA", 2);
  SetNumber(L, "REPL_ALL", 3);
  SetNumber(L, "REDIS_VERSION_NUM", 0x07000f);
  lua_pushstring(L, "7.0.15");
  lua_setfield(L, -2, "REDIS_VERSION");
  lua_setfield(L, g, "redis");
}

}  // namespace slotproxy::server::scripting

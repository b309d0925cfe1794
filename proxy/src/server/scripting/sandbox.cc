#include "server/scripting/sandbox.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "lua.hpp"

namespace slotproxy::server::scripting {
namespace {

// Registry keys (their addresses are the keys).
char kGlobalsKey;   // the real globals table G (libraries, KEYS, ARGV); scripts never see it
char kEnvKey;       // the read-only proxy scripts see as _ENV and _G
char kReadonlyKey;  // weak-keyed set of the read-only proxies

constexpr const char* kReadonlyError = "Attempt to modify a readonly table";

// Base-library functions scripts may use as they are (Redis 7.0.15's allow list, less the ones
// Lua 5.4 lacks: getfenv, setfenv, newproxy are absent from 7.0.15 as well).
constexpr const char* kBaseAllowed[] = {
    "xpcall",         "tostring", "next",   "assert", "tonumber", "rawequal", "rawget",
    "collectgarbage", "type",     "select", "pairs",  "ipairs",   "_VERSION", "getmetatable"};

// Lua 5.1 names Redis scripts rely on, defined over Lua 5.4 (run once with _ENV = G).
constexpr const char* kCompatChunk = R"lua(
unpack = table.unpack
loadstring = load
table.getn = function(t) return #t end
table.maxn = function(t)
  local n = 0
  for k in pairs(t) do if type(k) == 'number' and k > n then n = k end end
  return n
end
math.pow = function(x, y) return x ^ y end
math.mod = math.fmod
math.log10 = function(x) return math.log(x, 10) end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
string.gfind = string.gmatch
gcinfo = function() return math.floor(collectgarbage('count')) end
-- LuaBitOp over 5.4's integer operators: 32-bit results, signed.
local function tobit(x)
  local n = math.tointeger(x)
  if n == nil then n = math.floor(x + 0.5) end
  n = n & 0xffffffff
  if n >= 0x80000000 then n = n - 0x100000000 end
  return n
end
local function u32(x) return tobit(x) & 0xffffffff end
bit = {}
bit.tobit = tobit
bit.bnot = function(x) return tobit(~u32(x)) end
bit.band = function(x, ...) local r = u32(x) for _, v in ipairs({...}) do r = r & u32(v) end return tobit(r) end
bit.bor = function(x, ...) local r = u32(x) for _, v in ipairs({...}) do r = r | u32(v) end return tobit(r) end
bit.bxor = function(x, ...) local r = u32(x) for _, v in ipairs({...}) do r = r ~ u32(v) end return tobit(r) end
bit.lshift = function(x, n) return tobit(u32(x) << (u32(n) & 31)) end
bit.rshift = function(x, n) return tobit(u32(x) >> (u32(n) & 31)) end
bit.arshift = function(x, n) return tobit(tobit(x) >> (u32(n) & 31)) end
bit.rol = function(x, n) local s = u32(n) & 31 local v = u32(x) return tobit((v << s) | (v >> (32 - s))) end
bit.ror = function(x, n) local s = u32(n) & 31 local v = u32(x) return tobit((v >> s) | (v << (32 - s))) end
bit.bswap = function(x) local v = u32(x) return tobit(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24)) end
bit.tohex = function(x, n)
  n = n or 8
  local up = n < 0
  if up then n = -n end
  local s = string.format(up and '%08X' or '%08x', u32(x))
  return s:sub(-n)
end
)lua";

bool IsReadonly(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kReadonlyKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  bool ro = lua_toboolean(L, -1) != 0;
  lua_pop(L, 2);
  return ro;
}

// __newindex of the read-only tables: the error carries the script's position, as in Redis.
int ReadonlyNewIndex(lua_State* L) { return luaL_error(L, "%s", kReadonlyError); }

// __index of G: a name no library defines.
int MissingGlobal(lua_State* L) {
  const char* name = lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER
                         ? lua_tostring(L, 2)
                         : luaL_typename(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name);
}

// rawset and setmetatable refuse the read-only tables (no position, as Redis's C check).
int GuardedCall(lua_State* L) {
  if (IsReadonly(L, 1)) {
    lua_pushstring(L, kReadonlyError);
    return lua_error(L);
  }
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

// __pairs of a library proxy: iterate the library itself.
int ProxyPairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));  // next
  lua_pushvalue(L, lua_upvalueindex(2));  // the library
  lua_pushnil(L);
  return 3;
}

// load / loadstring: text chunks only (a binary chunk can break out of any sandbox), whose
// globals are the sandbox's unless an env is given.
int SafeLoad(lua_State* L) {
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));  // the original load
  lua_pushvalue(L, 1);
  if (n >= 2) {
    lua_pushvalue(L, 2);
  } else {
    lua_pushnil(L);
  }
  lua_pushstring(L, "t");
  if (n >= 4) {
    lua_pushvalue(L, 4);
  } else {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kEnvKey);
  }
  lua_call(L, 4, LUA_MULTRET);
  return lua_gettop(L) - n;
}

// Redis's pcall: an error table with a string `err` comes back as that string.
int RedisPcall(lua_State* L) {
  luaL_checkany(L, 1);
  int argc = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != LUA_OK) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

// Lua 5.1's error: a number message gets the position too.
int Error51(lua_State* L) {
  lua_Integer level = luaL_optinteger(L, 2, 1);
  lua_settop(L, 1);
  int t = lua_type(L, 1);
  if ((t == LUA_TSTRING || t == LUA_TNUMBER) && level > 0) {
    luaL_where(L, static_cast<int>(level));
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

// Redis's rand48 (redisLrand48), state in the closure's userdata; it starts where Redis's does
// and, as in Redis, is not reseeded between scripts.
constexpr uint64_t kRandInit = 0x1234ABCD330EULL;
constexpr int32_t kRandMax = INT32_MAX;

int32_t NextRand(lua_State* L) {
  auto* x = static_cast<uint64_t*>(lua_touserdata(L, lua_upvalueindex(1)));
  *x = (0x5DEECE66DULL * *x + 0xB) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(*x >> 17);
}

int MathRandom(lua_State* L) {
  double r = static_cast<double>(NextRand(L) % kRandMax) / static_cast<double>(kRandMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      return 1;
    case 1: {
      auto u = static_cast<int>(luaL_checknumber(L, 1));
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushinteger(L, static_cast<lua_Integer>(std::floor(r * u)) + 1);
      return 1;
    }
    case 2: {
      auto l = static_cast<int>(luaL_checknumber(L, 1));
      auto u = static_cast<int>(luaL_checknumber(L, 2));
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushinteger(L, static_cast<lua_Integer>(std::floor(r * (u - l + 1))) + l);
      return 1;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
}

int MathRandomSeed(lua_State* L) {
  auto seed = static_cast<int32_t>(luaL_checknumber(L, 1));
  auto* x = static_cast<uint64_t*>(lua_touserdata(L, lua_upvalueindex(1)));
  *x = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E;
  return 0;
}

// Copies RG[name] (the state's own globals, at `rg`) into G (at `g`).
void CopyGlobal(lua_State* L, int rg, int g, const char* name) {
  lua_getfield(L, rg, name);
  lua_setfield(L, g, name);
}

// Pushes a closure of `fn` with RG[name] as its one upvalue and stores it as G[name].
void WrapGlobal(lua_State* L, int rg, int g, const char* name, lua_CFunction fn) {
  lua_getfield(L, rg, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, g, name);
}

void MarkReadonly(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kReadonlyKey);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Pushes a read-only proxy of the table at `idx`: reads go through to it, writes raise, pairs
// iterates it, and getmetatable(proxy) is false.
void PushReadonlyProxy(lua_State* L, int rg, int idx) {
  idx = lua_absindex(L, idx);
  lua_newtable(L);
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_getfield(L, rg, "next");
  lua_pushvalue(L, idx);
  lua_pushcclosure(L, ProxyPairs, 2);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  MarkReadonly(L, -1);
}

// Replaces G[name] (a table) by a read-only proxy of it.
void ProtectLibrary(lua_State* L, int rg, int g, const char* name) {
  lua_getfield(L, g, name);
  PushReadonlyProxy(L, rg, -1);
  lua_setfield(L, g, name);
  lua_pop(L, 1);  // the library
}

// Strings' methods resolve through the read-only string library, and getmetatable('') gives a
// read-only view of their metatable (Redis protects it too).
void ProtectStringMetatable(lua_State* L, int rg, int g) {
  lua_pushstring(L, "");
  if (lua_getmetatable(L, -1) != 0) {
    lua_getfield(L, g, "string");
    lua_setfield(L, -2, "__index");
    PushReadonlyProxy(L, rg, -1);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

// Pushes E, what scripts see as _ENV and _G: reads go to G, writes raise, and getmetatable(_G)
// is a read-only view of its metatable.
void PushEnvironment(lua_State* L, int rg, int g) {
  lua_newtable(L);
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, g);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  PushReadonlyProxy(L, rg, -1);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  MarkReadonly(L, -1);
}

void OpenLibraries(lua_State* L) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  lua_pop(L, 5);
}

// Fills G (at `g`) from the state's globals (at `rg`) and runs the 5.1 compatibility chunk.
void FillGlobals(lua_State* L, int rg, int g) {
  for (const char* name : kBaseAllowed) CopyGlobal(L, rg, g, name);
  for (const char* name : {"string", "table", "math", "coroutine"}) CopyGlobal(L, rg, g, name);
  WrapGlobal(L, rg, g, "rawset", GuardedCall);
  WrapGlobal(L, rg, g, "setmetatable", GuardedCall);
  WrapGlobal(L, rg, g, "load", SafeLoad);
  lua_pushcfunction(L, RedisPcall);
  lua_setfield(L, g, "pcall");
  lua_pushcfunction(L, Error51);
  lua_setfield(L, g, "error");
  lua_getfield(L, g, "math");
  auto* state = static_cast<uint64_t*>(lua_newuserdatauv(L, sizeof(uint64_t), 0));
  *state = kRandInit;
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, MathRandom, 1);
  lua_setfield(L, -3, "random");
  lua_pushcclosure(L, MathRandomSeed, 1);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
  if (luaL_loadbufferx(L, kCompatChunk, std::char_traits<char>::length(kCompatChunk), "=compat",
                       "t") != LUA_OK) {
    std::abort();  // our own chunk: a bug
  }
  lua_pushvalue(L, g);
  lua_setupvalue(L, -2, 1);
  lua_call(L, 0, 0);
}

}  // namespace

lua_State* NewSandbox() {
  lua_State* L = luaL_newstate();
  if (L == nullptr) std::abort();
  OpenLibraries(L);
  lua_newtable(L);  // weak-keyed set of read-only tables
  lua_createtable(L, 0, 1);
  lua_pushstring(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kReadonlyKey);

  lua_pushglobaltable(L);
  int rg = lua_gettop(L);
  lua_newtable(L);
  int g = lua_gettop(L);
  FillGlobals(L, rg, g);
  RegisterRedisApi(L);  // G.redis
  RegisterCjson(L);     // G.cjson
  RegisterCmsgpack(L);  // G.cmsgpack
  RegisterStruct(L);    // G.struct
  for (const char* name :
       {"string", "table", "math", "coroutine", "bit", "redis", "cjson", "cmsgpack", "struct"}) {
    ProtectLibrary(L, rg, g, name);
  }
  ProtectStringMetatable(L, rg, g);
  PushEnvironment(L, rg, g);
  lua_pushvalue(L, -1);
  lua_setfield(L, g, "_G");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kEnvKey);

  lua_createtable(L, 0, 1);  // G's own metatable: missing names are an error
  lua_pushcfunction(L, MissingGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, g);
  lua_pushvalue(L, g);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kGlobalsKey);
  lua_settop(L, 0);
  return L;
}

bool CompileScript(lua_State* L, std::string_view body) {
  if (luaL_loadbufferx(L, body.data(), body.size(), "@user_script", "t") != LUA_OK) return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kEnvKey);
  lua_setupvalue(L, -2, 1);  // _ENV
  return true;
}

void SetKeysAndArgv(lua_State* L, std::span<const std::string_view> keys,
                    std::span<const std::string_view> argv) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kGlobalsKey);
  for (auto [name, list] : {std::pair{"KEYS", keys}, std::pair{"ARGV", argv}}) {
    lua_createtable(L, static_cast<int>(list.size()), 0);
    for (size_t i = 0; i < list.size(); ++i) {
      lua_pushlstring(L, list[i].data(), list[i].size());
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    }
    lua_setfield(L, -2, name);
  }
  lua_pop(L, 1);
}

int ErrorHandler(lua_State* L) {
  lua_Debug ar;
  bool where = lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "Sl", &ar) != 0;
  // An error raised by a C function (error, redis.call...) is placed at its Lua caller.
  if (where && ar.what != nullptr && ar.what[0] == 'C') {
    where = lua_getstack(L, 2, &ar) != 0 && lua_getinfo(L, "Sl", &ar) != 0;
  }
  lua_settop(L, 1);
  if (!lua_istable(L, 1)) {
    lua_createtable(L, 0, 3);
    lua_pushstring(L, "ERR ");
    luaL_tolstring(L, 1, nullptr);
    lua_concat(L, 2);
    lua_setfield(L, -2, "err");
    lua_replace(L, 1);
  }
  if (where) {  // raw: the error object may be a read-only table
    lua_pushstring(L, "source");
    lua_pushstring(L, ar.source);
    lua_rawset(L, 1);
    lua_pushstring(L, "line");
    lua_pushinteger(L, ar.currentline);
    lua_rawset(L, 1);
  }
  return 1;
}

}  // namespace slotproxy::server::scripting

// The Lua 5.4 state scripts run in, built to behave like Redis 7.0's Lua 5.1 sandbox: only the
// base, string, table, math and coroutine libraries (no os, io, package, debug, utf8; no
// dofile, loadfile, require, print); a read-only global table whose missing names raise
// "Script attempted to access nonexistent global variable 'x'" and whose writes raise "Attempt
// to modify a readonly table" (library tables too); load / loadstring for text chunks only;
// Lua 5.1 names scripts use (unpack, loadstring, table.getn, math.pow, math.mod, string.gfind,
// gcinfo, bit.*); math.random / math.randomseed on a rand48 generator; the `redis`, `cjson`,
// `cmsgpack` and `struct` tables.
#pragma once

#include <span>
#include <string_view>

struct lua_State;

namespace slotproxy::server::scripting {

// A new sandboxed state; the caller closes it with lua_close. Never null (aborts on OOM).
lua_State* NewSandbox();

// Compiles `body` as a text chunk named "@user_script" whose globals are the sandbox's and
// pushes the function. Error: false, with Lua's message pushed instead.
bool CompileScript(lua_State* L, std::string_view body);

// Sets the globals KEYS and ARGV of the sandbox to fresh tables of `keys` and `argv`.
void SetKeysAndArgv(lua_State* L, std::span<const std::string_view> keys,
                    std::span<const std::string_view> argv);

// The message handler scripts run under (Redis's __redis__err__handler): turns the error
// object into a table {err=, source=, line=} naming where it happened.
int ErrorHandler(lua_State* L);

// Registers the `redis` table (redis_api.cc) into the sandbox globals table at the top.
void RegisterRedisApi(lua_State* L);

// Registers the `cjson` table (cjson.cc) into the sandbox globals table at the top.
void RegisterCjson(lua_State* L);

// Registers the `cmsgpack` table (cmsgpack.cc) into the sandbox globals table at the top.
void RegisterCmsgpack(lua_State* L);

// Registers the `struct` table (lua_struct.cc) into the sandbox globals table at the top.
void RegisterStruct(lua_State* L);

}  // namespace slotproxy::server::scripting

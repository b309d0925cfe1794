// The `cmsgpack` library of Redis's Lua (lua_cmsgpack 0.4.0 as Redis bundles it), written for
// this sandbox since Debian ships none for Lua 5.4 here: cmsgpack.pack(...) and
// cmsgpack.unpack(s) / unpack_one / unpack_limit with lua_cmsgpack's encodings (smallest integer
// form, float32 when exact, tables as arrays when their keys are exactly 1..n, nesting past 16
// levels packed as nil) and error texts.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "lua.hpp"
#include "server/scripting/sandbox.h"

namespace slotproxy::server::scripting {
namespace {

constexpr int kMaxNesting = 16;

// Errors are raised with luaL_error (a longjmp): the packer writes into a per-thread buffer
// that is reused, never destroyed while packing.
std::string& PackBuffer() {
  thread_local std::string buffer;
  return buffer;
}

void PutBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PackInt(std::string* out, int64_t n) {
  auto u = static_cast<uint64_t>(n);
  if (n >= 0) {
    if (n <= 127) {
      out->push_back(static_cast<char>(n));
    } else if (n <= 0xff) {
      out->push_back(static_cast<char>(0xcc));
      PutBigEndian(out, u, 1);
    } else if (n <= 0xffff) {
      out->push_back(static_cast<char>(0xcd));
      PutBigEndian(out, u, 2);
    } else if (n <= 0xffffffffLL) {
      out->push_back(static_cast<char>(0xce));
      PutBigEndian(out, u, 4);
    } else {
      out->push_back(static_cast<char>(0xcf));
      PutBigEndian(out, u, 8);
    }
  } else if (n >= -32) {
    out->push_back(static_cast<char>(n));
  } else if (n >= -128) {
    out->push_back(static_cast<char>(0xd0));
    PutBigEndian(out, u, 1);
  } else if (n >= -32768) {
    out->push_back(static_cast<char>(0xd1));
    PutBigEndian(out, u, 2);
  } else if (n >= -2147483648LL) {
    out->push_back(static_cast<char>(0xd2));
    PutBigEndian(out, u, 4);
  } else {
    out->push_back(static_cast<char>(0xd3));
    PutBigEndian(out, u, 8);
  }
}

void PackNumber(std::string* out, double d) {
  if (!std::isinf(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
      static_cast<double>(static_cast<int64_t>(d)) == d) {
    PackInt(out, static_cast<int64_t>(d));
    return;
  }
  auto f = static_cast<float>(d);
  if (static_cast<double>(f) == d) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof(bits));
    out->push_back(static_cast<char>(0xca));
    PutBigEndian(out, bits, 4);
  } else {
    uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof(bits));
    out->push_back(static_cast<char>(0xcb));
    PutBigEndian(out, bits, 8);
  }
}

void PackHeader(std::string* out, size_t n, uint8_t fix, size_t fix_max, uint8_t b8, uint8_t b16,
                uint8_t b32) {
  if (n <= fix_max) {
    out->push_back(static_cast<char>(fix | n));
  } else if (b8 != 0 && n <= 0xff) {
    out->push_back(static_cast<char>(b8));
    PutBigEndian(out, n, 1);
  } else if (n <= 0xffff) {
    out->push_back(static_cast<char>(b16));
    PutBigEndian(out, n, 2);
  } else {
    out->push_back(static_cast<char>(b32));
    PutBigEndian(out, n, 4);
  }
}

// lua_cmsgpack's table_is_an_array: every key a positive integer and the largest equal to the
// count (an empty table is an array).
bool IsArray(lua_State* L, int idx, size_t* len) {
  double max = 0;
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return false;
    }
    double n = static_cast<double>(lua_tonumber(L, -1));
    if (n <= 0 || std::floor(n) != n) {
      lua_pop(L, 1);
      return false;
    }
    if (n > max) max = n;
    ++count;
  }
  *len = count;
  return max == static_cast<double>(count);
}

void PackValue(lua_State* L, std::string* out, int level);

void PackTable(lua_State* L, std::string* out, int level) {
  int idx = lua_gettop(L);
  luaL_checkstack(L, 4, "too deep");
  size_t len = 0;
  if (IsArray(L, idx, &len)) {
    PackHeader(out, len, 0x90, 15, 0, 0xdc, 0xdd);
    for (size_t i = 1; i <= len; ++i) {
      lua_rawgeti(L, idx, static_cast<lua_Integer>(i));
      PackValue(L, out, level + 1);
    }
    return;
  }
  size_t pairs = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    ++pairs;
  }
  PackHeader(out, pairs, 0x80, 15, 0, 0xde, 0xdf);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pushvalue(L, -2);          // key, value, key copy
    PackValue(L, out, level + 1);  // the key copy
    PackValue(L, out, level + 1);  // the value; the key stays for lua_next
  }
}

// Packs the value at the top and pops it.
void PackValue(lua_State* L, std::string* out, int level) {
  int t = lua_type(L, -1);
  if (t == LUA_TTABLE && level == kMaxNesting) t = LUA_TNIL;
  switch (t) {
    case LUA_TBOOLEAN:
      out->push_back(static_cast<char>(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
      break;
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      PackHeader(out, len, 0xa0, 31, 0xd9, 0xda, 0xdb);
      out->append(s, len);
      break;
    }
    case LUA_TNUMBER:
      PackNumber(out, static_cast<double>(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      PackTable(L, out, level);
      break;
    default:
      out->push_back(static_cast<char>(0xc0));
  }
  lua_pop(L, 1);
}

int Pack(lua_State* L) {
  int n = lua_gettop(L);
  if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  std::string& out = PackBuffer();
  out.clear();
  for (int i = 1; i <= n; ++i) {
    lua_pushvalue(L, i);
    PackValue(L, &out, 0);
  }
  lua_pushlstring(L, out.data(), out.size());
  if (out.capacity() > (size_t{1} << 20)) std::string().swap(out);
  return 1;
}

// ---- unpacking ----

struct Reader {
  lua_State* L;
  const unsigned char* p;
  size_t left;
};

[[noreturn]] void Missing(Reader* r) {
  luaL_error(r->L, "Missing bytes in input.");
  std::abort();
}

uint64_t ReadBig(Reader* r, size_t bytes) {
  if (r->left < bytes) Missing(r);
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | r->p[i];
  r->p += bytes;
  r->left -= bytes;
  return v;
}

void PushInteger(lua_State* L, int64_t v) { lua_pushinteger(L, v); }

void PushBytes(Reader* r, size_t len) {
  if (r->left < len) Missing(r);
  lua_pushlstring(r->L, reinterpret_cast<const char*>(r->p), len);
  r->p += len;
  r->left -= len;
}

void Unpack(Reader* r);

void UnpackArray(Reader* r, size_t n) {
  luaL_checkstack(r->L, 4, "too deep");
  lua_createtable(r->L, n > 1024 ? 1024 : static_cast<int>(n), 0);
  for (size_t i = 1; i <= n; ++i) {
    Unpack(r);
    lua_rawseti(r->L, -2, static_cast<lua_Integer>(i));
  }
}

void UnpackMap(Reader* r, size_t n) {
  luaL_checkstack(r->L, 4, "too deep");
  lua_createtable(r->L, 0, n > 1024 ? 1024 : static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    Unpack(r);
    Unpack(r);
    if (lua_isnil(r->L, -2)) {
      lua_pop(r->L, 2);  // a nil key cannot be stored
      continue;
    }
    lua_rawset(r->L, -3);
  }
}

// The number types (0xca-0xd3); false when `c` is none of them.
bool UnpackNumber(Reader* r, unsigned char c) {
  lua_State* L = r->L;
  switch (c) {
    case 0xca: {
      auto bits = static_cast<uint32_t>(ReadBig(r, 4));
      float f = 0;
      std::memcpy(&f, &bits, sizeof(f));
      lua_pushnumber(L, static_cast<double>(f));
      return true;
    }
    case 0xcb: {
      uint64_t bits = ReadBig(r, 8);
      double d = 0;
      std::memcpy(&d, &bits, sizeof(d));
      lua_pushnumber(L, d);
      return true;
    }
    case 0xcc:
      PushInteger(L, static_cast<int64_t>(ReadBig(r, 1)));
      return true;
    case 0xcd:
      PushInteger(L, static_cast<int64_t>(ReadBig(r, 2)));
      return true;
    case 0xce:
      PushInteger(L, static_cast<int64_t>(ReadBig(r, 4)));
      return true;
    case 0xcf: {
      uint64_t v = ReadBig(r, 8);
      if (v > static_cast<uint64_t>(INT64_MAX)) {
        lua_pushnumber(L, static_cast<double>(v));
      } else {
        PushInteger(L, static_cast<int64_t>(v));
      }
      return true;
    }
    case 0xd0:
      PushInteger(L, static_cast<int8_t>(ReadBig(r, 1)));
      return true;
    case 0xd1:
      PushInteger(L, static_cast<int16_t>(ReadBig(r, 2)));
      return true;
    case 0xd2:
      PushInteger(L, static_cast<int32_t>(ReadBig(r, 4)));
      return true;
    case 0xd3:
      PushInteger(L, static_cast<int64_t>(ReadBig(r, 8)));
      return true;
    default:
      return false;
  }
}

// Pushes the next object.
void Unpack(Reader* r) {
  if (r->left == 0) Missing(r);
  unsigned char c = *r->p++;
  --r->left;
  lua_State* L = r->L;
  if (c <= 0x7f) return PushInteger(L, c);
  if (c >= 0xe0) return PushInteger(L, static_cast<int8_t>(c));
  if ((c & 0xf0) == 0x80) return UnpackMap(r, c & 0x0f);
  if ((c & 0xf0) == 0x90) return UnpackArray(r, c & 0x0f);
  if ((c & 0xe0) == 0xa0) return PushBytes(r, c & 0x1f);
  switch (c) {
    case 0xc0:
      lua_pushnil(L);
      return;
    case 0xc2:
      lua_pushboolean(L, 0);
      return;
    case 0xc3:
      lua_pushboolean(L, 1);
      return;
    case 0xc4:
    case 0xd9:
      return PushBytes(r, ReadBig(r, 1));
    case 0xc5:
    case 0xda:
      return PushBytes(r, ReadBig(r, 2));
    case 0xc6:
    case 0xdb:
      return PushBytes(r, ReadBig(r, 4));
    case 0xdc:
      return UnpackArray(r, ReadBig(r, 2));
    case 0xdd:
      return UnpackArray(r, ReadBig(r, 4));
    case 0xde:
      return UnpackMap(r, ReadBig(r, 2));
    case 0xdf:
      return UnpackMap(r, ReadBig(r, 4));
    default:
      if (!UnpackNumber(r, c)) luaL_error(L, "Bad data format in input.");
  }
}

// lua_cmsgpack's mp_unpack_full: every object (limit and offset 0), or at most `limit` objects
// from `offset`, then preceded by the next offset (-1 at the end of the input).
int UnpackFull(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  bool all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  if (all) limit = INT32_MAX;
  Reader r{L, reinterpret_cast<const unsigned char*>(s) + offset,
           len - static_cast<size_t>(offset)};
  int count = 0;
  for (; r.left > 0 && count < limit; ++count) {
    luaL_checkstack(L, 2, "too many values to unpack");
    Unpack(&r);
  }
  if (!all) {
    luaL_checkstack(L, 1, "too many values to unpack");
    lua_pushinteger(L, r.left == 0 ? -1 : static_cast<lua_Integer>(len - r.left));
    lua_insert(L, 2);
    ++count;
  }
  return count;
}

int UnpackAll(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  lua_Integer limit = luaL_checkinteger(L, 2);
  lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

void RegisterCmsgpack(lua_State* L) {
  int g = lua_gettop(L);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, Pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, UnpackAll);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, UnpackOne);
  lua_setfield(L, -2, "unpack_one");
  lua_pushcfunction(L, UnpackLimit);
  lua_setfield(L, -2, "unpack_limit");
  lua_setfield(L, g, "cmsgpack");
}

}  // namespace slotproxy::server::scripting

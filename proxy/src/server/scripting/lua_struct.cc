// The `struct` library of Redis's Lua (Roberto Ierusalimschy's struct 0.2 as Redis bundles it),
// written for this sandbox since Debian ships none for Lua 5.4 here: struct.pack, struct.unpack
// and struct.size with the same format language ('<' '>' '!' 'x' 'b' 'B' 'h' 'H' 'l' 'L' 'T'
// 'i[n]' 'I[n]' 's' 'f' 'd' 'c[n]'), byte layouts and error texts. Everything here is plain C
// data, so the luaL_error raises skip no destructor.
#include <cctype>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lua.hpp"
#include "server/scripting/sandbox.h"

namespace slotproxy::server::scripting {
namespace {

constexpr int kMaxIntSize = 32;
constexpr int kMaxAlign = 8;  // offsetof(struct { char c; double d; }, d) on x86-64

enum Endian { kBig = 0, kLittle = 1 };

struct Header {
  int endian = kLittle;  // x86-64's native order
  int align = 1;
};

int GetNum(lua_State* L, const char** fmt, int df) {
  if (!std::isdigit(static_cast<unsigned char>(**fmt))) return df;
  int a = 0;
  do {
    if (a > INT_MAX / 10 || a * 10 > INT_MAX - (**fmt - '0')) {
      luaL_error(L, "integral size overflow");
    }
    a = a * 10 + *((*fmt)++) - '0';
  } while (std::isdigit(static_cast<unsigned char>(**fmt)));
  return a;
}

size_t OptSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
      return sizeof(char);
    case 'H':
    case 'h':
      return sizeof(short);
    case 'L':
    case 'l':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(GetNum(L, fmt, 1));
    case 'i':
    case 'I': {
      int sz = GetNum(L, fmt, sizeof(int));
      if (sz > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", sz, kMaxIntSize);
      }
      return static_cast<size_t>(sz);
    }
    default:
      return 0;  // the other options need no alignment
  }
}

size_t ToAlign(size_t len, const Header& h, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(h.align)) size = static_cast<size_t>(h.align);
  return (size - (len & (size - 1))) & (size - 1);
}

void ControlOption(lua_State* L, char opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h->endian = kBig;
      return;
    case '<':
      h->endian = kLittle;
      return;
    case '!': {
      int a = GetNum(L, fmt, kMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      h->align = a;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

// Copies `size` bytes in the order `endian` asks for (the host is little-endian).
void CopyOrdered(char* dst, const char* src, size_t size, int endian) {
  for (size_t i = 0; i < size; ++i) dst[i] = endian == kLittle ? src[i] : src[size - 1 - i];
}

void PutInteger(lua_State* L, luaL_Buffer* b, int arg, int endian, size_t size) {
  double n = static_cast<double>(luaL_checknumber(L, arg));
  uint64_t value =
      n < 0 ? static_cast<uint64_t>(static_cast<int64_t>(n)) : static_cast<uint64_t>(n);
  char buff[kMaxIntSize];
  for (size_t i = 0; i < size; ++i) {
    size_t at = endian == kLittle ? i : size - 1 - i;
    buff[at] = static_cast<char>(i < 8 ? (value >> (8 * i)) & 0xff : 0);
  }
  luaL_addlstring(b, buff, size);
}

void PutString(lua_State* L, luaL_Buffer* b, int arg, char opt, size_t* size) {
  size_t l = 0;
  const char* s = luaL_checklstring(L, arg, &l);
  if (*size == 0) *size = l;
  luaL_argcheck(L, l >= *size, arg + 1, "string too short");  // Redis names the next argument
  luaL_addlstring(b, s, *size);
  if (opt == 's') {
    luaL_addchar(b, '\0');
    ++*size;
  }
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  int arg = 2;
  size_t total = 0;
  lua_pushnil(L);  // a missing argument reads this nil, not the buffer's own slot
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptSize(L, opt, &fmt);
    size_t pad = ToAlign(total, h, opt, size);
    total += pad;
    while (pad-- > 0) luaL_addchar(&b, '\0');
    if (std::strchr("bBhHlLTiI", opt) != nullptr && opt != '\0') {
      PutInteger(L, &b, arg++, h.endian, size);
    } else if (opt == 'x') {
      luaL_addchar(&b, '\0');
    } else if (opt == 'f' || opt == 'd') {
      char raw[8];
      char ordered[8];
      if (opt == 'f') {
        auto f = static_cast<float>(luaL_checknumber(L, arg++));
        std::memcpy(raw, &f, sizeof(f));
      } else {
        double d = luaL_checknumber(L, arg++);
        std::memcpy(raw, &d, sizeof(d));
      }
      CopyOrdered(ordered, raw, size, h.endian);
      luaL_addlstring(&b, ordered, size);
    } else if (opt == 'c' || opt == 's') {
      PutString(L, &b, arg++, opt, &size);
    } else {
      ControlOption(L, opt, &fmt, &h);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

// Integers come back as Lua integers when they fit (Lua 5.1 had only doubles).
void PushInteger(lua_State* L, const char* buff, int endian, bool is_signed, size_t size) {
  uint64_t l = 0;
  for (size_t i = 0; i < size; ++i) {
    size_t at = endian == kBig ? i : size - 1 - i;
    l = (l << 8) | static_cast<unsigned char>(buff[at]);
  }
  if (is_signed) {
    if (size < 8 && size > 0) {
      uint64_t mask = ~uint64_t{0} << (size * 8 - 1);
      if ((l & mask) != 0) l |= mask;
    }
    lua_pushinteger(L, static_cast<lua_Integer>(static_cast<int64_t>(l)));
  } else if (l > static_cast<uint64_t>(INT64_MAX)) {
    lua_pushnumber(L, static_cast<double>(l));
  } else {
    lua_pushinteger(L, static_cast<lua_Integer>(l));
  }
}

void PushFloat(lua_State* L, const char* data, char opt, size_t size, int endian) {
  char ordered[8];
  CopyOrdered(ordered, data, size, endian);
  if (opt == 'f') {
    float f = 0;
    std::memcpy(&f, ordered, sizeof(f));
    lua_pushnumber(L, static_cast<double>(f));
  } else {
    double d = 0;
    std::memcpy(&d, ordered, sizeof(d));
    lua_pushnumber(L, d);
  }
}

// 'c' (with 'c0' taking its length from the value before) and 's'; returns the bytes used.
size_t UnpackString(lua_State* L, const char* data, size_t ld, size_t pos, char opt, size_t size,
                    int* n) {
  if (opt == 's') {
    const void* e = std::memchr(data + pos, '\0', ld - pos);
    if (e == nullptr) luaL_error(L, "unfinished string in data");
    size = static_cast<size_t>(static_cast<const char*>(e) - (data + pos)) + 1;
    lua_pushlstring(L, data + pos, size - 1);
    ++*n;
    return size;
  }
  if (size == 0) {
    if (*n == 0 || lua_isnumber(L, -1) == 0) luaL_error(L, "format 'c0' needs a previous size");
    size = static_cast<size_t>(lua_tonumber(L, -1));
    lua_pop(L, 1);
    --*n;
    luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
  }
  lua_pushlstring(L, data + pos, size);
  ++*n;
  return size;
}

int Unpack(lua_State* L) {
  Header h;
  const char* fmt = luaL_checkstring(L, 1);
  size_t ld = 0;
  const char* data = luaL_checklstring(L, 2, &ld);
  lua_Integer start = luaL_optinteger(L, 3, 1);
  luaL_argcheck(L, start > 0, 3, "offset must be 1 or greater");
  auto pos = static_cast<size_t>(start - 1);
  int n = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptSize(L, opt, &fmt);
    pos += ToAlign(pos, h, opt, size);
    luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    if (std::strchr("bBhHlLTiI", opt) != nullptr && opt != '\0') {
      PushInteger(L, data + pos, h.endian, std::islower(static_cast<unsigned char>(opt)) != 0,
                  size);
      ++n;
    } else if (opt == 'x') {
      // padding: nothing to return
    } else if (opt == 'f' || opt == 'd') {
      PushFloat(L, data + pos, opt, size, h.endian);
      ++n;
    } else if (opt == 'c' || opt == 's') {
      size = UnpackString(L, data, ld, pos, opt, size, &n);
    } else {
      ControlOption(L, opt, &fmt, &h);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return n + 1;
}

int Size(lua_State* L) {
  Header h;
  const char* fmt = luaL_checkstring(L, 1);
  size_t pos = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptSize(L, opt, &fmt);
    pos += ToAlign(pos, h, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    if (std::isalnum(static_cast<unsigned char>(opt)) == 0) ControlOption(L, opt, &fmt, &h);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

void RegisterStruct(lua_State* L) {
  int g = lua_gettop(L);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, Pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, Unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, Size);
  lua_setfield(L, -2, "size");
  lua_setfield(L, g, "struct");
}

}  // namespace slotproxy::server::scripting

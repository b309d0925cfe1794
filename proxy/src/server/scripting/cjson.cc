// The `cjson` library of Redis's Lua (lua-cjson 2.1.0 with Redis's defaults), written for this
// sandbox since Debian ships no lua-cjson for Lua 5.4 here: cjson.encode, cjson.decode and
// cjson.null, with lua-cjson's output and error texts (numbers "%.14g", '/' escaped, empty
// tables as objects, sparse-array and nesting limits, lenient numbers on decode).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <strings.h>

#include "lua.hpp"
#include "server/scripting/sandbox.h"

namespace slotproxy::server::scripting {
namespace {

constexpr int kMaxDepth = 1000;
constexpr int kSparseRatio = 2;
constexpr int kSparseSafe = 10;

// lua-cjson raises errors with luaL_error (a longjmp), so no C++ object with a destructor may be
// live across one: the encoder writes into a per-thread buffer that is reused, not destroyed,
// and the decoder reads the Lua string and builds strings in luaL_Buffers.

std::string& EncodeBuffer() {
  thread_local std::string buffer;
  return buffer;
}

void EncodeValue(lua_State* L, std::string* b, int depth);

[[noreturn]] void EncodeError(lua_State* L, int idx, const char* reason) {
  luaL_error(L, "Cannot serialise %s: %s", luaL_typename(L, idx), reason);
  std::abort();  // luaL_error does not return
}

void AppendString(lua_State* L, std::string* b, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  b->push_back('"');
  for (size_t i = 0; i < len; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        b->append("\\\"");
        break;
      case '\\':
        b->append("\\\\");
        break;
      case '/':
        b->append("\\/");
        break;
      case '\b':
        b->append("\\b");
        break;
      case '\f':
        b->append("\\f");
        break;
      case '\n':
        b->append("\\n");
        break;
      case '\r':
        b->append("\\r");
        break;
      case '\t':
        b->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char esc[8];
          std::snprintf(esc, sizeof(esc), "\\u%04x", c);
          b->append(esc);
        } else {
          b->push_back(static_cast<char>(c));
        }
    }
  }
  b->push_back('"');
}

void AppendNumber(lua_State* L, std::string* b, int idx) {
  double d = static_cast<double>(lua_tonumber(L, idx));
  if (std::isinf(d) || std::isnan(d)) EncodeError(L, idx, "must not be NaN or Inf");
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.14g", d);
  b->append(buf);
}

// lua-cjson's lua_array_length: the largest positive integer key when every key is one and the
// table is not too sparse, else -1 (an object).
lua_Integer ArrayLength(lua_State* L, int idx) {
  lua_Integer max = 0;
  lua_Integer items = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return -1;
    }
    double k = static_cast<double>(lua_tonumber(L, -1));
    if (k < 1 || std::floor(k) != k) {
      lua_pop(L, 1);
      return -1;
    }
    if (k > static_cast<double>(max)) max = static_cast<lua_Integer>(k);
    ++items;
  }
  if (max > items * kSparseRatio && max > kSparseSafe) {
    EncodeError(L, idx, "excessively sparse array");
  }
  return max;
}

void AppendTable(lua_State* L, std::string* b, int idx, int depth) {
  if (depth > kMaxDepth) luaL_error(L, "Cannot serialise, excessive nesting (%d)", depth);
  luaL_checkstack(L, 6, "excessive nesting");
  lua_Integer len = ArrayLength(L, idx);
  if (len > 0) {
    b->push_back('[');
    for (lua_Integer i = 1; i <= len; ++i) {
      if (i > 1) b->push_back(',');
      lua_rawgeti(L, idx, i);
      EncodeValue(L, b, depth);
      lua_pop(L, 1);
    }
    b->push_back(']');
    return;
  }
  b->push_back('{');
  bool first = true;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (!first) b->push_back(',');
    first = false;
    int key = lua_type(L, -2);
    if (key == LUA_TNUMBER) {
      b->push_back('"');
      AppendNumber(L, b, lua_gettop(L) - 1);
      b->push_back('"');
    } else if (key == LUA_TSTRING) {
      AppendString(L, b, lua_gettop(L) - 1);
    } else {
      EncodeError(L, lua_gettop(L) - 1, "table key must be a number or string");
    }
    b->push_back(':');
    EncodeValue(L, b, depth);
    lua_pop(L, 1);
  }
  b->push_back('}');
}

// Appends the value at the top (left in place).
void EncodeValue(lua_State* L, std::string* b, int depth) {
  int idx = lua_gettop(L);
  switch (lua_type(L, idx)) {
    case LUA_TSTRING:
      AppendString(L, b, idx);
      return;
    case LUA_TNUMBER:
      AppendNumber(L, b, idx);
      return;
    case LUA_TBOOLEAN:
      b->append(lua_toboolean(L, idx) ? "true" : "false");
      return;
    case LUA_TTABLE:
      AppendTable(L, b, idx, depth + 1);
      return;
    case LUA_TNIL:
      b->append("null");
      return;
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == nullptr) {
        b->append("null");
        return;
      }
      break;
    default:
      break;
  }
  EncodeError(L, idx, "type not supported");
}

int Encode(lua_State* L) {
  luaL_argcheck(L, lua_gettop(L) == 1, 1, "expected 1 argument");
  std::string& b = EncodeBuffer();
  b.clear();
  EncodeValue(L, &b, 0);
  lua_pushlstring(L, b.data(), b.size());
  if (b.capacity() > (size_t{1} << 20)) std::string().swap(b);
  return 1;
}

// ---- decoding ----

enum Token {
  kObjBegin,
  kObjEnd,
  kArrBegin,
  kArrEnd,
  kString,
  kNumber,
  kBoolean,
  kNull,
  kColon,
  kComma,
  kEnd,
  kError
};

constexpr const char* kTokenNames[] = {"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END",
                                       "T_STRING",    "T_NUMBER",  "T_BOOLEAN",   "T_NULL",
                                       "T_COLON",     "T_COMMA",   "T_END",       "T_ERROR"};

struct Decoder {
  lua_State* L;
  const char* data;
  size_t len;
  size_t pos = 0;
  // The current token.
  Token type = kEnd;
  size_t index = 0;        // where it starts (or where its error is)
  const char* error = "";  // kError: what is wrong
  double number = 0;
  bool boolean = false;
  int depth = 0;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads 4 hex digits at d->pos + offset; -1 when they are not.
long Hex4(const Decoder* d, size_t offset) {
  if (d->pos + offset + 4 > d->len) return -1;
  long v = 0;
  for (size_t i = 0; i < 4; ++i) {
    int h = HexValue(d->data[d->pos + offset + i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void AddUtf8(luaL_Buffer* b, unsigned long cp) {
  if (cp < 0x80) {
    luaL_addchar(b, static_cast<char>(cp));
  } else if (cp < 0x800) {
    luaL_addchar(b, static_cast<char>(0xC0 | (cp >> 6)));
    luaL_addchar(b, static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    luaL_addchar(b, static_cast<char>(0xE0 | (cp >> 12)));
    luaL_addchar(b, static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    luaL_addchar(b, static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    luaL_addchar(b, static_cast<char>(0xF0 | (cp >> 18)));
    luaL_addchar(b, static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    luaL_addchar(b, static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    luaL_addchar(b, static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A \uXXXX escape (surrogate pairs joined) at d->pos (the backslash); false when invalid.
bool UnicodeEscape(Decoder* d, luaL_Buffer* b) {
  long cp = Hex4(d, 2);
  if (cp < 0) return false;
  size_t used = 6;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (d->pos + 12 > d->len || d->data[d->pos + 6] != '\\' || d->data[d->pos + 7] != 'u') {
      return false;
    }
    long low = Hex4(d, 8);
    if (low < 0xDC00 || low > 0xDFFF) return false;
    cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
    used = 12;
  }
  AddUtf8(b, static_cast<unsigned long>(cp));
  d->pos += used;
  return true;
}

// The escape `\e` at d->pos (the backslash): appends what it stands for and moves past it;
// false when it is not a valid escape.
bool AddEscape(Decoder* d, luaL_Buffer* b, char e) {
  const char* simple = nullptr;
  switch (e) {
    case '"':
      simple = "\"";
      break;
    case '\\':
      simple = "\\";
      break;
    case '/':
      simple = "/";
      break;
    case 'b':
      simple = "\b";
      break;
    case 'f':
      simple = "\f";
      break;
    case 'n':
      simple = "\n";
      break;
    case 'r':
      simple = "\r";
      break;
    case 't':
      simple = "\t";
      break;
    default:
      break;
  }
  if (simple != nullptr) {
    luaL_addchar(b, simple[0]);
    d->pos += 2;
    return true;
  }
  return e == 'u' && UnicodeEscape(d, b);
}

// A string token at d->pos (the quote): pushes it, or sets an error token.
void StringToken(Decoder* d) {
  luaL_Buffer b;
  luaL_buffinit(d->L, &b);
  ++d->pos;
  for (;;) {
    if (d->pos >= d->len) {
      luaL_pushresult(&b);
      lua_pop(d->L, 1);
      d->type = kError;
      d->error = "unexpected end of string";
      d->index = d->pos;
      return;
    }
    char c = d->data[d->pos];
    if (c == '"') break;
    if (c != '\\') {
      luaL_addchar(&b, c);
      ++d->pos;
      continue;
    }
    char e = d->pos + 1 < d->len ? d->data[d->pos + 1] : '\0';
    if (AddEscape(d, &b, e)) continue;
    luaL_pushresult(&b);
    lua_pop(d->L, 1);
    d->type = kError;
    d->error = e == 'u' ? "invalid unicode escape code" : "invalid escape code";
    d->index = d->pos;
    return;
  }
  ++d->pos;
  luaL_pushresult(&b);
  d->type = kString;
}

bool StartsWith(const Decoder* d, const char* word) {
  size_t n = std::char_traits<char>::length(word);
  return d->pos + n <= d->len && std::char_traits<char>::compare(d->data + d->pos, word, n) == 0;
}

// lua-cjson's decode_invalid_numbers: hex, a leading '+', leading zeros, inf and nan.
bool LenientNumberStart(const Decoder* d) {
  char c = d->data[d->pos];
  if (c == '+' || c == '-' || (c >= '0' && c <= '9')) return true;
  return (d->pos + 3 <= d->len && (strncasecmp(d->data + d->pos, "inf", 3) == 0 ||
                                   strncasecmp(d->data + d->pos, "nan", 3) == 0));
}

void NumberToken(Decoder* d) {
  // strtod needs a terminated string; Lua strings always are.
  char* end = nullptr;
  d->number = std::strtod(d->data + d->pos, &end);
  if (end == d->data + d->pos) {
    d->type = kError;
    d->error = "invalid number";
    return;
  }
  d->pos = static_cast<size_t>(end - d->data);
  d->type = kNumber;
}

// Reads the next token; a string token's value is pushed.
void NextToken(Decoder* d) {
  while (d->pos < d->len && IsSpace(d->data[d->pos])) ++d->pos;
  d->index = d->pos;
  if (d->pos >= d->len) {
    d->type = kEnd;
    return;
  }
  char c = d->data[d->pos];
  Token single = kError;
  switch (c) {
    case '{':
      single = kObjBegin;
      break;
    case '}':
      single = kObjEnd;
      break;
    case '[':
      single = kArrBegin;
      break;
    case ']':
      single = kArrEnd;
      break;
    case ',':
      single = kComma;
      break;
    case ':':
      single = kColon;
      break;
    default:
      break;
  }
  if (single != kError) {
    d->type = single;
    ++d->pos;
  } else if (c == '"') {
    StringToken(d);
  } else if (StartsWith(d, "true") || StartsWith(d, "false")) {
    d->boolean = c == 't';
    d->pos += d->boolean ? 4 : 5;
    d->type = kBoolean;
  } else if (StartsWith(d, "null")) {
    d->pos += 4;
    d->type = kNull;
  } else if (LenientNumberStart(d)) {
    NumberToken(d);
  } else {
    d->type = kError;
    d->error = "invalid token";
  }
}

[[noreturn]] void ParseError(Decoder* d, const char* expected) {
  const char* found = d->type == kError ? d->error : kTokenNames[d->type];
  luaL_error(d->L, "Expected %s but found %s at character %d", expected, found,
             static_cast<int>(d->index + 1));
  std::abort();
}

void ProcessValue(Decoder* d);

void Descend(Decoder* d) {
  if (++d->depth > kMaxDepth) {
    luaL_error(d->L, "Found too many nested data structures (%d) at character %d", d->depth,
               static_cast<int>(d->index + 1));
  }
  luaL_checkstack(d->L, 4, "too many nested data structures");
}

void ParseObject(Decoder* d) {
  Descend(d);
  lua_newtable(d->L);
  NextToken(d);
  if (d->type == kObjEnd) {
    --d->depth;
    return;
  }
  for (;;) {
    if (d->type != kString) ParseError(d, "object key string");
    NextToken(d);
    if (d->type != kColon) ParseError(d, "colon");
    NextToken(d);
    ProcessValue(d);
    lua_rawset(d->L, -3);
    NextToken(d);
    if (d->type == kObjEnd) break;
    if (d->type != kComma) ParseError(d, "comma or object end");
    NextToken(d);
  }
  --d->depth;
}

void ParseArray(Decoder* d) {
  Descend(d);
  lua_newtable(d->L);
  NextToken(d);
  if (d->type == kArrEnd) {
    --d->depth;
    return;
  }
  for (lua_Integer i = 1;; ++i) {
    ProcessValue(d);
    lua_rawseti(d->L, -2, i);
    NextToken(d);
    if (d->type == kArrEnd) break;
    if (d->type != kComma) ParseError(d, "comma or array end");
    NextToken(d);
  }
  --d->depth;
}

void PushNumber(lua_State* L, double v) {
  // Integral values become Lua integers so tostring() prints them as Lua 5.1 does ("10").
  if (std::floor(v) == v && std::fabs(v) < 9.2e18 && !(v == 0 && std::signbit(v))) {
    lua_pushinteger(L, static_cast<lua_Integer>(v));
  } else {
    lua_pushnumber(L, v);
  }
}

// Pushes the value of the current token (a string token's value is already pushed).
void ProcessValue(Decoder* d) {
  switch (d->type) {
    case kString:
      return;
    case kNumber:
      PushNumber(d->L, d->number);
      return;
    case kBoolean:
      lua_pushboolean(d->L, d->boolean ? 1 : 0);
      return;
    case kNull:
      lua_pushlightuserdata(d->L, nullptr);
      return;
    case kObjBegin:
      ParseObject(d);
      return;
    case kArrBegin:
      ParseArray(d);
      return;
    default:
      ParseError(d, "value");
  }
}

int Decode(lua_State* L) {
  luaL_argcheck(L, lua_gettop(L) == 1, 1, "expected 1 argument");
  Decoder d{L, nullptr, 0};
  d.data = luaL_checklstring(L, 1, &d.len);
  NextToken(&d);
  ProcessValue(&d);
  NextToken(&d);
  if (d.type != kEnd) ParseError(&d, "the end");
  return 1;
}

}  // namespace

void RegisterCjson(lua_State* L) {
  int g = lua_gettop(L);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, Encode);
  lua_setfield(L, -2, "encode");
  lua_pushcfunction(L, Decode);
  lua_setfield(L, -2, "decode");
  lua_pushlightuserdata(L, nullptr);
  lua_setfield(L, -2, "null");
  lua_setfield(L, g, "cjson");
}

}  // namespace slotproxy::server::scripting

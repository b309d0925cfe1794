#include "server/scripting/lua_values.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "lua.hpp"
#include "resp/value.h"

namespace slotproxy::server::scripting {
namespace {

// Redis's Lua 5.1 fails lua_checkstack at this nesting of a returned table (its C stack limit of
// 8000 slots); a deeper value, e.g. a table containing itself, ends in this error element.
constexpr int kMaxReplyDepth = 7995;
constexpr int kMaxDecodeDepth = 128;

void SetField(lua_State* L, const char* name, std::string_view value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, name);
}

void PushValue(lua_State* L, const resp::Value& v, bool resp3);

// Arrays (and pushes) become tables; RESP3 maps and sets {map=...} and {set=...}.
void PushAggregate(lua_State* L, const resp::Value& v, bool resp3) {
  using resp::ValueType;
  switch (v.type) {
    case ValueType::kArray:
    case ValueType::kPush:
      lua_createtable(L, static_cast<int>(v.elements.size()), 0);
      for (size_t i = 0; i < v.elements.size(); ++i) {
        PushValue(L, v.elements[i], resp3);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      return;
    case ValueType::kMap:
      lua_createtable(L, 0, 1);
      lua_createtable(L, 0, static_cast<int>(v.elements.size() / 2));
      for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
        PushValue(L, v.elements[i], resp3);
        PushValue(L, v.elements[i + 1], resp3);
        lua_settable(L, -3);
      }
      lua_setfield(L, -2, "map");
      return;
    case ValueType::kSet:
      lua_createtable(L, 0, 1);
      lua_createtable(L, 0, static_cast<int>(v.elements.size()));
      for (const resp::Value& e : v.elements) {
        PushValue(L, e, resp3);
        lua_pushboolean(L, 1);
        lua_settable(L, -3);
      }
      lua_setfield(L, -2, "set");
      return;
    default:
      lua_pushnil(L);
  }
}

void PushValue(lua_State* L, const resp::Value& v, bool resp3) {
  using resp::ValueType;
  lua_checkstack(L, 4);
  switch (v.type) {
    case ValueType::kInteger:
      lua_pushinteger(L, v.integer);
      return;
    case ValueType::kBulkString:
      lua_pushlstring(L, v.str.data(), v.str.size());
      return;
    case ValueType::kNull:
      // RESP2's null bulk and null array are false, RESP3's null is nil (a command writes
      // only "_" for a RESP3 script and never "_" for a RESP2 one).
      if (resp3) {
        lua_pushnil(L);
      } else {
        lua_pushboolean(L, 0);
      }
      return;
    case ValueType::kSimpleString:
      lua_createtable(L, 0, 1);
      SetField(L, "ok", v.str);
      return;
    case ValueType::kError:
      PushErrorTable(L, "-" + v.str, /*ignore_stats=*/true);
      return;
    case ValueType::kArray:
    case ValueType::kPush:
    case ValueType::kMap:
    case ValueType::kSet:
      PushAggregate(L, v, resp3);
      return;
    case ValueType::kDouble:
      lua_createtable(L, 0, 1);
      lua_pushnumber(L, v.number);
      lua_setfield(L, -2, "double");
      return;
    case ValueType::kBoolean:
      lua_pushboolean(L, v.boolean ? 1 : 0);
      return;
    case ValueType::kBigNumber:
      lua_createtable(L, 0, 1);
      SetField(L, "big_number", v.str);
      return;
    case ValueType::kVerbatim:
      lua_createtable(L, 0, 1);
      lua_createtable(L, 0, 2);
      SetField(L, "string", v.str);
      SetField(L, "format", v.format);
      lua_setfield(L, -2, "verbatim_string");
      return;
  }
  lua_pushnil(L);
}

// The string field `name` of the table at `idx`, or nullptr (raw access, as Redis).
const char* RawStringField(lua_State* L, int idx, const char* name, size_t* len) {
  lua_pushstring(L, name);
  lua_rawget(L, idx < 0 ? idx - 1 : idx);
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    return nullptr;
  }
  return lua_tolstring(L, -1, len);  // left on the stack: the caller pops it
}

void EncodeValue(lua_State* L, resp::Protocol script_protocol, resp::Encoder& out, int depth);

// The error, status, double and big-number forms of the table at the top (Redis's order);
// true when it wrote one.
bool EncodeScalarTable(lua_State* L, resp::Encoder& out) {
  size_t len = 0;
  if (const char* s = RawStringField(L, -1, "err", &len)) {
    out.Error(std::string_view(s, len));
    lua_pop(L, 1);
    return true;
  }
  if (const char* s = RawStringField(L, -1, "ok", &len)) {
    out.SimpleString(std::string_view(s, len));
    lua_pop(L, 1);
    return true;
  }
  lua_pushstring(L, "double");
  lua_rawget(L, -2);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    out.Double(lua_tonumber(L, -1));
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  if (const char* s = RawStringField(L, -1, "big_number", &len)) {
    std::string digits(s, len);
    for (char& c : digits) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    out.BigNumber(digits);
    lua_pop(L, 1);
    return true;
  }
  return false;
}

// The {verbatim_string={string=, format=}} form of the table at the top.
bool EncodeVerbatimTable(lua_State* L, resp::Encoder& out) {
  lua_pushstring(L, "verbatim_string");
  lua_rawget(L, -2);
  if (lua_type(L, -1) == LUA_TTABLE) {
    size_t flen = 0;
    size_t slen = 0;
    const char* format = RawStringField(L, -1, "format", &flen);
    if (format != nullptr) {
      const char* str = RawStringField(L, -2, "string", &slen);
      if (str != nullptr) {
        out.Verbatim(std::string_view(str, slen), std::string_view(format, flen));
        lua_pop(L, 3);
        return true;
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  return false;
}

// The {map=...} and {set=...} forms of the table at the top.
bool EncodeAggregateTable(lua_State* L, resp::Protocol script_protocol, resp::Encoder& out,
                          int depth) {
  for (const char* kind : {"map", "set"}) {
    lua_pushstring(L, kind);
    lua_rawget(L, -2);
    if (lua_type(L, -1) != LUA_TTABLE) {
      lua_pop(L, 1);
      continue;
    }
    bool is_map = kind[0] == 'm';
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      lua_pop(L, 1);
      ++n;
    }
    if (is_map) {
      out.MapHeader(n);
    } else {
      out.SetHeader(n);
    }
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      // Stack: table, key, value. Encode a copy of the key (lua_next needs the original).
      if (is_map) {
        lua_pushvalue(L, -2);
        EncodeValue(L, script_protocol, out, depth + 1);
        EncodeValue(L, script_protocol, out, depth + 1);
      } else {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        EncodeValue(L, script_protocol, out, depth + 1);
      }
    }
    lua_pop(L, 1);
    return true;
  }
  return false;
}

// The table at the top: error, status and RESP3 forms first (Redis's order), else an array.
// Returns true when it wrote a reply of one of the keyed forms.
bool EncodeKeyedTable(lua_State* L, resp::Protocol script_protocol, resp::Encoder& out, int depth) {
  return EncodeScalarTable(L, out) || EncodeVerbatimTable(L, out) ||
         EncodeAggregateTable(L, script_protocol, out, depth);
}

void EncodeArray(lua_State* L, resp::Protocol script_protocol, resp::Encoder& out, int depth) {
  size_t n = 0;
  for (;;) {
    lua_rawgeti(L, -1, static_cast<lua_Integer>(n + 1));
    bool nil = lua_type(L, -1) == LUA_TNIL;
    lua_pop(L, 1);
    if (nil) break;
    ++n;
  }
  out.ArrayHeader(n);
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, static_cast<lua_Integer>(i));
    EncodeValue(L, script_protocol, out, depth + 1);
  }
}

void EncodeValue(lua_State* L, resp::Protocol script_protocol, resp::Encoder& out, int depth) {
  if (depth >= kMaxReplyDepth || !lua_checkstack(L, 8)) {
    out.Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      out.Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN: {
      bool b = lua_toboolean(L, -1) != 0;
      if (script_protocol == resp::Protocol::kResp2) {
        if (b) {
          out.Integer(1);
        } else {
          out.Null();
        }
      } else {
        out.Boolean(b);
      }
      break;
    }
    case LUA_TNUMBER:
      out.Integer(NumberToInteger(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      if (!EncodeKeyedTable(L, script_protocol, out, depth)) {
        EncodeArray(L, script_protocol, out, depth);
      }
      break;
    default:
      out.Null();
  }
  lua_pop(L, 1);
}

}  // namespace

void PushErrorTable(lua_State* L, std::string_view error, bool ignore_stats) {
  std::string_view code = "ERR";
  std::string_view msg = error;
  if (!error.empty() && error[0] == '-') {
    size_t space = error.find(' ');
    if (space == std::string_view::npos) {
      msg = error.substr(1);
    } else {
      code = error.substr(1, space - 1);
      msg = error.substr(space + 1);
    }
  }
  while (!msg.empty() && (msg.front() == '\r' || msg.front() == '\n')) msg.remove_prefix(1);
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  std::string text;
  text.reserve(code.size() + 1 + msg.size());
  text.append(code).append(" ").append(msg);
  lua_createtable(L, 0, 2);
  SetField(L, "err", text);
  if (ignore_stats) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "ignore_error_stats_update");
  }
}

bool PushReply(lua_State* L, std::string_view reply, resp::Protocol protocol) {
  size_t consumed = 0;
  Result<resp::Value> value = resp::DecodeValue(reply, &consumed, kMaxDecodeDepth);
  if (!value.ok()) return false;
  PushValue(L, value.value(), protocol == resp::Protocol::kResp3);
  return true;
}

void EncodeTop(lua_State* L, resp::Protocol script_protocol, resp::Encoder& out) {
  EncodeValue(L, script_protocol, out, 0);
}

std::string FormatNumberArg(double v) {
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, static_cast<size_t>(n));
}

int64_t NumberToInteger(double v) {
  // [-2^63, 2^63) is exactly representable at its ends; anything else (NaN included) is what
  // cvttsd2si yields for an out-of-range value.
  constexpr double kLimit = 9223372036854775808.0;
  if (!(v >= -kLimit && v < kLimit)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

Status ArgsFromStack(lua_State* L, std::vector<std::string>* args) {
  int argc = lua_gettop(L);
  if (argc == 0)
    return Status::Error("Please specify at least one argument for this redis lib call");
  args->clear();
  args->reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    int type = lua_type(L, i);
    if (type == LUA_TNUMBER) {
      args->push_back(FormatNumberArg(static_cast<double>(lua_tonumber(L, i))));
    } else if (type == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      args->emplace_back(s, len);
    } else {
      return Status::Error("Lua redis lib command arguments must be strings or integers");
    }
  }
  return Status();
}

}  // namespace slotproxy::server::scripting

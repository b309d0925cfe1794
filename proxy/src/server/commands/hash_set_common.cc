#include "server/commands/hash_set_common.h"

#include <cctype>
#include <string>

#include "engine/errors.h"
#include "engine/glob.h"
#include "engine/numbers.h"

namespace slotproxy::server::hash_set {

bool LookupTyped(CommandContext& ctx, std::string_view key, engine::ObjType type, Access access,
                 engine::Entry** out) {
  engine::Entry* e =
      access == Access::kRead ? ctx.db.FindForRead(key, ctx.now_ms) : ctx.db.Find(key, ctx.now_ms);
  if (e != nullptr && e->type() != type) {
    ctx.reply.Error(engine::kErrWrongType);
    *out = nullptr;
    return false;
  }
  *out = e;
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

void ReplyArityError(CommandContext& ctx) {
  // Redis prints the table's lowercase full name, not the name as the client typed it.
  std::string name(ctx.info != nullptr ? ctx.info->name : ctx.args[0]);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ctx.reply.Error("ERR wrong number of arguments for '" + name + "' command");
}

bool ParseScanCursor(CommandContext& ctx, std::string_view arg, uint64_t* cursor) {
  // strtoul(buf, &eptr, 10) with Redis's checks: isspace(buf[0]), *eptr != '\0', ERANGE.
  size_t i = 0;
  bool negative = false;
  bool valid = arg.empty() || !std::isspace(static_cast<unsigned char>(arg[0]));
  if (valid && !arg.empty()) {
    if (arg[0] == '+' || arg[0] == '-') {
      negative = arg[0] == '-';
      i = 1;
    }
    uint64_t value = 0;
    valid = i < arg.size();  // a bare sign converts nothing: eptr stays at the sign
    for (; valid && i < arg.size(); i++) {
      const char c = arg[i];
      if (c < '0' || c > '9') {
        valid = false;
        break;
      }
      const uint64_t digit = static_cast<uint64_t>(c - '0');
      if (value > (UINT64_MAX - digit) / 10) {
        valid = false;  // ERANGE
        break;
      }
      value = value * 10 + digit;
    }
    if (valid) *cursor = negative ? 0 - value : value;
  } else if (valid) {
    *cursor = 0;
  }
  if (!valid) ctx.reply.Error("ERR invalid cursor");
  return valid;
}

bool ParseScanOptions(CommandContext& ctx, size_t first, ScanOptions* options) {
  for (size_t i = first; i < ctx.argc(); i += 2) {
    const std::string_view opt = ctx.args[i];
    const bool has_value = i + 1 < ctx.argc();
    if (has_value && EqualsIgnoreCase(opt, "count")) {
      int64_t count = 0;
      if (!engine::ParseInt64(ctx.args[i + 1], &count)) {
        ctx.reply.Error(engine::kErrNotInteger);
        return false;
      }
      if (count < 1) {
        ctx.reply.Error("ERR syntax error");
        return false;
      }
      options->count = static_cast<size_t>(count);
    } else if (has_value && EqualsIgnoreCase(opt, "match")) {
      options->pattern = ctx.args[i + 1];
      options->use_pattern = !engine::IsMatchAll(options->pattern);
    } else {
      ctx.reply.Error("ERR syntax error");
      return false;
    }
  }
  return true;
}

bool ScanMatches(const ScanOptions& options, std::string_view element) {
  return !options.use_pattern || engine::GlobMatch(options.pattern, element);
}

void ReplyScan(CommandContext& ctx, uint64_t next_cursor, const std::vector<std::string>& elems) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next_cursor));
  ctx.reply.ArrayHeader(elems.size());
  for (const std::string& s : elems) ctx.reply.Bulk(s);
}

void ReplyEmptyScan(CommandContext& ctx) { ReplyScan(ctx, 0, {}); }

bool ParseRandomCount(CommandContext& ctx, std::string_view arg, int64_t* count) {
  if (!engine::ParseInt64(arg, count)) {
    ctx.reply.Error(engine::kErrNotInteger);
    return false;
  }
  if (*count == INT64_MIN) {
    ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return false;
  }
  return true;
}

bool CheckRandomRepeats(CommandContext& ctx, int64_t count) {
  if (count < 0 && static_cast<uint64_t>(-count) > kMaxRandomRepeats) {
    ctx.reply.Error("ERR value is out of range");
    return false;
  }
  return true;
}

}  // namespace slotproxy::server::hash_set

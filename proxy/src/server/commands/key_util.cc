#include "server/commands/key_util.h"

#include <string>

#include "engine/errors.h"
#include "engine/numbers.h"

namespace slotproxy::server::keyutil {

bool IsKeyword(std::string_view arg, std::string_view keyword) {
  const size_t nul = arg.find('\0');
  if (nul != std::string_view::npos) arg = arg.substr(0, nul);
  if (arg.size() != keyword.size()) return false;
  for (size_t i = 0; i < arg.size(); ++i) {
    char c = arg[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != keyword[i]) return false;
  }
  return true;
}

std::string CommandName(const CommandContext& ctx) {
  if (ctx.info != nullptr) return std::string(ctx.info->name);
  std::string name(ctx.args.empty() ? std::string_view() : ctx.args[0]);
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

void ReplyInvalidExpireTime(CommandContext& ctx) {
  ctx.reply.Error("ERR invalid expire time in '" + CommandName(ctx) + "' command");
}

void PropagateAs(CommandContext& ctx, std::initializer_list<std::string_view> args) {
  ctx.events.Propagate(std::span<const std::string_view>(args.begin(), args.size()));
  ctx.MarkPropagated();
  ctx.MarkDirty();
}

bool ParseExpireArg(CommandContext& ctx, std::string_view arg, bool seconds, bool relative,
                    int64_t* when_ms) {
  int64_t ms = 0;
  if (!engine::ParseInt64(arg, &ms)) {
    ctx.reply.Error(engine::kErrNotInteger);
    return false;
  }
  if (ms <= 0 || (seconds && ms > INT64_MAX / 1000)) {
    ReplyInvalidExpireTime(ctx);
    return false;
  }
  if (seconds) ms *= 1000;
  // Redis adds the base time and rejects a result that wrapped to <= 0.
  if (relative && __builtin_add_overflow(ms, ctx.now_ms, &ms)) {
    ReplyInvalidExpireTime(ctx);
    return false;
  }
  *when_ms = ms;
  return true;
}

}  // namespace slotproxy::server::keyutil

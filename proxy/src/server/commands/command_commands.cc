// COMMAND and its subcommands (COUNT INFO DOCS GETKEYS GETKEYSANDFLAGS LIST), encoding the
// command module's reply trees in the client's protocol.
#include <string>
#include <string_view>
#include <vector>

#include "command/command_reply.h"
#include "command/command_table.h"
#include "command/key_extraction.h"
#include "engine/glob.h"
#include "server/handler_registry.h"
#include "server/server_strings.h"

namespace slotproxy::server {
namespace {

using command::ReplyKind;
using command::ReplyNode;

// Encodes the pre-order tree starting at nodes[*i]; advances *i past it.
void EncodeNode(std::span<const ReplyNode> nodes, size_t* i, resp::Encoder& out) {
  const ReplyNode& n = nodes[(*i)++];
  switch (n.kind) {
    case ReplyKind::kSimpleString:
      out.SimpleString(n.str);
      return;
    case ReplyKind::kBulkString:
      out.Bulk(n.str);
      return;
    case ReplyKind::kInteger:
      out.Integer(n.value);
      return;
    case ReplyKind::kNull:
      out.Null();
      return;
    case ReplyKind::kArray:
      out.ArrayHeader(static_cast<size_t>(n.value));
      break;
    case ReplyKind::kMap:
      out.MapHeader(static_cast<size_t>(n.value));
      break;
    case ReplyKind::kSet:
      out.SetHeader(static_cast<size_t>(n.value));
      break;
  }
  int64_t children = n.DirectChildren();
  for (int64_t c = 0; c < children && *i < nodes.size(); ++c) EncodeNode(nodes, i, out);
}

// Encodes a whole reply (one root node and its subtree).
void EncodeTree(std::span<const ReplyNode> nodes, resp::Encoder& out) {
  size_t i = 0;
  if (!nodes.empty()) EncodeNode(nodes, &i, out);
}

const command::CommandTable& Table() { return command::CommandTable::BuiltIn(); }

void Command(ServerContext& ctx) {
  EncodeTree(command::BuildCommandInfoReply(Table(), {}), ctx.cmd.reply);
}

void CommandCount(ServerContext& ctx) {
  ctx.cmd.reply.Integer(static_cast<int64_t>(Table().Count()));
}

void CommandInfo(ServerContext& ctx) {
  EncodeTree(command::BuildCommandInfoReply(Table(), ctx.cmd.args.subspan(2)), ctx.cmd.reply);
}

void CommandDocs(ServerContext& ctx) {
  EncodeTree(command::BuildCommandDocsReply(Table(), ctx.cmd.args.subspan(2)), ctx.cmd.reply);
}

void GetKeys(ServerContext& ctx, bool with_flags) {
  auto args = ctx.cmd.args.subspan(2);
  auto keys = command::CommandGetKeys(Table(), args);
  if (!keys.ok()) {
    ctx.cmd.reply.Error(keys.status().message());
    return;
  }
  EncodeTree(command::BuildGetKeysReply(args, keys.value(), with_flags), ctx.cmd.reply);
}

void CommandGetKeys(ServerContext& ctx) { GetKeys(ctx, false); }
void CommandGetKeysAndFlags(ServerContext& ctx) { GetKeys(ctx, true); }

void CommandList(ServerContext& ctx) {
  auto& c = ctx.cmd;
  std::function<bool(const command::CommandInfo&)> filter;
  for (size_t i = 2; i < c.argc(); ++i) {
    size_t more = c.argc() - 1 - i;
    if (!EqualsIgnoreCase(c.args[i], "filterby") || more != 2) {
      c.reply.Error("ERR syntax error");
      return;
    }
    std::string_view type = c.args[i + 1];
    std::string arg(c.args[i + 2]);
    if (EqualsIgnoreCase(type, "module")) {
      filter = [](const command::CommandInfo&) { return false; };  // no modules here
    } else if (EqualsIgnoreCase(type, "aclcat")) {
      uint32_t bit = 0;
      auto names = command::AclCategoryNames();
      for (size_t b = 0; b < names.size(); ++b) {
        if (EqualsIgnoreCase(names[b].substr(1), arg)) bit = 1u << b;
      }
      filter = [bit](const command::CommandInfo& info) { return (info.acl_categories & bit) != 0; };
    } else if (EqualsIgnoreCase(type, "pattern")) {
      filter = [arg](const command::CommandInfo& info) {
        return engine::GlobMatch(arg, info.name, /*nocase=*/true);
      };
    } else {
      c.reply.Error("ERR syntax error");
      return;
    }
    i += 2;
  }
  EncodeTree(command::BuildCommandListReply(Table(), filter), c.reply);
}

constexpr ServerHandlerRow kRows[] = {
    {"command", &Command},
    {"command|count", &CommandCount},
    {"command|info", &CommandInfo},
    {"command|docs", &CommandDocs},
    {"command|getkeys", &CommandGetKeys},
    {"command|getkeysandflags", &CommandGetKeysAndFlags},
    {"command|list", &CommandList},
};

}  // namespace

std::span<const ServerHandlerRow> CommandCommandHandlers() { return kRows; }

}  // namespace slotproxy::server

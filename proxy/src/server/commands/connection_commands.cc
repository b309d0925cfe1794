// Connection-level commands (Redis 7.0 bytes, RESP2 and RESP3): PING ECHO QUIT RESET HELLO AUTH
// CLIENT SELECT ASKING READONLY READWRITE.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.h"
#include "engine/numbers.h"
#include "server/client.h"
#include "server/handler_registry.h"
#include "server/server_strings.h"
#include "server/shard.h"

namespace slotproxy::server {
namespace {

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

void Ping(ServerContext& ctx) {
  auto& c = ctx.cmd;
  if (c.argc() > 2) {
    c.reply.Error(command::WrongArityError(*c.info));
    return;
  }
  if (ctx.client.subscriptions().Any() && c.client.protocol == resp::Protocol::kResp2) {
    c.reply.ArrayHeader(2);
    c.reply.Bulk("pong");
    c.reply.Bulk(c.argc() == 1 ? std::string_view() : c.args[1]);
    return;
  }
  if (c.argc() == 1) {
    c.reply.SimpleString("PONG");
  } else {
    c.reply.Bulk(c.args[1]);
  }
}

void Echo(ServerContext& ctx) { ctx.cmd.reply.Bulk(ctx.cmd.args[1]); }

void Quit(ServerContext& ctx) {
  ctx.cmd.reply.SimpleString("OK");
  ctx.client.CloseAfterReply();
}

void Reset(ServerContext& ctx) {
  Client& client = ctx.client;
  ClientState& st = client.state();
  client.multi().Reset();
  ctx.shard.watches().UnwatchAll(&client);
  ctx.shard.pubsub().UnsubscribeAll(&client);
  st.protocol = resp::Protocol::kResp2;
  st.name.clear();
  st.asking = false;
  st.readonly = false;
  client.SetAuthenticated(!ctx.shard.requires_auth());
  // The reply goes out in the protocol just restored, as in Redis (the same bytes in both).
  resp::Encoder reply = client.Encoder();
  reply.SimpleString("RESET");
}

// Redis's ACLAuthenticateUser for the default user only: its password is requirepass
// (nopass when empty); other users do not exist.
bool CheckPassword(const Shard& shard, std::string_view user, std::string_view pass) {
  if (user != "default") return false;
  const std::string& required = shard.options().requirepass;
  return required.empty() || pass == required;
}

void Auth(ServerContext& ctx) {
  auto& c = ctx.cmd;
  if (c.argc() > 3) {
    c.reply.Error("ERR syntax error");
    return;
  }
  std::string_view user = "default";
  std::string_view pass;
  if (c.argc() == 2) {
    if (!ctx.shard.requires_auth()) {
      c.reply.Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
      return;
    }
    pass = c.args[1];
  } else {
    user = c.args[1];
    pass = c.args[2];
  }
  if (!CheckPassword(ctx.shard, user, pass)) {
    c.reply.Error(kWrongPass);
    return;
  }
  ctx.client.SetAuthenticated(true);
  c.reply.SimpleString("OK");
}

// Redis's validateClientName / validateClientAttr: printable ASCII without spaces.
bool ValidClientAttr(std::string_view s) {
  for (char ch : s) {
    if (ch < '!' || ch > '~') return false;
  }
  return true;
}

constexpr std::string_view kBadName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

void Hello(ServerContext& ctx) {
  auto& c = ctx.cmd;
  int64_t ver = 0;
  size_t next = 1;
  if (c.argc() >= 2) {
    if (!engine::ParseInt64(c.args[next++], &ver)) {
      c.reply.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (ver < 2 || ver > 3) {
      c.reply.Error("NOPROTO unsupported protocol version");
      return;
    }
  }
  std::string_view user, pass, name;
  bool have_auth = false, have_name = false;
  for (size_t j = next; j < c.argc(); ++j) {
    size_t more = c.argc() - 1 - j;
    if (EqualsIgnoreCase(c.args[j], "AUTH") && more >= 2) {
      user = c.args[j + 1];
      pass = c.args[j + 2];
      have_auth = true;
      j += 2;
    } else if (EqualsIgnoreCase(c.args[j], "SETNAME") && more >= 1) {
      name = c.args[j + 1];
      have_name = true;
      if (!ValidClientAttr(name) && !name.empty()) {
        c.reply.Error(kBadName);
        return;
      }
      ++j;
    } else {
      c.reply.Error("ERR Syntax error in HELLO option '" + std::string(c.args[j]) + "'");
      return;
    }
  }
  if (have_auth) {
    if (!CheckPassword(ctx.shard, user, pass)) {
      c.reply.Error(kWrongPass);
      return;
    }
    ctx.client.SetAuthenticated(true);
  }
  if (!c.client.authenticated) {
    c.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
        "protocol version at the same time");
    return;
  }
  if (have_name) c.client.name = std::string(name);
  if (ver != 0) c.client.protocol = static_cast<resp::Protocol>(ver);
  resp::Encoder reply = ctx.client.Encoder();  // in the protocol just chosen
  reply.MapHeader(7);
  reply.Bulk("server");
  reply.Bulk("redis");
  reply.Bulk("version");
  reply.Bulk("7.0.15");
  reply.Bulk("proto");
  reply.Integer(static_cast<int>(c.client.protocol));
  reply.Bulk("id");
  reply.Integer(static_cast<int64_t>(c.client.id));
  reply.Bulk("mode");
  reply.Bulk("cluster");
  reply.Bulk("role");
  reply.Bulk("master");
  reply.Bulk("modules");
  reply.ArrayHeader(0);
}

void Select(ServerContext& ctx) {
  auto& c = ctx.cmd;
  int64_t id = 0;
  if (!engine::ParseInt64(c.args[1], &id)) {
    c.reply.Error("ERR value is not an integer or out of range");
    return;
  }
  if (id < INT32_MIN || id > INT32_MAX) {
    c.reply.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return;
  }
  if (id != 0) {
    c.reply.Error("ERR SELECT is not allowed in cluster mode");
    return;
  }
  c.reply.SimpleString("OK");
}

void Asking(ServerContext& ctx) {
  ctx.cmd.client.asking = true;
  ctx.cmd.reply.SimpleString("OK");
}

void ReadOnly(ServerContext& ctx) {
  ctx.cmd.client.readonly = true;
  ctx.cmd.reply.SimpleString("OK");
}

void ReadWrite(ServerContext& ctx) {
  ctx.cmd.client.readonly = false;
  ctx.cmd.reply.SimpleString("OK");
}

void ClientId(ServerContext& ctx) {
  ctx.cmd.reply.Integer(static_cast<int64_t>(ctx.cmd.client.id));
}

void ClientGetName(ServerContext& ctx) {
  if (ctx.cmd.client.name.empty()) {
    ctx.cmd.reply.Null();
  } else {
    ctx.cmd.reply.Bulk(ctx.cmd.client.name);
  }
}

void ClientSetName(ServerContext& ctx) {
  std::string_view name = ctx.cmd.args[2];
  if (!ValidClientAttr(name)) {
    ctx.cmd.reply.Error(kBadName);
    return;
  }
  ctx.cmd.client.name = std::string(name);
  ctx.cmd.reply.SimpleString("OK");
}

// CLIENT SETINFO (Redis 7.2; accepted here because clients send it on connect).
void ClientSetInfo(ServerContext& ctx) {
  auto& c = ctx.cmd;
  std::string_view attr = c.args[2];
  std::string* dest = nullptr;
  if (EqualsIgnoreCase(attr, "lib-name")) {
    dest = &c.client.lib_name;
  } else if (EqualsIgnoreCase(attr, "lib-ver")) {
    dest = &c.client.lib_ver;
  } else {
    c.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
    return;
  }
  if (!ValidClientAttr(c.args[3])) {
    c.reply.Error("ERR " + std::string(attr) +
                  " cannot contain spaces, newlines or special characters.");
    return;
  }
  *dest = std::string(c.args[3]);
  c.reply.SimpleString("OK");
}

void ClientInfo(ServerContext& ctx) {
  ctx.cmd.reply.Verbatim(ctx.client.InfoLine(ctx.cmd.now_ms) + "\n");
}

void ClientList(ServerContext& ctx) {
  auto& c = ctx.cmd;
  bool only_pubsub = false, only_normal = false;
  std::vector<uint64_t> ids;
  for (size_t j = 2; j < c.argc(); ++j) {
    size_t more = c.argc() - 1 - j;
    if (EqualsIgnoreCase(c.args[j], "TYPE") && more >= 1) {
      std::string_view type = c.args[++j];
      if (EqualsIgnoreCase(type, "normal")) {
        only_normal = true;
      } else if (EqualsIgnoreCase(type, "pubsub")) {
        only_pubsub = true;
      } else if (EqualsIgnoreCase(type, "master") || EqualsIgnoreCase(type, "replica") ||
                 EqualsIgnoreCase(type, "slave")) {
        ids.push_back(0);  // no such clients here
      } else {
        c.reply.Error("ERR Unknown client type '" + std::string(type) + "'");
        return;
      }
    } else if (EqualsIgnoreCase(c.args[j], "ID") && more >= 1) {
      for (++j; j < c.argc(); ++j) {
        int64_t id = 0;
        if (!engine::ParseInt64(c.args[j], &id) || id <= 0) {
          c.reply.Error("ERR Invalid client ID");
          return;
        }
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      c.reply.Error("ERR syntax error");
      return;
    }
  }
  std::string text;
  for (const auto& [id, client] : ctx.shard.clients()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    bool pubsub = client->subscriptions().Any();
    if ((only_pubsub && !pubsub) || (only_normal && pubsub)) continue;
    text += client->InfoLine(c.now_ms);
    text += '\n';
  }
  c.reply.Verbatim(text);
}

constexpr ServerHandlerRow kRows[] = {
    {"ping", &Ping},
    {"echo", &Echo},
    {"quit", &Quit},
    {"reset", &Reset},
    {"auth", &Auth},
    {"hello", &Hello},
    {"select", &Select},
    {"asking", &Asking},
    {"readonly", &ReadOnly},
    {"readwrite", &ReadWrite},
    {"client|id", &ClientId},
    {"client|getname", &ClientGetName},
    {"client|setname", &ClientSetName},
    {"client|setinfo", &ClientSetInfo},
    {"client|info", &ClientInfo},
    {"client|list", &ClientList},
};

}  // namespace

std::span<const ServerHandlerRow> ConnectionHandlers() { return kRows; }

}  // namespace slotproxy::server

#include "session/local_commands.h"

#include <fnmatch.h>
#include <strings.h>

#include <atomic>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "command/command_reply.h"
#include "command/key_extraction.h"
#include "command/reply_node.h"
#include "command/routing.h"
#include "metrics/slowlog_command.h"

namespace slotproxy::session {
namespace {

using command::CommandInfo;
using Args = std::span<const std::string_view>;

constexpr std::string_view kSyntaxError = "ERR syntax error";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Redis's string2ll: optional '-', no '+', no leading zeros or spaces, fits in int64.
std::optional<int64_t> StrictInt64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  const size_t digits = s[0] == '-' ? 1 : 0;
  if (digits == s.size()) return std::nullopt;
  if (s[digits] == '0' && s.size() != 1) return std::nullopt;  // "01", "-0"
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// Encodes the pre-order ReplyNode tree starting at nodes[*index]; advances *index past it.
void EncodeNode(std::span<const command::ReplyNode> nodes, size_t* index, resp::Encoder& out) {
  const command::ReplyNode& node = nodes[(*index)++];
  switch (node.kind) {
    case command::ReplyKind::kSimpleString:
      out.SimpleString(node.str);
      return;
    case command::ReplyKind::kBulkString:
      out.Bulk(node.str);
      return;
    case command::ReplyKind::kInteger:
      out.Integer(node.value);
      return;
    case command::ReplyKind::kNull:
      out.Null();
      return;
    case command::ReplyKind::kArray:
      out.ArrayHeader(static_cast<size_t>(node.value));
      break;
    case command::ReplyKind::kMap:
      out.MapHeader(static_cast<size_t>(node.value));
      break;
    case command::ReplyKind::kSet:
      out.SetHeader(static_cast<size_t>(node.value));
      break;
  }
  const int64_t children = node.DirectChildren();
  for (int64_t i = 0; i < children && *index < nodes.size(); ++i) EncodeNode(nodes, index, out);
}

void EncodeTree(std::span<const command::ReplyNode> nodes, resp::Encoder& out) {
  size_t index = 0;
  if (nodes.empty()) {
    out.ArrayHeader(0);
    return;
  }
  EncodeNode(nodes, &index, out);
}

// ---- PING ECHO SELECT QUIT RESET ROLE AUTH HELLO ----

void Ping(const CommandInfo& info, Args args, resp::Encoder& out) {
  if (args.size() > 2) return out.Error(command::WrongArityError(info));
  if (args.size() == 1) return out.SimpleString("PONG");
  out.Bulk(args[1]);
}

void Select(Args args, resp::Encoder& out) {
  std::optional<int64_t> id = StrictInt64(args[1]);
  if (!id) return out.Error(kNotInteger);
  if (*id < INT32_MIN || *id > INT32_MAX) {
    return out.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
  }
  // One database: a standalone Redis with `databases 1` (see the header).
  if (*id != 0) return out.Error("ERR DB index is out of range");
  out.SimpleString("OK");
}

// AUTH [username] password. Without an access table the proxy behaves as Redis with no
// password: the default user has nopass, "AUTH default <anything>" succeeds, no other user.
void Auth(Args args, const LocalContext& ctx, LocalSession& session, resp::Encoder& out) {
  if (args.size() > 3) return out.Error(kSyntaxError);
  const std::string_view user = args.size() == 3 ? args[1] : std::string_view("default");
  const std::string_view password = args.back();
  if (ctx.access == nullptr) {
    if (args.size() == 2) return out.Error(auth::kAuthWithoutPasswordError);
    if (user != "default") return out.Error(kWrongPass);
    session.user = "default";
    session.authenticated = true;
    return out.SimpleString("OK");
  }
  if (args.size() == 2 && ctx.access->DefaultUser().nopass()) {
    return out.Error(auth::kAuthWithoutPasswordError);
  }
  Result<const auth::User*> found = ctx.access->Authenticate(user, password);
  if (!found.ok()) return out.Error(found.status().message());
  session.acl_user = found.value();
  session.user = std::string(found.value()->name());
  session.authenticated = true;
  out.SimpleString("OK");
}

void HelloReply(const LocalContext& ctx, const LocalSession& session, resp::Encoder& out) {
  out.MapHeader(7);
  out.Bulk("server");
  out.Bulk("redis");
  out.Bulk("version");
  out.Bulk(ctx.redis_version);
  out.Bulk("proto");
  out.Integer(static_cast<int64_t>(session.protocol));
  out.Bulk("id");
  out.Integer(static_cast<int64_t>(session.id));
  out.Bulk("mode");
  out.Bulk("standalone");
  out.Bulk("role");
  out.Bulk("master");
  out.Bulk("modules");
  out.ArrayHeader(0);
}

// HELLO [protover [AUTH username password] [SETNAME clientname]], in helloCommand's order:
// version, options, credentials, name, then the protocol switch; the reply is in the new one.
void Hello(Args args, const LocalContext& ctx, LocalSession& session, resp::Encoder& out) {
  int64_t version = 0;
  if (args.size() >= 2) {
    std::optional<int64_t> parsed = StrictInt64(args[1]);
    if (!parsed) return out.Error("ERR Protocol version is not an integer or out of range");
    version = *parsed;
    if (version < 2 || version > 3 || (version == 3 && !ctx.allow_resp3)) {
      return out.Error("NOPROTO unsupported protocol version");
    }
  }
  std::optional<std::string_view> user;
  std::optional<std::string_view> password;
  std::optional<std::string_view> name;
  for (size_t j = 2; j < args.size(); ++j) {
    const size_t more = args.size() - 1 - j;
    if (EqualsNoCase(args[j], "AUTH") && more >= 2) {
      user = args[j + 1];
      password = args[j + 2];
      j += 2;
    } else if (EqualsNoCase(args[j], "SETNAME") && more >= 1) {
      name = args[j + 1];
      j += 1;
    } else {
      return out.Error("ERR Syntax error in HELLO option '" + std::string(args[j]) + "'");
    }
  }
  if (!user && !session.authenticated) {
    return out.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
        "protocol version at the same time");
  }
  if (user) {
    if (ctx.access == nullptr) {
      if (*user != "default") return out.Error(kWrongPass);
      session.user = "default";
    } else {
      Result<const auth::User*> found = ctx.access->Authenticate(*user, *password);
      if (!found.ok()) return out.Error(found.status().message());
      session.acl_user = found.value();
      session.user = std::string(found.value()->name());
    }
    session.authenticated = true;
  }
  if (name) {
    if (!ValidClientAttribute(*name)) return out.Error(kBadClientName);
    session.name = std::string(*name);
  }
  if (version != 0) session.protocol = static_cast<resp::Protocol>(version);
  resp::Encoder reply(out.out(), session.protocol);
  HelloReply(ctx, session, reply);
}

// RESET: Redis's clearClientConnectionState: back to the default user, authenticated only when
// it needs no password.
void Reset(const LocalContext& ctx, LocalSession& session, resp::Encoder& out) {
  session.name.clear();
  session.protocol = resp::Protocol::kResp2;
  session.user = "default";
  if (ctx.access != nullptr) {
    session.acl_user = &ctx.access->DefaultUser();
    session.authenticated = !ctx.access->RequiresAuth();
  }
  out.SimpleString("RESET");
}

void Role(resp::Encoder& out) {
  out.ArrayHeader(3);
  out.Bulk("master");
  out.Integer(0);
  out.ArrayHeader(0);
}

// ---- CONFIG GET ----

struct ConfigEntry {
  std::string_view name;
  std::string_view value;
};

// The settings clients probe (redis-benchmark: save, appendonly; BullMQ: maxmemory-policy). The
// proxy keeps no data itself, and one logical database spans the fleet.
constexpr ConfigEntry kConfig[] = {
    {"save", ""},       {"appendonly", "no"},
    {"maxmemory", "0"}, {"maxmemory-policy", "noeviction"},
    {"databases", "1"},
};

// Redis's stringmatch(pattern, name, nocase=1), via fnmatch (same *, ?, [...], [^...] and
// escapes for the config names involved, which hold no '/' or leading '.').
bool GlobMatchNoCase(std::string_view pattern, std::string_view name) {
  const std::string p(pattern.substr(0, pattern.find('\0')));
  const std::string n(name);
  return fnmatch(p.c_str(), n.c_str(), FNM_CASEFOLD) == 0;
}

// CONFIG GET pattern...: an exact name is echoed as typed; a pattern lists the canonical names
// it matches; each setting at most once (Redis keeps them in a dict).
void ConfigGet(Args args, resp::Encoder& out) {
  std::vector<std::pair<std::string_view, std::string_view>> matches;
  std::vector<bool> taken(std::size(kConfig), false);
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const bool pattern = arg.find_first_of("[*?") != std::string_view::npos;
    for (size_t c = 0; c < std::size(kConfig); ++c) {
      if (taken[c]) continue;
      const bool match =
          pattern ? GlobMatchNoCase(arg, kConfig[c].name) : EqualsNoCase(arg, kConfig[c].name);
      if (!match) continue;
      taken[c] = true;
      matches.emplace_back(pattern ? kConfig[c].name : arg, kConfig[c].value);
    }
  }
  out.MapHeader(matches.size());
  for (const auto& [name, value] : matches) {
    out.Bulk(name);
    out.Bulk(value);
  }
}

// ---- COMMAND ----

void CommandList(Args args, const command::CommandTable& table, resp::Encoder& out) {
  if (args.size() == 2) return EncodeTree(command::BuildCommandListReply(table), out);
  if (args.size() != 5 || !EqualsNoCase(args[2], "FILTERBY")) return out.Error(kSyntaxError);
  const std::string_view kind = args[3];
  const std::string_view value = args[4];
  std::function<bool(const CommandInfo&)> filter;
  if (EqualsNoCase(kind, "MODULE")) {
    filter = [](const CommandInfo&) { return false; };  // the proxy loads no modules
  } else if (EqualsNoCase(kind, "ACLCAT")) {
    uint32_t bit = 0;
    const auto names = command::AclCategoryNames();
    for (size_t i = 0; i < names.size(); ++i) {
      if (EqualsNoCase(names[i].substr(1), value)) bit = 1u << i;
    }
    filter = [bit](const CommandInfo& info) { return (info.acl_categories & bit) != 0; };
  } else if (EqualsNoCase(kind, "PATTERN")) {
    filter = [value](const CommandInfo& info) { return GlobMatchNoCase(value, info.name); };
  } else {
    return out.Error(kSyntaxError);
  }
  EncodeTree(command::BuildCommandListReply(table, filter), out);
}

void CommandGetKeys(Args args, bool with_flags, const command::CommandTable& table,
                    resp::Encoder& out) {
  const Args target = args.subspan(2);
  Result<command::KeyRefs> keys = command::CommandGetKeys(table, target);
  if (!keys.ok()) return out.Error(keys.status().message());
  EncodeTree(command::BuildGetKeysReply(target, keys.value(), with_flags), out);
}

void Command(const CommandInfo& info, Args args, const command::CommandTable& table,
             resp::Encoder& out) {
  if (args.size() == 1) return EncodeTree(command::BuildCommandInfoReply(table, {}), out);
  const std::string_view sub = info.ShortName();
  if (sub == "count") return out.Integer(static_cast<int64_t>(table.Count()));
  if (sub == "info") return EncodeTree(command::BuildCommandInfoReply(table, args.subspan(2)), out);
  if (sub == "docs") return EncodeTree(command::BuildCommandDocsReply(table, args.subspan(2)), out);
  if (sub == "getkeys") return CommandGetKeys(args, false, table, out);
  if (sub == "getkeysandflags") return CommandGetKeys(args, true, table, out);
  if (sub == "list") return CommandList(args, table, out);
  out.Error(command::UnsupportedError(info));
}

// ---- CLIENT ----

void AppendField(std::string* line, std::string_view key, std::string_view value) {
  if (!line->empty()) line->push_back(' ');
  line->append(key);
  line->push_back('=');
  line->append(value);
}

void AppendField(std::string* line, std::string_view key, int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  AppendField(line, key, std::string_view(digits, static_cast<size_t>(end - digits)));
}

// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id...], for the calling worker's clients
// (the session gathers every worker's through its registry instead when it has one).
void ClientList(Args args, const LocalContext& ctx, const LocalSession& self, resp::Encoder& out) {
  Result<ClientFilter> filter = ParseClientFilter(false, args, ctx);
  if (!filter.ok()) return out.Error(filter.status().message());
  std::string text;
  auto visit = [&](const LocalSession& s) {
    if (!filter.value().Matches(s)) return;
    text.append(ClientInfoLine(s, ctx.now_ms));
    text.push_back('\n');
  };
  if (ctx.for_each_client) {
    ctx.for_each_client(visit);
  } else {
    visit(self);
  }
  out.Verbatim(text);
}

bool ParseType(std::string_view type, ClientFilter* f) {
  if (EqualsNoCase(type, "normal") || EqualsNoCase(type, "pubsub")) {
    f->pubsub = EqualsNoCase(type, "pubsub");
    return true;
  }
  if (EqualsNoCase(type, "master") || EqualsNoCase(type, "replica") ||
      EqualsNoCase(type, "slave")) {
    f->none = true;
    return true;
  }
  return false;
}

Result<ClientFilter> ParseClientList(Args args) {
  ClientFilter f;
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsNoCase(args[i], "TYPE") && i + 1 < args.size()) {
      const std::string_view type = args[++i];
      if (!ParseType(type, &f)) {
        return Status::Error("ERR Unknown client type '" + std::string(type) + "'");
      }
    } else if (EqualsNoCase(args[i], "ID") && i + 1 < args.size()) {
      for (++i; i < args.size(); ++i) {
        std::optional<int64_t> id = StrictInt64(args[i]);
        if (!id || *id <= 0) return Status::Error("ERR Invalid client ID");
        f.ids.push_back(static_cast<uint64_t>(*id));
      }
    } else {
      return Status::Error(std::string(kSyntaxError));
    }
  }
  return f;
}

Result<ClientFilter> ParseClientKill(Args args, const LocalContext& ctx) {
  ClientFilter f;
  f.kill = true;
  if (args.size() == 3) {
    f.old_form = true;
    f.skip_me = false;  // the old form may kill the caller
    f.addr = std::string(args[2]);
    return f;
  }
  if (args.size() % 2 != 0) return Status::Error(std::string(kSyntaxError));
  for (size_t i = 2; i + 1 < args.size(); i += 2) {
    const std::string_view key = args[i];
    const std::string_view value = args[i + 1];
    if (EqualsNoCase(key, "id")) {
      std::optional<int64_t> id = StrictInt64(value);
      if (!id) return Status::Error(std::string(kNotInteger));
      if (*id < 1) return Status::Error("ERR client-id should be greater than 0");
      f.ids.assign(1, static_cast<uint64_t>(*id));
    } else if (EqualsNoCase(key, "type")) {
      if (!ParseType(value, &f)) {
        return Status::Error("ERR Unknown client type '" + std::string(value) + "'");
      }
    } else if (EqualsNoCase(key, "addr")) {
      f.addr = std::string(value);
    } else if (EqualsNoCase(key, "laddr")) {
      f.laddr = std::string(value);
    } else if (EqualsNoCase(key, "user")) {
      const bool known =
          ctx.access != nullptr ? ctx.access->FindUser(value) != nullptr : value == "default";
      if (!known) return Status::Error("ERR No such user '" + std::string(value) + "'");
      f.user = std::string(value);
    } else if (EqualsNoCase(key, "skipme")) {
      if (EqualsNoCase(value, "yes")) {
        f.skip_me = true;
      } else if (EqualsNoCase(value, "no")) {
        f.skip_me = false;
      } else {
        return Status::Error(std::string(kSyntaxError));
      }
    } else {
      return Status::Error(std::string(kSyntaxError));
    }
  }
  return f;
}

void ClientSetInfo(Args args, LocalSession& session, resp::Encoder& out) {
  const std::string_view attr = args[2];
  std::string* target = nullptr;
  if (EqualsNoCase(attr, "lib-name")) {
    target = &session.lib_name;
  } else if (EqualsNoCase(attr, "lib-ver")) {
    target = &session.lib_ver;
  } else {
    return out.Error("ERR Unrecognized option '" + std::string(attr) + "'");
  }
  if (!ValidClientAttribute(args[3])) {
    return out.Error("ERR " + std::string(attr) +
                     " cannot contain spaces, newlines or special characters.");
  }
  *target = std::string(args[3]);
  out.SimpleString("OK");
}

void Client(const CommandInfo& info, Args args, const LocalContext& ctx, LocalSession& session,
            resp::Encoder& out) {
  const std::string_view sub = info.ShortName();
  if (sub == "id") return out.Integer(static_cast<int64_t>(session.id));
  if (sub == "getname") {
    if (session.name.empty()) return out.Null();
    return out.Bulk(session.name);
  }
  if (sub == "setname") {
    if (!ValidClientAttribute(args[2])) return out.Error(kBadClientName);
    session.name = std::string(args[2]);
    return out.SimpleString("OK");
  }
  if (sub == "setinfo") return ClientSetInfo(args, session, out);
  if (sub == "info") return out.Verbatim(ClientInfoLine(session, ctx.now_ms) + "\n");
  if (sub == "list") return ClientList(args, ctx, session, out);
  if (sub == "no-evict") {
    if (EqualsNoCase(args[2], "on") || EqualsNoCase(args[2], "off")) {
      return out.SimpleString("OK");
    }
    return out.Error(kSyntaxError);
  }
  out.Error(command::UnsupportedError(info));
}

void Acl(const CommandInfo& info, const LocalContext& ctx, LocalSession& session,
         resp::Encoder& out) {
  const std::string_view sub = info.ShortName();
  if (sub == "whoami") return out.Bulk(session.user);
  if (sub == "users") {
    if (ctx.access == nullptr) {
      out.ArrayHeader(1);
      return out.Bulk("default");
    }
    const std::vector<std::string_view> names = ctx.access->UserNames();
    out.ArrayHeader(names.size());
    for (std::string_view name : names) out.Bulk(name);
    return;
  }
  out.Error(command::UnsupportedError(info));
}

}  // namespace

bool ClientFilter::Matches(const LocalSession& s) const {
  if (none) return false;
  if (pubsub && *pubsub != (s.sub + s.psub + s.ssub > 0)) return false;
  if (!ids.empty() && std::find(ids.begin(), ids.end(), s.id) == ids.end()) return false;
  if (addr && *addr != s.addr) return false;
  if (laddr && *laddr != s.laddr) return false;
  if (user && *user != s.user) return false;
  return true;
}

Result<ClientFilter> ParseClientFilter(bool kill, Args args, const LocalContext& ctx) {
  return kill ? ParseClientKill(args, ctx) : ParseClientList(args);
}

uint64_t NextClientId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool ValidClientAttribute(std::string_view value) {
  for (char c : value) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

std::string ClientInfoLine(const LocalSession& s, uint64_t now_ms) {
  const auto seconds = [now_ms](uint64_t since) {
    return static_cast<int64_t>(now_ms > since ? (now_ms - since) / 1000 : 0);
  };
  std::string line;
  line.reserve(320);
  AppendField(&line, "id", static_cast<int64_t>(s.id));
  AppendField(&line, "addr", s.addr);
  AppendField(&line, "laddr", s.laddr);
  AppendField(&line, "fd", s.fd);
  AppendField(&line, "name", s.name);
  AppendField(&line, "age", seconds(s.created_ms));
  AppendField(&line, "idle", seconds(s.last_ms));
  std::string flags;
  if (s.sub + s.psub + s.ssub > 0) flags.push_back('P');
  if (s.multi >= 0) flags.push_back('x');
  if (s.blocked) flags.push_back('b');
  AppendField(&line, "flags", flags.empty() ? std::string_view("N") : std::string_view(flags));
  line.append(" db=0");
  AppendField(&line, "sub", static_cast<int64_t>(s.sub));
  AppendField(&line, "psub", static_cast<int64_t>(s.psub));
  AppendField(&line, "ssub", static_cast<int64_t>(s.ssub));
  AppendField(&line, "multi", s.multi);
  AppendField(&line, "qbuf", static_cast<int64_t>(s.query_buffer));
  line.append(" qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0");
  AppendField(&line, "omem", static_cast<int64_t>(s.output_bytes));
  line.append(" tot-mem=0 events=r");
  AppendField(&line, "cmd", s.last_command);
  AppendField(&line, "user", s.user);
  line.append(" redir=-1");
  AppendField(&line, "resp", static_cast<int64_t>(s.protocol));
  AppendField(&line, "lib-name", s.lib_name);
  AppendField(&line, "lib-ver", s.lib_ver);
  return line;
}

LocalResult HandleLocal(const CommandInfo& info, Args args, const LocalContext& ctx,
                        LocalSession& session, resp::Encoder& out) {
  const std::string_view name = info.name;
  const std::string_view top = info.parent != nullptr ? info.parent->name : name;
  if (top == "info") return LocalResult::kNotLocal;
  if (!command::CheckArity(info, args.size())) {
    out.Error(command::WrongArityError(info));
    return LocalResult::kReplied;
  }
  // Redis sets the client's last command before running it: CLIENT INFO shows itself.
  session.last_command = name;
  if (top == "quit") {
    out.SimpleString("OK");
    return LocalResult::kReplyAndClose;
  }
  if (top == "ping") {
    Ping(info, args, out);
  } else if (top == "echo") {
    out.Bulk(args[1]);
  } else if (top == "select") {
    Select(args, out);
  } else if (top == "hello") {
    Hello(args, ctx, session, out);
  } else if (top == "auth") {
    Auth(args, ctx, session, out);
  } else if (top == "reset") {
    Reset(ctx, session, out);
  } else if (top == "role") {
    Role(out);
  } else if (name == "config|get") {
    ConfigGet(args, out);
  } else if (top == "command") {
    Command(info, args, *ctx.table, out);
  } else if (top == "client") {
    Client(info, args, ctx, session, out);
  } else if (top == "acl") {
    Acl(info, ctx, session, out);
  } else if (top == "slowlog" && ctx.slowlog != nullptr) {
    metrics::SlowlogCommand(*ctx.slowlog, args, &out);
  } else {
    // A row routed here that the proxy does not serve (CONFIG HELP, ...): a clear refusal.
    out.Error(command::UnsupportedError(info));
  }
  return LocalResult::kReplied;
}

}  // namespace slotproxy::session

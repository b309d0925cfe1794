// Commands the proxy answers itself (RouteKind::kProxyLocal), with Redis 7.0.15's exact reply
// bytes in the client's protocol: PING, ECHO, QUIT, SELECT, RESET, ROLE, HELLO, AUTH, CLIENT
// (ID, GETNAME, SETNAME, SETINFO, INFO, LIST, NO-EVICT), COMMAND (bare, COUNT, INFO, DOCS,
// GETKEYS, GETKEYSANDFLAGS, LIST), CONFIG GET, ACL WHOAMI / USERS.
//
// The proxy presents itself as a standalone Redis 7.0 with `databases 1`, not as a cluster:
// SELECT 0 is +OK and any other index gets a standalone Redis's "ERR DB index is out of range"
// (not Redis Cluster's "ERR SELECT is not allowed in cluster mode"), because applications were
// written against one node and only database 0 exists.
//
// INFO is not answered here (it needs the shards' keyspace): see proxy_info.h.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/acl.h"
#include "base/status.h"
#include "command/command_info.h"
#include "command/command_table.h"
#include "metrics/slowlog.h"
#include "resp/encoder.h"

namespace slotproxy::session {

// The per-client state the local commands read and change. A client session embeds one.
struct LocalSession {
  uint64_t id = 0;       // from NextClientId(): unique in the process, never 0
  std::string name;      // CLIENT SETNAME / HELLO SETNAME; empty when none
  std::string lib_name;  // CLIENT SETINFO LIB-NAME
  std::string lib_ver;   // CLIENT SETINFO LIB-VER
  resp::Protocol protocol = resp::Protocol::kResp2;
  std::string addr;         // peer "ip:port" (TcpConnection::PeerAddress)
  std::string laddr;        // local "ip:port"
  int fd = -1;              // shown by CLIENT LIST; -1 when unknown
  uint64_t created_ms = 0;  // steady-clock ms when the connection was accepted
  uint64_t last_ms = 0;     // steady-clock ms of the last command (CLIENT LIST idle=)
  std::string_view last_command = "NULL";  // full lowercase name of the last command ("get")
  size_t query_buffer = 0;                 // unparsed input bytes (qbuf=)
  size_t output_bytes = 0;                 // pending output bytes (omem=)
  std::string user = "default";
  // The ACL user (nullptr when the proxy has no access table: everyone is "default" with
  // nopass), and whether this client has authenticated (Redis's c->authenticated).
  const auth::User* acl_user = nullptr;
  bool authenticated = true;
  // CLIENT LIST's state fields, refreshed by the session: subscriptions (sub= psub= ssub=),
  // commands queued in MULTI (multi=, -1 outside), and whether a blocking command waits.
  size_t sub = 0;
  size_t psub = 0;
  size_t ssub = 0;
  int64_t multi = -1;
  bool blocked = false;
};

struct LocalContext;

// The clients CLIENT LIST [TYPE t] [ID id...] shows, or CLIENT KILL's filters (Redis 7.0:
// the old form "CLIENT KILL addr", or ID / TYPE / ADDR / LADDR / USER / SKIPME pairs).
struct ClientFilter {
  bool kill = false;
  bool old_form = false;       // CLIENT KILL ip:port: +OK / "No such client", may kill the caller
  bool skip_me = true;         // CLIENT KILL: never the calling client (SKIPME yes, the default)
  bool none = false;           // TYPE master / replica / slave: no proxy client is one
  std::optional<bool> pubsub;  // TYPE pubsub (true) or normal (false)
  std::vector<uint64_t> ids;   // any of these (LIST) / this one (KILL)
  std::optional<std::string> addr;
  std::optional<std::string> laddr;
  std::optional<std::string> user;

  // True when `s` is selected (SKIPME is the caller's business: it knows its own id).
  bool Matches(const LocalSession& s) const;
};

// Parses CLIENT LIST (`kill` false) or CLIENT KILL arguments (args[0] "CLIENT", args[1] the
// subcommand). Error: Redis's reply text ("ERR syntax error", "ERR Unknown client type 'x'",
// "ERR Invalid client ID", "ERR client-id should be greater than 0", "ERR No such user 'u'").
Result<ClientFilter> ParseClientFilter(bool kill, std::span<const std::string_view> args,
                                       const LocalContext& ctx);

// What a local command tells the session to do after its reply is written.
enum class LocalResult : uint8_t {
  kReplied,        // the reply is in `out`
  kReplyAndClose,  // the reply (QUIT's +OK) is in `out`; close after flushing it
  kNotLocal,       // nothing written: the session must handle it (INFO, or a row it routes)
};

// Process- or worker-wide inputs of the local commands; read-only here.
struct LocalContext {
  const command::CommandTable* table = nullptr;  // COMMAND replies; must be set
  std::string_view redis_version = "7.0.15";     // HELLO "version"
  // HELLO 3 switches the client to RESP3 (the backend side keeps RESP3 connections for RESP3
  // clients). When false, HELLO 3 answers "-NOPROTO unsupported protocol version", as a
  // server without RESP3 would.
  bool allow_resp3 = true;
  uint64_t now_ms = 0;  // steady-clock ms, for CLIENT LIST/INFO age= and idle=
  // requirepass and ACL users (AUTH, HELLO AUTH, ACL WHOAMI / USERS). nullptr: no password,
  // the default user only.
  const auth::AccessTable* access = nullptr;
  // CLIENT LIST: calls `visit` for every client of the proxy the caller can see (e.g. this
  // worker's sessions). When unset, CLIENT LIST shows the calling client only.
  std::function<void(const std::function<void(const LocalSession&)>& visit)> for_each_client;
  // SLOWLOG GET / LEN / RESET / HELP answer from this proxy-wide store. nullptr: SLOWLOG is
  // refused as a command the proxy does not serve.
  metrics::SlowLog* slowlog = nullptr;
};

// A new client id: 1, 2, 3, ... for the process (thread-safe).
uint64_t NextClientId();

// Answers the command `info` (a row of ctx.table, already looked up from args; args[0] is the
// command name, args[1] the subcommand for a container) when the proxy answers it locally.
// Checks arity first (Redis's "wrong number of arguments" text). Writes exactly one reply for
// kReplied / kReplyAndClose and nothing for kNotLocal. May change `session` (name, protocol,
// lib-name/ver, user and authenticated). Never fails otherwise: bad arguments get Redis's error
// replies.
LocalResult HandleLocal(const command::CommandInfo& info, std::span<const std::string_view> args,
                        const LocalContext& ctx, LocalSession& session, resp::Encoder& out);

// The CLIENT INFO / CLIENT LIST line of `session` (without the trailing "\n"), in Redis 7.2's
// field order (7.0's plus lib-name and lib-ver, since CLIENT SETINFO is served).
std::string ClientInfoLine(const LocalSession& session, uint64_t now_ms);

// True when `name` is a valid client name / lib attribute for Redis: every byte in '!'..'~'.
bool ValidClientAttribute(std::string_view value);

}  // namespace slotproxy::session

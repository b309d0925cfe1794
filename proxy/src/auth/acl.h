// Client-facing authentication and authorisation: requirepass and ACL users from the config,
// evaluated exactly as Redis 7.0's ACL (src/acl.c) evaluates the same rules. Built once at
// start-up into an immutable AccessTable that every worker thread reads without locks.
//
// Error texts follow the codebase's Status convention: the reply without its leading '-'
// ("NOPERM this user has no permissions to run the 'get' command"); the session sends them as
// error replies ("-" + message + "\r\n"). No error text and no field of this module ever holds a
// password: plaintext passwords are hashed (SHA-256) while the table is built and dropped.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/status.h"
#include "command/command_info.h"
#include "command/command_table.h"
#include "config/config.h"

namespace slotproxy::auth {

// Redis's reply to a failed AUTH / HELLO AUTH (unknown user, wrong password, disabled user: one
// text for all three, so a client cannot probe which user names exist).
inline constexpr std::string_view kWrongPassError =
    "WRONGPASS invalid username-password pair or user is disabled.";
// Redis's reply to a command (other than AUTH, HELLO, ...) before authentication.
inline constexpr std::string_view kNoAuthError = "NOAUTH Authentication required.";
// Redis's reply to "AUTH <password>" when the default user has nopass.
inline constexpr std::string_view kAuthWithoutPasswordError =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";

// Why a command was refused (Redis's ACL_DENIED_* results).
enum class Denial : uint8_t {
  kNone,     // allowed
  kCommand,  // the command (or subcommand) is not allowed
  kKey,      // a key argument matches none of the user's key patterns for that access
  kChannel,  // a pub/sub channel (or pattern) argument is not allowed
};

// One ACL user, immutable once its AccessTable is built. Owned by the AccessTable; pointers to a
// User stay valid as long as the table.
class User {
 public:
  // The user name ("default" for the default user), as ACL WHOAMI and CLIENT LIST print it.
  std::string_view name() const { return name_; }
  // False for a user configured with enabled: false ("off"): it can never authenticate.
  bool enabled() const { return enabled_; }
  // True when any password is accepted.
  bool nopass() const { return nopass_; }
  // Redis's allcommands / allkeys / allchannels flags (e.g. "+@all" and key pattern "*").
  bool all_commands() const { return all_commands_; }
  bool all_keys() const { return all_keys_; }
  bool all_channels() const { return all_channels_; }

 private:
  friend class AccessTable;
  friend class UserBuilder;

  // A key pattern with the access it grants: kRead / kWrite bits (Redis's %R~ / %W~; "~" is
  // both).
  struct KeyPattern {
    std::string pattern;
    uint8_t access = 0;
  };
  static constexpr uint8_t kRead = 1;
  static constexpr uint8_t kWrite = 2;

  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  bool all_commands_ = false;
  bool all_keys_ = false;
  bool all_channels_ = false;
  std::vector<std::array<unsigned char, 32>> password_digests_;  // SHA-256 of each password
  std::vector<uint64_t> allowed_;  // bit per command row (AccessTable's row index)
  // Redis's allowed_firstargs ("+select|0" on a command without subcommands): row index -> the
  // first arguments allowed although the row's bit is clear (compared case-insensitively).
  absl::flat_hash_map<uint32_t, std::vector<std::string>> first_args_;
  std::vector<KeyPattern> key_patterns_;  // in rule order, no duplicates
  std::vector<std::string> channels_;     // channel patterns, in rule order, no duplicates
};

class AccessTable {
 public:
  // Builds the users of `config` against the rows of `commands` (every top-level row and
  // subcommand it holds, learned ones included). `commands` must be the final (frozen) table the
  // sessions look commands up in, and must outlive the AccessTable.
  //
  // The `default` user: enabled, +@all, all keys, all channels, with password `requirepass`
  // (nopass when requirepass is empty). A user named "default" in config.users replaces it
  // entirely (as in a Redis ACL file; requirepass is then ignored).
  // Other users start as a new Redis 7.0 user: no commands, no keys, no channels
  // (acl-pubsub-default resetchannels), then apply their rules in order, later rules overriding
  // earlier ones:
  //   commands: "+cmd", "-cmd", "+@category", "-@category", "+container|sub", "-container|sub",
  //             "+cmd|firstarg" (Redis's deprecated first-argument form), "allcommands",
  //             "+@all", "nocommands", "-@all" (names and categories case-insensitive);
  //   keys:     "pattern" (read and write, a plain glob; "*" is allkeys), or any Redis key or
  //             channel selector: "~pattern", "%R~pattern", "%W~pattern", "%RW~pattern",
  //             "allkeys", "resetkeys", "&channel-pattern", "allchannels", "resetchannels".
  // Error: the first bad rule, in ACL SETUSER's words, never with a password in it:
  //   "user 'app': Error in ACL SETUSER modifier '+@nope': Unknown command or category name in
  //   ACL" (also "Syntax error", the "Adding a pattern after the * pattern ..." texts, a
  //   password_sha256 that is not 64 lower-case hex digits, a duplicate user name).
  static Result<std::unique_ptr<AccessTable>> Build(const config::AuthConfig& config,
                                                    const command::CommandTable& commands);

  AccessTable(const AccessTable&) = delete;
  AccessTable& operator=(const AccessTable&) = delete;
  ~AccessTable();

  // True when a new connection must authenticate before running commands (Redis's
  // authRequired: the default user has a password, or is disabled). When false, a new
  // connection is logged in as DefaultUser().
  bool RequiresAuth() const { return requires_auth_; }

  // The user a new connection starts as (and the user of "AUTH <password>").
  const User& DefaultUser() const { return *default_user_; }

  // The user called `name` (case-sensitive, as Redis), or nullptr.
  const User* FindUser(std::string_view name) const;

  // All user names in byte order (ACL USERS).
  std::vector<std::string_view> UserNames() const;

  // AUTH user password / HELLO ... AUTH user password: the user when it exists, is enabled and
  // accepts `password` (nopass, or the SHA-256 of `password` equals one of its digests, compared
  // in constant time). Error: kWrongPassError for every failure. The digest is computed even for
  // an unknown user, so the time taken does not tell whether a name exists.
  Result<const User*> Authenticate(std::string_view user, std::string_view password) const;

  // Redis's ACLCheckAllUserCommandPerm for a request already looked up and arity-checked:
  // `info` is the row CommandTable::Lookup(args) returned (the subcommand row for "CLIENT
  // KILL ..."), `args` the whole request (args[0] the command name). Order as Redis: the command
  // bit (skipped for allcommands users and for commands flagged no_auth such as AUTH and HELLO),
  // then each key the request names (skipped for allkeys users; keys found as Redis finds them,
  // read access for key specs flagged "access", write for "insert" / "update" / "delete"), then
  // the channels of PUBLISH / SPUBLISH / SUBSCRIBE / SSUBSCRIBE / PSUBSCRIBE (skipped for
  // allchannels users). One difference, on purpose: when a key spec does not fit the arguments
  // Redis 7.0.15 checks no key at all (so "PFMERGE dest" passes a user without access to dest);
  // we check the keys the other specs found. O(1) plus one glob match per key and pattern; no
  // allocation unless a request has more than eight keys.
  Denial Evaluate(const User& user, const command::CommandInfo& info,
                  std::span<const std::string_view> args) const;

  // Evaluate, with Redis 7.0's reply text on denial:
  //   kCommand: "NOPERM this user has no permissions to run the 'client|kill' command"
  //   kKey:     "NOPERM this user has no permissions to access one of the keys used as arguments"
  //   kChannel: "NOPERM this user has no permissions to access one of the channels used as
  //              arguments"
  Status Check(const User& user, const command::CommandInfo& info,
               std::span<const std::string_view> args) const;

  // The reply text for `denial` of `info` (as Check); empty for kNone.
  static std::string DenialMessage(Denial denial, const command::CommandInfo& info);

 private:
  friend class UserBuilder;
  explicit AccessTable(const command::CommandTable& commands);

  // How a row's arguments name pub/sub channels (Redis checks these five commands only).
  enum class ChannelArgs : uint8_t { kNone, kFirst, kAll, kAllPatterns };

  bool CommandAllowed(const User& user, const command::CommandInfo& info,
                      std::span<const std::string_view> args) const;
  bool KeysAllowed(const User& user, const command::CommandInfo& info,
                   std::span<const std::string_view> args) const;
  bool ChannelsAllowed(const User& user, ChannelArgs kind,
                       std::span<const std::string_view> args) const;
  int64_t RowIndex(const command::CommandInfo& info) const;

  const command::CommandTable* commands_;
  std::vector<const command::CommandInfo*> rows_;  // index -> row
  absl::flat_hash_map<const command::CommandInfo*, uint32_t> row_index_;
  absl::flat_hash_map<const command::CommandInfo*, ChannelArgs> channel_rows_;
  std::vector<std::unique_ptr<User>> users_;
  absl::flat_hash_map<std::string_view, const User*> by_name_;  // views of User::name_
  const User* default_user_ = nullptr;
  bool requires_auth_ = false;
};

}  // namespace slotproxy::auth

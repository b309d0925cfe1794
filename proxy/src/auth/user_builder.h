// UserBuilder (internal to sp_auth): applies ACL rules to one User the way Redis 7.0's
// ACLSetSelector does, rule by rule, later rules overriding earlier ones.
#pragma once

#include <memory>
#include <string_view>

#include "auth/acl.h"
#include "base/status.h"
#include "config/config.h"

namespace slotproxy::auth {

class UserBuilder {
 public:
  // The user `config` describes: its passwords (plaintext hashed here), enabled flag, then its
  // `commands` rules and `keys` entries in order, on top of a new Redis 7.0 user (no commands,
  // keys or channels). Error: "user 'NAME': Error in ACL SETUSER modifier 'RULE': REASON", or
  // the password hash text for a password_sha256 that is not 64 lower-case hex digits.
  static Result<std::unique_ptr<User>> Build(const AccessTable& table,
                                             const config::UserConfig& config);

  // The implicit `default` user: enabled, all commands, keys and channels; its password is
  // `requirepass`, or nopass when that is empty.
  static std::unique_ptr<User> BuildDefault(const AccessTable& table, std::string_view requirepass);

  // Rules apply to `user`, whose command bits index `table`'s rows. Both must outlive the builder.
  UserBuilder(const AccessTable& table, User* user);

  // One ACL SETUSER selector modifier: a command rule ("+@read", "-flushall", "+client|kill",
  // "allcommands", ...), a key rule ("~user:*", "%R~x", "allkeys", "resetkeys") or a channel rule
  // ("&news.*", "allchannels", "resetchannels"). Error: ACL SETUSER's reason, without the rule
  // ("Unknown command or category name in ACL", "Syntax error", ...); the user is then partly
  // changed and must be dropped.
  Status Apply(std::string_view rule);

  // An entry of a config user's `keys` list: a selector rule as above when it is one of the key
  // or channel keywords or starts with '~', '%' or '&'; otherwise a plain glob read and written
  // ("user:*" is "~user:*").
  Status ApplyKeyEntry(std::string_view entry);

  // allcommands (all bits set, the flag on) or nocommands (all bits clear, the flag off); both
  // forget every first-argument rule.
  void SetAllCommands(bool on);

 private:
  Status ApplyCommand(std::string_view rule);
  Status ApplyKeyPattern(std::string_view rule);
  Status ApplyChannel(std::string_view rule);
  void SetBit(uint32_t index, bool on);
  void ChangePerm(const command::CommandInfo& row, bool allow);
  void ChangeCategory(std::span<const command::CommandInfo* const> rows, uint32_t bit, bool allow);
  void AddFirstArg(const command::CommandInfo& row, std::string_view arg);

  const AccessTable& table_;
  User* user_;
};

}  // namespace slotproxy::auth

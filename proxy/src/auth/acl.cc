#include "auth/acl.h"

#include <algorithm>
#include <string>
#include <utility>

#include "auth/password.h"
#include "auth/user_builder.h"
#include "command/key_extraction.h"
#include "engine/glob.h"

namespace slotproxy::auth {
namespace {

using command::CommandInfo;

// strcmp(a, b) == 0: Redis compares channel patterns as C strings, which end at their first NUL.
bool CStringEqual(std::string_view a, std::string_view b) {
  return a.substr(0, a.find('\0')) == b.substr(0, b.find('\0'));
}

// The access a key needs, from its key-spec flags (ACLSelectorCheckKey). A key flagged neither
// (e.g. EXISTS's RO key) needs nothing: any pattern that matches it will do.
uint8_t NeededAccess(uint32_t key_flags, uint8_t read, uint8_t write) {
  namespace kf = command::key_flag;
  uint8_t need = 0;
  if (key_flags & kf::kAccess) need |= read;
  if (key_flags & (kf::kInsert | kf::kDelete | kf::kUpdate)) need |= write;
  return need;
}

}  // namespace

AccessTable::AccessTable(const command::CommandTable& commands) : commands_(&commands) {
  for (const CommandInfo* row : commands.TopLevel()) {
    row_index_.emplace(row, static_cast<uint32_t>(rows_.size()));
    rows_.push_back(row);
    for (const CommandInfo* sub : row->subcommands) {
      row_index_.emplace(sub, static_cast<uint32_t>(rows_.size()));
      rows_.push_back(sub);
    }
  }
  // The commands whose channel arguments Redis 7.0 checks (publish and subscribe only).
  constexpr std::pair<std::string_view, ChannelArgs> kChannelCommands[] = {
      {"publish", ChannelArgs::kFirst},
      {"spublish", ChannelArgs::kFirst},
      {"subscribe", ChannelArgs::kAll},
      {"ssubscribe", ChannelArgs::kAll},
      {"psubscribe", ChannelArgs::kAllPatterns}};
  for (const auto& [name, kind] : kChannelCommands) {
    if (const CommandInfo* row = commands.Find(name)) channel_rows_.emplace(row, kind);
  }
}

AccessTable::~AccessTable() = default;

Result<std::unique_ptr<AccessTable>> AccessTable::Build(const config::AuthConfig& config,
                                                        const command::CommandTable& commands) {
  std::unique_ptr<AccessTable> table(new AccessTable(commands));
  const bool default_configured =
      std::any_of(config.users.begin(), config.users.end(),
                  [](const config::UserConfig& u) { return u.name == "default"; });
  if (!default_configured) {
    table->users_.push_back(UserBuilder::BuildDefault(*table, config.requirepass));
  }
  for (const config::UserConfig& user_config : config.users) {
    Result<std::unique_ptr<User>> user = UserBuilder::Build(*table, user_config);
    if (!user.ok()) return user.status();
    table->users_.push_back(std::move(user.value()));
  }
  for (const std::unique_ptr<User>& user : table->users_) {
    if (!table->by_name_.emplace(user->name_, user.get()).second) {
      return Status::Error("user '" + user->name_ +
                           "': Duplicate user found. A user can only be defined once in config "
                           "files");
    }
  }
  table->default_user_ = table->by_name_.at("default");
  // Redis's authRequired(): a new connection is logged in as default only when that user needs
  // no password and is enabled.
  table->requires_auth_ = !table->default_user_->nopass_ || !table->default_user_->enabled_;
  return table;
}

const User* AccessTable::FindUser(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<std::string_view> AccessTable::UserNames() const {
  std::vector<std::string_view> names;
  names.reserve(users_.size());
  for (const std::unique_ptr<User>& user : users_) names.push_back(user->name_);
  std::sort(names.begin(), names.end());
  return names;
}

Result<const User*> AccessTable::Authenticate(std::string_view user_name,
                                              std::string_view password) const {
  // Hash first, whatever the user, so an unknown name costs the same as a wrong password.
  const Digest digest = Sha256(password);
  const User* user = FindUser(user_name);
  bool match = false;
  if (user != nullptr) {
    // No early exit: every digest is compared.
    for (const Digest& known : user->password_digests_) match |= DigestsEqual(digest, known);
  }
  if (user == nullptr || !user->enabled_ || !(user->nopass_ || match)) {
    return Status::Error(std::string(kWrongPassError));
  }
  return user;
}

int64_t AccessTable::RowIndex(const CommandInfo& info) const {
  auto it = row_index_.find(&info);
  return it == row_index_.end() ? -1 : static_cast<int64_t>(it->second);
}

bool AccessTable::CommandAllowed(const User& user, const CommandInfo& info,
                                 std::span<const std::string_view> args) const {
  if (user.all_commands_ || info.HasFlag(command::flag::kNoAuth)) return true;
  const int64_t index = RowIndex(info);
  if (index < 0) return false;  // a row of another table: nothing was granted on it
  if (user.allowed_[static_cast<size_t>(index) / 64] & (uint64_t{1} << (index % 64))) return true;
  // Redis's allowed_firstargs: the argument after the command's name(s).
  if (user.first_args_.empty()) return false;
  auto it = user.first_args_.find(static_cast<uint32_t>(index));
  const size_t arg = info.parent != nullptr ? 2 : 1;
  if (it == user.first_args_.end() || args.size() <= arg) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const std::string& allowed) {
    return command::internal::ArgEquals(args[arg], allowed);
  });
}

bool AccessTable::KeysAllowed(const User& user, const CommandInfo& info,
                              std::span<const std::string_view> args) const {
  if (!command::CommandHasKeys(info)) return true;
  command::KeyRefs keys;
  // Deliberately stricter than Redis 7.0.15: when a key spec does not fit the arguments and the
  // command has no getkeys procedure, Redis checks no key at all although the command may still
  // run ("PFMERGE dest" writes dest); we check the keys the other specs found.
  command::ExtractKeys(info, args, /*include_not_key=*/false, &keys);
  for (const command::KeyRef& key : keys) {
    if (key.pos < 0 || static_cast<size_t>(key.pos) >= args.size()) continue;
    const uint8_t need = NeededAccess(key.flags, User::kRead, User::kWrite);
    const std::string_view name = args[static_cast<size_t>(key.pos)];
    const bool matched = std::any_of(
        user.key_patterns_.begin(), user.key_patterns_.end(), [&](const User::KeyPattern& p) {
          return (p.access & need) == need && engine::GlobMatch(p.pattern, name);
        });
    if (!matched) return false;
  }
  return true;
}

bool AccessTable::ChannelsAllowed(const User& user, ChannelArgs kind,
                                  std::span<const std::string_view> args) const {
  const size_t end = kind == ChannelArgs::kFirst ? std::min<size_t>(args.size(), 2) : args.size();
  for (size_t i = 1; i < end; ++i) {
    // A pattern (PSUBSCRIBE) must be granted literally; a channel may match a granted glob.
    const bool matched =
        std::any_of(user.channels_.begin(), user.channels_.end(), [&](const std::string& p) {
          return kind == ChannelArgs::kAllPatterns ? CStringEqual(p, args[i])
                                                   : engine::GlobMatch(p, args[i]);
        });
    if (!matched) return false;
  }
  return true;
}

Denial AccessTable::Evaluate(const User& user, const CommandInfo& info,
                             std::span<const std::string_view> args) const {
  if (!CommandAllowed(user, info, args)) return Denial::kCommand;
  if (!user.all_keys_ && !KeysAllowed(user, info, args)) return Denial::kKey;
  if (!user.all_channels_) {
    auto it = channel_rows_.find(&info);
    if (it != channel_rows_.end() && !ChannelsAllowed(user, it->second, args)) {
      return Denial::kChannel;
    }
  }
  return Denial::kNone;
}

Status AccessTable::Check(const User& user, const CommandInfo& info,
                          std::span<const std::string_view> args) const {
  const Denial denial = Evaluate(user, info, args);
  if (denial == Denial::kNone) return Status();
  return Status::Error(DenialMessage(denial, info));
}

std::string AccessTable::DenialMessage(Denial denial, const CommandInfo& info) {
  switch (denial) {
    case Denial::kNone:
      return "";
    case Denial::kCommand:
      return "NOPERM this user has no permissions to run the '" + std::string(info.name) +
             "' command";
    case Denial::kKey:
      return "NOPERM this user has no permissions to access one of the keys used as arguments";
    case Denial::kChannel:
      return "NOPERM this user has no permissions to access one of the channels used as "
             "arguments";
  }
  return "";
}

}  // namespace slotproxy::auth

#include "auth/user_builder.h"

#include <algorithm>
#include <optional>
#include <string>

#include "auth/password.h"

namespace slotproxy::auth {
namespace {

using command::CommandInfo;

// ACLSetUserStringError's texts, by the errno Redis sets.
constexpr std::string_view kUnknownName = "Unknown command or category name in ACL";  // ENOENT
constexpr std::string_view kSyntaxError = "Syntax error";                             // EINVAL
constexpr std::string_view kSubcommandFirstArg =
    "Allowing first-arg of a subcommand is not supported";
constexpr std::string_view kBadHash =  // EBADMSG
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
constexpr std::string_view kKeyAfterAll =  // EEXIST
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have "
    "any effect. Try 'resetkeys' to start with an empty list of patterns";
constexpr std::string_view kChannelAfterAll =  // EISDIR
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not "
    "have any effect. Try 'resetchannels' to start with an empty list of channels";

// strcasecmp(a, b) == 0 for ASCII (Debian's abseil has its own string_view, so no absl::strings).
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

Status Fail(std::string_view reason) { return Status::Error(std::string(reason)); }

bool Is(std::string_view rule, std::string_view keyword) { return EqualsNoCase(rule, keyword); }

// The acl:: bit of a category name without its '@' (case-insensitive); 0 when unknown.
uint32_t CategoryBit(std::string_view name) {
  const auto names = command::AclCategoryNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (EqualsNoCase(names[i].substr(1), name)) return 1u << i;
  }
  return 0;
}

}  // namespace

Result<std::unique_ptr<User>> UserBuilder::Build(const AccessTable& table,
                                                 const config::UserConfig& config) {
  auto user = std::make_unique<User>();
  user->name_ = config.name;
  user->enabled_ = config.enabled;
  user->nopass_ = config.nopass;
  if (!config.nopass) {
    if (!config.password_sha256.empty()) {
      std::optional<Digest> digest = ParseHexDigest(config.password_sha256);
      if (!digest) return Status::Error("user '" + config.name + "': " + std::string(kBadHash));
      user->password_digests_.push_back(*digest);
    } else if (!config.password.empty()) {
      user->password_digests_.push_back(Sha256(config.password));
    }
  }
  UserBuilder builder(table, user.get());
  auto fail = [&](std::string_view rule, const Status& reason) {
    return Status::Error("user '" + config.name + "': Error in ACL SETUSER modifier '" +
                         std::string(rule) + "': " + reason.message());
  };
  for (const std::string& rule : config.commands) {
    if (Status s = builder.Apply(rule); !s.ok()) return fail(rule, s);
  }
  for (const std::string& entry : config.keys) {
    if (Status s = builder.ApplyKeyEntry(entry); !s.ok()) return fail(entry, s);
  }
  return user;
}

std::unique_ptr<User> UserBuilder::BuildDefault(const AccessTable& table,
                                                std::string_view requirepass) {
  auto user = std::make_unique<User>();
  user->name_ = "default";
  user->enabled_ = true;
  user->nopass_ = requirepass.empty();
  if (!requirepass.empty()) user->password_digests_.push_back(Sha256(requirepass));
  UserBuilder builder(table, user.get());
  builder.SetAllCommands(true);
  user->all_keys_ = true;
  user->all_channels_ = true;
  return user;
}

UserBuilder::UserBuilder(const AccessTable& table, User* user) : table_(table), user_(user) {
  user_->allowed_.assign((table_.rows_.size() + 63) / 64, 0);
}

Status UserBuilder::Apply(std::string_view rule) {
  // Keywords first, in ACLSetSelector's order (so "~*" and "&*" are flags, not patterns).
  if (Is(rule, "allkeys") || rule == "~*") {
    user_->all_keys_ = true;
    user_->key_patterns_.clear();
  } else if (Is(rule, "resetkeys")) {
    user_->all_keys_ = false;
    user_->key_patterns_.clear();
  } else if (Is(rule, "allchannels") || rule == "&*") {
    user_->all_channels_ = true;
    user_->channels_.clear();
  } else if (Is(rule, "resetchannels")) {
    user_->all_channels_ = false;
    user_->channels_.clear();
  } else if (Is(rule, "allcommands") || Is(rule, "+@all")) {
    SetAllCommands(true);
  } else if (Is(rule, "nocommands") || Is(rule, "-@all")) {
    SetAllCommands(false);
  } else if (!rule.empty() && (rule[0] == '~' || rule[0] == '%')) {
    return ApplyKeyPattern(rule);
  } else if (!rule.empty() && rule[0] == '&') {
    return ApplyChannel(rule);
  } else if (!rule.empty() && (rule[0] == '+' || rule[0] == '-')) {
    return ApplyCommand(rule);
  } else {
    return Fail(kSyntaxError);
  }
  return Status();
}

Status UserBuilder::ApplyKeyEntry(std::string_view entry) {
  const bool selector_rule =
      Is(entry, "allkeys") || Is(entry, "resetkeys") || Is(entry, "allchannels") ||
      Is(entry, "resetchannels") ||
      (!entry.empty() && (entry[0] == '~' || entry[0] == '%' || entry[0] == '&'));
  if (selector_rule) return Apply(entry);
  return Apply("~" + std::string(entry));
}

void UserBuilder::SetAllCommands(bool on) {
  user_->all_commands_ = on;
  std::fill(user_->allowed_.begin(), user_->allowed_.end(), on ? ~uint64_t{0} : 0);
  user_->first_args_.clear();
}

Status UserBuilder::ApplyCommand(std::string_view rule) {
  const bool allow = rule[0] == '+';
  std::string_view name = rule.substr(1);
  if (!name.empty() && name[0] == '@') {
    uint32_t bit = CategoryBit(name.substr(1));
    if (bit == 0) return Fail(kUnknownName);
    ChangeCategory(table_.commands_->TopLevel(), bit, allow);
    return Status();
  }
  const size_t bar = name.rfind('|');
  if (!allow || bar == std::string_view::npos) {
    // "-select|0" is not a first-argument rule: only a real subcommand name is found.
    const CommandInfo* row = table_.commands_->Find(name);
    if (row == nullptr) return Fail(kUnknownName);
    ChangePerm(*row, allow);
    return Status();
  }
  const CommandInfo* container = table_.commands_->Find(name.substr(0, bar));
  if (container == nullptr) return Fail(kUnknownName);
  std::string_view sub = name.substr(bar + 1);
  if (sub.empty()) return Fail(kSyntaxError);
  if (container->IsContainer()) {
    const CommandInfo* row = table_.commands_->Find(name);
    if (row == nullptr) return Fail(kUnknownName);
    ChangePerm(*row, true);
  } else if (container->parent != nullptr) {
    return Fail(kSubcommandFirstArg);
  } else {
    // Redis 7.0 still allows (with a deprecation warning) one first argument of a command
    // without subcommands, e.g. "+select|0".
    AddFirstArg(*container, sub);
  }
  return Status();
}

Status UserBuilder::ApplyKeyPattern(std::string_view rule) {
  if (user_->all_keys_) return Fail(kKeyAfterAll);
  uint8_t access = User::kRead | User::kWrite;
  size_t offset = 1;
  if (rule[0] == '%') {
    // "%R~x", "%W~x", "%RW~x" (each letter once, any case). As Redis, a rule that ends before
    // its '~' ("%R") is accepted and holds an empty pattern.
    access = 0;
    for (; offset < rule.size(); ++offset) {
      const char c = Lower(rule[offset]);
      if (c == 'r' && !(access & User::kRead)) {
        access |= User::kRead;
      } else if (c == 'w' && !(access & User::kWrite)) {
        access |= User::kWrite;
      } else if (rule[offset] == '~' && access != 0) {
        ++offset;
        break;
      } else {
        return Fail(kSyntaxError);
      }
    }
    if (access == 0) return Fail(kSyntaxError);  // "%" alone
  }
  std::string_view pattern = rule.substr(offset);
  for (User::KeyPattern& existing : user_->key_patterns_) {
    if (existing.pattern == pattern) {
      existing.access |= access;
      return Status();
    }
  }
  user_->key_patterns_.push_back(User::KeyPattern{std::string(pattern), access});
  return Status();
}

Status UserBuilder::ApplyChannel(std::string_view rule) {
  if (user_->all_channels_) return Fail(kChannelAfterAll);
  std::string_view pattern = rule.substr(1);
  if (std::find(user_->channels_.begin(), user_->channels_.end(), pattern) ==
      user_->channels_.end()) {
    user_->channels_.emplace_back(pattern);
  }
  return Status();
}

void UserBuilder::SetBit(uint32_t index, bool on) {
  const uint64_t mask = uint64_t{1} << (index % 64);
  if (on) {
    user_->allowed_[index / 64] |= mask;
  } else {
    user_->allowed_[index / 64] &= ~mask;
    user_->all_commands_ = false;
  }
}

// ACLChangeSelectorPerm: the row, and every subcommand of a container, to `allow`; first-argument
// rules of the row are forgotten.
void UserBuilder::ChangePerm(const CommandInfo& row, bool allow) {
  const int64_t index = table_.RowIndex(row);
  if (index < 0) return;
  SetBit(static_cast<uint32_t>(index), allow);
  user_->first_args_.erase(static_cast<uint32_t>(index));
  for (const CommandInfo* sub : row.subcommands) {
    const int64_t sub_index = table_.RowIndex(*sub);
    if (sub_index >= 0) SetBit(static_cast<uint32_t>(sub_index), allow);
  }
}

// ACLSetSelectorCommandBitsForCategoryLogic: module commands are left alone.
void UserBuilder::ChangeCategory(std::span<const CommandInfo* const> rows, uint32_t bit,
                                 bool allow) {
  for (const CommandInfo* row : rows) {
    if (row->HasFlag(command::flag::kModule)) continue;
    if ((row->acl_categories & bit) != 0) ChangePerm(*row, allow);
    if (row->IsContainer()) ChangeCategory(row->subcommands, bit, allow);
  }
}

void UserBuilder::AddFirstArg(const CommandInfo& row, std::string_view arg) {
  const int64_t index = table_.RowIndex(row);
  if (index < 0) return;
  std::vector<std::string>& args = user_->first_args_[static_cast<uint32_t>(index)];
  for (const std::string& existing : args) {
    if (EqualsNoCase(existing, arg)) return;
  }
  args.emplace_back(arg);
}

}  // namespace slotproxy::auth

// Helpers shared by the auth tests: config users in one line and requests looked up in the
// built-in command table.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "auth/acl.h"
#include "command/command_table.h"
#include "config/config.h"

namespace slotproxy::auth::testing {

// A user with a plaintext password (nopass when `password` is empty).
inline config::UserConfig MakeUser(std::string name, std::string password,
                                   std::vector<std::string> commands,
                                   std::vector<std::string> keys = {}) {
  config::UserConfig user;
  user.name = std::move(name);
  user.nopass = password.empty();
  user.password = std::move(password);
  user.commands = std::move(commands);
  user.keys = std::move(keys);
  return user;
}

// The table for `users` (and `requirepass`); fails the test on a build error.
inline std::unique_ptr<AccessTable> BuildTable(std::vector<config::UserConfig> users,
                                               std::string requirepass = "") {
  config::AuthConfig config;
  config.requirepass = std::move(requirepass);
  config.users = std::move(users);
  Result<std::unique_ptr<AccessTable>> table =
      AccessTable::Build(config, command::CommandTable::BuiltIn());
  INFO(table.status().message());
  REQUIRE(table.ok());
  return std::move(table.value());
}

// The build error for one user with these rules ("" when it builds).
inline std::string BuildError(std::vector<std::string> commands,
                              std::vector<std::string> keys = {}) {
  config::AuthConfig config;
  config.users.push_back(MakeUser("u", "pw", std::move(commands), std::move(keys)));
  Result<std::unique_ptr<AccessTable>> table =
      AccessTable::Build(config, command::CommandTable::BuiltIn());
  return table.ok() ? "" : table.status().message();
}

// Evaluate for a request given as words (looked up as the session would).
inline Denial Run(const AccessTable& table, std::string_view user,
                  std::vector<std::string_view> args) {
  const User* u = table.FindUser(user);
  REQUIRE(u != nullptr);
  const command::CommandInfo* info = command::CommandTable::BuiltIn().Lookup(args);
  REQUIRE(info != nullptr);
  return table.Evaluate(*u, *info, args);
}

// Check's message for a request ("" when allowed).
inline std::string CheckText(const AccessTable& table, std::string_view user,
                             std::vector<std::string_view> args) {
  const User* u = table.FindUser(user);
  REQUIRE(u != nullptr);
  const command::CommandInfo* info = command::CommandTable::BuiltIn().Lookup(args);
  REQUIRE(info != nullptr);
  return table.Check(*u, *info, args).message();
}

}  // namespace slotproxy::auth::testing

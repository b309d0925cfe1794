// Authentication: the default user with and without requirepass, configured users with
// plaintext, SHA-256 or no password, disabled users, and the SHA-256 helpers.
#include <catch2/catch.hpp>

#include "auth/password.h"
#include "unit/auth/acl_test_util.h"

namespace slotproxy::auth {
namespace {

using testing::BuildTable;
using testing::MakeUser;
using testing::Run;

// SHA-256("foobar"), as `echo -n foobar | sha256sum` prints it.
constexpr std::string_view kFoobarHex =
    "c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2";

std::string AuthError(const AccessTable& table, std::string_view user, std::string_view pass) {
  Result<const User*> result = table.Authenticate(user, pass);
  return result.ok() ? "" : result.status().message();
}

TEST_CASE("SHA-256 digests, hex in and out", "[auth]") {
  CHECK(DigestToHex(Sha256("foobar")) == kFoobarHex);
  CHECK(DigestToHex(Sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  REQUIRE(ParseHexDigest(kFoobarHex).has_value());
  CHECK(DigestsEqual(*ParseHexDigest(kFoobarHex), Sha256("foobar")));
  CHECK_FALSE(DigestsEqual(*ParseHexDigest(kFoobarHex), Sha256("foobaz")));
  std::string upper(kFoobarHex);
  upper[0] = 'C';
  CHECK_FALSE(ParseHexDigest(upper).has_value());  // lower case only, as Redis's '#' rule
  CHECK_FALSE(ParseHexDigest(kFoobarHex.substr(1)).has_value());
  CHECK_FALSE(ParseHexDigest(std::string(kFoobarHex.substr(1)) + "g").has_value());
}

TEST_CASE("no requirepass and no users: everyone is default, nothing to authenticate", "[auth]") {
  auto table = BuildTable({});
  CHECK_FALSE(table->RequiresAuth());
  const User& d = table->DefaultUser();
  CHECK(d.name() == "default");
  CHECK(d.nopass());
  CHECK((d.all_commands() && d.all_keys() && d.all_channels()));
  CHECK(table->Authenticate("default", "anything").ok());
  CHECK(AuthError(*table, "nobody", "x") ==
        "WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(Run(*table, "default", {"flushall"}) == Denial::kNone);
  CHECK(Run(*table, "default", {"subscribe", "c"}) == Denial::kNone);
}

TEST_CASE("requirepass only: the default user's password", "[auth]") {
  auto table = BuildTable({}, "s3cret");
  CHECK(table->RequiresAuth());
  CHECK_FALSE(table->DefaultUser().nopass());
  Result<const User*> ok = table->Authenticate("default", "s3cret");
  REQUIRE(ok.ok());
  CHECK(ok.value() == &table->DefaultUser());
  CHECK(AuthError(*table, "default", "s3cret ") == std::string(kWrongPassError));
  CHECK(AuthError(*table, "default", "") == std::string(kWrongPassError));
  CHECK(AuthError(*table, "Default", "s3cret") == std::string(kWrongPassError));
}

TEST_CASE("configured users: plaintext, sha256, nopass, disabled", "[auth]") {
  config::UserConfig hashed = MakeUser("hashed", "", {"+@read"});
  hashed.nopass = false;
  hashed.password_sha256 = std::string(kFoobarHex);
  config::UserConfig off = MakeUser("off", "pw", {"+@all"});
  off.enabled = false;
  config::UserConfig off_nopass = MakeUser("offnp", "", {"+@all"});
  off_nopass.enabled = false;
  config::UserConfig no_password = MakeUser("nopw", "", {"+@all"});
  no_password.nopass = false;  // none of the three: nobody can log in as it
  auto table = BuildTable({MakeUser("plain", "pa ss", {"+@all"}), hashed, off, off_nopass,
                           MakeUser("open", "", {"+@read"}), no_password},
                          "top");
  CHECK(table->Authenticate("plain", "pa ss").ok());
  CHECK_FALSE(table->Authenticate("plain", "pa").ok());
  CHECK(table->Authenticate("hashed", "foobar").ok());
  CHECK_FALSE(table->Authenticate("hashed", std::string(kFoobarHex)).ok());
  CHECK(AuthError(*table, "off", "pw") == std::string(kWrongPassError));
  CHECK(AuthError(*table, "offnp", "x") == std::string(kWrongPassError));
  CHECK(table->Authenticate("open", "").ok());
  CHECK(table->Authenticate("open", "whatever").ok());
  CHECK_FALSE(table->Authenticate("nopw", "").ok());
  CHECK(table->Authenticate("default", "top").ok());  // requirepass still sets default
  CHECK(table->UserNames() == std::vector<std::string_view>{"default", "hashed", "nopw", "off",
                                                            "offnp", "open", "plain"});
}

TEST_CASE("a user called default replaces the implicit one", "[auth]") {
  SECTION("nopass with rules: no authentication, but limited") {
    auto table = BuildTable({MakeUser("default", "", {"+@read"}, {"app:*"})}, "ignored");
    CHECK_FALSE(table->RequiresAuth());
    CHECK(Run(*table, "default", {"get", "app:1"}) == Denial::kNone);
    CHECK(Run(*table, "default", {"set", "app:1", "v"}) == Denial::kCommand);
    CHECK(Run(*table, "default", {"get", "x"}) == Denial::kKey);
    CHECK(table->Authenticate("default", "ignored").ok());  // nopass: any password
  }
  SECTION("with a password") {
    auto table = BuildTable({MakeUser("default", "pw", {"+@all"}, {"*"})});
    CHECK(table->RequiresAuth());
    CHECK(table->Authenticate("default", "pw").ok());
    CHECK_FALSE(table->Authenticate("default", "").ok());
  }
  SECTION("disabled: everyone must authenticate as another user") {
    config::UserConfig d = MakeUser("default", "", {"+@all"}, {"*"});
    d.enabled = false;
    auto table = BuildTable({d, MakeUser("app", "pw", {"+@all"}, {"*"})});
    CHECK(table->RequiresAuth());
    CHECK_FALSE(table->Authenticate("default", "").ok());
    CHECK(table->Authenticate("app", "pw").ok());
  }
}

TEST_CASE("no error text carries a password", "[auth]") {
  config::AuthConfig config;
  config.requirepass = "hunter2-requirepass";
  config.users = {MakeUser("u", "hunter2-user", {"+@all", "+nosuch"})};
  auto table = AccessTable::Build(config, command::CommandTable::BuiltIn());
  REQUIRE_FALSE(table.ok());
  CHECK(table.status().message().find("hunter2") == std::string::npos);
  config::UserConfig bad_hash = MakeUser("h", "", {});
  bad_hash.nopass = false;
  bad_hash.password_sha256 = "hunter2";
  config.users = {bad_hash};
  table = AccessTable::Build(config, command::CommandTable::BuiltIn());
  REQUIRE_FALSE(table.ok());
  CHECK(table.status().message() ==
        "user 'h': The password hash must be exactly 64 characters and contain only lowercase "
        "hexadecimal characters");
}

}  // namespace
}  // namespace slotproxy::auth

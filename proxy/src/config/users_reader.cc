// Client-facing ACL users: structure and syntax only; the session layer enforces them.
#include "config/common_reader.h"
#include "config/suggest.h"

namespace slotproxy::config::internal {
namespace {

bool IsLowerHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// An ACL command rule as Redis writes them: +name, -name, +@category, -@category, +name|sub,
// allcommands, nocommands.
bool IsCommandRule(std::string_view rule) {
  if (rule == "allcommands" || rule == "nocommands") return true;
  if (rule.size() < 2 || (rule[0] != '+' && rule[0] != '-')) return false;
  std::string_view name = rule.substr(rule[1] == '@' ? 2 : 1);
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '|' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void ReadStringList(const Section& user, std::string_view key, bool (*valid)(std::string_view),
                    const char* expected, std::vector<std::string>* out) {
  std::optional<Value> list = user.Get(key);
  if (!list) return;
  ErrorSink& sink = user.sink();
  ForEachElement(sink, *list, [&](const Value& element) {
    std::optional<std::string> text = ReadString(sink, element, false);
    if (!text) return;
    if (valid != nullptr && !valid(*text)) {
      sink.Add(element.mark, element.path,
               "invalid entry '" + Shorten(*text) + "' (expected " + expected + ")");
      return;
    }
    out->push_back(std::move(*text));
  });
}

UserConfig ReadUser(ErrorSink& sink, const Value& v) {
  constexpr std::string_view kKeys[] = {
      "name", "password", "password_sha256", "nopass", "enabled", "commands", "keys"};
  Section s(sink, v, kKeys);
  UserConfig user;
  if (!v.node.IsMap()) {
    if (v.node.IsNull()) sink.Add(v.mark, v.path, "expected a user (name, password, ...)");
    return user;
  }
  constexpr std::string_view kRequired[] = {"name"};
  s.Require(kRequired);
  if (auto name = s.Get("name")) {
    if (auto text = ReadString(sink, *name, false)) {
      if (text->find_first_of(" \t\r\n") != std::string::npos) {
        sink.Add(name->mark, name->path, "a user name must not contain spaces");
      } else {
        user.name = std::move(*text);
      }
    }
  }
  s.String("password", &user.password, false);
  if (auto hash = s.Get("password_sha256")) {
    if (auto text = ReadString(sink, *hash, false)) {
      if (IsLowerHex(*text, 64)) {
        user.password_sha256 = std::move(*text);
      } else {
        sink.Add(hash->mark, hash->path, "expected 64 lower-case hex digits (a SHA-256 digest)");
      }
    }
  }
  // A nopass with a bad value was reported already; counting it avoids a second error.
  bool nopass_claimed = false;
  if (auto nopass_value = s.Get("nopass")) {
    std::optional<bool> nopass = ReadBool(sink, *nopass_value);
    user.nopass = nopass.value_or(false);
    nopass_claimed = nopass.value_or(true);
  }
  s.Bool("enabled", &user.enabled);
  int ways =
      (s.Has("password") ? 1 : 0) + (s.Has("password_sha256") ? 1 : 0) + (nopass_claimed ? 1 : 0);
  if (ways != 1) {
    sink.Add(v.mark, v.path, "give exactly one of password, password_sha256 or nopass: yes");
  }
  ReadStringList(s, "commands", IsCommandRule,
                 "+command, -command, +@category, -@category, allcommands or nocommands",
                 &user.commands);
  ReadStringList(s, "keys", nullptr, "", &user.keys);
  return user;
}

}  // namespace

void ReadUsers(const Section& auth, std::vector<UserConfig>* out) {
  std::optional<Value> list = auth.Get("users");
  if (!list) return;
  ErrorSink& sink = auth.sink();
  std::vector<std::string> paths;
  ForEachElement(sink, *list, [&](const Value& element) {
    UserConfig user = ReadUser(sink, element);
    for (size_t j = 0; j < out->size() && !user.name.empty(); ++j) {
      if ((*out)[j].name == user.name) {
        sink.Add(element.mark, JoinPath(element.path, "name"),
                 "duplicate user '" + Shorten(user.name) + "' (also " + paths[j] + ")");
      }
    }
    out->push_back(std::move(user));
    paths.push_back(element.path);
  });
}

}  // namespace slotproxy::config::internal

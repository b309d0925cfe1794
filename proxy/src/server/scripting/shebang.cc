#include "server/scripting/shebang.h"

#include <string>
#include <vector>

namespace slotproxy::server::scripting {
namespace {

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
    if (i > start) parts.push_back(s.substr(start, i - start));
  }
  return parts;
}

// Sets the flag named `name`; false when Redis 7.0 knows no such flag.
bool SetFlag(std::string_view name, ScriptFlags* flags) {
  if (name == "no-writes") {
    flags->no_writes = true;
  } else if (name == "allow-oom") {
    flags->allow_oom = true;
  } else if (name == "allow-stale") {
    flags->allow_stale = true;
  } else if (name == "no-cluster") {
    flags->no_cluster = true;
  } else if (name == "allow-cross-slot-keys") {
    flags->allow_cross_slot_keys = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<ScriptFlags> ParseShebang(std::string_view body, size_t* shebang_len) {
  *shebang_len = 0;
  ScriptFlags flags;
  if (body.substr(0, 2) != "#!") return flags;
  size_t end = body.find('\n');
  if (end == std::string_view::npos) return Status::Error("ERR Invalid script shebang");
  std::vector<std::string_view> parts = SplitSpaces(body.substr(0, end));
  if (parts.empty()) return Status::Error("ERR Invalid engine in script shebang");
  if (parts[0] != "#!lua") {
    return Status::Error("ERR Unexpected engine in script shebang: " + std::string(parts[0]));
  }
  flags.has_shebang = true;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (part.substr(0, 6) != "flags=") {
      return Status::Error("ERR Unknown lua shebang option: " + std::string(part));
    }
    part.remove_prefix(6);
    // Redis splits on ',' keeping empty items only when the list is not empty ("flags=" is ok).
    while (!part.empty()) {
      size_t comma = part.find(',');
      std::string_view name = part.substr(0, comma);
      if (!SetFlag(name, &flags)) {
        return Status::Error("ERR Unexpected flag in script shebang: " + std::string(name));
      }
      if (comma == std::string_view::npos) break;
      part.remove_prefix(comma + 1);
      if (part.empty()) return Status::Error("ERR Unexpected flag in script shebang: ");
    }
  }
  *shebang_len = end;
  return flags;
}

}  // namespace slotproxy::server::scripting

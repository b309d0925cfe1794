// Helpers for the AOF rewrite / persistence tests: a temp dir, and a printable snapshot of a
// whole keyspace (every key's type, TTL and value) so two keyspaces can be compared exactly.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/keyspace.h"
#include "engine/numbers.h"
#include "engine/object.h"
#include "engine/types/hash_value.h"
#include "engine/types/list_value.h"
#include "engine/types/set_value.h"
#include "engine/types/zset_value.h"

namespace slotproxy::server::testing {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/sp-persist-test-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    path = made != nullptr ? made : "/tmp";
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

inline uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

// One key: "type ttl=T : value...". Sets sorted; zset scores as exact hex floats.
inline std::string DescribeEntry(engine::Keyspace& ks, const engine::Entry* e) {
  std::ostringstream out;
  out << engine::TypeName(e->type()) << " ttl=" << ks.GetExpire(e) << " :";
  char buf[engine::kInt64Chars];
  switch (e->type()) {
    case engine::ObjType::kString:
      out << " " << e->StringValue(buf);
      break;
    case engine::ObjType::kList:
      e->list()->ForRange(0, -1, [&](std::string_view v) { out << " " << v; });
      break;
    case engine::ObjType::kHash: {
      std::vector<std::string> fields;
      e->hash()->ForEach([&](std::string_view f, std::string_view v) {
        fields.push_back(std::string(f) + "=" + std::string(v));
      });
      std::sort(fields.begin(), fields.end());
      for (const auto& f : fields) out << " " << f;
      break;
    }
    case engine::ObjType::kSet: {
      std::vector<std::string> m = e->set()->Members();
      std::sort(m.begin(), m.end());
      for (const auto& s : m) out << " " << s;
      break;
    }
    case engine::ObjType::kZSet:
      e->zset()->ForEach([&](std::string_view m, double s) {
        char score[40];
        std::snprintf(score, sizeof(score), "%a", s == 0 ? 0.0 : s);
        out << " " << m << "@" << score;
      });
      break;
  }
  return out.str();
}

// Every live key at `now_ms` with its description.
inline std::map<std::string, std::string> Snapshot(engine::Keyspace& ks, int64_t now_ms) {
  std::map<std::string, std::string> out;
  for (const std::string& k : ks.KeysMatching("*", now_ms)) {
    if (const engine::Entry* e = ks.Peek(k)) out[k] = DescribeEntry(ks, e);
  }
  return out;
}

}  // namespace slotproxy::server::testing

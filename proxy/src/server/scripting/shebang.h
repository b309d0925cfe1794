// The "#!lua flags=..." first line Redis 7.0 accepts on EVAL scripts (evalExtractShebangFlags).
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"

namespace slotproxy::server::scripting {

// What a script declares in its shebang. A script without one runs in Redis's compatibility
// mode (every flag false, has_shebang false).
struct ScriptFlags {
  bool has_shebang = false;
  bool no_writes = false;
  bool allow_oom = false;
  bool allow_stale = false;
  bool no_cluster = false;
  bool allow_cross_slot_keys = false;
};

// Parses the shebang of `body` when it starts with "#!". On success returns the flags and sets
// *shebang_len to the length of the first line without its '\n' (0 without a shebang): the
// caller compiles body[shebang_len...], which keeps the line numbers. Error: Redis's text
// ("ERR Invalid script shebang", "ERR Unexpected engine in script shebang: #!x",
// "ERR Unexpected flag in script shebang: x", "ERR Unknown lua shebang option: x").
Result<ScriptFlags> ParseShebang(std::string_view body, size_t* shebang_len);

}  // namespace slotproxy::server::scripting

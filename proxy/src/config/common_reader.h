// Internal to sp_config: sections that the proxy's and the shard's configs share.
#pragma once

#include <string_view>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace slotproxy::config::internal {

// `log: {level, file}`.
void ReadLog(const Section& parent, LogConfig* out);

// `metrics: {listen: host:port}`; port 0 turns the endpoint off.
void ReadMetrics(const Section& parent, MetricsConfig* out);

// An appendfsync policy at `parent[key]` (always, everysec, no).
void ReadAppendFsync(const Section& parent, std::string_view key, AppendFsync* out);

// A host or IP literal to bind to at `parent[key]`: non-empty, no spaces, no port.
void ReadBindAddress(const Section& parent, std::string_view key, std::string* out);

// `users: [{name, password | password_sha256 | nopass, enabled, commands, keys}]` under `auth`.
void ReadUsers(const Section& auth, std::vector<UserConfig>* out);

}  // namespace slotproxy::config::internal

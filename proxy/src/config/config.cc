#include "config/config.h"

#include <cassert>
#include <cmath>

#include "cluster/fleet.h"
#include "config/suggest.h"

namespace slotproxy::config {

ProxyConfig DefaultProxyConfig() { return ProxyConfig{}; }

ShardConfig DefaultShardConfig() { return ShardConfig{}; }

std::vector<SlotRange> EvenSlotSplit(int shards) {
  assert(shards >= 1 && shards <= kSlotCount);
  // One source of truth with the shard server and redis-cli's arithmetic (float rounding).
  Result<std::vector<cluster::SlotRange>> split =
      cluster::SplitSlotsEvenly(static_cast<size_t>(shards));
  assert(split.ok());
  std::vector<SlotRange> ranges;
  for (const cluster::SlotRange& r : split.value()) ranges.push_back({r.start, r.end});
  return ranges;
}

std::vector<FleetNode> EmbeddedFleet(const EmbeddedConfig& embedded) {
  if (!embedded.fleet.empty()) return embedded.fleet;
  std::vector<SlotRange> ranges = EvenSlotSplit(embedded.shards);
  std::vector<FleetNode> nodes;
  for (int i = 0; i < embedded.shards; ++i) {
    FleetNode node;
    node.id = i < static_cast<int>(embedded.ids.size()) ? embedded.ids[i] : "";
    node.host = embedded.bind;
    node.port = embedded.base_port == 0 ? 0 : static_cast<uint16_t>(embedded.base_port + i);
    node.slots = {ranges[i]};
    nodes.push_back(std::move(node));
  }
  return nodes;
}

std::string ShardDataDir(const EmbeddedConfig& embedded, int index) {
  std::string dir = embedded.data_dir;
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + "shard-" + std::to_string(index);
}

std::vector<std::string> RestartOnlyChanges(const ProxyConfig& running, const ProxyConfig& loaded) {
  std::vector<std::string> changed;
  auto check = [&](bool same, const char* path) {
    if (!same) changed.emplace_back(path);
  };
  check(running.listen == loaded.listen, "listen");
  check(running.workers == loaded.workers, "workers");
  check(running.mode == loaded.mode, "mode");
  check(running.seeds == loaded.seeds, "seeds");
  check(running.embedded == loaded.embedded, "embedded");
  check(running.pool == loaded.pool, "pool");
  check(running.backend_auth == loaded.backend_auth, "backend_auth");
  check(running.metrics == loaded.metrics, "metrics");
  return changed;
}

std::vector<std::string> LiveChanges(const ProxyConfig& running, const ProxyConfig& loaded) {
  std::vector<std::string> changed;
  auto check = [&](bool same, const char* path) {
    if (!same) changed.emplace_back(path);
  };
  const TimeoutsConfig& rt = running.timeouts;
  const TimeoutsConfig& lt = loaded.timeouts;
  check(rt.connect == lt.connect, "timeouts.connect");
  check(rt.op == lt.op, "timeouts.op");
  check(rt.client_idle == lt.client_idle, "timeouts.client_idle");
  check(rt.topology_refresh == lt.topology_refresh, "timeouts.topology_refresh");
  const LimitsConfig& rl = running.limits;
  const LimitsConfig& ll = loaded.limits;
  check(rl.max_clients == ll.max_clients, "limits.max_clients");
  check(rl.proto_max_bulk_len == ll.proto_max_bulk_len, "limits.proto_max_bulk_len");
  check(rl.query_buffer == ll.query_buffer, "limits.query_buffer");
  check(rl.max_pending_per_client == ll.max_pending_per_client, "limits.max_pending_per_client");
  check(rl.output_buffer == ll.output_buffer, "limits.output_buffer");
  check(running.auth.requirepass == loaded.auth.requirepass, "auth.requirepass");
  check(running.auth.users == loaded.auth.users, "auth.users");
  check(running.slowlog.threshold == loaded.slowlog.threshold, "slowlog.threshold");
  check(running.slowlog.max_len == loaded.slowlog.max_len, "slowlog.max_len");
  check(running.log.level == loaded.log.level, "log.level");
  check(running.log.file == loaded.log.file, "log.file");
  check(running.shutdown_timeout == loaded.shutdown_timeout, "shutdown_timeout");
  return changed;
}

ProxyConfig MergeLive(const ProxyConfig& running, const ProxyConfig& loaded) {
  ProxyConfig merged = running;
  merged.timeouts = loaded.timeouts;
  merged.limits = loaded.limits;
  merged.auth = loaded.auth;
  merged.slowlog = loaded.slowlog;
  merged.log = loaded.log;
  merged.shutdown_timeout = loaded.shutdown_timeout;
  return merged;
}

const char* AppendFsyncName(AppendFsync value) {
  switch (value) {
    case AppendFsync::kAlways:
      return "always";
    case AppendFsync::kEverysec:
      return "everysec";
    case AppendFsync::kNo:
      return "no";
  }
  return "?";
}

const char* LogLevelName(LogLevel value) {
  switch (value) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kVerbose:
      return "verbose";
    case LogLevel::kNotice:
      return "notice";
    case LogLevel::kWarning:
      return "warning";
  }
  return "?";
}

const char* ModeName(Mode value) { return value == Mode::kEmbedded ? "embedded" : "cluster"; }

Result<LogLevel> ParseLogLevel(std::string_view text) {
  for (LogLevel level :
       {LogLevel::kDebug, LogLevel::kVerbose, LogLevel::kNotice, LogLevel::kWarning}) {
    if (text == LogLevelName(level)) return level;
  }
  return Status::Error("invalid log level '" + Shorten(text) +
                       "' (expected debug, verbose, notice or warning)");
}

Result<AppendFsync> ParseAppendFsync(std::string_view text) {
  for (AppendFsync policy : {AppendFsync::kAlways, AppendFsync::kEverysec, AppendFsync::kNo}) {
    if (text == AppendFsyncName(policy)) return policy;
  }
  return Status::Error("invalid appendfsync '" + Shorten(text) +
                       "' (expected always, everysec or no)");
}

}  // namespace slotproxy::config

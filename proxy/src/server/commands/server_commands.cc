// Server commands: INFO, CONFIG GET, TIME, and DBSIZE / FLUSHALL / FLUSHDB for when no command
// family registers them (a family's handler wins in the registry).
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "engine/glob.h"
#include "server/client.h"
#include "server/handler_registry.h"
#include "server/scripting/script_engine.h"
#include "server/scripting/shard_host.h"
#include "server/server_strings.h"
#include "server/shard.h"

namespace slotproxy::server {
namespace {

// Redis's bytesToHuman.
std::string Printf(const char* format, double d) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, d);
  return buf;
}

std::string BytesToHuman(uint64_t n) {
  double d = static_cast<double>(n);
  if (n < 1024) return std::to_string(n) + "B";
  if (n < (1ull << 20)) return Printf("%.2fK", d / 1024);
  if (n < (1ull << 30)) return Printf("%.2fM", d / (1 << 20));
  if (n < (1ull << 40)) return Printf("%.2fG", d / (1ull << 30));
  return Printf("%.2fT", d / (1ull << 40));
}

template <typename T>
std::string ToText(const T& v) {
  if constexpr (std::is_arithmetic_v<T>) {
    return std::to_string(v);
  } else {
    return std::string(v);
  }
}

uint64_t RssBytes() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void Field(std::string* out, std::string_view name, const auto& value) {
  out->append(name);
  out->push_back(':');
  out->append(ToText(value));
  out->append("\r\n");
}

void ServerSection(Shard& shard, int64_t now_ms, std::string* out) {
  *out += "# Server\r\n";
  Field(out, "redis_version", "7.0.15");
  Field(out, "redis_git_sha1", "00000000");
  Field(out, "redis_git_dirty", 0);
  Field(out, "redis_build_id", "0");
  Field(out, "redis_mode", "cluster");
  Field(out, "os", "Linux");
  Field(out, "arch_bits", sizeof(void*) * 8);
  Field(out, "monotonic_clock", "POSIX clock_gettime");
  Field(out, "multiplexing_api", "epoll");
  Field(out, "atomicvar_api", "c11-builtin");
  Field(out, "gcc_version", "0.0.0");
  Field(out, "process_id", getpid());
  Field(out, "process_supervised", "no");
  Field(out, "run_id",
        shard.options().node_id.empty() ? std::string(40, '0') : shard.options().node_id);
  Field(out, "tcp_port", shard.Port());
  Field(out, "server_time_usec", now_ms * 1000);
  int64_t up = (now_ms - shard.start_ms()) / 1000;
  Field(out, "uptime_in_seconds", up);
  Field(out, "uptime_in_days", up / 86400);
  Field(out, "hz", 10);
  Field(out, "configured_hz", 10);
  Field(out, "lru_clock", (now_ms / 1000) & ((1 << 24) - 1));
  Field(out, "executable", "");
  Field(out, "config_file", shard.options().config_file);
  Field(out, "io_threads_active", 0);
}

void ClientsSection(Shard& shard, std::string* out) {
  *out += "# Clients\r\n";
  Field(out, "connected_clients", shard.clients().size());
  Field(out, "cluster_connections", 0);
  Field(out, "maxclients", shard.options().maxclients);
  Field(out, "client_recent_max_input_buffer", 0);
  Field(out, "client_recent_max_output_buffer", 0);
  Field(out, "blocked_clients", shard.BlockedClientCount());
  Field(out, "tracking_clients", 0);
  Field(out, "clients_in_timeout_table", shard.BlockedClientCount());
}

void MemorySection(Shard& shard, std::string* out) {
  struct mallinfo2 mi = mallinfo2();
  uint64_t used = mi.uordblks + mi.hblkhd;
  uint64_t rss = RssBytes();
  *out += "# Memory\r\n";
  Field(out, "used_memory", used);
  Field(out, "used_memory_human", BytesToHuman(used));
  Field(out, "used_memory_rss", rss);
  Field(out, "used_memory_rss_human", BytesToHuman(rss));
  Field(out, "used_memory_peak", used);
  Field(out, "used_memory_peak_human", BytesToHuman(used));
  // Redis always has its Lua state; ours is made on first use, so the first INFO may make it.
  Field(out, "number_of_cached_scripts", scripting::EngineFor(shard).size());
  Field(out, "maxmemory", 0);
  Field(out, "maxmemory_human", "0B");
  Field(out, "maxmemory_policy", "noeviction");
  Field(out, "mem_fragmentation_ratio",
        Printf("%.2f", used == 0 ? 0.0 : static_cast<double>(rss) / static_cast<double>(used)));
  Field(out, "mem_allocator", "libc");
}

void PersistenceSection(Shard& shard, std::string* out) {
  *out += "# Persistence\r\n";
  Field(out, "loading", 0);
  Field(out, "async_loading", 0);
  Field(out, "rdb_changes_since_last_save", shard.stats().dirty);
  Field(out, "rdb_bgsave_in_progress", 0);
  Field(out, "rdb_last_save_time", shard.start_ms() / 1000);
  Field(out, "rdb_last_bgsave_status", "ok");
  const AofSink* aof = shard.options().aof;
  if (aof != nullptr && aof->AppendInfoFields(out)) return;  // the AOF's real state
  Field(out, "aof_enabled", shard.options().appendonly ? 1 : 0);
  Field(out, "aof_rewrite_in_progress", 0);
  Field(out, "aof_rewrite_scheduled", 0);
  Field(out, "aof_last_rewrite_time_sec", -1);
  Field(out, "aof_last_bgrewrite_status", "ok");
  Field(out, "aof_last_write_status", "ok");
}

void StatsSection(Shard& shard, std::string* out) {
  const ShardStats& s = shard.stats();
  const engine::KeyspaceStats& k = shard.db().stats();
  *out += "# Stats\r\n";
  Field(out, "total_connections_received", s.connections_received);
  Field(out, "total_commands_processed", s.commands_processed);
  Field(out, "instantaneous_ops_per_sec", 0);
  Field(out, "total_net_input_bytes", shard.loop().BytesRead());
  Field(out, "total_net_output_bytes", shard.loop().BytesWritten());
  Field(out, "rejected_connections", s.rejected_connections);
  Field(out, "expired_keys", k.expired_keys);
  Field(out, "evicted_keys", 0);
  Field(out, "keyspace_hits", k.hits);
  Field(out, "keyspace_misses", k.misses);
  Field(out, "pubsub_channels", shard.pubsub().ChannelCount());
  Field(out, "pubsub_patterns", shard.pubsub().PatternCount());
  Field(out, "pubsubshard_channels", shard.pubsub().ShardChannelCount());
  Field(out, "total_error_replies", s.error_replies);
}

void ReplicationSection(std::string* out) {
  *out += "# Replication\r\n";
  Field(out, "role", "master");
  Field(out, "connected_slaves", 0);
  Field(out, "master_failover_state", "no-failover");
  Field(out, "master_repl_offset", 0);
  Field(out, "second_repl_offset", -1);
  Field(out, "repl_backlog_active", 0);
}

void CpuSection(std::string* out) {
  struct rusage self;
  getrusage(RUSAGE_SELF, &self);
  auto secs = [](const timeval& tv) {
    return Printf("%.6f", static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6);
  };
  *out += "# CPU\r\n";
  Field(out, "used_cpu_sys", secs(self.ru_stime));
  Field(out, "used_cpu_user", secs(self.ru_utime));
}

void ClusterSection(std::string* out) {
  *out += "# Cluster\r\n";
  Field(out, "cluster_enabled", 1);
}

void KeyspaceSection(Shard& shard, std::string* out) {
  *out += "# Keyspace\r\n";
  if (shard.db().Size() == 0) return;
  *out += "db0:keys=" + std::to_string(shard.db().Size()) +
          ",expires=" + std::to_string(shard.db().ExpiresCount()) + ",avg_ttl=0\r\n";
}

// Which sections INFO prints, in Redis's fixed order.
constexpr std::string_view kSections[] = {"server",     "clients",     "memory",  "persistence",
                                          "stats",      "replication", "cpu",     "modules",
                                          "errorstats", "cluster",     "keyspace"};
constexpr std::string_view kDefault[] = {"server",     "clients",     "memory",  "persistence",
                                         "stats",      "replication", "cpu",     "modules",
                                         "errorstats", "cluster",     "keyspace"};

bool Wanted(std::span<const std::string_view> args, std::string_view section) {
  if (args.size() <= 1) return true;  // default: every section we have
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], section) || EqualsIgnoreCase(args[i], "all") ||
        EqualsIgnoreCase(args[i], "everything") || EqualsIgnoreCase(args[i], "default")) {
      return true;
    }
  }
  return false;
}

void Info(ServerContext& ctx) {
  std::string out;
  for (std::string_view section : kSections) {
    if (!Wanted(ctx.cmd.args, section)) continue;
    if (!out.empty()) out += "\r\n";
    if (section == "server") ServerSection(ctx.shard, ctx.cmd.now_ms, &out);
    if (section == "clients") ClientsSection(ctx.shard, &out);
    if (section == "memory") MemorySection(ctx.shard, &out);
    if (section == "persistence") PersistenceSection(ctx.shard, &out);
    if (section == "stats") StatsSection(ctx.shard, &out);
    if (section == "replication") ReplicationSection(&out);
    if (section == "cpu") CpuSection(&out);
    if (section == "modules") out += "# Modules\r\n";
    if (section == "errorstats") out += "# Errorstats\r\n";
    if (section == "cluster") ClusterSection(&out);
    if (section == "keyspace") KeyspaceSection(ctx.shard, &out);
  }
  (void)kDefault;
  ctx.cmd.reply.Verbatim(out);
}

// The configs CONFIG GET knows, with their values on this shard.
std::vector<std::pair<std::string_view, std::string>> Configs(Shard& shard) {
  const ShardOptions& o = shard.options();
  return {
      {"save", ""},
      {"appendonly", o.appendonly ? "yes" : "no"},
      {"appendfsync", o.appendfsync},
      {"appendfilename", "appendonly.aof"},
      {"maxmemory", "0"},
      {"maxmemory-policy", "noeviction"},
      {"maxmemory-samples", "5"},
      {"databases", "16"},
      {"cluster-enabled", "yes"},
      {"cluster-node-timeout", "15000"},
      {"cluster-config-file", "nodes.conf"},
      {"cluster-require-full-coverage", "yes"},
      {"port", std::to_string(shard.Port())},
      {"bind", o.bind},
      {"dir", o.dir},
      {"dbfilename", "dump.rdb"},
      {"requirepass", o.requirepass},
      {"masterauth", ""},
      {"maxclients", std::to_string(o.maxclients)},
      {"busy-reply-threshold", std::to_string(o.busy_reply_threshold_ms)},
      {"lua-time-limit", std::to_string(o.busy_reply_threshold_ms)},
      {"timeout", "0"},
      {"tcp-keepalive", "300"},
      {"tcp-backlog", "511"},
      {"hz", "10"},
      {"loglevel", "notice"},
      {"logfile", ""},
      {"daemonize", "no"},
      {"protected-mode", "no"},
      {"io-threads", "1"},
      {"replica-read-only", "yes"},
      {"proto-max-bulk-len", "536870912"},
      {"client-query-buffer-limit", "1073741824"},
      {"client-output-buffer-limit",
       "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
      {"notify-keyspace-events", ""},
      {"slowlog-log-slower-than", "10000"},
      {"slowlog-max-len", "128"},
      {"lua-time-limit", "5000"},
      {"busy-reply-threshold", "5000"},
  };
}

void ConfigGet(ServerContext& ctx) {
  auto configs = Configs(ctx.shard);
  std::vector<std::pair<std::string, const std::string*>> matches;
  auto seen = [&](std::string_view name) {
    for (const auto& m : matches) {
      if (EqualsIgnoreCase(m.first, name)) return true;
    }
    return false;
  };
  for (size_t i = 2; i < ctx.cmd.argc(); ++i) {
    std::string_view pattern = ctx.cmd.args[i];
    bool glob = pattern.find_first_of("[*?") != std::string_view::npos;
    for (const auto& [name, value] : configs) {
      bool hit = glob ? engine::GlobMatch(pattern, name, /*nocase=*/true)
                      : EqualsIgnoreCase(pattern, name);
      if (!hit || seen(name)) continue;
      // An exact name is echoed as the client wrote it, as Redis does.
      matches.emplace_back(glob ? std::string(name) : std::string(pattern), &value);
    }
  }
  ctx.cmd.reply.MapHeader(matches.size());
  for (const auto& [name, value] : matches) {
    ctx.cmd.reply.Bulk(name);
    ctx.cmd.reply.Bulk(*value);
  }
}

void Time(ServerContext& ctx) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  ctx.cmd.reply.ArrayHeader(2);
  ctx.cmd.reply.Bulk(std::to_string(us / 1000000));
  ctx.cmd.reply.Bulk(std::to_string(us % 1000000));
}

void DbSize(ServerContext& ctx) {
  ctx.cmd.reply.Integer(static_cast<int64_t>(ctx.shard.db().Size()));
}

void Flush(ServerContext& ctx) {
  if (ctx.cmd.argc() > 2 || (ctx.cmd.argc() == 2 && !EqualsIgnoreCase(ctx.cmd.args[1], "sync") &&
                             !EqualsIgnoreCase(ctx.cmd.args[1], "async"))) {
    ctx.cmd.reply.Error("ERR syntax error");
    return;
  }
  ctx.shard.db().Flush();
  ctx.cmd.MarkDirty();
  ctx.cmd.reply.SimpleString("OK");
}

constexpr ServerHandlerRow kRows[] = {
    {"info", &Info},     {"config|get", &ConfigGet}, {"time", &Time},
    {"dbsize", &DbSize}, {"flushall", &Flush},       {"flushdb", &Flush},
};

}  // namespace

std::span<const ServerHandlerRow> ServerInfoHandlers() { return kRows; }

}  // namespace slotproxy::server

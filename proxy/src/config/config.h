// The proxy's and the shard's configuration as plain structs. Nothing here knows YAML: the
// loader (config/loader.h) fills these, the command line (config/cli.h) overrides them, and the
// binaries read them. Every default below is the value used when the file leaves a key out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/host_port.h"
#include "config/units.h"

namespace slotproxy::config {

inline constexpr int kSlotCount = 16384;

// Where the proxy's backends come from.
enum class Mode {
  kEmbedded,  // the proxy starts its own shards in-process and reaches them over loopback TCP
  kCluster,   // an existing Redis Cluster (or a fleet of our shards), discovered from seeds
};

enum class AppendFsync { kAlways, kEverysec, kNo };

// Redis's log level names, most verbose first.
enum class LogLevel { kDebug, kVerbose, kNotice, kWarning };

// An inclusive range of hash slots, first <= last < kSlotCount.
struct SlotRange {
  int first = 0;
  int last = 0;

  friend bool operator==(const SlotRange&, const SlotRange&) = default;
};

// One node of a fleet description; the same schema in the proxy's `embedded.fleet` and the
// shard's `fleet`, so one list can be pasted into both.
struct FleetNode {
  std::string id;  // 40 lower-case hex digits, as Redis node ids; may be empty in EmbeddedFleet()
  std::string host;
  uint16_t port = 0;  // 0 only in an embedded fleet: the OS picks
  std::vector<SlotRange> slots;

  friend bool operator==(const FleetNode&, const FleetNode&) = default;
};

struct EmbeddedConfig {
  int shards = 3;
  uint16_t base_port = 0;  // 0: each shard gets a port the OS picks; else base_port + index
  std::string bind = "127.0.0.1";
  std::string data_dir = "data";  // relative paths are relative to the working directory
  AppendFsync appendfsync = AppendFsync::kEverysec;
  std::vector<std::string> ids;  // empty, or one id per shard
  std::vector<FleetNode> fleet;  // optional explicit fleet; when set it replaces the above

  friend bool operator==(const EmbeddedConfig&, const EmbeddedConfig&) = default;
};

struct PoolConfig {
  int connections_per_backend = 1;  // per worker, per node
  int max_pending_per_connection = 10000;
  Duration reconnect_min = std::chrono::milliseconds(10);
  Duration reconnect_max = std::chrono::seconds(2);

  friend bool operator==(const PoolConfig&, const PoolConfig&) = default;
};

struct TimeoutsConfig {
  Duration connect = std::chrono::milliseconds(500);
  Duration op = std::chrono::seconds(1);  // per request, sent to reply
  Duration client_idle{0};                // 0: idle clients are never closed (Redis `timeout 0`)
  Duration topology_refresh = std::chrono::seconds(1);  // periodic CLUSTER SLOTS; 0: off

  friend bool operator==(const TimeoutsConfig&, const TimeoutsConfig&) = default;
};

struct OutputBufferLimit {
  uint64_t hard = 256ull << 20;  // 0: no hard limit
  uint64_t soft = 64ull << 20;   // 0: no soft limit
  int soft_seconds = 60;

  friend bool operator==(const OutputBufferLimit&, const OutputBufferLimit&) = default;
};

struct LimitsConfig {
  int max_clients = 10000;
  uint64_t proto_max_bulk_len = 512ull << 20;
  uint64_t query_buffer = 1ull << 30;
  int max_pending_per_client = 1024;  // back-pressure mark: stop reading past it
  OutputBufferLimit output_buffer;

  friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

// Credentials the proxy sends to every backend (AUTH [user] password). Empty password: none.
struct BackendAuthConfig {
  std::string user;
  std::string password;

  friend bool operator==(const BackendAuthConfig&, const BackendAuthConfig&) = default;
};

// A client-facing ACL user. Structure only; enforcement belongs to the session layer.
struct UserConfig {
  std::string name;
  std::string password;         // plaintext, or
  std::string password_sha256;  // 64 lower-case hex digits, or
  bool nopass = false;          // any password is accepted
  bool enabled = true;
  std::vector<std::string> commands;  // ACL rules: "+@read", "-flushall", "+get", "+@all"
  std::vector<std::string> keys;      // key patterns: "user:*"; empty: no key access

  friend bool operator==(const UserConfig&, const UserConfig&) = default;
};

struct AuthConfig {
  std::string requirepass;  // the `default` user's password; empty: no password
  std::vector<UserConfig> users;

  friend bool operator==(const AuthConfig&, const AuthConfig&) = default;
};

struct MetricsConfig {
  HostPort listen{"127.0.0.1", 0};  // port 0: the metrics endpoint is off
  // Per-request figures (latency histograms, INFO commandstats / latencystats, SLOWLOG). Off
  // only to measure what they cost: the metrics endpoint then shows no request figures.
  bool request_stats = true;

  friend bool operator==(const MetricsConfig&, const MetricsConfig&) = default;
};

struct SlowlogConfig {
  Duration threshold = std::chrono::milliseconds(10);  // 0: log every request
  int max_len = 128;

  friend bool operator==(const SlowlogConfig&, const SlowlogConfig&) = default;
};

struct LogConfig {
  LogLevel level = LogLevel::kNotice;
  std::string file;  // empty or "stderr": standard error

  friend bool operator==(const LogConfig&, const LogConfig&) = default;
};

struct ProxyConfig {
  HostPort listen{"127.0.0.1", 7000};  // port 0: the OS picks (tests)
  int workers = 0;                     // 0: one per CPU core
  Mode mode = Mode::kEmbedded;
  std::vector<HostPort> seeds;  // mode kCluster only
  EmbeddedConfig embedded;      // mode kEmbedded only
  PoolConfig pool;
  TimeoutsConfig timeouts;
  LimitsConfig limits;
  BackendAuthConfig backend_auth;
  AuthConfig auth;
  MetricsConfig metrics;
  SlowlogConfig slowlog;
  LogConfig log;
  // SIGTERM / SIGINT: how long requests already accepted may take to finish before the proxy
  // exits anyway (0: exit as soon as the listeners are closed).
  Duration shutdown_timeout = std::chrono::seconds(5);

  friend bool operator==(const ProxyConfig&, const ProxyConfig&) = default;
};

struct ShardConfig {
  uint16_t port = 6379;
  std::string bind = "127.0.0.1";
  std::string dir = ".";
  bool appendonly = true;  // off only for benchmarks that compare with persistence off
  AppendFsync appendfsync = AppendFsync::kEverysec;
  std::string requirepass;
  int auto_aof_rewrite_percentage = 100;  // 0: no automatic rewrite
  uint64_t auto_aof_rewrite_min_size = 64ull << 20;
  int maxclients = 10000;
  int busy_reply_threshold_ms = 5000;  // Redis's busy-reply-threshold (lua-time-limit)
  std::vector<FleetNode> fleet;        // empty: a one-node cluster owning every slot
  std::string self;                    // the id of this shard's node in `fleet`
  MetricsConfig metrics;
  LogConfig log;

  friend bool operator==(const ShardConfig&, const ShardConfig&) = default;
};

// The proxy's defaults: embedded mode, 3 shards, listening on 127.0.0.1:7000.
ProxyConfig DefaultProxyConfig();

// The shard's defaults: port 6379 on 127.0.0.1, data in ".", no fleet.
ShardConfig DefaultShardConfig();

// Splits the 16384 slots over `shards` nodes exactly as `redis-cli --cluster create` does
// (3 nodes: 0-5460, 5461-10922, 10923-16383). `shards` must be in [1, kSlotCount].
std::vector<SlotRange> EvenSlotSplit(int shards);

// The nodes an embedded config describes: `fleet` when given, otherwise `shards` nodes on
// `bind`, port base_port + i (or 0), id ids[i] (or empty: the shard makes one up), slots split
// evenly. The config must have been validated.
std::vector<FleetNode> EmbeddedFleet(const EmbeddedConfig& embedded);

// The data directory of embedded shard `index`: "<data_dir>/shard-<index>", so that every
// shard's append-only file stays put across restarts as long as the shard count does.
std::string ShardDataDir(const EmbeddedConfig& embedded, int index);

// The key paths whose values differ between `running` and `loaded` but cannot change while the
// proxy runs (listen, workers, mode, seeds, embedded, pool, backend_auth, metrics): a SIGHUP
// reload applies the rest (timeouts, limits, auth, slowlog, log) and logs these as needing a
// restart. Empty when everything that changed can be applied live.
std::vector<std::string> RestartOnlyChanges(const ProxyConfig& running, const ProxyConfig& loaded);

// The key paths of the live part (timeouts.*, limits.*, auth, slowlog.*, log.*,
// shutdown_timeout) whose values differ between `running` and `loaded`, in schema order, at
// the finest level named in the YAML ("timeouts.op", "limits.output_buffer", "auth.users").
// Empty when nothing live changed.
std::vector<std::string> LiveChanges(const ProxyConfig& running, const ProxyConfig& loaded);

// What the proxy runs with after a SIGHUP reload of `loaded`: `running` with the live part
// taken from `loaded`; the restart-only part (see RestartOnlyChanges) stays as running, so a
// later reload compares against what is really in effect.
ProxyConfig MergeLive(const ProxyConfig& running, const ProxyConfig& loaded);

// Names as written in the YAML ("everysec", "notice", "embedded").
const char* AppendFsyncName(AppendFsync value);
const char* LogLevelName(LogLevel value);
const char* ModeName(Mode value);

// Parses a log level name (debug, verbose, notice, warning). Error: names the accepted values.
Result<LogLevel> ParseLogLevel(std::string_view text);

// Parses an appendfsync policy (always, everysec, no). Error: names the accepted values.
Result<AppendFsync> ParseAppendFsync(std::string_view text);

}  // namespace slotproxy::config

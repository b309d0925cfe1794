// Command lines of the proxy and shard binaries, and how they override a loaded config.
//
// Hand-written rather than CLI11 (libcli11-dev): a dozen flags do not justify another build
// dependency, and this way the errors ("unknown option '--prot' (did you mean '--port'?)") use
// the same wording and hints as the config file's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"

namespace slotproxy::config {

// Proxy flags that override the config file (or the defaults when there is no file).
struct CliOverrides {
  std::optional<uint16_t> port;          // --port N: listen.port
  std::optional<int> workers;            // --workers N
  std::vector<HostPort> seeds;           // --seed HOST:PORT, repeatable: mode cluster
  std::optional<uint16_t> metrics_port;  // --metrics-port N: metrics.listen.port (0: off)
  std::optional<LogLevel> log_level;     // --log-level L
};

struct ProxyCli {
  std::string config_path;   // -c FILE; empty: no file, start from DefaultProxyConfig()
  bool test_config = false;  // -t / --test-config: check the config, print the result, exit
  bool version = false;      // -v / -V / --version
  bool help = false;         // -h / --help
  CliOverrides overrides;
};

// Parses the proxy's arguments (argv[0] is the program name and is skipped). Accepts
// "--flag value" and "--flag=value". Error: one message for the first bad argument (unknown
// option with a "did you mean" hint, missing or bad value, stray argument, repeated -c).
Result<ProxyCli> ParseProxyArgs(int argc, const char* const* argv);

// Applies the overrides: --seed replaces the file's seeds and switches to mode cluster.
void ApplyOverrides(ProxyConfig& config, const CliOverrides& overrides);

// The config a proxy command line asks for: the file at cli.config_path (or the defaults) with
// the overrides applied. Error: FormatConfigErrors() of every problem in the file.
Result<ProxyConfig> ResolveProxyConfig(const ProxyCli& cli);

// `--help` text for the proxy.
std::string ProxyUsage(std::string_view program);

// Shard flags, redis-server style, that override shard.yaml.
struct ShardCliOverrides {
  std::optional<uint16_t> port;
  std::optional<std::string> bind;
  std::optional<std::string> dir;
  std::optional<bool> appendonly;  // --appendonly yes|no
  std::optional<AppendFsync> appendfsync;
  std::optional<std::string> requirepass;
  std::optional<uint16_t> metrics_port;
  std::optional<LogLevel> log_level;
  std::optional<int> busy_reply_threshold_ms;  // --busy-reply-threshold / --lua-time-limit MS
};

struct ShardCli {
  std::string config_path;  // -c FILE; empty: DefaultShardConfig()
  bool test_config = false;
  bool version = false;
  bool help = false;
  ShardCliOverrides overrides;
};

// Parses the shard's arguments; same conventions and errors as ParseProxyArgs.
Result<ShardCli> ParseShardArgs(int argc, const char* const* argv);

// Applies the overrides. Error: --port contradicts the port of this shard's fleet node.
Status ApplyShardOverrides(ShardConfig& config, const ShardCliOverrides& overrides);

// The file (or defaults) with the overrides applied. Error: every problem, as above.
Result<ShardConfig> ResolveShardConfig(const ShardCli& cli);

// `--help` text for the shard.
std::string ShardUsage(std::string_view program);

}  // namespace slotproxy::config

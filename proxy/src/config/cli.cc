#include "config/cli.h"

#include <charconv>
#include <functional>

#include "config/loader.h"
#include "config/suggest.h"

namespace slotproxy::config {
namespace {

// One flag: its spellings, whether it takes a value, and what to do with it.
struct Option {
  std::vector<std::string_view> names;
  bool takes_value;
  std::function<Status(std::string_view value)> apply;
};

Status ParseWithOptions(int argc, const char* const* argv, const std::vector<Option>& options) {
  std::vector<std::string_view> all_names;
  for (const Option& option : options) {
    all_names.insert(all_names.end(), option.names.begin(), option.names.end());
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i] == nullptr ? "" : argv[i];
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--") && arg.find('=') != std::string_view::npos) {
      name = arg.substr(0, arg.find('='));
      inline_value = arg.substr(arg.find('=') + 1);
    }
    if (!name.starts_with("-") || name == "-" || name == "--") {
      return Status::Error("unexpected argument '" + Shorten(arg) +
                           "' (a config file goes after -c)");
    }
    const Option* found = nullptr;
    for (const Option& option : options) {
      for (std::string_view n : option.names) found = n == name ? &option : found;
    }
    if (found == nullptr) {
      std::string message = "unknown option '" + Shorten(name) + "'";
      // Single-letter flags are one edit from each other, so only long names get a hint.
      std::string hint = name.starts_with("--") ? NearestMatch(name, all_names) : "";
      if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
      return Status::Error(message + "; try --help");
    }
    std::string_view value;
    if (found->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < argc && argv[i + 1] != nullptr) {
        value = argv[++i];
      } else {
        return Status::Error("option '" + std::string(name) + "' needs a value");
      }
    } else if (inline_value) {
      return Status::Error("option '" + std::string(name) + "' takes no value");
    }
    Status status = found->apply(value);
    if (!status.ok()) {
      return Status::Error("option '" + std::string(name) + "': " + status.message());
    }
  }
  return Status();
}

Result<int> ParseCount(std::string_view text, int min, int max) {
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || number < min ||
      number > max) {
    return Status::Error("invalid number '" + Shorten(text) + "' (expected " + std::to_string(min) +
                         "-" + std::to_string(max) + ")");
  }
  return number;
}

// Stores a parsed value, or passes the parser's error on.
template <typename T, typename U>
Status Store(Result<T> parsed, std::optional<U>* out) {
  if (!parsed.ok()) return parsed.status();
  *out = std::move(parsed.value());
  return Status();
}

Status SetPath(std::string_view value, std::string* out) {
  if (!out->empty()) return Status::Error("given twice");
  if (value.empty()) return Status::Error("empty file name");
  *out = std::string(value);
  return Status();
}

Result<bool> ParseYesNo(std::string_view text) {
  if (text == "yes") return true;
  if (text == "no") return false;
  return Status::Error("invalid value '" + Shorten(text) + "' (expected yes or no)");
}

// Flags both binaries share.
void AddCommonOptions(std::vector<Option>* options, std::string* config_path, bool* test_config,
                      bool* version, bool* help, std::optional<uint16_t>* metrics_port,
                      std::optional<LogLevel>* log_level) {
  auto flag = [](bool* target) {
    return [target](std::string_view) {
      *target = true;
      return Status();
    };
  };
  options->push_back({{"-c", "--config"}, true, [config_path](std::string_view v) {
                        return SetPath(v, config_path);
                      }});
  options->push_back(
      {{"-t", "--test-config", "--test-conf", "--check-config"}, false, flag(test_config)});
  options->push_back({{"-v", "-V", "--version"}, false, flag(version)});
  options->push_back({{"-h", "--help"}, false, flag(help)});
  options->push_back({{"--metrics-port"}, true, [metrics_port](std::string_view v) {
                        return Store(ParsePort(v, 0), metrics_port);
                      }});
  options->push_back({{"--log-level", "--loglevel"}, true, [log_level](std::string_view v) {
                        return Store(ParseLogLevel(v), log_level);
                      }});
}

}  // namespace

Result<ProxyCli> ParseProxyArgs(int argc, const char* const* argv) {
  ProxyCli cli;
  CliOverrides& o = cli.overrides;
  std::vector<Option> options;
  AddCommonOptions(&options, &cli.config_path, &cli.test_config, &cli.version, &cli.help,
                   &o.metrics_port, &o.log_level);
  options.push_back(
      {{"--port"}, true, [&o](std::string_view v) { return Store(ParsePort(v, 0), &o.port); }});
  options.push_back({{"--workers"}, true, [&o](std::string_view v) {
                       return Store(ParseCount(v, 0, 1024), &o.workers);
                     }});
  options.push_back({{"--seed"}, true, [&o](std::string_view v) {
                       Result<HostPort> seed = ParseHostPort(v, 1);
                       if (!seed.ok()) return seed.status();
                       for (const HostPort& existing : o.seeds) {
                         if (existing == seed.value()) return Status::Error("duplicate seed");
                       }
                       o.seeds.push_back(seed.value());
                       return Status();
                     }});
  Status status = ParseWithOptions(argc, argv, options);
  if (!status.ok()) return status;
  return cli;
}

void ApplyOverrides(ProxyConfig& config, const CliOverrides& overrides) {
  if (overrides.port) config.listen.port = *overrides.port;
  if (overrides.workers) config.workers = *overrides.workers;
  if (!overrides.seeds.empty()) {
    config.mode = Mode::kCluster;
    config.seeds = overrides.seeds;
  }
  if (overrides.metrics_port) config.metrics.listen.port = *overrides.metrics_port;
  if (overrides.log_level) config.log.level = *overrides.log_level;
}

Result<ProxyConfig> ResolveProxyConfig(const ProxyCli& cli) {
  ProxyConfig config = DefaultProxyConfig();
  if (!cli.config_path.empty()) {
    Result<ProxyConfig> loaded = LoadProxyConfig(cli.config_path);
    if (!loaded.ok()) return loaded.status();
    config = std::move(loaded.value());
  }
  ApplyOverrides(config, cli.overrides);
  return config;
}

std::string ProxyUsage(std::string_view program) {
  std::string p(program);
  return "Usage: " + p +
         " [-c FILE] [options]\n"
         "A cluster-aware Redis proxy. Without -c it uses the built-in defaults (embedded mode,\n"
         "3 shards, 127.0.0.1:7000); flags override the file.\n"
         "\n"
         "  -c, --config FILE      YAML config (see config/cluster.yaml)\n"
         "  -t, --test-config      check the config, list every problem, exit 0 or 1\n"
         "      --check-config     the same as -t\n"
         "      --port N           client port (0: the OS picks)\n"
         "      --workers N        worker threads (0: one per core)\n"
         "      --seed HOST:PORT   a Redis Cluster node to discover the cluster from;\n"
         "                         repeatable; selects mode cluster\n"
         "      --metrics-port N   Prometheus /metrics port (0: off)\n"
         "      --log-level L      debug, verbose, notice or warning\n"
         "  -v, --version          print the version and exit\n"
         "  -h, --help             print this help and exit\n"
         "\n"
         "Signals: SIGTERM/SIGINT stop accepting, finish the requests already accepted (up to\n"
         "shutdown_timeout) and exit 0, a second one exits at once; SIGHUP reloads the config\n"
         "file (an invalid one is refused and the running config stays).\n"
         "\n"
         "Examples:\n"
         "  " +
         p + " -c config/cluster.yaml\n  " + p + " --port 7000 --seed 10.0.0.1:7000\n  " + p +
         " -t -c /etc/slotproxy/cluster.yaml\n";
}

Result<ShardCli> ParseShardArgs(int argc, const char* const* argv) {
  ShardCli cli;
  ShardCliOverrides& o = cli.overrides;
  std::vector<Option> options;
  AddCommonOptions(&options, &cli.config_path, &cli.test_config, &cli.version, &cli.help,
                   &o.metrics_port, &o.log_level);
  options.push_back(
      {{"--port"}, true, [&o](std::string_view v) { return Store(ParsePort(v, 0), &o.port); }});
  auto text = [](std::optional<std::string>* out, bool allow_empty) {
    return [out, allow_empty](std::string_view v) {
      if (!allow_empty && v.empty()) return Status::Error("must not be empty");
      *out = std::string(v);
      return Status();
    };
  };
  options.push_back({{"--bind"}, true, text(&o.bind, false)});
  options.push_back({{"--dir"}, true, text(&o.dir, false)});
  options.push_back({{"--requirepass"}, true, text(&o.requirepass, true)});
  options.push_back({{"--appendonly"}, true, [&o](std::string_view v) {
                       return Store(ParseYesNo(v), &o.appendonly);
                     }});
  options.push_back({{"--appendfsync"}, true, [&o](std::string_view v) {
                       return Store(ParseAppendFsync(v), &o.appendfsync);
                     }});
  options.push_back(
      {{"--busy-reply-threshold", "--lua-time-limit"}, true, [&o](std::string_view v) {
         return Store(ParseCount(v, 0, 1 << 30), &o.busy_reply_threshold_ms);
       }});
  Status status = ParseWithOptions(argc, argv, options);
  if (!status.ok()) return status;
  return cli;
}

Status ApplyShardOverrides(ShardConfig& config, const ShardCliOverrides& overrides) {
  if (overrides.port) {
    for (const FleetNode& node : config.fleet) {
      if (node.id == config.self && node.port != *overrides.port) {
        return Status::Error("--port " + std::to_string(*overrides.port) +
                             " differs from the port " + std::to_string(node.port) +
                             " of this shard's fleet node " + node.id);
      }
    }
    config.port = *overrides.port;
  }
  if (overrides.bind) config.bind = *overrides.bind;
  if (overrides.dir) config.dir = *overrides.dir;
  if (overrides.appendonly) config.appendonly = *overrides.appendonly;
  if (overrides.appendfsync) config.appendfsync = *overrides.appendfsync;
  if (overrides.requirepass) config.requirepass = *overrides.requirepass;
  if (overrides.busy_reply_threshold_ms) {
    config.busy_reply_threshold_ms = *overrides.busy_reply_threshold_ms;
  }
  if (overrides.metrics_port) config.metrics.listen.port = *overrides.metrics_port;
  if (overrides.log_level) config.log.level = *overrides.log_level;
  return Status();
}

Result<ShardConfig> ResolveShardConfig(const ShardCli& cli) {
  ShardConfig config = DefaultShardConfig();
  if (!cli.config_path.empty()) {
    Result<ShardConfig> loaded = LoadShardConfig(cli.config_path);
    if (!loaded.ok()) return loaded.status();
    config = std::move(loaded.value());
  }
  Status status = ApplyShardOverrides(config, cli.overrides);
  if (!status.ok()) return status;
  return config;
}

std::string ShardUsage(std::string_view program) {
  std::string p(program);
  return "Usage: " + p +
         " [-c FILE] [options]\n"
         "A slotproxy shard: an in-memory key-value server that speaks the Redis Cluster\n"
         "protocol. Without a fleet it owns all 16384 slots. Flags override the file.\n"
         "\n"
         "  -c, --config FILE        YAML config (see config/shard.yaml)\n"
         "  -t, --test-config        check the config, list every problem, exit 0 or 1\n"
         "      --port N             TCP port (default 6379; 0: the OS picks)\n"
         "      --bind ADDR          address to listen on (default 127.0.0.1)\n"
         "      --dir DIR            data directory for the append-only file (default .)\n"
         "      --appendonly yes|no  keep an append-only file (default yes)\n"
         "      --appendfsync P      always, everysec (default) or no\n"
         "      --requirepass PASS   password clients must AUTH with\n"
         "      --busy-reply-threshold MS  (alias --lua-time-limit) a script running longer\n"
         "                           answers others -BUSY and may be killed (default 5000)\n"
         "      --metrics-port N     Prometheus /metrics port (0: off)\n"
         "      --log-level L        debug, verbose, notice or warning\n"
         "  -v, --version            print the version and exit\n"
         "  -h, --help               print this help and exit\n"
         "\n"
         "Example:\n  " +
         p + " --port 7001 --dir data/7001 --appendfsync always\n";
}

}  // namespace slotproxy::config

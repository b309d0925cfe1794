#include "config/cli.h"

#include <catch2/catch.hpp>

#include "config/loader.h"

namespace slotproxy::config {
namespace {

// Keeps argument strings alive for the argv pointers.
struct Args {
  explicit Args(std::initializer_list<std::string> list) : strings(list) {
    strings.insert(strings.begin(), "prog");
    for (const std::string& s : strings) pointers.push_back(s.c_str());
  }
  int argc() const { return static_cast<int>(pointers.size()); }
  const char* const* argv() const { return pointers.data(); }
  std::vector<std::string> strings;
  std::vector<const char*> pointers;
};

Result<ProxyCli> Proxy(std::initializer_list<std::string> list) {
  Args args(list);
  return ParseProxyArgs(args.argc(), args.argv());
}

Result<ShardCli> Shard(std::initializer_list<std::string> list) {
  Args args(list);
  return ParseShardArgs(args.argc(), args.argv());
}

std::string ProxyError(std::initializer_list<std::string> list) {
  Result<ProxyCli> cli = Proxy(list);
  return cli.ok() ? "" : cli.status().message();
}

TEST_CASE("No arguments: no file, no overrides") {
  Result<ProxyCli> cli = Proxy({});
  REQUIRE(cli.ok());
  CHECK(cli.value().config_path.empty());
  CHECK_FALSE(cli.value().test_config);
  CHECK_FALSE(cli.value().overrides.port);
  Result<ProxyConfig> config = ResolveProxyConfig(cli.value());
  REQUIRE(config.ok());
  CHECK(config.value().listen == HostPort{"127.0.0.1", 7000});
  CHECK(config.value().mode == Mode::kEmbedded);
}

TEST_CASE("proxy --port N --seed HOST:PORT works without a file") {
  Result<ProxyCli> cli =
      Proxy({"--port", "7100", "--seed", "10.0.0.1:7000", "--seed=10.0.0.2:7000", "--workers=2"});
  REQUIRE(cli.ok());
  Result<ProxyConfig> config = ResolveProxyConfig(cli.value());
  REQUIRE(config.ok());
  const ProxyConfig& c = config.value();
  CHECK(c.listen == HostPort{"127.0.0.1", 7100});
  CHECK(c.workers == 2);
  CHECK(c.mode == Mode::kCluster);
  CHECK(c.seeds == std::vector<HostPort>{{"10.0.0.1", 7000}, {"10.0.0.2", 7000}});
}

TEST_CASE("Flags override the file") {
  Result<ProxyCli> cli =
      Proxy({"-c", SLOTPROXY_SOURCE_DIR "/config/redis-cluster.yaml", "--port", "0",
             "--metrics-port", "0", "--log-level", "debug", "--seed", "127.0.0.1:30001"});
  REQUIRE(cli.ok());
  Result<ProxyConfig> config = ResolveProxyConfig(cli.value());
  REQUIRE(config.ok());
  CHECK(config.value().listen == HostPort{"0.0.0.0", 0});
  CHECK(config.value().metrics.listen.port == 0);
  CHECK(config.value().log.level == LogLevel::kDebug);
  CHECK(config.value().seeds == std::vector<HostPort>{{"127.0.0.1", 30001}});
}

TEST_CASE("A seed flag switches an embedded file to cluster mode") {
  ProxyConfig config = DefaultProxyConfig();
  CliOverrides overrides;
  overrides.seeds = {{"h", 1}};
  ApplyOverrides(config, overrides);
  CHECK(config.mode == Mode::kCluster);
  CHECK(config.seeds.size() == 1);
}

TEST_CASE("Test-config, version and help flags are recognised in every spelling") {
  CHECK(Proxy({"-t", "-c", "x.yaml"}).value().test_config);
  CHECK(Proxy({"--test-config"}).value().test_config);
  CHECK(Proxy({"--test-conf"}).value().test_config);
  CHECK(Proxy({"-t", "-c", "x.yaml"}).value().config_path == "x.yaml");
  CHECK(Proxy({"--config=y.yaml"}).value().config_path == "y.yaml");
  CHECK(Proxy({"--version"}).value().version);
  CHECK(Proxy({"-V"}).value().version);
  CHECK(Proxy({"-v"}).value().version);
  CHECK(Proxy({"-h"}).value().help);
  CHECK(Proxy({"--help"}).value().help);
  CHECK(Proxy({"--loglevel", "warning"}).value().overrides.log_level == LogLevel::kWarning);
}

TEST_CASE("Bad proxy arguments get one clear message") {
  CHECK(ProxyError({"--prot", "7000"}) ==
        "unknown option '--prot' (did you mean '--port'?); try --help");
  CHECK(ProxyError({"--frobnicate"}) == "unknown option '--frobnicate'; try --help");
  CHECK(ProxyError({"-x"}) == "unknown option '-x'; try --help");
  CHECK(ProxyError({"--port"}) == "option '--port' needs a value");
  CHECK(ProxyError({"-c"}) == "option '-c' needs a value");
  CHECK(ProxyError({"--port", "seventy"}) ==
        "option '--port': invalid port 'seventy' (expected 0-65535)");
  CHECK(ProxyError({"--port=70000"}) == "option '--port': invalid port '70000' (expected 0-65535)");
  CHECK(ProxyError({"--workers", "-1"}) ==
        "option '--workers': invalid number '-1' (expected 0-1024)");
  CHECK(ProxyError({"--seed", "localhost"}) ==
        "option '--seed': invalid address 'localhost' (expected host:port)");
  CHECK(ProxyError({"--seed", "h:1", "--seed", "h:1"}) == "option '--seed': duplicate seed");
  CHECK(ProxyError({"--log-level", "loud"}) ==
        "option '--log-level': invalid log level 'loud' (expected debug, verbose, notice or "
        "warning)");
  CHECK(ProxyError({"--help=yes"}) == "option '--help' takes no value");
  CHECK(ProxyError({"-c", "a.yaml", "-c", "b.yaml"}) == "option '-c': given twice");
  CHECK(ProxyError({"cluster.yaml"}) ==
        "unexpected argument 'cluster.yaml' (a config file goes after -c)");
}

TEST_CASE("A bad config file makes ResolveProxyConfig list its problems") {
  ProxyCli cli;
  cli.config_path = "/nonexistent/x.yaml";
  Result<ProxyConfig> config = ResolveProxyConfig(cli);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        "/nonexistent/x.yaml: cannot open config file: No such file or directory\n");
}

TEST_CASE("Shard flags are redis-server's") {
  Result<ShardCli> cli =
      Shard({"--port", "7005", "--bind", "0.0.0.0", "--dir", "/tmp/s", "--appendonly", "no",
             "--appendfsync", "always", "--requirepass", "pw", "--metrics-port", "9200"});
  REQUIRE(cli.ok());
  Result<ShardConfig> config = ResolveShardConfig(cli.value());
  REQUIRE(config.ok());
  const ShardConfig& c = config.value();
  CHECK(c.port == 7005);
  CHECK(c.bind == "0.0.0.0");
  CHECK(c.dir == "/tmp/s");
  CHECK_FALSE(c.appendonly);
  CHECK(c.appendfsync == AppendFsync::kAlways);
  CHECK(c.requirepass == "pw");
  CHECK(c.metrics.listen.port == 9200);
}

TEST_CASE("Bad shard arguments get one clear message") {
  CHECK(Shard({"--appendfsync", "sometimes"}).status().message() ==
        "option '--appendfsync': invalid appendfsync 'sometimes' (expected always, everysec or "
        "no)");
  CHECK(Shard({"--appendonly", "maybe"}).status().message() ==
        "option '--appendonly': invalid value 'maybe' (expected yes or no)");
  CHECK(Shard({"--dir", ""}).status().message() == "option '--dir': must not be empty");
  CHECK(Shard({"--appendfsnyc", "no"}).status().message() ==
        "unknown option '--appendfsnyc' (did you mean '--appendfsync'?); try --help");
  CHECK(Shard({"--seed", "h:1"}).status().message() == "unknown option '--seed'; try --help");
}

TEST_CASE("A shard's --port must agree with its fleet node") {
  ShardCli cli;
  cli.config_path = SLOTPROXY_SOURCE_DIR "/config/shard.yaml";
  cli.overrides.port = 7001;
  REQUIRE(ResolveShardConfig(cli).ok());
  cli.overrides.port = 7009;
  Result<ShardConfig> config = ResolveShardConfig(cli);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        "--port 7009 differs from the port 7001 of this shard's fleet node "
        "1a0d7e5c3f1b2a4d6e8f0a1b2c3d4e5f60718293");
}

TEST_CASE("Usage texts name every flag") {
  std::string proxy = ProxyUsage("proxy");
  for (const char* flag : {"-c", "-t", "--port", "--workers", "--seed", "--metrics-port",
                           "--log-level", "--version", "--help"}) {
    CHECK(proxy.find(flag) != std::string::npos);
  }
  std::string shard = ShardUsage("shard");
  for (const char* flag :
       {"--port", "--bind", "--dir", "--appendonly", "--appendfsync", "--requirepass", "-c"}) {
    CHECK(shard.find(flag) != std::string::npos);
  }
}

}  // namespace
}  // namespace slotproxy::config

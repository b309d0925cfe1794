#include <catch2/catch.hpp>

#include "config/config.h"
#include "config/loader.h"

namespace slotproxy::config {
namespace {

const std::string kA(40, 'a');
const std::string kB(40, 'b');

TEST_CASE("A shard config without a file is a one-node cluster on 6379") {
  Parsed<ShardConfig> parsed = ParseShardConfig("", "shard.yaml");
  REQUIRE(parsed.ok());
  const ShardConfig& c = parsed.config;
  CHECK(c.port == 6379);
  CHECK(c.bind == "127.0.0.1");
  CHECK(c.dir == ".");
  CHECK(c.appendonly);
  CHECK(c.appendfsync == AppendFsync::kEverysec);
  CHECK(c.requirepass.empty());
  CHECK(c.auto_aof_rewrite_percentage == 100);
  CHECK(c.auto_aof_rewrite_min_size == 64ull << 20);
  CHECK(c.maxclients == 10000);
  CHECK(c.fleet.empty());
  CHECK(c.self.empty());
}

TEST_CASE("A shard config with a fleet takes its port from its own node") {
  std::string text =
      "bind: 0.0.0.0\ndir: /srv/shard\nappendonly: no\nappendfsync: always\n"
      "requirepass: pw\nauto_aof_rewrite_percentage: 0\n"
      "auto_aof_rewrite_min_size: 1gb\nmaxclients: 50\nself: " +
      kB +
      "\nfleet:\n"
      "  - {id: " +
      kA +
      ", host: 10.0.0.1, port: 7001, slots: [0-100, 101-8191]}\n"
      "  - {id: " +
      kB +
      ", host: 10.0.0.2, port: 7002, slots: [8192-16383]}\n"
      "log: {level: warning, file: /var/log/shard.log}\n"
      "metrics: {listen: 0.0.0.0:9122}\n";
  Parsed<ShardConfig> parsed = ParseShardConfig(text, "shard.yaml");
  INFO(FormatConfigErrors(parsed.errors));
  REQUIRE(parsed.ok());
  const ShardConfig& c = parsed.config;
  CHECK(c.port == 7002);
  CHECK(c.bind == "0.0.0.0");
  CHECK(c.dir == "/srv/shard");
  CHECK_FALSE(c.appendonly);
  CHECK(c.appendfsync == AppendFsync::kAlways);
  CHECK(c.requirepass == "pw");
  CHECK(c.auto_aof_rewrite_percentage == 0);
  CHECK(c.auto_aof_rewrite_min_size == 1ull << 30);
  CHECK(c.maxclients == 50);
  CHECK(c.self == kB);
  REQUIRE(c.fleet.size() == 2);
  CHECK(c.fleet[0] == FleetNode{kA, "10.0.0.1", 7001, {{0, 100}, {101, 8191}}});
  CHECK(c.fleet[1] == FleetNode{kB, "10.0.0.2", 7002, {{8192, 16383}}});
  CHECK(c.log.level == LogLevel::kWarning);
  CHECK(c.log.file == "/var/log/shard.log");
  CHECK(c.metrics.listen == HostPort{"0.0.0.0", 9122});
}

TEST_CASE("The same fleet list is valid in a shard config and in the proxy's embedded fleet") {
  std::string fleet = "  - {id: " + kA + ", host: 127.0.0.1, port: 7001, slots: [0-8191]}\n" +
                      "  - {id: " + kB + ", host: 127.0.0.1, port: 7002, slots: [8192-16383]}\n";
  Parsed<ShardConfig> shard = ParseShardConfig("self: " + kA + "\nfleet:\n" + fleet, "s.yaml");
  INFO(FormatConfigErrors(shard.errors));
  REQUIRE(shard.ok());
  std::string indented;
  for (size_t start = 0; start < fleet.size();) {
    size_t end = fleet.find('\n', start) + 1;
    indented += "  " + fleet.substr(start, end - start);
    start = end;
  }
  Parsed<ProxyConfig> proxy = ParseProxyConfig("embedded:\n  fleet:\n" + indented, "p.yaml");
  INFO(FormatConfigErrors(proxy.errors));
  REQUIRE(proxy.ok());
  CHECK(proxy.config.embedded.fleet == shard.config.fleet);
}

TEST_CASE("LoadShardConfigFromString reports errors in the Status") {
  Result<ShardConfig> result = LoadShardConfigFromString("port: http\n", "s.yaml");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message() == "s.yaml:1:7: port: expected an integer, got 'http'\n");
}

}  // namespace
}  // namespace slotproxy::config

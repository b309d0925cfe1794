// Every config/*.yaml must load without a single error, so the examples cannot rot. Files named
// shard*.yaml are shard configs; every other one is a proxy config.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "config/config.h"
#include "config/loader.h"

namespace slotproxy::config {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> ExampleConfigs() {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(fs::path(SLOTPROXY_SOURCE_DIR) / "config")) {
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

bool IsShardConfig(const fs::path& path) { return path.filename().string().starts_with("shard"); }

TEST_CASE("Every example config loads without errors") {
  std::vector<fs::path> paths = ExampleConfigs();
  REQUIRE(paths.size() >= 3);
  for (const fs::path& path : paths) {
    INFO(path.string());
    std::vector<ConfigError> errors =
        IsShardConfig(path) ? ReadShardConfigFile(path).errors : ReadProxyConfigFile(path).errors;
    CHECK(FormatConfigErrors(errors).empty());
  }
}

TEST_CASE("config/cluster.yaml is the embedded default the README runs") {
  Result<ProxyConfig> loaded = LoadProxyConfig(SLOTPROXY_SOURCE_DIR "/config/cluster.yaml");
  REQUIRE(loaded.ok());
  const ProxyConfig& c = loaded.value();
  CHECK(c.mode == Mode::kEmbedded);
  CHECK(c.listen == HostPort{"127.0.0.1", 7000});
  CHECK(c.embedded.shards == 3);
  CHECK(c.embedded.base_port == 0);
  CHECK(c.embedded.bind == "127.0.0.1");
  CHECK(c.embedded.data_dir == "data");
  CHECK(c.embedded.appendfsync == AppendFsync::kEverysec);
  // Apart from the metrics endpoint it only spells out the built-in defaults.
  ProxyConfig d = DefaultProxyConfig();
  CHECK(c.timeouts.op == d.timeouts.op);
  CHECK(c.timeouts.connect == d.timeouts.connect);
  CHECK(c.limits.query_buffer == d.limits.query_buffer);
  CHECK(c.limits.output_buffer.hard == d.limits.output_buffer.hard);
  CHECK(c.pool.max_pending_per_connection == d.pool.max_pending_per_connection);
  CHECK(c.slowlog.threshold == d.slowlog.threshold);
  CHECK(c.metrics.listen == HostPort{"127.0.0.1", 9121});
}

TEST_CASE("config/redis-cluster.yaml fronts a Redis Cluster through seeds") {
  Result<ProxyConfig> loaded = LoadProxyConfig(SLOTPROXY_SOURCE_DIR "/config/redis-cluster.yaml");
  REQUIRE(loaded.ok());
  CHECK(loaded.value().mode == Mode::kCluster);
  CHECK(loaded.value().seeds.size() == 3);
  CHECK_FALSE(loaded.value().backend_auth.password.empty());
}

TEST_CASE("config/shard.yaml is one node of a three-shard fleet") {
  Result<ShardConfig> loaded = LoadShardConfig(SLOTPROXY_SOURCE_DIR "/config/shard.yaml");
  REQUIRE(loaded.ok());
  CHECK(loaded.value().fleet.size() == 3);
  CHECK(loaded.value().port == 7001);
  CHECK(loaded.value().fleet[0].slots == std::vector<SlotRange>{EvenSlotSplit(3)[0]});
}

}  // namespace
}  // namespace slotproxy::config

#include <catch2/catch.hpp>

#include "config/config.h"
#include "config/loader.h"
#include "test_util.h"

namespace slotproxy::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ErrorLines;

constexpr const char* kFullEmbedded = R"(
listen: 0.0.0.0:6380
workers: 4
mode: embedded
embedded:
  shards: 4
  base_port: 30001
  bind: 127.0.0.1
  data_dir: /var/lib/slotproxy
  appendfsync: always
pool:
  connections_per_backend: 2
  max_pending_per_connection: 5000
  reconnect_backoff: {min: 20ms, max: 5s}
timeouts: {connect: 250ms, op: 2s, client_idle: 5m, topology_refresh: 0}
limits:
  max_clients: 2000
  proto_max_bulk_len: 64mb
  query_buffer: 128mb
  max_pending_per_client: 4096
  output_buffer: {hard: 32mb, soft: 8mb, soft_seconds: 10}
backend_auth: {user: proxy, password: s3cret}
auth:
  requirepass: hunter2
  users:
    - name: app
      password: apppass
      commands: ["+@read", "+@write", "-flushall"]
      keys: ["app:*"]
    - name: metrics
      password_sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
      enabled: no
      commands: [+info]
    - name: guest
      nopass: yes
metrics: {listen: "127.0.0.1:9121"}
slowlog: {threshold: 250us, max_len: 64}
log: {level: verbose, file: /tmp/proxy.log}
)";

TEST_CASE("A full embedded config lands in the structs") {
  Parsed<ProxyConfig> parsed = ParseProxyConfig(kFullEmbedded, "full.yaml");
  INFO(FormatConfigErrors(parsed.errors));
  REQUIRE(parsed.ok());
  const ProxyConfig& c = parsed.config;
  CHECK(c.listen == HostPort{"0.0.0.0", 6380});
  CHECK(c.workers == 4);
  CHECK(c.mode == Mode::kEmbedded);
  CHECK(c.seeds.empty());
  CHECK(c.embedded.shards == 4);
  CHECK(c.embedded.base_port == 30001);
  CHECK(c.embedded.bind == "127.0.0.1");
  CHECK(c.embedded.data_dir == "/var/lib/slotproxy");
  CHECK(c.embedded.appendfsync == AppendFsync::kAlways);
  CHECK(c.pool.connections_per_backend == 2);
  CHECK(c.pool.max_pending_per_connection == 5000);
  CHECK(c.pool.reconnect_min == milliseconds(20));
  CHECK(c.pool.reconnect_max == seconds(5));
  CHECK(c.timeouts.connect == milliseconds(250));
  CHECK(c.timeouts.op == seconds(2));
  CHECK(c.timeouts.client_idle == seconds(300));
  CHECK(c.timeouts.topology_refresh == Duration(0));
  CHECK(c.limits.max_clients == 2000);
  CHECK(c.limits.proto_max_bulk_len == 64ull << 20);
  CHECK(c.limits.query_buffer == 128ull << 20);
  CHECK(c.limits.max_pending_per_client == 4096);
  CHECK(c.limits.output_buffer.hard == 32ull << 20);
  CHECK(c.limits.output_buffer.soft == 8ull << 20);
  CHECK(c.limits.output_buffer.soft_seconds == 10);
  CHECK(c.backend_auth.user == "proxy");
  CHECK(c.backend_auth.password == "s3cret");
  CHECK(c.auth.requirepass == "hunter2");
  REQUIRE(c.auth.users.size() == 3);
  CHECK(c.auth.users[0].name == "app");
  CHECK(c.auth.users[0].password == "apppass");
  CHECK(c.auth.users[0].enabled);
  CHECK(c.auth.users[0].commands == std::vector<std::string>{"+@read", "+@write", "-flushall"});
  CHECK(c.auth.users[0].keys == std::vector<std::string>{"app:*"});
  CHECK(c.auth.users[1].password_sha256.size() == 64);
  CHECK_FALSE(c.auth.users[1].enabled);
  CHECK(c.auth.users[2].nopass);
  CHECK(c.metrics.listen == HostPort{"127.0.0.1", 9121});
  CHECK(c.slowlog.threshold == std::chrono::microseconds(250));
  CHECK(c.slowlog.max_len == 64);
  CHECK(c.log.level == LogLevel::kVerbose);
  CHECK(c.log.file == "/tmp/proxy.log");
}

TEST_CASE("An empty file, or one with only comments, gives the defaults") {
  for (const char* text : {"", "# nothing here\n", "{}\n"}) {
    Parsed<ProxyConfig> parsed = ParseProxyConfig(text, "empty.yaml");
    REQUIRE(parsed.ok());
    const ProxyConfig& c = parsed.config;
    const ProxyConfig d = DefaultProxyConfig();
    CHECK(c.listen == HostPort{"127.0.0.1", 7000});
    CHECK(c.mode == Mode::kEmbedded);
    CHECK(c.embedded.shards == 3);
    CHECK(c.embedded.base_port == 0);
    CHECK(c.embedded.data_dir == "data");
    CHECK(c.embedded.appendfsync == AppendFsync::kEverysec);
    CHECK(c.workers == 0);
    CHECK(c.pool.connections_per_backend == 1);
    CHECK(c.timeouts.op == d.timeouts.op);
    CHECK(c.limits.max_clients == 10000);
    CHECK(c.limits.proto_max_bulk_len == 512ull << 20);
    CHECK(c.limits.query_buffer == 1ull << 30);
    CHECK(c.metrics.listen.port == 0);
    CHECK(c.log.level == LogLevel::kNotice);
  }
}

TEST_CASE("Seeds select cluster mode when mode is left out") {
  Parsed<ProxyConfig> parsed =
      ParseProxyConfig("seeds: [10.0.0.1:7000, \"[::1]:7001\", redis-a:6379]\n", "seeds.yaml");
  INFO(FormatConfigErrors(parsed.errors));
  REQUIRE(parsed.ok());
  CHECK(parsed.config.mode == Mode::kCluster);
  CHECK(parsed.config.seeds ==
        std::vector<HostPort>{{"10.0.0.1", 7000}, {"::1", 7001}, {"redis-a", 6379}});
}

TEST_CASE("An explicit embedded fleet sets the shard count") {
  Parsed<ProxyConfig> parsed = ParseProxyConfig(R"(
embedded:
  fleet:
    - {id: 1111111111111111111111111111111111111111, host: 127.0.0.1, port: 0, slots: [0-8191]}
    - id: 2222222222222222222222222222222222222222
      host: 127.0.0.1
      port: 0
      slots: [8192-16000, "16001-16382", 16383]
)",
                                                "fleet.yaml");
  INFO(FormatConfigErrors(parsed.errors));
  REQUIRE(parsed.ok());
  const EmbeddedConfig& e = parsed.config.embedded;
  CHECK(e.shards == 2);
  REQUIRE(e.fleet.size() == 2);
  CHECK(e.fleet[1].slots == std::vector<SlotRange>{{8192, 16000}, {16001, 16382}, {16383, 16383}});
  CHECK(EmbeddedFleet(e) == e.fleet);
}

TEST_CASE("EvenSlotSplit matches redis-cli --cluster create") {
  CHECK(EvenSlotSplit(1) == std::vector<SlotRange>{{0, 16383}});
  CHECK(EvenSlotSplit(3) == std::vector<SlotRange>{{0, 5460}, {5461, 10922}, {10923, 16383}});
  for (int n : {2, 5, 7, 64, 256}) {
    std::vector<SlotRange> ranges = EvenSlotSplit(n);
    REQUIRE(static_cast<int>(ranges.size()) == n);
    int next = 0;
    for (const SlotRange& r : ranges) {
      CHECK(r.first == next);
      CHECK(r.last >= r.first);
      next = r.last + 1;
    }
    CHECK(next == kSlotCount);
  }
}

TEST_CASE("EmbeddedFleet derives nodes from shards, base_port and ids") {
  EmbeddedConfig e;
  e.shards = 2;
  e.base_port = 30001;
  e.ids = {std::string(40, 'a'), std::string(40, 'b')};
  std::vector<FleetNode> nodes = EmbeddedFleet(e);
  REQUIRE(nodes.size() == 2);
  CHECK(nodes[0].port == 30001);
  CHECK(nodes[1].port == 30002);
  CHECK(nodes[1].id == std::string(40, 'b'));
  CHECK(nodes[0].host == "127.0.0.1");
  CHECK(nodes[1].slots == std::vector<SlotRange>{{8192, 16383}});
  e.base_port = 0;
  e.ids.clear();
  CHECK(EmbeddedFleet(e)[1].port == 0);
  CHECK(EmbeddedFleet(e)[1].id.empty());
}

TEST_CASE("Every problem is collected, not just the first") {
  Parsed<ProxyConfig> parsed = ParseProxyConfig(
      "workers: -1\nlisten: nowhere\ntimeouts:\n  op: 5\n  conect: 1s\n", "many.yaml");
  CHECK(ErrorLines(parsed.errors) ==
        std::vector<std::string>{
            "many.yaml:1:10: workers: must be between 0 and 1024 (got -1)",
            "many.yaml:2:9: listen: invalid address 'nowhere' (expected host:port)",
            "many.yaml:4:7: timeouts.op: duration '5' needs a unit (us, ms, s, m, h; e.g. 5ms or "
            "5s)",
            "many.yaml:5:3: timeouts.conect: unknown key (did you mean 'connect'?)",
        });
}

TEST_CASE("LoadProxyConfigFromString puts every error in the Status") {
  Result<ProxyConfig> result =
      LoadProxyConfigFromString("workers: x\nlog: {level: loud}\n", "a.yaml");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message() ==
        "a.yaml:1:10: workers: expected an integer, got 'x'\n"
        "a.yaml:2:14: log.level: invalid value 'loud' (expected debug, verbose, notice or "
        "warning)\n");
}

TEST_CASE("A missing file is one error naming the path") {
  Parsed<ProxyConfig> parsed = ReadProxyConfigFile("/nonexistent/slotproxy.yaml");
  REQUIRE(parsed.errors.size() == 1);
  CHECK(parsed.errors[0].ToString() ==
        "/nonexistent/slotproxy.yaml: cannot open config file: No such file or directory");
}

TEST_CASE("The error list is capped") {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "k" + std::to_string(i) + ": 1\n";
  Parsed<ProxyConfig> parsed = ParseProxyConfig(text, "big.yaml");
  REQUIRE(parsed.errors.size() == kMaxConfigErrors + 1);
  CHECK(parsed.errors.back().ToString() == "big.yaml: too many errors; the rest are not listed");
}

}  // namespace
}  // namespace slotproxy::config

namespace slotproxy::config {
namespace {

TEST_CASE("ShardDataDir puts each embedded shard in its own folder") {
  EmbeddedConfig e;
  CHECK(ShardDataDir(e, 0) == "data/shard-0");
  e.data_dir = "/var/lib/slotproxy/";
  CHECK(ShardDataDir(e, 2) == "/var/lib/slotproxy/shard-2");
}

TEST_CASE("RestartOnlyChanges lists what a reload cannot apply") {
  ProxyConfig running = DefaultProxyConfig();
  ProxyConfig loaded = running;
  loaded.timeouts.op = std::chrono::seconds(3);
  loaded.limits.max_clients = 5;
  loaded.log.level = LogLevel::kDebug;
  loaded.slowlog.max_len = 1;
  loaded.auth.requirepass = "x";
  CHECK(RestartOnlyChanges(running, loaded).empty());
  loaded.listen.port = 7001;
  loaded.embedded.shards = 5;
  loaded.metrics.listen.port = 9000;
  CHECK(RestartOnlyChanges(running, loaded) ==
        std::vector<std::string>{"listen", "embedded", "metrics"});
}

TEST_CASE("metrics.request_stats is on by default and can be turned off") {
  CHECK(DefaultProxyConfig().metrics.request_stats);
  Parsed<ProxyConfig> parsed =
      ParseProxyConfig("metrics: {listen: 127.0.0.1:0, request_stats: false}\n", "m.yaml");
  INFO(FormatConfigErrors(parsed.errors));
  REQUIRE(parsed.ok());
  CHECK_FALSE(parsed.config.metrics.request_stats);
  Parsed<ProxyConfig> bad = ParseProxyConfig("metrics: {request_stats: maybe}\n", "m.yaml");
  CHECK_FALSE(bad.ok());
}

}  // namespace
}  // namespace slotproxy::config

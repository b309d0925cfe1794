// The SIGHUP reload helpers: which changed keys apply live, and what runs after a reload.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "config/loader.h"
#include "config/log_level.h"
#include "test_util.h"

namespace slotproxy::config {
namespace {

TEST_CASE("shutdown_timeout defaults to 5s, parses durations, allows 0 and refuses bad values") {
  CHECK(DefaultProxyConfig().shutdown_timeout == std::chrono::seconds(5));
  auto empty = ParseProxyConfig("", "a.yaml");
  REQUIRE(empty.ok());
  CHECK(empty.config.shutdown_timeout == std::chrono::seconds(5));
  auto set = ParseProxyConfig("shutdown_timeout: 250ms\n", "a.yaml");
  REQUIRE(set.ok());
  CHECK(set.config.shutdown_timeout == std::chrono::milliseconds(250));
  auto zero = ParseProxyConfig("shutdown_timeout: 0\n", "a.yaml");
  REQUIRE(zero.ok());
  CHECK(zero.config.shutdown_timeout == Duration(0));
  auto unitless = ParseProxyConfig("shutdown_timeout: 5\n", "a.yaml");
  REQUIRE(!unitless.ok());
  CHECK(testing::ErrorLines(unitless.errors)[0].rfind("a.yaml:1:19: shutdown_timeout: ", 0) == 0);
  auto too_long = ParseProxyConfig("shutdown_timeout: 2h\n", "a.yaml");
  CHECK(!too_long.ok());
}

TEST_CASE("LiveChanges names each changed live key, nothing for restart-only keys") {
  ProxyConfig running = DefaultProxyConfig();
  ProxyConfig loaded = running;
  CHECK(LiveChanges(running, loaded).empty());
  loaded.listen.port = 7001;  // restart-only: not a live change
  loaded.workers = 8;
  CHECK(LiveChanges(running, loaded).empty());
  loaded.timeouts.op = std::chrono::seconds(3);
  loaded.timeouts.client_idle = std::chrono::seconds(30);
  loaded.limits.max_clients = 5;
  loaded.limits.output_buffer.soft = 1;
  loaded.auth.users.push_back(UserConfig{});
  loaded.slowlog.threshold = std::chrono::milliseconds(1);
  loaded.log.level = LogLevel::kDebug;
  loaded.shutdown_timeout = std::chrono::seconds(1);
  CHECK(LiveChanges(running, loaded) ==
        std::vector<std::string>{"timeouts.op", "timeouts.client_idle", "limits.max_clients",
                                 "limits.output_buffer", "auth.users", "slowlog.threshold",
                                 "log.level", "shutdown_timeout"});
}

TEST_CASE("MergeLive takes the live part from the new config and keeps the rest running") {
  ProxyConfig running = DefaultProxyConfig();
  ProxyConfig loaded = running;
  loaded.listen.port = 7001;
  loaded.pool.connections_per_backend = 4;
  loaded.metrics.listen.port = 9999;
  loaded.timeouts.op = std::chrono::seconds(3);
  loaded.limits.max_pending_per_client = 7;
  loaded.auth.requirepass = "secret";
  loaded.slowlog.max_len = 3;
  loaded.log.file = "/tmp/x.log";
  loaded.shutdown_timeout = Duration(0);
  const ProxyConfig merged = MergeLive(running, loaded);
  CHECK(merged.listen == running.listen);
  CHECK(merged.pool == running.pool);
  CHECK(merged.metrics == running.metrics);
  CHECK(merged.timeouts == loaded.timeouts);
  CHECK(merged.limits == loaded.limits);
  CHECK(merged.auth == loaded.auth);
  CHECK(merged.slowlog == loaded.slowlog);
  CHECK(merged.log == loaded.log);
  CHECK(merged.shutdown_timeout == Duration(0));
  // After the merge, the next reload of the same file sees only the restart-only differences.
  CHECK(LiveChanges(merged, loaded).empty());
  CHECK(RestartOnlyChanges(merged, loaded) ==
        std::vector<std::string>{"listen", "pool", "metrics"});
}

}  // namespace
}  // namespace slotproxy::config

namespace slotproxy::config {
namespace {

TEST_CASE("ToLogLevel maps each config level to the logger's") {
  CHECK(ToLogLevel(LogLevel::kDebug) == log::Level::kDebug);
  CHECK(ToLogLevel(LogLevel::kVerbose) == log::Level::kVerbose);
  CHECK(ToLogLevel(LogLevel::kNotice) == log::Level::kNotice);
  CHECK(ToLogLevel(LogLevel::kWarning) == log::Level::kWarning);
}

}  // namespace
}  // namespace slotproxy::config

#include "metrics/slowlog_command.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "unit/metrics/live_redis.h"

namespace slotproxy::metrics {
namespace {

std::string Run(SlowLog& log, const std::vector<std::string_view>& args,
                resp::Protocol proto = resp::Protocol::kResp2) {
  std::string out;
  resp::Encoder enc(&out, proto);
  SlowlogCommand(log, args, &enc);
  return out;
}

void Add(SlowLog& log, const std::vector<std::string>& args, uint64_t total_ns, uint64_t backend_ns,
         std::string_view name = "") {
  std::vector<std::string_view> v(args.begin(), args.end());
  log.Add(v.data(), v.size(), total_ns, backend_ns, "127.0.0.1:4242", name);
}

TEST_CASE("slowlog command: GET entries carry the proxy/backend split", "[metrics]") {
  SlowLog log(128, 0);
  Add(log, {"GET", "key"}, 15'000'000, 12'000'000, "app");
  auto e = log.Newest(1);
  REQUIRE(e.size() == 1);
  std::string ts = std::to_string(e[0].unix_time);
  std::string want = "*1\r\n*8\r\n:0\r\n:" + ts +
                     "\r\n:15000\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n$14\r\n127.0.0.1:4242\r\n"
                     "$3\r\napp\r\n:3000\r\n:12000\r\n";
  CHECK(Run(log, {"SLOWLOG", "GET"}) == want);
  CHECK(Run(log, {"slowlog", "get", "1"}, resp::Protocol::kResp3) == want);
}

TEST_CASE("slowlog command: counts, LEN and RESET", "[metrics]") {
  SlowLog log(128, 0);
  for (int i = 0; i < 15; ++i) Add(log, {"PING"}, 20'000'000, 0);
  CHECK(Run(log, {"SLOWLOG", "LEN"}) == ":15\r\n");
  CHECK(Run(log, {"SLOWLOG", "GET"}).rfind("*10\r\n*8\r\n:14\r\n", 0) == 0);  // default 10
  CHECK(Run(log, {"SLOWLOG", "GET", "-1"}).rfind("*15\r\n", 0) == 0);
  CHECK(Run(log, {"SLOWLOG", "GET", "2"}).rfind("*2\r\n", 0) == 0);
  CHECK(Run(log, {"SLOWLOG", "GET", "0"}) == "*0\r\n");
  CHECK(Run(log, {"SLOWLOG", "GET", "9223372036854775807"}).rfind("*15\r\n", 0) == 0);
  CHECK(Run(log, {"SLOWLOG", "RESET"}) == "+OK\r\n");
  CHECK(Run(log, {"SLOWLOG", "LEN"}) == ":0\r\n");
  CHECK(Run(log, {"SLOWLOG", "GET"}) == "*0\r\n");
}

TEST_CASE("slowlog command: proxy time never goes negative", "[metrics]") {
  SlowLog log(128, 0);
  Add(log, {"GET", "k"}, 1'000'000, 2'000'000);  // backend clock ran past the total
  std::string r = Run(log, {"SLOWLOG", "GET"});
  CHECK(r.find(":0\r\n:2000\r\n") != std::string::npos);
}

// Every reply that does not depend on timing, byte for byte against redis-server 7.0 (RESP2
// and RESP3), and the truncated argument arrays of one long command.
TEST_CASE("slowlog command: same bytes as redis-server", "[metrics][live]") {
  testing::LiveRedis redis;
  if (!redis.ok()) {
    WARN("redis-server not available: skipped");
    return;
  }
  const std::vector<std::vector<std::string_view>> cases = {
      {"SLOWLOG", "GET", "x"},
      {"SLOWLOG", "GET", "-2"},
      {"SLOWLOG", "GET", "+1"},
      {"SLOWLOG", "GET", "01"},
      {"SLOWLOG", "GET", " 1"},
      {"SLOWLOG", "GET", "-0"},
      {"SLOWLOG", "GET", "9223372036854775808"},
      {"SLOWLOG", "get", "1", "2"},
      {"SLOWLOG", "Foo"},
      {"SLOWLOG", "len", "x"},
      {"SLOWLOG", "RESET", "1"},
      {"SLOWLOG", "HELP", "1"},
      {"SLOWLOG"},
      {"SLOWLOG", "RESET"},
      {"SLOWLOG", "GET", "0"},
  };
  SlowLog log(128, 0);
  for (const char* proto : {"2", "3"}) {
    redis.Command({"HELLO", proto});
    resp::Protocol p = proto[0] == '2' ? resp::Protocol::kResp2 : resp::Protocol::kResp3;
    for (const auto& args : cases) {
      std::string shown;
      for (auto a : args) shown += std::string(a) + " ";
      INFO("RESP" << proto << ": " << shown);
      CHECK(Run(log, args, p) == redis.Command(args));
    }
    // HELP: the same lines but the one that describes our two extra elements.
    std::string ours = Run(log, {"SLOWLOG", "HELP"}, p);
    std::string theirs = redis.Command({"SLOWLOG", "HELP"});
    CHECK(ours.substr(0, ours.find("    client name")) ==
          theirs.substr(0, theirs.find("    client name")));
    CHECK(ours.substr(ours.find("+LEN\r\n")) == theirs.substr(theirs.find("+LEN\r\n")));
  }
  // Truncation: 40 arguments, one of 300 bytes and one of exactly 128.
  std::vector<std::string> argv = {"RPUSH", "list"};
  for (int i = 0; i < 38; ++i) argv.push_back("v" + std::to_string(i));
  argv[5] = std::string(300, 'x');
  argv[6] = std::string(128, 'y');
  std::vector<std::string_view> views(argv.begin(), argv.end());
  redis.Command({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  redis.Command({"SLOWLOG", "RESET"});
  redis.Command(views);
  std::string theirs = redis.Command({"SLOWLOG", "GET", "2"});  // RESET is logged too
  log.Reset();
  log.Add(views.data(), views.size(), 1000, 0, "", "");
  std::string args_bytes;
  resp::Encoder enc(&args_bytes, resp::Protocol::kResp3);
  auto mine = log.Newest(1);
  REQUIRE(mine.size() == 1);
  REQUIRE(mine[0].args.size() == 32);
  enc.ArrayHeader(mine[0].args.size());
  for (const auto& a : mine[0].args) enc.Bulk(a);
  CHECK(theirs.find(args_bytes) != std::string::npos);
}

}  // namespace
}  // namespace slotproxy::metrics

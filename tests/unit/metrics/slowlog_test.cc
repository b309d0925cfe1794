#include "metrics/slowlog.h"

#include <ctime>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace slotproxy::metrics {
namespace {

void Add(SlowLog& log, const std::vector<std::string>& args, uint64_t total_ns = 20'000'000) {
  std::vector<std::string_view> views(args.begin(), args.end());
  log.Add(views.data(), views.size(), total_ns, total_ns / 4, "127.0.0.1:1234", "name");
}

TEST_CASE("slowlog: long strings are cut to 128 bytes as Redis", "[metrics]") {
  CHECK(TruncateSlowlogArg(std::string(128, 'a')) == std::string(128, 'a'));
  CHECK(TruncateSlowlogArg(std::string(129, 'a')) == std::string(128, 'a') + "... (1 more bytes)");
  CHECK(TruncateSlowlogArg(std::string(1000, 'b')) ==
        std::string(128, 'b') + "... (872 more bytes)");
}

TEST_CASE("slowlog: more than 32 arguments keep 31 and say how many more", "[metrics]") {
  SlowLog log(10, 0);
  std::vector<std::string> args;
  for (int i = 0; i < 40; ++i) args.push_back("a" + std::to_string(i));
  Add(log, args);
  std::vector<std::string> exact32(args.begin(), args.begin() + 32);
  Add(log, exact32);
  auto e = log.Newest(2);
  REQUIRE(e.size() == 2);
  CHECK(e[0].args == exact32);  // newest first, exactly 32: untouched
  REQUIRE(e[1].args.size() == 32);
  CHECK(e[1].args[30] == "a30");
  CHECK(e[1].args[31] == "... (9 more arguments)");
}

TEST_CASE("slowlog: newest first, bounded, ids keep counting", "[metrics]") {
  SlowLog log(3, 0);
  int64_t before = std::time(nullptr);
  for (int i = 0; i < 5; ++i) Add(log, {"set", "k" + std::to_string(i)});
  CHECK(log.Len() == 3);
  auto e = log.Newest(10);
  REQUIRE(e.size() == 3);
  CHECK(e[0].id == 4);
  CHECK(e[2].id == 2);
  CHECK(e[0].args[1] == "k4");
  CHECK(e[0].duration_us == 20'000);
  CHECK(e[0].backend_us == 5'000);
  CHECK(e[0].client_addr == "127.0.0.1:1234");
  CHECK(e[0].client_name == "name");
  CHECK(e[0].unix_time >= before);
  CHECK(e[0].unix_time <= std::time(nullptr));
  CHECK(log.Newest(1).size() == 1);
  log.SetMaxLen(1);
  CHECK(log.Len() == 1);
  CHECK(log.Newest(5)[0].id == 4);
  log.Reset();
  CHECK(log.Len() == 0);
  Add(log, {"x"});
  CHECK(log.Newest(1)[0].id == 5);
  log.SetMaxLen(0);  // Redis: the entry is made (id used) and dropped at once
  Add(log, {"y"});
  CHECK(log.Len() == 0);
  log.SetMaxLen(5);
  Add(log, {"z"});
  CHECK(log.Newest(1)[0].id == 7);
}

TEST_CASE("slowlog: threshold as slowlog-log-slower-than", "[metrics]") {
  SlowLog log(10, 10'000);
  CHECK_FALSE(log.IsSlow(9'999'999));
  CHECK(log.IsSlow(10'000'000));
  log.SetThresholdUs(0);
  CHECK(log.IsSlow(0));
  log.SetThresholdUs(-1);
  CHECK_FALSE(log.IsSlow(UINT64_MAX));
}

}  // namespace
}  // namespace slotproxy::metrics

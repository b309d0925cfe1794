#include "cluster/redirect.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "redis_process.h"
#include "resp/error_kind.h"

namespace slotproxy::cluster {
namespace {

TEST_CASE("Redirect errors are worded as Redis's") {
  CHECK(MovedError(12182, "127.0.0.1", 7402) == "MOVED 12182 127.0.0.1:7402");
  CHECK(AskError(15495, "127.0.0.1", 7400) == "ASK 15495 127.0.0.1:7400");
  CHECK(MovedError(12182, "", 7402) == "MOVED 12182 :7402");
  CHECK(MovedError(12182, "?", 7402) == "MOVED 12182 ?:7402");
  Node node;
  node.host = "::1";
  node.port = 6379;
  CHECK(MovedError(0, node) == "MOVED 0 ::1:6379");
  CHECK(AskError(16383, node) == "ASK 16383 ::1:6379");
}

TEST_CASE("Redirect errors round-trip through resp::ParseRedirect") {
  for (const std::string& host : {std::string("127.0.0.1"), std::string("::1"), std::string(""),
                                  std::string("node0.example")}) {
    const std::string text = MovedError(16383, host, 65535);  // host views into it
    auto moved = resp::ParseRedirect(text);
    REQUIRE(moved.has_value());
    CHECK(moved->kind == resp::ErrorKind::kMoved);
    CHECK(moved->slot == 16383);
    CHECK(moved->host == host);
    CHECK(moved->port == 65535);
    auto ask = resp::ParseRedirect(AskError(1, host, 1));
    REQUIRE(ask.has_value());
    CHECK(ask->kind == resp::ErrorKind::kAsk);
  }
  CHECK(resp::ClassifyError(kTryAgainError) == resp::ErrorKind::kTryAgain);
  CHECK(resp::ClassifyError(kSlotNotServedError) == resp::ErrorKind::kClusterDown);
  CHECK(resp::ClassifyError(kClusterDownError) == resp::ErrorKind::kClusterDown);
  CHECK(resp::ClassifyError(kClusterDownReadOnlyError) == resp::ErrorKind::kClusterDown);
  CHECK(resp::ClassifyError(kCrossSlotError) == resp::ErrorKind::kOther);
}

// The texts a real redis-server sends (MOVED is checked on a real cluster in
// topology_redis_test.cc).
TEST_CASE("CROSSSLOT and CLUSTERDOWN texts match a real redis-server") {
  std::string error;
  auto redis = testing::RedisProcess::Start(&error);
  REQUIRE(redis != nullptr);
  auto conn = testing::TestConnection::Connect(redis->port());
  REQUIRE(conn != nullptr);
  std::string line;
  const auto query = [&](const std::vector<std::string>& command) {
    REQUIRE(conn->Send(testing::EncodeCommand(command)));
    REQUIRE(conn->ReadLine(&line));
    return line;
  };
  REQUIRE(query({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}) == "+OK");
  CHECK(query({"MSET", "a", "1", "b", "2"}) == "-" + std::string(kCrossSlotError));
  REQUIRE(query({"CLUSTER", "DELSLOTS", "12182"}) == "+OK");
  CHECK(query({"GET", "foo"}) == "-" + std::string(kSlotNotServedError));
}

}  // namespace
}  // namespace slotproxy::cluster

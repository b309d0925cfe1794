// Dedicated connections: RESP3 ones say HELLO 3 first; pub/sub ones hand every frame nobody
// waits for to OnPush (RESP2 confirmations and messages are plain arrays).
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "backend/dispatcher.h"
#include "resp/encoder.h"
#include "unit/session/fake_cluster.h"

namespace slotproxy::testing {
namespace {

struct Events final : backend::ConnectionEvents {
  std::vector<std::string> replies;
  std::vector<std::string> pushes;
  int lost = 0;
  void OnReply(backend::BackendConnection&, backend::RequestPtr, std::string_view raw,
               const resp::ReplyInfo&) override {
    replies.emplace_back(raw);
  }
  void OnFailed(backend::BackendConnection&, backend::RequestPtr,
                std::string_view message) override {
    replies.push_back("-" + std::string(message));
  }
  void OnConnectionLost(backend::BackendConnection&) override { ++lost; }
  void OnPush(backend::BackendConnection&, std::string_view raw, const resp::ReplyInfo&) override {
    pushes.emplace_back(raw);
  }
};

std::string Frame(std::string_view word, std::string_view channel, int count) {
  return "*3\r\n$" + std::to_string(word.size()) + "\r\n" + std::string(word) + "\r\n$" +
         std::to_string(channel.size()) + "\r\n" + std::string(channel) +
         "\r\n:" + std::to_string(count) + "\r\n";
}

TEST_CASE("a pub/sub connection passes every unmatched frame to OnPush") {
  net::EventLoop loop;
  FakeNode node(loop, [](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (args[0] == "SUBSCRIBE") return Frame("subscribe", "a", 1) + Frame("subscribe", "b", 2);
    return std::nullopt;
  });
  cluster::SlotMapHolder holder;
  backend::Dispatcher dispatcher(loop, holder, {});
  Events events;
  auto conn = dispatcher.OpenDedicated("127.0.0.1", node.port(), &events, /*resp3=*/false,
                                       /*unmatched_frames=*/true);
  REQUIRE(conn->SendUnmatched(resp::EncodeCommand({"SUBSCRIBE", "a", "b"})));
  RunUntil(
      loop, [&] { return events.pushes.size() >= 2; }, 3000);
  CHECK(events.pushes ==
        std::vector<std::string>{Frame("subscribe", "a", 1), Frame("subscribe", "b", 2)});
  CHECK(events.replies.empty());
  CHECK(events.lost == 0);
}

TEST_CASE("a RESP3 connection sends HELLO 3 before anything queued while connecting") {
  net::EventLoop loop;
  FakeNode node(loop, [](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (args[0] == "HELLO") return "%1\r\n$5\r\nproto\r\n:3\r\n";
    return "_\r\n";
  });
  cluster::SlotMapHolder holder;
  backend::Dispatcher dispatcher(loop, holder, {});
  Events events;
  auto conn = dispatcher.OpenDedicated("127.0.0.1", node.port(), &events, /*resp3=*/true);
  backend::RequestPtr r = dispatcher.pool().Acquire();
  resp::EncodeCommand({"GET", "k"}, &r->payload);
  conn->Send(std::move(r));
  RunUntil(
      loop, [&] { return !events.replies.empty(); }, 3000);
  CHECK(events.replies == std::vector<std::string>{"_\r\n"});  // HELLO's map is not a reply
  CHECK(node.received() == std::vector<std::string>{"HELLO 3", "GET k"});
}

TEST_CASE("a backend refusing HELLO 3 fails the connection with a clear error") {
  net::EventLoop loop;
  FakeNode node(loop, [](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (args[0] == "HELLO") return "-ERR unknown command 'HELLO'\r\n";
    return "+OK\r\n";
  });
  cluster::SlotMapHolder holder;
  backend::Dispatcher dispatcher(loop, holder, {});
  Events events;
  auto conn = dispatcher.OpenDedicated("127.0.0.1", node.port(), &events, /*resp3=*/true);
  backend::RequestPtr r = dispatcher.pool().Acquire();
  resp::EncodeCommand({"SET", "k", "v"}, &r->payload);
  conn->Send(std::move(r));
  RunUntil(
      loop, [&] { return !events.replies.empty(); }, 3000);
  REQUIRE(events.replies.size() == 1);
  CHECK(events.replies[0].find("rejected HELLO 3") != std::string::npos);
}

}  // namespace
}  // namespace slotproxy::testing
